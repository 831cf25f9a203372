#include "onvif_client/operations.h"

#include "context.h"
#include "core/net.h"
#include "soapDeviceBindingProxy.h"
#include "soapMediaBindingProxy.h"

namespace sitelink::onvif_client {

namespace {

// Runs one operation of one service with the session's authentication. The request is made
// inside each attempt (make_request), because the context's memory is released between attempts.
template <class Proxy, class Request, class Response, class MakeRequest, class Extract>
Result<Done> call_service(Session& session, const std::string& service_url, const char* operation,
                          int (Proxy::*method)(const char*, const char*, Request*, Response&),
                          MakeRequest make_request, Extract extract, bool pre_auth) {
    auto invoke = [&](struct soap* soap, const char* url) {
        Proxy proxy(soap);
        onvif::use_sitelink_namespaces(soap);
        Response response;
        const int rc = (proxy.*method)(url, nullptr, make_request(soap), response);
        if (rc == SOAP_OK) extract(response);
        return rc;
    };
    return pre_auth ? session.call_unauthenticated(operation, service_url, invoke)
                    : session.call(operation, service_url, invoke);
}

template <class Request, class Response, class MakeRequest, class Extract>
Result<Done> device_call(Session& session, const char* operation,
                         int (DeviceBindingProxy::*method)(const char*, const char*, Request*, Response&),
                         MakeRequest make_request, Extract extract, bool pre_auth = false) {
    return call_service<DeviceBindingProxy, Request, Response>(session, session.device_url(), operation, method,
                                                               make_request, extract, pre_auth);
}

template <class Request, class Response, class Extract>
Result<Done> media_call(Session& session, const std::string& media_url, const char* operation,
                        int (MediaBindingProxy::*method)(const char*, const char*, Request*, Response&),
                        Request* request, Extract extract) {
    return call_service<MediaBindingProxy, Request, Response>(
        session, media_url, operation, method, [request](struct soap*) { return request; }, extract, false);
}

std::string version_text(const tt__OnvifVersion& v) {
    return std::to_string(v.Major) + "." + (v.Minor < 10 ? "0" : "") + std::to_string(v.Minor);
}

}  // namespace

std::time_t to_time(const tt__DateTime& dt) {
    std::tm tm{};
    tm.tm_year = dt.Date.Year - 1900;
    tm.tm_mon = dt.Date.Month - 1;
    tm.tm_mday = dt.Date.Day;
    tm.tm_hour = dt.Time.Hour;
    tm.tm_min = dt.Time.Minute;
    tm.tm_sec = dt.Time.Second;
    return timegm(&tm);
}

Result<DeviceClock> GetSystemDateAndTime(Session& session) {
    _tds__GetSystemDateAndTime request;
    DeviceClock clock;
    bool has_time = false;
    auto done = device_call<_tds__GetSystemDateAndTime, _tds__GetSystemDateAndTimeResponse>(
        session, "GetSystemDateAndTime", &DeviceBindingProxy::GetSystemDateAndTime, [&](struct soap*) { return &request; },
        [&](const _tds__GetSystemDateAndTimeResponse& r) {
            const auto& sdt = r.SystemDateAndTime;
            if (sdt.UTCDateTime) {
                clock.device_utc = to_time(*sdt.UTCDateTime);
                has_time = true;
            } else if (sdt.LocalDateTime) {
                clock.device_utc = to_time(*sdt.LocalDateTime);
                clock.from_utc = false;
                has_time = true;
            }
        },
        /*pre_auth=*/true);
    if (!done) return done.error();
    if (!has_time)
        return Error{ErrorCode::MalformedAnswer, session.label(), "GetSystemDateAndTime gave no date and time", ""};
    clock.offset_s = static_cast<double>(clock.device_utc - std::time(nullptr));
    session.set_clock_offset_s(clock.offset_s);
    return clock;
}

Result<DeviceIdentity> GetDeviceInformation(Session& session) {
    _tds__GetDeviceInformation request;
    DeviceIdentity id;
    auto done = device_call<_tds__GetDeviceInformation, _tds__GetDeviceInformationResponse>(
        session, "GetDeviceInformation", &DeviceBindingProxy::GetDeviceInformation, [&](struct soap*) { return &request; },
        [&](const _tds__GetDeviceInformationResponse& r) {
            id = {r.Manufacturer, r.Model, r.FirmwareVersion, r.SerialNumber, r.HardwareId};
        });
    if (!done) return done.error();
    return id;
}

Result<ServiceMap> GetCapabilities(Session& session) {
    _tds__GetCapabilities request;
    request.Category.push_back(tt__CapabilityCategory__All);
    ServiceMap map;
    auto done = device_call<_tds__GetCapabilities, _tds__GetCapabilitiesResponse>(
        session, "GetCapabilities", &DeviceBindingProxy::GetCapabilities, [&](struct soap*) { return &request; },
        [&](const _tds__GetCapabilitiesResponse& r) {
            if (r.Capabilities.Media) map.media = on_device_host(r.Capabilities.Media->XAddr, session.device_url());
        });
    if (!done) return done.error();
    return map;
}

Result<std::vector<ServiceEndpoint>> GetServices(Session& session) {
    _tds__GetServices request;
    request.IncludeCapability = false;
    std::vector<ServiceEndpoint> services;
    auto done = device_call<_tds__GetServices, _tds__GetServicesResponse>(
        session, "GetServices", &DeviceBindingProxy::GetServices, [&](struct soap*) { return &request; }, [&](const _tds__GetServicesResponse& r) {
            for (const auto& s : r.Service)
                services.push_back({s.Namespace, on_device_host(s.XAddr, session.device_url()), version_text(s.Version)});
        });
    if (!done) return done.error();
    return services;
}

Result<std::vector<InterfaceState>> GetNetworkInterfaces(Session& session) {
    _tds__GetNetworkInterfaces request;
    std::vector<InterfaceState> out;
    auto done = device_call<_tds__GetNetworkInterfaces, _tds__GetNetworkInterfacesResponse>(
        session, "GetNetworkInterfaces", &DeviceBindingProxy::GetNetworkInterfaces, [&](struct soap*) { return &request; },
        [&](const _tds__GetNetworkInterfacesResponse& r) {
            for (const auto& nic : r.NetworkInterfaces) {
                InterfaceState s;
                s.token = nic.token;
                s.enabled = nic.Enabled;
                if (nic.Info) s.mac = normalize_mac(nic.Info->HwAddress);
                if (nic.IPv4) {
                    const auto& cfg = nic.IPv4->Config;
                    s.dhcp = cfg.DHCP;
                    const tt__PrefixedIPv4Address* current = nullptr;
                    if (cfg.DHCP && cfg.FromDHCP) current = cfg.FromDHCP;
                    else if (!cfg.Manual.empty()) current = &cfg.Manual.front();
                    else if (cfg.FromDHCP) current = cfg.FromDHCP;
                    if (current) {
                        s.address = current->Address;
                        s.prefix = current->PrefixLength;
                    }
                }
                out.push_back(s);
            }
        });
    if (!done) return done.error();
    return out;
}

Result<std::optional<std::string>> GetNetworkDefaultGateway(Session& session) {
    _tds__GetNetworkDefaultGateway request;
    std::optional<std::string> gateway;
    auto done = device_call<_tds__GetNetworkDefaultGateway, _tds__GetNetworkDefaultGatewayResponse>(
        session, "GetNetworkDefaultGateway", &DeviceBindingProxy::GetNetworkDefaultGateway, [&](struct soap*) { return &request; },
        [&](const _tds__GetNetworkDefaultGatewayResponse& r) {
            if (!r.NetworkGateway.IPv4Address.empty()) gateway = r.NetworkGateway.IPv4Address.front();
        });
    if (!done) return done.error();
    return gateway;
}

Result<std::vector<std::string>> GetDNS(Session& session) {
    _tds__GetDNS request;
    std::vector<std::string> servers;
    auto done = device_call<_tds__GetDNS, _tds__GetDNSResponse>(
        session, "GetDNS", &DeviceBindingProxy::GetDNS, [&](struct soap*) { return &request; }, [&](const _tds__GetDNSResponse& r) {
            const auto& info = r.DNSInformation;
            for (const auto& a : info.FromDHCP ? info.DNSFromDHCP : info.DNSManual)
                if (a.IPv4Address) servers.push_back(*a.IPv4Address);
                else if (a.IPv6Address) servers.push_back(*a.IPv6Address);
        });
    if (!done) return done.error();
    return servers;
}

Result<std::vector<ProtocolSetting>> GetNetworkProtocols(Session& session) {
    _tds__GetNetworkProtocols request;
    std::vector<ProtocolSetting> out;
    auto done = device_call<_tds__GetNetworkProtocols, _tds__GetNetworkProtocolsResponse>(
        session, "GetNetworkProtocols", &DeviceBindingProxy::GetNetworkProtocols, [&](struct soap*) { return &request; },
        [&](const _tds__GetNetworkProtocolsResponse& r) {
            for (const auto& p : r.NetworkProtocols)
                out.push_back({soap_tt__NetworkProtocolType2s(nullptr, p.Name), p.Enabled, p.Port});
        });
    if (!done) return done.error();
    return out;
}

Result<std::vector<UserAccount>> GetUsers(Session& session) {
    _tds__GetUsers request;
    std::vector<UserAccount> out;
    auto done = device_call<_tds__GetUsers, _tds__GetUsersResponse>(
        session, "GetUsers", &DeviceBindingProxy::GetUsers, [&](struct soap*) { return &request; }, [&](const _tds__GetUsersResponse& r) {
            for (const auto& u : r.User) out.push_back({u.Username, soap_tt__UserLevel2s(nullptr, u.UserLevel)});
        });
    if (!done) return done.error();
    return out;
}

Result<std::vector<MediaProfile>> GetProfiles(Session& session, const std::string& media_url) {
    _trt__GetProfiles request;
    std::vector<MediaProfile> out;
    auto done = media_call<_trt__GetProfiles, _trt__GetProfilesResponse>(
        session, media_url, "GetProfiles", &MediaBindingProxy::GetProfiles, &request,
        [&](const _trt__GetProfilesResponse& r) {
            for (const auto& p : r.Profiles) {
                MediaProfile m;
                m.token = p.token;
                m.name = p.Name;
                if (const auto* vec = p.VideoEncoderConfiguration) {
                    m.encoding = vec->Encoding;
                    if (vec->Resolution) {
                        m.width = vec->Resolution->Width;
                        m.height = vec->Resolution->Height;
                    }
                }
                out.push_back(m);
            }
        });
    if (!done) return done.error();
    return out;
}

Result<std::string> GetStreamUri(Session& session, const std::string& media_url, const std::string& profile_token) {
    _trt__GetStreamUri request;
    request.StreamSetup.Stream = tt__StreamType__RTP_Unicast;
    request.StreamSetup.Transport.Protocol = tt__TransportProtocol__RTSP;
    request.ProfileToken = profile_token;
    std::string uri;
    auto done = media_call<_trt__GetStreamUri, _trt__GetStreamUriResponse>(
        session, media_url, "GetStreamUri", &MediaBindingProxy::GetStreamUri, &request,
        [&](const _trt__GetStreamUriResponse& r) { uri = r.MediaUri.Uri; });
    if (!done) return done.error();
    return uri;
}

Result<std::string> GetSnapshotUri(Session& session, const std::string& media_url, const std::string& profile_token) {
    _trt__GetSnapshotUri request;
    request.ProfileToken = profile_token;
    std::string uri;
    auto done = media_call<_trt__GetSnapshotUri, _trt__GetSnapshotUriResponse>(
        session, media_url, "GetSnapshotUri", &MediaBindingProxy::GetSnapshotUri, &request,
        [&](const _trt__GetSnapshotUriResponse& r) { uri = r.MediaUri.Uri; });
    if (!done) return done.error();
    return uri;
}

// ---------------------------------------------------------------- writes

namespace request {

_tds__SetNetworkInterfaces* set_network_interfaces(struct soap* soap, const Ipv4Config& config) {
    auto* req = soap_new__tds__SetNetworkInterfaces(soap);
    req->InterfaceToken = config.interface_token;
    auto* ipv4 = soap_new_tt__IPv4NetworkInterfaceSetConfiguration(soap);
    ipv4->Enabled = soap_new_bool(soap);
    *ipv4->Enabled = true;
    if (!config.dhcp) {
        tt__PrefixedIPv4Address manual;
        manual.Address = config.address;
        manual.PrefixLength = config.prefix;
        ipv4->Manual.push_back(manual);
    }
    ipv4->DHCP = soap_new_bool(soap);
    *ipv4->DHCP = config.dhcp;
    req->NetworkInterface.Enabled = soap_new_bool(soap);
    *req->NetworkInterface.Enabled = true;
    req->NetworkInterface.IPv4 = ipv4;
    return req;
}

_tds__SetNetworkDefaultGateway* set_network_default_gateway(struct soap* soap, const std::string& gateway) {
    auto* req = soap_new__tds__SetNetworkDefaultGateway(soap);
    req->IPv4Address.push_back(gateway);
    return req;
}

_tds__SetDNS* set_dns(struct soap* soap, const std::vector<std::string>& servers) {
    auto* req = soap_new__tds__SetDNS(soap);
    req->FromDHCP = false;
    for (const auto& server : servers) {
        tt__IPAddress address;
        address.Type = tt__IPType__IPv4;
        address.IPv4Address = soap_new_std__string(soap);
        *address.IPv4Address = server;
        req->DNSManual.push_back(address);
    }
    return req;
}

_tds__SetNetworkProtocols* set_network_protocols(struct soap* soap, const std::vector<ProtocolSetting>& protocols) {
    auto* req = soap_new__tds__SetNetworkProtocols(soap);
    for (const auto& p : protocols) {
        tt__NetworkProtocol protocol;
        if (soap_s2tt__NetworkProtocolType(soap, p.name.c_str(), &protocol.Name) != SOAP_OK) return nullptr;
        protocol.Enabled = p.enabled;
        protocol.Port = p.ports;
        req->NetworkProtocols.push_back(protocol);
    }
    return req;
}

_tds__CreateUsers* create_users(struct soap* soap, const std::vector<NewUser>& users) {
    auto* req = soap_new__tds__CreateUsers(soap);
    for (const auto& u : users) {
        tt__User user;
        user.Username = u.username;
        user.Password = soap_new_std__string(soap);
        *user.Password = u.password;
        if (soap_s2tt__UserLevel(soap, u.level.c_str(), &user.UserLevel) != SOAP_OK) return nullptr;
        req->User.push_back(user);
    }
    return req;
}

}  // namespace request

namespace {
Error bad_request(const Session& session, const std::string& what) {
    return Error{ErrorCode::Usage, session.label(), what, ""};
}
}  // namespace

Result<bool> SetNetworkInterfaces(Session& session, const Ipv4Config& config) {
    bool reboot_needed = false;
    auto done = device_call<_tds__SetNetworkInterfaces, _tds__SetNetworkInterfacesResponse>(
        session, "SetNetworkInterfaces", &DeviceBindingProxy::SetNetworkInterfaces,
        [&](struct soap* soap) { return request::set_network_interfaces(soap, config); },
        [&](const _tds__SetNetworkInterfacesResponse& r) { reboot_needed = r.RebootNeeded; });
    if (!done) return done.error();
    return reboot_needed;
}

namespace {
constexpr auto kNothingToRead = [](const auto&) {};
}  // namespace

Result<Done> SetNetworkDefaultGateway(Session& session, const std::string& gateway) {
    return device_call<_tds__SetNetworkDefaultGateway, _tds__SetNetworkDefaultGatewayResponse>(
        session, "SetNetworkDefaultGateway", &DeviceBindingProxy::SetNetworkDefaultGateway,
        [&](struct soap* soap) { return request::set_network_default_gateway(soap, gateway); }, kNothingToRead);
}

Result<Done> SetDNS(Session& session, const std::vector<std::string>& servers) {
    return device_call<_tds__SetDNS, _tds__SetDNSResponse>(
        session, "SetDNS", &DeviceBindingProxy::SetDNS,
        [&](struct soap* soap) { return request::set_dns(soap, servers); }, kNothingToRead);
}

Result<Done> SetNetworkProtocols(Session& session, const std::vector<ProtocolSetting>& protocols) {
    for (const auto& p : protocols)
        if (p.name != "HTTP" && p.name != "HTTPS" && p.name != "RTSP")
            return bad_request(session, "unknown protocol '" + p.name + "' (HTTP, HTTPS or RTSP)");
    return device_call<_tds__SetNetworkProtocols, _tds__SetNetworkProtocolsResponse>(
        session, "SetNetworkProtocols", &DeviceBindingProxy::SetNetworkProtocols,
        [&](struct soap* soap) { return request::set_network_protocols(soap, protocols); }, kNothingToRead);
}

Result<Done> CreateUsers(Session& session, const std::vector<NewUser>& users) {
    for (const auto& u : users)
        if (u.level != "Administrator" && u.level != "Operator" && u.level != "User")
            return bad_request(session, "unknown user level '" + u.level + "' (Administrator, Operator or User)");
    return device_call<_tds__CreateUsers, _tds__CreateUsersResponse>(
        session, "CreateUsers", &DeviceBindingProxy::CreateUsers,
        [&](struct soap* soap) { return request::create_users(soap, users); }, kNothingToRead);
}

Result<Done> DeleteUsers(Session& session, const std::vector<std::string>& usernames) {
    _tds__DeleteUsers request;
    request.Username = usernames;
    return device_call<_tds__DeleteUsers, _tds__DeleteUsersResponse>(
        session, "DeleteUsers", &DeviceBindingProxy::DeleteUsers, [&](struct soap*) { return &request; }, kNothingToRead);
}

Result<std::string> SystemReboot(Session& session) {
    _tds__SystemReboot request;
    std::string message;
    auto done = device_call<_tds__SystemReboot, _tds__SystemRebootResponse>(
        session, "SystemReboot", &DeviceBindingProxy::SystemReboot, [&](struct soap*) { return &request; },
        [&](const _tds__SystemRebootResponse& r) { message = r.Message; });
    if (!done) return done.error();
    return message;
}

}  // namespace sitelink::onvif_client
