#include "keeper/keeper.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/clock.h"

namespace sitelink::keeper {

namespace {

std::string hostname() {
    std::array<char, 256> name{};
    return ::gethostname(name.data(), name.size() - 1) == 0 ? name.data() : "unknown host";
}

bool has_added_forwards(const std::vector<site::ForwardRecord>& records) {
    return std::any_of(records.begin(), records.end(), [](const site::ForwardRecord& r) { return r.state == "added" || r.state == "adding"; });
}

std::string summarize(const PassReport& r) {
    std::string text = "address " + (r.external_address.empty() ? std::string("unknown") : r.external_address);
    if (r.forwards) {
        const auto& f = *r.forwards;
        text += "; mappings: " + std::to_string(f.count("kept")) + " in place, " + std::to_string(f.count("renewed")) + " renewed, " +
                std::to_string(f.count("added")) + " restored, " + std::to_string(f.count("failed")) + " failed";
    }
    if (r.forward_error) text += "; mappings not checked: " + r.forward_error->summary();
    if (r.ddns) text += "; DDNS " + r.ddns->action + ": " + r.ddns->detail;
    if (r.ddns_error) text += "; DDNS not updated: " + r.ddns_error->summary();
    return text;
}

}  // namespace

bool PassReport::healthy() const {
    const bool forwards_ok = !forward_error && (!forwards || forwards->count("failed") == 0);
    const bool ddns_ok = !ddns_error && (!ddns || ddns->action == "updated" || ddns->action == "confirmed" || ddns->action == "unchanged");
    return forwards_ok && ddns_ok;
}

Result<PassReport> keep_once(site::SiteDb& site, const Profiles& profiles, const KeeperRequest& request, const router::RuleSink& events) {
    PassReport report;
    auto records = site.forwards();
    if (!records) return records.error();
    auto status = router::router_status(request.status, &site);
    if (!status) return status.error();
    report.external_address = router::site_external_address(*status);
    report.nat_verdict = router::to_string(status->nat.verdict);

    if (has_added_forwards(*records)) {
        router::ForwardRequest forward;
        forward.interface = request.status.interface;
        // The router the status just found: no second SSDP search.
        forward.description_url = status->router ? std::optional<std::string>(status->router->description_url)
                                                 : request.status.description_url;
        forward.only_added = true;
        forward.renew_within_s = request.renew_within_s;
        // A lease renewed is as long as the first one was; 0 asks for the router's longest.
        for (const auto& r : *records)
            if (r.state == "added") forward.lease_s = std::max(forward.lease_s, r.lease_s);
        auto outcome = router::apply_forwarding(site, forward, events);
        if (outcome) report.forwards = *outcome;
        else report.forward_error = outcome.error();
    }

    auto settings = ddns::saved_settings(site);
    if (!settings) return settings.error();
    if (settings->has_value() && (*settings)->owner == "keeper") {
        if (report.external_address.empty()) {
            report.ddns_error = Error{ErrorCode::Precondition, "", "the site's external address is unknown (no router answer, no what-is-my-IP); the next pass tries again", ""};
        } else {
            ddns::UpdateOptions options;
            options.address = report.external_address;
            options.interface = request.status.interface;
            options.timeout = request.timeout;
            auto outcome = ddns::update_ddns(site, profiles, options);
            if (outcome) report.ddns = *outcome;
            else report.ddns_error = outcome.error();
        }
    }
    report.summary = summarize(report);
    const nlohmann::json seen = {{"host", hostname()}, {"at", utc_timestamp(std::time(nullptr))}, {"healthy", report.healthy()}, {"summary", report.summary}};
    if (auto saved = site.put_fact("keeper", seen); !saved) return saved.error();
    return report;
}

Result<Owners> owners(site::SiteDb& site) {
    Owners o;
    auto settings = ddns::saved_settings(site);
    if (!settings) return settings.error();
    if (settings->has_value()) {
        auto device = ddns::owning_device(site, **settings);
        if (!device) return device.error();
        o.ddns = device->has_value() ? "device " + (*device)->label() : (*settings)->owner;
    }
    auto records = site.forwards();
    if (!records) return records.error();
    for (const auto& r : *records) {
        if (r.state != "added" && r.state != "manual") continue;
        if (r.lease_s > 0) o.leases = "keeper";
        else if (o.leases.empty()) o.leases = "router";
    }
    auto keeper = site.fact("keeper");
    if (!keeper) return keeper.error();
    if (keeper->has_value() && keeper->value().is_object())
        o.keeper_host = keeper->value().value("host", "?") + " at " + keeper->value().value("at", "?");
    return o;
}

}  // namespace sitelink::keeper
