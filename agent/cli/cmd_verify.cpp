// `sitelink verify`: thin over verify/.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/site_options.h"
#include "verify/verify.h"

namespace sitelink::cli {

namespace {

struct VerifyOptions : SiteOptions, RouterAccess, ProbeAccess {};

int run_verify(const VerifyOptions& o) {
    auto site = open_site(o);
    if (!site) return report_error(site.error());
    auto status = status_request(o, site->get());
    if (!status) return report_error(status.error());
    verify::VerifyRequest request;
    request.status = *status;
    request.timeout = std::chrono::milliseconds(o.timeout_ms);
    if (!o.resolvers.empty()) request.resolvers = o.resolvers;
    if (!o.probe_url.empty()) {
        auto token = probe_token(o.probe_url, o.probe_token_file);
        if (!token) return report_error(token.error());
        request.probe = verify::ProbeServerRef{o.probe_url, *token, o.probe_ca, status->interface};
    }
    std::cerr << "checking the site from the router, public resolvers and the probe server...\n";
    auto report = verify::verify_site(**site, request);
    if (!report) return report_error(report.error());
    if (o.json) {
        std::cout << nlohmann::json(*report).dump(2) << "\n";
    } else {
        for (const auto& c : report->checks) {
            std::cout << (c.result == "pass" ? "PASS  " : c.result == "skip" ? "SKIP  " : "FAIL  ") << c.subject << ": " << c.reason << "\n";
            if (!c.fix.empty()) std::cout << "      fix: " << c.fix << "\n";
        }
        std::cout << (report->passed() ? "The site is reachable from outside.\n" : "The site is not ready for remote viewing.\n");
    }
    return report->passed() ? 0 : 1;
}

}  // namespace

void add_verify(CLI::App& app, int* exit_code) {
    auto o = std::make_shared<VerifyOptions>();
    auto* cmd = app.add_subcommand("verify", "Prove the site is reachable from outside: address, DDNS name, every forwarded service");
    add_site_options(cmd, *o, false);
    add_router_access(cmd, *o, true);
    add_probe_access(cmd, *o);
    cmd->callback([o, exit_code] { *exit_code = run_verify(*o); });
}

}  // namespace sitelink::cli
