#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "discover/ws_discovery.h"

using namespace sitelink::discover;

namespace {
std::string message(const std::string& name) {
    std::ifstream in(std::string(SITELINK_TEST_DATA) + "/messages/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}
}  // namespace

TEST(WsDiscovery, ParsesProbeMatchesWithForeignPrefixes) {
    MessageParser parser;
    auto msg = parser.parse(message("probe_matches_two.xml"));
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->kind, WsdMessage::Kind::ProbeMatches);
    EXPECT_EQ(msg->relates_to, "urn:uuid:0a6dc791-2be6-4991-9af1-454778a1917a");
    ASSERT_EQ(msg->announcements.size(), 2u);
    const auto& one = msg->announcements[0];
    EXPECT_EQ(one.endpoint, "urn:uuid:cam-one");
    EXPECT_EQ(one.types, (std::vector<std::string>{"dn:NetworkVideoTransmitter", "tds:Device"}));
    EXPECT_EQ(one.scopes.name.value_or(""), "Front Door");
    EXPECT_EQ(one.scopes.mac.value_or(""), "ac:cc:8e:00:00:01");
    EXPECT_EQ(one.xaddrs.size(), 2u);
    EXPECT_EQ(one.metadata_version, 3u);
    EXPECT_EQ(msg->announcements[1].xaddrs,
              (std::vector<std::string>{"http://192.168.77.102:8080/onvif/device_service"}));
}

TEST(WsDiscovery, NormalisesTypePrefixesToOurs) {
    MessageParser parser;
    auto msg = parser.parse(message("hello.xml"));
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->kind, WsdMessage::Kind::Hello);
    ASSERT_EQ(msg->announcements.size(), 1u);
    EXPECT_EQ(msg->announcements[0].types, (std::vector<std::string>{"dn:NetworkVideoTransmitter"}));
    EXPECT_EQ(msg->announcements[0].xaddrs.front(), "http://192.168.77.201/onvif/device_service");
}

TEST(WsDiscovery, ParsesByeWithoutOptionalFields) {
    MessageParser parser;
    auto msg = parser.parse(message("bye.xml"));
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->kind, WsdMessage::Kind::Bye);
    EXPECT_EQ(msg->announcements.at(0).endpoint, "urn:uuid:cam-one");
}

TEST(WsDiscovery, OwnProbeRoundTripsAndIsNotMistakenForAnAnswer) {
    const std::string id = new_message_id();
    ASSERT_EQ(id.rfind("urn:uuid:", 0), 0u);
    ASSERT_EQ(id.size(), 45u);
    EXPECT_NE(id, new_message_id());
    const std::string probe = build_probe(id, kTypeNetworkVideoTransmitter);
    EXPECT_NE(probe.find("<wsa:MessageID>" + id + "</wsa:MessageID>"), std::string::npos);
    EXPECT_NE(probe.find("<wsdd:Types>dn:NetworkVideoTransmitter</wsdd:Types>"), std::string::npos);
    EXPECT_NE(probe.find("xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\""), std::string::npos);
    EXPECT_NE(probe.find("<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>"),
              std::string::npos);
    MessageParser parser;
    EXPECT_FALSE(parser.parse(probe));
}

TEST(WsDiscovery, RejectsGarbageQuickly) {
    MessageParser parser;
    for (const std::string& junk : {std::string(""), std::string("not xml"), std::string("<a><b></a>"),
                                   std::string(100000, '<'), std::string("\x00\x01\x02", 3)})
        EXPECT_FALSE(parser.parse(junk));
    // A parser that survives garbage still reads the next good message.
    EXPECT_TRUE(parser.parse(message("bye.xml")));
}

TEST(WsDiscovery, RefusesEntityExpansion) {
    MessageParser parser;
    const auto started = std::chrono::steady_clock::now();
    auto msg = parser.parse(message("billion_laughs.xml"));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    if (msg) {
        ASSERT_EQ(msg->announcements.size(), 1u);
        EXPECT_LT(msg->announcements[0].endpoint.size(), 1000u) << "entities must not be expanded";
    }
    EXPECT_LT(elapsed, std::chrono::seconds(1));
}

TEST(WsDiscovery, RejectsDeepNesting) {
    std::string deep = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>";
    for (int i = 0; i < 200; ++i) deep += "<x>";
    for (int i = 0; i < 200; ++i) deep += "</x>";
    deep += "</s:Body></s:Envelope>";
    MessageParser parser;
    EXPECT_FALSE(parser.parse(deep));
}
