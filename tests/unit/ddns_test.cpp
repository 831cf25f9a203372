// The DDNS stage without a network: what each provider answer means, sealed secrets, settings
// checked against the provider profiles, and the update decisions against a scripted dyndns2
// provider on loopback.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "ddns/ddns.h"
#include "site/secrets.h"

using namespace sitelink;
using namespace sitelink::ddns;
namespace fs = std::filesystem;

namespace {

// A temporary folder holding the site file and the secret key, removed afterwards.
class TempSite {
public:
    TempSite() {
        fs::create_directories(dir_);
        ::setenv("SITELINK_SECRET_KEY", (dir_ / "secret.key").c_str(), 1);
        auto opened = site::SiteDb::open(dir_ / "job.db");
        EXPECT_TRUE(opened);
        db_ = std::move(opened.value());
        auto loaded = load_profiles(std::string(SITELINK_SOURCE_DIR) + "/profiles");
        EXPECT_TRUE(loaded) << loaded.error().summary();
        profiles_ = std::move(loaded.value());
    }
    ~TempSite() {
        db_.reset();
        ::unsetenv("SITELINK_SECRET_KEY");
        fs::remove_all(dir_);
    }
    site::SiteDb& db() { return *db_; }
    const Profiles& profiles() const { return profiles_; }
    const fs::path& dir() const { return dir_; }

private:
    fs::path dir_ = fs::temp_directory_path() / ("sitelink-ddns-" + std::to_string(::getpid()));
    std::unique_ptr<site::SiteDb> db_;
    Profiles profiles_;
};

// A dyndns2 provider on loopback answering the next scripted line, counting the requests.
class ScriptedProvider {
public:
    ScriptedProvider() {
        server_.Get("/nic/update", [this](const httplib::Request& req, httplib::Response& res) {
            ++requests_;
            last_query_ = req.target;
            res.set_content(answer_, "text/plain");
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
    }
    ~ScriptedProvider() {
        server_.stop();
        thread_.join();
    }
    void answer(const std::string& text) { answer_ = text; }
    int requests() const { return requests_; }
    std::string last_query() const { return last_query_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    httplib::Server server_;
    std::thread thread_;
    int port_ = 0;
    std::string answer_;
    std::string last_query_;
    std::atomic<int> requests_{0};
};

DdnsSetRequest dyndns2_at(const std::string& url) {
    DdnsSetRequest r;
    r.settings.provider = "dyndns2";
    r.settings.hostname = "Shop.Example.net";
    r.settings.username = "installer";
    r.settings.base_url = url;
    r.secret = "s3cret";
    return r;
}

}  // namespace

TEST(DdnsAnswers, Dyndns2CodesMeanWhatTheProtocolSays) {
    EXPECT_EQ(classify_dyndns2("good 203.0.113.7").kind, AnswerKind::Updated);
    EXPECT_EQ(classify_dyndns2("good 203.0.113.7").address, "203.0.113.7");
    EXPECT_EQ(classify_dyndns2("nochg 203.0.113.7").kind, AnswerKind::Unchanged);
    for (const char* later : {"911", "dnserr"}) EXPECT_EQ(classify_dyndns2(later).kind, AnswerKind::RetryLater) << later;
    for (const char* human : {"badauth", "nohost", "notfqdn", "numhost", "abuse", "!donator", "badagent", "<html>", ""}) {
        const auto a = classify_dyndns2(human);
        EXPECT_EQ(a.kind, AnswerKind::Stopped) << human;
        EXPECT_FALSE(a.advice.empty()) << human;
    }
    EXPECT_EQ(classify_dyndns2("abuse").code, "abuse");
    EXPECT_EQ(dyndns2_answer("u", 401, "").code, "badauth") << "a bare 401 is badauth";
    EXPECT_EQ(dyndns2_answer("u", 503, "<html>busy</html>").kind, AnswerKind::RetryLater);
    EXPECT_EQ(dyndns2_answer("u", 404, "").kind, AnswerKind::Stopped);
    EXPECT_EQ(dyndns2_answer("u", 200, "nochg 203.0.113.7\r\n").kind, AnswerKind::Unchanged);
}

TEST(DdnsAnswers, DuckDnsAndCloudflare) {
    EXPECT_EQ(duckdns_answer("u", 200, "OK", "203.0.113.7").kind, AnswerKind::Updated);
    EXPECT_EQ(duckdns_answer("u", 200, "OK\n203.0.113.7\n\nNOCHANGE", "203.0.113.7").kind, AnswerKind::Unchanged);
    EXPECT_EQ(duckdns_answer("u", 200, "KO", "203.0.113.7").kind, AnswerKind::Stopped);
    EXPECT_EQ(duckdns_answer("u", 200, "Welcome!", "203.0.113.7").kind, AnswerKind::Stopped);
    EXPECT_EQ(duckdns_answer("u", 502, "", "203.0.113.7").kind, AnswerKind::RetryLater);

    auto ok = cloudflare_answer("u", 200, R"({"success":true,"errors":[],"result":[{"id":"z1"}]})");
    ASSERT_TRUE(std::holds_alternative<nlohmann::json>(ok));
    EXPECT_EQ(std::get<nlohmann::json>(ok)[0]["id"], "z1");
    auto token = cloudflare_answer("u", 403, R"({"success":false,"errors":[{"code":10000,"message":"Authentication error"}]})");
    ASSERT_TRUE(std::holds_alternative<ProviderAnswer>(token));
    EXPECT_EQ(std::get<ProviderAnswer>(token).kind, AnswerKind::Stopped);
    EXPECT_EQ(std::get<ProviderAnswer>(token).code, "HTTP 403 / 10000");
    EXPECT_EQ(std::get<ProviderAnswer>(cloudflare_answer("u", 429, R"({"success":false,"errors":[]})")).kind, AnswerKind::RetryLater);
    EXPECT_EQ(std::get<ProviderAnswer>(cloudflare_answer("u", 502, "<html>bad gateway</html>")).kind, AnswerKind::RetryLater);
    EXPECT_EQ(std::get<ProviderAnswer>(cloudflare_answer("u", 200, "not json")).kind, AnswerKind::Stopped);
    EXPECT_EQ(std::get<ProviderAnswer>(cloudflare_answer("u", 200, R"([1,2])")).kind, AnswerKind::Stopped);
    // Found by fuzz_ddns_answer: "success" that is not a boolean threw out of the parser.
    EXPECT_EQ(std::get<ProviderAnswer>(cloudflare_answer("u", 200, R"({"success":[{"id":"z"}]})")).kind, AnswerKind::Stopped);
}

TEST(Secrets, SealedSecretsOpenOnlyWithTheirKeyAndUnaltered) {
    TempSite t;
    auto sealed = site::seal("hunter2-token");
    ASSERT_TRUE(sealed) << sealed.error().summary();
    EXPECT_EQ(sealed->find("hunter2"), std::string::npos);
    EXPECT_EQ(fs::status(site::secret_key_path()).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
    auto opened = site::unseal(*sealed);
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, "hunter2-token");
    std::string altered = *sealed;
    altered[altered.size() - 3] = altered[altered.size() - 3] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(site::unseal(altered));
    EXPECT_FALSE(site::unseal("plain text"));
    fs::remove(site::secret_key_path());
    auto other_key = site::seal("x");  // makes a new key
    ASSERT_TRUE(other_key);
    auto with_other = site::unseal(*sealed);
    ASSERT_FALSE(with_other);
    EXPECT_NE(with_other.error().detail.find("another machine's key"), std::string::npos);
}

TEST(DdnsSettings, CheckedAgainstTheProviderAndStoredSealed) {
    TempSite t;
    auto bad = [&](DdnsSetRequest r, const std::string& says) {
        auto saved = configure_ddns(t.db(), t.profiles(), r);
        ASSERT_FALSE(saved) << says;
        EXPECT_EQ(saved.error().code, ErrorCode::Usage);
        EXPECT_NE((saved.error().device + " " + saved.error().detail).find(says), std::string::npos) << saved.error().detail;
    };
    DdnsSetRequest r = dyndns2_at("https://dyn.example.net");
    r.settings.provider = "nosuch";
    bad(r, "known: cloudflare");
    r = dyndns2_at("https://dyn.example.net");
    r.settings.hostname = "shop";
    bad(r, "full host name");
    r.settings.hostname = "-shop.example.net";
    bad(r, "full host name");
    r = dyndns2_at("");
    bad(r, "--base-url");
    r = dyndns2_at("https://dyn.example.net");
    r.settings.username.clear();
    bad(r, "--user");
    r = dyndns2_at("https://dyn.example.net");
    r.secret.clear();
    bad(r, "SITELINK_DDNS_SECRET");
    r = dyndns2_at("https://dyn.example.net");
    r.settings.zone = "other.net";
    bad(r, "not a zone");
    r.settings.provider = "duckdns";
    r.settings.zone.clear();
    r.settings.base_url.clear();
    bad(r, ".duckdns.org");
    r.settings.provider = "rfc2136";
    r.settings.hostname = "cams.example.net";
    bad(r, "--server");

    auto saved = configure_ddns(t.db(), t.profiles(), dyndns2_at("https://dyn.example.net"));
    ASSERT_TRUE(saved) << saved.error().summary();
    EXPECT_EQ(saved->hostname, "shop.example.net") << "names are stored lower case";
    auto fact = t.db().fact("ddns");
    ASSERT_TRUE(fact && fact->has_value());
    EXPECT_EQ(fact->value().dump().find("s3cret"), std::string::npos) << "the secret is never stored in the clear";
    auto back = saved_settings(t.db());
    ASSERT_TRUE(back && back->has_value());
    EXPECT_EQ(site::unseal((*back)->sealed_secret).value(), "s3cret");
}

TEST(DdnsUpdate, AsksOnlyWhenNeededAndHonoursWhatTheProviderSaid) {
    TempSite t;
    ScriptedProvider provider;
    ASSERT_TRUE(configure_ddns(t.db(), t.profiles(), dyndns2_at(provider.url())));
    UpdateOptions o;
    o.address = "203.0.113.7";
    o.timeout = std::chrono::milliseconds(2000);
    auto now = std::chrono::system_clock::now();
    auto update = [&](std::chrono::seconds later, bool force = false) {
        o.now = now + later;
        o.force = force;
        auto outcome = update_ddns(t.db(), t.profiles(), o);
        EXPECT_TRUE(outcome) << (outcome ? "" : outcome.error().summary());
        return outcome ? outcome->action : std::string("error");
    };

    provider.answer("good 203.0.113.7");
    EXPECT_EQ(update(std::chrono::seconds(0)), "updated");
    EXPECT_EQ(provider.requests(), 1);
    EXPECT_NE(provider.last_query().find("hostname=shop.example.net"), std::string::npos) << provider.last_query();
    EXPECT_NE(provider.last_query().find("myip=203.0.113.7"), std::string::npos);
    EXPECT_EQ(update(std::chrono::seconds(60)), "unchanged");
    EXPECT_EQ(provider.requests(), 1) << "the same address is not sent again";
    EXPECT_EQ(update(std::chrono::seconds(31 * 24 * 3600)), "updated") << "refreshed after a month";
    EXPECT_EQ(provider.requests(), 2);

    // 911: try again no sooner than 30 minutes, whatever the address does.
    o.address = "203.0.113.8";
    provider.answer("911");
    EXPECT_EQ(update(std::chrono::seconds(32 * 24 * 3600)), "failed");
    EXPECT_EQ(update(std::chrono::seconds(32 * 24 * 3600 + 600)), "waiting");
    EXPECT_EQ(provider.requests(), 3);
    provider.answer("nochg 203.0.113.8");
    EXPECT_EQ(update(std::chrono::seconds(32 * 24 * 3600 + 1900)), "confirmed");
    EXPECT_EQ(provider.requests(), 4);

    // badauth: nothing more is sent until `ddns set` again, not even with --force.
    o.address = "203.0.113.9";
    provider.answer("badauth");
    EXPECT_EQ(update(std::chrono::seconds(33 * 24 * 3600)), "stopped");
    EXPECT_EQ(update(std::chrono::seconds(34 * 24 * 3600), true), "stopped");
    EXPECT_EQ(provider.requests(), 5);
    auto state = saved_state(t.db());
    EXPECT_EQ(state->stopped_code, "badauth");
    ASSERT_TRUE(configure_ddns(t.db(), t.profiles(), dyndns2_at(provider.url())));
    provider.answer("good 203.0.113.9");
    EXPECT_EQ(update(std::chrono::seconds(34 * 24 * 3600)), "updated");
    EXPECT_EQ(provider.requests(), 6);

    // A request whose answer was never recorded (killed mid-way) is repeated.
    auto pending = saved_state(t.db()).value();
    pending.pending_address = "203.0.113.9";
    ASSERT_TRUE(t.db().put_fact("ddns_state", pending));
    provider.answer("nochg 203.0.113.9");
    EXPECT_EQ(update(std::chrono::seconds(34 * 24 * 3600 + 60)), "confirmed");
    EXPECT_EQ(provider.requests(), 7);
}

TEST(DdnsUpdate, NoProviderAnswerIsRetriedLater) {
    TempSite t;
    httplib::Server silent;  // bound, never serving: connections wait unanswered
    const int port = silent.bind_to_any_port("127.0.0.1");
    ASSERT_TRUE(configure_ddns(t.db(), t.profiles(), dyndns2_at("http://127.0.0.1:" + std::to_string(port))));
    UpdateOptions o;
    o.address = "203.0.113.7";
    o.timeout = std::chrono::milliseconds(1000);
    auto outcome = update_ddns(t.db(), t.profiles(), o);
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome->action, "failed");
    EXPECT_EQ(outcome->answer.code, "network");
    EXPECT_GT(outcome->state.retry_after, 0);
    EXPECT_TRUE(outcome->state.pending_address.empty());
}

TEST(DdnsUpdate, WithoutSettingsItSaysWhatToRun) {
    TempSite t;
    UpdateOptions o;
    o.address = "203.0.113.7";
    auto outcome = update_ddns(t.db(), t.profiles(), o);
    ASSERT_FALSE(outcome);
    EXPECT_NE(outcome.error().detail.find("sitelink ddns set"), std::string::npos);
}

TEST(DdnsSettings, ADeviceWithItsOwnDdnsClientCanOwnTheName) {
    TempSite t;
    auto device = [](const std::string& key, const std::string& name, const std::string& manufacturer, const std::string& address) {
        site::SiteDevice d;
        d.key = key;
        d.name = name;
        d.manufacturer = manufacturer;
        d.role = "recorder";
        d.current.address = address;
        d.original = d.current;
        return d;
    };
    ASSERT_TRUE(t.db().remember_device(device("urn:uuid:nvr", "Recorder", "HIKVISION", "192.168.1.30")));
    ASSERT_TRUE(t.db().remember_device(device("urn:uuid:cam", "Door", "AXIS", "192.168.1.31")));
    DdnsSetRequest r;
    r.settings.provider = "noip";
    r.settings.hostname = "smith-cams.ddns.net";
    r.settings.username = "me@example.com";
    r.secret = "pw";
    r.settings.owner = "device:Recorder";
    auto saved = configure_ddns(t.db(), t.profiles(), r);
    ASSERT_TRUE(saved) << saved.error().summary();
    EXPECT_EQ(saved->owner, "device:urn:uuid:nvr") << "recorded by key, which survives a new address";
    auto owner = owning_device(t.db(), *saved);
    ASSERT_TRUE(owner && owner->has_value());
    const std::string guide = device_ddns_guide(*saved, *t.profiles().ddns_provider("noip"), **owner,
                                                *t.profiles().vendor_of("HIKVISION")->ddns_client);
    for (const char* wanted : {"Configuration > Network > Basic Settings > DDNS", "No-IP", "dynupdate.no-ip.com",
                               "smith-cams.ddns.net", "me@example.com", "192.168.1.30"})
        EXPECT_NE(guide.find(wanted), std::string::npos) << wanted << "\n" << guide;
    EXPECT_EQ(guide.find("pw\n"), std::string::npos) << "the password is never printed";

    r.settings.owner = "device:Door";
    auto axis = configure_ddns(t.db(), t.profiles(), r);
    ASSERT_FALSE(axis);
    EXPECT_NE(axis.error().detail.find("no DDNS client"), std::string::npos) << axis.error().detail;
    r.settings.owner = "device:Recorder";
    r.settings.provider = "duckdns";
    r.settings.hostname = "smith.duckdns.org";
    auto duck = configure_ddns(t.db(), t.profiles(), r);
    ASSERT_FALSE(duck);
    EXPECT_NE(duck.error().detail.find("does not speak to Duck DNS"), std::string::npos) << duck.error().detail;
    r.settings.owner = "device:Attic";
    EXPECT_FALSE(configure_ddns(t.db(), t.profiles(), r));
}
