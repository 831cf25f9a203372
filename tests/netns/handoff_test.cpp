// The hand-off on a simulated site: viewer accounts on both cameras, the bundle and its QR codes,
// and the customer's view from the phone on the simulated internet. The phone reaches every stream
// in the bundle with the viewer account, the viewer is refused an administrator's operation, and
// the installer's admin password appears in no file and no output.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "sitesim_site.h"

using nlohmann::json;
using namespace sitelink::testing;

namespace {

const std::string kHostname = "shop.site.example.test";
const std::string kPin = "482913";
const std::string kPassphrase = "correct-horse-battery";

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

class Handoff : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(site_.up().exit_code, 0) << site_.up().err;
        // Front Door's ONVIF port is forwarded too, so the phone can try an admin operation on it.
        ASSERT_NO_FATAL_FAILURE(site_.plan({"--http", "Front Door"}));
        remember(site_.sitelink_cmd({"forward", "apply"}), 0);
        remember(site_.sitelink_cmd({"ddns", "set", "--hostname", kHostname, "--provider", "dyndns2", "--base-url",
                                     "http://" + site_.fact("SITESIM_WAN_HOST"), "--user", site_.fact("SITESIM_DYNDNS_USER")},
                                    {{"SITELINK_DDNS_SECRET", site_.fact("SITESIM_DYNDNS_PASSWORD")}}),
                 0);
        remember(site_.sitelink_cmd({"keeper", "run", "--once", "--interface", "eth0", "--ip-echo", site_.fact("SITESIM_WHATISMYIP_URL")}), 0);
        std::filesystem::remove_all(out_);
    }
    void TearDown() override {
        std::filesystem::remove_all(out_);
        std::filesystem::remove(out_ + ".zip");
    }

    // Every command's output is kept: none of it may show the admin password.
    CommandResult remember(CommandResult run, int expected_exit) {
        EXPECT_EQ(run.exit_code, expected_exit) << run.out << run.err;
        outputs_ += run.out + run.err;
        return run;
    }
    CommandResult handoff(std::vector<std::string> extra, int expected_exit = 0, std::map<std::string, std::string> env = {}) {
        std::vector<std::string> argv = {"handoff", "--out", out_, "--installer", "Ana Installer, +1 555 0100", "--json"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return remember(site_.sitelink_cmd(argv, env), expected_exit);
    }
    std::string phone(std::vector<std::string> argv) {
        argv.insert(argv.begin(), {"python3", std::string(SITELINK_SOURCE_DIR) + "/tests/site/probes.py"});
        auto run = site_.on("phone", argv);
        return trimmed(run.out.empty() ? run.err : run.out);  // a probe that failed says why
    }

    SimSite site_{"h"};
    std::string out_ = "/tmp/sitelink-handoff-test-" + std::to_string(getpid());
    std::string outputs_;
};

TEST_F(Handoff, ThePhoneWatchesEveryCameraWithTheViewerAndNothingMore) {
    auto made = handoff({"--user", "admin", "--include-password", "--show-password"}, 0,
                        {{"SITELINK_HANDOFF_PIN", kPin}, {"SITELINK_BUNDLE_PASSPHRASE", kPassphrase}});
    json result = json::parse(made.out, nullptr, false);
    ASSERT_FALSE(result.is_discarded()) << made.out;
    EXPECT_TRUE(result["warnings"].empty()) << result["warnings"].dump();
    const std::string password = result.value("viewer_password", "");
    ASSERT_EQ(password.size(), 16u);
    EXPECT_NE(made.err.find("Front Door (192.168.77.21): viewer created"), std::string::npos) << made.err;
    EXPECT_NE(made.err.find("administrator reads refused"), std::string::npos) << made.err;

    // site.json as written, read back by `handoff check`, its password opened with the passphrase.
    const json doc = json::parse(read_file(out_ + "/site.json"));
    EXPECT_EQ(doc["schema"], "sitelink-handoff/1");
    EXPECT_EQ(doc["host"], kHostname);
    EXPECT_EQ(doc["viewer"]["username"], "viewer");
    EXPECT_EQ(doc["forwards"].size(), 5u) << doc["forwards"].dump();  // rtsp + https for both, http for Front Door
    // `handoff check` reads only the file: it runs anywhere, the host's namespace included.
    auto check = remember(run_command({"env", "SITELINK_BUNDLE_PASSPHRASE=" + kPassphrase, sitelink_binary(), "handoff", "check",
                                       out_ + "/site.json", "--show-password"}),
                          0);
    EXPECT_NE(check.out.find("opens with the passphrase: " + password), std::string::npos) << check.out;
    auto wrong = remember(run_command({"env", "SITELINK_BUNDLE_PASSPHRASE=wrong-passphrase", sitelink_binary(), "handoff", "check",
                                       out_ + "/site.json"}),
                          1);
    EXPECT_NE(wrong.err.find("wrong passphrase"), std::string::npos) << wrong.err;

    // From the phone: every outside stream plays with the viewer, and not with a wrong password.
    int streams = 0;
    for (const auto& device : doc["devices"]) {
        EXPECT_EQ(device["viewer_account"], "created");
        for (const auto& stream : device["streams"]) {
            ASSERT_TRUE(stream["url"].is_string()) << device.dump();
            const std::string url = stream["url"];
            EXPECT_EQ(url.rfind("rtsp://" + kHostname + ":", 0), 0u) << url;
            EXPECT_EQ(phone({"rtsp-describe", url, "viewer", password}), "RTSP/1.0 200 OK") << url;
            EXPECT_EQ(phone({"rtsp-describe", url, "viewer", "not-" + password}), "RTSP/1.0 401 Unauthorized") << url;
            ++streams;
        }
    }
    EXPECT_GE(streams, 2);
    // The viewer reads what a viewer may, and is refused an administrator's operation.
    const json& front = doc["devices"][0]["name"] == "Front Door" ? doc["devices"][0] : doc["devices"][1];
    ASSERT_TRUE(front["onvif_url"].is_string()) << front.dump();
    const std::string allowed = phone({"onvif", front["onvif_url"], "viewer", password, "GetDeviceInformation"});
    EXPECT_EQ(allowed.rfind("HTTP 200", 0), 0u) << allowed << " from " << front["onvif_url"];
    const std::string refused = phone({"onvif", front["onvif_url"], "viewer", password, "GetUsers"});
    EXPECT_EQ(refused.rfind("HTTP 200", 0), std::string::npos) << refused;
    EXPECT_NE(refused.find("NotAuthorized"), std::string::npos) << refused;
    const json& yard = &front == &doc["devices"][0] ? doc["devices"][1] : doc["devices"][0];
    EXPECT_TRUE(yard["onvif_url"].is_null()) << "Yard's HTTP port is not forwarded";

    // Every QR image decodes to exactly its payload; the site code's is the versioned summary.
    std::set<std::string> codes;
    for (const auto& entry : std::filesystem::directory_iterator(out_ + "/qr")) {
        if (entry.path().extension() != ".png") continue;
        auto text = entry.path();
        text.replace_extension(".txt");
        auto decoded = run_command({"zbarimg", "--raw", "-q", entry.path().string()});
        ASSERT_EQ(decoded.exit_code, 0) << entry.path() << decoded.err;
        EXPECT_EQ(trimmed(decoded.out), read_file(text)) << entry.path();
        codes.insert(entry.path().stem().string());
    }
    EXPECT_EQ(codes, (std::set<std::string>{"site", "front-door", "yard"}));
    const json site_code = json::parse(read_file(out_ + "/qr/site.txt"));
    EXPECT_EQ(site_code["v"], 1);
    EXPECT_EQ(site_code["host"], kHostname);
    EXPECT_EQ(site_code["user"], "viewer");
    EXPECT_EQ(site_code["cams"].size(), 2u);
    EXPECT_EQ(site_code["pw"]["kdf"], "argon2id13") << "the password travels only sealed under the PIN";
    EXPECT_EQ(read_file(out_ + "/qr/yard.txt").rfind("rtsp://viewer@" + kHostname + ":", 0), 0u);

    // The sheet, the player list and the rules, and the same files in the zip.
    const std::string sheet = read_file(out_ + "/handoff.html");
    EXPECT_NE(sheet.find("What was opened on your router"), std::string::npos);
    EXPECT_NE(sheet.find("sitelink forward undo"), std::string::npos);
    EXPECT_NE(sheet.find("Ana Installer"), std::string::npos);
    EXPECT_NE(sheet.find("the Sitelink keeper"), std::string::npos);
    for (const auto& f : doc["forwards"])
        EXPECT_NE(read_file(out_ + "/router-rules.txt").find("external " + std::to_string(f["external_port"].get<int>())), std::string::npos);
    EXPECT_EQ(read_file(out_ + "/streams.m3u").rfind("#EXTM3U\n", 0), 0u);
    auto listing = run_command({"python3", "-m", "zipfile", "-l", out_ + ".zip"});
    ASSERT_EQ(listing.exit_code, 0) << listing.err;
    const std::string folder = std::filesystem::path(out_).filename().string();
    for (const char* name : {"/site.json", "/handoff.html", "/streams.m3u", "/router-rules.txt", "/qr/site.png"})
        EXPECT_NE(listing.out.find(folder + name), std::string::npos) << listing.out;

    // Again: the accounts are kept, the password is the same.
    auto again = handoff({"--user", "admin", "--show-password"});
    EXPECT_EQ(json::parse(again.out).value("viewer_password", ""), password);
    EXPECT_NE(again.err.find("viewer kept"), std::string::npos) << again.err;
    EXPECT_EQ(json::parse(read_file(out_ + "/site.json"))["viewer"].count("password"), 0u) << "no password unless asked for";

    // The admin password is nowhere: no bundle file, the zip, the site file, or any output.
    std::vector<std::filesystem::path> files = {out_ + ".zip"};
    for (const auto& entry : std::filesystem::recursive_directory_iterator(out_)) files.push_back(entry.path());
    for (const auto& entry : std::filesystem::recursive_directory_iterator(site_.data_dir())) files.push_back(entry.path());
    for (const auto& f : files) {
        if (!std::filesystem::is_regular_file(f)) continue;
        EXPECT_EQ(read_file(f).find(kSitePassword), std::string::npos) << f;
    }
    EXPECT_EQ(outputs_.find(kSitePassword), std::string::npos);

    // Taking the accounts away: the phone is refused from then on.
    auto without_admin = remember(site_.sitelink_cmd({"handoff", "--remove-viewers"}), 2);
    EXPECT_NE(without_admin.err.find("--user ADMIN"), std::string::npos) << without_admin.err;
    remember(site_.sitelink_cmd({"handoff", "--remove-viewers", "--user", "admin"}), 0);
    const std::string first_stream = doc["devices"][0]["streams"][0]["url"];
    EXPECT_EQ(phone({"rtsp-describe", first_stream, "viewer", password}), "RTSP/1.0 401 Unauthorized");
    // A name that exists on the devices and was not made by Sitelink is refused, naming the fix.
    auto clash = handoff({"--user", "admin", "--viewer-user", "admin"}, 3);
    EXPECT_NE(clash.err.find("already exists and Sitelink did not make it"), std::string::npos) << clash.err;
}

}  // namespace
