// Stage 4 of the flow: the site's router.
// Entry points: router_status() finds the router's UPnP IGD on the chosen interface and says
// whether port forwarding can make the site reachable at all (public address, carrier-grade NAT,
// double NAT, UPnP off); plan_forwarding() decides which device services to open and on which
// external ports; apply_forwarding() opens them over UPnP, journaled and read back, and hands
// over to a manual guide when the router refuses; undo_forwarding() removes exactly what
// Sitelink added, and nothing else.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/error.h"
#include "core/net.h"
#include "core/profiles.h"
#include "onvif_client/session.h"
#include "router/igd.h"
#include "site/site_db.h"

namespace sitelink::router {

// ---------------------------------------------------------------- NAT diagnosis

enum class NatVerdict {
    Public,           // the router holds a public address: forwarding works
    CarrierGradeNat,  // the ISP shares one public address between customers (100.64.0.0/10)
    DoubleNat,        // another NAT device sits between the router and the internet
    UpnpOff,          // no UPnP router answered: nothing can be read or opened automatically
    Unknown,          // the router answered but its external address says nothing certain
};
std::string to_string(NatVerdict verdict);  // public, cgnat, double-nat, upnp-off, unknown

struct NatDiagnosis {
    NatVerdict verdict = NatVerdict::Unknown;
    bool forwarding_can_work = false;
    std::string explanation;  // one sentence: why
    std::string next_step;    // one sentence: what to do
};

// The rule, in one place: what the router's external address (from UPnP or NAT-PMP) and the
// address the internet sees (what-is-my-IP) say about the site.
// upstream_hop: the second hop toward the internet (the box in front of the router), used when
// the router does not say its own address.
NatDiagnosis diagnose_nat(bool router_found, const std::optional<Ipv4>& router_external,
                          const std::optional<Ipv4>& seen_from_outside, const std::optional<Ipv4>& upstream_hop = std::nullopt);

struct StatusRequest {
    std::string interface;
    std::optional<std::string> description_url;  // the IGD's root description; skips SSDP
    std::optional<std::string> ip_echo_url;      // what-is-my-IP service, asked through the interface
    std::chrono::milliseconds discovery_wait{2000};
};

struct RouterStatus {
    std::string interface;
    std::optional<RouterIdentity> router;
    std::optional<Error> router_error;            // why no router was found
    std::string connection_status;                // "Connected", ...
    std::string external_address;                 // as the router reports it over UPnP ("" if not)
    std::string natpmp_external_address;          // as the router reports it over NAT-PMP
    std::string public_address;                   // as the what-is-my-IP service saw the site
    std::string upstream_hop;                     // the second hop toward the what-is-my-IP host
    std::vector<PortMapping> mappings;            // every mapping the router lists
    std::vector<std::string> lost;                // mappings Sitelink added that the router no longer has
    NatDiagnosis nat;
    std::vector<std::string> notes;               // how each fact was learned; what failed
};

// Fails only for a bad interface; a missing router is a verdict, not an error. With a site, the
// mappings Sitelink added are compared with the router's list (a router restart loses them).
Result<RouterStatus> router_status(const StatusRequest& request, site::SiteDb* site = nullptr);

// Whether an address can be a site's address on the internet: not private (RFC 1918), not
// carrier-grade NAT (RFC 6598), not reserved (RFC 6890).
bool is_public(Ipv4 address);

// The address the site is reached at from outside, for its DDNS name: the router's own (UPnP,
// then NAT-PMP) when it is public, else the one the internet saw. Empty when neither is known.
std::string site_external_address(const RouterStatus& status);

// ---------------------------------------------------------------- forwarding plan

// One port to open: a service of a device, reached from outside on external_port.
struct ForwardRule {
    std::string device_key;
    std::string device;          // the device's label, for people
    std::string service;         // rtsp, https, http, or the vendor's app port name
    std::string protocol;        // TCP or UDP
    std::string internal_client; // the device's address
    int internal_port = 0;
    int external_port = 0;
    std::string purpose;         // why it is opened, in words
};

// Ports that are never opened without an explicit override, with the reason.
std::optional<std::string> denied_port(int port, const std::string& protocol);

struct ForwardChoices {
    std::set<std::string> add_http;             // devices (key, name, address, MAC) to expose plain HTTP for
    std::vector<std::string> extra;             // "DEVICE=PORT[/tcp|udp]": more ports to open
    std::set<int> allow_denied;                 // denied ports the installer explicitly allows
    std::set<std::string> exclude;              // devices to leave closed
};

// What a device offers, read from it (GetNetworkProtocols) and its vendor profile.
struct DeviceServices {
    site::SiteDevice device;
    std::vector<ProtocolSetting> protocols;
    std::optional<Error> unreadable;  // why its services could not be read
};

struct ForwardPlan {
    std::vector<ForwardRule> rules;
    std::vector<std::string> skipped;  // "Front Door: HTTP not opened (plain text); ..." and why
};

// The pure part: which services of which device, on which external port. Ports of an earlier
// plan are kept for the same device and service; new ones are drawn by pick_port (random high
// ports by default) and never collide. Errors name the choice that breaks a rule.
Result<ForwardPlan> build_forward_plan(const std::vector<DeviceServices>& devices, const Profiles& profiles,
                                       const ForwardChoices& choices, const std::vector<ForwardRule>& earlier,
                                       const std::function<int()>& pick_port);
// A random port in the range Sitelink uses for external ports (20000-32767: above well-known
// services, below Linux's ephemeral range).
int random_external_port();

struct ForwardPlanRequest {
    onvif_client::CredentialBook credentials;
    std::chrono::milliseconds timeout{5000};
    ForwardChoices choices;
};

// Reads the site's devices (recorded by `sitelink address plan`) for their services, plans, saves.
Result<ForwardPlan> plan_forwarding(const ForwardPlanRequest& request, site::SiteDb& site, const Profiles& profiles);
Result<ForwardPlan> saved_forward_plan(site::SiteDb& site);

// ---------------------------------------------------------------- apply, undo, guide

// One rule's way through apply or undo: checking, adding, added, moved (another external port),
// refused, failed, removing, removed, gone, kept, renewing, renewed.
struct RuleEvent {
    ForwardRule rule;
    std::string step;
    std::string detail;
};
using RuleSink = std::function<void(const RuleEvent&)>;

struct ForwardRequest {
    std::string interface;
    std::optional<std::string> description_url;
    int lease_s = 0;  // 0: as long as the router allows (IGD:1 permanent, IGD:2 a week, renewed by the keeper)
    std::chrono::milliseconds discovery_wait{2000};
    // The keeper's pass: only rules Sitelink added on this router are touched (re-added if the
    // router lost them), and leases with fewer seconds left than renew_within_s are renewed.
    bool only_added = false;
    int renew_within_s = 0;
};

struct RuleResult {
    ForwardRule rule;
    std::string state;  // added, refused (set it by hand), failed, removed, gone, kept, renewed
    std::optional<Error> error;
};

struct ForwardOutcome {
    std::optional<RouterIdentity> router;
    std::vector<RuleResult> results;
    bool secure_mode = false;       // the router maps ports only to the asking host
    std::optional<Error> no_router; // UPnP absent: every rule goes to the manual guide
    int count(const std::string& state) const;
};

Result<ForwardOutcome> apply_forwarding(site::SiteDb& site, const ForwardRequest& request, const RuleSink& events = {});
Result<ForwardOutcome> undo_forwarding(site::SiteDb& site, const ForwardRequest& request, const RuleSink& events = {});

// The router the site last saw (site fact "router"), for picking the guide's router family.
std::optional<RouterIdentity> saved_router(site::SiteDb& site);
Result<Done> remember_router(site::SiteDb& site, const RouterIdentity& router);

// The router family whose profile matches the router's description; the generic one otherwise.
const RouterProfile& router_profile_for(const Profiles& profiles, const std::optional<RouterIdentity>& router);
// Step-by-step instructions for setting the rules by hand on this router family.
std::string manual_guide(const std::vector<ForwardRule>& rules, const RouterProfile& profile, const std::string& gateway);
// "Advanced > NAT Forwarding > UPnP"
std::string menu_path(const std::vector<std::string>& menu);
// How to remove rules that were set by hand.
std::string removal_guide(const std::vector<ForwardRule>& rules, const RouterProfile& profile, const std::string& gateway);

void to_json(nlohmann::json& j, const ForwardRule& v);
void from_json(const nlohmann::json& j, ForwardRule& v);
void to_json(nlohmann::json& j, const PortMapping& v);
void to_json(nlohmann::json& j, const RouterIdentity& v);
void from_json(const nlohmann::json& j, RouterIdentity& v);
void to_json(nlohmann::json& j, const RouterStatus& v);

}  // namespace sitelink::router
