// `sitelink verify`: the checklist that proves the customer's phone will reach the site, asked
// from outside rather than from the installer's laptop inside the LAN (where hairpin NAT and
// local DNS make a broken setup look fine). One line per check: pass or fail, the reason, the fix.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/error.h"
#include "router/router.h"
#include "site/site_db.h"
#include "verify/probe.h"

namespace sitelink::verify {

// Resolvers asked for the DDNS name when none are given: public ones, never the LAN's.
inline const std::vector<std::string> kPublicResolvers = {"1.1.1.1", "9.9.9.9"};

struct VerifyRequest {
    router::StatusRequest status;          // interface, IGD URL, what-is-my-IP
    std::vector<std::string> resolvers = kPublicResolvers;
    std::optional<ProbeServerRef> probe;   // none: the outside checks cannot run, and fail saying so
    std::chrono::milliseconds timeout{5000};
};

struct CheckLine {
    std::string id;       // external-address, ddns-provider, ddns-resolves, ddns-outside, probe, forward
    std::string subject;  // what was checked: "Front Door rtsp (external 24817)"
    std::string result;   // pass, fail, or skip (cannot be checked from outside, e.g. UDP)
    std::string reason;   // what was seen
    std::string fix;      // what to do; empty when passed
};

struct VerifyReport {
    std::string external_address;
    std::vector<CheckLine> checks;
    bool passed() const;
};

// Reads the router and the site's records, asks the resolvers and the probe server; changes
// nothing. Errors only when the site cannot be read or the interface is wrong.
Result<VerifyReport> verify_site(site::SiteDb& site, const VerifyRequest& request);

void to_json(nlohmann::json& j, const CheckLine& v);
void to_json(nlohmann::json& j, const VerifyReport& v);

}  // namespace sitelink::verify
