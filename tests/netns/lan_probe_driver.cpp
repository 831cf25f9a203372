// Calls address/lan_probe from inside a lab namespace and prints what it returned as JSON, for
// lan_probe_test.cpp. It sends DHCP, ARP and ICMP, so it runs only inside the lab namespace named
// by SITELINK_LAB_NETNS: the lab's namespaces are the only place these packets may go.
//
//   lan_probe_driver dhcp IFACE WAIT_MS
//   lan_probe_driver probe IFACE [--probes N] [--interval-ms N] [--listen-ms N] ADDRESS...
//
// Prints {"result": ..., "elapsed_ms": N} and exits 0, or {"error": {...}} and exits 1; usage
// errors exit 2, outside the lab 3.
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "address/lan_probe.h"

using nlohmann::json;
using namespace sitelink;
using namespace sitelink::address;

namespace {

// True only inside the lab namespace the test names in SITELINK_LAB_NETNS (its /run/netns entry is
// this process's network namespace). Comparing with PID 1's namespace does not work everywhere:
// in containers /proc/1/ns/net may be unreadable.
bool in_lab_namespace() {
    const char* name = std::getenv("SITELINK_LAB_NETNS");
    if (name == nullptr || *name == '\0' || std::strchr(name, '/') != nullptr) return false;
    struct stat ours {}, lab {};
    if (stat("/proc/self/ns/net", &ours) != 0 || stat((std::string("/run/netns/") + name).c_str(), &lab) != 0) return false;
    return ours.st_ino == lab.st_ino && ours.st_dev == lab.st_dev;
}

json error_json(const Error& e) {
    return {{"error", {{"id", e.id()}, {"device", e.device}, {"detail", e.detail}, {"protocol_code", e.protocol_code}}}};
}

json offer_json(const DhcpOffer& o) {
    json dns = json::array();
    for (const auto& d : o.dns) dns.push_back(d.str());
    return {{"server", o.server.str()},
            {"offered", o.offered.str()},
            {"prefix", o.prefix ? json(*o.prefix) : json(nullptr)},
            {"router", o.router ? json(o.router->str()) : json(nullptr)},
            {"dns", dns},
            {"lease_s", o.lease_s ? json(*o.lease_s) : json(nullptr)}};
}

int usage() {
    std::cerr << "usage: lan_probe_driver dhcp IFACE WAIT_MS\n"
                 "       lan_probe_driver probe IFACE [--probes N] [--interval-ms N] [--listen-ms N] ADDRESS...\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() < 2) return usage();
    if (!in_lab_namespace()) {
        std::cerr << "lan_probe_driver: refusing to send outside the lab namespace named by SITELINK_LAB_NETNS\n";
        return 3;
    }
    auto nic = find_interface(args[1]);
    if (!nic) {
        std::cout << error_json(nic.error()).dump() << "\n";
        return 1;
    }
    const auto started = std::chrono::steady_clock::now();
    auto elapsed_ms = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    };

    if (args[0] == "dhcp" && args.size() == 3) {
        auto offer = ask_dhcp_server(nic.value(), std::chrono::milliseconds(std::stoi(args[2])));
        if (!offer) {
            std::cout << error_json(offer.error()).dump() << "\n";
            return 1;
        }
        std::cout << json{{"result", offer.value() ? offer_json(*offer.value()) : json(nullptr)}, {"elapsed_ms", elapsed_ms()}}.dump()
                  << "\n";
        return 0;
    }
    if (args[0] == "probe") {
        ConflictProbeTiming timing;
        std::vector<Ipv4> candidates;
        for (std::size_t i = 2; i < args.size(); ++i) {
            const bool has_value = i + 1 < args.size();
            if (args[i] == "--probes" && has_value) timing.probes = std::stoi(args[++i]);
            else if (args[i] == "--interval-ms" && has_value) timing.interval = std::chrono::milliseconds(std::stoi(args[++i]));
            else if (args[i] == "--listen-ms" && has_value) timing.listen_after = std::chrono::milliseconds(std::stoi(args[++i]));
            else if (auto address = Ipv4::parse(args[i])) candidates.push_back(*address);
            else return usage();
        }
        const auto probe_started = std::chrono::steady_clock::now();
        auto holders = find_addresses_in_use(nic.value(), candidates, timing);
        if (!holders) {
            std::cout << error_json(holders.error()).dump() << "\n";
            return 1;
        }
        json list = json::array();
        for (const auto& h : holders.value())
            list.push_back({{"address", h.address.str()}, {"mac", h.mac}, {"seen_by", h.seen_by}});
        const auto probe_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - probe_started).count();
        std::cout << json{{"result", list}, {"elapsed_ms", probe_ms}}.dump() << "\n";
        return 0;
    }
    return usage();
}
