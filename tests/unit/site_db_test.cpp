// The site database: what is remembered, what is never overwritten, and the journal's states.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sqlite3.h>

#include "site/site_db.h"

using namespace sitelink;
using namespace sitelink::site;

namespace {

class SiteDbTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("sitelink-sitedb-" + std::to_string(getpid()));
        std::filesystem::remove_all(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::unique_ptr<SiteDb> open() {
        auto db = SiteDb::open(dir_ / "nested" / "site.db");
        EXPECT_TRUE(db) << db.error().summary();
        return std::move(db.value());
    }
    std::filesystem::path dir_;
};

NetworkSettings settings(const std::string& address, bool dhcp) {
    return {address, 24, std::string("10.0.0.1"), dhcp, {"10.0.0.1"}, "eth0"};
}

SiteDevice camera(const std::string& address) {
    SiteDevice d;
    d.key = "urn:uuid:cam";
    d.name = "Gate";
    d.mac = "02:00:00:00:00:01";
    d.role = "camera";
    d.url = "http://" + address + "/onvif/device_service";
    d.original = d.current = settings(address, true);
    d.network_read = true;
    return d;
}

TEST_F(SiteDbTest, OriginalSettingsSurviveLaterSightings) {
    {
        auto db = open();
        ASSERT_TRUE(db->remember_device(camera("10.0.0.150")));
        auto later = camera("10.0.0.20");
        later.current.dhcp = false;
        later.original = later.current;  // what a later plan sees: it must not replace the original
        ASSERT_TRUE(db->remember_device(later));
    }
    auto db = open();  // and across reopening
    auto d = db->device("urn:uuid:cam");
    ASSERT_TRUE(d && d->has_value());
    EXPECT_EQ((*d)->original, settings("10.0.0.150", true));
    EXPECT_EQ((*d)->current.address, "10.0.0.20");
    EXPECT_EQ((*d)->label(), "Gate (10.0.0.20)");
}

// A first sighting that could not log in knows only the address; the first real reading fixes the
// original settings (what `address undo` restores), and later readings do not change them.
TEST_F(SiteDbTest, OriginalIsTheFirstRealReading) {
    auto db = open();
    auto unread = camera("10.0.0.111");
    unread.network_read = false;
    unread.original = unread.current = {"10.0.0.111", 0, std::nullopt, false, {}, ""};
    ASSERT_TRUE(db->remember_device(unread));
    ASSERT_TRUE(db->remember_device(camera("10.0.0.111")));
    auto later = camera("10.0.0.20");
    later.current.dhcp = false;
    later.original = later.current;
    ASSERT_TRUE(db->remember_device(later));
    ASSERT_TRUE(db->remember_device(unread));
    auto d = db->device("urn:uuid:cam");
    ASSERT_TRUE(d && d->has_value());
    EXPECT_EQ((*d)->original, settings("10.0.0.111", true));
    EXPECT_TRUE((*d)->network_read);
}

TEST_F(SiteDbTest, JournalKeepsIntentBeforeOutcome) {
    auto db = open();
    ASSERT_TRUE(db->remember_device(camera("10.0.0.150")));
    auto batch = db->start_batch("apply");
    ASSERT_TRUE(batch);
    auto change = db->add_change(*batch, "urn:uuid:cam", "apply", settings("10.0.0.150", true), settings("10.0.0.20", false));
    ASSERT_TRUE(change);
    auto unfinished = db->unfinished_batch();
    ASSERT_TRUE(unfinished);
    EXPECT_EQ(unfinished->value_or(-1), *batch);

    auto entry = db->journal_intent(*change, "SetNetworkInterfaces", settings("10.0.0.20", false), settings("10.0.0.150", true));
    ASSERT_TRUE(entry);
    auto journal = db->journal(*change);
    ASSERT_TRUE(journal);
    ASSERT_EQ(journal->size(), 1u);
    EXPECT_EQ(journal->front().state, "intent");  // what a killed run leaves: sent, outcome unknown
    EXPECT_EQ(journal->front().intent["address"], "10.0.0.20");
    EXPECT_EQ(journal->front().previous["dhcp"], true);

    ASSERT_TRUE(db->journal_result(*entry, true, "ok"));
    ASSERT_TRUE(db->set_change_state(*change, ChangeState::Done, "verified"));
    journal = db->journal(*change);
    EXPECT_EQ(journal->front().state, "ok");
    auto changes = db->changes_in_batch(*batch);
    ASSERT_TRUE(changes);
    EXPECT_EQ(changes->front().state, ChangeState::Done);
    EXPECT_EQ(changes->front().after, settings("10.0.0.20", false));
    unfinished = db->unfinished_batch();
    EXPECT_FALSE(unfinished->has_value());
}

TEST_F(SiteDbTest, OnlyOneProcessChangesASiteAtATime) {
    auto first = open();
    ASSERT_TRUE(first->lock_for_changes());
    auto second = open();
    auto refused = second->lock_for_changes();
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().summary().find("pid " + std::to_string(getpid())), std::string::npos)
        << refused.error().summary();
    first.reset();
    EXPECT_TRUE(second->lock_for_changes());
}

TEST_F(SiteDbTest, ForeignAndNewerFilesAreRefusedClearly) {
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "junk.db") << std::string(200, 'x');
    auto junk = SiteDb::open(dir_ / "junk.db");
    ASSERT_FALSE(junk);
    EXPECT_EQ(junk.error().code, ErrorCode::SiteDatabase);

    open().reset();
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "nested" / "site.db").c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
    auto newer = SiteDb::open(dir_ / "nested" / "site.db");
    ASSERT_FALSE(newer);
    EXPECT_NE(newer.error().summary().find("newer Sitelink (schema 99"), std::string::npos) << newer.error().summary();
}

TEST(SitePath, NamesLiveInTheSitesFolderPathsAreTakenAsGiven) {
    auto bad = site_path("smith warehouse!");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::Usage);
    EXPECT_FALSE(site_path(".."));
    EXPECT_EQ(site_path("smith-warehouse")->filename(), "smith-warehouse.db");
    EXPECT_EQ(site_path("smith-warehouse")->parent_path(), sites_directory());
    EXPECT_EQ(site_path("/tmp/x.db")->string(), "/tmp/x.db");
    EXPECT_EQ(site_path("sites/x")->string(), "sites/x");
}

TEST_F(SiteDbTest, FactsRoundTrip) {
    auto db = open();
    EXPECT_FALSE(db->fact("network")->has_value());
    ASSERT_TRUE(db->put_fact("network", nlohmann::json{{"subnet", "10.0.0.0/24"}}));
    ASSERT_TRUE(db->put_fact("network", nlohmann::json{{"subnet", "10.0.1.0/24"}}));
    EXPECT_EQ((*db->fact("network"))->at("subnet"), "10.0.1.0/24");
}

}  // namespace
