// bench/readdress: wall time for `sitelink address apply` to re-address N simulated cameras that
// each need a reboot of R seconds, every one verified at its new address; and the agent's peak
// RSS. Target: 250 cameras with a 2 s reboot in under 15 s. The plan (discovery, reading every
// device, the DHCP question and the conflict check) is made first and not timed.
// Runs in network namespaces it creates (needs root).
// Usage: bench_readdress [N] [--reboot-s R] [--parallel P] [--runs K]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "netlab.h"

using namespace sitelink::testing;

int main(int argc, char** argv) {
    int count = 250, runs = 3;
    double reboot_s = 2.0;
    std::string parallel;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--reboot-s" && i + 1 < argc) reboot_s = std::stod(argv[++i]);
        else if (arg == "--parallel" && i + 1 < argc) parallel = argv[++i];
        else if (arg == "--runs" && i + 1 < argc) runs = std::stoi(argv[++i]);
        else count = std::stoi(arg);
    }
    const std::string dir = "/tmp/sitelink-bench-readdress-" + std::to_string(getpid());
    std::filesystem::create_directories(dir);
    const std::map<std::string, std::string> env = {{"SITELINK_PASSWORD", "bench-pass"}};
    std::printf("%-8s %-9s %-5s %-10s %-12s %-10s %s\n", "cameras", "reboot s", "run", "verified", "apply (s)",
                "peak RSS", "parallel");
    for (int run = 1; run <= runs; ++run) {
        NetLab lab("slr" + std::to_string(getpid() % 100000));
        lab.add_switch("lan");
        lab.add_host("agent", "lan", "10.92.0.10/16", "10.92.0.1");
        lab.add_host("cams", "lan", "10.92.0.2/16", "10.92.0.1");
        const nlohmann::json config = {
            {"interface", "eth0"},
            {"add_addresses", true},
            {"defaults", {{"auth", "digest"}, {"dhcp", true}, {"reboot_needed", true}, {"reboot_s", reboot_s},
                          {"gateway", "10.92.0.1"}, {"dns", {"10.92.0.1"}},
                          {"users", {{{"username", "admin"}, {"password", "bench-pass"}, {"level", "Administrator"}}}}}},
            {"generate", {{"count", count}, {"first_address", "10.92.1.1"}, {"prefix", 16}}}};
        std::ofstream(dir + "/cams.json") << config.dump();
        std::filesystem::remove(dir + "/ready");
        lab.spawn("cams", {build_path("tests/simcam/sitelink-simcam"), "--config", dir + "/cams.json", "--ready-file",
                           dir + "/ready"},
                  dir + "/simcam.log");
        if (!NetLab::wait_for_file(dir + "/ready", 60000)) {
            std::cerr << "simcam did not start; see " << dir << "/simcam.log\n";
            return 1;
        }
        const std::string site = dir + "/site-" + std::to_string(run) + ".db";
        auto plan = lab.run("agent", {build_path("agent/sitelink"), "address", "plan", "--interface", "eth0", "--site",
                                      site, "--user", "admin", "--dhcp-pool", "10.92.1.0-10.92.3.255"},
                            env);
        if (plan.exit_code != 0) {
            std::cerr << "plan failed: " << plan.err;
            return 1;
        }
        std::vector<std::string> apply = {build_path("agent/sitelink"), "address", "apply", "--site", site, "--user",
                                          "admin", "--json"};
        if (!parallel.empty()) apply.insert(apply.end(), {"--parallel", parallel});
        const auto started = std::chrono::steady_clock::now();
        auto r = lab.run("agent", apply, env);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        int verified = 0;
        try {
            const auto outcome = nlohmann::json::parse(r.out);
            for (const auto& d : outcome["devices"]) verified += d["state"] == "done";
        } catch (const nlohmann::json::exception&) {
            std::cerr << "apply gave no JSON (exit " << r.exit_code << "): " << r.err.substr(0, 2000);
        }
        if (verified != count) {
            std::cerr << "apply (exit " << r.exit_code << "): " << r.err.substr(r.err.size() > 3000 ? r.err.size() - 3000 : 0);
        }
        std::printf("%-8d %-9.1f %-5d %-10d %-12.2f %-10.1f %s\n", count, reboot_s, run, verified, seconds,
                    static_cast<double>(r.max_rss_kb) / 1024.0, parallel.empty() ? "default" : parallel.c_str());
        std::fflush(stdout);
    }
    std::filesystem::remove_all(dir);
    return 0;
}
