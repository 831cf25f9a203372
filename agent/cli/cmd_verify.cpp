// `sitelink verify`: thin over verify/.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/site_options.h"
#include "verify/verify.h"

namespace sitelink::cli {

namespace {

struct VerifyOptions : SiteOptions, RouterAccess {
    std::vector<std::string> resolvers;
    std::string probe_url, probe_ca, probe_token_file;
};

// The token: the file's first line, else SITELINK_PROBE_TOKEN. Never from argv (`ps` shows it).
Result<std::string> probe_token(const VerifyOptions& o) {
    if (!o.probe_token_file.empty()) {
        std::ifstream in(o.probe_token_file);
        std::string token;
        if (!in || !std::getline(in, token) || token.empty())
            return Error{ErrorCode::Usage, o.probe_token_file, "cannot read a token from the file", ""};
        return token;
    }
    if (const char* env = std::getenv("SITELINK_PROBE_TOKEN"); env && *env) return std::string(env);
    return Error{ErrorCode::Usage, o.probe_url, "the probe server needs a token: --probe-token-file or SITELINK_PROBE_TOKEN", ""};
}

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
        auto token = probe_token(o);
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
    cmd->add_option("--resolver", o->resolvers, "Public DNS resolver ADDRESS[:PORT] to ask for the DDNS name (repeatable; default 1.1.1.1 and 9.9.9.9)");
    cmd->add_option("--probe", o->probe_url, "The probe server's URL (https://...), run by an integrator with `sitelink probe-server`");
    cmd->add_option("--probe-ca", o->probe_ca, "PEM file trusted for the probe server's certificate (default: the system's CAs)");
    cmd->add_option("--probe-token-file", o->probe_token_file, "File with the probe server's token (default: SITELINK_PROBE_TOKEN)");
    cmd->callback([o, exit_code] { *exit_code = run_verify(*o); });
}

}  // namespace sitelink::cli
