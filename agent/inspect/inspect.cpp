#include "inspect/inspect.h"

#include <cmath>

#include "core/net.h"
#include "onvif_client/operations.h"

namespace sitelink::inspect {

using namespace onvif_client;

namespace {
constexpr const char* kMediaNamespace = "http://www.onvif.org/ver10/media/wsdl";

void warn(DeviceReport& report, const Error& error) { report.warnings.push_back(error.summary()); }
}  // namespace

Result<std::string> device_service_url(const std::string& target) {
    if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
        if (url_host(target).empty()) return Error{ErrorCode::Usage, target, "the URL has no host", ""};
        return target;
    }
    const auto colon = target.rfind(':');
    const std::string host = colon == std::string::npos ? target : target.substr(0, colon);
    const std::string port = colon == std::string::npos ? "" : target.substr(colon + 1);
    const bool port_ok = port.empty() || (port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos &&
                                          std::stoi(port) > 0 && std::stoi(port) < 65536);
    if (!Ipv4::parse(host) || !port_ok)
        return Error{ErrorCode::Usage, target, "expected an IPv4 address, address:port, or http(s) URL", ""};
    return "http://" + target + "/onvif/device_service";
}

Result<DeviceReport> inspect(const InspectRequest& request) {
    auto url = device_service_url(request.target);
    if (!url) return url.error();
    Session session(url.value(), request.credentials, SessionOptions{request.timeout});
    DeviceReport report;
    report.url = url.value();

    auto clock = GetSystemDateAndTime(session);
    if (!clock) return clock.error();
    report.clock_offset_s = std::round(clock->offset_s);
    if (!clock->from_utc) report.warnings.push_back(session.label() + ": the device gives only local time; clock offset may include its time zone");

    auto identity = GetDeviceInformation(session);
    if (!identity) return identity.error();
    report.manufacturer = identity->manufacturer;
    report.model = identity->model;
    report.firmware = identity->firmware;
    report.serial = identity->serial;
    report.hardware_id = identity->hardware_id;
    report.auth = to_string(session.auth_method());

    std::string media_url;
    if (auto caps = GetCapabilities(session)) media_url = caps->media;
    else warn(report, caps.error());
    if (auto services = GetServices(session)) {
        report.services = services.value();
        for (const auto& s : report.services)
            if (media_url.empty() && s.ns == kMediaNamespace) media_url = s.xaddr;
    } else {
        warn(report, services.error());
    }

    if (auto interfaces = GetNetworkInterfaces(session)) {
        const std::string host = session.label();
        const InterfaceState* chosen = nullptr;
        for (const auto& nic : interfaces.value())
            if (nic.address == host) chosen = &nic;
        for (const auto& nic : interfaces.value())
            if (!chosen && nic.enabled) chosen = &nic;
        if (chosen) {
            report.mac = chosen->mac;
            report.network.address = chosen->address;
            report.network.prefix = chosen->prefix;
            report.network.dhcp = chosen->dhcp;
            report.network.interface_token = chosen->token;
        }
    } else {
        warn(report, interfaces.error());
    }
    if (auto gateway = GetNetworkDefaultGateway(session)) report.network.gateway = gateway.value();
    else warn(report, gateway.error());
    if (auto dns = GetDNS(session)) report.network.dns = dns.value();
    else warn(report, dns.error());
    if (auto protocols = GetNetworkProtocols(session)) report.protocols = protocols.value();
    else warn(report, protocols.error());
    if (auto users = GetUsers(session)) report.users = users.value();
    else warn(report, users.error());

    if (media_url.empty()) {
        report.warnings.push_back(session.label() + ": the device announces no media service; no streams to read");
        return report;
    }
    auto profiles = GetProfiles(session, media_url);
    if (!profiles) {
        warn(report, profiles.error());
        return report;
    }
    for (auto& profile : profiles.value()) {
        if (auto uri = GetStreamUri(session, media_url, profile.token)) profile.stream_uri = uri.value();
        else warn(report, uri.error());
        if (auto uri = GetSnapshotUri(session, media_url, profile.token)) profile.snapshot_uri = uri.value();
        else warn(report, uri.error());
        report.profiles.push_back(std::move(profile));
    }
    return report;
}

}  // namespace sitelink::inspect
