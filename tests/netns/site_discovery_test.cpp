// Discovery on the whole simulated job site (tests/site/sitesim): WS-Discovery, mDNS through the
// laptop's avahi, and the unicast sweep together find every device exactly once, and found_by
// names every method that saw it. Also: without avahi, mDNS is reported unavailable once and
// WS-Discovery still works.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "netlab.h"

using nlohmann::json;
using namespace sitelink::testing;

namespace {

std::string sitesim() { return std::string(SITELINK_SOURCE_DIR) + "/tests/site/sitesim"; }

class SimulatedSite : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        env_ = {{"SITESIM_PREFIX", "sls" + std::to_string(getpid() % 100000)}, {"SITESIM_BUILD_DIR", SITELINK_BUILD_DIR}};
        auto up = run_command({sitesim(), "up"}, env_);
        ASSERT_EQ(up.exit_code, 0) << up.err;
        auto described = run_command({sitesim(), "env"}, env_);
        std::istringstream lines(described.out);
        for (std::string line; std::getline(lines, line);)
            if (auto eq = line.find('='); eq != std::string::npos) site_[line.substr(0, eq)] = line.substr(eq + 1);
        std::ifstream devices(site_["SITESIM_DEVICES_JSON"]);
        devices_ = json::parse(devices);
    }
    static void TearDownTestSuite() { run_command({sitesim(), "down"}, env_); }

    static CommandResult on_laptop(std::vector<std::string> argv, std::map<std::string, std::string> extra = {}) {
        argv.insert(argv.begin(), {sitesim(), "exec", "agent"});
        auto env = env_;
        env.insert(extra.begin(), extra.end());
        return run_command(argv, env);
    }

    static inline std::map<std::string, std::string> env_;
    static inline std::map<std::string, std::string> site_;
    static inline json devices_;
};

TEST_F(SimulatedSite, EveryDeviceOnceWithEveryMethodThatSawIt) {
    ASSERT_GE(devices_.size(), 4u);
    auto r = on_laptop({std::string(SITELINK_BUILD_DIR) + "/agent/sitelink", "discover", "--interface",
                        site_["SITESIM_AGENT_IF"], "--sweep", site_["SITESIM_FAR_SUBNET"], "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("mDNS unavailable"), std::string::npos) << "the laptop runs avahi: " << r.err;
    const json found = json::parse(r.out);
    EXPECT_EQ(found.size(), devices_.size()) << r.out;
    for (const auto& expected : devices_) {
        std::vector<json> matches;
        for (const auto& d : found)
            if (d["scopes"].value("mac", "") == expected["mac"]) matches.push_back(d);
        ASSERT_EQ(matches.size(), 1u) << expected["host"] << " must appear exactly once";
        const json& d = matches.front();
        EXPECT_EQ(d["address"], expected["address"]) << expected["host"];
        std::set<std::string> methods(d["found_by"].begin(), d["found_by"].end());
        std::set<std::string> want;
        if (expected["subnet"] == "lan") want.insert("ws-discovery");
        else want.insert("sweep");
        if (!expected["mdns"].empty()) want.insert("mdns");
        EXPECT_EQ(methods, want) << expected["host"];
    }
}

TEST_F(SimulatedSite, WithoutAvahiMdnsIsUnavailableOnceAndWsDiscoveryStillWorks) {
    auto r = on_laptop({"env", "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/sitelink-no-bus",
                        std::string(SITELINK_BUILD_DIR) + "/agent/sitelink", "discover", "--interface",
                        site_["SITESIM_AGENT_IF"], "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto first = r.err.find("mDNS unavailable");
    ASSERT_NE(first, std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("mDNS unavailable", first + 1), std::string::npos) << "said once: " << r.err;
    std::size_t on_lan = 0;
    for (const auto& d : devices_) on_lan += d["subnet"] == "lan";
    EXPECT_EQ(json::parse(r.out).size(), on_lan);
}

}  // namespace
