#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/net.h"
#include "core/profiles.h"
#include "discover/discover.h"

namespace sitelink::cli {

namespace {

struct DiscoverOptions {
    std::string interface;
    std::string sweep;
    int timeout_ms = 5000;
    int ttl = 1;
    bool json = false;
    bool no_mdns = false;
};

// Without --interface nothing is sent: the installer picks where to look.
int list_candidates() {
    Table table({"INTERFACE", "IPV4", "STATE"});
    for (const auto& nic : list_interfaces()) {
        if (nic.loopback) continue;
        const std::string state = !nic.up ? "down" : !nic.address ? "no IPv4" : !nic.multicast ? "no multicast" : "ready";
        table.add({nic.name, nic.address ? nic.address->str() + "/" + std::to_string(nic.prefix) : "-", state});
    }
    std::cerr << "sitelink discover: choose the interface on the cameras' network with --interface; nothing was sent.\n";
    table.print(std::cout);
    return 2;
}

std::string join(const std::vector<std::string>& items, const char* separator) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
    return out;
}

int run(const DiscoverOptions& o) {
    if (o.interface.empty()) return list_candidates();
    discover::DiscoverRequest request;
    request.interface = o.interface;
    if (!o.sweep.empty()) request.sweep = o.sweep;
    request.timeout = std::chrono::milliseconds(o.timeout_ms);
    request.multicast_ttl = o.ttl;
    if (!o.no_mdns) {
        auto profiles = load_profiles(profiles_dir());
        if (!profiles) return report_error(profiles.error());
        request.mdns_services = profiles->mdns_services();
    }

    const bool live = isatty(STDERR_FILENO) != 0;
    int found = 0;
    discover::DiscoverProgress progress;
    progress.on_new_device = [&](const DiscoveredDevice&) {
        ++found;
        if (live) std::cerr << "\rsearching on " << o.interface << ": " << found << " found" << std::flush;
    };
    progress.on_note = [&](const std::string& note) { std::cerr << (live ? "\r" : "") << "note: " << note << "\n"; };
    if (live) std::cerr << "searching on " << o.interface << "..." << std::flush;

    auto outcome = discover::discover(request, progress);
    if (live) std::cerr << "\r\033[K";
    if (!outcome) return report_error(outcome.error());

    if (o.json) {
        std::cout << nlohmann::json(outcome->devices).dump(2) << "\n";
    } else {
        Table table({"ADDRESS", "NAME", "HARDWARE", "MAC", "FOUND BY", "ENDPOINT"});
        for (const auto& d : outcome->devices)
            table.add({d.address, d.scopes.name.value_or("-"), d.scopes.hardware.value_or("-"), d.scopes.mac.value_or("-"),
                       join(d.found_by, ","), d.endpoint});
        table.print(std::cout);
    }
    std::cerr << outcome->devices.size() << " device(s) in " << outcome->elapsed.count() << " ms on " << o.interface
              << (o.sweep.empty() ? "" : " and sweep " + o.sweep) << " (last new device at "
              << outcome->last_new_device.count() << " ms)\n";
    if (outcome->devices.empty())
        std::cerr << "  none answered: check the interface is on the cameras' network, or add --sweep for another subnet\n";
    return 0;
}

}  // namespace

void add_discover(CLI::App& app, int* exit_code) {
    auto options = std::make_shared<DiscoverOptions>();
    auto* cmd = app.add_subcommand("discover", "Find ONVIF cameras and recorders (WS-Discovery, optional unicast sweep)");
    cmd->add_option("-i,--interface", options->interface, "Network interface on the cameras' LAN (omit to list them)");
    cmd->add_option("--sweep", options->sweep, "Also probe every address of this subnet by unicast, e.g. 192.168.2.0/24");
    cmd->add_option("--timeout-ms", options->timeout_ms, "Upper bound; discovery ends when answers stop")
        ->check(CLI::Range(200, 120000));
    cmd->add_option("--ttl", options->ttl, "Multicast TTL (1 keeps probes on the local network)")->check(CLI::Range(1, 32));
    cmd->add_flag("--json", options->json, "JSON array of devices on stdout");
    cmd->add_flag("--no-mdns", options->no_mdns, "Skip mDNS/DNS-SD (the service types come from profiles/vendors)");
    cmd->callback([options, exit_code] { *exit_code = run(*options); });
}

}  // namespace sitelink::cli
