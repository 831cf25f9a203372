// One simulated camera: its fixed identity (from the config) and the state its ONVIF clients can
// change (address, gateway, DNS, protocols, users, reboot). Worker threads serving HTTP, RTSP and
// HTTPS and the event loop all touch the state, so it sits behind one mutex and is handed out by copy.
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"

namespace simcam {

// What a device answers on, each on its own TCP port: ONVIF over HTTP on the configured port,
// RTSP and HTTPS on the ports its NetworkProtocols say, and a vendor app port (app_port_service.h)
// on each of the config's app_ports.
enum class Service { Onvif, Rtsp, Https, App };

// One listening socket of a device. A device has one for each of ONVIF, RTSP and HTTPS, in that
// order, then one App listener for each config app_ports entry, in the config's order.
struct Listener {
    Service service = Service::Onvif;
    int fd = -1;   // -1 while closed
    int port = 0;  // what fd is bound to
};

struct Ipv4Assignment {
    in_addr address{};
    int prefix = 24;
};

struct NetworkSettings {
    Ipv4Assignment ipv4;
    bool dhcp = false;
    std::vector<std::string> gateways;
    bool dns_from_dhcp = false;
    std::vector<std::string> dns;
    std::vector<std::string> search_domains;
    NetworkProtocols protocols;
};

// What a WS-Discovery message about the device carries, taken at one instant.
struct DiscoveryRecord {
    std::string endpoint;
    std::string scopes;  // space separated
    std::string xaddrs;
    unsigned metadata_version = 1;
    unsigned instance_id = 1;      // AppSequence: changes on every (simulated) boot
    unsigned message_number = 1;   // AppSequence: counts messages within one boot
    in_addr address{};
};

class Device {
  public:
    Device(std::size_t index, DeviceConfig config, unsigned boot_instance);

    std::size_t index() const { return index_; }
    const DeviceConfig& config() const { return config_; }  // fields that never change at runtime
    const std::string& realm() const { return realm_; }     // HTTP Digest realm, unique per device
    const std::string& scopes() const { return fixed_scopes_; }  // WS-Discovery scopes, space separated
    // The JPEG served at a profile's snapshot_path (made at construction), or null for another path.
    const std::string* snapshot_at(std::string_view path) const;

    // The device's own clock: real UTC plus the configured offset, like a camera whose clock drifted.
    std::chrono::system_clock::time_point now() const {
        return std::chrono::system_clock::now() + std::chrono::seconds(config_.clock_offset_s);
    }

    // ---- state, thread safe
    NetworkSettings network() const;
    in_addr address() const;
    std::string device_xaddr() const;  // http://<ip>[:port]/onvif/device_service, current address
    std::string media_xaddr() const;
    std::string http_base() const;     // http://<ip>[:port]
    std::string rtsp_base() const;     // rtsp://<ip>:<rtsp port>
    bool is_silent() const;            // rebooting: no listeners, no discovery answers

    std::vector<UserAccount> users() const;
    std::optional<UserAccount> find_user(const std::string& username) const;
    // Adds all or none; on a clash returns the clashing name.
    std::optional<std::string> add_users(const std::vector<UserAccount>& users);
    // Removes all or none; when one is unknown returns its name.
    std::optional<std::string> remove_users(const std::vector<std::string>& usernames);

    void set_gateways(std::vector<std::string> gateways);
    void set_dns(bool from_dhcp, std::vector<std::string> servers, std::vector<std::string> search_domains);
    void set_protocols(NetworkProtocols protocols);
    void set_dhcp(bool dhcp);

    // A SetNetworkInterfaces that waits for SystemReboot.
    void set_pending_address(Ipv4Assignment assignment);
    std::optional<Ipv4Assignment> take_pending_address();
    // The device now lives at `assignment`; bumps the discovery metadata version.
    void commit_address(Ipv4Assignment assignment);

    void begin_reboot();  // silent from now on, next boot gets a new AppSequence instance
    void end_reboot();

    // Takes a message number, so call once per message sent.
    DiscoveryRecord discovery_record();

    // ---- loop thread only
    std::vector<Listener>& listeners() { return listeners_; }

  private:
    std::string host_part_locked() const;  // <ip>[:port]

    const std::size_t index_;
    const DeviceConfig config_;
    const std::string realm_;
    const std::string fixed_scopes_;
    const std::vector<std::string> snapshots_;  // one per profile, in config_.profiles order

    mutable std::mutex mutex_;
    NetworkSettings network_;
    std::optional<Ipv4Assignment> pending_address_;
    std::vector<UserAccount> users_;
    bool silent_ = false;
    unsigned metadata_version_ = 1;
    unsigned instance_id_;
    unsigned message_number_ = 0;

    std::vector<Listener> listeners_;  // loop thread only; the set is fixed at construction
};

// Percent-encodes everything but RFC 3986 unreserved characters, for scope values.
std::string url_encode(const std::string& text);

}  // namespace simcam
