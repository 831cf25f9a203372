// The router's UPnP Internet Gateway Device, through miniupnpc. One object per router, used from
// one thread. Every call names the router in its errors and keeps the UPnP error code
// ("UPnP 718 ConflictInMappingEntry") so the caller can tell a conflict from secure mode.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/net.h"

namespace sitelink::router {

// A port mapping as the router holds it.
struct PortMapping {
    std::string protocol;  // "TCP" or "UDP"
    int external_port = 0;
    std::string internal_client;
    int internal_port = 0;
    std::string description;
    bool enabled = true;
    int lease_s = 0;  // remaining seconds; 0 = permanent
};

// What the router says about itself in its UPnP description.
struct RouterIdentity {
    std::string friendly_name;
    std::string manufacturer;
    std::string model;  // model name and number
    std::string description_url;
    std::string control_url;
    std::string service_type;  // urn:schemas-upnp-org:service:WANIPConnection:2, ...
    int igd_version = 1;       // 2 for IGD:2 (AddAnyPortMapping, lease limits)
    std::string our_address;   // the laptop's address as the router sees it
    std::string label() const;  // "SiteSim Router (192.168.77.1)"
};

// UPnP error codes (UPnP-arch-DeviceArchitecture and WANIPConnection:2) Sitelink acts on.
namespace upnp_error {
constexpr int ActionNotAuthorized = 606;        // IGD:2 access control; secure mode on some routers
constexpr int NoSuchEntryInArray = 714;
constexpr int ConflictInMappingEntry = 718;     // port taken, or secure mode refusing another host
constexpr int SamePortValuesRequired = 724;
constexpr int OnlyPermanentLeasesSupported = 725;
constexpr int NoPortMapsAvailable = 728;
}  // namespace upnp_error

// IGD:2 leases are at most a week; 0 there means "as long as allowed", which is this.
constexpr int kIgd2MaxLeaseSeconds = 604800;

class Igd {
public:
    // Finds the IGD on the interface: SSDP search sent only there (wait: how long to listen), or
    // the root description URL the installer gave. The router must be on the interface's subnet.
    static Result<Igd> find(const NetworkInterface& nic, const std::optional<std::string>& description_url,
                            std::chrono::milliseconds wait = std::chrono::milliseconds(2000));
    Igd(Igd&&) noexcept;
    Igd& operator=(Igd&&) noexcept;
    ~Igd();

    const RouterIdentity& identity() const { return identity_; }

    // "Connected", "Disconnected", ...
    Result<std::string> connection_status();
    // The external address as the router reports it; empty when the router does not say.
    Result<std::string> external_address();
    // Every mapping: the IGD:2 list if the router has it, else the index walk.
    Result<std::vector<PortMapping>> mappings();
    // The mapping on this external port, if there is one.
    Result<std::optional<PortMapping>> mapping(int external_port, const std::string& protocol);
    // AddPortMapping; the error keeps the UPnP code in protocol_code and upnp_code().
    Result<Done> add(const PortMapping& mapping);
    // IGD:2 AddAnyPortMapping: the router may pick another external port; returns the one reserved.
    Result<int> add_any(const PortMapping& mapping);
    Result<Done> remove(int external_port, const std::string& protocol);

    // The UPnP error code an error from this class carries, or 0.
    static int upnp_code(const Error& error);

private:
    struct State;
    explicit Igd(std::unique_ptr<State> state);
    Error refused(const std::string& action, int code) const;

    std::unique_ptr<State> state_;
    RouterIdentity identity_;
};

}  // namespace sitelink::router
