#include "onvif_service.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <string_view>

#include "auth.h"
#include "context.h"
#include "operations.h"
#include "soapDeviceBindingService.h"
#include "soapH.h"
#include "soapMediaBindingService.h"

namespace simcam {

namespace {

constexpr int kHttpUnauthorized = 401;
constexpr int kHttpForbidden = 403;
constexpr int kHttpNotFound = 404;
constexpr const char* kSnapshotOperation = "Snapshot";  // operations.h: the name fault switches use
constexpr std::string_view kOnvifPathPrefix = "/onvif/";  // the Device and Media services' XAddrs
constexpr int kIoTimeoutSeconds = 5;       // a stuck client cannot hold a worker longer than this per read/write
constexpr int kTransferTimeoutSeconds = 15;  // nor trickle one message for longer than this
constexpr int kMaxRequestsPerConnection = 100;
// A camera applies a network change shortly after answering, so the answer still gets out.
constexpr auto kApplyNetworkChangeAfter = std::chrono::milliseconds(200);
constexpr const char* kInterfaceToken = "eth0";

// ONVIF faults: SOAP 1.2 Code, then one or two levels of ter: subcodes (ONVIF Core, "Error handling").
int onvif_fault(struct soap* soap, bool sender, const char* subcode, const char* subsubcode, const std::string& reason) {
    const char* text = soap_strdup(soap, reason.c_str());
    if (sender) soap_sender_fault_subcode(soap, subcode, text, nullptr);
    else soap_receiver_fault_subcode(soap, subcode, text, nullptr);
    if (subsubcode != nullptr && soap->fault != nullptr && soap->fault->SOAP_ENV__Code != nullptr &&
        soap->fault->SOAP_ENV__Code->SOAP_ENV__Subcode != nullptr) {
        auto* nested = soap_new_SOAP_ENV__Code(soap);
        nested->SOAP_ENV__Value = soap_strdup(soap, subsubcode);
        soap->fault->SOAP_ENV__Code->SOAP_ENV__Subcode->SOAP_ENV__Subcode = nested;
    }
    return SOAP_FAULT;
}

int invalid_argument(struct soap* soap, const char* detail, const std::string& reason) {
    return onvif_fault(soap, true, "ter:InvalidArgVal", detail, reason);
}

tt__DateTime* make_datetime(struct soap* soap, const std::tm& tm) {
    auto* datetime = soap_new_tt__DateTime(soap);
    datetime->Date.Year = tm.tm_year + 1900;
    datetime->Date.Month = tm.tm_mon + 1;
    datetime->Date.Day = tm.tm_mday;
    datetime->Time.Hour = tm.tm_hour;
    datetime->Time.Minute = tm.tm_min;
    datetime->Time.Second = tm.tm_sec;
    return datetime;
}

tt__ServiceCapabilities* make_capability(struct soap* soap, const std::string& xaddr) {
    auto* capability = soap_new_tt__ServiceCapabilities(soap);
    capability->XAddr = xaddr;
    return capability;
}

std::string* make_string(struct soap* soap, const std::string& value) {
    auto* text = soap_new_std__string(soap);
    *text = value;
    return text;
}

std::optional<UserLevel> from_onvif(enum tt__UserLevel level) {
    switch (level) {
        case tt__UserLevel__Administrator: return UserLevel::Administrator;
        case tt__UserLevel__Operator: return UserLevel::Operator;
        case tt__UserLevel__User: return UserLevel::User;
        case tt__UserLevel__Anonymous: return UserLevel::Anonymous;
        case tt__UserLevel__Extended: break;
    }
    return std::nullopt;
}

enum tt__UserLevel to_onvif(UserLevel level) {
    switch (level) {
        case UserLevel::Administrator: return tt__UserLevel__Administrator;
        case UserLevel::Operator: return tt__UserLevel__Operator;
        case UserLevel::User: return tt__UserLevel__User;
        case UserLevel::Anonymous: return tt__UserLevel__Anonymous;
    }
    return tt__UserLevel__User;
}

// An HTTP 200 answer with a broken body, sent as is; the connection closes after it.
void send_malformed_answer(struct soap* soap, const char* content_type, const std::string& body) {
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: " + std::string(content_type) +
                                 "\r\nContent-Length: " + std::to_string(body.size()) +
                                 "\r\nConnection: close\r\n\r\n" + body;
    [[maybe_unused]] const auto sent = ::send(soap->socket, response.data(), response.size(), MSG_NOSIGNAL);
}

// A SOAP answer that starts like the real one and breaks off mid-element.
void send_malformed_soap_answer(struct soap* soap, const char* operation) {
    const std::string body = std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") +
                             "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://www.w3.org/2003/05/soap-envelope\">"
                             "<SOAP-ENV:Body><tds:" + operation + "Response><tds:Manufacturer>Sim</tt:Broken><";
    send_malformed_answer(soap, "application/soap+xml; charset=utf-8", body);
}

// One accepted connection: which device it is for, and everything an operation does before
// its own work. Reached from the generated service methods through soap->user.
class ConnectionContext {
  public:
    ConnectionContext(Device& served, DeviceHost& hosting, std::string remote)
        : device(served), host(hosting), peer(std::move(remote)) {}

    Device& device;
    DeviceHost& host;
    const std::string peer;
    int (*parse_http_headers)(struct soap*) = nullptr;  // gSOAP's (or httpda's) header parser, wrapped
    bool get_answered = false;  // serve_get decided this request's answer (reset per request)

    std::string who(const char* operation) const {
        return format_ipv4(device.address()) + " " + operation + " from " + peer;
    }

    // The fault switches for one operation: slow_ms waits, drop_connection and malformed end the
    // exchange (`send_malformed` sends the broken answer). Returns SOAP_OK to go on, else SOAP_STOP.
    template <typename SendMalformed>
    int inject_faults(struct soap* soap, const char* operation, SendMalformed send_malformed) {
        const FaultSwitches& faults = device.config().faults;
        if (!faults.applies_to(operation)) return SOAP_OK;
        if (faults.slow_ms > 0) host.pause(std::chrono::milliseconds(faults.slow_ms));
        if (faults.drop_connection) {
            spdlog::debug("{}: dropping the connection (fault drop_connection)", who(operation));
            soap->keep_alive = 0;
            return SOAP_STOP;  // the serve loop closes the socket without a word
        }
        if (faults.malformed) {
            spdlog::debug("{}: answering with a broken body (fault malformed)", who(operation));
            send_malformed();
            soap->keep_alive = 0;
            return SOAP_STOP;
        }
        return SOAP_OK;
    }

    // The fault switches, then authentication and the user level. Returns SOAP_OK to go on,
    // else the code the operation must return.
    int admit(struct soap* soap, const char* operation) {
        // dispatch() installed the generated namespace table; ours adds ter (fault subcodes) and dn.
        onvif::use_sitelink_namespaces(soap);
        if (int rc = inject_faults(soap, operation, [&] { send_malformed_soap_answer(soap, operation); })) return rc;

        const std::string who = this->who(operation);
        const AuthDecision decision = authorize(soap, device, access_class_of(operation));
        // Never echo the request's SOAP header (it may carry the UsernameToken) in the answer.
        soap->header = nullptr;
        switch (decision.outcome) {
            case AuthDecision::Outcome::Granted:
                spdlog::debug("{}: ok{}", who, decision.username.empty() ? "" : " as " + decision.username);
                return SOAP_OK;
            case AuthDecision::Outcome::Challenge:
                spdlog::debug("{}: 401 challenge ({})", who, decision.reason);
                soap->authrealm = soap_strdup(soap, device.realm().c_str());
                return kHttpUnauthorized;
            case AuthDecision::Outcome::Refused:
                spdlog::debug("{}: refused ({})", who, decision.reason);
                return onvif_fault(soap, true, "ter:NotAuthorized", nullptr, "Sender not Authorized");
        }
        return SOAP_FAULT;
    }
};

ConnectionContext& connection_of(struct soap* soap) { return *static_cast<ConnectionContext*>(soap->user); }

// ---------------------------------------------------------------- connection

// A Digest-protected camera's web server challenges before it looks at the body. Clients that
// expect that (curl --digest) first send an empty POST; answer it with the 401 challenge rather
// than a SOAP fault about a missing envelope.
int challenge_empty_post(struct soap* soap) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.parse_http_headers(soap)) return rc;
    const bool chunked = (soap->imode & SOAP_IO) == SOAP_IO_CHUNK;
    if (soap->status == SOAP_POST && soap->length == 0 && !chunked && soap->authrealm == nullptr) {
        soap->authrealm = soap_strdup(soap, connection.device.realm().c_str());
        return soap->error = kHttpUnauthorized;
    }
    return SOAP_OK;
}

// HTTP GET on the ONVIF port; gSOAP calls this from its HTTP parser, once the headers are read.
// A profile's snapshot_path answers 200 with the profile's JPEG to an authorized client. The
// ONVIF services' paths keep gSOAP's answer to a GET (405). Any other path is 404, after the
// authentication check, so the answer does not tell strangers which paths exist.
int serve_get(struct soap* soap) {
    ConnectionContext& connection = connection_of(soap);
    const Device& device = connection.device;
    std::string_view path = soap->path;
    path = path.substr(0, path.find('?'));
    if (path.substr(0, kOnvifPathPrefix.size()) == kOnvifPathPrefix) return SOAP_GET_METHOD;
    connection.get_answered = true;
    const std::string who = connection.who(kSnapshotOperation) + " (GET " + std::string(path) + ")";
    const std::string* image = device.snapshot_at(path);
    if (image != nullptr) {
        // Half a JPEG: no end-of-image marker, the picture breaks off.
        const auto broken = [&] { send_malformed_answer(soap, "image/jpeg", image->substr(0, image->size() / 2)); };
        if (int rc = connection.inject_faults(soap, kSnapshotOperation, broken)) return rc;
    }
    const AuthDecision decision = authorize_http_get(soap, device, access_class_of(kSnapshotOperation));
    switch (decision.outcome) {
        case AuthDecision::Outcome::Granted: break;
        case AuthDecision::Outcome::Challenge:
            spdlog::debug("{}: 401 challenge ({})", who, decision.reason);
            soap->authrealm = soap_strdup(soap, device.realm().c_str());
            return kHttpUnauthorized;
        case AuthDecision::Outcome::Refused:
            spdlog::debug("{}: 403 ({})", who, decision.reason);
            return kHttpForbidden;
    }
    if (image == nullptr) {
        spdlog::debug("{}: 404 no such path", who);
        return kHttpNotFound;
    }
    spdlog::debug("{}: ok{}, {} bytes of JPEG", who, decision.username.empty() ? "" : " as " + decision.username,
                  image->size());
    soap->http_content = "image/jpeg";
    const bool sent = soap_response(soap, SOAP_FILE) == SOAP_OK &&
                      soap_send_raw(soap, image->data(), image->size()) == SOAP_OK && soap_end_send(soap) == SOAP_OK;
    soap->http_content = nullptr;  // the next answer on this connection may be SOAP again
    return sent ? SOAP_OK : soap->error;  // gSOAP turns SOAP_OK into SOAP_STOP: answered, nothing more to parse
}

void log_request_failure(struct soap* soap, const Device& device, const std::string& peer) {
    spdlog::debug("{} request from {} failed: gSOAP error {}", format_ipv4(device.address()), peer, soap->error);
}

}  // namespace

void serve_connection(int fd, Device& device, DeviceHost& host, const std::string& peer) {
    struct soap* soap = onvif::new_context(SOAP_IO_KEEPALIVE);
    const AuthMode mode = device.config().auth;
    register_auth_plugins(soap, mode);
    ConnectionContext connection(device, host, peer);
    soap->user = &connection;
    soap->fget = serve_get;
    if (mode == AuthMode::Digest || mode == AuthMode::DigestMd5 || mode == AuthMode::Both) {
        connection.parse_http_headers = soap->fparse;
        soap->fparse = challenge_empty_post;
    }
    soap->socket = fd;
    soap->recv_timeout = kIoTimeoutSeconds;
    soap->send_timeout = kIoTimeoutSeconds;
    soap->transfer_timeout = kTransferTimeoutSeconds;
    soap->max_keep_alive = kMaxRequestsPerConnection;
    {
        DeviceBindingService device_service(soap);
        MediaBindingService media_service(soap);
        onvif::use_sitelink_namespaces(soap);

        // The loop of the generated serve(), with two services: Device first, then Media.
        soap->keep_alive = soap->max_keep_alive + 1;
        do {
            if (soap->keep_alive > 0 && soap->max_keep_alive > 0) soap->keep_alive--;
            soap->authrealm = nullptr;  // credentials are per request
            soap->userid = nullptr;
            soap->passwd = nullptr;
            connection.get_answered = false;
            if (soap_begin_serve(soap) != SOAP_OK) {
                if (connection.get_answered) {
                    // serve_get logged it. After a 200 (SOAP_STOP) the connection may carry more.
                    if (soap->error != SOAP_STOP || soap->keep_alive == 0) break;
                    soap_destroy(soap);
                    soap_end(soap);
                    continue;
                }
                // soap_begin_serve already answered with a fault, if one was due.
                if (soap->error != SOAP_EOF) log_request_failure(soap, device, peer);
                break;
            }
            int rc = device_service.dispatch();
            if (rc == SOAP_NO_METHOD) rc = media_service.dispatch();
            if (rc != SOAP_OK) {
                if (soap->error != SOAP_OK && soap->error < SOAP_STOP) {
                    if (soap->error != kHttpUnauthorized && soap->error != SOAP_FAULT) log_request_failure(soap, device, peer);
                    soap->keep_alive = 0;
                    soap_send_fault(soap);
                }
                break;
            }
            soap_destroy(soap);
            soap_end(soap);
        } while (soap->keep_alive != 0 && !device.is_silent());
    }
    if (soap_valid_socket(soap->socket)) ::close(soap->socket);
    soap->socket = SOAP_INVALID_SOCKET;
    onvif::release(soap);
}

}  // namespace simcam

// ================================================================ the generated services' operations
// gSOAP's service classes declare one virtual method per operation and leave the definitions to
// the server; these are simcam's. Each starts with ConnectionContext::admit.

using namespace simcam;  // the helpers in the anonymous namespace above

// ---------------------------------------------------------------- Device service (tds)

int DeviceBindingService::GetSystemDateAndTime(_tds__GetSystemDateAndTime*,
                                               _tds__GetSystemDateAndTimeResponse& response) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "GetSystemDateAndTime")) return rc;
    const std::time_t now = std::chrono::system_clock::to_time_t(connection.device.now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    tt__SystemDateTime& answer = response.SystemDateAndTime;
    answer.DateTimeType = tt__SetDateTimeType__Manual;
    answer.DaylightSavings = false;
    answer.TimeZone = soap_new_tt__TimeZone(soap);
    answer.TimeZone->TZ = "UTC0";
    answer.UTCDateTime = make_datetime(soap, utc);
    answer.LocalDateTime = make_datetime(soap, utc);  // the simulated camera lives in UTC
    return SOAP_OK;
}

int DeviceBindingService::GetDeviceInformation(_tds__GetDeviceInformation*,
                                               _tds__GetDeviceInformationResponse& response) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "GetDeviceInformation")) return rc;
    const DeviceConfig& config = connection.device.config();
    response.Manufacturer = config.manufacturer;
    response.Model = config.model;
    response.FirmwareVersion = config.firmware;
    response.SerialNumber = config.serial;
    response.HardwareId = config.hardware_id;
    return SOAP_OK;
}

int DeviceBindingService::GetCapabilities(_tds__GetCapabilities* request, _tds__GetCapabilitiesResponse& response) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "GetCapabilities")) return rc;
    bool want_device = request == nullptr || request->Category.empty();
    bool want_media = want_device;
    if (request != nullptr) {
        for (auto category : request->Category) {
            want_device |= category == tt__CapabilityCategory__All || category == tt__CapabilityCategory__Device;
            want_media |= category == tt__CapabilityCategory__All || category == tt__CapabilityCategory__Media;
        }
    }
    if (!want_device && !want_media)
        return onvif_fault(soap, false, "ter:ActionNotSupported", "ter:NoSuchService",
                           "The requested capability category is not supported");
    if (want_device) response.Capabilities.Device = make_capability(soap, connection.device.device_xaddr());
    if (want_media) response.Capabilities.Media = make_capability(soap, connection.device.media_xaddr());
    return SOAP_OK;
}

int DeviceBindingService::GetServices(_tds__GetServices*, _tds__GetServicesResponse& response) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "GetServices")) return rc;
    tds__Service device_service;
    device_service.Namespace = "http://www.onvif.org/ver10/device/wsdl";
    device_service.XAddr = connection.device.device_xaddr();
    device_service.Version.Major = 2;
    device_service.Version.Minor = 60;
    tds__Service media_service;
    media_service.Namespace = "http://www.onvif.org/ver10/media/wsdl";
    media_service.XAddr = connection.device.media_xaddr();
    media_service.Version.Major = 2;
    media_service.Version.Minor = 60;
    response.Service = {device_service, media_service};
    return SOAP_OK;
}

int DeviceBindingService::GetNetworkInterfaces(_tds__GetNetworkInterfaces*,
                                               _tds__GetNetworkInterfacesResponse& response) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "GetNetworkInterfaces")) return rc;
    const NetworkSettings network = connection.device.network();
    tt__NetworkInterface interface;
    interface.token = kInterfaceToken;
    interface.Enabled = true;
    interface.Info = soap_new_tt__NetworkInterfaceInfo(soap);
    interface.Info->Name = make_string(soap, kInterfaceToken);
    interface.Info->HwAddress = connection.device.config().mac;
    interface.Info->MTU = soap_new_int(soap);
    *interface.Info->MTU = 1500;
    interface.IPv4 = soap_new_tt__IPv4NetworkInterface(soap);
    interface.IPv4->Enabled = true;
    tt__PrefixedIPv4Address current;
    current.Address = format_ipv4(network.ipv4.address);
    current.PrefixLength = network.ipv4.prefix;
    interface.IPv4->Config.DHCP = network.dhcp;
    if (network.dhcp) {
        interface.IPv4->Config.FromDHCP = soap_new_tt__PrefixedIPv4Address(soap);
        *interface.IPv4->Config.FromDHCP = current;
    } else {
        interface.IPv4->Config.Manual.push_back(current);
    }
    response.NetworkInterfaces.push_back(interface);
    return SOAP_OK;
}

int DeviceBindingService::SetNetworkInterfaces(_tds__SetNetworkInterfaces* request,
                                               _tds__SetNetworkInterfacesResponse& response) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "SetNetworkInterfaces")) return rc;
    Device& device = connection.device;
    if (request == nullptr || request->InterfaceToken != kInterfaceToken)
        return invalid_argument(soap, "ter:InvalidNetworkInterface", "No such network interface");
    const DeviceConfig& config = device.config();
    const bool ignore = config.faults.ignore_network_changes && config.faults.applies_to("SetNetworkInterfaces");
    response.RebootNeeded = config.reboot_needed;
    const auto* ipv4 = request->NetworkInterface.IPv4;
    if (ipv4 == nullptr) return SOAP_OK;

    if (ipv4->DHCP != nullptr && *ipv4->DHCP) {
        // Nothing hands out leases here: remember the flag, keep the address.
        if (!ignore) device.set_dhcp(true);
        return SOAP_OK;
    }
    if (ipv4->Manual.empty()) {
        if (!ignore && ipv4->DHCP != nullptr) device.set_dhcp(false);
        return SOAP_OK;
    }
    const tt__PrefixedIPv4Address& wanted = ipv4->Manual.front();
    const auto address = parse_ipv4(wanted.Address);
    if (!address || wanted.PrefixLength < 1 || wanted.PrefixLength > 32 || IN_MULTICAST(ntohl(address->s_addr)))
        return invalid_argument(soap, "ter:InvalidIPv4Address",
                                "Invalid IPv4 address " + wanted.Address + "/" + std::to_string(wanted.PrefixLength));
    const Ipv4Assignment assignment{*address, wanted.PrefixLength};
    if (ignore) {
        spdlog::debug("{}: accepted {} but keeps its address (fault ignore_network_changes)",
                      format_ipv4(device.address()), wanted.Address);
    } else if (config.reboot_needed) {
        device.set_pending_address(assignment);
    } else {
        connection.host.change_address_later(device, assignment, kApplyNetworkChangeAfter);
    }
    return SOAP_OK;
}

int DeviceBindingService::GetNetworkDefaultGateway(_tds__GetNetworkDefaultGateway*,
                                                   _tds__GetNetworkDefaultGatewayResponse& response) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "GetNetworkDefaultGateway")) return rc;
    response.NetworkGateway.IPv4Address = connection.device.network().gateways;
    return SOAP_OK;
}

int DeviceBindingService::SetNetworkDefaultGateway(_tds__SetNetworkDefaultGateway* request,
                                                   _tds__SetNetworkDefaultGatewayResponse&) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "SetNetworkDefaultGateway")) return rc;
    std::vector<std::string> gateways;
    if (request != nullptr) {
        for (const auto& gateway : request->IPv4Address) {
            if (!parse_ipv4(gateway))
                return invalid_argument(soap, "ter:InvalidGatewayAddress", "Invalid gateway " + gateway);
            gateways.push_back(gateway);
        }
    }
    const auto& faults = connection.device.config().faults;
    if (!(faults.ignore_network_changes && faults.applies_to("SetNetworkDefaultGateway")))
        connection.device.set_gateways(std::move(gateways));
    return SOAP_OK;
}

int DeviceBindingService::GetDNS(_tds__GetDNS*, _tds__GetDNSResponse& response) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "GetDNS")) return rc;
    const NetworkSettings network = connection.device.network();
    response.DNSInformation.FromDHCP = network.dns_from_dhcp;
    response.DNSInformation.SearchDomain = network.search_domains;
    for (const auto& server : network.dns) {
        tt__IPAddress address;
        address.Type = tt__IPType__IPv4;
        address.IPv4Address = make_string(soap, server);
        response.DNSInformation.DNSManual.push_back(address);
    }
    return SOAP_OK;
}

int DeviceBindingService::SetDNS(_tds__SetDNS* request, _tds__SetDNSResponse&) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "SetDNS")) return rc;
    if (request == nullptr) return invalid_argument(soap, "ter:InvalidIPv4Address", "Missing DNS settings");
    std::vector<std::string> servers;
    for (const auto& address : request->DNSManual) {
        if (address.Type != tt__IPType__IPv4 || address.IPv4Address == nullptr || !parse_ipv4(*address.IPv4Address))
            return invalid_argument(soap, "ter:InvalidIPv4Address", "Only valid IPv4 DNS servers are supported");
        servers.push_back(*address.IPv4Address);
    }
    const auto& faults = connection.device.config().faults;
    if (!(faults.ignore_network_changes && faults.applies_to("SetDNS")))
        connection.device.set_dns(request->FromDHCP, std::move(servers), request->SearchDomain);
    return SOAP_OK;
}

int DeviceBindingService::GetNetworkProtocols(_tds__GetNetworkProtocols*,
                                              _tds__GetNetworkProtocolsResponse& response) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "GetNetworkProtocols")) return rc;
    const NetworkProtocols protocols = connection.device.network().protocols;
    const std::pair<enum tt__NetworkProtocolType, ProtocolSetting> entries[] = {
        {tt__NetworkProtocolType__HTTP, protocols.http},
        {tt__NetworkProtocolType__HTTPS, protocols.https},
        {tt__NetworkProtocolType__RTSP, protocols.rtsp},
    };
    for (const auto& [name, setting] : entries) {
        tt__NetworkProtocol protocol;
        protocol.Name = name;
        protocol.Enabled = setting.enabled;
        if (setting.port != 0) protocol.Port.push_back(setting.port);
        response.NetworkProtocols.push_back(protocol);
    }
    return SOAP_OK;
}

int DeviceBindingService::SetNetworkProtocols(_tds__SetNetworkProtocols* request,
                                              _tds__SetNetworkProtocolsResponse&) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "SetNetworkProtocols")) return rc;
    if (request == nullptr) return invalid_argument(soap, "ter:InvalidArgs", "Missing protocols");
    NetworkProtocols protocols = connection.device.network().protocols;
    for (const auto& protocol : request->NetworkProtocols) {
        ProtocolSetting* setting = protocol.Name == tt__NetworkProtocolType__HTTP    ? &protocols.http
                                   : protocol.Name == tt__NetworkProtocolType__HTTPS ? &protocols.https
                                                                                      : &protocols.rtsp;
        setting->enabled = protocol.Enabled;
        if (!protocol.Port.empty()) {
            const int port = protocol.Port.front();
            if (port < 1 || port > 65535) return invalid_argument(soap, "ter:InvalidArgs", "Port out of range");
            setting->port = port;
        }
    }
    // RTSP and HTTPS move to their new ports (or stop); the ONVIF listener stays on the configured
    // port whatever HTTP says, since moving it would cut off the client that asked.
    connection.device.set_protocols(protocols);
    connection.host.protocols_changed(connection.device);
    return SOAP_OK;
}

int DeviceBindingService::GetUsers(_tds__GetUsers*, _tds__GetUsersResponse& response) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "GetUsers")) return rc;
    for (const auto& account : connection.device.users()) {
        tt__User user;
        user.Username = account.username;
        user.UserLevel = to_onvif(account.level);
        response.User.push_back(user);  // passwords are never read back
    }
    return SOAP_OK;
}

int DeviceBindingService::CreateUsers(_tds__CreateUsers* request, _tds__CreateUsersResponse&) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "CreateUsers")) return rc;
    if (request == nullptr || request->User.empty()) return invalid_argument(soap, "ter:InvalidArgs", "No users given");
    std::vector<UserAccount> accounts;
    for (const auto& user : request->User) {
        if (user.Username.empty())
            return onvif_fault(soap, true, "ter:OperationProhibited", "ter:UsernameTooShort", "Empty username");
        if (user.Password == nullptr || user.Password->empty())
            return onvif_fault(soap, true, "ter:OperationProhibited", "ter:PasswordTooWeak", "Empty password");
        const auto level = from_onvif(user.UserLevel);
        if (!level)
            return onvif_fault(soap, true, "ter:OperationProhibited", "ter:AnonymousNotAllowed",
                               "Extended user level is not supported");
        accounts.push_back(UserAccount{user.Username, *user.Password, *level});
    }
    if (auto clash = connection.device.add_users(accounts))
        return onvif_fault(soap, true, "ter:OperationProhibited", "ter:UsernameClash", "Username already exists: " + *clash);
    return SOAP_OK;
}

int DeviceBindingService::DeleteUsers(_tds__DeleteUsers* request, _tds__DeleteUsersResponse&) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "DeleteUsers")) return rc;
    if (request == nullptr || request->Username.empty()) return invalid_argument(soap, "ter:InvalidArgs", "No users given");
    if (auto unknown = connection.device.remove_users(request->Username))
        return invalid_argument(soap, "ter:UsernameMissing", "No such user: " + *unknown);
    return SOAP_OK;
}

int DeviceBindingService::SystemReboot(_tds__SystemReboot*, _tds__SystemRebootResponse& response) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "SystemReboot")) return rc;
    char message[64];
    std::snprintf(message, sizeof message, "Rebooting in %.1f seconds", connection.device.config().reboot_s);
    response.Message = message;
    soap->keep_alive = 0;  // the answer is the last thing this connection carries
    connection.host.reboot(connection.device);
    return SOAP_OK;
}

// ---------------------------------------------------------------- Media service (trt)

namespace {

const MediaProfile* find_profile(const Device& device, const _trt__GetStreamUri* request) {
    if (request == nullptr) return nullptr;
    for (const auto& profile : device.config().profiles)
        if (profile.token == request->ProfileToken) return &profile;
    return nullptr;
}

const MediaProfile* find_profile(const Device& device, const _trt__GetSnapshotUri* request) {
    if (request == nullptr) return nullptr;
    for (const auto& profile : device.config().profiles)
        if (profile.token == request->ProfileToken) return &profile;
    return nullptr;
}

void fill_uri(tt__MediaUri& uri, const std::string& value) {
    uri.Uri = value;
    uri.InvalidAfterConnect = false;
    uri.InvalidAfterReboot = false;
    uri.Timeout = "PT0S";
}

}  // namespace

int MediaBindingService::GetProfiles(_trt__GetProfiles*, _trt__GetProfilesResponse& response) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "GetProfiles")) return rc;
    for (const auto& profile : connection.device.config().profiles) {
        tt__Profile answer;
        answer.token = profile.token;
        answer.fixed = soap_new_bool(soap);
        *answer.fixed = true;
        answer.Name = profile.name;
        auto* encoder = soap_new_tt__VideoEncoderConfiguration(soap);
        encoder->token = "encoder_" + profile.token;
        encoder->Name = profile.name;
        encoder->UseCount = 1;
        encoder->Encoding = profile.encoding;
        encoder->Resolution = soap_new_tt__VideoResolution(soap);
        encoder->Resolution->Width = profile.width;
        encoder->Resolution->Height = profile.height;
        answer.VideoEncoderConfiguration = encoder;
        response.Profiles.push_back(answer);
    }
    return SOAP_OK;
}

int MediaBindingService::GetStreamUri(_trt__GetStreamUri* request, _trt__GetStreamUriResponse& response) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "GetStreamUri")) return rc;
    const MediaProfile* profile = find_profile(connection.device, request);
    if (profile == nullptr) return invalid_argument(soap, "ter:NoProfile", "No such profile");
    fill_uri(response.MediaUri, connection.device.rtsp_base() + profile->stream_path);
    return SOAP_OK;
}

int MediaBindingService::GetSnapshotUri(_trt__GetSnapshotUri* request, _trt__GetSnapshotUriResponse& response) {
    ConnectionContext& connection = connection_of(soap);
    if (int rc = connection.admit(soap, "GetSnapshotUri")) return rc;
    const MediaProfile* profile = find_profile(connection.device, request);
    if (profile == nullptr) return invalid_argument(soap, "ter:NoProfile", "No such profile");
    fill_uri(response.MediaUri, connection.device.http_base() + profile->snapshot_path);
    return SOAP_OK;
}
