#include <gtest/gtest.h>

#include "core/device.h"
#include "core/error.h"
#include "core/net.h"
#include "onvif_client/session.h"

using namespace sitelink;

TEST(Ipv4Subnet, ParsesAndMasksHostBits) {
    auto s = Ipv4Subnet::parse("192.168.77.10/24");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->str(), "192.168.77.0/24");
    EXPECT_TRUE(s->contains(*Ipv4::parse("192.168.77.254")));
    EXPECT_FALSE(s->contains(*Ipv4::parse("192.168.78.1")));
}

TEST(Ipv4Subnet, RejectsJunk) {
    for (const char* bad : {"192.168.1.0", "192.168.1.0/33", "192.168.1/24", "x/24", "10.0.0.0/", "10.0.0.0/2a"})
        EXPECT_FALSE(Ipv4Subnet::parse(bad)) << bad;
}

TEST(Ipv4Subnet, HostsSkipNetworkAndBroadcast) {
    auto hosts = Ipv4Subnet::parse("10.1.2.0/30")->hosts();
    ASSERT_EQ(hosts.size(), 2u);
    EXPECT_EQ(hosts[0].str(), "10.1.2.1");
    EXPECT_EQ(hosts[1].str(), "10.1.2.2");
    EXPECT_EQ(Ipv4Subnet::parse("10.1.2.0/24")->hosts().size(), 254u);
    EXPECT_EQ(Ipv4Subnet::parse("10.1.2.7/32")->hosts().size(), 1u);
}

TEST(UrlHost, HandlesPortsUserinfoAndIpv6) {
    EXPECT_EQ(url_host("http://10.0.0.5:8080/onvif/device_service"), "10.0.0.5");
    EXPECT_EQ(url_host("http://10.0.0.5/onvif"), "10.0.0.5");
    EXPECT_EQ(url_host("rtsp://user:p@ss@10.0.0.5:554/x"), "ss@10.0.0.5");  // '@' in a password must be escaped
    EXPECT_EQ(url_host("rtsp://user:pass@10.0.0.5:554/x"), "10.0.0.5");
    EXPECT_EQ(url_host("http://[fe80::1]:80/"), "fe80::1");
    EXPECT_EQ(url_host("10.0.0.9"), "10.0.0.9");
}

TEST(NormalizeMac, AcceptsCommonSpellings) {
    EXPECT_EQ(normalize_mac("ACCC8E012345"), "ac:cc:8e:01:23:45");
    EXPECT_EQ(normalize_mac("ac-cc-8e-01-23-45"), "ac:cc:8e:01:23:45");
    EXPECT_EQ(normalize_mac("AC:CC:8E:01:23:45"), "ac:cc:8e:01:23:45");
    EXPECT_EQ(normalize_mac("not a mac"), "not a mac");
    EXPECT_EQ(normalize_mac("ACCC8E0123"), "ACCC8E0123");
}

TEST(Error, SummaryNamesDeviceAndKeepsProtocolCode) {
    Error e{ErrorCode::AuthFailed, "192.168.1.20", "GetUsers was refused", "HTTP 401"};
    EXPECT_EQ(e.id(), "auth-failed");
    EXPECT_EQ(e.summary(), "192.168.1.20: authentication failed (GetUsers was refused) [HTTP 401]");
    EXPECT_EQ(e.exit_code(), 1);
    EXPECT_FALSE(e.advice().empty());
    EXPECT_EQ((Error{ErrorCode::Usage, "", "", ""}).exit_code(), 2);
    EXPECT_EQ((Error{ErrorCode::NoSuchInterface, "eth9", "", ""}).exit_code(), 4);
}

TEST(OnDeviceHost, KeepsSchemePortAndPathButUsesTheReachedHost) {
    const std::string device = "http://192.168.1.20/onvif/device_service";
    EXPECT_EQ(on_device_host("http://10.0.0.7:8080/onvif/media", device), "http://192.168.1.20:8080/onvif/media");
    EXPECT_EQ(on_device_host("http://192.168.1.20/onvif/media", device), "http://192.168.1.20/onvif/media");
    EXPECT_EQ(on_device_host("not a url", "http:///x"), "not a url");
}

TEST(CredentialBook, ADevicesOwnLoginBeatsTheOneForEveryDevice) {
    using sitelink::onvif_client::CredentialBook;
    using sitelink::onvif_client::Credentials;
    CredentialBook book(Credentials{"admin", "every"});
    book.by_device["urn:uuid:1"] = Credentials{"root", "own"};
    EXPECT_EQ(book.for_device("urn:uuid:1")->password, "own");
    EXPECT_EQ(book.for_device("urn:uuid:2")->password, "every");
    EXPECT_FALSE(CredentialBook().for_device("urn:uuid:1")) << "no login at all: the device is asked without one";
    EXPECT_EQ(sitelink::device_key("", "aa:bb:cc:dd:ee:ff", "10.0.0.5"), "mac:aa:bb:cc:dd:ee:ff");
    EXPECT_EQ(sitelink::device_key("urn:uuid:1", "aa:bb:cc:dd:ee:ff", "10.0.0.5"), "urn:uuid:1");
    EXPECT_EQ(sitelink::device_key("", "", "10.0.0.5"), "address:10.0.0.5");
}
