// DDNS, the keeper and outside-in verification on simulated sites: the WAN namespace runs bind9,
// the DDNS providers (dyndns2, DuckDNS, Cloudflare's API) and `sitelink probe-server`. A good site
// passes every check; each fault is named precisely; the keeper renews leases, restores lost
// mappings and follows the ISP's address change; the probe server probes nobody but its caller.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sitesim_site.h"

using nlohmann::json;
using namespace sitelink::testing;

namespace {

const std::string kHostname = "shop.site.example.test";

class Reach {
public:
    explicit Reach(SimSite& site) : site_(site) {}

    std::vector<std::string> with_outside(std::vector<std::string> argv) {
        argv.insert(argv.end(), {"--interface", "eth0", "--ip-echo", site_.fact("SITESIM_WHATISMYIP_URL")});
        return argv;
    }
    CommandResult ddns_set(const std::string& secret, std::vector<std::string> args) {
        std::vector<std::string> argv = {"ddns", "set", "--hostname", kHostname};
        argv.insert(argv.end(), args.begin(), args.end());
        return site_.sitelink_cmd(argv, {{"SITELINK_DDNS_SECRET", secret}});
    }
    CommandResult dyndns2_set(const std::string& password) {
        return ddns_set(password, {"--provider", "dyndns2", "--base-url", "http://" + site_.fact("SITESIM_WAN_HOST"), "--user",
                                   site_.fact("SITESIM_DYNDNS_USER")});
    }
    CommandResult ddns_update() { return site_.sitelink_cmd(with_outside({"ddns", "update", "--json"})); }
    CommandResult keeper_pass(std::vector<std::string> extra = {}) {
        std::vector<std::string> argv = with_outside({"keeper", "run", "--once", "--json"});
        argv.insert(argv.end(), extra.begin(), extra.end());
        return site_.sitelink_cmd(argv);
    }
    // The checklist as JSON; the exit code is checked against `passed` every time.
    json verify() {
        auto run = site_.sitelink_cmd(with_outside({"verify", "--json", "--resolver", site_.fact("SITESIM_RESOLVER"), "--probe",
                                                    site_.fact("SITESIM_PROBE_URL"), "--probe-ca", site_.fact("SITESIM_PROBE_CA")}),
                                      {{"SITELINK_PROBE_TOKEN", site_.fact("SITESIM_PROBE_TOKEN")}});
        EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.err;
        json report = json::parse(run.out, nullptr, false);
        EXPECT_FALSE(report.is_discarded()) << run.out << run.err;
        if (report.is_discarded()) return json::object();
        EXPECT_EQ(report["passed"].get<bool>(), run.exit_code == 0) << run.out;
        return report;
    }
    std::string dig(const std::string& name) {
        auto run = site_.on("phone", {"dig", "+short", "@" + site_.fact("SITESIM_RESOLVER"), name, "A"});
        std::string out = run.out;
        while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
        return out;
    }

private:
    SimSite& site_;
};

std::vector<json> checks_with(const json& report, const std::string& id, const std::string& result) {
    std::vector<json> out;
    for (const auto& c : report["checks"])
        if (c["id"] == id && c["result"] == result) out.push_back(c);
    return out;
}

std::string all_reasons(const json& report) {
    std::string out;
    for (const auto& c : report["checks"]) out += c["result"].get<std::string>() + " " + c["subject"].get<std::string>() + ": " +
                                                 c["reason"].get<std::string>() + "\n";
    return out;
}

}  // namespace

TEST(Reach, GoodSitePassesAndEveryFaultIsNamedAndTheKeeperRepairs) {
    SimSite site("v");
    ASSERT_EQ(site.up().exit_code, 0) << site.up().err;
    Reach reach(site);
    const std::string public_ip = site.fact("SITESIM_PUBLIC_IP");
    ASSERT_NO_FATAL_FAILURE(site.plan());
    auto apply = site.sitelink_cmd({"forward", "apply", "--lease", "600"});
    ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
    ASSERT_EQ(reach.dyndns2_set(site.fact("SITESIM_DYNDNS_PASSWORD")).exit_code, 0);
    auto update = reach.ddns_update();
    ASSERT_EQ(update.exit_code, 0) << update.out << update.err;
    EXPECT_EQ(json::parse(update.out)["action"], "updated");
    EXPECT_EQ(reach.dig(kHostname), public_ip);
    // The same address again asks the provider nothing (repeated nochg gets accounts blocked).
    EXPECT_EQ(json::parse(reach.ddns_update().out)["action"], "unchanged");

    // A good site: every check passes, each forward answers as its kind from outside.
    json good = reach.verify();
    EXPECT_TRUE(good["passed"].get<bool>()) << all_reasons(good);
    EXPECT_EQ(checks_with(good, "forward", "pass").size(), 4u) << all_reasons(good);  // rtsp + https for two cameras
    EXPECT_EQ(checks_with(good, "ddns-resolves", "pass").size(), 1u);
    EXPECT_EQ(checks_with(good, "ddns-outside", "pass").size(), 1u);

    // The keeper renews leases that are running out (all four have less than 700 s left).
    auto renew = reach.keeper_pass({"--renew-within", "700"});
    ASSERT_EQ(renew.exit_code, 0) << renew.out << renew.err;
    EXPECT_NE(json::parse(renew.out)["summary"].get<std::string>().find("4 renewed"), std::string::npos) << renew.out;

    // Port not forwarded: the router restarts and forgets every mapping.
    site.router_restart();
    json lost = reach.verify();
    EXPECT_FALSE(lost["passed"].get<bool>());
    const auto not_forwarded = checks_with(lost, "forward", "fail");
    ASSERT_EQ(not_forwarded.size(), 4u) << all_reasons(lost);
    for (const auto& c : not_forwarded) {
        EXPECT_NE(c["reason"].get<std::string>().find("port not forwarded"), std::string::npos) << c.dump();
        EXPECT_NE(c["fix"].get<std::string>().find("sitelink forward apply"), std::string::npos) << c.dump();
    }
    auto restore = reach.keeper_pass();
    ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
    EXPECT_NE(json::parse(restore.out)["summary"].get<std::string>().find("4 restored"), std::string::npos) << restore.out;
    EXPECT_TRUE(reach.verify()["passed"].get<bool>());

    // Stale DDNS address: the ISP gives the site a new address.
    const std::string new_ip = "172.32.77.3";
    ASSERT_EQ(site.sitesim({"wan-ip", new_ip}).exit_code, 0);
    json stale = reach.verify();
    EXPECT_EQ(stale["external_address"], new_ip);
    const auto stale_name = checks_with(stale, "ddns-resolves", "fail");
    ASSERT_EQ(stale_name.size(), 1u) << all_reasons(stale);
    EXPECT_NE(stale_name[0]["reason"].get<std::string>().find("stale DDNS address"), std::string::npos);
    EXPECT_NE(stale_name[0]["reason"].get<std::string>().find(public_ip), std::string::npos);
    EXPECT_EQ(checks_with(stale, "ddns-outside", "fail").size(), 1u) << "the probe server sees the name lead elsewhere";
    EXPECT_EQ(checks_with(stale, "forward", "pass").size(), 4u) << "the forwards still work at the new address";
    auto follow = reach.keeper_pass();
    ASSERT_EQ(follow.exit_code, 0) << follow.out << follow.err;
    EXPECT_EQ(reach.dig(kHostname), new_ip);
    EXPECT_TRUE(reach.verify()["passed"].get<bool>());

    // Service down behind a good forward: a port of Yard's where nothing listens.
    ASSERT_NO_FATAL_FAILURE(site.plan({"--add", "Yard=8554"}));
    ASSERT_EQ(site.sitelink_cmd({"forward", "apply"}).exit_code, 0);
    json down = reach.verify();
    const auto down_lines = checks_with(down, "forward", "fail");
    ASSERT_EQ(down_lines.size(), 1u) << all_reasons(down);
    EXPECT_NE(down_lines[0]["subject"].get<std::string>().find("Yard"), std::string::npos);
    EXPECT_NE(down_lines[0]["reason"].get<std::string>().find("service down behind a good forward"), std::string::npos)
        << down_lines[0].dump();
    ASSERT_EQ(site.sitelink_cmd({"forward", "undo"}).exit_code, 0);

    // Wrong DDNS credentials: the provider's badauth stops further requests until a human acts.
    ASSERT_EQ(reach.dyndns2_set("not-the-password").exit_code, 0);
    auto refused = reach.ddns_update();
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_EQ(json::parse(refused.out)["code"], "badauth") << refused.out;
    auto again = reach.ddns_update();
    EXPECT_EQ(json::parse(again.out)["action"], "stopped") << again.out;
    json badauth = reach.verify();
    const auto provider = checks_with(badauth, "ddns-provider", "fail");
    ASSERT_EQ(provider.size(), 1u) << all_reasons(badauth);
    EXPECT_NE(provider[0]["reason"].get<std::string>().find("badauth"), std::string::npos);
}

TEST(Reach, CarrierGradeNatIsNamed) {
    SimSite site("n", {{"SITESIM_NAT", "cgnat"}});
    ASSERT_EQ(site.up().exit_code, 0) << site.up().err;
    Reach reach(site);
    json report = reach.verify();
    EXPECT_FALSE(report["passed"].get<bool>());
    const auto address = checks_with(report, "external-address", "fail");
    ASSERT_EQ(address.size(), 1u) << all_reasons(report);
    EXPECT_NE(address[0]["reason"].get<std::string>().find("cgnat"), std::string::npos) << address[0].dump();
    EXPECT_EQ(checks_with(report, "ddns-provider", "fail").size(), 1u) << "no DDNS name yet";
}

TEST(Reach, OtherDdnsProvidersPointTheName) {
    SimSite site("p");
    ASSERT_EQ(site.up().exit_code, 0) << site.up().err;
    Reach reach(site);
    const std::string public_ip = site.fact("SITESIM_PUBLIC_IP");
    struct Case {
        std::string hostname, secret;
        std::vector<std::string> args;
    };
    const std::string key_file = site.on("wan", {"cat", site.fact("SITESIM_TSIG_KEYFILE")}).out;
    const auto quote = key_file.find("secret \"");
    ASSERT_NE(quote, std::string::npos) << key_file;
    const std::string tsig_secret = key_file.substr(quote + 8, key_file.find('"', quote + 8) - quote - 8);
    const std::vector<Case> cases = {
        {"shopcams.duckdns.org", site.fact("SITESIM_DUCKDNS_TOKEN"), {"--provider", "duckdns", "--base-url", site.fact("SITESIM_DUCKDNS_URL")}},
        {"cf.site.example.test", site.fact("SITESIM_CLOUDFLARE_TOKEN"),
         {"--provider", "cloudflare", "--base-url", site.fact("SITESIM_CLOUDFLARE_URL")}},
        {"tsig.site.example.test", tsig_secret,
         {"--provider", "rfc2136", "--server", site.fact("SITESIM_DNS"), "--user", site.fact("SITESIM_TSIG_KEYNAME")}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.hostname);
        std::vector<std::string> argv = {"ddns", "set", "--hostname", c.hostname};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        auto set = site.sitelink_cmd(argv, {{"SITELINK_DDNS_SECRET", c.secret}});
        ASSERT_EQ(set.exit_code, 0) << set.err;
        auto first = reach.ddns_update();
        ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
        EXPECT_EQ(json::parse(first.out)["action"], "updated");
        EXPECT_EQ(reach.dig(c.hostname), public_ip);
        auto forced = site.sitelink_cmd(reach.with_outside({"ddns", "update", "--force", "--json"}));
        EXPECT_EQ(json::parse(forced.out)["action"], "confirmed") << "the provider already had it: " << forced.out;
        // A wrong secret is refused by the provider and stops further requests.
        auto wrong = site.sitelink_cmd(argv, {{"SITELINK_DDNS_SECRET", "d3Jvbmcgc2VjcmV0IGZvciB0ZXN0aW5n"}});
        ASSERT_EQ(wrong.exit_code, 0);
        auto refused = site.sitelink_cmd(reach.with_outside({"ddns", "update", "--address", "172.32.77.9", "--json"}));
        EXPECT_EQ(refused.exit_code, 1);
        EXPECT_EQ(json::parse(refused.out)["action"], "stopped") << refused.out;
        EXPECT_EQ(reach.dig(c.hostname), public_ip) << "nothing changed with the wrong secret";
    }
}

TEST(Reach, ProbeServerProbesNobodyButItsCaller) {
    SimSite site("q");
    ASSERT_EQ(site.up().exit_code, 0) << site.up().err;
    Reach reach(site);
    ASSERT_NO_FATAL_FAILURE(site.plan());
    ASSERT_EQ(site.sitelink_cmd({"forward", "apply"}).exit_code, 0);
    ASSERT_EQ(reach.dyndns2_set(site.fact("SITESIM_DYNDNS_PASSWORD")).exit_code, 0);
    ASSERT_EQ(reach.ddns_update().exit_code, 0);
    auto ask = [&](const std::string& body) {
        return site.on("phone", {"curl", "-sS", "--max-time", "20", "--cacert", site.fact("SITESIM_PROBE_CA"), "-H",
                                 "Authorization: Bearer " + site.fact("SITESIM_PROBE_TOKEN"), "-H", "Content-Type: application/json",
                                 "-d", body, "-w", "\n%{http_code}", site.fact("SITESIM_PROBE_URL") + "/v1/probe"});
    };
    const int rtsp_port = site.saved_plan()["rules"][0]["external_port"].get<int>();
    const std::string check = R"("checks":[{"port":)" + std::to_string(rtsp_port) + R"(,"kind":"tcp"}])";
    // The phone on the internet names the site: refused, the site is not the caller.
    auto named = ask(R"({"host":")" + kHostname + R"(",)" + check + "}");
    EXPECT_NE(named.out.find("host-mismatch"), std::string::npos) << named.out << named.err;
    EXPECT_NE(named.out.find("\n403"), std::string::npos) << named.out;
    // A target address is not even a field of the API.
    auto targeted = ask(R"({"address":")" + site.fact("SITESIM_PUBLIC_IP") + R"(",)" + check + "}");
    EXPECT_NE(targeted.out.find("\n400"), std::string::npos) << targeted.out;
    // Without a name the probe goes to the caller itself, which forwards nothing.
    auto own = ask("{" + check + "}");
    ASSERT_NE(own.out.find("\n200"), std::string::npos) << own.out;
    const json answer = json::parse(own.out.substr(0, own.out.rfind('\n')));
    EXPECT_EQ(answer["address"], site.fact("SITESIM_PHONE_IP"));
    EXPECT_FALSE(answer["results"][0]["connected"].get<bool>()) << answer.dump();
    // No token, no probe.
    auto anonymous = site.on("phone", {"curl", "-sS", "--cacert", site.fact("SITESIM_PROBE_CA"), "-d", "{" + check + "}", "-w",
                                       "\n%{http_code}", site.fact("SITESIM_PROBE_URL") + "/v1/probe"});
    EXPECT_NE(anonymous.out.find("\n401"), std::string::npos) << anonymous.out;
}
