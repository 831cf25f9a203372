// The checklist behind `sitelink verify`. Each failure names the fault precisely: a stale DDNS
// address, a port the router does not forward, a service that is down behind a good forward,
// carrier-grade NAT, credentials the DDNS provider refused.
#include "verify/verify.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "ddns/ddns.h"
#include "ddns/dns.h"

namespace sitelink::verify {

namespace {

CheckLine pass(std::string id, std::string subject, std::string reason) {
    return {std::move(id), std::move(subject), "pass", std::move(reason), ""};
}
CheckLine fail(std::string id, std::string subject, std::string reason, std::string fix) {
    return {std::move(id), std::move(subject), "fail", std::move(reason), std::move(fix)};
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}

// What a forwarded service should answer from outside.
ProbeKind kind_of(const std::string& service) {
    if (service == "rtsp") return ProbeKind::Rtsp;
    if (service == "https") return ProbeKind::Https;
    if (service == "http") return ProbeKind::Onvif;  // the ONVIF device service lives on the HTTP port
    return ProbeKind::Tcp;
}

// The forwards the site has now: the newest record of each device service that is on the
// router (added) or was handed to the installer (manual).
std::vector<site::ForwardRecord> current_forwards(const std::vector<site::ForwardRecord>& records) {
    std::map<std::string, site::ForwardRecord> newest;
    for (const auto& r : records)
        if (r.state == "added" || r.state == "manual") newest[r.device_key + "/" + r.service + "/" + r.protocol] = r;
    std::vector<site::ForwardRecord> out;
    for (auto& [key, record] : newest) out.push_back(record);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
}

CheckLine external_address_check(const router::RouterStatus& status, const std::string& address) {
    const std::string subject = "the site's address on the internet";
    if (address.empty())
        return fail("external-address", subject, "neither the router nor a what-is-my-IP service said it", status.nat.next_step);
    const auto ip = Ipv4::parse(address);
    if (!ip || !router::is_public(*ip) || status.nat.verdict == router::NatVerdict::CarrierGradeNat ||
        status.nat.verdict == router::NatVerdict::DoubleNat)
        return fail("external-address", subject, address + ": " + router::to_string(status.nat.verdict) + ". " + status.nat.explanation,
                    status.nat.next_step);
    return pass("external-address", subject, address + " is public (" + router::to_string(status.nat.verdict) + ")");
}

CheckLine provider_check(const ddns::DdnsSettings& s, const ddns::DdnsState& state) {
    const std::string subject = "DDNS provider for " + s.hostname;
    if (!state.stopped_code.empty())
        return fail("ddns-provider", subject, "the provider refused the last update: " + state.stopped_code + " (" + state.last_message + ")",
                    "Correct the credentials or name, then `sitelink ddns set` and `sitelink ddns update`.");
    if (state.address.empty())
        return fail("ddns-provider", subject,
                    state.last_code.empty() ? "no update was ever confirmed" : "the last update failed: " + state.last_code + " (" + state.last_message + ")",
                    "Run `sitelink ddns update`.");
    return pass("ddns-provider", subject, "the provider confirmed " + state.address + (state.last_code.empty() ? "" : " (" + state.last_code + ")"));
}

// The name as public resolvers see it. All must agree with the site's address.
CheckLine resolves_check(const ddns::DdnsSettings& s, const std::string& address, const VerifyRequest& request) {
    const std::string subject = s.hostname + " through " + joined(request.resolvers);
    std::vector<std::string> seen, silent;
    for (const auto& resolver : request.resolvers) {
        auto found = ddns::lookup_a(s.hostname, {resolver, request.status.interface, request.timeout});
        if (!found) {
            silent.push_back(resolver + " (" + found.error().detail + ")");
            continue;
        }
        const std::string answer = found->empty() ? "no address" : joined(*found);
        if (found->empty() || std::find(found->begin(), found->end(), address) == found->end())
            seen.push_back(resolver + ": " + answer);
    }
    if (silent.size() == request.resolvers.size())
        return fail("ddns-resolves", subject, "no usable answer from any resolver: " + joined(silent), "Check the site's internet connection.");
    if (!seen.empty())
        return fail("ddns-resolves", subject, "stale DDNS address: " + joined(seen) + ", but the site is at " + address,
                    "Run `sitelink ddns update`; if it keeps happening, make sure the keeper runs (`sitelink keeper status`).");
    return pass("ddns-resolves", subject, "resolves to " + address + (silent.empty() ? "" : " (no answer from " + joined(silent) + ")"));
}

// Why a forward that fails from outside fails: the router, the device, or something between.
CheckLine diagnose_forward(const site::ForwardRecord& f, const std::string& subject, const ProbeResult& outside,
                           const router::RouterStatus& status, std::chrono::milliseconds timeout) {
    const auto mapped = std::find_if(status.mappings.begin(), status.mappings.end(), [&](const router::PortMapping& m) {
        return m.external_port == f.external_port && m.protocol == f.protocol;
    });
    const bool router_forwards = mapped != status.mappings.end() && mapped->internal_client == f.internal_client &&
                                 mapped->internal_port == f.internal_port;
    const std::string target = f.internal_client + ":" + std::to_string(f.internal_port);
    const std::string from_outside = "from outside: " + outside.detail;
    if (!router_forwards && f.state == "added")
        return fail("forward", subject,
                    "port not forwarded: the router " +
                        (mapped == status.mappings.end() ? std::string("has no mapping for external port ") + std::to_string(f.external_port)
                                                         : "sends external port " + std::to_string(f.external_port) + " to " +
                                                               mapped->internal_client + ":" + std::to_string(mapped->internal_port)) +
                        " (" + from_outside + ")",
                    "Run `sitelink forward apply` to restore it.");
    const ProbeResult inside = run_check(f.internal_client, {f.internal_port, outside.kind}, timeout);
    if (!inside.answered)
        return fail("forward", subject,
                    "service down behind a good forward: " + target + " does not answer " + to_string(outside.kind) + " from the LAN either (" +
                        inside.detail + ")",
                    "Check that the device is on and the service is enabled on it (its web page, or `sitelink inspect`).");
    if (f.state == "manual")
        return fail("forward", subject, "not reachable (" + from_outside + "), though " + target + " answers on the LAN: the rule set by hand is missing or wrong",
                    "Check the rule on the router against `sitelink forward guide`.");
    return fail("forward", subject,
                "the router forwards external port " + std::to_string(f.external_port) + " to " + target +
                    ", which answers on the LAN, but nothing arrives from outside (" + from_outside + ")",
                "The ISP may block the port or the router's firewall drops it: try another external port (`sitelink forward plan`), "
                "or ask the ISP.");
}

// Asks the probe server in batches it accepts; the name check rides on the first request.
struct OutsideView {
    std::optional<Error> error;
    std::optional<Error> name_error;  // the probe server says the name does not lead to the site
    std::string address;              // the site as the probe server sees it
    std::vector<ProbeResult> results;
};

OutsideView ask_outside(const ProbeServerRef& probe, const std::optional<std::string>& host, const std::vector<ProbeCheck>& checks,
                        std::chrono::milliseconds timeout) {
    constexpr auto kBatch = static_cast<std::size_t>(kDefaultMaxChecks);
    OutsideView view;
    const auto wait = timeout + kDefaultCheckTimeout + std::chrono::seconds(2);
    std::optional<std::string> name = host;
    for (std::size_t start = 0; start < checks.size(); start += kBatch) {
        const std::vector<ProbeCheck> batch(checks.begin() + static_cast<long>(start),
                                            checks.begin() + static_cast<long>(std::min(start + kBatch, checks.size())));
        auto answer = ask_probe(probe, name, batch, wait);
        if (!answer && name && answer.error().protocol_code == "HTTP 403") {
            view.name_error = answer.error();
            name.reset();
            answer = ask_probe(probe, name, batch, wait);
        }
        if (!answer) {
            view.error = answer.error();
            return view;
        }
        name.reset();
        view.address = answer->address;
        view.results.insert(view.results.end(), answer->results.begin(), answer->results.end());
    }
    return view;
}

}  // namespace

bool VerifyReport::passed() const {
    return std::none_of(checks.begin(), checks.end(), [](const CheckLine& c) { return c.result == "fail"; });
}

Result<VerifyReport> verify_site(site::SiteDb& site, const VerifyRequest& request) {
    VerifyReport report;
    auto status = router::router_status(request.status, &site);
    if (!status) return status.error();
    report.external_address = router::site_external_address(*status);
    report.checks.push_back(external_address_check(*status, report.external_address));

    auto settings = ddns::saved_settings(site);
    if (!settings) return settings.error();
    auto state = ddns::saved_state(site);
    if (!state) return state.error();
    std::optional<std::string> hostname;
    if (!settings->has_value()) {
        report.checks.push_back(fail("ddns-provider", "the site's DDNS name", "the site has no DDNS name: the phone needs one",
                                     "Run `sitelink ddns set`, then `sitelink ddns update`."));
    } else {
        hostname = (*settings)->hostname;
        report.checks.push_back(provider_check(**settings, *state));
        if (!report.external_address.empty()) report.checks.push_back(resolves_check(**settings, report.external_address, request));
    }

    auto records = site.forwards();
    if (!records) return records.error();
    const auto forwards = current_forwards(*records);
    if (forwards.empty())
        report.checks.push_back(fail("forward", "port forwarding", "nothing is forwarded: the phone cannot reach any device",
                                     "Run `sitelink forward plan` and `sitelink forward apply`."));

    std::vector<ProbeCheck> checks;
    std::vector<const site::ForwardRecord*> probed;
    std::map<std::int64_t, std::string> subjects;
    for (const auto& f : forwards) {
        auto device = site.device(f.device_key);
        if (!device) return device.error();
        subjects[f.id] = (device->has_value() ? (*device)->label() : f.device_key) + " " + f.service + " (external " +
                         std::to_string(f.external_port) + "/" + f.protocol + ")";
        if (f.protocol != "TCP") {
            report.checks.push_back({"forward", subjects[f.id], "skip", "UDP cannot be confirmed from outside: nothing has to answer", ""});
            continue;
        }
        checks.push_back({f.external_port, kind_of(f.service)});
        probed.push_back(&f);
    }
    if (checks.empty()) return report;
    if (!request.probe) {
        report.checks.push_back(fail("probe", "reachability from outside", "no probe server was given: nothing was checked from outside",
                                     "Give --probe URL and its token (an integrator's `sitelink probe-server`)."));
        return report;
    }
    const OutsideView outside = ask_outside(*request.probe, hostname, checks, request.timeout);
    if (outside.error) {
        report.checks.push_back(fail("probe", request.probe->url, outside.error->summary(),
                                     "Check the probe server's URL (--probe), its token and its certificate (--probe-ca)."));
        return report;
    }
    if (hostname) {
        if (outside.name_error)
            report.checks.push_back(fail("ddns-outside", *hostname + " from outside", outside.name_error->detail,
                                         "Run `sitelink ddns update`, then check again (resolvers may hold the old address up to the TTL)."));
        else
            report.checks.push_back(pass("ddns-outside", *hostname + " from outside", "leads the probe server to " + outside.address));
    }
    if (!report.external_address.empty() && outside.address != report.external_address)
        report.checks.push_back(fail("probe", "the site as the probe server sees it",
                                     "the probe server sees the site at " + outside.address + ", not at " + report.external_address,
                                     "Another NAT or a proxy sits in front of the router: `sitelink router status` says more."));
    for (std::size_t i = 0; i < probed.size() && i < outside.results.size(); ++i) {
        const auto& f = *probed[i];
        const ProbeResult& r = outside.results[i];
        if (r.connected && r.answered)
            report.checks.push_back(pass("forward", subjects[f.id], "answers " + to_string(r.kind) + " from outside: " + r.detail));
        else
            report.checks.push_back(diagnose_forward(f, subjects[f.id], r, *status, request.timeout));
    }
    return report;
}

void to_json(nlohmann::json& j, const CheckLine& v) {
    j = {{"id", v.id}, {"subject", v.subject}, {"result", v.result}, {"reason", v.reason}, {"fix", v.fix}};
}

void to_json(nlohmann::json& j, const VerifyReport& v) {
    j = {{"external_address", v.external_address}, {"passed", v.passed()}, {"checks", v.checks}};
}

}  // namespace sitelink::verify
