// The router stage on simulated sites (tests/site/sitesim: real miniupnpd, nftables NAT, an ISP
// or modem in front when asked): the NAT verdict for each kind of site, forwarding that really
// carries traffic from the phone outside to each camera service, secure mode's manual guide, a
// router restart that loses the mappings, someone else's mapping left alone, and undo.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "sitesim_site.h"

using nlohmann::json;
using namespace sitelink::testing;

namespace {

using Site = SimSite;

std::string probes() { return std::string(SITELINK_SOURCE_DIR) + "/tests/site/probes.py"; }

std::string upnpc(Site& site, const std::string& host, std::vector<std::string> args) {
    std::vector<std::string> argv = {"upnpc", "-u", site.fact("SITESIM_IGD_DESC")};
    argv.insert(argv.end(), args.begin(), args.end());
    return site.on(host, argv).out;
}

json rule_for(const json& rules, const std::string& device, const std::string& service) {
    for (const auto& r : rules)
        if (r["device"].get<std::string>().find(device) != std::string::npos && r["service"] == service) return r;
    return nullptr;
}

}  // namespace

TEST(RouterSite, PublicSiteForwardsEveryServiceAndUndoesOnlyItsOwn) {
    Site site("p");
    ASSERT_EQ(site.up().exit_code, 0) << site.up().err;
    const std::string public_ip = site.fact("SITESIM_PUBLIC_IP");

    auto status = site.status_json();
    ASSERT_EQ(status.exit_code, 0) << status.err;
    const json s = json::parse(status.out);
    EXPECT_EQ(s["nat"]["verdict"], "public") << s.dump(2);
    EXPECT_EQ(s["external_address"], public_ip);
    EXPECT_EQ(s["natpmp_external_address"], public_ip);
    EXPECT_EQ(s["public_address"], public_ip);
    EXPECT_EQ(s["router"]["igd_version"], 2);

    ASSERT_NO_FATAL_FAILURE(site.plan({"--http", "Yard"}));
    const json rules = site.saved_plan()["rules"];
    ASSERT_EQ(rules.size(), 5u) << rules.dump(2);  // rtsp + https each, and Yard's http
    const json yard_rtsp = rule_for(rules, "Yard", "rtsp");
    ASSERT_FALSE(yard_rtsp.is_null());
    EXPECT_TRUE(rule_for(rules, "Front Door", "http").is_null()) << "plain HTTP only where the installer asked";

    // Someone else already holds the external port planned for Yard's RTSP.
    const std::string taken = std::to_string(yard_rtsp["external_port"].get<int>());
    upnpc(site, "agent", {"-e", "not-sitelink", "-a", "192.168.77.99", "554", taken, "TCP"});
    ASSERT_NE(upnpc(site, "agent", {"-l"}).find("192.168.77.99:554"), std::string::npos);

    auto apply = site.sitelink_cmd({"forward", "apply", "--json"});
    ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
    const json applied = json::parse(apply.out);
    std::map<std::string, int> external;  // "device service" -> port
    for (const auto& r : applied["rules"]) {
        EXPECT_EQ(r["state"], "added") << r.dump();
        external[r["rule"]["device"].get<std::string>().substr(0, 4) + " " + r["rule"]["service"].get<std::string>()] =
            r["rule"]["external_port"].get<int>();
    }
    EXPECT_NE(external["Yard rtsp"], std::stoi(taken)) << "moved off the port someone else holds";
    EXPECT_NE(apply.err.find("is taken by 192.168.77.99:554"), std::string::npos) << apply.err;

    // From the phone on the internet, through the router, to each service.
    for (const auto& [who, port] : external) {
        SCOPED_TRACE(who);
        const std::string p = std::to_string(port);
        if (who.find("rtsp") != std::string::npos) {
            auto r = site.on("phone", {probes(), "rtsp", public_ip, p});
            EXPECT_EQ(r.out, "RTSP/1.0 200 OK CSeq 7\n") << r.err;
        } else if (who.find("https") != std::string::npos) {
            auto r = site.on("phone", {probes(), "https", public_ip, p});
            EXPECT_EQ(r.out, "HTTP/1.1 200 OK\n") << r.err;
        } else {
            auto r = site.on("phone", {"curl", "-s", "-m", "5", "-X", "POST", "-H", "Content-Type: application/soap+xml",
                                       "--data", "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>"
                                                 "<GetSystemDateAndTime xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>"
                                                 "</s:Body></s:Envelope>",
                                       "http://" + public_ip + ":" + p + "/onvif/device_service"});
            EXPECT_NE(r.out.find("GetSystemDateAndTimeResponse"), std::string::npos) << r.out << r.err;
        }
    }

    // Applying again changes nothing.
    auto again = site.sitelink_cmd({"forward", "apply", "--json"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    const json kept = json::parse(again.out)["rules"];
    for (const auto& r : kept) EXPECT_EQ(r["state"], "kept") << r.dump();

    // A router restart loses them: status says so, apply puts them back.
    site.router_restart();
    auto lost = site.status_json();
    EXPECT_EQ(lost.exit_code, 1);
    EXPECT_EQ(json::parse(lost.out)["lost"].size(), 5u) << lost.out;
    EXPECT_NE(lost.err.find("sitelink forward apply"), std::string::npos) << lost.err;
    auto restored = site.sitelink_cmd({"forward", "apply", "--json"});
    ASSERT_EQ(restored.exit_code, 0) << restored.err;
    const json readded = json::parse(restored.out)["rules"];
    for (const auto& r : readded) EXPECT_EQ(r["state"], "added") << r.dump();
    EXPECT_EQ(site.status_json().exit_code, 0);

    // Someone maps a port of their own; undo removes exactly Sitelink's five.
    upnpc(site, "agent", {"-e", "not-sitelink", "-a", "192.168.77.99", "8080", "20080", "TCP"});
    auto undo = site.sitelink_cmd({"forward", "undo", "--json"});
    ASSERT_EQ(undo.exit_code, 0) << undo.err;
    const json undone = json::parse(undo.out)["rules"];
    EXPECT_EQ(undone.size(), 5u);
    for (const auto& r : undone) EXPECT_EQ(r["state"], "removed") << r.dump();
    const json after = json::parse(site.status_json().out)["mappings"];
    ASSERT_EQ(after.size(), 1u) << after.dump(2);
    EXPECT_EQ(after[0]["internal_client"], "192.168.77.99");
    EXPECT_EQ(after[0]["external_port"], 20080);
    auto nothing = site.sitelink_cmd({"forward", "undo"});
    EXPECT_EQ(nothing.exit_code, 0);
    EXPECT_NE(nothing.err.find("nothing to undo"), std::string::npos) << nothing.err;
}

TEST(RouterSite, SecureModeRefusalIsDetectedAndTheGuideNamesEveryRule) {
    Site site("s", {{"SITESIM_SECURE_MODE", "yes"}});
    ASSERT_EQ(site.up().exit_code, 0) << site.up().err;
    ASSERT_NO_FATAL_FAILURE(site.plan());
    auto apply = site.sitelink_cmd({"forward", "apply"});
    EXPECT_EQ(apply.exit_code, 1) << apply.out << apply.err;
    EXPECT_NE(apply.err.find("secure mode"), std::string::npos) << apply.err;
    // miniupnpd answers AddAnyPortMapping (IGD:2) with 606, AddPortMapping with 718
    EXPECT_TRUE(apply.out.find("UPnP 606") != std::string::npos || apply.out.find("UPnP 718") != std::string::npos) << apply.out;
    EXPECT_NE(apply.err.find("Port forwarding by hand"), std::string::npos) << apply.err;
    for (const auto& rule : site.saved_plan()["rules"]) {
        EXPECT_NE(apply.err.find(": " + std::to_string(rule["external_port"].get<int>()) + "\n"), std::string::npos)
            << "the guide gives external port " << rule["external_port"] << "\n" << apply.err;
        EXPECT_NE(apply.err.find(": " + rule["internal_client"].get<std::string>() + "\n"), std::string::npos);
    }
    EXPECT_EQ(json::parse(site.status_json().out)["mappings"].size(), 0u) << "nothing half-made on the router";
    auto guide = site.sitelink_cmd({"forward", "guide", "--router-profile", "fritzbox"});
    EXPECT_EQ(guide.exit_code, 0);
    EXPECT_NE(guide.out.find("FRITZ!Box"), std::string::npos) << guide.out;
    auto undo = site.sitelink_cmd({"forward", "undo"});
    EXPECT_EQ(undo.exit_code, 0) << undo.err;
    EXPECT_NE(undo.err.find("Removing port forwarding by hand"), std::string::npos) << undo.err;
}

TEST(RouterSite, CarrierGradeNatIsNamedAndNothingIsOpened) {
    Site site("c", {{"SITESIM_NAT", "cgnat"}});
    ASSERT_EQ(site.up().exit_code, 0) << site.up().err;
    auto status = site.status_json();
    ASSERT_EQ(status.exit_code, 0) << status.err;
    const json s = json::parse(status.out);
    EXPECT_EQ(s["nat"]["verdict"], "cgnat") << s.dump(2);
    EXPECT_EQ(s["upstream_hop"], "100.64.7.1");
    EXPECT_NE(s["nat"]["next_step"].get<std::string>().find("public IPv4 address"), std::string::npos);
    ASSERT_NO_FATAL_FAILURE(site.plan());
    auto apply = site.sitelink_cmd({"forward", "apply"});
    EXPECT_EQ(apply.exit_code, 4) << apply.err;
    EXPECT_NE(apply.err.find("behind another NAT"), std::string::npos) << apply.err;
}

TEST(RouterSite, DoubleNatIsNamed) {
    Site site("d", {{"SITESIM_NAT", "double"}});
    ASSERT_EQ(site.up().exit_code, 0) << site.up().err;
    auto status = site.status_json();
    ASSERT_EQ(status.exit_code, 0) << status.err;
    const json s = json::parse(status.out);
    EXPECT_EQ(s["nat"]["verdict"], "double-nat") << s.dump(2);
    EXPECT_EQ(s["upstream_hop"], "192.168.1.1");
    EXPECT_NE(s["nat"]["next_step"].get<std::string>().find("bridge mode"), std::string::npos);
}

TEST(RouterSite, WithoutUpnpTheGuideIsPrinted) {
    Site site("u", {{"SITESIM_UPNP", "off"}});
    ASSERT_EQ(site.up().exit_code, 0) << site.up().err;
    auto status = site.status_json();
    ASSERT_EQ(status.exit_code, 0) << status.err;
    const json s = json::parse(status.out);
    EXPECT_EQ(s["nat"]["verdict"], "upnp-off") << s.dump(2);
    EXPECT_EQ(s["router_error"]["error"], "no-upnp-router");
    ASSERT_NO_FATAL_FAILURE(site.plan());
    auto apply = site.sitelink_cmd({"forward", "apply"});
    EXPECT_EQ(apply.exit_code, 1) << apply.err;
    EXPECT_NE(apply.err.find("no UPnP router found"), std::string::npos) << apply.err;
    EXPECT_NE(apply.err.find("switch UPnP on at"), std::string::npos) << apply.err;
    EXPECT_NE(apply.err.find("Port forwarding by hand"), std::string::npos) << apply.err;
}
