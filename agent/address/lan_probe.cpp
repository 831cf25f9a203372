#include "address/lan_probe.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>  // ETH_P_ARP
#include <net/if.h>
#include <net/if_arp.h>      // ARPHRD_ETHER
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <utility>

#include "core/socket.h"

namespace sitelink::address {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ---- bytes ----

std::uint16_t get16(std::span<const std::uint8_t> p, std::size_t at) {
    return static_cast<std::uint16_t>(p[at] << 8 | p[at + 1]);
}

std::uint32_t get32(std::span<const std::uint8_t> p, std::size_t at) {
    return std::uint32_t{p[at]} << 24 | std::uint32_t{p[at + 1]} << 16 | std::uint32_t{p[at + 2]} << 8 | p[at + 3];
}

void put16(std::uint8_t* out, std::uint16_t v) {
    out[0] = static_cast<std::uint8_t>(v >> 8);
    out[1] = static_cast<std::uint8_t>(v);
}

void put32(std::uint8_t* out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

bool same_mac(std::span<const std::uint8_t> p, std::size_t at, const MacAddress& mac) {
    return std::equal(mac.begin(), mac.end(), p.begin() + static_cast<std::ptrdiff_t>(at));
}

std::string hex32(std::uint32_t v) {
    char buf[11];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

// ---- DHCP wire format (RFC 2131, options RFC 2132) ----

constexpr std::uint8_t kBootRequest = 1;
constexpr std::uint8_t kBootReply = 2;
constexpr std::uint8_t kHardwareEthernet = 1;
constexpr std::uint16_t kFlagBroadcast = 0x8000;
constexpr std::size_t kXidAt = 4;
constexpr std::size_t kFlagsAt = 10;
constexpr std::size_t kYiaddrAt = 16;
constexpr std::size_t kChaddrAt = 28;
constexpr std::size_t kCookieAt = 236;  // after the fixed BOOTP header with sname and file
constexpr std::size_t kOptionsAt = 240;
constexpr std::array<std::uint8_t, 4> kMagicCookie{99, 130, 83, 99};
// RFC 1542: relays and old servers may drop BOOTP messages shorter than this.
constexpr std::size_t kMinBootpSize = 300;

constexpr std::uint8_t kOptPad = 0;
constexpr std::uint8_t kOptSubnetMask = 1;
constexpr std::uint8_t kOptRouter = 3;
constexpr std::uint8_t kOptDns = 6;
constexpr std::uint8_t kOptLeaseTime = 51;
constexpr std::uint8_t kOptMessageType = 53;
constexpr std::uint8_t kOptServerId = 54;
constexpr std::uint8_t kOptParameterList = 55;
constexpr std::uint8_t kOptEnd = 255;
constexpr std::uint8_t kDhcpDiscover = 1;
constexpr std::uint8_t kDhcpOffer = 2;

const char* message_type_name(int type) {
    static constexpr const char* kNames[] = {"?", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE", "INFORM"};
    return type >= 1 && type <= 8 ? kNames[type] : "?";
}

// True for a BOOTREPLY to our DISCOVER: whatever else is wrong with it, it comes from a DHCP
// server that saw us, which is worth telling apart from somebody else's traffic.
bool answers_us(std::span<const std::uint8_t> packet, std::uint32_t xid, const MacAddress& mac) {
    return packet.size() >= kChaddrAt + mac.size() && packet[0] == kBootReply && get32(packet, kXidAt) == xid &&
           same_mac(packet, kChaddrAt, mac);
}

// A list of IPv4 addresses (options 3, 6), or nullopt if the length is not a positive multiple of 4.
std::optional<std::vector<Ipv4>> address_list(const std::vector<std::uint8_t>& value) {
    if (value.empty() || value.size() % 4 != 0) return std::nullopt;
    std::vector<Ipv4> out;
    for (std::size_t i = 0; i < value.size(); i += 4) out.push_back(Ipv4{get32(value, i)});
    return out;
}

// ---- sockets ----

// An OS failure, reading errno. Missing privileges become a Precondition whose detail says what to
// do (`needs_root`), so the CLI can tell "run it as root" from a broken network.
Error os_error(const NetworkInterface& nic, const std::string& what, const std::string& needs_root) {
    const int err = errno;
    const std::string code = "errno " + std::to_string(err);
    if (err == EPERM || err == EACCES) return Error{ErrorCode::Precondition, nic.name, needs_root, code};
    if (err == ENODEV || err == ENXIO) return Error{ErrorCode::NoSuchInterface, nic.name, what + ": " + std::strerror(err), code};
    return Error{ErrorCode::SocketFailed, nic.name, what + ": " + std::strerror(err), code};
}

// Without this the broadcasts below would leave through whichever interface routes
// 255.255.255.255, which may be the installer's uplink rather than the site LAN.
bool bind_to_device(int fd, const NetworkInterface& nic) {
    return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, nic.name.c_str(), static_cast<socklen_t>(nic.name.size())) == 0;
}

int poll_timeout_ms(Clock::time_point now, Clock::time_point wake) {
    const auto ms = std::chrono::ceil<milliseconds>(wake - now).count();
    return static_cast<int>(std::clamp<long long>(ms, 0, 60'000));
}

std::uint32_t random_u32() {
    std::random_device device;
    return device();
}

// ---- ICMP echo ----

constexpr std::uint8_t kIcmpEchoReply = 0;
constexpr std::uint8_t kIcmpEchoRequest = 8;
constexpr char kEchoPayload[] = "sitelink address check";
// ICMP_FILTER and its argument from <linux/icmp.h>, which cannot be included next to <net/if.h>:
// a bit set for each ICMP type the raw socket should not receive.
constexpr int kIcmpFilterOption = 1;
struct IcmpFilter {
    std::uint32_t blocked_types;
};

std::uint16_t internet_checksum(std::span<const std::uint8_t> data) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < data.size(); i += 2) sum += get16(data, i);
    if (data.size() % 2) sum += std::uint32_t{data.back()} << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

std::vector<std::uint8_t> build_echo_request(std::uint16_t id, std::uint16_t sequence) {
    std::vector<std::uint8_t> out(8 + sizeof kEchoPayload - 1, 0);
    out[0] = kIcmpEchoRequest;
    put16(&out[4], id);
    put16(&out[6], sequence);
    std::memcpy(&out[8], kEchoPayload, sizeof kEchoPayload - 1);
    put16(&out[2], internet_checksum(out));
    return out;
}

// The source of an echo reply with our id and the sequence it answers, from a raw ICMP socket's
// datagram (which includes the IP header).
struct EchoReply {
    Ipv4 from;
    std::uint16_t sequence;
};

std::optional<EchoReply> read_echo_reply(std::span<const std::uint8_t> datagram, std::uint16_t id) {
    if (datagram.size() < 20 || (datagram[0] >> 4) != 4) return std::nullopt;
    const std::size_t header = std::size_t{datagram[0] & 0x0fu} * 4;
    if (header < 20 || datagram.size() < header + 8 || datagram[9] != IPPROTO_ICMP) return std::nullopt;
    const auto icmp = datagram.subspan(header);
    if (icmp[0] != kIcmpEchoReply || icmp[1] != 0 || get16(icmp, 4) != id) return std::nullopt;
    return EchoReply{Ipv4{get32(datagram, 12)}, get16(icmp, 6)};
}

// ---- ARP (RFC 826, probes RFC 5227) ----

constexpr std::uint16_t kArpHardwareEthernet = 1;
constexpr std::uint16_t kArpProtocolIpv4 = 0x0800;
constexpr std::uint16_t kArpRequest = 1;
constexpr std::uint16_t kArpReply = 2;
constexpr std::size_t kArpSize = 28;

}  // namespace

std::string mac_text(const MacAddress& mac) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    return buf;
}

Result<MacAddress> interface_mac(const NetworkInterface& nic) {
    if (nic.name.empty() || nic.name.size() >= IFNAMSIZ)
        return Error{ErrorCode::NoSuchInterface, nic.name, "not a valid interface name", ""};
    Socket s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!s.valid()) return os_error(nic, "socket", "reading the interface's MAC address was refused");
    ifreq request{};
    std::memcpy(request.ifr_name, nic.name.c_str(), nic.name.size());
    if (::ioctl(s.fd(), SIOCGIFHWADDR, &request) != 0)
        return os_error(nic, "read MAC address (SIOCGIFHWADDR)", "reading the interface's MAC address was refused");
    if (request.ifr_hwaddr.sa_family != ARPHRD_ETHER)
        return Error{ErrorCode::Precondition, nic.name,
                     "not an Ethernet or Wi-Fi interface (hardware type " + std::to_string(request.ifr_hwaddr.sa_family) +
                         "), so it has no ARP or DHCP; choose the interface on the site's LAN",
                     ""};
    MacAddress mac{};
    std::memcpy(mac.data(), request.ifr_hwaddr.sa_data, mac.size());
    return mac;
}

std::vector<std::uint8_t> build_dhcp_discover(std::uint32_t xid, const MacAddress& mac) {
    std::vector<std::uint8_t> out(kOptionsAt, 0);
    out[0] = kBootRequest;
    out[1] = kHardwareEthernet;
    out[2] = static_cast<std::uint8_t>(mac.size());
    put32(&out[kXidAt], xid);
    // ciaddr stays 0, so by RFC 2131 4.1 the server must broadcast its answer when this flag is
    // set: a unicast to the offered address would be dropped by our kernel, which does not own it.
    put16(&out[kFlagsAt], kFlagBroadcast);
    std::copy(mac.begin(), mac.end(), out.begin() + kChaddrAt);
    std::copy(kMagicCookie.begin(), kMagicCookie.end(), out.begin() + kCookieAt);
    const std::uint8_t options[] = {
        kOptMessageType, 1, kDhcpDiscover,
        kOptParameterList, 5, kOptSubnetMask, kOptRouter, kOptDns, kOptLeaseTime, kOptServerId,
        kOptEnd,
    };
    out.insert(out.end(), std::begin(options), std::end(options));
    if (out.size() < kMinBootpSize) out.resize(kMinBootpSize, kOptPad);
    return out;
}

Result<DhcpOffer> parse_dhcp_offer(std::span<const std::uint8_t> packet, std::uint32_t xid, const MacAddress& mac,
                                   Ipv4 sender) {
    const std::string device = sender.value != 0 ? sender.str() : "";
    auto malformed = [&](const std::string& why) {
        return Error{ErrorCode::MalformedAnswer, device, "DHCP offer: " + why, ""};
    };
    if (packet.size() < kOptionsAt)
        return malformed(std::to_string(packet.size()) + " bytes, shorter than a DHCP message (" +
                         std::to_string(kOptionsAt) + ")");
    if (packet[0] != kBootReply) return malformed("not a BOOTREPLY (op " + std::to_string(packet[0]) + ")");
    if (get32(packet, kXidAt) != xid)
        return malformed("transaction id " + hex32(get32(packet, kXidAt)) + " is not ours (" + hex32(xid) + ")");
    if (!same_mac(packet, kChaddrAt, mac)) return malformed("addressed to another client hardware address");
    if (!std::equal(kMagicCookie.begin(), kMagicCookie.end(), packet.begin() + kCookieAt))
        return malformed("no DHCP magic cookie (a plain BOOTP reply)");

    // RFC 3396: an option may be split into several instances, to be joined in order.
    std::map<std::uint8_t, std::vector<std::uint8_t>> options;
    for (std::size_t at = kOptionsAt; at < packet.size();) {
        const std::uint8_t code = packet[at];
        if (code == kOptPad) {
            ++at;
            continue;
        }
        if (code == kOptEnd) break;
        if (at + 1 >= packet.size()) return malformed("option " + std::to_string(code) + " has no length byte");
        const std::size_t length = packet[at + 1];
        if (at + 2 + length > packet.size())
            return malformed("option " + std::to_string(code) + " (length " + std::to_string(length) +
                             ") runs past the end of the packet");
        auto& value = options[code];
        value.insert(value.end(), packet.begin() + static_cast<std::ptrdiff_t>(at + 2),
                     packet.begin() + static_cast<std::ptrdiff_t>(at + 2 + length));
        at += 2 + length;
    }
    auto option = [&](std::uint8_t code) -> const std::vector<std::uint8_t>* {
        auto it = options.find(code);
        return it == options.end() ? nullptr : &it->second;
    };
    auto bad_length = [&](std::uint8_t code, const char* name, std::size_t length) {
        return malformed("option " + std::to_string(code) + " (" + name + ") has length " + std::to_string(length));
    };

    const auto* type = option(kOptMessageType);
    if (!type) return malformed("no DHCP message type (option 53)");
    if (type->size() != 1) return bad_length(kOptMessageType, "message type", type->size());
    if ((*type)[0] != kDhcpOffer)
        return malformed(std::string("a DHCP") + message_type_name((*type)[0]) + " (type " + std::to_string((*type)[0]) +
                         "), not an OFFER");

    DhcpOffer offer;
    offer.offered = Ipv4{get32(packet, kYiaddrAt)};
    if (offer.offered.value == 0) return malformed("offers no address (yiaddr 0.0.0.0)");
    offer.server = sender;
    if (const auto* id = option(kOptServerId)) {
        if (id->size() != 4) return bad_length(kOptServerId, "server identifier", id->size());
        offer.server = Ipv4{get32(*id, 0)};
    }
    if (const auto* mask = option(kOptSubnetMask)) {
        if (mask->size() != 4) return bad_length(kOptSubnetMask, "subnet mask", mask->size());
        const std::uint32_t bits = get32(*mask, 0);
        if ((~bits & (~bits + 1)) != 0) return malformed("subnet mask " + Ipv4{bits}.str() + " is not contiguous");
        offer.prefix = std::popcount(bits);
    }
    if (const auto* routers = option(kOptRouter)) {
        auto list = address_list(*routers);
        if (!list) return bad_length(kOptRouter, "router", routers->size());
        offer.router = list->front();
    }
    if (const auto* dns = option(kOptDns)) {
        auto list = address_list(*dns);
        if (!list) return bad_length(kOptDns, "DNS servers", dns->size());
        offer.dns = std::move(*list);
    }
    if (const auto* lease = option(kOptLeaseTime)) {
        if (lease->size() != 4) return bad_length(kOptLeaseTime, "lease time", lease->size());
        offer.lease_s = get32(*lease, 0);
    }
    return offer;
}

Result<std::optional<DhcpOffer>> ask_dhcp_server(const NetworkInterface& nic, std::chrono::milliseconds wait) {
    const std::string needs_root = "asking the DHCP server needs root (DHCP clients use the privileged port 68)";
    auto mac = interface_mac(nic);
    if (!mac) return mac.error();
    Socket s(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s.valid()) return os_error(nic, "socket", needs_root);
    const int one = 1;
    // The laptop's own DHCP client may hold port 68 too (dhclient does, with SO_REUSEADDR); both
    // then receive the broadcast answers and each ignores the other's xid.
    setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (setsockopt(s.fd(), SOL_SOCKET, SO_BROADCAST, &one, sizeof one) != 0)
        return os_error(nic, "SO_BROADCAST", needs_root);
    if (!bind_to_device(s.fd(), nic)) return os_error(nic, "stay on the interface (SO_BINDTODEVICE)", needs_root);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_ANY);
    local.sin_port = htons(kDhcpClientPort);
    if (::bind(s.fd(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
        if (errno == EADDRINUSE)
            return os_error(nic, "port 68 is held by another program (a DHCP client without SO_REUSEADDR?)", needs_root);
        return os_error(nic, "bind to port 68", needs_root);
    }
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_addr.s_addr = htonl(INADDR_BROADCAST);
    server.sin_port = htons(kDhcpServerPort);

    // The same xid both times: an answer to either transmission counts (RFC 2131 4.1).
    const std::uint32_t xid = random_u32();
    const auto discover = build_dhcp_discover(xid, mac.value());
    const auto started = Clock::now();
    const auto deadline = started + std::max(wait, milliseconds{0});
    const Clock::time_point send_at[2] = {started, started + std::max(wait, milliseconds{0}) / 2};
    std::size_t sent = 0;
    std::optional<Error> bad_answer;  // a reply to us that is not a valid offer, kept in case no valid one comes
    static thread_local std::array<std::uint8_t, 65536> buffer;

    for (;;) {
        const auto now = Clock::now();
        while (sent < std::size(send_at) && now >= send_at[sent]) {
            if (::sendto(s.fd(), discover.data(), discover.size(), 0, reinterpret_cast<const sockaddr*>(&server),
                         sizeof server) < 0)
                return os_error(nic, "send DHCPDISCOVER", needs_root);
            ++sent;
        }
        for (;;) {
            sockaddr_in from{};
            socklen_t from_len = sizeof from;
            const ssize_t n = ::recvfrom(s.fd(), buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
            if (n < 0) break;  // EAGAIN: drained
            const std::span<const std::uint8_t> packet(buffer.data(), static_cast<std::size_t>(n));
            if (!answers_us(packet, xid, mac.value())) continue;  // another client's conversation
            auto offer = parse_dhcp_offer(packet, xid, mac.value(), Ipv4{ntohl(from.sin_addr.s_addr)});
            if (offer) return std::optional<DhcpOffer>(std::move(offer.value()));
            if (!bad_answer) bad_answer = offer.error();
        }
        if (now >= deadline) break;
        auto wake = deadline;
        if (sent < std::size(send_at)) wake = std::min(wake, send_at[sent]);
        pollfd fd{s.fd(), POLLIN, 0};
        if (::poll(&fd, 1, poll_timeout_ms(now, wake)) < 0 && errno != EINTR) return os_error(nic, "poll", needs_root);
    }
    if (bad_answer) return *bad_answer;
    return std::optional<DhcpOffer>{};
}

std::array<std::uint8_t, 28> build_arp_probe(const MacAddress& mac, Ipv4 target) {
    std::array<std::uint8_t, kArpSize> out{};
    put16(&out[0], kArpHardwareEthernet);
    put16(&out[2], kArpProtocolIpv4);
    out[4] = 6;
    out[5] = 4;
    put16(&out[6], kArpRequest);
    std::copy(mac.begin(), mac.end(), out.begin() + 8);
    // Sender protocol address (14..17) and target hardware address (18..23) stay zero.
    put32(&out[24], target.value);
    return out;
}

std::optional<AddressHolder> arp_claim(std::span<const std::uint8_t> packet, const MacAddress& own_mac) {
    if (packet.size() < kArpSize) return std::nullopt;
    if (get16(packet, 0) != kArpHardwareEthernet || get16(packet, 2) != kArpProtocolIpv4 || packet[4] != 6 ||
        packet[5] != 4)
        return std::nullopt;
    const std::uint16_t operation = get16(packet, 6);
    if (operation != kArpRequest && operation != kArpReply) return std::nullopt;
    MacAddress sender_mac{};
    std::copy_n(packet.begin() + 8, sender_mac.size(), sender_mac.begin());
    if (sender_mac == own_mac || sender_mac == MacAddress{}) return std::nullopt;
    const Ipv4 sender{get32(packet, 14)};
    const Ipv4 target{get32(packet, 24)};
    if (sender.value != 0) return AddressHolder{sender, mac_text(sender_mac), "arp"};
    // RFC 5227 2.1.1: another host probing for the address is a conflict too; it is about to take it.
    if (operation == kArpRequest && target.value != 0) return AddressHolder{target, mac_text(sender_mac), "arp"};
    return std::nullopt;
}

Result<std::vector<AddressHolder>> find_addresses_in_use(const NetworkInterface& nic, const std::vector<Ipv4>& candidates,
                                                         const ConflictProbeTiming& timing) {
    const std::string needs_root = "checking addresses needs root (CAP_NET_RAW)";
    std::vector<Ipv4> unique;
    for (const Ipv4 c : candidates)
        if (std::find(unique.begin(), unique.end(), c) == unique.end()) unique.push_back(c);
    if (unique.empty()) return std::vector<AddressHolder>{};
    auto mac = interface_mac(nic);
    if (!mac) return mac.error();

    std::vector<std::optional<AddressHolder>> holders(unique.size());
    std::map<Ipv4, std::size_t> position;  // candidate -> index in unique and holders
    std::size_t to_find = 0;
    for (std::size_t i = 0; i < unique.size(); ++i) {
        position[unique[i]] = i;
        // Our own address: no host answers our probe for it, yet it is certainly taken.
        if (nic.address && unique[i] == *nic.address) holders[i] = AddressHolder{unique[i], mac_text(mac.value()), "self"};
        else ++to_find;
    }
    auto found_by_arp = [&](std::size_t i) { return holders[i] && holders[i]->seen_by != "ping"; };
    if (to_find == 0) {
        std::vector<AddressHolder> out;
        for (auto& h : holders) out.push_back(std::move(*h));
        return out;
    }

    // Created with protocol 0 and bound with ETH_P_ARP, so no frame from another interface is
    // queued in between.
    Socket arp(::socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!arp.valid()) return os_error(nic, "ARP socket", needs_root);
    sockaddr_ll link{};
    link.sll_family = AF_PACKET;
    link.sll_protocol = htons(ETH_P_ARP);
    link.sll_ifindex = nic.index;
    if (::bind(arp.fd(), reinterpret_cast<const sockaddr*>(&link), sizeof link) != 0)
        return os_error(nic, "bind the ARP socket", needs_root);
    sockaddr_ll broadcast = link;
    broadcast.sll_halen = 6;
    std::fill_n(broadcast.sll_addr, 6, 0xff);

    Socket icmp(::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP));
    if (!icmp.valid()) return os_error(nic, "ICMP socket", needs_root);
    if (!bind_to_device(icmp.fd(), nic)) return os_error(nic, "stay on the interface (SO_BINDTODEVICE)", needs_root);
    // A raw ICMP socket sees all ICMP of the host; let the kernel pass only echo replies.
    const IcmpFilter only_echo_replies{~(1u << kIcmpEchoReply)};
    setsockopt(icmp.fd(), SOL_RAW, kIcmpFilterOption, &only_echo_replies, sizeof only_echo_replies);
    // One hop: the question is who is on this LAN, and the echo must not wander off through a router.
    const int ttl = 1;
    setsockopt(icmp.fd(), IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
    const auto echo_id = static_cast<std::uint16_t>(random_u32());

    const int rounds = std::max(timing.probes, 1);
    const auto interval = std::max(timing.interval, milliseconds{0});
    const auto started = Clock::now();
    const auto deadline = started + interval * (rounds - 1) + std::max(timing.listen_after, milliseconds{0});
    int rounds_sent = 0;
    static thread_local std::array<std::uint8_t, 65536> buffer;

    auto send_round = [&]() -> std::optional<Error> {
        for (std::size_t i = 0; i < unique.size(); ++i) {
            if (found_by_arp(i)) continue;
            const auto probe = build_arp_probe(mac.value(), unique[i]);
            if (::sendto(arp.fd(), probe.data(), probe.size(), 0, reinterpret_cast<const sockaddr*>(&broadcast),
                         sizeof broadcast) < 0)
                return os_error(nic, "send ARP probe", needs_root);
            if (rounds_sent > 0) continue;
            // The sequence number is the candidate's index, so a reply is matched to what we asked.
            const auto echo = build_echo_request(echo_id, static_cast<std::uint16_t>(i));
            sockaddr_in to{};
            to.sin_family = AF_INET;
            to.sin_addr.s_addr = htonl(unique[i].value);
            // Errors (no route, a broadcast address) only mean no echo for this one; ARP still asks.
            ::sendto(icmp.fd(), echo.data(), echo.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
        }
        return std::nullopt;
    };
    auto drain_arp = [&] {
        for (;;) {
            sockaddr_ll from{};
            socklen_t from_len = sizeof from;
            const ssize_t n = ::recvfrom(arp.fd(), buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
            if (n < 0) return;
            if (from.sll_pkttype == PACKET_OUTGOING) continue;  // our own probes, and our kernel's ARP
            auto claim = arp_claim(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(n)), mac.value());
            if (!claim) continue;
            auto it = position.find(claim->address);
            if (it == position.end() || found_by_arp(it->second)) continue;
            holders[it->second] = std::move(*claim);
            --to_find;
        }
    };
    auto drain_icmp = [&] {
        for (;;) {
            const ssize_t n = ::recv(icmp.fd(), buffer.data(), buffer.size(), 0);
            if (n < 0) return;
            auto reply = read_echo_reply(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(n)), echo_id);
            if (!reply || reply->sequence >= unique.size() || unique[reply->sequence] != reply->from) continue;
            if (!holders[reply->sequence]) holders[reply->sequence] = AddressHolder{reply->from, "", "ping"};
        }
    };

    for (;;) {
        const auto now = Clock::now();
        while (rounds_sent < rounds && now >= started + interval * rounds_sent) {
            if (auto failed = send_round()) return *failed;
            ++rounds_sent;
        }
        if (to_find == 0 || now >= deadline) break;
        auto wake = deadline;
        if (rounds_sent < rounds) wake = std::min(wake, started + interval * rounds_sent);
        pollfd fds[2] = {{arp.fd(), POLLIN, 0}, {icmp.fd(), POLLIN, 0}};
        if (::poll(fds, 2, poll_timeout_ms(now, wake)) < 0 && errno != EINTR) return os_error(nic, "poll", needs_root);
        if (fds[0].revents & POLLIN) drain_arp();
        if (fds[1].revents & POLLIN) drain_icmp();
    }

    std::vector<AddressHolder> out;
    for (auto& h : holders)
        if (h) out.push_back(std::move(*h));
    return out;
}

}  // namespace sitelink::address
