// Router faults that miniupnpd cannot be made to show, played by a scripted IGD on loopback
// (fake_igd.h): SOAP faults with UPnP codes, the connection dropped before or in the middle of the
// answer, a router that never answers, garbage, an 8 MiB body. Every call must come back (a hang
// is caught by ctest's timeout) with an Error naming the router and keeping the UPnP code, and
// apply must journal as added only what the router is known to hold, so a re-run can finish.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "fake_igd.h"
#include "router/router.h"
#include "temp_site.h"

using namespace sitelink;
using namespace sitelink::router;
using sitelink::faults::FakeIgd;
using sitelink::faults::IgdFault;
using sitelink::faults::TempSite;

namespace {

constexpr const char* kRouterLabel = "Fault Router (127.0.0.1)";

Igd router_at(const FakeIgd& igd) {
    auto lo = find_interface("lo");
    if (!lo) throw std::runtime_error(lo.error().summary());
    auto found = Igd::find(*lo, igd.description_url());
    if (!found) throw std::runtime_error(found.error().summary());
    return std::move(found.value());
}

Result<Igd> find_at(const FakeIgd& igd) {
    auto lo = find_interface("lo");
    if (!lo) return lo.error();
    return Igd::find(*lo, igd.description_url());
}

const PortMapping kCameraMapping{"TCP", 24817, "127.0.0.21", 554, "sitelink job Front Door rtsp", true, 0};

// The one rule of the site's plan: Front Door's RTSP, to a host other than the laptop (so a 718
// means secure mode, as on a real site).
const ForwardRule kRule{"urn:uuid:cam1", "Front Door (127.0.0.21)", "rtsp", "TCP", "127.0.0.21", 554, 24817, "video streams"};

class ForwardFaults : public ::testing::Test {
protected:
    void SetUp() override {
        site::SiteDevice camera;
        camera.key = kRule.device_key;
        camera.name = "Front Door";
        ASSERT_TRUE(site_.db().remember_device(camera));
        ASSERT_TRUE(site_.db().put_fact("forward_plan", {{"rules", std::vector<ForwardRule>{kRule}}, {"skipped", nlohmann::json::array()}}));
    }

    ForwardRequest request(int lease_s = 0) const {
        ForwardRequest r;
        r.interface = "lo";
        r.description_url = igd_.description_url();
        r.lease_s = lease_s;
        return r;
    }

    ForwardOutcome apply(int lease_s = 0) {
        auto outcome = apply_forwarding(site_.db(), request(lease_s));
        if (!outcome) throw std::runtime_error(outcome.error().summary());
        return *outcome;
    }

    std::vector<site::ForwardRecord> journal() {
        auto records = site_.db().forwards();
        if (!records) throw std::runtime_error(records.error().summary());
        return *records;
    }

    std::vector<std::string> journal_states() {
        std::vector<std::string> states;
        for (const auto& r : journal()) states.push_back(r.state);
        return states;
    }

    bool router_holds_the_rule() const {
        const auto table = igd_.mappings();
        return std::any_of(table.begin(), table.end(), [](const PortMapping& m) {
            return m.external_port == kRule.external_port && m.internal_client == kRule.internal_client;
        });
    }

    FakeIgd igd_;
    TempSite site_;
};

}  // namespace

// ---------------------------------------------------------------- one call at a time

TEST(IgdFaults, SoapFaultKeepsTheUpnpCodeAndNamesTheRouter) {
    const std::pair<int, const char*> faults[] = {
        {718, "UPnP 718 ConflictInMappingEntry"}, {725, "UPnP 725 OnlyPermanentLeasesSupported"}, {501, "UPnP 501 Action Failed"}};
    for (const auto& [code, protocol_code] : faults) {
        FakeIgd igd;
        igd.script("AddPortMapping", IgdFault::Refuse, code);
        Igd router = router_at(igd);
        auto added = router.add(kCameraMapping);
        ASSERT_FALSE(added) << code;
        EXPECT_EQ(added.error().code, ErrorCode::RouterRefused) << code;
        EXPECT_EQ(added.error().device, kRouterLabel);
        EXPECT_EQ(added.error().protocol_code, protocol_code);
        EXPECT_EQ(Igd::upnp_code(added.error()), code);
        EXPECT_NE(added.error().detail.find("AddPortMapping 24817/TCP to 127.0.0.21"), std::string::npos) << added.error().detail;
        EXPECT_TRUE(igd.mappings().empty());
    }
}

TEST(IgdFaults, RouterThatNeverAnswersTimesOutAndTheNextCallWorks) {
    FakeIgd igd;
    igd.script("GetExternalIPAddress", IgdFault::Hang);
    Igd router = router_at(igd);
    auto address = router.external_address();
    ASSERT_FALSE(address);
    EXPECT_EQ(address.error().code, ErrorCode::TimedOut);
    EXPECT_EQ(address.error().device, kRouterLabel);
    EXPECT_NE(address.error().detail.find("GetExternalIPAddress"), std::string::npos) << address.error().detail;
    EXPECT_EQ(Igd::upnp_code(address.error()), 0) << "no UPnP code was sent";

    auto again = router.external_address();
    ASSERT_TRUE(again) << again.error().summary();
    EXPECT_EQ(*again, FakeIgd::kExternalAddress);
}

TEST(IgdFaults, ConnectionDroppedBeforeTheAnswerSaysSo) {
    FakeIgd igd;
    igd.script("GetSpecificPortMappingEntry", IgdFault::CloseWithoutAnswer);
    Igd router = router_at(igd);
    auto entry = router.mapping(24817, "TCP");
    ASSERT_FALSE(entry);
    EXPECT_EQ(entry.error().code, ErrorCode::TimedOut);
    EXPECT_EQ(entry.error().device, kRouterLabel);
    EXPECT_NE(entry.error().detail.find("dropped"), std::string::npos) << entry.error().detail;
    EXPECT_EQ(entry.error().protocol_code, "") << "there is no protocol code to keep";
}

TEST(IgdFaults, AnswerCutShortGarbageOrOversizedIsMalformed) {
    for (const IgdFault fault : {IgdFault::CloseMidAnswer, IgdFault::Garbage, IgdFault::HugeBody}) {
        FakeIgd igd;
        igd.script("GetExternalIPAddress", fault);
        Igd router = router_at(igd);
        auto address = router.external_address();
        ASSERT_FALSE(address) << static_cast<int>(fault);
        EXPECT_EQ(address.error().code, ErrorCode::MalformedAnswer) << address.error().summary();
        EXPECT_EQ(address.error().device, kRouterLabel);
        EXPECT_EQ(Igd::upnp_code(address.error()), 0);
    }
}

TEST(IgdFaults, DescriptionThatNeverComesOrIsNotAnIgd) {
    {
        FakeIgd igd;
        igd.script("description", IgdFault::Hang);
        auto found = find_at(igd);
        ASSERT_FALSE(found);
        EXPECT_EQ(found.error().code, ErrorCode::TimedOut) << found.error().summary();
        EXPECT_EQ(found.error().device, igd.description_url());
    }
    {
        FakeIgd igd;
        igd.script("description", IgdFault::CloseWithoutAnswer);
        auto found = find_at(igd);
        ASSERT_FALSE(found);
        EXPECT_EQ(found.error().code, ErrorCode::TimedOut) << found.error().summary();
    }
    for (const IgdFault fault : {IgdFault::Garbage, IgdFault::HugeBody}) {
        FakeIgd igd;
        igd.script("description", fault);
        auto found = find_at(igd);
        ASSERT_FALSE(found) << "a description without a WANIPConnection service is no router";
        EXPECT_EQ(found.error().code, ErrorCode::NoRouter) << found.error().summary();
        EXPECT_EQ(found.error().device, igd.description_url());
        EXPECT_EQ(igd.count("GetExternalIPAddress"), 0);
    }
}

TEST(RouterStatusFaults, EachFailedReadBecomesANoteAndTheRestIsStillRead) {
    FakeIgd igd;
    igd.script("GetStatusInfo", IgdFault::Garbage);
    igd.script("GetGenericPortMappingEntry", IgdFault::Refuse, 501);
    StatusRequest request;
    request.interface = "lo";
    request.description_url = igd.description_url();
    auto status = router_status(request);
    ASSERT_TRUE(status) << status.error().summary();
    ASSERT_TRUE(status->router);
    EXPECT_EQ(status->external_address, FakeIgd::kExternalAddress);
    EXPECT_EQ(status->connection_status, "");
    const auto noted = [&](const std::string& text) {
        return std::any_of(status->notes.begin(), status->notes.end(), [&](const std::string& n) { return n.find(text) != std::string::npos; });
    };
    EXPECT_TRUE(noted("GetStatusInfo")) << nlohmann::json(status->notes).dump();
    EXPECT_TRUE(noted("[UPnP 501 Action Failed]")) << nlohmann::json(status->notes).dump();
}

// ---------------------------------------------------------------- apply and its journal

TEST_F(ForwardFaults, AddDroppedBeforeTheRouterActedStaysUnfinishedAndARerunAddsIt) {
    igd_.script("AddPortMapping", IgdFault::CloseWithoutAnswer);
    const ForwardOutcome first = apply();
    ASSERT_EQ(first.results.size(), 1u);
    EXPECT_EQ(first.results[0].state, "failed");
    ASSERT_TRUE(first.results[0].error);
    EXPECT_EQ(first.results[0].error->device, kRouterLabel);
    EXPECT_EQ(journal_states(), std::vector<std::string>{"adding"}) << "the outcome is unknown: not added, not failed";
    EXPECT_FALSE(router_holds_the_rule());

    const ForwardOutcome second = apply();
    ASSERT_EQ(second.results.size(), 1u);
    EXPECT_EQ(second.results[0].state, "added");
    EXPECT_EQ(journal_states(), (std::vector<std::string>{"removed", "added"})) << "the unfinished entry is superseded";
    EXPECT_TRUE(router_holds_the_rule());
}

TEST_F(ForwardFaults, AddTheRouterCarriedOutBeforeDroppingIsFoundOnRerunAndUndone) {
    igd_.script("AddPortMapping", IgdFault::ApplyThenClose);
    EXPECT_EQ(apply().results.at(0).state, "failed");
    EXPECT_EQ(journal_states(), std::vector<std::string>{"adding"});
    EXPECT_TRUE(router_holds_the_rule());

    const ForwardOutcome second = apply();
    EXPECT_EQ(second.results.at(0).state, "kept");
    EXPECT_EQ(journal_states(), std::vector<std::string>{"added"}) << "Sitelink made it, so it is Sitelink's to remove";
    EXPECT_EQ(igd_.count("AddPortMapping"), 1) << "nothing is added twice";

    auto undone = undo_forwarding(site_.db(), request());
    ASSERT_TRUE(undone) << undone.error().summary();
    EXPECT_EQ(undone->results.at(0).state, "removed");
    EXPECT_FALSE(router_holds_the_rule());
}

TEST_F(ForwardFaults, ReadBackDroppedAfterASuccessfulAddStaysUnfinished) {
    // The first GetSpecificPortMappingEntry checks the port is free; the second reads the mapping back.
    igd_.script("GetSpecificPortMappingEntry", IgdFault::CloseWithoutAnswer, 0, 1, 1);
    EXPECT_EQ(apply().results.at(0).state, "failed");
    EXPECT_EQ(journal_states(), std::vector<std::string>{"adding"}) << "the router accepted it: it may well hold it";
    EXPECT_TRUE(router_holds_the_rule());

    EXPECT_EQ(apply().results.at(0).state, "kept");
    EXPECT_EQ(journal_states(), std::vector<std::string>{"added"});
}

TEST_F(ForwardFaults, SilentRouterDuringAddReturnsAndLeavesTheEntryUnfinished) {
    igd_.script("AddPortMapping", IgdFault::Hang);
    const ForwardOutcome outcome = apply();
    ASSERT_TRUE(outcome.results.at(0).error);
    EXPECT_EQ(outcome.results[0].error->code, ErrorCode::TimedOut);
    EXPECT_EQ(journal_states(), std::vector<std::string>{"adding"});
}

TEST_F(ForwardFaults, GarbageAnswerToAddIsJudgedByReadingBack) {
    // miniupnpc takes any answer without an errorCode as success; the read-back finds nothing.
    igd_.script("AddPortMapping", IgdFault::Garbage);
    const ForwardOutcome outcome = apply();
    EXPECT_EQ(outcome.results.at(0).state, "failed");
    ASSERT_TRUE(outcome.results[0].error);
    EXPECT_EQ(outcome.results[0].error->code, ErrorCode::ChangeNotKept);
    EXPECT_EQ(journal_states(), std::vector<std::string>{"failed"}) << "the router does not list it: it is not there";
}

TEST_F(ForwardFaults, AddAnswerCutShortIsJudgedByReadingBack) {
    // Half an answer holds no errorCode, so miniupnpc calls it success; the router did make it.
    igd_.script("AddPortMapping", IgdFault::CloseMidAnswer);
    EXPECT_EQ(apply().results.at(0).state, "added");
    EXPECT_EQ(journal_states(), std::vector<std::string>{"added"});
    EXPECT_TRUE(router_holds_the_rule());
}

TEST_F(ForwardFaults, ActionFailedIsAFailureThatKeepsTheUpnpCode) {
    igd_.script("AddPortMapping", IgdFault::Refuse, 501);
    const ForwardOutcome outcome = apply();
    EXPECT_EQ(outcome.results.at(0).state, "failed");
    ASSERT_TRUE(outcome.results[0].error);
    EXPECT_EQ(outcome.results[0].error->protocol_code, "UPnP 501 Action Failed");
    const auto records = journal();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].state, "failed");
    EXPECT_NE(records[0].result.find("UPnP 501"), std::string::npos) << records[0].result;
}

TEST_F(ForwardFaults, ConflictForAnotherHostIsSecureModeAndGoesToTheGuide) {
    igd_.script("AddPortMapping", IgdFault::Refuse, 718);
    const ForwardOutcome outcome = apply();
    EXPECT_TRUE(outcome.secure_mode);
    EXPECT_EQ(outcome.results.at(0).state, "refused");
    ASSERT_TRUE(outcome.results[0].error);
    EXPECT_EQ(Igd::upnp_code(*outcome.results[0].error), 718);
    EXPECT_EQ(journal_states(), (std::vector<std::string>{"removed", "manual"}));
    EXPECT_FALSE(router_holds_the_rule());
}

TEST_F(ForwardFaults, OnlyPermanentLeasesIsRetriedWithoutALease) {
    igd_.script("AddPortMapping", IgdFault::Refuse, 725);
    const ForwardOutcome outcome = apply(3600);
    EXPECT_EQ(outcome.results.at(0).state, "added");
    EXPECT_EQ(igd_.count("AddPortMapping"), 2);
    ASSERT_EQ(igd_.mappings().size(), 1u);
    EXPECT_EQ(igd_.mappings()[0].lease_s, 0);
    EXPECT_EQ(journal_states(), std::vector<std::string>{"added"});
}

TEST_F(ForwardFaults, RemovalDroppedMidwayIsFinishedByTheNextUndo) {
    ASSERT_EQ(apply().results.at(0).state, "added");
    igd_.script("DeletePortMapping", IgdFault::ApplyThenClose);
    auto first = undo_forwarding(site_.db(), request());
    ASSERT_TRUE(first) << first.error().summary();
    EXPECT_EQ(first->results.at(0).state, "failed");
    EXPECT_EQ(journal_states(), std::vector<std::string>{"removing"});
    EXPECT_FALSE(router_holds_the_rule());

    auto second = undo_forwarding(site_.db(), request());
    ASSERT_TRUE(second) << second.error().summary();
    EXPECT_EQ(second->results.at(0).state, "gone");
    EXPECT_EQ(journal_states(), std::vector<std::string>{"removed"});
}

TEST_F(ForwardFaults, RenewalDroppedByTheRouterKeepsTheMappingSitelinks) {
    ASSERT_EQ(apply(3600).results.at(0).state, "added");
    ASSERT_EQ(igd_.mappings().size(), 1u);
    igd_.script("AddPortMapping", IgdFault::CloseWithoutAnswer);

    ForwardRequest keeper = request(3600);
    keeper.only_added = true;
    keeper.renew_within_s = 7200;  // the router reports 3600 s left: renew
    auto pass = apply_forwarding(site_.db(), keeper);
    ASSERT_TRUE(pass) << pass.error().summary();
    EXPECT_EQ(pass->results.at(0).state, "failed");
    EXPECT_EQ(journal_states(), std::vector<std::string>{"added"}) << "the mapping is still on the router and still Sitelink's";

    auto undone = undo_forwarding(site_.db(), request());
    ASSERT_TRUE(undone) << undone.error().summary();
    EXPECT_EQ(undone->results.at(0).state, "removed");
    EXPECT_FALSE(router_holds_the_rule());
}
