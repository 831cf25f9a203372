// `sitelink ddns providers|set|update|status`: thin over ddns/.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/password.h"
#include "cli/site_options.h"
#include "ddns/ddns.h"

namespace sitelink::cli {

namespace {

struct DdnsSetOptions : SiteOptions {
    ddns::DdnsSettings settings;
};

struct DdnsUpdateOptions : SiteOptions, RouterAccess {
    std::string address;
    bool force = false;
};

int run_providers() {
    auto profiles = load_profiles(profiles_dir());
    if (!profiles) return report_error(profiles.error());
    Table table({"PROVIDER", "NAME", "PROTOCOL", "USER", "SECRET"});
    for (const auto& p : profiles->ddns_providers)
        table.add({p.id, p.name, p.protocol, p.username_label.empty() ? "-" : p.username_label, p.secret_label});
    table.print(std::cout);
    return 0;
}

int run_set(const DdnsSetOptions& o) {
    auto profiles = load_profiles(profiles_dir());
    if (!profiles) return report_error(profiles.error());
    const DdnsProviderProfile* provider = profiles->ddns_provider(o.settings.provider);
    auto site = open_site(o);
    if (!site) return report_error(site.error());
    if (provider == nullptr) return report_error(ddns::configure_ddns(**site, *profiles, {o.settings, ""}).error());
    auto secret = read_secret(provider->secret_label + " for " + o.settings.hostname + ": ",
                              "SITELINK_DDNS_SECRET");
    if (!secret) return report_error(secret.error());
    auto saved = ddns::configure_ddns(**site, *profiles, {o.settings, *secret});
    if (!saved) return report_error(saved.error());
    auto device = ddns::owning_device(**site, *saved);
    if (!device) return report_error(device.error());
    std::cout << "saved: " << saved->hostname << " at " << provider->name << " (the secret is stored sealed); kept fresh by "
              << (device->has_value() ? (*device)->label() + "'s own DDNS client"
                  : saved->owner == "keeper" ? "`sitelink keeper` on a machine that stays on site"
                                             : "the installer, by hand")
              << "\n";
    if (device->has_value()) {
        const VendorProfile* vendor = profiles->vendor_of((*device)->manufacturer);
        std::cout << "\n" << ddns::device_ddns_guide(*saved, *provider, **device, *vendor->ddns_client) << "\n";
    }
    std::cout << "Next: `sitelink ddns update" << site_argument(o) << "` points it at the site now.\n";
    return 0;
}

// The address to point the name at: --address, else what the router and the internet say.
Result<std::string> site_address(const DdnsUpdateOptions& o, site::SiteDb& site) {
    if (!o.address.empty()) return o.address;
    auto request = status_request(o, &site);
    if (!request) return request.error();
    std::cerr << "reading the site's external address through " << request->interface << "...\n";
    auto status = router::router_status(*request, &site);
    if (!status) return status.error();
    const std::string address = router::site_external_address(*status);
    if (address.empty())
        return Error{ErrorCode::Precondition, "", "neither the router nor a what-is-my-IP service said the site's external address: give it with --address, or check the router (`sitelink router status`)", ""};
    if (auto ip = Ipv4::parse(address); ip && !router::is_public(*ip))
        std::cerr << "warning: " << address << " is not a public address (" << status->nat.explanation << ")\n";
    return address;
}

int run_update(const DdnsUpdateOptions& o) {
    auto profiles = load_profiles(profiles_dir());
    if (!profiles) return report_error(profiles.error());
    auto site = open_site(o);
    if (!site) return report_error(site.error());
    // The provider is asked through the chosen interface, like everything else Sitelink sends.
    auto interface = interface_for(o.interface, site->get());
    if (!interface) return report_error(interface.error());
    auto address = site_address(o, **site);
    if (!address) return report_error(address.error());
    ddns::UpdateOptions options;
    options.address = *address;
    options.interface = *interface;
    options.force = o.force;
    auto outcome = ddns::update_ddns(**site, *profiles, options);
    if (!outcome) return report_error(outcome.error());
    const bool current = outcome->action == "updated" || outcome->action == "confirmed" || outcome->action == "unchanged";
    if (o.json) {
        std::cout << nlohmann::json{{"action", outcome->action}, {"address", outcome->address}, {"detail", outcome->detail},
                                    {"code", outcome->answer.code}, {"state", outcome->state}}
                         .dump(2)
                  << "\n";
    } else {
        std::cout << outcome->action << ": " << outcome->detail << "\n";
    }
    return current ? 0 : 1;
}

int run_status(const SiteOptions& o) {
    auto site = open_site(o);
    if (!site) return report_error(site.error());
    auto settings = ddns::saved_settings(**site);
    if (!settings) return report_error(settings.error());
    auto state = ddns::saved_state(**site);
    if (!state) return report_error(state.error());
    if (!settings->has_value()) {
        std::cerr << "the site has no DDNS name yet; run `sitelink ddns set" << site_argument(o) << "`\n";
        return 1;
    }
    const auto& s = **settings;
    if (o.json) {
        nlohmann::json shown = s;
        shown.erase("sealed_secret");
        std::cout << nlohmann::json{{"settings", shown}, {"state", *state}}.dump(2) << "\n";
        return state->stopped_code.empty() ? 0 : 1;
    }
    std::cout << "name:        " << s.hostname << " (" << s.provider << ")\n"
              << "kept by:     " << s.owner << "\n"
              << "points at:   " << (state->address.empty() ? "not confirmed yet" : state->address) << "\n"
              << "last answer: " << (state->last_code.empty() ? "none" : state->last_code + " (" + state->last_message + ")") << "\n";
    if (!state->pending_address.empty())
        std::cout << "interrupted: a request for " << state->pending_address << " got no recorded answer; the next update repeats it\n";
    if (!state->stopped_code.empty()) {
        std::cout << "stopped:     the provider answered " << state->stopped_code << "; fix it, then `sitelink ddns set` again\n";
        return 1;
    }
    return 0;
}

}  // namespace

void add_ddns(CLI::App& app, int* exit_code) {
    auto* ddns_cmd = app.add_subcommand("ddns", "The site's DDNS name: a stable name for the phone app");
    ddns_cmd->require_subcommand(1);

    ddns_cmd->add_subcommand("providers", "List the DDNS providers Sitelink knows (profiles/ddns)")->callback([exit_code] {
        *exit_code = run_providers();
    });

    auto set = std::make_shared<DdnsSetOptions>();
    auto* set_cmd = ddns_cmd->add_subcommand("set", "Choose the provider and name; the secret comes from SITELINK_DDNS_SECRET or a prompt");
    add_site_options(set_cmd, *set, false);
    set_cmd->add_option("--provider", set->settings.provider, "Provider id (`sitelink ddns providers`)")->required();
    set_cmd->add_option("--hostname", set->settings.hostname, "The full name: smith-cams.ddns.net")->required();
    set_cmd->add_option("--user", set->settings.username, "User name at the provider; the TSIG key's name for rfc2136");
    set_cmd->add_option("--base-url", set->settings.base_url, "The provider's API base URL (default: the profile's)");
    set_cmd->add_option("--zone", set->settings.zone, "Cloudflare and rfc2136: the zone (default: the name without its first label)");
    set_cmd->add_option("--server", set->settings.server, "rfc2136: the zone's primary server, IPv4 ADDRESS[:PORT]");
    set_cmd->add_option("--tsig-algorithm", set->settings.tsig_algorithm, "rfc2136: the TSIG algorithm (default hmac-sha256)");
    set_cmd->add_option("--ttl", set->settings.ttl_s, "TTL of the record where the protocol sets it (default 60)");
    set_cmd->add_option("--owner", set->settings.owner, "Who keeps the name fresh: keeper (default), device:DEVICE (its own DDNS client, with steps printed) or manual");
    set_cmd->callback([set, exit_code] { *exit_code = run_set(*set); });

    auto update = std::make_shared<DdnsUpdateOptions>();
    auto* update_cmd = ddns_cmd->add_subcommand("update", "Point the name at the site's external address, if it changed");
    add_site_options(update_cmd, *update, false);
    add_router_access(update_cmd, *update, true);
    update_cmd->add_option("--address", update->address, "The address to point at (default: read from the router and the internet)");
    update_cmd->add_flag("--force", update->force, "Ask the provider even if the address is the one it confirmed");
    update_cmd->callback([update, exit_code] { *exit_code = run_update(*update); });

    auto status = std::make_shared<SiteOptions>();
    auto* status_cmd = ddns_cmd->add_subcommand("status", "What the site's name is, where it points, what the provider said last");
    add_site_options(status_cmd, *status, false);
    status_cmd->callback([status, exit_code] { *exit_code = run_status(*status); });
}

}  // namespace sitelink::cli
