// Sitelink's ONVIF interface header, the input of gSOAP's soapcpp2 (run at build time, see
// onvif/CMakeLists.txt). It declares only the messages and fields Sitelink reads or writes;
// gSOAP skips elements it does not know, so a device that sends more still parses.
// Names follow wsdl2h's conventions: ns__Type, _ns__Element, and a single '_' in an enum value
// name becomes '-' in XML (tt__StreamType__RTP_Unicast is "RTP-Unicast").
// Spec: ONVIF Core (devicemgmt.wsdl, onvif.xsd), Media (media.wsdl), WS-Discovery 2005/04.

#import "stlvector.h"

//gsoap wsa   schema namespace: http://schemas.xmlsoap.org/ws/2004/08/addressing
//gsoap wsa   schema elementForm: qualified
//gsoap wsdd  schema namespace: http://schemas.xmlsoap.org/ws/2005/04/discovery
//gsoap wsdd  schema elementForm: qualified
//gsoap wsdd  schema attributeForm: unqualified
//gsoap dn    schema namespace: http://www.onvif.org/ver10/network/wsdl
//gsoap wsse  schema namespace: http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd
//gsoap wsse  schema elementForm: qualified
//gsoap wsu   schema namespace: http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd
//gsoap wsu   schema elementForm: qualified
//gsoap tt    schema namespace: http://www.onvif.org/ver10/schema
//gsoap tt    schema elementForm: qualified
//gsoap tt    schema attributeForm: unqualified
//gsoap ter   schema namespace: http://www.onvif.org/ver10/error

typedef std::string xsd__anyURI;
typedef std::string xsd__duration;
typedef std::string xsd__token;
typedef std::string xsd__QName;   // gSOAP rewrites QName prefixes to the ones in namespaces.cpp
typedef std::string tt__ReferenceToken;

// ---------------------------------------------------------------- WS-Addressing 2004/08 (header only)

class wsa__EndpointReferenceType { public: xsd__anyURI Address 1; };
class wsa__Relationship { public: xsd__anyURI __item; @std::string *RelationshipType 0; };

// ---------------------------------------------------------------- WS-Security UsernameToken

class wsse__PasswordString { public: std::string __item; @std::string *Type 0; };
class wsse__EncodedString { public: std::string __item; @std::string *EncodingType 0; };
class wsse__UsernameTokenType
{ public:
    std::string Username 1;
    wsse__PasswordString *Password 0;
    wsse__EncodedString *Nonce 0;
    std::string *wsu__Created 0;
};
class _wsse__Security { public: wsse__UsernameTokenType *UsernameToken 0; };

// ---------------------------------------------------------------- WS-Discovery 2005/04

class wsdd__ScopesType { public: std::string __item; @xsd__anyURI *MatchBy 0; };
class wsdd__ProbeType
{ public:
    xsd__QName *Types 0;
    wsdd__ScopesType *Scopes 0;
};
class wsdd__ProbeMatchType
{ public:
    wsa__EndpointReferenceType wsa__EndpointReference 1;
    xsd__QName *Types 0;
    wsdd__ScopesType *Scopes 0;
    std::string *XAddrs 0;
    unsigned int MetadataVersion 1;
};
class wsdd__ProbeMatchesType { public: std::vector<wsdd__ProbeMatchType> ProbeMatch 0; };
class wsdd__HelloType
{ public:
    wsa__EndpointReferenceType wsa__EndpointReference 1;
    xsd__QName *Types 0;
    wsdd__ScopesType *Scopes 0;
    std::string *XAddrs 0;
    unsigned int MetadataVersion 1;
};
class wsdd__ByeType
{ public:
    wsa__EndpointReferenceType wsa__EndpointReference 1;
    xsd__QName *Types 0;
    wsdd__ScopesType *Scopes 0;
    std::string *XAddrs 0;
    unsigned int *MetadataVersion 0;
};
class wsdd__AppSequenceType
{ public:
    @unsigned int InstanceId 1;
    @std::string *SequenceId 0;
    @unsigned int MessageNumber 1;
};

mutable struct SOAP_ENV__Header
{
                  std::string *wsa__MessageID 0;
                  wsa__Relationship *wsa__RelatesTo 0;
                  std::string *wsa__To 0;
                  std::string *wsa__Action 0;
                  wsdd__AppSequenceType *wsdd__AppSequence 0;
  mustUnderstand  _wsse__Security *wsse__Security 0;
};

//gsoap wsdd service name: Discovery
//gsoap wsdd service namespace: http://schemas.xmlsoap.org/ws/2005/04/discovery
//gsoap wsdd service method-action: Probe http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe
int __wsdd__Probe(wsdd__ProbeType *wsdd__Probe, void);
//gsoap wsdd service method-action: ProbeMatches http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches
int __wsdd__ProbeMatches(wsdd__ProbeMatchesType *wsdd__ProbeMatches, void);
//gsoap wsdd service method-action: Hello http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello
int __wsdd__Hello(wsdd__HelloType *wsdd__Hello, void);
//gsoap wsdd service method-action: Bye http://schemas.xmlsoap.org/ws/2005/04/discovery/Bye
int __wsdd__Bye(wsdd__ByeType *wsdd__Bye, void);

// ---------------------------------------------------------------- ONVIF schema types (tt)

enum tt__SetDateTimeType { tt__SetDateTimeType__Manual, tt__SetDateTimeType__NTP };
enum tt__UserLevel { tt__UserLevel__Administrator, tt__UserLevel__Operator, tt__UserLevel__User,
                     tt__UserLevel__Anonymous, tt__UserLevel__Extended };
enum tt__NetworkProtocolType { tt__NetworkProtocolType__HTTP, tt__NetworkProtocolType__HTTPS,
                               tt__NetworkProtocolType__RTSP };
enum tt__IPType { tt__IPType__IPv4, tt__IPType__IPv6 };
enum tt__StreamType { tt__StreamType__RTP_Unicast, tt__StreamType__RTP_Multicast };
enum tt__TransportProtocol { tt__TransportProtocol__UDP, tt__TransportProtocol__TCP,
                             tt__TransportProtocol__RTSP, tt__TransportProtocol__HTTP };
enum tt__CapabilityCategory { tt__CapabilityCategory__All, tt__CapabilityCategory__Analytics,
                              tt__CapabilityCategory__Device, tt__CapabilityCategory__Events,
                              tt__CapabilityCategory__Imaging, tt__CapabilityCategory__Media,
                              tt__CapabilityCategory__PTZ };

class tt__Time { public: int Hour 1; int Minute 1; int Second 1; };
class tt__Date { public: int Year 1; int Month 1; int Day 1; };
class tt__DateTime { public: tt__Time Time 1; tt__Date Date 1; };
class tt__TimeZone { public: xsd__token TZ 1; };
class tt__SystemDateTime
{ public:
    enum tt__SetDateTimeType DateTimeType 1;
    bool DaylightSavings 1;
    tt__TimeZone *TimeZone 0;
    tt__DateTime *UTCDateTime 0;
    tt__DateTime *LocalDateTime 0;
};

// One class serves every capability block Sitelink reads: only the XAddr matters here.
class tt__ServiceCapabilities { public: xsd__anyURI XAddr 1; };
class tt__Capabilities
{ public:
    tt__ServiceCapabilities *Analytics 0;
    tt__ServiceCapabilities *Device 0;
    tt__ServiceCapabilities *Events 0;
    tt__ServiceCapabilities *Imaging 0;
    tt__ServiceCapabilities *Media 0;
    tt__ServiceCapabilities *PTZ 0;
};
class tt__OnvifVersion { public: int Major 1; int Minor 1; };

class tt__PrefixedIPv4Address { public: std::string Address 1; int PrefixLength 1; };
class tt__IPv4Configuration
{ public:
    std::vector<tt__PrefixedIPv4Address> Manual 0;
    tt__PrefixedIPv4Address *LinkLocal 0;
    tt__PrefixedIPv4Address *FromDHCP 0;
    bool DHCP 1;
};
class tt__IPv4NetworkInterface { public: bool Enabled 1; tt__IPv4Configuration Config 1; };
class tt__NetworkInterfaceInfo { public: std::string *Name 0; std::string HwAddress 1; int *MTU 0; };
class tt__NetworkInterface
{ public:
    @std::string token 1;
    bool Enabled 1;
    tt__NetworkInterfaceInfo *Info 0;
    tt__IPv4NetworkInterface *IPv4 0;
};
class tt__IPv4NetworkInterfaceSetConfiguration
{ public:
    bool *Enabled 0;
    std::vector<tt__PrefixedIPv4Address> Manual 0;
    bool *DHCP 0;
};
class tt__NetworkInterfaceSetConfiguration
{ public:
    bool *Enabled 0;
    int *MTU 0;
    tt__IPv4NetworkInterfaceSetConfiguration *IPv4 0;
};
class tt__NetworkGateway
{ public:
    std::vector<std::string> IPv4Address 0;
    std::vector<std::string> IPv6Address 0;
};
class tt__IPAddress
{ public:
    enum tt__IPType Type 1;
    std::string *IPv4Address 0;
    std::string *IPv6Address 0;
};
class tt__DNSInformation
{ public:
    bool FromDHCP 1;
    std::vector<xsd__token> SearchDomain 0;
    std::vector<tt__IPAddress> DNSFromDHCP 0;
    std::vector<tt__IPAddress> DNSManual 0;
};
class tt__NetworkProtocol
{ public:
    enum tt__NetworkProtocolType Name 1;
    bool Enabled 1;
    std::vector<int> Port 1;
};
class tt__User
{ public:
    std::string Username 1;
    std::string *Password 0;
    enum tt__UserLevel UserLevel 1;
};

class tt__VideoResolution { public: int Width 1; int Height 1; };
class tt__VideoEncoderConfiguration
{ public:
    @std::string token 1;
    std::string Name 1;
    int UseCount 1;
    std::string Encoding 1;   // JPEG, MPEG4, H264 (ver10); kept as text so newer values still parse
    tt__VideoResolution *Resolution 0;
};
class tt__Profile
{ public:
    @std::string token 1;
    @bool *fixed 0;
    std::string Name 1;
    tt__VideoEncoderConfiguration *VideoEncoderConfiguration 0;
};
class tt__Transport { public: enum tt__TransportProtocol Protocol 1; };
class tt__StreamSetup { public: enum tt__StreamType Stream 1; tt__Transport Transport 1; };
class tt__MediaUri
{ public:
    xsd__anyURI Uri 1;
    bool InvalidAfterConnect 1;
    bool InvalidAfterReboot 1;
    xsd__duration Timeout 1;
};

// ---------------------------------------------------------------- Device management (tds)

//gsoap tds   schema namespace: http://www.onvif.org/ver10/device/wsdl
//gsoap tds   schema elementForm: qualified
//gsoap tds   schema attributeForm: unqualified

class tds__Service
{ public:
    xsd__anyURI Namespace 1;
    xsd__anyURI XAddr 1;
    tt__OnvifVersion Version 1;
};

class _tds__GetSystemDateAndTime { };
class _tds__GetSystemDateAndTimeResponse { public: tt__SystemDateTime SystemDateAndTime 1; };
class _tds__GetDeviceInformation { };
class _tds__GetDeviceInformationResponse
{ public:
    std::string Manufacturer 1;
    std::string Model 1;
    std::string FirmwareVersion 1;
    std::string SerialNumber 1;
    std::string HardwareId 1;
};
class _tds__GetCapabilities { public: std::vector<enum tt__CapabilityCategory> Category 0; };
class _tds__GetCapabilitiesResponse { public: tt__Capabilities Capabilities 1; };
class _tds__GetServices { public: bool IncludeCapability 1; };
class _tds__GetServicesResponse { public: std::vector<tds__Service> Service 1; };
class _tds__GetNetworkInterfaces { };
class _tds__GetNetworkInterfacesResponse { public: std::vector<tt__NetworkInterface> NetworkInterfaces 1; };
class _tds__SetNetworkInterfaces
{ public:
    xsd__token InterfaceToken 1;
    tt__NetworkInterfaceSetConfiguration NetworkInterface 1;
};
class _tds__SetNetworkInterfacesResponse { public: bool RebootNeeded 1; };
class _tds__GetNetworkDefaultGateway { };
class _tds__GetNetworkDefaultGatewayResponse { public: tt__NetworkGateway NetworkGateway 1; };
class _tds__SetNetworkDefaultGateway
{ public:
    std::vector<std::string> IPv4Address 0;
    std::vector<std::string> IPv6Address 0;
};
class _tds__SetNetworkDefaultGatewayResponse { };
class _tds__GetDNS { };
class _tds__GetDNSResponse { public: tt__DNSInformation DNSInformation 1; };
class _tds__SetDNS
{ public:
    bool FromDHCP 1;
    std::vector<xsd__token> SearchDomain 0;
    std::vector<tt__IPAddress> DNSManual 0;
};
class _tds__SetDNSResponse { };
class _tds__GetNetworkProtocols { };
class _tds__GetNetworkProtocolsResponse { public: std::vector<tt__NetworkProtocol> NetworkProtocols 0; };
class _tds__SetNetworkProtocols { public: std::vector<tt__NetworkProtocol> NetworkProtocols 1; };
class _tds__SetNetworkProtocolsResponse { };
class _tds__GetUsers { };
class _tds__GetUsersResponse { public: std::vector<tt__User> User 0; };
class _tds__CreateUsers { public: std::vector<tt__User> User 1; };
class _tds__CreateUsersResponse { };
class _tds__DeleteUsers { public: std::vector<std::string> Username 1; };
class _tds__DeleteUsersResponse { };
class _tds__SystemReboot { };
class _tds__SystemRebootResponse { public: std::string Message 1; };

//gsoap tds service name: DeviceBinding
//gsoap tds service type: Device
//gsoap tds service namespace: http://www.onvif.org/ver10/device/wsdl
//gsoap tds service style: document
//gsoap tds service encoding: literal
//gsoap tds service method-action: GetSystemDateAndTime http://www.onvif.org/ver10/device/wsdl/GetSystemDateAndTime
int __tds__GetSystemDateAndTime(_tds__GetSystemDateAndTime *tds__GetSystemDateAndTime, _tds__GetSystemDateAndTimeResponse &tds__GetSystemDateAndTimeResponse);
//gsoap tds service method-action: GetDeviceInformation http://www.onvif.org/ver10/device/wsdl/GetDeviceInformation
int __tds__GetDeviceInformation(_tds__GetDeviceInformation *tds__GetDeviceInformation, _tds__GetDeviceInformationResponse &tds__GetDeviceInformationResponse);
//gsoap tds service method-action: GetCapabilities http://www.onvif.org/ver10/device/wsdl/GetCapabilities
int __tds__GetCapabilities(_tds__GetCapabilities *tds__GetCapabilities, _tds__GetCapabilitiesResponse &tds__GetCapabilitiesResponse);
//gsoap tds service method-action: GetServices http://www.onvif.org/ver10/device/wsdl/GetServices
int __tds__GetServices(_tds__GetServices *tds__GetServices, _tds__GetServicesResponse &tds__GetServicesResponse);
//gsoap tds service method-action: GetNetworkInterfaces http://www.onvif.org/ver10/device/wsdl/GetNetworkInterfaces
int __tds__GetNetworkInterfaces(_tds__GetNetworkInterfaces *tds__GetNetworkInterfaces, _tds__GetNetworkInterfacesResponse &tds__GetNetworkInterfacesResponse);
//gsoap tds service method-action: SetNetworkInterfaces http://www.onvif.org/ver10/device/wsdl/SetNetworkInterfaces
int __tds__SetNetworkInterfaces(_tds__SetNetworkInterfaces *tds__SetNetworkInterfaces, _tds__SetNetworkInterfacesResponse &tds__SetNetworkInterfacesResponse);
//gsoap tds service method-action: GetNetworkDefaultGateway http://www.onvif.org/ver10/device/wsdl/GetNetworkDefaultGateway
int __tds__GetNetworkDefaultGateway(_tds__GetNetworkDefaultGateway *tds__GetNetworkDefaultGateway, _tds__GetNetworkDefaultGatewayResponse &tds__GetNetworkDefaultGatewayResponse);
//gsoap tds service method-action: SetNetworkDefaultGateway http://www.onvif.org/ver10/device/wsdl/SetNetworkDefaultGateway
int __tds__SetNetworkDefaultGateway(_tds__SetNetworkDefaultGateway *tds__SetNetworkDefaultGateway, _tds__SetNetworkDefaultGatewayResponse &tds__SetNetworkDefaultGatewayResponse);
//gsoap tds service method-action: GetDNS http://www.onvif.org/ver10/device/wsdl/GetDNS
int __tds__GetDNS(_tds__GetDNS *tds__GetDNS, _tds__GetDNSResponse &tds__GetDNSResponse);
//gsoap tds service method-action: SetDNS http://www.onvif.org/ver10/device/wsdl/SetDNS
int __tds__SetDNS(_tds__SetDNS *tds__SetDNS, _tds__SetDNSResponse &tds__SetDNSResponse);
//gsoap tds service method-action: GetNetworkProtocols http://www.onvif.org/ver10/device/wsdl/GetNetworkProtocols
int __tds__GetNetworkProtocols(_tds__GetNetworkProtocols *tds__GetNetworkProtocols, _tds__GetNetworkProtocolsResponse &tds__GetNetworkProtocolsResponse);
//gsoap tds service method-action: SetNetworkProtocols http://www.onvif.org/ver10/device/wsdl/SetNetworkProtocols
int __tds__SetNetworkProtocols(_tds__SetNetworkProtocols *tds__SetNetworkProtocols, _tds__SetNetworkProtocolsResponse &tds__SetNetworkProtocolsResponse);
//gsoap tds service method-action: GetUsers http://www.onvif.org/ver10/device/wsdl/GetUsers
int __tds__GetUsers(_tds__GetUsers *tds__GetUsers, _tds__GetUsersResponse &tds__GetUsersResponse);
//gsoap tds service method-action: CreateUsers http://www.onvif.org/ver10/device/wsdl/CreateUsers
int __tds__CreateUsers(_tds__CreateUsers *tds__CreateUsers, _tds__CreateUsersResponse &tds__CreateUsersResponse);
//gsoap tds service method-action: DeleteUsers http://www.onvif.org/ver10/device/wsdl/DeleteUsers
int __tds__DeleteUsers(_tds__DeleteUsers *tds__DeleteUsers, _tds__DeleteUsersResponse &tds__DeleteUsersResponse);
//gsoap tds service method-action: SystemReboot http://www.onvif.org/ver10/device/wsdl/SystemReboot
int __tds__SystemReboot(_tds__SystemReboot *tds__SystemReboot, _tds__SystemRebootResponse &tds__SystemRebootResponse);

// ---------------------------------------------------------------- Media (trt)

//gsoap trt   schema namespace: http://www.onvif.org/ver10/media/wsdl
//gsoap trt   schema elementForm: qualified
//gsoap trt   schema attributeForm: unqualified

class _trt__GetProfiles { };
class _trt__GetProfilesResponse { public: std::vector<tt__Profile> Profiles 0; };
class _trt__GetStreamUri { public: tt__StreamSetup StreamSetup 1; tt__ReferenceToken ProfileToken 1; };
class _trt__GetStreamUriResponse { public: tt__MediaUri MediaUri 1; };
class _trt__GetSnapshotUri { public: tt__ReferenceToken ProfileToken 1; };
class _trt__GetSnapshotUriResponse { public: tt__MediaUri MediaUri 1; };

//gsoap trt service name: MediaBinding
//gsoap trt service type: Media
//gsoap trt service namespace: http://www.onvif.org/ver10/media/wsdl
//gsoap trt service style: document
//gsoap trt service encoding: literal
//gsoap trt service method-action: GetProfiles http://www.onvif.org/ver10/media/wsdl/GetProfiles
int __trt__GetProfiles(_trt__GetProfiles *trt__GetProfiles, _trt__GetProfilesResponse &trt__GetProfilesResponse);
//gsoap trt service method-action: GetStreamUri http://www.onvif.org/ver10/media/wsdl/GetStreamUri
int __trt__GetStreamUri(_trt__GetStreamUri *trt__GetStreamUri, _trt__GetStreamUriResponse &trt__GetStreamUriResponse);
//gsoap trt service method-action: GetSnapshotUri http://www.onvif.org/ver10/media/wsdl/GetSnapshotUri
int __trt__GetSnapshotUri(_trt__GetSnapshotUri *trt__GetSnapshotUri, _trt__GetSnapshotUriResponse &trt__GetSnapshotUriResponse);
