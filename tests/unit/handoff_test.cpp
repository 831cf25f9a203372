// The hand-off's pure parts: generated passwords, passphrase sealing, QR codes (decoded with
// zbarimg), the site QR payload, the bundle built from a site file, and site.json read back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "ddns/ddns.h"
#include "handoff/handoff.h"

using namespace sitelink;
using namespace sitelink::handoff;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// What zbarimg (zbar-tools) reads from a PNG, without its trailing newline.
std::string decode_png(const fs::path& path) {
    std::string command = "zbarimg --raw -q '" + path.string() + "'";
    std::string out;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
        char buffer[4096];
        for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
        ::pclose(pipe);
    }
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

class TempFolder {
public:
    TempFolder() { fs::create_directories(dir_); }
    ~TempFolder() { fs::remove_all(dir_); }
    const fs::path& dir() const { return dir_; }

private:
    fs::path dir_ = fs::temp_directory_path() / ("sitelink-handoff-" + std::to_string(::getpid()));
};

// A site as the earlier stages leave it: two cameras, their forwards, a DDNS name, and the
// hand-off's reading of their streams.
class BundleSite : public ::testing::Test {
protected:
    void SetUp() override {
        ::setenv("SITELINK_SECRET_KEY", (folder_.dir() / "secret.key").c_str(), 1);
        auto opened = site::SiteDb::open(folder_.dir() / "shop.db");
        ASSERT_TRUE(opened);
        db_ = std::move(opened.value());
        auto loaded = load_profiles(std::string(SITELINK_SOURCE_DIR) + "/profiles");
        ASSERT_TRUE(loaded) << loaded.error().summary();
        profiles_ = std::move(loaded.value());
        add_device("uuid:front", "Front <Door>", "192.168.1.21");
        add_device("uuid:yard", "Yard", "192.168.1.22");
        add_forward("uuid:front", "rtsp", 554, 23001, "added", "http://192.168.1.1:5000/ctl");
        add_forward("uuid:front", "http", 80, 23002, "added", "http://192.168.1.1:5000/ctl");
        add_forward("uuid:yard", "rtsp", 554, 23003, "manual", "manual");
        std::vector<DeviceHandoff> handed = {
            {"uuid:front", "Front <Door> (192.168.1.21)", "created", true,
             {{"main", "H264", 1920, 1080, "rtsp://192.168.1.21:554/stream1?profile=main"}, {"sub", "H264", 640, 360, "rtsp://192.168.1.21/stream2"}},
             ""},
            {"uuid:yard", "Yard (192.168.1.22)", "created", true, {{"main", "H265", 2560, 1440, "rtsp://192.168.1.22:8554/live"}}, ""}};
        ASSERT_TRUE(db_->put_fact("handoff_devices", handed));
        auto sealed = site::seal("Viewer-Pass-1234");
        ASSERT_TRUE(sealed);
        ASSERT_TRUE(db_->put_fact("viewer", {{"username", "viewer"}, {"sealed_password", *sealed}}));
    }
    void TearDown() override {
        db_.reset();
        ::unsetenv("SITELINK_SECRET_KEY");
    }
    void add_device(const std::string& key, const std::string& name, const std::string& address, const std::string& manufacturer = "AXIS") {
        site::SiteDevice d;
        d.key = key;
        d.name = name;
        d.role = "camera";
        d.manufacturer = manufacturer;
        d.url = "http://" + address + "/onvif/device_service";
        d.original.address = address;
        d.current.address = address;
        ASSERT_TRUE(db_->remember_device(d));
    }
    void add_forward(const std::string& key, const std::string& service, int internal, int external, const std::string& state,
                     const std::string& router) {
        site::ForwardRecord f;
        f.device_key = key;
        f.service = service;
        f.protocol = "TCP";
        f.internal_port = internal;
        f.external_port = external;
        f.internal_client = key == "uuid:front" ? "192.168.1.21" : key == "uuid:yard" ? "192.168.1.22" : "192.168.1.30";
        f.description = "Sitelink test";
        f.router = router;
        f.state = state;
        ASSERT_TRUE(db_->record_forward(f));
    }
    void set_ddns(const std::string& owner) {
        ddns::DdnsSettings settings;
        settings.provider = "noip";
        settings.hostname = "shop.ddns.net";
        settings.owner = owner;
        ASSERT_TRUE(db_->put_fact("ddns", settings));
    }

    TempFolder folder_;
    std::unique_ptr<site::SiteDb> db_;
    Profiles profiles_;
};

}  // namespace

TEST(ViewerPassword, SixteenLettersAndDigitsWithEveryKindAndNoRepeats) {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        const std::string password = generate_password();
        ASSERT_EQ(password.size(), 16u);
        EXPECT_TRUE(std::any_of(password.begin(), password.end(), ::isupper)) << password;
        EXPECT_TRUE(std::any_of(password.begin(), password.end(), ::islower)) << password;
        EXPECT_TRUE(std::any_of(password.begin(), password.end(), ::isdigit)) << password;
        EXPECT_TRUE(std::all_of(password.begin(), password.end(), ::isalnum)) << password;
        seen.insert(password);
    }
    EXPECT_EQ(seen.size(), 200u);
}

TEST(PassphraseSealing, OpensOnlyWithThePassphraseAndRefusesAlteredOrCostlyInput) {
    auto sealed = site::seal_with_passphrase("Viewer-Pass-1234", "123456");
    ASSERT_TRUE(sealed) << sealed.error().summary();
    EXPECT_EQ(sealed->kdf, "argon2id13");
    auto opened = site::open_with_passphrase(*sealed, "123456");
    ASSERT_TRUE(opened) << opened.error().summary();
    EXPECT_EQ(*opened, "Viewer-Pass-1234");
    // It travels as JSON and comes back the same.
    auto again = site::open_with_passphrase(json(*sealed).get<site::PassphraseSealed>(), "123456");
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, "Viewer-Pass-1234");

    auto wrong = site::open_with_passphrase(*sealed, "654321");
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, ErrorCode::AuthFailed);

    auto altered = *sealed;
    altered.box[2] = altered.box[2] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(site::open_with_passphrase(altered, "123456"));
    auto costly = *sealed;
    costly.memlimit = std::size_t{1} << 40;  // a crafted bundle asking for a terabyte
    auto refused = site::open_with_passphrase(costly, "123456");
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().detail.find("cost"), std::string::npos);
    auto unknown = *sealed;
    unknown.kdf = "pbkdf2";
    EXPECT_FALSE(site::open_with_passphrase(unknown, "123456"));
    // Two seals of the same secret share nothing.
    auto other = site::seal_with_passphrase("Viewer-Pass-1234", "123456");
    ASSERT_TRUE(other);
    EXPECT_NE(other->salt, sealed->salt);
    EXPECT_NE(other->box, sealed->box);
}

TEST(QrCodes, PngDecodesToExactlyThePayloadAndSvgDrawsEveryModule) {
    TempFolder folder;
    for (const std::string& payload : {std::string("rtsp://viewer@shop.ddns.net:23001/stream1?profile=main"),
                                      std::string(600, 'x') + "-long"}) {
        auto qr = make_qr("front", payload);
        ASSERT_TRUE(qr) << qr.error().summary();
        const auto png = folder.dir() / "front.png";
        ASSERT_TRUE(write_qr_png(*qr, png));
        EXPECT_EQ(decode_png(png), payload);
        const std::string svg = qr_svg(*qr);
        std::size_t dark = 0;
        for (const auto& row : qr->modules) dark += std::count(row.begin(), row.end(), true);
        std::size_t drawn = 0;
        for (std::size_t at = svg.find("h1v1h-1z"); at != std::string::npos; at = svg.find("h1v1h-1z", at + 1)) ++drawn;
        EXPECT_EQ(drawn, dark);
        EXPECT_NE(svg.find("viewBox=\"0 0 " + std::to_string(qr->modules.size() + 8)), std::string::npos) << "a 4-module quiet zone";
    }
    // More than a QR code holds is an error, not a crash.
    EXPECT_FALSE(make_qr("huge", std::string(8000, 'x')));
}

TEST_F(BundleSite, OutsideUrlsUseTheNameAndTheForwardedPorts) {
    set_ddns("keeper");
    auto bundle = build_bundle(*db_, profiles_, {"Ana, +1 555 0100", false, "", "", ""});
    ASSERT_TRUE(bundle) << bundle.error().summary();
    const json& doc = bundle->site_json;
    EXPECT_EQ(doc["schema"], "sitelink-handoff/1");
    EXPECT_EQ(doc["site"], "shop");
    EXPECT_EQ(doc["host"], "shop.ddns.net");
    EXPECT_EQ(doc["viewer"], json({{"username", "viewer"}})) << "no password unless asked for";
    ASSERT_EQ(doc["devices"].size(), 2u);
    const json& front = doc["devices"][0];
    EXPECT_EQ(front["onvif_url"], "http://shop.ddns.net:23002/onvif/device_service");
    EXPECT_EQ(front["streams"][0]["url"], "rtsp://shop.ddns.net:23001/stream1?profile=main");
    EXPECT_EQ(front["streams"][1]["url"], "rtsp://shop.ddns.net:23001/stream2") << "no port in the URI means RTSP's 554";
    const json& yard = doc["devices"][1];
    EXPECT_TRUE(yard["onvif_url"].is_null());
    EXPECT_TRUE(yard["streams"][0]["url"].is_null()) << "its stream is on 8554, and only 554 is forwarded";
    EXPECT_EQ(yard["streams"][0]["lan_url"], "rtsp://192.168.1.22:8554/live");
    // The gaps the installer should close are named: Yard cannot be watched, no keeper has run.
    ASSERT_EQ(bundle->warnings.size(), 2u);
    EXPECT_NE(bundle->warnings[0].find("Yard (192.168.1.22): no stream of it is forwarded"), std::string::npos) << bundle->warnings[0];
    EXPECT_NE(bundle->warnings[1].find("none has run"), std::string::npos) << bundle->warnings[1];

    EXPECT_EQ(bundle->streams_m3u, "#EXTM3U\n#EXTINF:-1,Front <Door> - main\nrtsp://viewer@shop.ddns.net:23001/stream1?profile=main\n"
                                   "#EXTINF:-1,Front <Door> - sub\nrtsp://viewer@shop.ddns.net:23001/stream2\n");
    // One code for the site, one for each camera that can be watched from outside.
    ASSERT_EQ(bundle->qr_codes.size(), 2u);
    const json payload = json::parse(bundle->qr_codes[0].payload);
    EXPECT_EQ(payload["v"], 1);
    EXPECT_EQ(payload["site"], "shop");
    EXPECT_EQ(payload["host"], "shop.ddns.net");
    EXPECT_EQ(payload["user"], "viewer");
    EXPECT_EQ(payload["cams"].size(), 1u) << "Yard has nothing reachable, so the phone is not told about it";
    EXPECT_EQ(payload["cams"][0], json({{"name", "Front <Door>"}, {"rtsp", 23001}, {"path", "/stream1?profile=main"}, {"onvif", 23002}}));
    EXPECT_FALSE(payload.contains("pw"));
    EXPECT_EQ(bundle->qr_codes[1].payload, "rtsp://viewer@shop.ddns.net:23001/stream1?profile=main");

    // The sheet escapes what devices call themselves; the rules say how to close each kind.
    EXPECT_EQ(bundle->sheet_html.find("Front <Door>"), std::string::npos);
    EXPECT_NE(bundle->sheet_html.find("Front &lt;Door&gt;"), std::string::npos);
    EXPECT_NE(bundle->sheet_html.find("Ana, +1 555 0100"), std::string::npos);
    EXPECT_NE(bundle->router_rules.find("external 23001/TCP -> 192.168.1.21:554"), std::string::npos) << bundle->router_rules;
    EXPECT_NE(bundle->router_rules.find("`sitelink forward undo --site shop`"), std::string::npos) << bundle->router_rules;
    EXPECT_NE(bundle->router_rules.find("Removing port forwarding by hand"), std::string::npos) << "Yard's rule was set by hand";
}

TEST_F(BundleSite, PhoneAppsFitWhatTheSiteForwardsAndItsVendors) {
    set_ddns("manual");
    auto axis_only = build_bundle(*db_, profiles_, {});
    ASSERT_TRUE(axis_only) << axis_only.error().summary();
    std::set<std::string> ids;
    for (const auto& app : axis_only->site_json["apps"]) ids.insert(app["id"]);
    EXPECT_EQ(ids, (std::set<std::string>{"vlc", "onvifer"})) << "a stream and an ONVIF port are forwarded; no vendor app fits Axis";

    add_device("uuid:nvr", "Recorder", "192.168.1.30", "HIKVISION");
    auto port_closed = build_bundle(*db_, profiles_, {});
    ASSERT_TRUE(port_closed);
    EXPECT_EQ(port_closed->site_json["apps"].dump().find("hik-connect"), std::string::npos)
        << "a Hikvision device alone is not enough: the app needs its server port forwarded";
    add_forward("uuid:nvr", "hik-sdk", 8000, 23010, "added", "http://192.168.1.1:5000/ctl");
    auto with_hikvision = build_bundle(*db_, profiles_, {});
    ASSERT_TRUE(with_hikvision);
    const auto& apps = with_hikvision->site_json["apps"];
    const auto hik = std::find_if(apps.begin(), apps.end(), [](const json& a) { return a["id"] == "hik-connect"; });
    ASSERT_NE(hik, apps.end()) << apps.dump();
    EXPECT_NE((*hik)["steps"].dump().find("Address: shop.ddns.net; port: 23010"), std::string::npos) << (*hik)["steps"].dump();
    EXPECT_NE(with_hikvision->sheet_html.find("Hik-Connect"), std::string::npos);
}

TEST_F(BundleSite, PasswordTravelsOnlySealedAndBundleReadsBack) {
    set_ddns("manual");
    auto bundle = build_bundle(*db_, profiles_, {"", true, "482913", "correct-horse-battery", ""});
    ASSERT_TRUE(bundle) << bundle.error().summary();
    const std::string written = bundle->site_json.dump();
    EXPECT_EQ(written.find("Viewer-Pass-1234"), std::string::npos);
    EXPECT_EQ(bundle->qr_codes[0].payload.find("Viewer-Pass-1234"), std::string::npos);
    auto in_json = site::open_with_passphrase(bundle->site_json["viewer"]["password"].get<site::PassphraseSealed>(), "correct-horse-battery");
    ASSERT_TRUE(in_json);
    EXPECT_EQ(*in_json, "Viewer-Pass-1234");
    const json payload = json::parse(bundle->qr_codes[0].payload);
    auto in_qr = site::open_with_passphrase(payload["pw"].get<site::PassphraseSealed>(), "482913");
    ASSERT_TRUE(in_qr);
    EXPECT_EQ(*in_qr, "Viewer-Pass-1234");

    TempFolder folder;
    auto files = write_bundle(*bundle, folder.dir() / "shop-handoff", folder.dir() / "shop-handoff.zip");
    ASSERT_TRUE(files) << files.error().summary();
    auto back = read_site_json(read_file(folder.dir() / "shop-handoff/site.json"));
    ASSERT_TRUE(back) << back.error().summary();
    EXPECT_EQ(*back, bundle->site_json);
    EXPECT_EQ(decode_png(folder.dir() / "shop-handoff/qr/site.png"), bundle->qr_codes[0].payload);
    EXPECT_EQ(decode_png(folder.dir() / "shop-handoff/qr/front-door.png"), bundle->qr_codes[1].payload);
    EXPECT_TRUE(fs::file_size(folder.dir() / "shop-handoff.zip") > 0);

    // Asking for the password without a PIN is refused before anything is written.
    auto no_pin = build_bundle(*db_, profiles_, {"", true, "", "correct-horse-battery", ""});
    ASSERT_FALSE(no_pin);
    EXPECT_EQ(no_pin.error().code, ErrorCode::Usage);
}

TEST_F(BundleSite, NoNameNoBundleUnlessAFixedAddressIsGiven) {
    auto none = build_bundle(*db_, profiles_, {});
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().detail.find("sitelink ddns set"), std::string::npos);
    auto fixed = build_bundle(*db_, profiles_, {"", false, "", "", "203.0.113.7"});
    ASSERT_TRUE(fixed) << fixed.error().summary();
    EXPECT_EQ(fixed->site_json["devices"][0]["streams"][0]["url"], "rtsp://203.0.113.7:23001/stream1?profile=main");
    EXPECT_TRUE(fixed->site_json["ddns"].is_null());
}

TEST(SiteJson, ReadBackNamesTheFirstWrongField) {
    const json good = {{"schema", "sitelink-handoff/1"}, {"site", "shop"},  {"host", "shop.ddns.net"}, {"created_at", "2026-11-24T00:00:00Z"},
                       {"installer", ""},                {"forwards", json::array({{{"external_port", 23001}, {"protocol", "TCP"}}})},
                       {"devices", json::array({{{"name", "Yard"}, {"streams", json::array({{{"url", nullptr}}})}}})},
                       {"viewer", {{"username", "viewer"}}}};
    ASSERT_TRUE(read_site_json(good.dump()));
    auto fails_naming = [&](json doc, const std::string& named) {
        auto read = read_site_json(doc.dump());
        ASSERT_FALSE(read) << doc.dump();
        EXPECT_NE(read.error().detail.find(named), std::string::npos) << read.error().detail;
    };
    fails_naming(json::array(), "not a JSON object");
    json no_schema = good;
    no_schema.erase("schema");
    fails_naming(no_schema, "schema");
    json other = good;
    other["schema"] = "sitelink-handoff/2";
    fails_naming(other, "sitelink-handoff/2");
    json no_host = good;
    no_host.erase("host");
    fails_naming(no_host, "\"host\"");
    json bad_port = good;
    bad_port["forwards"][0]["external_port"] = "23001";
    fails_naming(bad_port, "external_port");
    json bad_stream = good;
    bad_stream["devices"][0]["streams"][0]["url"] = 5;
    fails_naming(bad_stream, "Yard");
    json bad_password = good;
    bad_password["viewer"]["password"] = {{"kdf", "argon2id13"}};
    fails_naming(bad_password, "viewer.password");
    EXPECT_FALSE(read_site_json("{\"schema\": \"sitelink-handoff/1\""));
}
