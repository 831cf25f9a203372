#include "netlab.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace sitelink::testing {

namespace {

std::vector<char*> c_strings(std::vector<std::string>& items) {
    std::vector<char*> out;
    for (auto& s : items) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

void apply_env(const std::map<std::string, std::string>& env) {
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
}

std::vector<std::string> netns_exec(const std::string& ns, const std::vector<std::string>& argv) {
    std::vector<std::string> full = {"ip", "netns", "exec", ns};
    full.insert(full.end(), argv.begin(), argv.end());
    return full;
}

// The lab's hosts have no D-Bus. Without the override, D-Bus clients (dns_sd) would reach the
// host's system bus, and its avahi-daemon would browse on the host's real network.
std::map<std::string, std::string> lab_environment(const std::map<std::string, std::string>& env) {
    std::map<std::string, std::string> full_env = {{"DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/sitelink-lab-bus"}};
    for (const auto& [k, v] : env) full_env[k] = v;
    return full_env;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(out_pipe[1], STDOUT_FILENO);
        dup2(err_pipe[1], STDERR_FILENO);
        const int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, STDIN_FILENO);
        apply_env(env);
        std::vector<std::string> args = argv;
        auto cargs = c_strings(args);
        execvp(cargs[0], cargs.data());
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    CommandResult result;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_fds = 2;
    char buf[65536];
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
            const ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            } else {
                (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    result.max_rss_kb = usage.ru_maxrss;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

NetLab::NetLab(std::string prefix) : prefix_(std::move(prefix)) {
    if (geteuid() != 0) throw std::runtime_error("the network lab needs root (network namespaces)");
}

NetLab::~NetLab() { teardown(); }

void NetLab::ip(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv);
    if (r.exit_code != 0) {
        std::ostringstream what;
        for (const auto& a : argv) what << a << ' ';
        throw std::runtime_error("failed: " + what.str() + ": " + r.err);
    }
}

void NetLab::add_switch(const std::string& name) {
    const std::string n = ns(name);
    run_command({"ip", "netns", "del", n});  // a leftover from a crashed run with this prefix
    ip({"netns", "add", n});
    namespaces_.push_back(n);
    ip({"-n", n, "link", "set", "lo", "up"});
    // No multicast snooping: WS-Discovery and mDNS must flood like on a dumb site switch.
    ip({"-n", n, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"});
    ip({"-n", n, "link", "set", "br0", "up"});
}

void NetLab::plug(const std::string& host, const std::string& sw, const std::string& ifname,
                  const std::string& address) {
    const std::string port = "v" + std::to_string(++veth_counter_);
    ip({"-n", ns(sw), "link", "add", port, "type", "veth", "peer", "name", ifname, "netns", ns(host)});
    ip({"-n", ns(sw), "link", "set", port, "master", "br0"});
    ip({"-n", ns(sw), "link", "set", port, "up"});
    ip({"-n", ns(host), "addr", "add", address, "dev", ifname});
    ip({"-n", ns(host), "link", "set", ifname, "up"});
}

void NetLab::add_host(const std::string& host, const std::string& sw, const std::string& address,
                      const std::string& gateway) {
    const std::string n = ns(host);
    run_command({"ip", "netns", "del", n});
    ip({"netns", "add", n});
    namespaces_.push_back(n);
    ip({"-n", n, "link", "set", "lo", "up"});
    plug(host, sw, "eth0", address);
    if (!gateway.empty()) ip({"-n", n, "route", "add", "default", "via", gateway});
}

void NetLab::add_router(const std::string& host, const std::string& sw_a, const std::string& addr_a,
                        const std::string& sw_b, const std::string& addr_b) {
    add_host(host, sw_a, addr_a);
    plug(host, sw_b, "eth1", addr_b);
    run_command({"ip", "netns", "exec", ns(host), "sysctl", "-qw", "net.ipv4.ip_forward=1"});
}

CommandResult NetLab::run(const std::string& host, const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env) const {
    return run_command(netns_exec(ns(host), argv), lab_environment(env));
}

pid_t NetLab::spawn(const std::string& host, const std::vector<std::string>& argv, const std::string& log_path,
                    const std::map<std::string, std::string>& env) {
    const auto full_env = lab_environment(env);
    const pid_t pid = fork();
    if (pid == 0) {
        for (const auto& [k, v] : full_env) setenv(k.c_str(), v.c_str(), 1);
        const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
        const int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, STDIN_FILENO);
        auto args = netns_exec(ns(host), argv);
        auto cargs = c_strings(args);
        execvp(cargs[0], cargs.data());
        _exit(127);
    }
    children_.push_back(pid);
    return pid;
}

bool NetLab::wait_for_file(const std::string& path, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    struct stat st {};
    while (stat(path.c_str(), &st) != 0) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

void NetLab::stop(pid_t pid) {
    // `ip netns exec` replaces itself with the program, so the PID is the program's.
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; ++i) {
        if (waitpid(pid, nullptr, WNOHANG) == pid) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
}

void NetLab::kill_hard(pid_t pid) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    children_.erase(std::remove(children_.begin(), children_.end(), pid), children_.end());
}

void NetLab::teardown() {
    for (pid_t pid : children_) stop(pid);
    children_.clear();
    // Anything else still running inside our namespaces, by PID only.
    for (const auto& n : namespaces_) {
        auto pids = run_command({"ip", "netns", "pids", n});
        std::istringstream in(pids.out);
        for (pid_t pid; in >> pid;) kill(pid, SIGKILL);
    }
    for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) run_command({"ip", "netns", "del", *it});
    namespaces_.clear();
}

std::string build_path(const std::string& relative) { return std::string(SITELINK_BUILD_DIR) + "/" + relative; }

}  // namespace sitelink::testing
