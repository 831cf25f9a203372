#include "cli/site_options.h"

#include <cstdlib>
#include <fstream>

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

void add_router_access(CLI::App* cmd, RouterAccess& o, bool with_ip_echo) {
    cmd->add_option("-i,--interface", o.interface, "Interface on the router's LAN (default: the one the site's address plan used)");
    cmd->add_option("--igd", o.igd, "The router's UPnP root description URL (skips the SSDP search)");
    if (with_ip_echo)
        cmd->add_option("--ip-echo", o.ip_echo, "What-is-my-IP URL asked through the interface (default " + o.ip_echo + "; \"none\" skips it)");
}

Result<std::string> interface_for(const std::string& chosen, site::SiteDb* site) {
    if (!chosen.empty()) return chosen;
    if (site != nullptr)
        if (auto network = site->fact("network"); network && network->has_value() && network->value().contains("interface"))
            return network->value()["interface"].get<std::string>();
    return Error{ErrorCode::Usage, "", "choose the interface on the router's LAN with --interface (`sitelink discover` lists them); nothing was sent", ""};
}

Result<router::StatusRequest> status_request(const RouterAccess& o, site::SiteDb* site) {
    auto interface = interface_for(o.interface, site);
    if (!interface) return interface.error();
    router::StatusRequest request;
    request.interface = *interface;
    if (!o.igd.empty()) request.description_url = o.igd;
    if (o.ip_echo != "none") request.ip_echo_url = o.ip_echo;
    return request;
}

void add_probe_access(CLI::App* cmd, ProbeAccess& o) {
    cmd->add_option("--resolver", o.resolvers, "Public DNS resolver ADDRESS[:PORT] to ask for the DDNS name (repeatable; default 1.1.1.1 and 9.9.9.9)");
    cmd->add_option("--probe", o.probe_url, "The probe server's URL (https://...), run by an integrator with `sitelink probe-server`");
    cmd->add_option("--probe-ca", o.probe_ca, "PEM file trusted for the probe server's certificate (default: the system's CAs)");
    cmd->add_option("--probe-token-file", o.probe_token_file, "File with the probe server's token (default: SITELINK_PROBE_TOKEN)");
}

Result<std::string> probe_token(const std::string& probe_url, const std::string& token_file) {
    if (!token_file.empty()) {
        std::ifstream in(token_file);
        std::string token;
        if (!in || !std::getline(in, token) || token.empty()) return Error{ErrorCode::Usage, token_file, "cannot read a token from the file", ""};
        return token;
    }
    if (const char* env = std::getenv("SITELINK_PROBE_TOKEN"); env && *env) return std::string(env);
    return Error{ErrorCode::Usage, probe_url, "the probe server needs a token: --probe-token-file or SITELINK_PROBE_TOKEN", ""};
}

std::string site_argument(const SiteOptions& o) { return o.site == "default" ? "" : " --site " + o.site; }

}  // namespace sitelink::cli
