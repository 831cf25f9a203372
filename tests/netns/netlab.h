// A throw-away network made of Linux network namespaces, for integration tests and benchmarks.
// Every address exists only inside namespaces this lab creates (veths are created directly in
// them, so nothing appears in the host's namespace); teardown kills only processes inside those
// namespaces, by PID, and deletes only those namespaces. Needs root.
#pragma once
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace sitelink::testing {

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
    long max_rss_kb = 0;  // peak resident memory of the process (wait4)
};

// Runs argv (no shell) with extra environment variables, capturing stdout and stderr.
CommandResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});

class NetLab {
public:
    // prefix: unique per run (namespace names are "<prefix>-<host>"); a leftover lab with the
    // same prefix is removed first.
    explicit NetLab(std::string prefix);
    ~NetLab();
    NetLab(const NetLab&) = delete;
    NetLab& operator=(const NetLab&) = delete;

    // A switch (bridge) living in its own namespace.
    void add_switch(const std::string& name);
    // A host with eth0 on the switch; address like "10.88.0.10/16"; gateway optional.
    void add_host(const std::string& host, const std::string& sw, const std::string& address,
                  const std::string& gateway = "");
    // A router joining two switches, with forwarding on.
    void add_router(const std::string& host, const std::string& sw_a, const std::string& addr_a,
                    const std::string& sw_b, const std::string& addr_b);

    std::string ns(const std::string& host) const { return prefix_ + "-" + host; }
    // argv run inside the host's namespace.
    CommandResult run(const std::string& host, const std::vector<std::string>& argv,
                      const std::map<std::string, std::string>& env = {}) const;
    // Starts a long-running process inside the host's namespace, with extra environment
    // variables; it is stopped at teardown unless the caller reaps it first.
    pid_t spawn(const std::string& host, const std::vector<std::string>& argv, const std::string& log_path,
                const std::map<std::string, std::string>& env = {});
    // Waits until the file exists (a "ready" file written by the process); false on timeout.
    static bool wait_for_file(const std::string& path, int timeout_ms);
    void stop(pid_t pid);
    // SIGKILL, like a crash or a pulled plug: no chance to clean up. Reaped and forgotten.
    void kill_hard(pid_t pid);

private:
    void ip(const std::vector<std::string>& args);
    // A veth from the switch's bridge to ifname in the host, with the address, up.
    void plug(const std::string& host, const std::string& sw, const std::string& ifname, const std::string& address);
    void teardown();

    std::string prefix_;
    std::vector<std::string> namespaces_;
    std::vector<pid_t> children_;
    int veth_counter_ = 0;
};

// Where the build put a binary, from the SITELINK_BUILD_DIR compile definition.
std::string build_path(const std::string& relative);

}  // namespace sitelink::testing
