// The wizard's server: who may talk to it (Host, Origin, the one-time token), what the request
// bodies may hold, and the API as a browser sees it, on loopback with a private data folder.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "web/guard.h"
#include "web/requests.h"
#include "web/web.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace sitelink;
using namespace sitelink::web;

namespace {

// ---------------------------------------------------------------- the guard

TEST(WizardGuard, RefusesOtherHostsWhatEverTheRequest) {
    Guard guard({"127.0.0.1:8080", "localhost:8080"}, false);
    EXPECT_FALSE(guard.check("GET", "127.0.0.1:8080", "", ""));
    EXPECT_FALSE(guard.check("GET", "localhost:8080", "", ""));
    const auto rebound = guard.check("GET", "attacker.example:8080", "", "");
    ASSERT_TRUE(rebound);
    EXPECT_EQ(rebound->status, 421);
    EXPECT_EQ(rebound->id, "wrong-host");
    EXPECT_TRUE(guard.check("GET", "127.0.0.1:9090", "", "")) << "the port is part of the name";
    EXPECT_TRUE(guard.check("GET", "", "", ""));
}

TEST(WizardGuard, StateChangesNeedTheWizardsOwnOrigin) {
    Guard guard({"127.0.0.1:8080"}, false);
    EXPECT_FALSE(guard.check("POST", "127.0.0.1:8080", "http://127.0.0.1:8080", ""));
    for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
        const auto none = guard.check(method, "127.0.0.1:8080", "", "");
        ASSERT_TRUE(none) << method;
        EXPECT_EQ(none->id, "wrong-origin");
        const auto other = guard.check(method, "127.0.0.1:8080", "http://evil.example", "");
        ASSERT_TRUE(other) << method;
        EXPECT_EQ(other->status, 403);
        EXPECT_NE(other->detail.find("evil.example"), std::string::npos);
    }
    EXPECT_TRUE(guard.check("POST", "127.0.0.1:8080", "https://127.0.0.1:8080", "")) << "another scheme is another origin";
    EXPECT_FALSE(guard.check("GET", "127.0.0.1:8080", "http://evil.example", "")) << "reads are guarded by Host alone";
}

TEST(WizardGuard, TheTokenOpensOneSessionAndIsThenSpent) {
    Guard guard({"192.168.1.5:8080"}, true);
    const std::string token = guard.token();
    ASSERT_EQ(token.size(), 32u);
    const auto refused = guard.check("GET", "192.168.1.5:8080", "", "");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);
    EXPECT_FALSE(guard.redeem("wrong"));
    const auto session = guard.redeem(token);
    ASSERT_TRUE(session);
    EXPECT_NE(guard.token(), token) << "a new token for the next device";
    EXPECT_FALSE(guard.redeem(token)) << "one use";
    const std::string cookie = "theme=dark; " + std::string(Guard::kCookie) + "=" + *session;
    EXPECT_FALSE(guard.check("GET", "192.168.1.5:8080", "", cookie));
    EXPECT_FALSE(guard.check("POST", "192.168.1.5:8080", "http://192.168.1.5:8080", cookie));
    EXPECT_TRUE(guard.check("GET", "192.168.1.5:8080", "", std::string(Guard::kCookie) + "=" + session->substr(1)));
    EXPECT_TRUE(guard.check("GET", "other:8080", "", cookie)) << "a session does not excuse a wrong Host";
}

TEST(WizardGuard, LoopbackListenAddresses) {
    EXPECT_TRUE(is_loopback_listen("127.0.0.1"));
    EXPECT_TRUE(is_loopback_listen("127.0.0.2"));
    EXPECT_TRUE(is_loopback_listen("localhost"));
    EXPECT_TRUE(is_loopback_listen("::1"));
    EXPECT_FALSE(is_loopback_listen("0.0.0.0"));
    EXPECT_FALSE(is_loopback_listen("192.168.1.5"));
}

// ---------------------------------------------------------------- request bodies

TEST(WizardRequests, WrongBodiesNameTheField) {
    auto detail = [](const auto& result) { return result ? std::string("(accepted)") : result.error().detail; };
    EXPECT_NE(detail(parse_open_site("{nope")).find("not valid JSON"), std::string::npos);
    EXPECT_NE(detail(parse_open_site("[1,2]")).find("JSON object"), std::string::npos);
    EXPECT_NE(detail(parse_open_site(R"({"name": 5})")).find("'name'"), std::string::npos);
    EXPECT_NE(detail(parse_open_site(R"({"name": "../etc/passwd"})")).find("'name'"), std::string::npos);
    EXPECT_NE(detail(parse_open_site(R"({"name": ".."})")).find("'name'"), std::string::npos) << "names only, never paths";
    EXPECT_NE(detail(parse_step(R"({"step": "party"})")).find("not a step"), std::string::npos);
    EXPECT_NE(detail(parse_discover(R"({"sweep": "10.0.0.0"})")).find("'sweep'"), std::string::npos);
    EXPECT_NE(detail(parse_credentials(R"({"devices": [], "username": "admin"})")).find("'devices'"), std::string::npos);
    EXPECT_NE(detail(parse_credentials(R"({"devices": ["k"], "username": ""})")).find("'username'"), std::string::npos);
    EXPECT_NE(detail(parse_address_plan(R"({"overrides": {"cam": "300.1.1.1"}})")).find("cam"), std::string::npos);
    EXPECT_NE(detail(parse_address_plan(R"({"dhcp_pool": "10.0.0.9-10.0.0.1"})")).find("'dhcp_pool'"), std::string::npos);
    EXPECT_NE(detail(parse_forward_plan(R"({"http": [1]})")).find("'http'"), std::string::npos);
    EXPECT_NE(detail(parse_ddns(R"({"hostname": "a.example"})")).find("'provider'"), std::string::npos);
    EXPECT_NE(detail(parse_handoff(R"({"no_viewer": "yes"})")).find("'no_viewer'"), std::string::npos);
    EXPECT_NE(detail(parse_open_site(std::string(kMaxBody + 1, ' '))).find("larger"), std::string::npos);
}

TEST(WizardRequests, GoodBodiesBecomeTheStagesRequests) {
    auto site = parse_open_site(R"({"name": "smith-warehouse", "interface": "eth0"})");
    ASSERT_TRUE(site);
    EXPECT_EQ(site->name, "smith-warehouse");
    EXPECT_EQ(site->interface, "eth0");
    auto plan = parse_address_plan(R"({"first": "192.168.1.50", "dhcp_pool": "192.168.1.100-192.168.1.199",
                                       "overrides": {"urn:uuid:1": "192.168.1.60"}})");
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->choices.first_address->str(), "192.168.1.50");
    EXPECT_EQ(plan->dhcp_pool->last.str(), "192.168.1.199");
    EXPECT_EQ(plan->choices.overrides.at("urn:uuid:1").str(), "192.168.1.60");
    auto handoff = parse_handoff(R"({"no_viewer": true, "installer": "Ann, 555-0100"})");
    ASSERT_TRUE(handoff);
    EXPECT_FALSE(handoff->create_viewer);
    EXPECT_EQ(handoff->viewer_user, "viewer");
    auto empty = parse_forward_plan("");
    ASSERT_TRUE(empty) << "an empty body is an empty object";
    EXPECT_TRUE(empty->add_http.empty());
}

// ---------------------------------------------------------------- the API on loopback

class WizardApi : public ::testing::Test {
protected:
    void SetUp() override {
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        setenv("SITELINK_DATA_DIR", dir_.c_str(), 1);
        setenv("SITELINK_PROFILES", (fs::path(SITELINK_SOURCE_DIR) / "profiles").c_str(), 1);
    }
    void TearDown() override {
        if (server_) {
            server_->stop();
            thread_.join();
        }
        unsetenv("SITELINK_DATA_DIR");
        fs::remove_all(dir_);
    }
    void start(ServeOptions options = {}) {
        options.listen = "127.0.0.1";
        options.port = 0;
        auto bound = WizardServer::bind(options);
        ASSERT_TRUE(bound) << bound.error().summary();
        server_ = std::move(bound.value());
        thread_ = std::thread([this] { server_->run({}); });
        for (int i = 0; i < 200 && !client().Get("/api/info", headers()); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::string host() const { return "127.0.0.1:" + std::to_string(server_->port()); }
    httplib::Client client() const {
        httplib::Client c("127.0.0.1", server_->port());
        c.set_read_timeout(10, 0);
        return c;
    }
    httplib::Headers headers() const { return {{"Origin", "http://" + host()}}; }
    httplib::Result post(const std::string& path, const json& body) {
        return client().Post(path.c_str(), headers(), body.dump(), "application/json");
    }
    static json body_of(const httplib::Result& r) { return r ? json::parse(r->body, nullptr, false) : json(); }

    fs::path dir_ = fs::temp_directory_path() / ("sitelink-web-" + std::to_string(::getpid()));
    std::unique_ptr<WizardServer> server_;
    std::thread thread_;
};

TEST_F(WizardApi, ServesTheEmbeddedWizardWithItsSecurityHeaders) {
    start();
    auto page = client().Get("/");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200);
    EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(page->body.find("<script type=\"module\""), std::string::npos) << page->body.substr(0, 400);
    EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
    EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
    auto script = client().Get("/app.js");
    ASSERT_TRUE(script);
    EXPECT_EQ(script->status, 200);
    EXPECT_EQ(script->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
    auto missing = client().Get("/no-such-file.js");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    auto api_missing = client().Get("/api/nothing");
    ASSERT_TRUE(api_missing);
    EXPECT_EQ(api_missing->status, 404);
    EXPECT_EQ(body_of(api_missing)["error"]["id"], "not-found");
}

TEST_F(WizardApi, RefusesARebindingPageAndCrossSiteWrites) {
    start();
    auto c = client();
    auto rebound = c.Get("/api/info", {{"Host", "attacker.example"}});
    ASSERT_TRUE(rebound);
    EXPECT_EQ(rebound->status, 421);
    EXPECT_EQ(body_of(rebound)["error"]["id"], "wrong-host");
    auto no_origin = c.Post("/api/sites", R"({"name": "x"})", "application/json");
    ASSERT_TRUE(no_origin);
    EXPECT_EQ(no_origin->status, 403);
    auto cross = c.Post("/api/sites", {{"Origin", "http://evil.example"}}, R"({"name": "x"})", "application/json");
    ASSERT_TRUE(cross);
    EXPECT_EQ(cross->status, 403);
    EXPECT_FALSE(fs::exists(dir_ / "sites" / "x.db")) << "nothing was created";
}

TEST_F(WizardApi, CreatesReopensAndRemembersTheStepOfASite) {
    start();
    auto created = post("/api/sites", {{"name", "smith"}});
    ASSERT_TRUE(created);
    ASSERT_EQ(created->status, 200) << created->body;
    EXPECT_EQ(body_of(created)["step"], "site");
    auto wrong_interface = post("/api/sites", {{"name", "smith"}, {"interface", "nosuch0"}});
    ASSERT_TRUE(wrong_interface);
    EXPECT_EQ(wrong_interface->status, 400);
    EXPECT_EQ(body_of(wrong_interface)["error"]["id"], "no-such-interface");
    auto step = client().Put("/api/sites/smith/step", headers(), R"({"step": "router"})", "application/json");
    ASSERT_TRUE(step);
    EXPECT_EQ(step->status, 204);
    auto info = body_of(client().Get("/api/info"));
    ASSERT_EQ(info["sites"].size(), 1u) << info.dump();
    EXPECT_EQ(info["sites"][0]["name"], "smith");
    EXPECT_EQ(info["sites"][0]["step"], "router");
    auto unknown = client().Get("/api/sites/jones");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
    auto bad = post("/api/sites", {{"name", "a/b"}});
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    EXPECT_NE(body_of(bad)["error"]["summary"].get<std::string>().find("'name'"), std::string::npos);
}

TEST_F(WizardApi, NeverSendsASecretBack) {
    start();
    ASSERT_TRUE(post("/api/sites", {{"name", "smith"}}));
    const std::string token = "ddns-token-that-must-not-leak";
    auto set = post("/api/sites/smith/ddns", {{"provider", "duckdns"}, {"hostname", "smithcams.duckdns.org"}, {"secret", token}});
    ASSERT_TRUE(set);
    ASSERT_EQ(set->status, 200) << set->body;
    EXPECT_EQ(set->body.find(token), std::string::npos);
    EXPECT_TRUE(body_of(set)["ddns"]["has_secret"].get<bool>());
    auto state = client().Get("/api/sites/smith");
    ASSERT_TRUE(state);
    EXPECT_EQ(state->body.find(token), std::string::npos);
    EXPECT_EQ(state->body.find("sealed"), std::string::npos);
    EXPECT_EQ(body_of(state)["ddns"]["hostname"], "smithcams.duckdns.org");
}

TEST_F(WizardApi, AJobTellsItsEndOverServerSentEvents) {
    start();
    ASSERT_TRUE(post("/api/sites", {{"name", "smith"}}));
    // No address plan yet: the job starts, then fails saying what to do first.
    auto started = post("/api/sites/smith/address/apply", json::object());
    ASSERT_TRUE(started);
    ASSERT_EQ(started->status, 202) << started->body;
    const std::string job = body_of(started)["job"];
    auto events = client().Get(("/api/jobs/" + job + "/events").c_str());
    ASSERT_TRUE(events);
    EXPECT_EQ(events->get_header_value("Content-Type"), "text/event-stream");
    const auto at = events->body.find("event: failed\ndata: ");
    ASSERT_NE(at, std::string::npos) << events->body;
    const json failed = json::parse(events->body.substr(at + 20, events->body.find('\n', at + 20) - at - 20));
    EXPECT_EQ(failed["error"]["id"], "precondition");
    EXPECT_NE(failed["error"]["detail"].get<std::string>().find("plan"), std::string::npos) << failed.dump();
    EXPECT_EQ(body_of(client().Get(("/api/jobs/" + job).c_str()))["state"], "failed");
    auto unknown = client().Get("/api/jobs/J999/events");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
}

TEST_F(WizardApi, WithATokenOnlyTheSessionItOpenedGetsIn) {
    ServeOptions options;
    options.require_token = true;
    start(options);
    const std::string url = server_->url();
    const auto at = url.find("?token=");
    ASSERT_NE(at, std::string::npos) << url;
    const std::string token = url.substr(at + 7);
    auto c = client();
    auto refused = c.Get("/api/info");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);
    auto opened = c.Get(("/?token=" + token).c_str());
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->status, 303);
    const std::string cookie = opened->get_header_value("Set-Cookie");
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
    EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
    auto in = c.Get("/api/info", {{"Cookie", cookie.substr(0, cookie.find(';'))}});
    ASSERT_TRUE(in);
    EXPECT_EQ(in->status, 200);
    auto again = c.Get(("/?token=" + token).c_str());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 401) << "the token was spent";
    EXPECT_EQ(server_->url().find(token), std::string::npos) << "the next device gets the next token";
}

TEST_F(WizardApi, AnOversizedBodyIsAClearError) {
    start();
    auto big = client().Post("/api/sites", headers(), std::string(kMaxBody + 10, 'x'), "application/json");
    ASSERT_TRUE(big);
    EXPECT_EQ(big->status, 413);
    EXPECT_EQ(body_of(big)["error"]["id"], "usage");
}

}  // namespace
