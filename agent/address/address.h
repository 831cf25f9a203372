// Stage 3 of the flow: give every camera and recorder a fixed address outside the DHCP pool.
// Entry points: plan_addresses() learns the site's network and the devices and proposes addresses;
// apply_plan() carries the saved plan out, device by device, verified and rolled back on failure;
// resume() finishes a batch that was interrupted; undo() puts back the addresses devices came with.
// Every write to a device is journaled in the site database before it is sent.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/net.h"
#include "core/profiles.h"
#include "onvif_client/session.h"
#include "site/site_db.h"

namespace sitelink::address {

// The DHCP server's range. Sitelink never hands out an address inside it.
struct DhcpPool {
    Ipv4 first;
    Ipv4 last;
    std::string source;  // "installer" (--dhcp-pool) or "inferred" (from what DHCP handed out)
    bool contains(Ipv4 address) const { return first <= address && address <= last; }
};

// "192.168.1.100-192.168.1.199", as the installer gives it; nothing for anything else.
std::optional<DhcpPool> parse_dhcp_pool(const std::string& text);

// The site's IPv4 network as seen from the chosen interface.
struct SiteNetwork {
    std::string interface;
    Ipv4Subnet subnet;
    Ipv4 agent_address;
    std::optional<Ipv4> gateway;
    std::vector<Ipv4> dns;
    std::optional<Ipv4> dhcp_server;
    std::optional<DhcpPool> pool;
    std::vector<std::string> notes;  // how each fact was learned, and what is uncertain
};
void to_json(nlohmann::json& j, const SiteNetwork& v);
void from_json(const nlohmann::json& j, SiteNetwork& v);

// What the planner needs to know about one device.
struct PlanInput {
    site::SiteDevice device;
    std::optional<Error> unusable;  // why it cannot be changed (could not log in, ...)
};

// How the installer steers the plan.
struct PlanChoices {
    std::optional<Ipv4> first_address;      // where fixed addresses start
    std::map<std::string, Ipv4> overrides;  // device (key, MAC, serial, name or current address) -> address
};

// The pure part of planning: which device gets which address. Recorders first, then cameras by
// name; a device that already has a fixed address outside the pool keeps it. `taken` holds
// addresses other hosts answer at. Errors only for overrides that break a rule (named).
Result<std::vector<site::PlannedAddress>> assign_addresses(const SiteNetwork& network, const std::vector<PlanInput>& devices,
                                                           const PlanChoices& choices, const std::vector<Ipv4>& taken);

// Guesses the pool from addresses DHCP is known to have handed out: the hundreds of the last octet
// around them (.100-.199 for .111 and .150; whole /24s in larger subnets), which is how consumer
// routers lay out their defaults. An inferred pool is a guess, and the plan says so.
DhcpPool infer_pool(const Ipv4Subnet& subnet, const std::vector<Ipv4>& handed_out);

struct PlanRequest {
    std::string interface;
    onvif_client::CredentialBook credentials;
    std::optional<DhcpPool> dhcp_pool;  // the installer's word beats any inference
    PlanChoices choices;
    std::vector<MdnsServiceProfile> mdns_services;
    std::chrono::milliseconds timeout{5000};  // per ONVIF call
    bool check_conflicts = true;
};

struct PlanLine {
    site::SiteDevice device;
    site::PlannedAddress planned;
};

struct AddressPlan {
    SiteNetwork network;
    std::vector<PlanLine> lines;
    std::vector<std::string> in_use;  // "192.168.1.20 (aa:bb:..)": other hosts the conflict check found
};
void to_json(nlohmann::json& j, const AddressPlan& v);

using NoteSink = std::function<void(const std::string&)>;

// Discovers and inspects the devices on the interface, learns the network (interface, routes,
// a DHCPDISCOVER that takes no lease), checks proposed addresses are free, saves it all in the site.
Result<AddressPlan> plan_addresses(const PlanRequest& request, site::SiteDb& site, const NoteSink& note = {});
// The saved plan, for showing it again.
Result<AddressPlan> saved_plan(site::SiteDb& site);

// Progress of one device through a batch: queued, checking, writing, rebooting, waiting,
// verifying, rolling-back, done, failed, rolled-back, lost.
struct DeviceEvent {
    std::string device_key;
    std::string label;
    std::string step;
    std::string detail;
    int finished = 0;  // devices finished in the batch so far
    int total = 0;
};
using EventSink = std::function<void(const DeviceEvent&)>;

struct ApplyRequest {
    onvif_client::CredentialBook credentials;
    // Devices talked to at the same moment. A device waiting for its reboot does not count, so
    // reboots overlap freely (up to 256 devices in flight).
    int parallel = 32;
    std::chrono::milliseconds call_timeout{5000};
    std::chrono::milliseconds come_back_timeout{std::chrono::seconds(180)};  // reboot and answer again
    std::chrono::milliseconds poll_interval{500};
    bool check_conflicts = true;
};

struct DeviceResult {
    std::string device_key;
    std::string label;
    std::string from;  // address before
    std::string to;    // address after (the target)
    site::ChangeState state = site::ChangeState::Pending;
    std::string outcome;
    std::optional<Error> error;
    double seconds = 0;
};
void to_json(nlohmann::json& j, const DeviceResult& v);

struct BatchOutcome {
    std::int64_t batch = 0;
    std::vector<DeviceResult> results;
    bool all_done() const;
};

Result<BatchOutcome> apply_plan(site::SiteDb& site, const ApplyRequest& request, const EventSink& events = {});
// Finishes the newest batch with unfinished changes: each device is found (at its new address,
// its old one, or by discovery), then verified, carried on, or rolled back.
Result<BatchOutcome> resume(site::SiteDb& site, const ApplyRequest& request, const EventSink& events = {});
// Gives every device the network settings it had before Sitelink first changed it.
Result<BatchOutcome> undo(site::SiteDb& site, const ApplyRequest& request, const EventSink& events = {});

}  // namespace sitelink::address
