// libFuzzer target: what a DHCP server (or anyone on the LAN) may send to port 68, read with
// parse_dhcp_offer, and ARP packets read with arp_claim, as address/lan_probe does.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "address/lan_probe.h"

namespace {

using sitelink::address::MacAddress;

constexpr MacAddress kMac{0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};  // the seeds' chaddr
constexpr std::uint32_t kXid = 0x1a2b3c4d;                      // the seeds' xid

void check(const sitelink::Result<sitelink::address::DhcpOffer>& offer) {
    if (!offer) {
        if (offer.error().detail.empty()) __builtin_trap();  // every rejection says why
        return;
    }
    if (offer->offered.value == 0) __builtin_trap();
    if (offer->prefix && (*offer->prefix < 0 || *offer->prefix > 32)) __builtin_trap();
    volatile std::size_t sink = offer->dns.size() + (offer->router ? 1 : 0) + offer->lease_s.value_or(0);
    (void)sink;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span<const std::uint8_t> packet(data, size);
    // As an answer to a DISCOVER with the seeds' xid and MAC (the rejections) ...
    check(sitelink::address::parse_dhcp_offer(packet, kXid, kMac, sitelink::Ipv4{0x0a000001}));
    // ... and as an answer to whatever xid and MAC the input carries, so mutated inputs still get
    // past those checks to the option walk.
    if (size >= 34) {
        const std::uint32_t xid = std::uint32_t{data[4]} << 24 | std::uint32_t{data[5]} << 16 |
                                  std::uint32_t{data[6]} << 8 | data[7];
        MacAddress mac{};
        for (std::size_t i = 0; i < mac.size(); ++i) mac[i] = data[28 + i];
        check(sitelink::address::parse_dhcp_offer(packet, xid, mac));
    }

    const auto claim = sitelink::address::arp_claim(packet, kMac);
    if (claim && (claim->mac.size() != 17 || claim->mac == "02:00:5e:10:20:30" || claim->address.value == 0))
        __builtin_trap();
    return 0;
}
