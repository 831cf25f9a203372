// sitelink-simcam: simulated ONVIF cameras for Sitelink's tests and benchmarks.
//
//   sitelink-simcam --config FILE.json [--interface IF] [--ready-file PATH] [--verbose]
//
// Prints "simcam ready: N devices" on stdout once every device listens; SIGTERM or SIGINT makes
// every device send Bye, then it exits 0. Exit 2: bad command line or configuration; 1: runtime failure.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <exception>

#include "config.h"
#include "simulator.h"

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;

// Three listening sockets per device (ONVIF, RTSP, HTTPS) plus their connections: 1000 devices
// need more than the usual soft limit of 1024, and more than some hard limits, which root may raise.
void raise_file_limit(std::size_t devices) {
    constexpr rlim_t kSpareDescriptors = 1024;  // connections, the discovery and netlink sockets, logs
    const rlim_t wanted = 3 * devices + kSpareDescriptors;
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
    if (limit.rlim_max < wanted) {
        const rlimit raised{wanted, wanted};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return;
        spdlog::warn("simcam: {} devices need about {} open files but the hard limit is {}; raise it (ulimit -Hn)",
                     devices, wanted, limit.rlim_max);
    }
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
}

// Blocked in every thread (threads inherit the mask), delivered only through the loop's signalfd.
void block_stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up mid-answer is not a reason to die
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"sitelink-simcam: simulated ONVIF cameras (WS-Discovery, Device and Media services)"};
    std::string config_path;
    std::string interface_name;
    std::string ready_file;
    bool verbose = false;
    app.add_option("--config", config_path, "JSON file describing the simulated devices")->required();
    app.add_option("--interface", interface_name, "interface for device addresses and multicast (overrides the config)");
    app.add_option("--ready-file", ready_file, "file written once every device listens");
    app.add_flag("--verbose,-v", verbose, "log every request and discovery message");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::ParseError& error) {
        app.exit(error);
        return kExitUsage;
    }

    auto logger = spdlog::stderr_color_mt("simcam");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%H:%M:%S.%e %^%l%$ %v");
    spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);

    simcam::SimcamConfig config;
    try {
        config = simcam::load_config_file(config_path);
    } catch (const simcam::ConfigError& error) {
        spdlog::error("config {}: {}", config_path, error.what());
        return kExitUsage;
    }
    if (!interface_name.empty()) config.interface = interface_name;

    block_stop_signals();
    raise_file_limit(config.devices.size());
    try {
        simcam::Simulator simulator(std::move(config), ready_file);
        return simulator.run();
    } catch (const std::exception& error) {
        spdlog::error("simcam: {}", error.what());
        return kExitFailure;
    }
}
