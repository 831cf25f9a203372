// One simulated job site (tests/site/sitesim) for the lifetime of the object, for the netns tests
// that drive the `sitelink` binary on it as an installer would.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netlab.h"

namespace sitelink::testing {

// The password every device of the test sites shares (sitesim's default site has one per device).
inline const std::string kSitePassword = "Forward-Test#1";

class SimSite {
public:
    // tag: a short name, unique per test, for the namespace prefix; options: SITESIM_* settings.
    explicit SimSite(const std::string& tag, std::map<std::string, std::string> options = {});
    ~SimSite();
    SimSite(const SimSite&) = delete;
    SimSite& operator=(const SimSite&) = delete;

    const CommandResult& up() const { return up_; }
    // A fact `sitesim env` printed (SITESIM_PUBLIC_IP, ...).
    std::string fact(const std::string& name) { return facts_[name]; }
    // Where the installer's laptop keeps its sites and secret key (SITELINK_DATA_DIR).
    const std::string& data_dir() const { return env_.at("SITELINK_DATA_DIR"); }
    CommandResult sitesim(std::vector<std::string> argv);
    CommandResult on(const std::string& host, std::vector<std::string> argv);
    // `sitelink ARGS --site job` on the installer's laptop, with extra environment.
    CommandResult sitelink_cmd(std::vector<std::string> argv, const std::map<std::string, std::string>& env = {});
    CommandResult status_json();
    // The devices recorded and their services planned, as an installer would before forwarding.
    void plan(std::vector<std::string> extra = {});
    const nlohmann::json& saved_plan() const { return plan_; }
    void router_restart();

private:
    std::map<std::string, std::string> env_;
    std::map<std::string, std::string> facts_;
    std::string cameras_;
    CommandResult up_;
    nlohmann::json plan_;
};

std::string sitelink_binary();

}  // namespace sitelink::testing
