// `sitelink router status` and `sitelink forward plan|apply|undo|guide`: thin over router/.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/site_options.h"
#include "router/router.h"

namespace sitelink::cli {

namespace {

struct RouterOptions : SiteOptions, RouterAccess {
    std::string router_profile;
    int lease_s = 0;
    bool no_site = false;
};

struct ForwardPlanOptions : SiteOptions {
    std::vector<std::string> http, add, exclude;
    std::vector<int> allow_denied;
};

Result<const RouterProfile*> guide_profile(const Profiles& profiles, const RouterOptions& o, const std::optional<router::RouterIdentity>& router) {
    if (o.router_profile.empty()) return &router::router_profile_for(profiles, router);
    if (const RouterProfile* p = profiles.router(o.router_profile)) return p;
    std::string known;
    for (const auto& r : profiles.routers) known += (known.empty() ? "" : ", ") + r.id;
    return Error{ErrorCode::Usage, o.router_profile, "no such router profile (known: " + known + ")", ""};
}

std::string gateway_of(const std::string& interface) {
    const auto gateway = default_gateway(interface);
    return gateway ? gateway->str() : "";
}

int run_status(const RouterOptions& o) {
    std::unique_ptr<site::SiteDb> site;
    if (!o.no_site) {
        auto opened = open_site(o);
        if (!opened) return report_error(opened.error());
        site = std::move(opened.value());
    }
    auto request = status_request(o, site.get());
    if (!request) return report_error(request.error());
    std::cerr << "looking for the router's UPnP service on " << request->interface << "...\n";
    auto status = router::router_status(*request, site.get());
    if (!status) return report_error(status.error());
    if (site && status->router)
        if (auto r = router::remember_router(*site, *status->router); !r) return report_error(r.error());
    if (o.json) {
        std::cout << nlohmann::json(*status).dump(2) << "\n";
    } else {
        const auto& s = *status;
        std::cout << "router:            " << (s.router ? s.router->label() + ", " + s.router->manufacturer + " " + s.router->model +
                                                              ", IGD:" + std::to_string(s.router->igd_version)
                                                        : "none (" + s.router_error->detail + ")")
                  << "\n";
        if (s.router) std::cout << "connection:        " << (s.connection_status.empty() ? "unknown" : s.connection_status) << "\n";
        std::cout << "external address:  " << (s.external_address.empty() ? "not reported" : s.external_address) << " (UPnP), "
                  << (s.natpmp_external_address.empty() ? "not reported" : s.natpmp_external_address) << " (NAT-PMP)\n";
        std::cout << "seen from outside: " << (s.public_address.empty() ? "unknown" : s.public_address) << "\n";
        if (!s.upstream_hop.empty()) std::cout << "next hop upstream: " << s.upstream_hop << "\n";
        std::cout << "verdict:           " << to_string(s.nat.verdict) << "\n  " << s.nat.explanation << "\n  Next: " << s.nat.next_step << "\n";
        if (s.router) {
            std::cout << "\nport mappings on the router (" << s.mappings.size() << "):\n";
            Table table({"EXTERNAL", "TO", "DESCRIPTION", "LEASE"});
            for (const auto& m : s.mappings)
                table.add({std::to_string(m.external_port) + "/" + m.protocol, m.internal_client + ":" + std::to_string(m.internal_port),
                           m.description, m.lease_s == 0 ? "permanent" : std::to_string(m.lease_s) + " s"});
            table.print(std::cout);
        }
        for (const auto& note : s.notes) std::cerr << "note: " << note << "\n";
    }
    if (!status->lost.empty()) {
        std::cerr << "sitelink: the router has lost " << status->lost.size()
                  << " mapping(s) Sitelink added (it was probably restarted):\n";
        for (const auto& l : status->lost) std::cerr << "  " << l << "\n";
        std::cerr << "  Run `sitelink forward apply" << site_argument(o) << "` to restore them.\n";
        return 1;
    }
    return 0;
}

void print_rules(const std::vector<router::ForwardRule>& rules) {
    Table table({"DEVICE", "SERVICE", "EXTERNAL", "TO", "PURPOSE"});
    for (const auto& r : rules)
        table.add({r.device, r.service, std::to_string(r.external_port) + "/" + r.protocol,
                   r.internal_client + ":" + std::to_string(r.internal_port), r.purpose});
    table.print(std::cout);
}

int run_plan(const ForwardPlanOptions& o) {
    auto creds = credentials(o);
    if (!creds) return report_error(creds.error());
    auto profiles = load_profiles(profiles_dir());
    if (!profiles) return report_error(profiles.error());
    auto site = open_site(o);
    if (!site) return report_error(site.error());
    router::ForwardPlanRequest request;
    request.credentials = creds.value();
    request.timeout = std::chrono::milliseconds(o.timeout_ms);
    request.choices.add_http = {o.http.begin(), o.http.end()};
    request.choices.extra = o.add;
    request.choices.exclude = {o.exclude.begin(), o.exclude.end()};
    request.choices.allow_denied = {o.allow_denied.begin(), o.allow_denied.end()};
    std::cerr << "reading the site's devices for their services...\n";
    auto plan = router::plan_forwarding(request, **site, *profiles);
    if (!plan) return report_error(plan.error());
    if (o.json) {
        std::cout << nlohmann::json{{"rules", plan->rules}, {"skipped", plan->skipped}}.dump(2) << "\n";
    } else {
        print_rules(plan->rules);
        for (const auto& s : plan->skipped) std::cerr << "not opened: " << s << "\n";
    }
    std::cerr << "plan saved; `sitelink forward apply" << site_argument(o) << "` opens these ports on the router\n";
    return 0;
}

router::ForwardRequest forward_request(const std::string& interface, const RouterOptions& o) {
    router::ForwardRequest request;
    request.interface = interface;
    if (!o.igd.empty()) request.description_url = o.igd;
    request.lease_s = o.lease_s;
    return request;
}

router::RuleSink progress_lines() {
    return [](const router::RuleEvent& e) {
        std::cerr << e.rule.device << " " << e.rule.service << " " << e.rule.external_port << "/" << e.rule.protocol << ": " << e.step
                  << (e.detail.empty() ? "" : " - " + e.detail) << "\n";
    };
}

void print_results(const router::ForwardOutcome& outcome, bool json) {
    if (json) {
        nlohmann::json out = {{"router", outcome.router ? nlohmann::json(*outcome.router) : nlohmann::json(nullptr)},
                              {"secure_mode", outcome.secure_mode}, {"rules", nlohmann::json::array()}};
        for (const auto& r : outcome.results)
            out["rules"].push_back({{"rule", r.rule}, {"state", r.state},
                                    {"error", r.error ? nlohmann::json{{"error", r.error->id()}, {"message", r.error->summary()},
                                                                       {"code", r.error->protocol_code}}
                                                      : nlohmann::json(nullptr)}});
        std::cout << out.dump(2) << "\n";
        return;
    }
    Table table({"DEVICE", "SERVICE", "EXTERNAL", "TO", "RESULT", "DETAIL"});
    for (const auto& r : outcome.results)
        table.add({r.rule.device, r.rule.service, std::to_string(r.rule.external_port) + "/" + r.rule.protocol,
                   r.rule.internal_client + ":" + std::to_string(r.rule.internal_port), r.state,
                   r.error ? r.error->protocol_code.empty() ? r.error->detail : r.error->protocol_code : ""});
    table.print(std::cout);
}

// What apply and undo share: profiles, site, interface, the run itself, the results table.
struct ForwardRun {
    Profiles profiles;
    std::unique_ptr<site::SiteDb> site;
    std::string interface;
    router::ForwardOutcome outcome;
};

using ForwardAction = Result<router::ForwardOutcome> (*)(site::SiteDb&, const router::ForwardRequest&, const router::RuleSink&);

Result<ForwardRun> run_forward(const RouterOptions& o, ForwardAction action) {
    ForwardRun run;
    auto profiles = load_profiles(profiles_dir());
    if (!profiles) return profiles.error();
    run.profiles = std::move(profiles.value());
    auto site = open_site(o);
    if (!site) return site.error();
    run.site = std::move(site.value());
    auto interface = interface_for(o.interface, run.site.get());
    if (!interface) return interface.error();
    run.interface = *interface;
    auto outcome = action(*run.site, forward_request(run.interface, o), progress_lines());
    if (!outcome) return outcome.error();
    run.outcome = std::move(outcome.value());
    if (run.outcome.router)
        if (auto r = router::remember_router(*run.site, *run.outcome.router); !r) return r.error();
    return run;
}

std::vector<router::ForwardRule> rules_in(const router::ForwardOutcome& outcome, const std::string& state) {
    std::vector<router::ForwardRule> out;
    for (const auto& r : outcome.results)
        if (r.state == state) out.push_back(r.rule);
    return out;
}

void report_failures(const router::ForwardOutcome& outcome) {
    for (const auto& r : outcome.results)
        if (r.state == "failed" && r.error) std::cerr << "sitelink: " << r.error->summary() << "\n  " << r.error->advice() << "\n";
}

int run_apply(const RouterOptions& o) {
    auto run = run_forward(o, router::apply_forwarding);
    if (!run) return report_error(run.error());
    const auto& outcome = run->outcome;
    print_results(outcome, o.json);
    if (const auto by_hand = rules_in(outcome, "refused"); !by_hand.empty()) {
        auto profile = guide_profile(run->profiles, o, outcome.router);
        if (!profile) return report_error(profile.error());
        if (outcome.no_router) {
            std::cerr << "sitelink: " << outcome.no_router->summary() << "\n";
            if ((*profile)->upnp_menu)
                std::cerr << "To let Sitelink set them itself, switch UPnP on at " << router::menu_path(*(*profile)->upnp_menu)
                          << " and run `sitelink forward apply` again.\n";
        } else if (outcome.secure_mode) {
            std::cerr << "sitelink: " << outcome.router->label()
                      << " only forwards ports to the computer asking (UPnP secure mode), so it refused the rules for the devices.\n";
        }
        std::cerr << "Set these " << by_hand.size() << " rule(s) by hand (`sitelink forward guide" << site_argument(o)
                  << "` prints this again):\n\n"
                  << router::manual_guide(by_hand, **profile, gateway_of(run->interface));
    }
    report_failures(outcome);
    const int done = outcome.count("added") + outcome.count("kept");
    if (done == static_cast<int>(outcome.results.size())) return 0;
    return done == 0 ? 1 : kPartial;
}

int run_undo(const RouterOptions& o) {
    auto run = run_forward(o, router::undo_forwarding);
    if (!run) return report_error(run.error());
    const auto& outcome = run->outcome;
    if (outcome.results.empty()) {
        std::cerr << "nothing to undo: Sitelink has no mappings on the router\n";
        return 0;
    }
    print_results(outcome, o.json);
    if (const auto by_hand = rules_in(outcome, "manual"); !by_hand.empty()) {
        auto profile = guide_profile(run->profiles, o, router::saved_router(*run->site));
        if (!profile) return report_error(profile.error());
        std::cerr << "These " << by_hand.size() << " rule(s) were set by hand; Sitelink cannot see or remove them:\n\n"
                  << router::removal_guide(by_hand, **profile, gateway_of(run->interface));
    }
    report_failures(outcome);
    return outcome.count("failed") == 0 ? 0 : kPartial;
}

int run_guide(const RouterOptions& o) {
    auto profiles = load_profiles(profiles_dir());
    if (!profiles) return report_error(profiles.error());
    auto site = open_site(o);
    if (!site) return report_error(site.error());
    auto plan = router::saved_forward_plan(**site);
    if (!plan) return report_error(plan.error());
    auto profile = guide_profile(*profiles, o, router::saved_router(**site));
    if (!profile) return report_error(profile.error());
    auto interface = interface_for(o.interface, site->get());
    std::cout << router::manual_guide(plan->rules, **profile, interface ? gateway_of(*interface) : "");
    return 0;
}

}  // namespace

void add_router(CLI::App& app, int* exit_code) {
    auto* router_cmd = app.add_subcommand("router", "The site's router: UPnP, external address, NAT verdict");
    router_cmd->require_subcommand(1);
    auto status = std::make_shared<RouterOptions>();
    auto* status_cmd = router_cmd->add_subcommand("status", "Find the router, read its external address and mappings, say whether forwarding can work");
    add_router_access(status_cmd, *status, true);
    add_site_options(status_cmd, *status, false);
    status_cmd->add_flag("--no-site", status->no_site, "Do not open a site (no check for lost mappings)");
    status_cmd->callback([status, exit_code] { *exit_code = run_status(*status); });

    auto* forward = app.add_subcommand("forward", "Port forwarding on the site's router");
    forward->require_subcommand(1);

    auto plan = std::make_shared<ForwardPlanOptions>();
    auto* plan_cmd = forward->add_subcommand("plan", "Decide which device services to open, on random high external ports; save the plan");
    add_site_options(plan_cmd, *plan, true);
    plan_cmd->add_option("--http", plan->http, "DEVICE: also open its plain-HTTP port (repeatable)");
    plan_cmd->add_option("--add", plan->add, "DEVICE=PORT[/udp]: also open this port of the device (repeatable)");
    plan_cmd->add_option("--allow-denied", plan->allow_denied, "PORT: allow a port that is never opened by default (telnet, ssh, ...)");
    plan_cmd->add_option("--exclude", plan->exclude, "DEVICE: open nothing for it (repeatable)");
    plan_cmd->callback([plan, exit_code] { *exit_code = run_plan(*plan); });

    auto apply = std::make_shared<RouterOptions>();
    auto* apply_cmd = forward->add_subcommand("apply", "Open the planned ports over UPnP, read each back; print a manual guide for what the router refuses");
    add_router_access(apply_cmd, *apply, false);
    add_site_options(apply_cmd, *apply, false);
    apply_cmd->add_option("--lease", apply->lease_s, "Lease in seconds (default 0: as long as the router allows; IGD:2 caps it at a week)")
        ->check(CLI::Range(0, 31536000));
    apply_cmd->add_option("--router-profile", apply->router_profile, "Router family for the manual guide (default: matched from the router)");
    apply_cmd->callback([apply, exit_code] { *exit_code = run_apply(*apply); });

    auto undo = std::make_shared<RouterOptions>();
    auto* undo_cmd = forward->add_subcommand("undo", "Remove exactly the mappings Sitelink added, and nothing else");
    add_router_access(undo_cmd, *undo, false);
    add_site_options(undo_cmd, *undo, false);
    undo_cmd->add_option("--router-profile", undo->router_profile, "Router family for removing hand-made rules");
    undo_cmd->callback([undo, exit_code] { *exit_code = run_undo(*undo); });

    auto guide = std::make_shared<RouterOptions>();
    auto* guide_cmd = forward->add_subcommand("guide", "Print the planned rules as step-by-step instructions for the router's own screens");
    guide_cmd->add_option("-i,--interface", guide->interface, "Interface on the router's LAN (for the router's address)");
    add_site_options(guide_cmd, *guide, false);
    guide_cmd->add_option("--router-profile", guide->router_profile, "Router family (default: matched from the router Sitelink last saw, else generic)");
    guide_cmd->callback([guide, exit_code] { *exit_code = run_guide(*guide); });
}

}  // namespace sitelink::cli
