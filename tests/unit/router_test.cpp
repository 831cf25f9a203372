// The router stage's pure parts: the NAT verdict, the forwarding plan, router profiles and the
// manual guide, and the site database's forwarding records.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "router/router.h"

using namespace sitelink;
using namespace sitelink::router;
namespace fs = std::filesystem;

namespace {

std::optional<Ipv4> ip(const char* text) { return Ipv4::parse(text); }

Profiles repository_profiles() {
    auto profiles = load_profiles(std::string(SITELINK_SOURCE_DIR) + "/profiles");
    if (!profiles) throw std::runtime_error(profiles.error().summary());
    return *profiles;
}

DeviceServices device(const std::string& name, const std::string& address, const std::string& manufacturer, const std::string& role,
                      std::vector<ProtocolSetting> protocols) {
    DeviceServices d;
    d.device.key = "urn:uuid:" + name;
    d.device.name = name;
    d.device.manufacturer = manufacturer;
    d.device.role = role;
    d.device.current.address = address;
    d.protocols = std::move(protocols);
    return d;
}

std::vector<ProtocolSetting> usual_protocols() {
    return {{"HTTP", true, {80}}, {"HTTPS", true, {443}}, {"RTSP", true, {554}}};
}

// Ports handed out in order, so tests can name them.
std::function<int()> counting_from(int first) {
    return [next = first]() mutable { return next++; };
}

const ForwardRule* find_rule(const ForwardPlan& plan, const std::string& device, const std::string& service) {
    for (const auto& r : plan.rules)
        if (r.device_key == "urn:uuid:" + device && r.service == service) return &r;
    return nullptr;
}

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

}  // namespace

TEST(NatVerdict, EachExternalAddressKindGetsItsVerdict) {
    EXPECT_EQ(diagnose_nat(true, ip("172.32.77.2"), ip("172.32.77.2")).verdict, NatVerdict::Public);
    EXPECT_TRUE(diagnose_nat(true, ip("172.32.77.2"), std::nullopt).forwarding_can_work);
    EXPECT_NE(diagnose_nat(true, ip("172.32.77.2"), std::nullopt).explanation.find("not confirmed from outside"), std::string::npos);
    EXPECT_EQ(diagnose_nat(true, ip("100.64.7.2"), ip("172.32.77.2")).verdict, NatVerdict::CarrierGradeNat);
    EXPECT_EQ(diagnose_nat(true, ip("100.127.255.1"), std::nullopt).verdict, NatVerdict::CarrierGradeNat);
    EXPECT_EQ(diagnose_nat(true, ip("100.128.0.1"), std::nullopt).verdict, NatVerdict::Public);  // just outside 100.64/10
    for (const char* private_address : {"10.1.2.3", "172.16.0.9", "172.31.255.1", "192.168.1.2"})
        EXPECT_EQ(diagnose_nat(true, ip(private_address), std::nullopt).verdict, NatVerdict::DoubleNat) << private_address;
    // The router claims a public address the internet does not see: something else NATs in between.
    EXPECT_EQ(diagnose_nat(true, ip("198.51.99.7"), ip("172.32.77.2")).verdict, NatVerdict::DoubleNat);
    EXPECT_EQ(diagnose_nat(true, ip("169.254.3.4"), std::nullopt).verdict, NatVerdict::Unknown);
    EXPECT_FALSE(diagnose_nat(true, ip("100.64.7.2"), std::nullopt).forwarding_can_work);
}

TEST(NatVerdict, SilentRouterIsJudgedByTheHopInFrontOfIt) {
    EXPECT_EQ(diagnose_nat(false, std::nullopt, ip("172.32.77.2")).verdict, NatVerdict::UpnpOff);
    EXPECT_EQ(diagnose_nat(true, std::nullopt, ip("172.32.77.2")).verdict, NatVerdict::Unknown);
    const auto cgnat = diagnose_nat(true, std::nullopt, ip("172.32.77.2"), ip("100.64.7.1"));
    EXPECT_EQ(cgnat.verdict, NatVerdict::CarrierGradeNat);
    EXPECT_NE(cgnat.explanation.find("100.64.7.1"), std::string::npos) << cgnat.explanation;
    EXPECT_NE(cgnat.next_step.find("public IPv4 address"), std::string::npos);
    const auto dbl = diagnose_nat(true, std::nullopt, ip("172.32.77.2"), ip("192.168.1.1"));
    EXPECT_EQ(dbl.verdict, NatVerdict::DoubleNat);
    EXPECT_NE(dbl.next_step.find("bridge mode"), std::string::npos);
    EXPECT_EQ(diagnose_nat(true, std::nullopt, std::nullopt, ip("172.32.77.1")).verdict, NatVerdict::Unknown);
    // The router's own word beats the hop.
    EXPECT_EQ(diagnose_nat(true, ip("172.32.77.2"), std::nullopt, ip("10.0.0.1")).verdict, NatVerdict::Public);
}

TEST(ForwardPlan, CamerasGetRtspAndHttpsRecordersTheirAppPortHttpStaysClosed) {
    const auto profiles = repository_profiles();
    std::vector<DeviceServices> devices = {
        device("Front Door", "192.168.77.21", "AXIS", "camera", usual_protocols()),
        device("Recorder", "192.168.77.30", "HIKVISION", "recorder", usual_protocols()),
    };
    auto plan = build_forward_plan(devices, profiles, {}, {}, counting_from(20001));
    ASSERT_TRUE(plan) << plan.error().summary();
    ASSERT_EQ(plan->rules.size(), 5u);
    EXPECT_EQ(plan->rules.front().device_key, "urn:uuid:Recorder") << "recorders come first";
    const auto* rtsp = find_rule(*plan, "Front Door", "rtsp");
    ASSERT_NE(rtsp, nullptr);
    EXPECT_EQ(rtsp->internal_client, "192.168.77.21");
    EXPECT_EQ(rtsp->internal_port, 554);
    EXPECT_EQ(rtsp->protocol, "TCP");
    ASSERT_NE(find_rule(*plan, "Front Door", "https"), nullptr);
    EXPECT_EQ(find_rule(*plan, "Front Door", "http"), nullptr);
    EXPECT_EQ(find_rule(*plan, "Front Door", "hik-sdk"), nullptr) << "Axis has no app port";
    const auto* sdk = find_rule(*plan, "Recorder", "hik-sdk");
    ASSERT_NE(sdk, nullptr);
    EXPECT_EQ(sdk->internal_port, 8000);
    EXPECT_TRUE(mentions(plan->skipped, "HTTP port 80 not opened: it is unencrypted")) << plan->skipped.front();
    std::set<int> external;
    for (const auto& r : plan->rules) {
        EXPECT_TRUE(external.insert(r.external_port).second) << "external ports never collide";
        EXPECT_GE(r.external_port, 20001);
    }
}

TEST(ForwardPlan, InstallerChoicesAndTheDenyList) {
    const auto profiles = repository_profiles();
    std::vector<DeviceServices> devices = {device("Gate", "192.168.77.22", "Acme", "camera", usual_protocols())};
    ForwardChoices choices;
    choices.add_http = {"Gate"};
    choices.extra = {"192.168.77.22=8554", "Gate=5004/udp"};
    auto plan = build_forward_plan(devices, profiles, choices, {}, counting_from(21000));
    ASSERT_TRUE(plan) << plan.error().summary();
    ASSERT_NE(find_rule(*plan, "Gate", "http"), nullptr);
    ASSERT_NE(find_rule(*plan, "Gate", "port-8554-tcp"), nullptr);
    const auto* udp = find_rule(*plan, "Gate", "port-5004-udp");
    ASSERT_NE(udp, nullptr);
    EXPECT_EQ(udp->protocol, "UDP");

    choices = {};
    choices.extra = {"Gate=23"};
    auto telnet = build_forward_plan(devices, profiles, choices, {}, counting_from(21000));
    ASSERT_FALSE(telnet);
    EXPECT_NE(telnet.error().detail.find("Telnet"), std::string::npos) << telnet.error().detail;
    EXPECT_NE(telnet.error().detail.find("--allow-denied 23"), std::string::npos);
    choices.allow_denied = {23};
    auto allowed = build_forward_plan(devices, profiles, choices, {}, counting_from(21000));
    ASSERT_TRUE(allowed);
    EXPECT_NE(find_rule(*allowed, "Gate", "port-23-tcp"), nullptr);

    // A device whose own RTSP sits on a denied port is not opened, and the plan says why.
    auto odd = devices;
    odd[0].protocols = {{"RTSP", true, {22}}};
    auto closed = build_forward_plan(odd, profiles, {}, {}, counting_from(21000));
    ASSERT_TRUE(closed);
    EXPECT_TRUE(closed->rules.empty());
    EXPECT_TRUE(mentions(closed->skipped, "SSH"));

    for (const char* bad : {"Gate", "Gate=0", "Gate=70000", "Gate=80/sctp", "Nobody=80", "=80"}) {
        ForwardChoices c;
        c.extra = {bad};
        EXPECT_FALSE(build_forward_plan(devices, profiles, c, {}, counting_from(21000))) << bad;
    }
    ForwardChoices excluded;
    excluded.exclude = {"192.168.77.22"};
    auto none = build_forward_plan(devices, profiles, excluded, {}, counting_from(21000));
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->rules.empty());
    EXPECT_TRUE(mentions(none->skipped, "--exclude"));
}

TEST(ForwardPlan, EarlierPortsAreKeptAndNewOnesAvoidThem) {
    const auto profiles = repository_profiles();
    std::vector<DeviceServices> devices = {device("Gate", "192.168.77.22", "Acme", "camera", usual_protocols())};
    auto first = build_forward_plan(devices, profiles, {}, {}, counting_from(25000));
    ASSERT_TRUE(first);
    const int rtsp_port = find_rule(*first, "Gate", "rtsp")->external_port;
    devices[0].device.current.address = "192.168.77.40";  // readdressed since
    ForwardChoices choices;
    choices.add_http = {"Gate"};
    // The port source would hand out the earlier ports again: they must be skipped.
    auto second = build_forward_plan(devices, profiles, choices, first->rules, counting_from(25000));
    ASSERT_TRUE(second);
    EXPECT_EQ(find_rule(*second, "Gate", "rtsp")->external_port, rtsp_port);
    EXPECT_EQ(find_rule(*second, "Gate", "rtsp")->internal_client, "192.168.77.40");
    const int http_port = find_rule(*second, "Gate", "http")->external_port;
    for (const auto& r : first->rules) EXPECT_NE(http_port, r.external_port);
}

TEST(ForwardPlan, UnreadableDevicesAreLeftClosedWithTheReason) {
    const auto profiles = repository_profiles();
    auto d = device("Attic", "192.168.77.23", "Acme", "camera", {});
    d.unreadable = Error{ErrorCode::AuthFailed, "Attic", "HTTP 401", ""};
    auto plan = build_forward_plan({d}, profiles, {}, {}, counting_from(21000));
    ASSERT_TRUE(plan);
    EXPECT_TRUE(plan->rules.empty());
    EXPECT_TRUE(mentions(plan->skipped, "authentication failed"));
}

TEST(ForwardPlan, RandomPortsStayInTheirRange) {
    for (int i = 0; i < 1000; ++i) {
        const int port = random_external_port();
        ASSERT_GE(port, 20000);
        ASSERT_LE(port, 32767);
        ASSERT_FALSE(denied_port(port, "TCP"));
    }
}

TEST(RouterProfiles, FamiliesMatchTheirRoutersAndTheRestGetsGeneric) {
    const auto profiles = repository_profiles();
    auto family = [&](const char* manufacturer, const char* model, const char* friendly) {
        RouterIdentity id;
        id.manufacturer = manufacturer;
        id.model = model;
        id.friendly_name = friendly;
        return router_profile_for(profiles, id).id;
    };
    EXPECT_EQ(family("TP-Link", "Archer AX55", "Archer AX55"), "tp-link");
    EXPECT_EQ(family("NETGEAR, Inc.", "R7000", "NETGEAR R7000"), "netgear");
    EXPECT_EQ(family("ASUSTeK Computer Inc.", "RT-AX86U", "RT-AX86U"), "asus");
    EXPECT_EQ(family("AVM Berlin", "FRITZ!Box 7590", "FRITZ!Box 7590"), "fritzbox");
    EXPECT_EQ(family("MiniUPnP", "SiteSim IGD", "SiteSim Router"), "generic");
    EXPECT_EQ(router_profile_for(profiles, std::nullopt).id, "generic");
}

TEST(RouterProfiles, GuideSpellsOutEveryRuleOnTheFamilysScreen) {
    const auto profiles = repository_profiles();
    const RouterProfile& tp = *profiles.router("tp-link");
    ForwardRule rule{"urn:uuid:cam1", "Front Door (192.168.77.21)", "rtsp", "TCP", "192.168.77.21", 554, 24817, "video streams"};
    const auto guide = manual_guide({rule}, tp, "192.168.77.1");
    EXPECT_NE(guide.find(tp.family), std::string::npos);
    EXPECT_NE(guide.find(menu_path(tp.menu)), std::string::npos) << guide;
    EXPECT_NE(guide.find(tp.field_external_port + ": 24817"), std::string::npos) << guide;
    EXPECT_NE(guide.find(tp.field_internal_address + ": 192.168.77.21"), std::string::npos) << guide;
    EXPECT_NE(guide.find(tp.field_internal_port + ": 554"), std::string::npos) << guide;
    EXPECT_NE(guide.find(tp.field_protocol + ": " + tp.protocol_values.at("TCP")), std::string::npos) << guide;
    EXPECT_EQ(guide.find("{gateway}"), std::string::npos) << "the router's address is filled in";
    const auto removal = removal_guide({rule}, tp, "192.168.77.1");
    EXPECT_NE(removal.find("24817"), std::string::npos);
    EXPECT_NE(removal.find(tp.remove), std::string::npos);
}

TEST(RouterProfiles, BadRouterFilesAreRejectedByName) {
    const fs::path dir = fs::temp_directory_path() / ("sitelink-router-profiles-" + std::to_string(::getpid()));
    fs::create_directories(dir / "vendors");
    fs::create_directories(dir / "routers");
    fs::create_directories(dir / "ddns");
    fs::create_directories(dir / "apps");
    fs::copy_file(std::string(SITELINK_SOURCE_DIR) + "/profiles/routers/generic.json", dir / "routers" / "generic.json");
    ASSERT_TRUE(load_profiles(dir.string()));
    std::ofstream(dir / "routers" / "acme.json") << R"({"schema": 1, "family": "Acme", "match": [["Acme"]], "admin_url": "x",
        "menu": [], "add": "", "fields": {"external_port": "", "internal_address": "", "internal_port": "", "protocol": ""},
        "protocol_values": {"TCP": "TCP", "UDP": "UDP"}, "save": "", "remove": "", "notes": []})";
    auto upper = load_profiles(dir.string());
    ASSERT_FALSE(upper);
    EXPECT_NE(upper.error().device.find("acme.json"), std::string::npos);
    EXPECT_NE(upper.error().detail.find("lower case"), std::string::npos) << upper.error().detail;
    std::ofstream(dir / "routers" / "acme.json", std::ios::trunc) << R"({"schema": 1, "family": "Acme", "colour": "red"})";
    auto unknown = load_profiles(dir.string());
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().detail.find("colour unknown key"), std::string::npos) << unknown.error().detail;
    fs::remove(dir / "routers" / "acme.json");
    fs::remove(dir / "routers" / "generic.json");
    auto no_generic = load_profiles(dir.string());
    ASSERT_FALSE(no_generic);
    EXPECT_NE(no_generic.error().detail.find("generic"), std::string::npos);
    fs::remove_all(dir);
}

TEST(ForwardRecords, WrittenBeforeAndAfterAndReadBack) {
    const fs::path file = fs::temp_directory_path() / ("sitelink-forwards-" + std::to_string(::getpid()) + ".db");
    {
        auto site = site::SiteDb::open(file);
        ASSERT_TRUE(site) << site.error().summary();
        site::SiteDevice d;
        d.key = "urn:uuid:cam1";
        d.name = "cam1";
        ASSERT_TRUE((*site)->remember_device(d));
        auto id = (*site)->record_forward({0, d.key, "rtsp", "TCP", 24000, "192.168.77.21", 554, "sitelink x cam1 rtsp", 0,
                                           "http://192.168.77.1:5000/ctl/IPConn", "adding", "", ""});
        ASSERT_TRUE(id);
        ASSERT_TRUE((*site)->move_forward(*id, 24001));
        ASSERT_TRUE((*site)->set_forward_state(*id, "added", "read back"));
        EXPECT_FALSE((*site)->set_forward_state(*id, "bogus", "")) << "the state is checked by the schema";
        EXPECT_FALSE((*site)->set_forward_state(*id + 100, "added", "")) << "no such record";
        EXPECT_FALSE((*site)->record_forward({0, d.key, "rtsp", "SCTP", 1, "", 1, "", 0, "", "adding", "", ""}));
    }
    auto reopened = site::SiteDb::open(file);
    ASSERT_TRUE(reopened);
    auto records = (*reopened)->forwards();
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), 1u);
    EXPECT_EQ(records->front().external_port, 24001);
    EXPECT_EQ(records->front().state, "added");
    EXPECT_EQ(records->front().result, "read back");
    fs::remove(file);
    fs::remove(file.string() + "-wal");
    fs::remove(file.string() + "-shm");
    fs::remove(file.string() + ".lock");
}
