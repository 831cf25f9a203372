// Opening the planned ports over UPnP, journaled and read back; removing exactly what was opened.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "router/router.h"

namespace sitelink::router {

namespace {

// Tries at other external ports when someone else's mapping holds the planned one.
constexpr int kPortMoves = 20;
// What the router shows as the mapping's description; some routers cut it at 64 bytes.
constexpr std::size_t kDescriptionMax = 63;

std::string description_for(const site::SiteDb& site, const ForwardRule& rule) {
    std::string device = rule.device.substr(0, rule.device.find(" ("));  // the label without its address
    std::string text = "sitelink " + site.path().stem().string() + " " + device + " " + rule.service;
    if (text.size() > kDescriptionMax) text.resize(kDescriptionMax);
    return text;
}

bool same_target(const PortMapping& m, const std::string& client, int internal_port) {
    return m.internal_client == client && m.internal_port == internal_port;
}

std::string describe(const PortMapping& m) {
    return m.internal_client + ":" + std::to_string(m.internal_port) + (m.description.empty() ? "" : " '" + m.description + "'");
}

// Writes down a rule the installer must set by hand (once), so the hand-off and undo list it.
Result<Done> record_manual(site::SiteDb& site, const ForwardRule& rule, const std::vector<site::ForwardRecord>& records,
                           const std::string& why) {
    const bool recorded = std::any_of(records.begin(), records.end(), [&](const site::ForwardRecord& r) {
        return r.state == "manual" && r.device_key == rule.device_key && r.service == rule.service &&
               r.external_port == rule.external_port && r.internal_client == rule.internal_client;
    });
    if (recorded) return Done{};
    auto id = site.record_forward({0, rule.device_key, rule.service, rule.protocol, rule.external_port, rule.internal_client,
                                   rule.internal_port, description_for(site, rule), 0, "manual", "manual", why, ""});
    if (!id) return id.error();
    return Done{};
}

class Run {
public:
    Run(site::SiteDb& site, Igd& igd, const ForwardRequest& request, const RuleSink& events, ForwardOutcome& outcome)
        : site_(site), igd_(igd), request_(request), events_(events), outcome_(outcome) {}

    // One rule: reuse what is already there, else add (moving off ports others hold), then read back.
    Result<Done> open(ForwardRule& rule, const std::vector<site::ForwardRecord>& records) {
        say(rule, "checking");
        const std::string router = igd_.identity().control_url;
        std::optional<site::ForwardRecord> previous;
        for (const auto& r : records)
            if (r.device_key == rule.device_key && r.service == rule.service && r.protocol == rule.protocol && r.router == router &&
                (r.state == "added" || r.state == "adding"))
                previous = r;
        if (previous && previous->external_port != rule.external_port) rule.external_port = previous->external_port;

        for (int move = 0;; ++move) {
            auto there = igd_.mapping(rule.external_port, rule.protocol);
            if (!there) return finish(rule, previous ? previous->id : 0, "failed", there.error());
            if (there->has_value() && same_target(**there, rule.internal_client, rule.internal_port)) {
                if (previous) {
                    const int left = (**there).lease_s;
                    if (left > 0 && left < request_.renew_within_s) return renew(rule, *previous, left);
                    if (auto r = site_.set_forward_state(previous->id, "added", "already on the router"); !r) return r.error();
                    return finish(rule, 0, "kept", std::nullopt);
                }
                // Not ours, yet exactly what we want (the installer made it): use it, never remove it.
                return finish(rule, 0, "kept", std::nullopt, "the router already forwards this port there: " + describe(**there));
            }
            if (!there->has_value()) break;
            if (move == kPortMoves)
                return finish(rule, 0, "failed", Error{ErrorCode::RouterRefused, igd_.identity().label(), "no free external port found", ""});
            const int taken = rule.external_port;
            rule.external_port = random_external_port();
            say(rule, "moved", "external port " + std::to_string(taken) + " is taken by " + describe(**there) +
                                   " (left alone); using " + std::to_string(rule.external_port));
        }
        if (previous && previous->state == "added") {
            // The router lost it (restart): record the re-adding as a new entry.
            if (auto r = site_.set_forward_state(previous->id, "removed", "lost by the router"); !r) return r.error();
        }

        PortMapping wanted{rule.protocol, rule.external_port, rule.internal_client, rule.internal_port,
                           description_for(site_, rule), true, lease()};
        auto id = site_.record_forward({0, rule.device_key, rule.service, rule.protocol, rule.external_port, rule.internal_client,
                                        rule.internal_port, wanted.description, wanted.lease_s, router, "adding", "", ""});
        if (!id) return id.error();
        if (previous && previous->state == "adding")
            if (auto r = site_.set_forward_state(previous->id, "removed", "superseded by entry " + std::to_string(*id)); !r) return r.error();

        say(rule, "adding");
        for (int attempt = 0;; ++attempt) {
            Result<Done> added = Done{};
            if (igd_.identity().igd_version == 2) {
                auto reserved = igd_.add_any(wanted);
                if (reserved && *reserved != wanted.external_port) {
                    say(rule, "moved", "the router reserved external port " + std::to_string(*reserved) + " instead of " +
                                           std::to_string(wanted.external_port));
                    wanted.external_port = rule.external_port = *reserved;
                    if (auto r = site_.move_forward(*id, *reserved); !r) return r.error();
                }
                if (!reserved) added = reserved.error();
            } else {
                added = igd_.add(wanted);
            }
            if (added) break;
            const int code = Igd::upnp_code(added.error());
            if (code == upnp_error::OnlyPermanentLeasesSupported && wanted.lease_s != 0 && attempt == 0) {
                say(rule, "adding", "the router only accepts permanent mappings (UPnP 725); retrying without a lease");
                wanted.lease_s = 0;
                continue;
            }
            const bool to_another_host = rule.internal_client != igd_.identity().our_address;
            if ((code == upnp_error::ConflictInMappingEntry || code == upnp_error::ActionNotAuthorized) && to_another_host) {
                // The port was free a moment ago: the router refuses to map to a host other than the
                // one asking. That is secure mode, on by default on most routers.
                outcome_.secure_mode = true;
                if (auto r = site_.set_forward_state(*id, "removed", added.error().protocol_code + ": secure mode"); !r) return r.error();
                if (auto r = record_manual(site_, rule, records, "secure mode: set by hand"); !r) return r.error();
                return finish(rule, 0, "refused", added.error(),
                              "the router only forwards ports to the computer asking (UPnP secure mode): set this rule by hand");
            }
            if (code == upnp_error::NoPortMapsAvailable || code == upnp_error::SamePortValuesRequired) {
                if (auto r = site_.set_forward_state(*id, "removed", added.error().protocol_code); !r) return r.error();
                if (auto r = record_manual(site_, rule, records, added.error().protocol_code + ": set by hand"); !r) return r.error();
                return finish(rule, 0, "refused", added.error(), "set this rule by hand");
            }
            // No UPnP error code: the connection dropped or nothing came, and the router may have made it.
            if (code == 0) return unfinished(rule, *id, added.error());
            return finish(rule, *id, "failed", added.error());
        }

        say(rule, "verifying");
        auto back = igd_.mapping(wanted.external_port, rule.protocol);
        if (!back) return unfinished(rule, *id, back.error());  // accepted, so probably there: not known either way
        if (!back->has_value() || !same_target(**back, rule.internal_client, rule.internal_port))
            return finish(rule, *id, "failed",
                          Error{ErrorCode::ChangeNotKept, igd_.identity().label(),
                                "accepted the mapping of port " + std::to_string(wanted.external_port) + " but does not list it" +
                                    (back->has_value() ? " (it lists " + describe(**back) + ")" : ""), ""});
        if (auto r = site_.set_forward_state(*id, "added", "read back: " + describe(**back)); !r) return r.error();
        return finish(rule, 0, "added", std::nullopt);
    }

    // Removes a mapping Sitelink recorded, only if the router still forwards it where Sitelink did.
    Result<Done> close(const site::ForwardRecord& record) {
        ForwardRule rule{record.device_key, record.description, record.service, record.protocol, record.internal_client,
                         record.internal_port, record.external_port, ""};
        say(rule, "checking");
        auto there = igd_.mapping(record.external_port, record.protocol);
        if (!there) return finish(rule, 0, "failed", there.error());
        if (!there->has_value() || !same_target(**there, record.internal_client, record.internal_port)) {
            const std::string why = there->has_value() ? "already gone; the port now forwards to " + describe(**there) + ", left alone"
                                                        : "already gone from the router";
            if (auto r = site_.set_forward_state(record.id, "removed", why); !r) return r.error();
            return finish(rule, 0, "gone", std::nullopt, why);
        }
        if (auto r = site_.set_forward_state(record.id, "removing", ""); !r) return r.error();
        say(rule, "removing");
        if (auto removed = igd_.remove(record.external_port, record.protocol); !removed)
            return finish(rule, 0, "failed", removed.error());
        auto after = igd_.mapping(record.external_port, record.protocol);
        if (!after) return finish(rule, 0, "failed", after.error());
        if (after->has_value() && same_target(**after, record.internal_client, record.internal_port))
            return finish(rule, 0, "failed", Error{ErrorCode::ChangeNotKept, igd_.identity().label(),
                                                   "accepted the removal of port " + std::to_string(record.external_port) + " but still lists it", ""});
        if (auto r = site_.set_forward_state(record.id, "removed", "removed"); !r) return r.error();
        return finish(rule, 0, "removed", std::nullopt);
    }

private:
    int lease() const {
        const int asked = request_.lease_s;
        return igd_.identity().igd_version == 2 && (asked == 0 || asked > kIgd2MaxLeaseSeconds) ? kIgd2MaxLeaseSeconds : asked;
    }

    // Asking again for a mapping the router holds for the same host restarts its lease.
    Result<Done> renew(const ForwardRule& rule, const site::ForwardRecord& record, int left) {
        if (auto r = site_.set_forward_state(record.id, "adding", "renewing the lease (" + std::to_string(left) + " s left)"); !r)
            return r.error();
        say(rule, "renewing", std::to_string(left) + " s of the lease left");
        const PortMapping wanted{rule.protocol, rule.external_port, rule.internal_client, rule.internal_port, record.description, true,
                                 lease()};
        if (auto added = igd_.add(wanted); !added) return renewal_failed(rule, record, added.error());
        auto back = igd_.mapping(rule.external_port, rule.protocol);
        if (!back) return renewal_failed(rule, record, back.error());
        if (!back->has_value() || !same_target(**back, rule.internal_client, rule.internal_port))
            return renewal_failed(rule, record,
                                  Error{ErrorCode::ChangeNotKept, igd_.identity().label(), "accepted the renewal but does not list the mapping", ""});
        if (auto r = site_.set_forward_state(record.id, "added", "renewed: " + std::to_string((**back).lease_s) + " s"); !r) return r.error();
        return finish(rule, 0, "renewed", std::nullopt, "lease now " + std::to_string((**back).lease_s) + " s");
    }

    // A renewal that fails changes nothing Sitelink knows: the mapping stays Sitelink's ("added"),
    // on the router until its lease ends, and the next pass renews it or adds it back.
    Result<Done> renewal_failed(const ForwardRule& rule, const site::ForwardRecord& record, const Error& error) {
        if (auto r = site_.set_forward_state(record.id, "added", "renewal failed: " + error.summary()); !r) return r.error();
        return finish(rule, 0, "failed", error);
    }

    // The router may or may not hold the mapping: the entry stays "adding", so the next apply (or
    // undo) asks the router and finishes it either way. For now the rule has failed.
    Result<Done> unfinished(const ForwardRule& rule, std::int64_t record, const Error& error) {
        if (auto r = site_.set_forward_state(record, "adding", "outcome unknown: " + error.summary()); !r) return r.error();
        return finish(rule, 0, "failed", error, error.summary() + "; the router may hold it: run `sitelink forward apply` again to finish it");
    }

    void say(const ForwardRule& rule, const std::string& step, const std::string& detail = "") {
        if (events_) events_({rule, step, detail});
    }

    // Records the rule's end (failed_record: an "adding" record to mark failed) and reports it.
    Result<Done> finish(const ForwardRule& rule, std::int64_t failed_record, const std::string& state, std::optional<Error> error,
                        const std::string& detail = "") {
        if (failed_record != 0)
            if (auto r = site_.set_forward_state(failed_record, "failed", error ? error->protocol_code + " " + error->detail : ""); !r)
                return r.error();
        outcome_.results.push_back({rule, state, error});
        say(rule, state, !detail.empty() ? detail : error ? error->summary() : "");
        return Done{};
    }

    site::SiteDb& site_;
    Igd& igd_;
    const ForwardRequest& request_;
    const RuleSink& events_;
    ForwardOutcome& outcome_;
};

Result<Igd> router_for(const ForwardRequest& request) {
    auto nic = find_interface(request.interface);
    if (!nic) return nic.error();
    return Igd::find(*nic, request.description_url, request.discovery_wait);
}

}  // namespace

int ForwardOutcome::count(const std::string& state) const {
    return static_cast<int>(std::count_if(results.begin(), results.end(), [&](const RuleResult& r) { return r.state == state; }));
}

std::optional<RouterIdentity> saved_router(site::SiteDb& site) {
    auto fact = site.fact("router");
    if (!fact || !fact->has_value()) return std::nullopt;
    try {
        return fact->value().get<RouterIdentity>();
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;  // a damaged record only costs the family match: the generic guide
    }
}

Result<Done> remember_router(site::SiteDb& site, const RouterIdentity& router) { return site.put_fact("router", router); }

Result<ForwardOutcome> apply_forwarding(site::SiteDb& site, const ForwardRequest& request, const RuleSink& events) {
    if (auto r = site.lock_for_changes(); !r) return r.error();
    auto plan = saved_forward_plan(site);
    if (!plan) return plan.error();
    auto records = site.forwards();
    if (!records) return records.error();
    ForwardOutcome outcome;
    auto igd = router_for(request);
    if (!igd) {
        if (igd.error().code != ErrorCode::NoRouter) return igd.error();
        // No UPnP: every rule goes to the installer, recorded so the hand-off lists it.
        outcome.no_router = igd.error();
        for (const auto& rule : plan->rules) {
            if (auto r = record_manual(site, rule, *records, "no UPnP router: set by hand"); !r) return r.error();
            outcome.results.push_back({rule, "refused", igd.error()});
        }
        return outcome;
    }
    outcome.router = igd->identity();
    // Forwarding on a router behind another NAT opens nothing to the internet: say so, change nothing.
    auto external = igd->external_address();
    if (!external) return external.error();
    if (external->empty())
        return Error{ErrorCode::Precondition, igd->identity().label(),
                     "reports no internet address, which routers do when they sit behind another NAT (carrier-grade NAT or a modem "
                     "that routes too); forwarding on it cannot make the site reachable. `sitelink router status` says which.", ""};
    if (auto address = Ipv4::parse(*external)) {
        const auto nat = diagnose_nat(true, address, std::nullopt);
        if (nat.verdict == NatVerdict::CarrierGradeNat || nat.verdict == NatVerdict::DoubleNat)
            return Error{ErrorCode::Precondition, igd->identity().label(), nat.explanation + " " + nat.next_step, ""};
    }

    Run run(site, *igd, request, events, outcome);
    const std::string router = igd->identity().control_url;
    for (auto& rule : plan->rules) {
        if (request.only_added && std::none_of(records->begin(), records->end(), [&](const site::ForwardRecord& r) {
                return r.device_key == rule.device_key && r.service == rule.service && r.protocol == rule.protocol &&
                       r.router == router && (r.state == "added" || r.state == "adding");
            }))
            continue;
        // Once the router has shown it is in secure mode, rules for other hosts go straight to the guide.
        if (outcome.secure_mode && rule.internal_client != igd->identity().our_address) {
            if (auto r = record_manual(site, rule, *records, "secure mode: set by hand"); !r) return r.error();
            outcome.results.push_back({rule, "refused", std::nullopt});
            if (events) events({rule, "refused", "secure mode: set this rule by hand"});
            continue;
        }
        if (auto r = run.open(rule, *records); !r) return r.error();
    }
    // External ports may have moved off ports others hold: the saved plan says where things really are.
    if (auto r = site.put_fact("forward_plan", {{"rules", plan->rules}, {"skipped", plan->skipped}}); !r) return r.error();
    return outcome;
}

Result<ForwardOutcome> undo_forwarding(site::SiteDb& site, const ForwardRequest& request, const RuleSink& events) {
    if (auto r = site.lock_for_changes(); !r) return r.error();
    auto records = site.forwards();
    if (!records) return records.error();
    auto devices = site.devices();
    if (!devices) return devices.error();
    std::map<std::string, std::string> labels;
    for (const auto& d : *devices) labels[d.key] = d.label();
    ForwardOutcome outcome;
    std::vector<site::ForwardRecord> on_router;
    for (auto r : *records) {
        r.description = labels.count(r.device_key) ? labels[r.device_key] : r.description;  // how people know the device
        if (r.state == "adding" || r.state == "added" || r.state == "removing") on_router.push_back(r);
        if (r.state == "manual") {
            ForwardRule rule{r.device_key, r.description, r.service, r.protocol, r.internal_client, r.internal_port, r.external_port, ""};
            outcome.results.push_back({rule, "manual", std::nullopt});
        }
    }
    if (on_router.empty()) return outcome;
    auto igd = router_for(request);
    if (!igd) return igd.error();
    outcome.router = igd->identity();
    Run run(site, *igd, request, events, outcome);
    for (const auto& record : on_router) {
        if (record.router != igd->identity().control_url) {
            outcome.results.push_back({{record.device_key, record.description, record.service, record.protocol, record.internal_client,
                                        record.internal_port, record.external_port, ""},
                                       "failed",
                                       Error{ErrorCode::Precondition, record.router, "this mapping was made on another router", ""}});
            continue;
        }
        if (auto r = run.close(record); !r) return r.error();
    }
    return outcome;
}

}  // namespace sitelink::router
