// DNS servers that misbehave, played by a scripted server on loopback (fake_dns.h): one that never
// answers, answers garbage, an answer cut short, an answer with another message ID, an unsigned
// refusal. The resolver lookups (verify's ddns-resolves check) and the RFC 2136 update must come
// back with an error or a "retry later" that names the server, after their bounded tries.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "ddns/ddns.h"
#include "ddns/dns.h"
#include "fake_dns.h"
#include "fake_igd.h"
#include "rfc2136_seed_update.h"
#include "temp_site.h"
#include "verify/verify.h"

using namespace sitelink;
using namespace sitelink::ddns;
using sitelink::faults::DnsFault;
using sitelink::faults::FakeDns;
using sitelink::faults::FakeIgd;
using sitelink::faults::TempSite;

namespace {

// Short, so a silent server costs little; the tries are what is asserted, never the time.
constexpr std::chrono::milliseconds kTimeout{300};
constexpr const char* kName = "cams.example.test";
constexpr const char* kSiteAddress = FakeIgd::kExternalAddress;  // the router's, so verify finds the name current
constexpr const char* kKeyName = "sitelink-test";
constexpr const char* kSecret = "c2l0ZWxpbmsgZmF1bHQgdGVzdHMgdHNpZyBrZXkgMzI=";

DnsServer on_loopback(const FakeDns& dns) { return {dns.server(), "lo", kTimeout}; }

const DdnsProviderProfile kRfc2136{"rfc2136", "Own DNS server", "rfc2136", "", "", "TSIG key name", "TSIG key secret", {}};

UpdateRequest rfc2136_update_of(const FakeDns& dns) {
    UpdateRequest r;
    r.settings.provider = "rfc2136";
    r.settings.hostname = kName;
    r.settings.username = kKeyName;
    r.settings.server = dns.server();
    r.settings.zone = "example.test";
    r.provider = &kRfc2136;
    r.secret = kSecret;
    r.address = kSiteAddress;
    r.interface = "lo";
    r.timeout = kTimeout;
    return r;
}

}  // namespace

// ---------------------------------------------------------------- lookups

TEST(DnsLookupFaults, AWorkingServerIsBelieved) {
    FakeDns dns(kKeyName, kSecret);
    dns.set_record(kName, kSiteAddress);
    auto found = lookup_a(kName, on_loopback(dns));
    ASSERT_TRUE(found) << found.error().summary();
    EXPECT_EQ(*found, std::vector<std::string>{kSiteAddress});
    auto missing = lookup_a("other.example.test", on_loopback(dns));
    ASSERT_TRUE(missing) << missing.error().summary();
    EXPECT_TRUE(missing->empty());
}

TEST(DnsLookupFaults, SilentServerTimesOutAfterItsTriesNamingTheServer) {
    FakeDns dns(kKeyName, kSecret);
    dns.set_query_fault(DnsFault::Silent);
    auto found = lookup_a(kName, on_loopback(dns));
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().code, ErrorCode::TimedOut);
    EXPECT_EQ(found.error().device, "DNS server " + dns.server());
    EXPECT_NE(found.error().detail.find(kName), std::string::npos) << found.error().detail;
    EXPECT_EQ(dns.queries(), kDnsTries);
}

TEST(DnsLookupFaults, GarbageCutShortOrStrayAnswersAreNotBelieved) {
    for (const DnsFault fault : {DnsFault::Garbage, DnsFault::Truncated, DnsFault::MismatchedId}) {
        FakeDns dns(kKeyName, kSecret);
        dns.set_record(kName, kSiteAddress);
        dns.set_query_fault(fault);
        auto found = lookup_a(kName, on_loopback(dns));
        ASSERT_FALSE(found) << "fault " << static_cast<int>(fault) << " was believed";
        EXPECT_EQ(found.error().code, ErrorCode::MalformedAnswer) << found.error().summary();
        EXPECT_EQ(found.error().device, "DNS server " + dns.server());
    }
}

TEST(DnsLookupFaults, ServerAddressesAreCheckedBeforeAnythingIsSent) {
    for (const char* bad : {"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:", "127.0.0.1:53x", "dns.example.test", ""}) {
        auto found = lookup_a(kName, {bad, "lo", kTimeout});
        ASSERT_FALSE(found) << bad;
        EXPECT_EQ(found.error().code, ErrorCode::Usage) << bad;
    }
    const auto parsed = parse_dns_server("192.0.2.53");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->port, 53);
    EXPECT_EQ(parse_dns_server("192.0.2.53:5353")->port, 5353);
}

TEST(DnsExchangeFaults, SilentServerIsAskedItsTriesThenTimesOut) {
    FakeDns dns(kKeyName, kSecret);
    dns.set_query_fault(DnsFault::Silent);
    const std::string empty_query("\x12\x34\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12);  // a header, no question
    auto answer = exchange_udp(on_loopback(dns), empty_query);
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().code, ErrorCode::TimedOut);
    EXPECT_EQ(answer.error().device, "DNS server " + dns.server());
    EXPECT_EQ(dns.queries(), kDnsTries);
}

TEST(DnsExchangeFaults, NothingListeningIsRefusedAtOnce) {
    std::string closed_port;
    {
        FakeDns gone(kKeyName, kSecret);  // takes an ephemeral port and gives it back
        closed_port = gone.server();
    }
    auto answer = exchange_udp({closed_port, "lo", kTimeout}, std::string(12, '\0'));
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().code, ErrorCode::ConnectionRefused) << answer.error().summary();
    EXPECT_EQ(answer.error().device, "DNS server " + closed_port);
}

// ---------------------------------------------------------------- verify's ddns-resolves check

TEST(VerifyFaults, AResolverThatFailsFailsTheCheckByName) {
    for (const DnsFault fault : {DnsFault::None, DnsFault::Silent, DnsFault::Garbage}) {
        FakeIgd igd;
        FakeDns dns(kKeyName, kSecret);
        dns.set_record(kName, kSiteAddress);
        dns.set_query_fault(fault);
        TempSite site;
        DdnsSettings settings;
        settings.provider = "noip";
        settings.hostname = kName;
        ASSERT_TRUE(site.db().put_fact("ddns", settings));

        verify::VerifyRequest request;
        request.status.interface = "lo";
        request.status.description_url = igd.description_url();
        request.resolvers = {dns.server()};
        request.timeout = kTimeout;
        auto report = verify::verify_site(site.db(), request);
        ASSERT_TRUE(report) << report.error().summary();
        EXPECT_EQ(report->external_address, kSiteAddress);
        const auto check = std::find_if(report->checks.begin(), report->checks.end(),
                                        [](const verify::CheckLine& c) { return c.id == "ddns-resolves"; });
        ASSERT_NE(check, report->checks.end()) << nlohmann::json(*report).dump();
        if (fault == DnsFault::None) {
            EXPECT_EQ(check->result, "pass") << check->reason;
            continue;
        }
        EXPECT_EQ(check->result, "fail") << static_cast<int>(fault);
        EXPECT_NE(check->reason.find(dns.server()), std::string::npos) << check->reason;
        EXPECT_FALSE(check->fix.empty());
    }
}

// ---------------------------------------------------------------- RFC 2136 update

// The fuzz target's seeds and regressions, each a datagram beside what it means (a leak here
// fails the sanitizer suite).
TEST(Rfc2136Answers, FuzzInputsMeanWhatTheirNamesSay) {
    struct Expected {
        const char* file;  // under tests/fuzz/
        AnswerKind kind;
        const char* code;
    };
    const Expected inputs[] = {
        {"corpus/fuzz_rfc2136_answer/noerror-signed", AnswerKind::Updated, "NOERROR"},
        {"corpus/fuzz_rfc2136_answer/servfail-signed", AnswerKind::RetryLater, "SERVFAIL"},
        {"corpus/fuzz_rfc2136_answer/refused-signed", AnswerKind::Stopped, "REFUSED"},
        {"corpus/fuzz_rfc2136_answer/notzone-signed", AnswerKind::Stopped, "NOTZONE"},
        {"corpus/fuzz_rfc2136_answer/notauth-unsigned", AnswerKind::Stopped, "NOTAUTH/BADSIG"},
        {"corpus/fuzz_rfc2136_answer/noerror-other-key", AnswerKind::RetryLater, "BADSIG"},
        {"corpus/fuzz_rfc2136_answer/noerror-other-id", AnswerKind::RetryLater, "mismatch"},
        {"corpus/fuzz_rfc2136_answer/truncated-signed", AnswerKind::RetryLater, "truncated"},
        {"regressions/fuzz_rfc2136_answer/tsig_unknown_algorithm_leak", AnswerKind::RetryLater, "BADSIG"},
    };
    for (const auto& input : inputs) {
        std::ifstream file(std::filesystem::path(SITELINK_SOURCE_DIR) / "tests/fuzz" / input.file, std::ios::binary);
        ASSERT_TRUE(file) << input.file;
        const std::string wire{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
        const ProviderAnswer answer = rfc2136_answer("192.0.2.53", wire, sitelink::fuzz::rfc2136_seed_update());
        EXPECT_EQ(answer.kind, input.kind) << input.file << ": " << answer.message;
        EXPECT_EQ(answer.code, input.code) << input.file << ": " << answer.message;
    }
}

TEST(Rfc2136Faults, SignedAnswerFromAWorkingServerIsBelieved) {
    FakeDns dns(kKeyName, kSecret);
    const ProviderAnswer answer = send_update(rfc2136_update_of(dns));
    EXPECT_EQ(answer.kind, AnswerKind::Updated) << answer.code << ": " << answer.message;
    EXPECT_EQ(answer.address, kSiteAddress);
    EXPECT_EQ(dns.record(kName), kSiteAddress);
    EXPECT_EQ(dns.updates(), 1);
}

TEST(Rfc2136Faults, ServerThatAnswersNothingIsRetriedLaterWithoutAnUpdate) {
    FakeDns dns(kKeyName, kSecret);
    dns.set_query_fault(DnsFault::Silent);
    dns.set_update_fault(DnsFault::Silent);
    const ProviderAnswer answer = send_update(rfc2136_update_of(dns));
    EXPECT_EQ(answer.kind, AnswerKind::RetryLater);
    EXPECT_EQ(answer.code, "network");
    EXPECT_NE(answer.message.find(dns.server()), std::string::npos) << answer.message;
    EXPECT_EQ(dns.queries(), kDnsTries);
    EXPECT_EQ(dns.updates(), 0) << "a server that answers no query is not also waited for with the update";
}

TEST(Rfc2136Faults, ServerSilentOnlyToTheUpdateIsRetriedLater) {
    FakeDns dns(kKeyName, kSecret);
    dns.set_update_fault(DnsFault::Silent);
    const ProviderAnswer answer = send_update(rfc2136_update_of(dns));
    EXPECT_EQ(answer.kind, AnswerKind::RetryLater);
    EXPECT_EQ(answer.code, "network");
    EXPECT_NE(answer.message.find("did not answer the update"), std::string::npos) << answer.message;
    EXPECT_EQ(dns.updates(), kDnsTries);
    EXPECT_FALSE(dns.record(kName));
}

TEST(Rfc2136Faults, GarbageCutShortOrStrayAnswersToTheUpdateAreRetriedLater) {
    const std::pair<DnsFault, const char*> faults[] = {
        {DnsFault::Garbage, "malformed"}, {DnsFault::Truncated, "malformed"}, {DnsFault::MismatchedId, "mismatch"}};
    for (const auto& [fault, code] : faults) {
        FakeDns dns(kKeyName, kSecret);
        dns.set_update_fault(fault);
        const ProviderAnswer answer = send_update(rfc2136_update_of(dns));
        EXPECT_EQ(answer.kind, AnswerKind::RetryLater) << code << ": " << answer.message;
        EXPECT_EQ(answer.code, code);
        EXPECT_NE(answer.message.find(dns.server()), std::string::npos) << answer.message;
    }
}

TEST(Rfc2136Faults, UnsignedRefusalStopsUntilAHumanActs) {
    FakeDns dns(kKeyName, kSecret);
    dns.set_update_fault(DnsFault::Unsigned);
    const ProviderAnswer answer = send_update(rfc2136_update_of(dns));
    EXPECT_EQ(answer.kind, AnswerKind::Stopped);
    EXPECT_EQ(answer.code, "NOTAUTH/BADSIG");
    EXPECT_FALSE(answer.advice.empty());
}

TEST(Rfc2136Faults, WrongKeyIsRefusedAndStops) {
    FakeDns dns(kKeyName, "b3RoZXIga2V5IG9uIHRoZSBzZXJ2ZXIgc2lkZSAzMiE=");
    const ProviderAnswer answer = send_update(rfc2136_update_of(dns));
    EXPECT_EQ(answer.kind, AnswerKind::Stopped);
    EXPECT_EQ(answer.code, "NOTAUTH/BADSIG");
    EXPECT_FALSE(dns.record(kName));
}

TEST(Rfc2136Faults, UpdateAgainstASilentServerIsRecordedAsRetryLater) {
    FakeDns dns(kKeyName, kSecret);
    dns.set_query_fault(DnsFault::Silent);
    dns.set_update_fault(DnsFault::Silent);
    TempSite site;
    auto profiles = load_profiles(std::string(SITELINK_SOURCE_DIR) + "/profiles");
    ASSERT_TRUE(profiles) << profiles.error().summary();
    DdnsSetRequest set;
    set.settings.provider = "rfc2136";
    set.settings.hostname = kName;
    set.settings.username = kKeyName;
    set.settings.server = dns.server();
    set.secret = kSecret;
    auto configured = configure_ddns(site.db(), *profiles, set);
    ASSERT_TRUE(configured) << configured.error().summary();

    UpdateOptions options;
    options.address = kSiteAddress;
    options.interface = "lo";
    options.timeout = kTimeout;
    auto first = update_ddns(site.db(), *profiles, options);
    ASSERT_TRUE(first) << first.error().summary();
    EXPECT_EQ(first->action, "failed");
    EXPECT_EQ(first->state.last_code, "network");
    EXPECT_TRUE(first->state.pending_address.empty()) << "the request has its answer: none";
    EXPECT_GT(first->state.retry_after, 0);
    EXPECT_NE(first->detail.find(dns.server()), std::string::npos) << first->detail;

    const int asked = dns.queries() + dns.updates();
    auto second = update_ddns(site.db(), *profiles, options);
    ASSERT_TRUE(second) << second.error().summary();
    EXPECT_EQ(second->action, "waiting");
    EXPECT_EQ(dns.queries() + dns.updates(), asked) << "nothing is sent before the retry time";
}
