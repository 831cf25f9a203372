// Options every command that works on a saved site shares: --site, --user, --timeout-ms, --json.
#pragma once
#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "onvif_client/session.h"
#include "router/router.h"
#include "site/site_db.h"

namespace sitelink::cli {

// Exit code when some of a batch was done and some was not.
constexpr int kPartial = 3;

struct SiteOptions {
    std::string site = "default";
    std::string user;
    int timeout_ms = 5000;
    bool json = false;
};

void add_site_options(CLI::App* cmd, SiteOptions& o, bool needs_user);
Result<std::unique_ptr<site::SiteDb>> open_site(const SiteOptions& o);
// The ONVIF credentials for the site's devices: none without --user, else the password from
// SITELINK_PASSWORD or a prompt.
Result<std::optional<onvif_client::Credentials>> credentials(const SiteOptions& o);
// How commands that talk to the router or the internet reach them.
struct RouterAccess {
    std::string interface;
    std::string igd;
    std::string ip_echo = "https://api.ipify.org";  // what-is-my-IP; "none" skips it
};
void add_router_access(CLI::App* cmd, RouterAccess& o, bool with_ip_echo);
// The interface: the chosen one, else the one the site's network was learned on. Nothing is
// ever sent on an interface the installer did not choose.
Result<std::string> interface_for(const std::string& chosen, site::SiteDb* site);
Result<router::StatusRequest> status_request(const RouterAccess& o, site::SiteDb* site);

// How `verify` (and the wizard's Verify step) check from outside: resolvers and the probe server.
struct ProbeAccess {
    std::vector<std::string> resolvers;
    std::string probe_url, probe_ca, probe_token_file;
};
void add_probe_access(CLI::App* cmd, ProbeAccess& o);
// The probe server's token: the file's first line, else SITELINK_PROBE_TOKEN. Never from argv
// (`ps` shows it).
Result<std::string> probe_token(const std::string& probe_url, const std::string& token_file);

// " --site NAME" when the site is not the default one, for the commands Sitelink suggests.
std::string site_argument(const SiteOptions& o);

}  // namespace sitelink::cli
