// Router status and the NAT verdict: what the router says, what NAT-PMP says, what the internet sees.
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <natpmp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/socket.h>

#include <httplib.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/socket.h"
#include "router/router.h"

namespace sitelink::router {

namespace {

// NAT-PMP retries for a minute by itself (RFC 6886); an answer from a router on the LAN takes
// milliseconds, so this is plenty.
constexpr auto kNatPmpWait = std::chrono::milliseconds(1500);
constexpr auto kIpEchoTimeout = std::chrono::seconds(5);
// The traceroute port range: nothing listens there, and the datagram expires before it arrives.
constexpr int kHopProbePort = 33434;
constexpr int kHopProbeTries = 3;
constexpr int kHopProbeWaitMs = 500;

bool in(Ipv4 address, const char* subnet) { return Ipv4Subnet::parse(subnet)->contains(address); }

bool is_cgnat(Ipv4 a) { return in(a, "100.64.0.0/10"); }
bool is_private(Ipv4 a) { return in(a, "10.0.0.0/8") || in(a, "172.16.0.0/12") || in(a, "192.168.0.0/16"); }
// Addresses that can never be a site's address on the internet (RFC 6890).
bool is_reserved(Ipv4 a) {
    for (const char* s : {"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
                          "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3"})
        if (in(a, s)) return true;
    return false;
}

// The router's external address over NAT-PMP, asked of the interface's gateway only.
Result<Ipv4> natpmp_external(Ipv4 gateway) {
    natpmp_t natpmp;
    if (initnatpmp(&natpmp, 1, htonl(gateway.value)) < 0)
        return Error{ErrorCode::SocketFailed, gateway.str(), "cannot open a NAT-PMP socket", ""};
    struct Closer {
        natpmp_t* n;
        ~Closer() { closenatpmp(n); }
    } closer{&natpmp};
    if (sendpublicaddressrequest(&natpmp) < 0) return Error{ErrorCode::SocketFailed, gateway.str(), "cannot send the NAT-PMP request", ""};
    const auto deadline = std::chrono::steady_clock::now() + kNatPmpWait;
    natpmpresp_t response;
    int rc;
    do {
        const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return Error{ErrorCode::TimedOut, gateway.str(), "no NAT-PMP answer", ""};
        timeval retry{};
        getnatpmprequesttimeout(&natpmp, &retry);
        const long long retry_us = retry.tv_sec * 1000000LL + retry.tv_usec;
        const long long wait_us = std::min<long long>(std::max<long long>(retry_us, 0), left.count());
        timeval wait{static_cast<time_t>(wait_us / 1000000), static_cast<suseconds_t>(wait_us % 1000000)};
        fd_set readable;
        FD_ZERO(&readable);
        FD_SET(natpmp.s, &readable);
        select(natpmp.s + 1, &readable, nullptr, nullptr, &wait);
        rc = readnatpmpresponseorretry(&natpmp, &response);
    } while (rc == NATPMP_TRYAGAIN);
    if (rc < 0) return Error{ErrorCode::RouterRefused, gateway.str(), "NAT-PMP public address request failed", "NAT-PMP " + std::to_string(rc)};
    return Ipv4{ntohl(response.pnu.publicaddress.addr.s_addr)};
}

// The second hop toward the internet: whoever sends ICMP Time Exceeded for a datagram sent with
// TTL 2 through the interface (traceroute's trick, on a plain UDP socket: no raw socket needed).
// Behind a router that will not tell its own internet address, this is the box in front of it.
Result<Ipv4> second_hop(const NetworkInterface& nic, Ipv4 toward) {
    Socket s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!s.valid()) return Error{ErrorCode::SocketFailed, nic.name, std::string("socket: ") + std::strerror(errno), ""};
    const int ttl = 2, on = 1;
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_port = htons(kHopProbePort);
    target.sin_addr.s_addr = htonl(toward.value);
    if (setsockopt(s.fd(), SOL_SOCKET, SO_BINDTODEVICE, nic.name.c_str(), static_cast<socklen_t>(nic.name.size())) != 0 ||
        setsockopt(s.fd(), IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) != 0 || setsockopt(s.fd(), IPPROTO_IP, IP_RECVERR, &on, sizeof on) != 0 ||
        connect(s.fd(), reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0)
        return Error{ErrorCode::SocketFailed, nic.name, std::string("hop probe: ") + std::strerror(errno), ""};
    for (int attempt = 0; attempt < kHopProbeTries; ++attempt) {
        const char probe = 0;
        if (send(s.fd(), &probe, 1, 0) < 0 && errno != EHOSTUNREACH && errno != ENETUNREACH)
            return Error{ErrorCode::SocketFailed, nic.name, std::string("hop probe: ") + std::strerror(errno), ""};
        pollfd p{s.fd(), POLLERR, 0};
        if (poll(&p, 1, kHopProbeWaitMs) <= 0) continue;
        char data[64], control[512];
        sockaddr_in from{};
        iovec io{data, sizeof data};
        msghdr message{};
        message.msg_name = &from;
        message.msg_namelen = sizeof from;
        message.msg_iov = &io;
        message.msg_iovlen = 1;
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        if (recvmsg(s.fd(), &message, MSG_ERRQUEUE) < 0) continue;
        for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
            if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_RECVERR) continue;
            const auto* error = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(c));
            // Time Exceeded from the hop; Destination Unreachable when the target itself is the second hop.
            constexpr int kTimeExceeded = 11, kUnreachable = 3;
            if (error->ee_origin != SO_EE_ORIGIN_ICMP || (error->ee_type != kTimeExceeded && error->ee_type != kUnreachable)) continue;
            const auto* offender = reinterpret_cast<const sockaddr_in*>(SO_EE_OFFENDER(error));
            return Ipv4{ntohl(offender->sin_addr.s_addr)};
        }
    }
    return Error{ErrorCode::TimedOut, nic.name, "no hop answered a probe toward " + toward.str(), ""};
}

// The IPv4 address of a host name (or the address itself), through the system's resolver.
std::optional<Ipv4> resolve(const std::string& host) {
    const auto addresses = resolve_ipv4(host);
    return addresses.empty() ? std::nullopt : Ipv4::parse(addresses.front());
}

// The site's address as a what-is-my-IP service on the internet sees it, asked through the interface.
Result<Ipv4> seen_from_outside(const std::string& url, const std::string& interface) {
    const auto [origin, path] = split_url(url);
    httplib::Client client(origin);
    if (!client.is_valid()) return Error{ErrorCode::Usage, url, "not an http:// or https:// URL", ""};
    client.set_interface(interface);
    client.set_connection_timeout(kIpEchoTimeout);
    client.set_read_timeout(kIpEchoTimeout);
    auto answer = client.Get(path.empty() ? "/" : path);
    if (!answer) return Error{ErrorCode::Unreachable, url, "no answer (" + httplib::to_string(answer.error()) + ")", ""};
    if (answer->status != 200) return Error{ErrorCode::MalformedAnswer, url, "answered HTTP " + std::to_string(answer->status), ""};
    std::string body = answer->body.substr(0, 64);
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) body.pop_back();
    auto address = Ipv4::parse(body);
    if (!address) return Error{ErrorCode::MalformedAnswer, url, "answered '" + body.substr(0, 40) + "', not an IPv4 address", ""};
    return *address;
}

}  // namespace

std::string to_string(NatVerdict verdict) {
    switch (verdict) {
        case NatVerdict::Public: return "public";
        case NatVerdict::CarrierGradeNat: return "cgnat";
        case NatVerdict::DoubleNat: return "double-nat";
        case NatVerdict::UpnpOff: return "upnp-off";
        case NatVerdict::Unknown: break;
    }
    return "unknown";
}

NatDiagnosis diagnose_nat(bool router_found, const std::optional<Ipv4>& router_external,
                          const std::optional<Ipv4>& seen_from_outside, const std::optional<Ipv4>& upstream_hop) {
    const std::string outside = seen_from_outside ? seen_from_outside->str() : "";
    if (router_external) {
        const std::string ext = router_external->str();
        if (is_cgnat(*router_external))
            return {NatVerdict::CarrierGradeNat, false,
                    "The router's internet address " + ext + " is carrier-grade NAT (100.64.0.0/10): the ISP shares one public "
                    "address between many customers, so nothing on the internet can reach this router.",
                    "Ask the ISP for a public IPv4 address (often an option on the contract), or use a VPN or relay service "
                    "that connects out from the site."};
        if (is_private(*router_external))
            return {NatVerdict::DoubleNat, false,
                    "The router's internet address " + ext + " is private: a modem or another router in front of it does NAT "
                    "too (double NAT), so forwarding on this router alone cannot work.",
                    "Put the upstream modem in bridge mode (or give this router its exposed host / DMZ), then run "
                    "`sitelink router status` again."};
        if (is_reserved(*router_external))
            return {NatVerdict::Unknown, false, "The router reports " + ext + " as its internet address, which is reserved and never public.",
                    "Check the router's internet (WAN) status page and the ISP connection."};
        if (seen_from_outside && *seen_from_outside != *router_external)
            return {NatVerdict::DoubleNat, false,
                    "The router says its internet address is " + ext + " but the internet sees the site as " + outside +
                        ": another NAT (the ISP's, or a VPN) sits in between.",
                    "Turn off any VPN on the laptop and check again; otherwise ask the ISP whether the line is behind their NAT."};
        return {NatVerdict::Public, true,
                "The router holds the public address " + ext +
                    (seen_from_outside ? ", and the internet sees the site at that address" : " (not confirmed from outside)") +
                    ": port forwarding can make the site reachable.",
                "Plan the forwarding rules: `sitelink forward plan`."};
    }
    if (!router_found)
        return {NatVerdict::UpnpOff, false,
                "No UPnP router answered, so Sitelink can neither read the router's internet address nor open ports itself" +
                    (seen_from_outside ? "; the internet sees the site as " + outside : std::string()) + ".",
                "Switch UPnP on in the router and run this again, or set the rules by hand: `sitelink forward guide`."};
    const std::string silent = "The router does not report its internet address (routers stay silent when their own address is "
                               "private or shared)";
    if (upstream_hop && is_cgnat(*upstream_hop))
        return {NatVerdict::CarrierGradeNat, false,
                silent + ", and the next hop beyond it, " + upstream_hop->str() + ", is in the carrier-grade NAT range (100.64.0.0/10): "
                "the ISP shares one public address between customers, so nothing on the internet can reach this router.",
                "Ask the ISP for a public IPv4 address (often an option on the contract), or use a VPN or relay service "
                "that connects out from the site."};
    if (upstream_hop && is_private(*upstream_hop))
        return {NatVerdict::DoubleNat, false,
                silent + ", and the next hop beyond it, " + upstream_hop->str() + ", is a private address: a modem or another router "
                "in front of it does NAT too (double NAT), so forwarding on this router alone cannot work.",
                "Put the upstream modem in bridge mode (or give this router its exposed host / DMZ), then run "
                "`sitelink router status` again."};
    return {NatVerdict::Unknown, false,
            silent + (seen_from_outside ? "; the internet sees the site as " + outside : std::string()) + ".",
            "Open the router's internet (WAN) status page: 100.64.x.x is carrier-grade NAT, 10.x, 172.16-31.x or 192.168.x "
            "means a modem in front (double NAT)."};
}

bool is_public(Ipv4 address) { return !is_cgnat(address) && !is_private(address) && !is_reserved(address); }

std::string site_external_address(const RouterStatus& status) {
    for (const std::string* candidate : {&status.external_address, &status.natpmp_external_address})
        if (auto a = Ipv4::parse(*candidate); a && is_public(*a)) return *candidate;
    return status.public_address;
}

Result<RouterStatus> router_status(const StatusRequest& request, site::SiteDb* site) {
    auto nic = find_interface(request.interface);
    if (!nic) return nic.error();
    RouterStatus status;
    status.interface = nic->name;
    std::optional<Ipv4> router_external, outside;

    auto igd = Igd::find(*nic, request.description_url, request.discovery_wait);
    if (!igd) {
        status.router_error = igd.error();
        status.notes.push_back(igd.error().summary());
    } else {
        status.router = igd->identity();
        if (auto s = igd->connection_status()) status.connection_status = *s;
        else status.notes.push_back(s.error().summary());
        if (auto a = igd->external_address()) {
            status.external_address = *a;
            if (a->empty()) status.notes.push_back("the router's UPnP service does not report an external address");
            else if (!(router_external = Ipv4::parse(*a))) status.notes.push_back("the router reports '" + *a + "' as its external address");
        } else {
            status.notes.push_back(a.error().summary());
        }
        if (auto m = igd->mappings()) status.mappings = *m;
        else status.notes.push_back("cannot list the router's port mappings: " + m.error().summary());
    }
    if (const auto gateway = default_gateway(nic->name)) {
        if (auto a = natpmp_external(*gateway)) {
            status.natpmp_external_address = a->str();
            if (!router_external) router_external = *a;
        } else {
            status.notes.push_back("NAT-PMP: " + a.error().summary());
        }
    } else {
        status.notes.push_back(nic->name + " has no default gateway: NAT-PMP not asked");
    }
    std::optional<Ipv4> upstream;
    if (request.ip_echo_url) {
        if (auto a = seen_from_outside(*request.ip_echo_url, nic->name)) {
            outside = *a;
            status.public_address = a->str();
        } else {
            status.notes.push_back("what-is-my-IP: " + a.error().summary());
        }
        if (auto toward = resolve(url_host(*request.ip_echo_url))) {
            if (auto hop = second_hop(*nic, *toward)) {
                upstream = *hop;
                status.upstream_hop = hop->str();
            } else {
                status.notes.push_back("hop probe: " + hop.error().summary());
            }
        }
    }
    status.nat = diagnose_nat(status.router.has_value(), router_external, outside, upstream);

    if (site != nullptr && status.router) {
        auto records = site->forwards();
        if (!records) return records.error();
        for (const auto& r : *records) {
            if (r.state != "added") continue;
            const bool present = std::any_of(status.mappings.begin(), status.mappings.end(), [&](const PortMapping& m) {
                return m.external_port == r.external_port && m.protocol == r.protocol && m.internal_client == r.internal_client &&
                       m.internal_port == r.internal_port;
            });
            if (!present)
                status.lost.push_back(std::to_string(r.external_port) + "/" + r.protocol + " -> " + r.internal_client + ":" +
                                      std::to_string(r.internal_port) + " (" + r.description + ")");
        }
    }
    return status;
}

void to_json(nlohmann::json& j, const PortMapping& v) {
    j = {{"protocol", v.protocol},       {"external_port", v.external_port}, {"internal_client", v.internal_client},
         {"internal_port", v.internal_port}, {"description", v.description},   {"enabled", v.enabled},
         {"lease_s", v.lease_s}};
}

void to_json(nlohmann::json& j, const RouterIdentity& v) {
    j = {{"friendly_name", v.friendly_name}, {"manufacturer", v.manufacturer}, {"model", v.model},
         {"description_url", v.description_url}, {"control_url", v.control_url}, {"service_type", v.service_type},
         {"igd_version", v.igd_version}, {"our_address", v.our_address}};
}

void from_json(const nlohmann::json& j, RouterIdentity& v) {
    v.friendly_name = j.value("friendly_name", "");
    v.manufacturer = j.value("manufacturer", "");
    v.model = j.value("model", "");
    v.description_url = j.value("description_url", "");
    v.control_url = j.value("control_url", "");
    v.service_type = j.value("service_type", "");
    v.igd_version = j.value("igd_version", 1);
    v.our_address = j.value("our_address", "");
}

void to_json(nlohmann::json& j, const RouterStatus& v) {
    j = {{"interface", v.interface},
         {"router", v.router ? nlohmann::json(*v.router) : nlohmann::json(nullptr)},
         {"router_error", v.router_error ? nlohmann::json{{"error", v.router_error->id()}, {"message", v.router_error->summary()}}
                                         : nlohmann::json(nullptr)},
         {"connection_status", v.connection_status},
         {"external_address", v.external_address},
         {"natpmp_external_address", v.natpmp_external_address},
         {"public_address", v.public_address},
         {"upstream_hop", v.upstream_hop},
         {"mappings", v.mappings},
         {"lost", v.lost},
         {"nat", {{"verdict", to_string(v.nat.verdict)}, {"forwarding_can_work", v.nat.forwarding_can_work},
                  {"explanation", v.nat.explanation}, {"next_step", v.nat.next_step}}},
         {"notes", v.notes}};
}

}  // namespace sitelink::router
