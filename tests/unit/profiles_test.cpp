#include <gtest/gtest.h>

#include <filesystem>
#include <algorithm>
#include <fstream>

#include "core/profiles.h"

using namespace sitelink;
namespace fs = std::filesystem;

namespace {
// A profiles folder with one vendor file, removed afterwards.
struct TempProfiles {
    fs::path dir = fs::temp_directory_path() / ("sitelink-profiles-" + std::to_string(::getpid()));
    explicit TempProfiles(const std::string& vendor_json) {
        fs::create_directories(dir / "vendors");
        std::ofstream(dir / "vendors" / "acme.json") << vendor_json;
    }
    ~TempProfiles() { fs::remove_all(dir); }
};
}  // namespace

TEST(Profiles, EveryProfileInTheRepositoryLoads) {
    auto profiles = load_profiles(std::string(SITELINK_SOURCE_DIR) + "/profiles");
    ASSERT_TRUE(profiles) << profiles.error().summary();
    EXPECT_GE(profiles->vendors.size(), 3u);
    bool axis_video = false;
    for (const auto& s : profiles->mdns_services()) axis_video = axis_video || s.service == "_axis-video._tcp";
    EXPECT_TRUE(axis_video) << "vendor mDNS types live in profiles/, and Axis's must be there";
}

TEST(Profiles, UnknownKeyIsRejectedByFileAndName) {
    TempProfiles p(R"({"schema": 1, "vendor": "Acme", "manufacturer_names": [], "mac_prefixes": [],
                       "mdns": [{"service": "_acme._tcp", "identifies_camera": true, "txt": {"macc": "mac"}}]})");
    auto profiles = load_profiles(p.dir.string());
    ASSERT_FALSE(profiles);
    EXPECT_EQ(profiles.error().code, ErrorCode::ProfileInvalid);
    EXPECT_NE(profiles.error().device.find("acme.json"), std::string::npos);
    EXPECT_NE(profiles.error().detail.find("mdns[0].txt.macc unknown key"), std::string::npos) << profiles.error().detail;
}

TEST(Profiles, BadValuesAreRejected) {
    for (const char* bad : {R"({"schema": 2, "vendor": "A", "manufacturer_names": [], "mac_prefixes": []})",
                            R"({"schema": 1, "vendor": "A", "manufacturer_names": [], "mac_prefixes": ["AC:CC:8E"]})",
                            R"({"schema": 1, "vendor": "A", "manufacturer_names": [], "mac_prefixes": [],
                                "mdns": [{"service": "axis-video", "identifies_camera": true}]})",
                            R"({"schema": 1, "manufacturer_names": [], "mac_prefixes": []})", "{not json"}) {
        TempProfiles p(bad);
        EXPECT_FALSE(load_profiles(p.dir.string())) << bad;
    }
}

TEST(Profiles, MissingFolderIsAClearError) {
    auto profiles = load_profiles("/nonexistent/sitelink");
    ASSERT_FALSE(profiles);
    EXPECT_NE(profiles.error().summary().find("no such folder"), std::string::npos);
}

TEST(Profiles, PhoneAppsAreCheckedAndNameRealVendors) {
    const fs::path dir = fs::temp_directory_path() / ("sitelink-apps-" + std::to_string(::getpid()));
    fs::copy(std::string(SITELINK_SOURCE_DIR) + "/profiles", dir, fs::copy_options::recursive);
    auto good = load_profiles(dir.string());
    ASSERT_TRUE(good) << good.error().summary();
    EXPECT_TRUE(std::any_of(good->phone_apps.begin(), good->phone_apps.end(), [](const PhoneAppProfile& a) { return a.id == "vlc"; }));
    const std::pair<const char*, const char*> bad[] = {
        {R"({"schema": 1, "name": "Acme View", "platforms": ["Android"], "opens": "vendor", "vendors": ["Acme"], "steps": ["x"]})",
         "vendors names 'Acme', which is no vendor"},
        {R"({"schema": 1, "name": "Acme View", "platforms": ["Android"], "opens": "web", "vendors": [], "steps": ["x"]})",
         "opens must be rtsp, onvif or vendor"},
        {R"({"schema": 1, "name": "Acme View", "platforms": ["Windows"], "opens": "rtsp", "vendors": [], "steps": ["x"]})",
         "platforms 'Windows' is not Android or iOS"},
        {R"({"schema": 1, "name": "Acme View", "platforms": ["iOS"], "opens": "vendor", "vendors": [], "steps": ["x"]})",
         "a vendor app must name its vendors"}};
    for (const auto& [text, named] : bad) {
        std::ofstream(dir / "apps" / "acme.json") << text;
        auto profiles = load_profiles(dir.string());
        ASSERT_FALSE(profiles) << text;
        EXPECT_NE(profiles.error().device.find("acme.json"), std::string::npos) << profiles.error().summary();
        EXPECT_NE(profiles.error().detail.find(named), std::string::npos) << profiles.error().detail;
    }
    fs::remove_all(dir);
}

TEST(Profiles, TheMakerIsKnownByTheMacPrefixBeforeAnyLogin) {
    auto profiles = load_profiles(std::string(SITELINK_SOURCE_DIR) + "/profiles");
    ASSERT_TRUE(profiles) << profiles.error().summary();
    const VendorProfile* axis = profiles->vendor_by_mac("ACCC8E4E2511");
    ASSERT_NE(axis, nullptr);
    EXPECT_EQ(axis->vendor, "Axis");
    EXPECT_EQ(profiles->vendor_by_mac("00:09:18:4e:94:14")->vendor, "Hanwha Vision");
    EXPECT_EQ(profiles->vendor_by_mac("02:00:00:00:00:01"), nullptr);
    EXPECT_EQ(profiles->vendor_by_mac(""), nullptr);
}
