// bench/discovery: how long `sitelink discover` takes to find every one of N simulated devices
// on one LAN, and the agent's peak RSS. Targets: all 1000 found in under 1.5 s, RSS under 30 MB.
// Runs in network namespaces it creates (needs root). Usage: bench_discovery [N ...] [--runs R]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "netlab.h"

using namespace sitelink::testing;

namespace {

struct Sample {
    std::size_t found = 0;
    long last_new_ms = 0;
    long total_ms = 0;
    long rss_kb = 0;
};

Sample run_once(NetLab& lab) {
    auto r = lab.run("agent", {build_path("agent/sitelink"), "discover", "--interface", "eth0", "--json",
                               "--timeout-ms", "10000"});
    Sample s;
    if (r.exit_code != 0) {
        std::cerr << "discover failed: " << r.err;
        return s;
    }
    s.found = nlohmann::json::parse(r.out).size();
    std::smatch m;
    if (std::regex_search(r.err, m, std::regex(R"(in (\d+) ms.*last new device at (\d+) ms)"))) {
        s.total_ms = std::stol(m[1]);
        s.last_new_ms = std::stol(m[2]);
    }
    s.rss_kb = r.max_rss_kb;
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<int> sizes;
    int runs = 5;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--runs" && i + 1 < argc) runs = std::stoi(argv[++i]);
        else sizes.push_back(std::stoi(arg));
    }
    if (sizes.empty()) sizes = {50, 250, 1000};

    const std::string dir = "/tmp/sitelink-bench-" + std::to_string(getpid());
    std::filesystem::create_directories(dir);
    std::printf("%-7s %-5s %-8s %-22s %-14s %-10s\n", "devices", "run", "found", "all found after (ms)",
                "ended at (ms)", "peak RSS");
    for (int n : sizes) {
        NetLab lab("slb" + std::to_string(getpid() % 100000));
        lab.add_switch("lan");
        lab.add_host("agent", "lan", "10.90.0.10/16");
        lab.add_host("cams", "lan", "10.90.0.2/16");
        const nlohmann::json config = {{"interface", "eth0"},
                                       {"add_addresses", true},
                                       {"defaults", {{"auth", "none"}}},
                                       {"generate", {{"count", n}, {"first_address", "10.90.1.1"}, {"prefix", 16}}}};
        std::ofstream(dir + "/cams.json") << config.dump();
        std::filesystem::remove(dir + "/ready");
        lab.spawn("cams", {build_path("tests/simcam/sitelink-simcam"), "--config", dir + "/cams.json", "--ready-file",
                           dir + "/ready"},
                  dir + "/simcam.log");
        if (!NetLab::wait_for_file(dir + "/ready", 60000)) {
            std::cerr << "simcam did not start; see " << dir << "/simcam.log\n";
            return 1;
        }
        for (int run = 1; run <= runs; ++run) {
            const Sample s = run_once(lab);
            std::printf("%-7d %-5d %-8zu %-22ld %-14ld %.1f MB\n", n, run, s.found, s.last_new_ms, s.total_ms,
                        static_cast<double>(s.rss_kb) / 1024.0);
            std::fflush(stdout);
        }
    }
    std::filesystem::remove_all(dir);
    return 0;
}
