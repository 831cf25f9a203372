// address/lan_probe against a real DHCP server (dnsmasq) and real hosts, inside namespaces this
// test creates. lan_probe_driver makes the calls from the agent's namespace:
//
//   agent  10.77.0.10 --+
//   router 10.77.0.1  --+-- switch "lan"    (dnsmasq: pool .100-.199, router and DNS .1)
//   taken  10.77.0.30 --+                   (just holds its address)
//   mute   10.77.0.40 --+                   (ignores ARP, answers ping)
//   prober 10.77.0.50 --+                   (ARP-probes for .32 like a host claiming it)
//
//   lonely 10.78.0.10 ----- switch "quiet"  (no DHCP server, nobody else)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "netlab.h"

using nlohmann::json;
using namespace sitelink::testing;

namespace {

// Timing of the probe runs below (ConflictProbeTiming's defaults), and the slack allowed on top of
// their upper bound, (probes-1)*interval + listen_after, for process start and a busy machine.
constexpr int kProbes = 3, kIntervalMs = 250, kListenMs = 500;
constexpr int kProbeBoundMs = (kProbes - 1) * kIntervalMs + kListenMs;
constexpr int kSlackMs = 300;

// For ordering addresses; 0 for anything that is not IPv4.
std::uint32_t ipv4(const std::string& text) {
    in_addr a{};
    return inet_pton(AF_INET, text.c_str(), &a) == 1 ? ntohl(a.s_addr) : 0;
}

class LanProbe : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        state_dir_ = "/tmp/sitelink-lan-probe-" + std::to_string(getpid());
        std::filesystem::create_directories(state_dir_);
        lab_ = std::make_unique<NetLab>("slp" + std::to_string(getpid() % 100000));
        lab_->add_switch("lan");
        lab_->add_switch("quiet");
        lab_->add_host("agent", "lan", "10.77.0.10/24");
        lab_->add_host("router", "lan", "10.77.0.1/24");
        lab_->add_host("taken", "lan", "10.77.0.30/24");
        lab_->add_host("mute", "lan", "10.77.0.40/24");
        lab_->add_host("prober", "lan", "10.77.0.50/24");
        lab_->add_host("lonely", "quiet", "10.78.0.10/24");

        // "mute" answers no ARP at all (arp_ignore 8), so only its echo reply can give it away;
        // static neighbour entries on both sides let the echo and its reply through.
        for (const char* key : {"net.ipv4.conf.all.arp_ignore=8", "net.ipv4.conf.eth0.arp_ignore=8"})
            ASSERT_EQ(lab_->run("mute", {"sysctl", "-qw", key}).exit_code, 0);
        ASSERT_EQ(lab_->run("mute", {"ip", "neigh", "replace", "10.77.0.10", "lladdr", mac_of("agent"), "dev", "eth0",
                                     "nud", "permanent"}).exit_code, 0);
        ASSERT_EQ(lab_->run("agent", {"ip", "neigh", "replace", "10.77.0.40", "lladdr", mac_of("mute"), "dev", "eth0",
                                      "nud", "permanent"}).exit_code, 0);

        lease_file_ = state_dir_ + "/dnsmasq.leases";
        dnsmasq_log_ = state_dir_ + "/dnsmasq.log";
        const std::string pid_file = state_dir_ + "/dnsmasq.pid";
        lab_->spawn("router",
                    {"/usr/sbin/dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--port=0",
                     "--dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,1h", "--dhcp-option=option:router,10.77.0.1",
                     "--dhcp-option=option:dns-server,10.77.0.1", "--dhcp-leasefile=" + lease_file_,
                     "--pid-file=" + pid_file, "--user=root", "--group=root", "--log-dhcp", "--log-facility=-"},
                    dnsmasq_log_);
        ASSERT_TRUE(NetLab::wait_for_file(pid_file, 10000)) << "dnsmasq did not start: " << read(dnsmasq_log_);
    }

    static void TearDownTestSuite() {
        lab_.reset();
        if (!std::getenv("SITELINK_KEEP_STATE")) std::filesystem::remove_all(state_dir_);  // to read dnsmasq.log
    }

    static std::string read(const std::string& path) {
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

    static std::string mac_of(const std::string& host) {
        auto r = lab_->run(host, {"ip", "-j", "link", "show", "eth0"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return json::parse(r.out).at(0).at("address").get<std::string>();
    }

    // Runs lan_probe_driver in the host's namespace; its JSON output, with "exit_code" added.
    static json driver(const std::string& host, const std::vector<std::string>& args,
                       const std::vector<std::string>& wrapper = {}) {
        std::vector<std::string> argv = wrapper;
        argv.push_back(build_path("tests/netns/lan_probe_driver"));
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = lab_->run(host, argv, {{"SITELINK_LAB_NETNS", lab_->ns(host)}});
        json out = json::object();
        try {
            out = json::parse(r.out);
        } catch (const json::exception&) {
            ADD_FAILURE() << "not JSON: " << r.out << r.err;
        }
        out["exit_code"] = r.exit_code;
        out["stderr"] = r.err;
        return out;
    }

    static json probe(const std::string& host, const std::vector<std::string>& addresses) {
        std::vector<std::string> args = {"probe", "eth0", "--probes", std::to_string(kProbes), "--interval-ms",
                                         std::to_string(kIntervalMs), "--listen-ms", std::to_string(kListenMs)};
        args.insert(args.end(), addresses.begin(), addresses.end());
        return driver(host, args);
    }

    static const json* holder(const json& run, const std::string& address) {
        if (!run.contains("result") || !run.at("result").is_array()) return nullptr;
        for (const auto& h : run.at("result"))
            if (h["address"] == address) return &h;
        return nullptr;
    }

    static inline std::unique_ptr<NetLab> lab_;
    static inline std::string state_dir_, lease_file_, dnsmasq_log_;
};

TEST_F(LanProbe, DhcpServerOffersFromItsPoolWithoutLeasing) {
    json run = driver("agent", {"dhcp", "eth0", "8000"});
    ASSERT_EQ(run["exit_code"], 0) << run.dump();
    const json& offer = run["result"];
    ASSERT_TRUE(offer.is_object()) << "no offer: " << run.dump() << "\n" << read(dnsmasq_log_);
    EXPECT_EQ(offer["server"], "10.77.0.1");
    const std::uint32_t offered = ipv4(offer["offered"].get<std::string>());
    EXPECT_GE(offered, ipv4("10.77.0.100")) << offer.dump();
    EXPECT_LE(offered, ipv4("10.77.0.199")) << offer.dump();
    EXPECT_EQ(offer["router"], "10.77.0.1");
    EXPECT_EQ(offer["dns"], json({"10.77.0.1"}));
    EXPECT_EQ(offer["prefix"], 24);
    EXPECT_EQ(offer["lease_s"], 3600);
    // dnsmasq pings the address for 3 s before offering it (see kDhcpOfferWait); then it returns at
    // once, not at the end of the wait.
    EXPECT_LT(run["elapsed_ms"].get<int>(), 5000) << run.dump();

    // dnsmasq saw a DISCOVER, offered, and leased nothing: no REQUEST was ever sent.
    const std::string log = read(dnsmasq_log_);
    EXPECT_NE(log.find("DHCPDISCOVER(eth0)"), std::string::npos) << log;
    EXPECT_NE(log.find("DHCPOFFER(eth0)"), std::string::npos) << log;
    EXPECT_EQ(log.find("DHCPREQUEST"), std::string::npos) << log;
    ASSERT_TRUE(std::filesystem::exists(lease_file_));
    EXPECT_EQ(read(lease_file_), "") << "a lease was taken";
}

TEST_F(LanProbe, NoDhcpServerMeansNoOfferWithinTheWait) {
    json run = driver("lonely", {"dhcp", "eth0", "1500"});
    ASSERT_EQ(run["exit_code"], 0) << run.dump();
    EXPECT_TRUE(run["result"].is_null()) << run.dump();
    EXPECT_GE(run["elapsed_ms"].get<int>(), 1500);
    EXPECT_LT(run["elapsed_ms"].get<int>(), 1500 + kSlackMs);
}

TEST_F(LanProbe, FindsTheHoldersButNotTheFreeAddress) {
    json run = probe("agent", {"10.77.0.30", "10.77.0.31", "10.77.0.1"});
    ASSERT_EQ(run["exit_code"], 0) << run.dump();
    const json* taken = holder(run, "10.77.0.30");
    ASSERT_TRUE(taken) << run.dump();
    EXPECT_EQ((*taken)["seen_by"], "arp");
    EXPECT_EQ((*taken)["mac"], mac_of("taken"));
    const json* router = holder(run, "10.77.0.1");
    ASSERT_TRUE(router) << run.dump();
    EXPECT_EQ((*router)["mac"], mac_of("router"));
    EXPECT_FALSE(holder(run, "10.77.0.31")) << run.dump();
    EXPECT_EQ(run["result"].size(), 2u) << run.dump();
    // .31 is never found, so it listens to the end, and not longer.
    EXPECT_GE(run["elapsed_ms"].get<int>(), kProbeBoundMs);
    EXPECT_LE(run["elapsed_ms"].get<int>(), kProbeBoundMs + kSlackMs);
}

TEST_F(LanProbe, ReturnsEarlyWhenEveryCandidateAnsweredArp) {
    json run = probe("agent", {"10.77.0.30", "10.77.0.1"});
    ASSERT_EQ(run["exit_code"], 0) << run.dump();
    EXPECT_EQ(run["result"].size(), 2u) << run.dump();
    EXPECT_LT(run["elapsed_ms"].get<int>(), kProbeBoundMs) << "does not listen to the end: " << run.dump();
}

TEST_F(LanProbe, OwnAddressIsTakenBySelf) {
    json run = probe("agent", {"10.77.0.10"});
    ASSERT_EQ(run["exit_code"], 0) << run.dump();
    ASSERT_EQ(run["result"].size(), 1u) << run.dump();
    EXPECT_EQ(run["result"][0]["seen_by"], "self");
    EXPECT_EQ(run["result"][0]["mac"], mac_of("agent"));
}

TEST_F(LanProbe, HostThatIgnoresArpIsFoundByPing) {
    json run = probe("agent", {"10.77.0.40"});
    ASSERT_EQ(run["exit_code"], 0) << run.dump();
    ASSERT_EQ(run["result"].size(), 1u) << run.dump();
    EXPECT_EQ(run["result"][0]["seen_by"], "ping");
    EXPECT_EQ(run["result"][0]["mac"], "");
}

// RFC 5227: another host probing for an address is about to take it.
TEST_F(LanProbe, AnotherProberCountsAsAHolder) {
    const std::string ready = state_dir_ + "/prober.ready";
    const std::string send_probes =
        "import socket,struct,time,sys\n"
        "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
        "s.bind(('eth0',0))\n"
        "mac=s.getsockname()[4]\n"
        "frame=b'\\xff'*6+mac+b'\\x08\\x06'+struct.pack('!HHBBH',1,0x0800,6,4,1)+mac+bytes(10)+socket.inet_aton(sys.argv[1])\n"
        "for i in range(200):\n"
        "  s.send(frame)\n"
        "  if i==0: open(sys.argv[2],'w').close()\n"
        "  time.sleep(0.05)\n";
    const pid_t prober = lab_->spawn("prober", {"python3", "-c", send_probes, "10.77.0.32", ready}, state_dir_ + "/prober.log");
    ASSERT_TRUE(NetLab::wait_for_file(ready, 10000)) << read(state_dir_ + "/prober.log");
    json run = probe("agent", {"10.77.0.32"});
    lab_->stop(prober);
    ASSERT_EQ(run["exit_code"], 0) << run.dump();
    ASSERT_EQ(run["result"].size(), 1u) << run.dump();
    EXPECT_EQ(run["result"][0]["seen_by"], "arp");
    EXPECT_EQ(run["result"][0]["mac"], mac_of("prober"));
}

TEST_F(LanProbe, WithoutPrivilegesSaysWhatItNeeds) {
    // Root without CAP_NET_RAW and CAP_NET_BIND_SERVICE, as an unprivileged user would be. Still
    // inside the lab: should the check fail to stop it, nothing leaves the lab.
    const std::vector<std::string> unprivileged = {"setpriv", "--bounding-set=-net_raw,-net_bind_service", "--"};
    json probed = driver("agent", {"probe", "eth0", "10.77.0.31"}, unprivileged);
    EXPECT_EQ(probed["exit_code"], 1) << probed.dump();
    EXPECT_EQ(probed["error"]["id"], "precondition") << probed.dump();
    EXPECT_EQ(probed["error"]["device"], "eth0");
    EXPECT_EQ(probed["error"]["detail"], "checking addresses needs root (CAP_NET_RAW)");
    EXPECT_EQ(probed["error"]["protocol_code"], "errno 1");

    json asked = driver("agent", {"dhcp", "eth0", "500"}, unprivileged);
    EXPECT_EQ(asked["exit_code"], 1) << asked.dump();
    EXPECT_EQ(asked["error"]["id"], "precondition") << asked.dump();
    EXPECT_EQ(asked["error"]["device"], "eth0");
    EXPECT_NE(asked["error"]["detail"].get<std::string>().find("needs root"), std::string::npos) << asked.dump();
}

// The driver sends only from the lab namespace it is told about; anywhere else it stops before
// calling the library. Checked from inside the lab (never from the host's namespace): without a
// name, and from "lonely" while naming the agent's namespace.
TEST_F(LanProbe, DriverRefusesToRunOutsideTheNamedLabNamespace) {
    const std::vector<std::string> argv = {build_path("tests/netns/lan_probe_driver"), "probe", "eth0", "10.78.0.99"};
    auto r = lab_->run("lonely", argv);
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    r = lab_->run("lonely", argv, {{"SITELINK_LAB_NETNS", lab_->ns("agent")}});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_NE(r.err.find("refusing to send"), std::string::npos) << r.err;
}

}  // namespace
