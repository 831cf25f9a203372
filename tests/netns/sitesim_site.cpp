#include "sitesim_site.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace sitelink::testing {

namespace {

using nlohmann::json;

std::string sitesim_script() { return std::string(SITELINK_SOURCE_DIR) + "/tests/site/sitesim"; }

// Two cameras sharing one administrator password, in the site's camera namespace.
std::string write_cameras(const std::string& path) {
    json admin = json::array({{{"username", "admin"}, {"password", kSitePassword}, {"level", "Administrator"}}});
    json config = {{"devices",
                    {{{"address", "192.168.77.21"}, {"manufacturer", "AXIS"}, {"model", "P3245-LVE"}, {"name", "Front Door"},
                      {"auth", "digest"}, {"users", admin}, {"gateway", "192.168.77.1"}},
                     {{"address", "192.168.77.22"}, {"manufacturer", "AXIS"}, {"model", "M3106"}, {"name", "Yard"},
                      {"auth", "digest"}, {"users", admin}, {"gateway", "192.168.77.1"}}}}};
    std::ofstream(path) << config.dump(2);
    return path;
}

}  // namespace

std::string sitelink_binary() { return std::string(SITELINK_BUILD_DIR) + "/agent/sitelink"; }

SimSite::SimSite(const std::string& tag, std::map<std::string, std::string> options) {
    const std::string prefix = "sl" + tag + std::to_string(getpid() % 10000);
    env_ = {{"SITESIM_PREFIX", prefix}, {"SITESIM_BUILD_DIR", SITELINK_BUILD_DIR},
            {"SITELINK_DATA_DIR", "/tmp/" + prefix + "-data"}, {"SITELINK_PASSWORD", kSitePassword}};
    cameras_ = write_cameras("/tmp/" + prefix + "-cameras.json");
    env_["SITESIM_CAMERAS"] = cameras_;
    env_.insert(options.begin(), options.end());
    up_ = run_command({sitesim_script(), "up"}, env_);
    auto described = run_command({sitesim_script(), "env"}, env_);
    std::istringstream lines(described.out);
    for (std::string line; std::getline(lines, line);)
        if (auto eq = line.find('='); eq != std::string::npos) facts_[line.substr(0, eq)] = line.substr(eq + 1);
}

SimSite::~SimSite() {
    run_command({sitesim_script(), "down"}, env_);
    run_command({"rm", "-rf", env_["SITELINK_DATA_DIR"], cameras_});
}

CommandResult SimSite::sitesim(std::vector<std::string> argv) {
    argv.insert(argv.begin(), sitesim_script());
    return run_command(argv, env_);
}

CommandResult SimSite::on(const std::string& host, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {sitesim_script(), "exec", host});
    return run_command(argv, env_);
}

CommandResult SimSite::sitelink_cmd(std::vector<std::string> argv, const std::map<std::string, std::string>& env) {
    argv.insert(argv.begin(), sitelink_binary());
    argv.insert(argv.end(), {"--site", "job"});
    std::vector<std::string> with_env = {"env"};
    for (const auto& [name, value] : env) with_env.push_back(name + "=" + value);
    argv.insert(argv.begin(), with_env.begin(), with_env.end());
    return on("agent", argv);
}

CommandResult SimSite::status_json() {
    return sitelink_cmd({"router", "status", "--interface", "eth0", "--ip-echo", fact("SITESIM_WHATISMYIP_URL"), "--json"});
}

void SimSite::plan(std::vector<std::string> extra) {
    auto address = sitelink_cmd({"address", "plan", "--interface", "eth0", "--user", "admin"});
    ASSERT_EQ(address.exit_code, 0) << address.err;
    std::vector<std::string> argv = {"forward", "plan", "--user", "admin", "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto forward = sitelink_cmd(argv);
    ASSERT_EQ(forward.exit_code, 0) << forward.err;
    plan_ = json::parse(forward.out);
}

void SimSite::router_restart() { ASSERT_EQ(sitesim({"router-restart"}).exit_code, 0); }

}  // namespace sitelink::testing
