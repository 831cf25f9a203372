// The pure part of `sitelink address plan`: which device gets which address, and the guessed pool.
#include <gtest/gtest.h>

#include "address/address.h"

using namespace sitelink;
using namespace sitelink::address;

namespace {

Ipv4 ip(const std::string& text) { return *Ipv4::parse(text); }

SiteNetwork lan(std::optional<DhcpPool> pool = DhcpPool{ip("192.168.1.100"), ip("192.168.1.199"), "installer"}) {
    SiteNetwork n;
    n.interface = "eth0";
    n.subnet = *Ipv4Subnet::parse("192.168.1.0/24");
    n.agent_address = ip("192.168.1.10");
    n.gateway = ip("192.168.1.1");
    n.dns = {ip("192.168.1.1")};
    n.pool = pool;
    return n;
}

PlanInput device(const std::string& name, const std::string& address, bool dhcp, const std::string& role = "camera") {
    PlanInput in;
    in.device.key = "urn:uuid:" + name;
    in.device.name = name;
    in.device.role = role;
    in.device.current = {address, 24, std::string("192.168.1.1"), dhcp, {"192.168.1.1"}, "eth0"};
    in.device.original = in.device.current;
    return in;
}

std::map<std::string, site::PlannedAddress> by_name(const std::vector<site::PlannedAddress>& plan) {
    std::map<std::string, site::PlannedAddress> out;
    for (const auto& p : plan) out[p.device_key.substr(9)] = p;
    return out;
}

TEST(AssignAddresses, RecordersFirstThenCamerasInNaturalOrderFromDot20) {
    const std::vector<PlanInput> devices = {device("Cam 10", "192.168.1.150", true), device("Cam 2", "192.168.1.151", true),
                                            device("NVR", "192.168.1.152", true, "recorder"),
                                            device("Cam 1", "192.168.1.153", true)};
    auto plan = assign_addresses(lan(), devices, {}, {});
    ASSERT_TRUE(plan) << plan.error().summary();
    std::vector<std::pair<std::string, std::string>> got;
    for (const auto& p : *plan) got.emplace_back(p.device_key.substr(9), p.target.address);
    const std::vector<std::pair<std::string, std::string>> want = {
        {"NVR", "192.168.1.20"}, {"Cam 1", "192.168.1.21"}, {"Cam 2", "192.168.1.22"}, {"Cam 10", "192.168.1.23"}};
    EXPECT_EQ(got, want);
    for (const auto& p : *plan) {
        EXPECT_EQ(p.action, "change");
        EXPECT_FALSE(p.target.dhcp);
        EXPECT_EQ(p.target.prefix, 24);
        EXPECT_EQ(p.target.gateway, "192.168.1.1");
        EXPECT_EQ(p.target.interface_token, "eth0");
    }
}

TEST(AssignAddresses, SkipsTakenAddressesOtherDevicesAndTheLaptop) {
    auto network = lan();
    network.agent_address = ip("192.168.1.21");
    const std::vector<PlanInput> devices = {device("A", "192.168.1.150", true), device("B", "192.168.1.22", true),
                                            device("C", "192.168.1.151", true)};
    auto plan = assign_addresses(network, devices, {}, {ip("192.168.1.20")});
    ASSERT_TRUE(plan);
    auto p = by_name(*plan);
    EXPECT_EQ(p["A"].target.address, "192.168.1.23");  // .20 taken, .21 laptop, .22 is B's
    EXPECT_EQ(p["B"].target.address, "192.168.1.24");  // the order is by name, not by who is where
    EXPECT_EQ(p["B"].action, "change");                // it was DHCP
    EXPECT_EQ(p["C"].target.address, "192.168.1.25");
}

TEST(AssignAddresses, KeepsFixedAddressesOutsideThePoolAndMovesThoseInside) {
    const std::vector<PlanInput> devices = {device("Outside", "192.168.1.50", false), device("Inside", "192.168.1.120", false)};
    auto plan = assign_addresses(lan(), devices, {}, {});
    ASSERT_TRUE(plan);
    auto p = by_name(*plan);
    EXPECT_EQ(p["Outside"].action, "keep");
    EXPECT_EQ(p["Outside"].target.address, "192.168.1.50");
    EXPECT_EQ(p["Inside"].action, "change");
    EXPECT_EQ(p["Inside"].target.address, "192.168.1.20");
}

TEST(AssignAddresses, UnusableAndForeignDevicesAreSkippedWithTheReason) {
    auto locked = device("Locked", "192.168.1.150", true);
    locked.unusable = Error{ErrorCode::AuthFailed, "192.168.1.150", "digest", "HTTP 401"};
    const std::vector<PlanInput> devices = {locked, device("Far", "10.0.0.5", false)};
    auto plan = assign_addresses(lan(), devices, {}, {});
    ASSERT_TRUE(plan);
    auto p = by_name(*plan);
    EXPECT_EQ(p["Locked"].action, "skip");
    EXPECT_NE(p["Locked"].reason.find("authentication failed"), std::string::npos) << p["Locked"].reason;
    EXPECT_EQ(p["Far"].action, "skip");
    EXPECT_NE(p["Far"].reason.find("another subnet"), std::string::npos) << p["Far"].reason;
}

TEST(AssignAddresses, OverridesAreHonouredOrRefusedNamingTheRule) {
    const std::vector<PlanInput> devices = {device("Gate", "192.168.1.150", true), device("Yard", "192.168.1.151", true)};
    PlanChoices choices;
    choices.overrides["Yard"] = ip("192.168.1.77");
    auto plan = assign_addresses(lan(), devices, choices, {});
    ASSERT_TRUE(plan);
    EXPECT_EQ(by_name(*plan)["Yard"].target.address, "192.168.1.77");
    EXPECT_EQ(by_name(*plan)["Gate"].target.address, "192.168.1.20");

    struct Case {
        std::string who, address, says;
        ErrorCode code;
    };
    for (const auto& c : std::vector<Case>{{"Yard", "192.168.1.150", "inside the DHCP pool", ErrorCode::Usage},
                                           {"Yard", "10.1.1.1", "outside 192.168.1.0/24", ErrorCode::Usage},
                                           {"Yard", "192.168.1.1", "gateway", ErrorCode::Usage},
                                           {"Yard", "192.168.1.150", "inside", ErrorCode::Usage},
                                           {"Yard", "192.168.1.30", "another host answers", ErrorCode::AddressInUse},
                                           {"Nobody", "192.168.1.40", "no device on this site matches", ErrorCode::Usage}}) {
        PlanChoices bad;
        bad.overrides[c.who] = ip(c.address);
        auto refused = assign_addresses(lan(), devices, bad, {ip("192.168.1.30")});
        ASSERT_FALSE(refused) << c.address;
        EXPECT_EQ(refused.error().code, c.code) << c.address;
        EXPECT_NE(refused.error().summary().find(c.says), std::string::npos) << refused.error().summary();
    }
}

TEST(AssignAddresses, GoesAboveThePoolWhenItStartsLowAndSaysWhenFull) {
    auto low = lan(DhcpPool{ip("192.168.1.2"), ip("192.168.1.200"), "installer"});
    auto plan = assign_addresses(low, {device("A", "192.168.1.150", true)}, {}, {});
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->front().target.address, "192.168.1.201");

    auto full = lan(DhcpPool{ip("192.168.1.2"), ip("192.168.1.254"), "installer"});
    plan = assign_addresses(full, {device("A", "192.168.1.150", true)}, {}, {});
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->front().action, "skip");
    EXPECT_NE(plan->front().reason.find("no free address"), std::string::npos);
}

TEST(AssignAddresses, FirstAddressChoiceStartsTheSequence) {
    PlanChoices choices;
    choices.first_address = ip("192.168.1.60");
    auto plan = assign_addresses(lan(), {device("A", "192.168.1.150", true), device("B", "192.168.1.151", true)}, choices, {});
    ASSERT_TRUE(plan);
    EXPECT_EQ((*plan)[0].target.address, "192.168.1.60");
    EXPECT_EQ((*plan)[1].target.address, "192.168.1.61");
}

TEST(InferPool, RoundsToTheBlocksConsumerRoutersUse) {
    const auto subnet = *Ipv4Subnet::parse("192.168.1.0/24");
    auto pool = infer_pool(subnet, {ip("192.168.1.111"), ip("192.168.1.150")});
    EXPECT_EQ(pool.first.str(), "192.168.1.100");
    EXPECT_EQ(pool.last.str(), "192.168.1.199");
    EXPECT_EQ(pool.source, "inferred");
    pool = infer_pool(subnet, {ip("192.168.1.230")});
    EXPECT_EQ(pool.first.str(), "192.168.1.200");
    EXPECT_EQ(pool.last.str(), "192.168.1.254");
    pool = infer_pool(subnet, {ip("192.168.1.60")});
    EXPECT_EQ(pool.first.str(), "192.168.1.1");
    EXPECT_EQ(pool.last.str(), "192.168.1.99");
    pool = infer_pool(*Ipv4Subnet::parse("10.92.0.0/16"), {ip("10.92.1.1"), ip("10.92.1.250")});
    EXPECT_EQ(pool.first.str(), "10.92.1.0");
    EXPECT_EQ(pool.last.str(), "10.92.1.255");
}

}  // namespace
