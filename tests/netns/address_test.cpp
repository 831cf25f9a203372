// `sitelink address plan|apply|undo|status` and `sitelink resume` on a simulated LAN with a DHCP
// server, simulated cameras (some misbehaving on purpose) and hosts squatting on addresses,
// inside namespaces this test creates:
//
//   agent 10.90.0.10 --+-- router 10.90.0.1 (dnsmasq: DHCP .100-.199, never used by the cameras)
//                      +-- cams 10.90.0.2 (one simcam, the devices below)
//                      +-- squatter 10.90.0.21 (in the way of the first proposal)
//                      +-- latecomer 10.90.0.23 (appears after the plan is made)
//
// The tests of the Readdress suite run in order: plan, apply, resume, undo on the same site.
// The Interrupted suite kills the agent with SIGKILL mid-batch and resumes.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "netlab.h"
#include "site/site_db.h"

using nlohmann::json;
using namespace sitelink::testing;
using namespace std::chrono;

namespace {

const std::string kPassword = "Site-Pass_77";

json simcam_device(const std::string& name, const std::string& address, const std::string& mac, bool dhcp,
                   json extra = json::object()) {
    json profiles = json::array();
    const int count = extra.value("profiles", 2);
    extra.erase("profiles");
    for (int i = 1; i <= count; ++i)
        profiles.push_back({{"token", "p" + std::to_string(i)}, {"name", "ch" + std::to_string(i)}, {"encoding", "H264"},
                            {"stream_path", "/s" + std::to_string(i)}, {"snapshot_path", "/j" + std::to_string(i)}});
    json d = {{"address", address}, {"prefix", 24}, {"name", name}, {"mac", mac}, {"dhcp", dhcp},
              {"gateway", "10.90.0.1"}, {"dns", {"10.90.0.1"}}, {"auth", "digest"}, {"profiles", profiles},
              {"users", {{{"username", "admin"}, {"password", kPassword}, {"level", "Administrator"}}}}};
    d.update(extra);
    return d;
}

struct Lab {
    std::unique_ptr<NetLab> net;
    std::string dir;

    void start(const std::string& prefix, const std::string& lan) {
        dir = "/tmp/sitelink-address-" + prefix;
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        net = std::make_unique<NetLab>(prefix);
        net->add_switch("lan");
        net->add_host("agent", "lan", lan + ".10/24", lan + ".1");
        net->add_host("cams", "lan", lan + ".2/24", lan + ".1");
    }

    void start_simcam(const json& devices) {
        const std::string config = dir + "/cams.json", ready = dir + "/cams.ready";
        std::ofstream(config) << json{{"interface", "eth0"}, {"add_addresses", true}, {"devices", devices}}.dump(2);
        net->spawn("cams", {build_path("tests/simcam/sitelink-simcam"), "--config", config, "--ready-file", ready},
                   dir + "/cams.log");
        ASSERT_TRUE(NetLab::wait_for_file(ready, 10000)) << "simcam did not get ready";
    }

    CommandResult sitelink(std::vector<std::string> args) const {
        args.insert(args.begin(), build_path("agent/sitelink"));
        return net->run("agent", args, {{"SITELINK_PASSWORD", kPassword}});
    }

    // The device's network settings as `sitelink inspect` reads them at an address.
    json network_at(const std::string& address) const {
        auto r = sitelink({"inspect", address, "--user", "admin", "--json", "--timeout-ms", "2000"});
        if (r.exit_code != 0) return nullptr;
        return json::parse(r.out)["network"];
    }

    void stop() {
        net.reset();
        std::filesystem::remove_all(dir);
    }
};

json by_name(const json& devices, const std::string& name, const char* key = "name") {
    for (const auto& d : devices)
        if (d.value(key, "") == name) return d;
    return nullptr;
}

// The result for a device in a batch, by label prefix ("Cam 1 (" matches "Cam 1 (10.90.0.151)").
json result_for(const json& batch, const std::string& name) {
    for (const auto& d : batch["devices"])
        if (d["label"].get<std::string>().rfind(name + " (", 0) == 0) return d;
    return nullptr;
}

class Readdress : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        lab_.start("sla" + std::to_string(getpid() % 100000), "10.90.0");
        site_ = lab_.dir + "/site.db";
        lab_.net->add_host("router", "lan", "10.90.0.1/24");
        lab_.net->spawn("router",
                        {"dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--port=0",
                         "--user=root", "--dhcp-range=10.90.0.100,10.90.0.199,255.255.255.0,1h",
                         "--dhcp-option=option:router,10.90.0.1", "--dhcp-option=option:dns-server,10.90.0.1",
                         "--dhcp-leasefile=" + lab_.dir + "/leases", "--pid-file=" + lab_.dir + "/dnsmasq.pid"},
                        lab_.dir + "/dnsmasq.log");
        lab_.net->add_host("squatter", "lan", "10.90.0.21/24");
        json devices = json::array({
            simcam_device("Recorder", "10.90.0.150", "02:90:00:00:00:01", true, {{"profiles", 8}}),
            simcam_device("Cam 1", "10.90.0.151", "02:90:00:00:00:02", true,
                          {{"reboot_needed", true}, {"reboot_s", 1.0}, {"dns", {"10.90.0.53"}}}),
            simcam_device("Cam 2", "10.90.0.152", "02:90:00:00:00:03", true),
            simcam_device("Cam 10", "10.90.0.120", "02:90:00:00:00:04", false),
            simcam_device("Kept", "10.90.0.40", "02:90:00:00:00:05", false),
            simcam_device("Stubborn", "10.90.0.153", "02:90:00:00:00:06", true,
                          {{"faults", {{"ignore_network_changes", true}}}}),
            simcam_device("Dropper", "10.90.0.154", "02:90:00:00:00:07", true,
                          {{"faults", {{"drop_connection", true}, {"ops", {"SetNetworkInterfaces"}}}}}),
            simcam_device("Sloth", "10.90.0.155", "02:90:00:00:00:08", true, {{"reboot_needed", true}, {"reboot_s", 12.0}}),
        });
        lab_.start_simcam(devices);
    }
    static void TearDownTestSuite() { lab_.stop(); }

    static inline Lab lab_;
    static inline std::string site_;
    static inline json plan_;
};

TEST_F(Readdress, PlanWithoutInterfaceSendsNothingAndSaysWhy) {
    auto r = lab_.sitelink({"address", "plan", "--site", site_, "--user", "admin"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--interface"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(site_));
}

TEST_F(Readdress, AnOverrideInsideThePoolIsRefusedByName) {
    auto r = lab_.sitelink({"address", "plan", "--interface", "eth0", "--site", site_, "--user", "admin",
                            "--set", "Cam 2=10.90.0.160"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("Cam 2"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("inside the DHCP pool 10.90.0.100-10.90.0.199"), std::string::npos) << r.err;
}

TEST_F(Readdress, PlanLearnsTheNetworkAndProposesFreeAddressesOutsideThePool) {
    auto r = lab_.sitelink({"address", "plan", "--interface", "eth0", "--site", site_, "--user", "admin", "--json",
                            "--set", "Cam 2=10.90.0.60"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    plan_ = json::parse(r.out);
    const auto& network = plan_["network"];
    EXPECT_EQ(network["subnet"], "10.90.0.0/24");
    EXPECT_EQ(network["gateway"], "10.90.0.1");
    EXPECT_EQ(network["dhcp_server"], "10.90.0.1");
    EXPECT_EQ(network["dns"], json({"10.90.0.1"}));
    // From dnsmasq's offer and the DHCP devices' addresses (.150-.155), never from a lease.
    EXPECT_EQ(network["dhcp_pool"]["first"], "10.90.0.100");
    EXPECT_EQ(network["dhcp_pool"]["last"], "10.90.0.199");
    EXPECT_EQ(network["dhcp_pool"]["source"], "inferred");
    EXPECT_EQ(std::filesystem::file_size(lab_.dir + "/leases"), 0u) << "planning must not take a DHCP lease";

    // Recorders first, then cameras in natural name order; the squatter's .21 is skipped.
    std::vector<std::pair<std::string, std::string>> expected = {
        {"Recorder", "10.90.0.20"}, {"Cam 1", "10.90.0.22"}, {"Cam 2", "10.90.0.60"}, {"Cam 10", "10.90.0.23"},
        {"Dropper", "10.90.0.24"},  {"Kept", "10.90.0.40"},  {"Sloth", "10.90.0.25"}, {"Stubborn", "10.90.0.26"}};
    ASSERT_EQ(plan_["devices"].size(), expected.size()) << plan_.dump(2);
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto& d = plan_["devices"][i];
        EXPECT_EQ(d["name"], expected[i].first) << i;
        EXPECT_EQ(d["target"]["address"], expected[i].second) << expected[i].first;
        EXPECT_EQ(d["target"]["dhcp"], false) << expected[i].first;
        EXPECT_EQ(d["target"]["gateway"], "10.90.0.1");
    }
    EXPECT_EQ(plan_["devices"][0]["role"], "recorder");
    EXPECT_EQ(by_name(plan_["devices"], "Kept")["action"], "keep");
    EXPECT_EQ(by_name(plan_["devices"], "Cam 10")["action"], "change");  // fixed, but inside the pool
    ASSERT_EQ(plan_["in_use"].size(), 1u) << plan_["in_use"];
    EXPECT_EQ(plan_["in_use"][0].get<std::string>().rfind("10.90.0.21 (", 0), 0u) << plan_["in_use"];

    // The plan is saved with the site and shown again by `status`.
    auto status = lab_.sitelink({"address", "status", "--site", site_, "--json"});
    ASSERT_EQ(status.exit_code, 0) << status.err;
    EXPECT_EQ(json::parse(status.out)["plan"]["devices"], plan_["devices"]);
}

TEST_F(Readdress, ApplyChangesVerifiesAndReportsEachFaultPrecisely) {
    ASSERT_FALSE(plan_.is_null()) << "needs the plan";
    // A host takes Cam 10's planned address after the plan was made.
    lab_.net->add_host("latecomer", "lan", "10.90.0.23/24");
    auto r = lab_.sitelink({"address", "apply", "--site", site_, "--user", "admin", "--wait-s", "5", "--json"});
    EXPECT_EQ(r.exit_code, 3) << "partial: " << r.err;
    const json batch = json::parse(r.out);
    ASSERT_EQ(batch["devices"].size(), 7u) << batch.dump(2);  // every "change" line; Kept is not touched

    for (const auto& [name, address] : std::map<std::string, std::string>{
             {"Recorder", "10.90.0.20"}, {"Cam 1", "10.90.0.22"}, {"Cam 2", "10.90.0.60"}}) {
        EXPECT_EQ(result_for(batch, name)["state"], "done") << name << ": " << result_for(batch, name).dump();
        // Read back independently at the new address.
        const json network = lab_.network_at(address);
        ASSERT_FALSE(network.is_null()) << name << " does not answer at " << address;
        EXPECT_EQ(network["address"], address);
        EXPECT_EQ(network["dhcp"], false);
        EXPECT_EQ(network["gateway"], "10.90.0.1");
        EXPECT_EQ(network["dns"], json({"10.90.0.1"})) << name;  // Cam 1 had 10.90.0.53
        EXPECT_TRUE(lab_.network_at(result_for(batch, name)["from"]).is_null()) << name << " still at its old address";
    }
    auto expect_failed = [&](const std::string& name, const std::string& state, const std::string& error,
                             const std::string& still_at) {
        const json d = result_for(batch, name);
        EXPECT_EQ(d["state"], state) << name << ": " << d.dump();
        EXPECT_EQ(d["error"]["id"], error) << name << ": " << d.dump();
        if (!still_at.empty()) {
            const json network = lab_.network_at(still_at);
            ASSERT_FALSE(network.is_null()) << name << " lost from " << still_at;
            EXPECT_EQ(network["dhcp"], true) << name << " must keep its settings";
        }
    };
    // The latecomer: found by the probe before any write; nothing changed.
    {
        const json d = result_for(batch, "Cam 10");
        EXPECT_EQ(d["state"], "failed") << d.dump();
        EXPECT_EQ(d["error"]["id"], "address-in-use") << d.dump();
        const json network = lab_.network_at("10.90.0.120");
        ASSERT_FALSE(network.is_null());
        EXPECT_EQ(network["address"], "10.90.0.120");
    }
    expect_failed("Stubborn", "failed", "change-not-kept", "10.90.0.153");
    expect_failed("Dropper", "failed", "connection-closed", "10.90.0.154");
    expect_failed("Sloth", "lost", "device-lost", "");
    EXPECT_NE(r.err.find("sitelink resume"), std::string::npos) << r.err;

    // The journal holds each write with its intent, old value and outcome.
    auto site = sitelink::site::SiteDb::open(site_);
    ASSERT_TRUE(site) << site.error().summary();
    auto changes = (*site)->changes_in_batch(batch["batch"].get<std::int64_t>());
    ASSERT_TRUE(changes);
    bool saw_cam1 = false;
    for (const auto& c : *changes) {
        if (c.after.address != "10.90.0.22") continue;
        saw_cam1 = true;
        auto journal = (*site)->journal(c.id);
        ASSERT_TRUE(journal);
        std::vector<std::string> operations;
        for (const auto& e : *journal) {
            operations.push_back(e.operation);
            EXPECT_EQ(e.state, "ok") << e.operation << ": " << e.result;
        }
        EXPECT_EQ(operations, (std::vector<std::string>{"SetDNS", "SetNetworkInterfaces", "SystemReboot"}));
        EXPECT_EQ(journal->at(1).intent["address"], "10.90.0.22");
        EXPECT_EQ(journal->at(1).previous["address"], "10.90.0.151");
        EXPECT_EQ(journal->at(1).previous["dhcp"], true);
    }
    EXPECT_TRUE(saw_cam1);
}

TEST_F(Readdress, AnotherApplyRefusesWhileABatchIsUnfinished) {
    auto r = lab_.sitelink({"address", "apply", "--site", site_, "--user", "admin"});
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(r.err.find("sitelink resume"), std::string::npos) << r.err;
}

TEST_F(Readdress, ResumeFindsTheSlowDeviceAndVerifiesIt) {
    // Sloth reboots for 12 s; wait until it answers at its new address, then resume.
    json network;
    for (int i = 0; i < 40 && network.is_null(); ++i) {
        network = lab_.network_at("10.90.0.25");
        if (network.is_null()) std::this_thread::sleep_for(milliseconds(500));
    }
    ASSERT_FALSE(network.is_null()) << "Sloth never came back";
    auto r = lab_.sitelink({"resume", "--site", site_, "--user", "admin", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json batch = json::parse(r.out);
    ASSERT_EQ(batch["devices"].size(), 1u) << batch.dump(2);
    EXPECT_EQ(result_for(batch, "Sloth")["state"], "done");
    auto again = lab_.sitelink({"resume", "--site", site_, "--user", "admin"});
    EXPECT_EQ(again.exit_code, 0);
    EXPECT_NE(again.err.find("nothing to resume"), std::string::npos) << again.err;
}

TEST_F(Readdress, UndoRestoresWhatTheDevicesCameWith) {
    auto r = lab_.sitelink({"address", "undo", "--site", site_, "--user", "admin", "--wait-s", "30", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json batch = json::parse(r.out);
    EXPECT_EQ(batch["devices"].size(), 4u) << batch.dump(2);  // Recorder, Cam 1, Cam 2, Sloth
    for (const auto& d : batch["devices"]) {
        EXPECT_EQ(d["state"], "done") << d.dump();
        EXPECT_EQ(d["to"], "DHCP") << d.dump();
    }
    // The simulated devices have no DHCP client of their own: they keep the address, with DHCP on.
    for (const auto& address : {"10.90.0.20", "10.90.0.22", "10.90.0.60", "10.90.0.25"}) {
        const json network = lab_.network_at(address);
        ASSERT_FALSE(network.is_null()) << address;
        EXPECT_EQ(network["dhcp"], true) << address;
    }
    auto again = lab_.sitelink({"address", "undo", "--site", site_, "--user", "admin"});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.err.find("nothing to undo"), std::string::npos) << again.err;
}

// SIGKILL in the middle of a batch, then `sitelink resume`: every device ends verified.
TEST(Interrupted, ResumeAfterSigkillFinishesEveryDevice) {
    Lab lab;
    lab.start("slk" + std::to_string(getpid() % 100000), "10.91.0");
    json devices = json::array();
    for (int i = 0; i < 12; ++i) {
        char mac[18];
        std::snprintf(mac, sizeof mac, "02:91:00:00:00:%02x", i + 1);
        devices.push_back(simcam_device("cam " + std::to_string(i + 1), "10.91.0." + std::to_string(150 + i), mac, true,
                                        {{"reboot_needed", true}, {"reboot_s", 3.0},
                                         {"gateway", "10.91.0.1"}, {"dns", {"10.91.0.1"}}}));
    }
    lab.start_simcam(devices);
    const std::string site = lab.dir + "/site.db";
    auto plan = lab.sitelink({"address", "plan", "--interface", "eth0", "--site", site, "--user", "admin",
                              "--dhcp-pool", "10.91.0.100-10.91.0.199"});
    ASSERT_EQ(plan.exit_code, 0) << plan.err;

    const std::string log = lab.dir + "/apply.log";
    const pid_t agent = lab.net->spawn("agent", {build_path("agent/sitelink"), "address", "apply", "--site", site,
                                                 "--user", "admin", "--parallel", "4"},
                                       log, {{"SITELINK_PASSWORD", kPassword}});
    // Kill once some devices are rebooting and none has finished.
    bool rebooting = false;
    for (int i = 0; i < 200 && !rebooting; ++i) {
        std::this_thread::sleep_for(milliseconds(50));
        std::ifstream in(log);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        rebooting = text.find(": rebooting") != std::string::npos;
    }
    ASSERT_TRUE(rebooting) << "the batch never got to a reboot";
    lab.net->kill_hard(agent);

    auto status = lab.sitelink({"address", "status", "--site", site, "--json"});
    ASSERT_EQ(status.exit_code, 0) << status.err;
    int unfinished = 0;
    const json interrupted = json::parse(status.out);
    for (const auto& c : interrupted["changes"]) unfinished += c["state"].get<std::string>() != "done";
    EXPECT_GT(unfinished, 0) << "the kill came too late to test anything: " << status.out;

    auto resumed = lab.sitelink({"resume", "--site", site, "--user", "admin", "--wait-s", "20", "--json"});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    auto final_status = lab.sitelink({"address", "status", "--site", site, "--json"});
    const json changes = json::parse(final_status.out)["changes"];
    ASSERT_EQ(changes.size(), 12u);
    for (const auto& c : changes) {
        EXPECT_EQ(c["state"], "done") << c.dump();
        const json network = lab.network_at(c["after"]["address"]);
        ASSERT_FALSE(network.is_null()) << c.dump();
        EXPECT_EQ(network["dhcp"], false);
    }
    lab.stop();
}

}  // namespace
