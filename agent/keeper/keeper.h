// After the installer leaves, something on site must keep it reachable: UPnP leases run out
// (IGD:2 allows a week at most), routers forget mappings when they restart, and the ISP changes
// the address the DDNS name points at. One keeper pass reads the router, renews the leases of the
// mappings Sitelink added and re-adds those the router lost, then points the DDNS name at the
// site's address if it changed. `sitelink keeper` runs passes on a timer (systemd unit in
// packaging/); who owns what is recorded in the site, for the hand-off sheet.
#pragma once
#include <optional>
#include <string>

#include "core/error.h"
#include "core/profiles.h"
#include "ddns/ddns.h"
#include "router/router.h"
#include "site/site_db.h"

namespace sitelink::keeper {

struct KeeperRequest {
    router::StatusRequest status;         // interface, IGD description URL, what-is-my-IP
    int renew_within_s = 2 * 24 * 3600;   // renew a lease with less than this left
    std::chrono::milliseconds timeout{10000};
};

struct PassReport {
    std::string external_address;   // what the DDNS name should point at; empty if unknown
    std::string nat_verdict;        // public, cgnat, ...
    std::optional<router::ForwardOutcome> forwards;  // none: no forwards were ever added
    std::optional<Error> forward_error;
    std::optional<ddns::UpdateOutcome> ddns;         // none: the site has no DDNS name
    std::optional<Error> ddns_error;
    std::string summary;            // one line: what was done, what is wrong

    bool healthy() const;           // every mapping in place and the name current
};

// One pass. Errors only for a site that cannot be read; trouble with the router or the provider
// is in the report, and the next pass tries again.
Result<PassReport> keep_once(site::SiteDb& site, const Profiles& profiles, const KeeperRequest& request,
                             const router::RuleSink& events = {});

// Who keeps what fresh, from what the site records: the DDNS name (its settings' owner), the
// leases (the keeper when any mapping has a lease, else the router holds them for good), and the
// keeper seen last (the site fact "keeper", written by every pass).
struct Owners {
    std::string ddns;        // "keeper", "manual", "device <label>", or "" when the site has no name
    std::string leases;      // "keeper", "router" (permanent mappings), or "" when nothing is forwarded
    std::string keeper_host; // where a keeper last ran, and when; "" if never
};
Result<Owners> owners(site::SiteDb& site);

}  // namespace sitelink::keeper
