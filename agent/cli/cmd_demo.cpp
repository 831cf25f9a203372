#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"

namespace sitelink::cli {

namespace {

// The simulated site lives with the sources (tests/site); SITELINK_SITE_DIR points elsewhere.
std::string site_dir() {
    if (const char* env = std::getenv("SITELINK_SITE_DIR")) return env;
    return SITELINK_DEFAULT_SITE_DIR;
}

int run() {
    if (geteuid() != 0)
        return report_error(Error{ErrorCode::Precondition, "",
                                  "sitelink demo builds a simulated site in network namespaces, which needs root; "
                                  "run: sudo sitelink demo",
                                  ""});
    const std::string script = site_dir() + "/demo.sh";
    if (!std::filesystem::exists(script))
        return report_error(Error{ErrorCode::Precondition, script,
                                  "the simulated site is not available with this build; set SITELINK_SITE_DIR", ""});
    setenv("SITESIM_BUILD_DIR", SITELINK_BUILD_DIR, 0);
    execl("/bin/bash", "bash", script.c_str(), static_cast<char*>(nullptr));
    return report_error(Error{ErrorCode::Precondition, script, "could not start it", ""});
}

}  // namespace

void add_demo(CLI::App& app, int* exit_code) {
    auto* cmd = app.add_subcommand(
        "demo", "Run Sitelink on a simulated job site (cameras, NVR, router, internet) in network namespaces; needs root");
    cmd->footer("Ctrl-C tears the site down. Nothing is sent on this machine's real network.");
    cmd->callback([exit_code] { *exit_code = run(); });
}

}  // namespace sitelink::cli
