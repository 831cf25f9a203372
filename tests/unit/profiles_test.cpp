#include <gtest/gtest.h>

#include <filesystem>
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
