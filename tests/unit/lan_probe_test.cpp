// The wire formats of address/lan_probe: DHCPDISCOVER, DHCPOFFER, ARP probes and claims. No network.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "address/lan_probe.h"

using namespace sitelink;
using namespace sitelink::address;

namespace {

const MacAddress kMac{0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};
constexpr std::uint32_t kXid = 0x1a2b3c4d;

Ipv4 ip(const char* text) { return *Ipv4::parse(text); }

std::uint32_t be32(const std::vector<std::uint8_t>& p, std::size_t at) {
    return std::uint32_t{p[at]} << 24 | std::uint32_t{p[at + 1]} << 16 | std::uint32_t{p[at + 2]} << 8 | p[at + 3];
}

void put_ip(std::vector<std::uint8_t>& out, const char* text) {
    const std::uint32_t v = ip(text).value;
    for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// A BOOTREPLY header as a server sends it; the options are appended by the caller.
std::vector<std::uint8_t> reply_header(std::uint32_t xid = kXid, const MacAddress& mac = kMac) {
    std::vector<std::uint8_t> p(240, 0);
    p[0] = 2;  // BOOTREPLY
    p[1] = 1;
    p[2] = 6;
    for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<std::uint8_t>(xid >> (24 - 8 * i));
    p[10] = 0x80;
    const std::uint32_t yiaddr = ip("192.168.1.150").value;
    for (int i = 0; i < 4; ++i) p[16 + i] = static_cast<std::uint8_t>(yiaddr >> (24 - 8 * i));
    std::copy(mac.begin(), mac.end(), p.begin() + 28);
    p[236] = 99, p[237] = 130, p[238] = 83, p[239] = 99;
    return p;
}

// The OFFER a typical home router sends.
std::vector<std::uint8_t> valid_offer(std::uint8_t message_type = 2) {
    auto p = reply_header();
    p.insert(p.end(), {53, 1, message_type});
    p.insert(p.end(), {54, 4});
    put_ip(p, "192.168.1.1");
    p.insert(p.end(), {51, 4, 0x00, 0x01, 0x51, 0x80});  // 86400 s
    p.insert(p.end(), {1, 4, 255, 255, 255, 0});
    p.insert(p.end(), {3, 8});
    put_ip(p, "192.168.1.1");
    put_ip(p, "192.168.1.2");
    p.insert(p.end(), {0, 0});  // pad
    p.insert(p.end(), {6, 8});
    put_ip(p, "192.168.1.1");
    put_ip(p, "9.9.9.9");
    p.push_back(255);
    p.resize(300, 0);
    return p;
}

}  // namespace

TEST(DhcpDiscover, HasTheBootpLayoutAndAsksForTheNetworkSettings) {
    const auto p = build_dhcp_discover(kXid, kMac);
    ASSERT_GE(p.size(), 300u);
    EXPECT_EQ(p[0], 1);  // BOOTREQUEST
    EXPECT_EQ(p[1], 1);  // Ethernet
    EXPECT_EQ(p[2], 6);
    EXPECT_EQ(p[3], 0);
    EXPECT_EQ(be32(p, 4), kXid);
    EXPECT_EQ(p[10], 0x80);  // broadcast flag
    EXPECT_EQ(p[11], 0x00);
    for (std::size_t i = 12; i < 28; ++i) EXPECT_EQ(p[i], 0) << "ciaddr/yiaddr/siaddr/giaddr byte " << i;
    for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(p[28 + i], kMac[i]);
    for (std::size_t i = 34; i < 236; ++i) EXPECT_EQ(p[i], 0) << "chaddr padding/sname/file byte " << i;
    EXPECT_EQ(be32(p, 236), 0x63825363u);  // magic cookie

    // Walk the options: 53 = DISCOVER, 55 asks for mask, router and DNS, then end.
    std::vector<std::uint8_t> requested;
    int message_type = -1;
    bool ended = false;
    for (std::size_t at = 240; at < p.size();) {
        if (p[at] == 0) {
            ++at;
            continue;
        }
        if (p[at] == 255) {
            ended = true;
            break;
        }
        ASSERT_LT(at + 1, p.size());
        const std::size_t length = p[at + 1];
        ASSERT_LE(at + 2 + length, p.size());
        if (p[at] == 53) {
            ASSERT_EQ(length, 1u);
            message_type = p[at + 2];
        }
        if (p[at] == 55) requested.assign(p.begin() + static_cast<long>(at + 2), p.begin() + static_cast<long>(at + 2 + length));
        at += 2 + length;
    }
    EXPECT_TRUE(ended);
    EXPECT_EQ(message_type, 1);
    for (std::uint8_t code : {1, 3, 6, 51, 54})
        EXPECT_NE(std::find(requested.begin(), requested.end(), code), requested.end()) << "option " << int{code};
}

TEST(DhcpOffer, ReadsEveryField) {
    const auto p = valid_offer();
    auto offer = parse_dhcp_offer(p, kXid, kMac, ip("192.168.1.254"));
    ASSERT_TRUE(offer) << offer.error().summary();
    EXPECT_EQ(offer->server, ip("192.168.1.1"));  // option 54 wins over the packet's source
    EXPECT_EQ(offer->offered, ip("192.168.1.150"));
    EXPECT_EQ(offer->prefix, 24);
    EXPECT_EQ(offer->router, ip("192.168.1.1"));  // the first of two
    EXPECT_EQ(offer->dns, (std::vector<Ipv4>{ip("192.168.1.1"), ip("9.9.9.9")}));
    EXPECT_EQ(offer->lease_s, 86400u);
}

TEST(DhcpOffer, MinimalOfferUsesThePacketSourceAsServer) {
    auto p = reply_header();
    p.insert(p.end(), {53, 1, 2, 255});
    auto offer = parse_dhcp_offer(p, kXid, kMac, ip("10.0.0.1"));
    ASSERT_TRUE(offer) << offer.error().summary();
    EXPECT_EQ(offer->server, ip("10.0.0.1"));
    EXPECT_FALSE(offer->prefix);
    EXPECT_FALSE(offer->router);
    EXPECT_TRUE(offer->dns.empty());
    EXPECT_FALSE(offer->lease_s);
}

TEST(DhcpOffer, JoinsSplitOptions) {  // RFC 3396
    auto p = reply_header();
    p.insert(p.end(), {53, 1, 2, 6, 4});
    put_ip(p, "10.0.0.53");
    p.insert(p.end(), {6, 4});
    put_ip(p, "10.0.0.54");
    p.push_back(255);
    auto offer = parse_dhcp_offer(p, kXid, kMac);
    ASSERT_TRUE(offer) << offer.error().summary();
    EXPECT_EQ(offer->dns, (std::vector<Ipv4>{ip("10.0.0.53"), ip("10.0.0.54")}));
}

TEST(DhcpOffer, RejectsAnotherTransaction) {
    auto p = valid_offer();
    p[7] ^= 1;
    auto offer = parse_dhcp_offer(p, kXid, kMac);
    ASSERT_FALSE(offer);
    EXPECT_EQ(offer.error().code, ErrorCode::MalformedAnswer);
    EXPECT_NE(offer.error().detail.find("transaction id"), std::string::npos) << offer.error().detail;
}

TEST(DhcpOffer, RejectsAnotherClient) {
    auto p = valid_offer();
    p[33] ^= 1;
    auto offer = parse_dhcp_offer(p, kXid, kMac);
    ASSERT_FALSE(offer);
    EXPECT_NE(offer.error().detail.find("another client"), std::string::npos) << offer.error().detail;
}

TEST(DhcpOffer, RejectsAnAck) {
    auto offer = parse_dhcp_offer(valid_offer(5), kXid, kMac);
    ASSERT_FALSE(offer);
    EXPECT_NE(offer.error().detail.find("DHCPACK"), std::string::npos) << offer.error().detail;
}

TEST(DhcpOffer, RejectsARequestSentToUs) {  // op 1: another client's DISCOVER, or our own looped back
    auto offer = parse_dhcp_offer(build_dhcp_discover(kXid, kMac), kXid, kMac);
    ASSERT_FALSE(offer);
    EXPECT_NE(offer.error().detail.find("BOOTREPLY"), std::string::npos) << offer.error().detail;
}

TEST(DhcpOffer, RejectsTruncationBeforeTheCookie) {
    auto p = valid_offer();
    p.resize(238);
    auto offer = parse_dhcp_offer(p, kXid, kMac);
    ASSERT_FALSE(offer);
    EXPECT_NE(offer.error().detail.find("shorter"), std::string::npos) << offer.error().detail;
    EXPECT_FALSE(parse_dhcp_offer({}, kXid, kMac));
}

TEST(DhcpOffer, RejectsAWrongCookie) {
    auto p = valid_offer();
    p[239] = 0;
    auto offer = parse_dhcp_offer(p, kXid, kMac);
    ASSERT_FALSE(offer);
    EXPECT_NE(offer.error().detail.find("cookie"), std::string::npos) << offer.error().detail;
}

TEST(DhcpOffer, RejectsAnOptionRunningPastTheEnd) {
    auto p = reply_header();
    p.insert(p.end(), {53, 1, 2, 6, 8, 10, 0, 0, 1});  // DNS claims 8 bytes, 4 follow
    auto offer = parse_dhcp_offer(p, kXid, kMac, ip("10.0.0.1"));
    ASSERT_FALSE(offer);
    EXPECT_EQ(offer.error().code, ErrorCode::MalformedAnswer);
    EXPECT_EQ(offer.error().device, "10.0.0.1");
    EXPECT_NE(offer.error().detail.find("option 6 (length 8) runs past the end"), std::string::npos) << offer.error().detail;

    auto no_length = reply_header();
    no_length.insert(no_length.end(), {53, 1, 2, 3});
    EXPECT_FALSE(parse_dhcp_offer(no_length, kXid, kMac));
}

TEST(DhcpOffer, RejectsAMissingMessageType) {
    auto p = reply_header();
    p.insert(p.end(), {1, 4, 255, 255, 255, 0, 255});
    auto offer = parse_dhcp_offer(p, kXid, kMac);
    ASSERT_FALSE(offer);
    EXPECT_NE(offer.error().detail.find("option 53"), std::string::npos) << offer.error().detail;
}

TEST(DhcpOffer, RejectsBadFieldValues) {
    auto with = [](std::initializer_list<std::uint8_t> options) {
        auto p = reply_header();
        p.insert(p.end(), {53, 1, 2});
        p.insert(p.end(), options);
        p.push_back(255);
        return p;
    };
    EXPECT_FALSE(parse_dhcp_offer(with({1, 4, 255, 0, 255, 0}), kXid, kMac));  // mask with holes
    EXPECT_FALSE(parse_dhcp_offer(with({1, 3, 255, 255, 255}), kXid, kMac));
    EXPECT_FALSE(parse_dhcp_offer(with({3, 0}), kXid, kMac));
    EXPECT_FALSE(parse_dhcp_offer(with({6, 5, 1, 1, 1, 1, 1}), kXid, kMac));
    EXPECT_FALSE(parse_dhcp_offer(with({51, 2, 0, 1}), kXid, kMac));
    EXPECT_FALSE(parse_dhcp_offer(with({54, 0}), kXid, kMac));
    auto no_address = with({});
    std::fill_n(no_address.begin() + 16, 4, 0);
    EXPECT_FALSE(parse_dhcp_offer(no_address, kXid, kMac));
    // Masks /0 and /32 are contiguous.
    auto all = parse_dhcp_offer(with({1, 4, 255, 255, 255, 255}), kXid, kMac);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->prefix, 32);
}

TEST(LanProbeArp, ProbeIsARequestFromNoAddress) {
    const auto p = build_arp_probe(kMac, ip("192.168.1.30"));
    const std::vector<std::uint8_t> expected = {
        0, 1, 8, 0, 6, 4, 0, 1,                   // Ethernet, IPv4, request
        0x02, 0x00, 0x5e, 0x10, 0x20, 0x30,       // sender MAC: ours
        0, 0, 0, 0,                               // sender IP 0.0.0.0: no one caches us
        0, 0, 0, 0, 0, 0,                         // target MAC unknown
        192, 168, 1, 30};
    EXPECT_EQ(std::vector<std::uint8_t>(p.begin(), p.end()), expected);
}

TEST(LanProbeArp, ClaimNamesTheHolderOfAReplyOrRequest) {
    const MacAddress other{0xac, 0xcc, 0x8e, 0x00, 0x00, 0x01};
    std::vector<std::uint8_t> reply = {0, 1, 8, 0, 6, 4, 0, 2, 0xac, 0xcc, 0x8e, 0, 0, 1, 192, 168, 1, 30,
                                       0x02, 0x00, 0x5e, 0x10, 0x20, 0x30, 0, 0, 0, 0};
    auto claim = arp_claim(reply, kMac);
    ASSERT_TRUE(claim);
    EXPECT_EQ(claim->address, ip("192.168.1.30"));
    EXPECT_EQ(claim->mac, "ac:cc:8e:00:00:01");
    EXPECT_EQ(claim->seen_by, "arp");

    reply[7] = 1;  // a request "who has X? tell 192.168.1.30" also shows who holds .30
    ASSERT_TRUE(arp_claim(reply, kMac));
    EXPECT_EQ(arp_claim(reply, kMac)->address, ip("192.168.1.30"));

    // Another host probing for .31 is about to take it.
    auto probe = build_arp_probe(other, ip("192.168.1.31"));
    claim = arp_claim(probe, kMac);
    ASSERT_TRUE(claim);
    EXPECT_EQ(claim->address, ip("192.168.1.31"));
    EXPECT_EQ(claim->mac, "ac:cc:8e:00:00:01");
}

TEST(LanProbeArp, ClaimIgnoresOurOwnAndJunk) {
    EXPECT_FALSE(arp_claim(build_arp_probe(kMac, ip("192.168.1.31")), kMac));
    auto probe = build_arp_probe(MacAddress{1, 2, 3, 4, 5, 6}, ip("192.168.1.31"));
    EXPECT_FALSE(arp_claim(std::span<const std::uint8_t>(probe.data(), 27), kMac));
    auto ipv6 = probe;
    ipv6[2] = 0x86, ipv6[3] = 0xdd;
    EXPECT_FALSE(arp_claim(ipv6, kMac));
    auto reply_from_nothing = probe;
    reply_from_nothing[7] = 2;  // a reply with sender 0.0.0.0 claims nothing
    EXPECT_FALSE(arp_claim(reply_from_nothing, kMac));
    EXPECT_FALSE(arp_claim({}, kMac));
}

TEST(LanProbeMac, TextIsLowerCaseWithColons) { EXPECT_EQ(mac_text({0xAC, 0xCC, 0x8E, 0x01, 0x23, 0x45}), "ac:cc:8e:01:23:45"); }
