// The ONVIF operations Sitelink uses, one function each, named after the operation. Each takes a
// Session (auth, timeouts) and returns Sitelink's own types, so no gSOAP type leaks further.
// Request builders are separate so tests can check the exact XML a write sends.
#pragma once
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/error.h"
#include "onvif_client/session.h"

struct soap;
class _tds__SetNetworkInterfaces;
class _tds__SetNetworkDefaultGateway;
class _tds__SetDNS;
class _tds__SetNetworkProtocols;
class _tds__CreateUsers;
class tt__DateTime;

namespace sitelink::onvif_client {

struct DeviceClock {
    std::time_t device_utc = 0;  // what the device says UTC is now
    double offset_s = 0;         // device minus local clock
    bool from_utc = true;        // false when the device gave only local time
};

struct DeviceIdentity {
    std::string manufacturer, model, firmware, serial, hardware_id;
};

// The service addresses a device announces. Missing entries stay empty.
struct ServiceMap {
    std::string media;
    std::vector<ServiceEndpoint> all;
};

// Reads the clock unauthenticated (it is PRE_AUTH) and stores the offset in the session, so
// every later UsernameToken is dated in the device's time.
Result<DeviceClock> GetSystemDateAndTime(Session& session);
Result<DeviceIdentity> GetDeviceInformation(Session& session);
// Capabilities first (every device has it), then GetServices (newer devices) for the full list.
Result<ServiceMap> GetCapabilities(Session& session);
Result<std::vector<ServiceEndpoint>> GetServices(Session& session);
struct InterfaceState {
    std::string token;
    bool enabled = false;
    std::string mac;
    std::string address;
    int prefix = 0;
    bool dhcp = false;
};
Result<std::vector<InterfaceState>> GetNetworkInterfaces(Session& session);
Result<std::optional<std::string>> GetNetworkDefaultGateway(Session& session);
Result<std::vector<std::string>> GetDNS(Session& session);
Result<std::vector<ProtocolSetting>> GetNetworkProtocols(Session& session);
Result<std::vector<UserAccount>> GetUsers(Session& session);
Result<std::vector<MediaProfile>> GetProfiles(Session& session, const std::string& media_url);
Result<std::string> GetStreamUri(Session& session, const std::string& media_url, const std::string& profile_token);
Result<std::string> GetSnapshotUri(Session& session, const std::string& media_url, const std::string& profile_token);

// Writes. Each returns what the device answered; none is retried behind the caller's back.
// What SetNetworkInterfaces asks for: a manual address, or DHCP (address and prefix unused).
struct Ipv4Config {
    std::string interface_token;
    std::string address;
    int prefix = 24;
    bool dhcp = false;
};
struct NewUser {
    std::string username;
    std::string password;
    std::string level;  // Administrator, Operator, User
};
// Returns RebootNeeded: true means the device keeps its old address until SystemReboot.
Result<bool> SetNetworkInterfaces(Session& session, const Ipv4Config& config);
Result<Done> SetNetworkDefaultGateway(Session& session, const std::string& gateway);
Result<Done> SetDNS(Session& session, const std::vector<std::string>& servers);
Result<Done> SetNetworkProtocols(Session& session, const std::vector<ProtocolSetting>& protocols);
Result<Done> CreateUsers(Session& session, const std::vector<NewUser>& users);
Result<Done> DeleteUsers(Session& session, const std::vector<std::string>& usernames);
Result<std::string> SystemReboot(Session& session);

// A device's date and time as seconds since the epoch, read as UTC.
std::time_t to_time(const tt__DateTime& date_time);

namespace request {
_tds__SetNetworkInterfaces* set_network_interfaces(struct soap* soap, const Ipv4Config& config);
_tds__SetNetworkDefaultGateway* set_network_default_gateway(struct soap* soap, const std::string& gateway);
_tds__SetDNS* set_dns(struct soap* soap, const std::vector<std::string>& servers);
// Unknown protocol names give nullptr.
_tds__SetNetworkProtocols* set_network_protocols(struct soap* soap, const std::vector<ProtocolSetting>& protocols);
// Unknown user levels give nullptr.
_tds__CreateUsers* create_users(struct soap* soap, const std::vector<NewUser>& users);
}  // namespace request

}  // namespace sitelink::onvif_client
