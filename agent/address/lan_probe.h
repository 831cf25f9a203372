// What the fixed-address planner needs to know about the LAN before it hands out an address: the
// pool the site's DHCP server gives out (so a fixed address stays outside it), and who already
// answers at the addresses it considers. Everything here speaks only DHCP (a DISCOVER, never a
// REQUEST), ARP and ICMP echo, and only on the interface the caller chose.
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/net.h"

namespace sitelink::address {

using MacAddress = std::array<std::uint8_t, 6>;

// "aa:bb:cc:dd:ee:ff", lower case: the spelling normalize_mac() gives too.
std::string mac_text(const MacAddress& mac);

// The chosen interface's hardware address (SIOCGIFHWADDR; needs no privileges). Errors:
// NoSuchInterface if it is gone, Precondition if it is not Ethernet-like (no ARP, no DHCP).
Result<MacAddress> interface_mac(const NetworkInterface& nic);

// ---- DHCP -------------------------------------------------------------------------------------

// What the site's DHCP server answers to a DHCPDISCOVER. Sitelink never sends DHCPREQUEST, so
// nothing is leased. The offer shows one address of the pool (DHCP never tells the pool's bounds)
// and the settings the server hands out.
struct DhcpOffer {
    Ipv4 server;                            // option 54; the packet's source if the option is missing
    Ipv4 offered;                           // yiaddr: an address inside the pool
    std::optional<int> prefix;              // from option 1 (subnet mask)
    std::optional<Ipv4> router;             // the first of option 3
    std::vector<Ipv4> dns;                  // option 6, in the server's order
    std::optional<std::uint32_t> lease_s;   // option 51
};

constexpr std::uint16_t kDhcpServerPort = 67;
constexpr std::uint16_t kDhcpClientPort = 68;

// A DHCPDISCOVER from `mac` with transaction id `xid`: broadcast flag set (the answer must reach
// us although the offered address is not ours), asking for subnet mask, router, DNS servers, lease
// time and server id, padded to the 300 bytes of a BOOTP message that older relays insist on.
std::vector<std::uint8_t> build_dhcp_discover(std::uint32_t xid, const MacAddress& mac);

// Reads a DHCPOFFER answering build_dhcp_discover(xid, mac). Checks op = BOOTREPLY, xid, chaddr,
// the magic cookie and message type (option 53) = OFFER; walks the options with bounds checks
// (pad and end understood, repeated options joined as RFC 3396 says, option overload ignored, so
// options moved into sname/file are not seen). `sender` is the packet's IP source, used as the
// server when option 54 is missing. Errors: MalformedAnswer, the reason in detail. Pure; safe on
// any input.
Result<DhcpOffer> parse_dhcp_offer(std::span<const std::uint8_t> packet, std::uint32_t xid, const MacAddress& mac,
                                   Ipv4 sender = {});

// How long to wait for an offer. dnsmasq, which many routers run, pings an address for 3 s before
// it first offers it (measured in tests/netns/lan_probe_test.cpp), so anything shorter would
// report "no DHCP server" on those sites.
constexpr std::chrono::milliseconds kDhcpOfferWait{4000};

// Asks the site's DHCP server what it would give out: sends a DHCPDISCOVER from port 68 to
// 255.255.255.255:67 on `nic` only (SO_BINDTODEVICE), at 0 and at wait/2, and returns the first
// valid offer, or nullopt when no server answered within `wait`. The IP source is the interface's
// own address (a UDP socket cannot send from 0.0.0.0 while the interface has one); servers ignore
// it because ciaddr is 0 (RFC 2131 4.1). A BOOTREPLY for our xid and MAC that is not a valid
// offer is returned as MalformedAnswer (naming the server) if no valid offer came. Errors name the
// interface in Error::device, with "errno N": Precondition without root (port 68 is privileged),
// SocketFailed otherwise (e.g. port 68 held by a program without SO_REUSEADDR).
Result<std::optional<DhcpOffer>> ask_dhcp_server(const NetworkInterface& nic,
                                                 std::chrono::milliseconds wait = kDhcpOfferWait);

// ---- Who holds an address ---------------------------------------------------------------------

// A host found answering at an address.
struct AddressHolder {
    Ipv4 address;
    std::string mac;      // "aa:bb:cc:dd:ee:ff" from ARP; empty if only ping answered
    std::string seen_by;  // "arp", "ping", or "self" (the chosen interface's own address)
};

// RFC 5227 probes a host claiming an address at boot: 1 s random wait, 3 probes 1-2 s apart, then
// 2 s of listening. That pacing is for many hosts powering up together after an outage; here one
// installer waits at a prompt, hosts on a switched LAN answer ARP within milliseconds, and the
// planner checks the address again just before it applies it. So: the same three probes (for a
// lost frame) at a quarter of a second apart, and half a second of listening for slow embedded
// stacks. A host that is switched off is not found with any timing.
struct ConflictProbeTiming {
    int probes = 3;
    std::chrono::milliseconds interval{250};
    std::chrono::milliseconds listen_after{500};
};

// The ARP probe RFC 5227 describes, without the Ethernet header: a request from `mac` with sender
// protocol address 0.0.0.0 (so no host adds us to its ARP cache), target hardware address zero,
// target protocol address `target`. Sent to the broadcast MAC.
std::array<std::uint8_t, 28> build_arp_probe(const MacAddress& mac, Ipv4 target);

// Which address an ARP packet (without the Ethernet header) shows someone holding, and their MAC:
// the sender protocol address of any request or reply, or the target of a probe (sender address
// 0.0.0.0) from another host that wants the same address. nullopt for our own packets (sender
// hardware address `own_mac`), a probe from no one, and anything that is not Ethernet/IPv4 ARP.
// Pure; safe on any input. seen_by is "arp".
std::optional<AddressHolder> arp_claim(std::span<const std::uint8_t> packet, const MacAddress& own_mac);

// Finds who answers at each candidate on `nic`'s LAN: ARP probes for all candidates at once
// (timing.probes rounds, timing.interval apart, from one AF_PACKET socket bound to `nic`), one ICMP
// echo per candidate (raw socket bound to `nic`, TTL 1 so it never leaves the LAN), then listening
// for timing.listen_after after the last round. An address is in use when an ARP reply or request
// comes from it, another host probes for it, or it answers the echo. Returns one holder per
// address in use (ARP preferred over ping, as it names the MAC), in candidate order; the
// interface's own address is reported as "self" without probing. Returns early once every
// candidate is found by ARP, and never later than (probes-1)*interval + listen_after plus the
// time to send. Errors: Precondition without CAP_NET_RAW ("checking addresses needs root
// (CAP_NET_RAW)"), SocketFailed, both naming the interface.
Result<std::vector<AddressHolder>> find_addresses_in_use(const NetworkInterface& nic, const std::vector<Ipv4>& candidates,
                                                         const ConflictProbeTiming& timing = {});

}  // namespace sitelink::address
