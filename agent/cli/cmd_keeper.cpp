// `sitelink keeper run|status`: thin over keeper/. `run` is what the systemd unit starts on a
// machine that stays on site; each pass opens the site afresh, so the installer's own commands
// are never locked out between passes.
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/site_options.h"
#include "keeper/keeper.h"

namespace sitelink::cli {

namespace {

volatile std::sig_atomic_t stop_requested = 0;

struct KeeperOptions : SiteOptions, RouterAccess {
    int interval_s = 300;
    int renew_within_s = 2 * 24 * 3600;
    bool once = false;
};

Result<keeper::PassReport> one_pass(const KeeperOptions& o, const Profiles& profiles) {
    auto site = open_site(o);
    if (!site) return site.error();
    auto request = status_request(o, site->get());
    if (!request) return request.error();
    keeper::KeeperRequest keeper_request{*request, o.renew_within_s, std::chrono::milliseconds(o.timeout_ms)};
    return keeper::keep_once(**site, profiles, keeper_request, [](const router::RuleEvent& e) {
        if (e.step == "renewing" || e.step == "renewed" || e.step == "added" || e.step == "failed")
            std::cerr << "  " << e.rule.device << " " << e.rule.service << " (external " << e.rule.external_port << "): " << e.step
                      << (e.detail.empty() ? "" : ": " + e.detail) << "\n";
    });
}

int run_keeper(const KeeperOptions& o) {
    auto profiles = load_profiles(profiles_dir());
    if (!profiles) return report_error(profiles.error());
    std::signal(SIGTERM, [](int) { stop_requested = 1; });
    std::signal(SIGINT, [](int) { stop_requested = 1; });
    if (!o.once) std::cerr << "sitelink keeper: a pass every " << o.interval_s << " s for site " << o.site << "\n";
    int last = 0;
    while (!stop_requested) {
        auto report = one_pass(o, *profiles);
        if (!report) {
            last = report_error(report.error());
        } else {
            last = report->healthy() ? 0 : 1;
            if (o.json)
                std::cout << nlohmann::json{{"healthy", report->healthy()}, {"address", report->external_address},
                                            {"nat", report->nat_verdict}, {"summary", report->summary}}
                                 .dump()
                          << std::endl;
            else
                std::cout << (report->healthy() ? "ok: " : "attention: ") << report->summary << std::endl;
        }
        if (o.once) break;
        for (int waited = 0; waited < o.interval_s && !stop_requested; ++waited) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    return o.once ? last : 0;
}

int run_owners(const SiteOptions& o) {
    auto site = open_site(o);
    if (!site) return report_error(site.error());
    auto found = keeper::owners(**site);
    if (!found) return report_error(found.error());
    if (o.json) {
        std::cout << nlohmann::json{{"ddns", found->ddns}, {"leases", found->leases}, {"keeper_seen", found->keeper_host}}.dump(2) << "\n";
        return 0;
    }
    std::cout << "DDNS name kept fresh by:  " << (found->ddns.empty() ? "no DDNS name set" : found->ddns) << "\n"
              << "port mappings renewed by: "
              << (found->leases.empty() ? "nothing forwarded" : found->leases == "router" ? "nobody needed (permanent on the router)" : found->leases)
              << "\n"
              << "keeper last seen:         " << (found->keeper_host.empty() ? "never" : found->keeper_host) << "\n";
    const bool needs_keeper = found->ddns == "keeper" || found->leases == "keeper";
    if (needs_keeper && found->keeper_host.empty()) {
        std::cerr << "sitelink: this site needs `sitelink keeper run" << site_argument(o)
                  << "` on a machine that stays on site (see README: the keeper)\n";
        return 1;
    }
    return 0;
}

}  // namespace

void add_keeper(CLI::App& app, int* exit_code) {
    auto* keeper_cmd = app.add_subcommand("keeper", "Keep the site reachable after the installer leaves: leases, lost mappings, DDNS");
    keeper_cmd->require_subcommand(1);

    auto run = std::make_shared<KeeperOptions>();
    auto* run_cmd = keeper_cmd->add_subcommand("run", "Run keeper passes on a timer (or one with --once)");
    add_site_options(run_cmd, *run, false);
    add_router_access(run_cmd, *run, true);
    run_cmd->add_option("--interval", run->interval_s, "Seconds between passes (default 300)")->check(CLI::Range(10, 86400));
    run_cmd->add_option("--renew-within", run->renew_within_s, "Renew a lease with fewer seconds than this left (default two days)")
        ->check(CLI::Range(0, 31536000));
    run_cmd->add_flag("--once", run->once, "One pass; exit 0 if everything is in place, 1 if not");
    run_cmd->callback([run, exit_code] { *exit_code = run_keeper(*run); });

    auto status = std::make_shared<SiteOptions>();
    auto* status_cmd = keeper_cmd->add_subcommand("status", "Who keeps what fresh on this site, and when a keeper last ran");
    add_site_options(status_cmd, *status, false);
    status_cmd->callback([status, exit_code] { *exit_code = run_owners(*status); });
}

}  // namespace sitelink::cli
