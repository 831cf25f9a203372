#include "cli/site_options.h"

#include "cli/password.h"

namespace sitelink::cli {

void add_site_options(CLI::App* cmd, SiteOptions& o, bool needs_user) {
    cmd->add_option("--site", o.site, "Site name or database file (default: \"default\"; see README for where sites live)");
    if (needs_user)
        cmd->add_option("-u,--user", o.user, "ONVIF user for the devices; the password comes from SITELINK_PASSWORD or a prompt");
    cmd->add_option("--timeout-ms", o.timeout_ms, "Timeout for each ONVIF call")->check(CLI::Range(100, 120000));
    cmd->add_flag("--json", o.json, "JSON on stdout");
}

Result<std::unique_ptr<site::SiteDb>> open_site(const SiteOptions& o) {
    auto path = site::site_path(o.site);
    if (!path) return path.error();
    return site::SiteDb::open(path.value());
}

Result<std::optional<onvif_client::Credentials>> credentials(const SiteOptions& o) {
    if (o.user.empty()) return std::optional<onvif_client::Credentials>{};
    auto password = read_password(o.user, "the site's devices");
    if (!password) return password.error();
    return std::optional<onvif_client::Credentials>(onvif_client::Credentials{o.user, password.value()});
}

std::string site_argument(const SiteOptions& o) { return o.site == "default" ? "" : " --site " + o.site; }

}  // namespace sitelink::cli
