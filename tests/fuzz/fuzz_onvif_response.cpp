// libFuzzer target: ONVIF answers as Sitelink's session reads them, HTTP header included. The
// first input byte picks the operation; the rest is what the device sent. The answer is read
// from memory with the generated recv_X of a proxy on one reused context with the HTTP Digest
// plugin, as onvif_client/Session does, and then read the way onvif_client/operations.cpp does.
// Only recv_X: nothing here ever connects (the generated X(url, ...) and send_X would).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <sstream>
#include <string>

#include "context.h"
#include "core/device.h"
#include "core/net.h"
#include "httpda.h"
#include "onvif_client/operations.h"
#include "soapDeviceBindingProxy.h"
#include "soapMediaBindingProxy.h"

namespace {

std::size_t total = 0;
void use(const std::string& s) { total += s.size(); }
void use(const std::string* s) {
    if (s) use(*s);
}

struct soap* context() {
    static struct soap* soap = [] {
        struct soap* s = onvif::new_context();
        soap_register_plugin(s, http_da);
        return s;
    }();
    return soap;
}

constexpr const char* kDeviceUrl = "http://10.123.0.5/onvif/device_service";

// Reads one answer the way the agent's operations do: a generated proxy on the shared context.
template <class Proxy, class Response, class Read>
int read_answer(struct soap* soap, int (Proxy::*recv)(Response&), Read read) {
    Proxy proxy(soap);
    onvif::use_sitelink_namespaces(soap);
    Response response;
    const int rc = (proxy.*recv)(response);
    if (rc == SOAP_OK) read(response);
    return rc;
}

int receive(struct soap* soap, uint8_t op) {
    switch (op % 13) {
        case 0:
            return read_answer(soap, &DeviceBindingProxy::recv_GetDeviceInformation,
                          [](const _tds__GetDeviceInformationResponse& r) {
                              use(r.Manufacturer), use(r.Model), use(r.FirmwareVersion), use(r.SerialNumber),
                                  use(r.HardwareId);
                          });
        case 1:
            return read_answer(soap, &DeviceBindingProxy::recv_GetNetworkInterfaces,
                          [](const _tds__GetNetworkInterfacesResponse& r) {
                              for (const auto& nic : r.NetworkInterfaces) {
                                  use(nic.token);
                                  total += nic.Enabled;
                                  if (nic.Info) use(sitelink::normalize_mac(nic.Info->HwAddress));
                                  if (nic.IPv4) {
                                      const auto& cfg = nic.IPv4->Config;
                                      const tt__PrefixedIPv4Address* current = nullptr;
                                      if (cfg.DHCP && cfg.FromDHCP) current = cfg.FromDHCP;
                                      else if (!cfg.Manual.empty()) current = &cfg.Manual.front();
                                      else if (cfg.FromDHCP) current = cfg.FromDHCP;
                                      if (current) use(current->Address), total += current->PrefixLength;
                                  }
                              }
                          });
        case 2:
            return read_answer(soap, &DeviceBindingProxy::recv_GetSystemDateAndTime,
                          [](const _tds__GetSystemDateAndTimeResponse& r) {
                              const auto& sdt = r.SystemDateAndTime;
                              if (sdt.UTCDateTime) total += static_cast<std::size_t>(sitelink::onvif_client::to_time(*sdt.UTCDateTime));
                              else if (sdt.LocalDateTime) total += static_cast<std::size_t>(sitelink::onvif_client::to_time(*sdt.LocalDateTime));
                          });
        case 3:
            return read_answer(soap, &MediaBindingProxy::recv_GetProfiles, [](const _trt__GetProfilesResponse& r) {
                for (const auto& p : r.Profiles) {
                    use(p.token), use(p.Name);
                    if (const auto* vec = p.VideoEncoderConfiguration) {
                        use(vec->Encoding);
                        if (vec->Resolution) total += vec->Resolution->Width + vec->Resolution->Height;
                    }
                }
            });
        case 4:
            return read_answer(soap, &MediaBindingProxy::recv_GetStreamUri,
                         [](const _trt__GetStreamUriResponse& r) { use(r.MediaUri.Uri); });
        case 5:
            return read_answer(soap, &MediaBindingProxy::recv_GetSnapshotUri,
                         [](const _trt__GetSnapshotUriResponse& r) { use(r.MediaUri.Uri); });
        case 6:
            return read_answer(soap, &DeviceBindingProxy::recv_GetCapabilities, [](const _tds__GetCapabilitiesResponse& r) {
                if (r.Capabilities.Media) use(sitelink::on_device_host(r.Capabilities.Media->XAddr, kDeviceUrl));
            });
        case 7:
            return read_answer(soap, &DeviceBindingProxy::recv_GetServices, [](const _tds__GetServicesResponse& r) {
                for (const auto& s : r.Service)
                    use(s.Namespace), use(sitelink::on_device_host(s.XAddr, kDeviceUrl)),
                        total += static_cast<std::size_t>(s.Version.Major + s.Version.Minor);
            });
        case 8:
            return read_answer(soap, &DeviceBindingProxy::recv_GetDNS, [](const _tds__GetDNSResponse& r) {
                const auto& info = r.DNSInformation;
                for (const auto& a : info.FromDHCP ? info.DNSFromDHCP : info.DNSManual)
                    if (a.IPv4Address) use(a.IPv4Address);
                    else if (a.IPv6Address) use(a.IPv6Address);
            });
        case 9:
            return read_answer(soap, &DeviceBindingProxy::recv_GetNetworkDefaultGateway,
                          [](const _tds__GetNetworkDefaultGatewayResponse& r) {
                              if (!r.NetworkGateway.IPv4Address.empty()) use(r.NetworkGateway.IPv4Address.front());
                          });
        case 10:
            return read_answer(soap, &DeviceBindingProxy::recv_GetNetworkProtocols,
                          [](const _tds__GetNetworkProtocolsResponse& r) {
                              for (const auto& p : r.NetworkProtocols) {
                                  total += std::strlen(soap_tt__NetworkProtocolType2s(nullptr, p.Name)) + p.Enabled;
                                  for (int port : p.Port) total += static_cast<std::size_t>(port);
                              }
                          });
        case 11:
            return read_answer(soap, &DeviceBindingProxy::recv_GetUsers, [](const _tds__GetUsersResponse& r) {
                for (const auto& u : r.User) use(u.Username), total += std::strlen(soap_tt__UserLevel2s(nullptr, u.UserLevel));
            });
        default:
            return read_answer(soap, &DeviceBindingProxy::recv_SetNetworkInterfaces,
                          [](const _tds__SetNetworkInterfacesResponse& r) { total += r.RebootNeeded; });
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    struct soap* soap = context();
    onvif::reset_for_next_call(soap);
    std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
    soap->is = &in;
    const int rc = receive(soap, data[0]);
    if (rc != SOAP_OK) {
        // What Session does with a failed answer: read the fault, and save a Digest challenge.
        if (const char* subcode = soap_fault_subcode(soap)) use(std::string(subcode));
        if (const char* reason = soap_fault_string(soap)) use(std::string(reason));
        const char** code = soap_faultcode(soap);
        if (code && *code) use(std::string(*code));
        if (rc == 401 && onvif::has_digest_challenge(soap)) {
            http_da_info info{};
            http_da_save(soap, &info, soap->authrealm, "admin", "admin");
            http_da_release(soap, &info);
        }
    }
    soap->is = nullptr;
    volatile std::size_t sink = total;
    (void)sink;
    return 0;
}
