#include "discover/discover.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <future>
#include <map>

#include "core/net.h"
#include "core/socket.h"
#include "discover/mdns.h"
#include "discover/ws_discovery.h"

namespace sitelink::discover {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Responders wait a random 0..500 ms (APP_MAX_DELAY) before answering a probe.
constexpr milliseconds kResponderJitter{500};
// Margin for the network and for busy responders after the jitter window closes.
constexpr milliseconds kJitterMargin{100};
// After the window, stop once no answer has come for this long.
constexpr milliseconds kQuietAfterLastAnswer{200};
// SOAP-over-UDP repeats a multicast message; the repeats share the MessageID, so responders answer once.
constexpr std::array<milliseconds, 3> kMulticastRepeats{milliseconds{0}, milliseconds{100}, milliseconds{250}};
// Unicast sweep pacing: this many targets per tick.
constexpr std::size_t kSweepBatch = 64;
constexpr milliseconds kSweepTick{5};
constexpr int kReceiveBuffer = 8 * 1024 * 1024;

Error socket_error(const NetworkInterface& nic, const std::string& what) {
    const int err = errno;
    return Error{ErrorCode::SocketFailed, nic.name, what + ": " + std::strerror(err), "errno " + std::to_string(err)};
}

sockaddr_in socket_address(Ipv4 ip, int port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(ip.value);
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    return sa;
}

void enlarge_receive_buffer(int fd) {
    // As root the kernel's rmem_max need not apply; a thousand answers arrive within half a second.
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kReceiveBuffer, sizeof kReceiveBuffer) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBuffer, sizeof kReceiveBuffer);
}

// Pins a socket to the chosen interface (needs CAP_NET_RAW; without it the bound source address
// and IP_MULTICAST_IF still keep multicast on that interface).
void bind_to_device(int fd, const NetworkInterface& nic) {
    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, nic.name.c_str(), static_cast<socklen_t>(nic.name.size()));
}

Result<Socket> open_probe_socket(const NetworkInterface& nic, int ttl) {
    Socket s(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s.valid()) return socket_error(nic, "socket");
    bind_to_device(s.fd(), nic);
    const sockaddr_in local = socket_address(*nic.address, 0);
    if (::bind(s.fd(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0)
        return socket_error(nic, "bind to " + nic.address->str());
    ip_mreqn mreq{};
    mreq.imr_address.s_addr = htonl(nic.address->value);
    mreq.imr_ifindex = nic.index;
    if (setsockopt(s.fd(), IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) != 0)
        return socket_error(nic, "IP_MULTICAST_IF");
    const unsigned char hops = static_cast<unsigned char>(std::clamp(ttl, 1, 255));
    setsockopt(s.fd(), IPPROTO_IP, IP_MULTICAST_TTL, &hops, sizeof hops);
    enlarge_receive_buffer(s.fd());
    return s;
}

// Hears Hello and Bye: devices announce themselves when they boot or change address.
Result<Socket> open_announcement_socket(const NetworkInterface& nic) {
    Socket s(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s.valid()) return socket_error(nic, "socket");
    const int one = 1;
    setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bind_to_device(s.fd(), nic);
    const sockaddr_in any = socket_address(Ipv4{INADDR_ANY}, kWsDiscoveryPort);
    if (::bind(s.fd(), reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0)
        return socket_error(nic, "bind to port 3702");
    ip_mreqn join{};
    inet_pton(AF_INET, kWsDiscoveryGroup, &join.imr_multiaddr);
    join.imr_address.s_addr = htonl(nic.address->value);
    join.imr_ifindex = nic.index;
    if (setsockopt(s.fd(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &join, sizeof join) != 0)
        return socket_error(nic, "join 239.255.255.250");
    enlarge_receive_buffer(s.fd());
    return s;
}

void add_unique(std::vector<std::string>& list, const std::string& value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

class DiscoveryRun {
public:
    DiscoveryRun(const DiscoverRequest& request, const DiscoverProgress& progress, NetworkInterface nic)
        : request_(request), progress_(progress), nic_(std::move(nic)) {}

    Result<DiscoverOutcome> run(std::vector<Ipv4> sweep_targets);

private:
    void send_to(int fd, const std::string& message, Ipv4 target);
    void drain(int fd);
    void handle(std::string_view datagram, Ipv4 source);
    void upsert(const Announcement& a, Ipv4 source, const std::string& method);
    std::string reachable_address(const std::vector<std::string>& xaddrs, Ipv4 source, bool swept) const;
    void note(const std::string& text) {
        outcome_.notes.push_back(text);
        if (progress_.on_note) progress_.on_note(text);
    }

    const DiscoverRequest& request_;
    const DiscoverProgress& progress_;
    NetworkInterface nic_;
    MessageParser parser_;
    std::string multicast_ids_[2];
    std::string sweep_ids_[2];
    std::map<std::string, DiscoveredDevice> devices_;  // by EndpointReference
    Clock::time_point started_ = Clock::now();
    Clock::time_point last_answer_{};
    DiscoverOutcome outcome_;
};

void DiscoveryRun::send_to(int fd, const std::string& message, Ipv4 target) {
    const sockaddr_in to = socket_address(target, kWsDiscoveryPort);
    if (::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) >= 0)
        ++outcome_.probes_sent;
}

void DiscoveryRun::drain(int fd) {
    static thread_local std::array<char, 65536> buffer;
    for (;;) {
        sockaddr_in from{};
        socklen_t from_len = sizeof from;
        const ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
        if (n < 0) return;  // EAGAIN: drained
        handle(std::string_view(buffer.data(), static_cast<std::size_t>(n)), Ipv4{ntohl(from.sin_addr.s_addr)});
    }
}

void DiscoveryRun::handle(std::string_view datagram, Ipv4 source) {
    auto msg = parser_.parse(datagram);
    if (!msg) {
        ++outcome_.answers_ignored;
        return;
    }
    switch (msg->kind) {
        case WsdMessage::Kind::ProbeMatches: {
            std::string method;
            if (msg->relates_to == multicast_ids_[0] || msg->relates_to == multicast_ids_[1]) method = "ws-discovery";
            else if (msg->relates_to == sweep_ids_[0] || msg->relates_to == sweep_ids_[1]) method = "sweep";
            else {
                ++outcome_.answers_ignored;  // an answer to somebody else's probe
                return;
            }
            last_answer_ = Clock::now();
            for (const auto& a : msg->announcements) upsert(a, source, method);
            break;
        }
        case WsdMessage::Kind::Hello:
            for (const auto& a : msg->announcements) upsert(a, source, "ws-discovery");
            break;
        case WsdMessage::Kind::Bye:
            for (const auto& a : msg->announcements) {
                auto it = devices_.find(a.endpoint);
                if (it == devices_.end()) continue;
                note(it->second.address + " (" + a.endpoint + ") left the network (WS-Discovery Bye)");
                devices_.erase(it);
            }
            break;
    }
}

std::string DiscoveryRun::reachable_address(const std::vector<std::string>& xaddrs, Ipv4 source, bool swept) const {
    // XAddrs may be stale or name another subnet: prefer one on the chosen interface's subnet,
    // then the address the answer came from, which is known to be reachable.
    const auto subnet = nic_.subnet();
    for (const auto& x : xaddrs) {
        auto host = Ipv4::parse(url_host(x));
        if (host && subnet && subnet->contains(*host)) return host->str();
    }
    if (swept || (subnet && subnet->contains(source))) return source.str();
    for (const auto& x : xaddrs)
        if (auto host = Ipv4::parse(url_host(x))) return host->str();
    return source.str();
}

void DiscoveryRun::upsert(const Announcement& a, Ipv4 source, const std::string& method) {
    const std::string key = a.endpoint.empty() ? "address:" + source.str() : a.endpoint;
    auto [it, is_new] = devices_.try_emplace(key);
    DiscoveredDevice& d = it->second;
    if (is_new) d.endpoint = a.endpoint;
    for (const auto& x : a.xaddrs) add_unique(d.xaddrs, x);
    for (const auto& t : a.types) add_unique(d.types, t);
    if (!a.scopes.all.empty()) d.scopes = a.scopes;
    d.metadata_version = std::max(d.metadata_version, a.metadata_version);
    add_unique(d.found_by, method);
    d.address = reachable_address(a.xaddrs.empty() ? d.xaddrs : a.xaddrs, source, method == "sweep");
    if (!is_new) return;
    outcome_.last_new_device = std::chrono::duration_cast<milliseconds>(Clock::now() - started_);
    if (progress_.on_new_device) progress_.on_new_device(d);
}

Result<DiscoverOutcome> DiscoveryRun::run(std::vector<Ipv4> sweep_targets) {
    started_ = Clock::now();
    const auto started = started_;
    auto probe_socket = open_probe_socket(nic_, request_.multicast_ttl);
    if (!probe_socket) return probe_socket.error();
    Socket announcements;
    if (auto s = open_announcement_socket(nic_)) announcements = std::move(s.value());
    else note("not listening for Hello/Bye: " + s.error().detail);

    std::string multicast_probes[2];
    std::string sweep_probes[2];
    const char* types[2] = {kTypeNetworkVideoTransmitter, kTypeDevice};  // some firmware answers only one
    for (int i = 0; i < 2; ++i) {
        multicast_ids_[i] = new_message_id();
        sweep_ids_[i] = new_message_id();
        multicast_probes[i] = build_probe(multicast_ids_[i], types[i]);
        sweep_probes[i] = build_probe(sweep_ids_[i], types[i]);
    }
    const Ipv4 group = *Ipv4::parse(kWsDiscoveryGroup);

    std::size_t repeats_sent = 0;
    std::size_t swept = 0;
    Clock::time_point last_send = started;
    Clock::time_point next_sweep = started;
    const Clock::time_point cap = started + request_.timeout;

    for (;;) {
        const auto now = Clock::now();
        while (repeats_sent < kMulticastRepeats.size() && now >= started + kMulticastRepeats[repeats_sent]) {
            for (const auto& p : multicast_probes) send_to(probe_socket->fd(), p, group);
            ++repeats_sent;
            last_send = now;
        }
        if (swept < sweep_targets.size() && now >= next_sweep) {
            const std::size_t end = std::min(sweep_targets.size(), swept + kSweepBatch);
            for (; swept < end; ++swept)
                for (const auto& p : sweep_probes) send_to(probe_socket->fd(), p, sweep_targets[swept]);
            next_sweep = now + kSweepTick;
            last_send = now;
        }
        const bool all_sent = repeats_sent == kMulticastRepeats.size() && swept == sweep_targets.size();
        const auto window_end = std::max(last_send + kResponderJitter + kJitterMargin, last_answer_ + kQuietAfterLastAnswer);
        if (all_sent && now >= window_end) break;
        if (now >= cap) {
            note("stopped at the " + std::to_string(request_.timeout.count()) +
                 " ms limit while answers were still arriving; raise --timeout-ms to wait longer");
            break;
        }
        auto wake = std::min(window_end, cap);
        if (repeats_sent < kMulticastRepeats.size()) wake = std::min(wake, started + kMulticastRepeats[repeats_sent]);
        if (swept < sweep_targets.size()) wake = std::min(wake, next_sweep);
        const auto wait_ms = std::max<long long>(
            0, std::chrono::duration_cast<milliseconds>(wake - now).count() + 1);

        pollfd fds[2] = {{probe_socket->fd(), POLLIN, 0}, {announcements.fd(), POLLIN, 0}};
        const int nfds = announcements.valid() ? 2 : 1;
        if (::poll(fds, static_cast<nfds_t>(nfds), static_cast<int>(wait_ms)) < 0 && errno != EINTR)
            return socket_error(nic_, "poll");
        for (int i = 0; i < nfds; ++i)
            if (fds[i].revents & POLLIN) drain(fds[i].fd);
    }

    for (auto& [key, device] : devices_) outcome_.devices.push_back(std::move(device));
    outcome_.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
    return std::move(outcome_);
}

// Adds what mDNS saw: to the device with the same MAC or serial, or as a device of its own when
// its service type says it is a camera. Never matched by IP: addresses change, identities do not.
void merge_mdns(DiscoverOutcome& outcome, const MdnsOutcome& mdns, const DiscoverProgress& progress) {
    for (const auto& host : mdns.hosts) {
        DiscoveredDevice* same = nullptr;
        for (auto& d : outcome.devices)
            if ((host.mac && d.scopes.mac == host.mac) || (host.serial && d.scopes.serial == host.serial)) same = &d;
        if (!same && !host.identifies_camera) continue;
        if (!same && !host.address) continue;
        const bool is_new = same == nullptr;
        if (is_new) {
            outcome.devices.emplace_back();
            same = &outcome.devices.back();
            same->address = host.address->str();
            same->scopes.mac = host.mac;
            same->scopes.serial = host.serial;
            same->scopes.hardware = host.model;
            if (!host.services.empty()) same->scopes.name = host.services.front().instance;
        }
        add_unique(same->found_by, "mdns");
        same->mdns_hostname = host.hostname;
        for (const auto& s : host.services) add_unique(same->mdns_services, s.type + ":" + std::to_string(s.port));
        if (is_new && progress.on_new_device) progress.on_new_device(*same);
    }
}

void sort_by_address(std::vector<DiscoveredDevice>& devices) {
    std::sort(devices.begin(), devices.end(), [](const auto& a, const auto& b) {
        const auto ia = Ipv4::parse(a.address), ib = Ipv4::parse(b.address);
        if (ia && ib && *ia != *ib) return *ia < *ib;
        return a.endpoint < b.endpoint;
    });
}

}  // namespace

Result<DiscoverOutcome> discover(const DiscoverRequest& request, const DiscoverProgress& progress) {
    auto nic = find_interface(request.interface);
    if (!nic) return nic.error();

    std::vector<Ipv4> targets;
    if (request.sweep) {
        auto subnet = Ipv4Subnet::parse(*request.sweep);
        if (!subnet)
            return Error{ErrorCode::Usage, "", "--sweep wants an IPv4 subnet such as 192.168.2.0/24, not '" +
                                                   *request.sweep + "'", ""};
        if (subnet->prefix < kMinSweepPrefix)
            return Error{ErrorCode::Usage, "", "--sweep " + subnet->str() + " is too large: at most a /" +
                                                   std::to_string(kMinSweepPrefix), ""};
        for (const auto& host : subnet->hosts())
            if (host != *nic->address) targets.push_back(host);
    }
    // mDNS runs beside WS-Discovery (avahi does the sending, on this interface only).
    std::future<MdnsOutcome> mdns;
    if (!request.mdns_services.empty())
        mdns = std::async(std::launch::async, browse_mdns, nic.value(), request.mdns_services, request.timeout);
    DiscoveryRun run(request, progress, nic.value());
    auto outcome = run.run(std::move(targets));
    if (mdns.valid()) {
        const MdnsOutcome seen = mdns.get();
        if (!outcome) return outcome;
        if (seen.unavailable) {
            outcome->notes.push_back(*seen.unavailable);
            if (progress.on_note) progress.on_note(*seen.unavailable);
        }
        merge_mdns(outcome.value(), seen, progress);
    }
    if (outcome) sort_by_address(outcome->devices);
    return outcome;
}

std::string device_service_url(const DiscoveredDevice& found) {
    for (const auto& xaddr : found.xaddrs)
        if (url_host(xaddr) == found.address) return xaddr;
    const std::string reached = "http://" + found.address + "/";
    return found.xaddrs.empty() ? reached + "onvif/device_service" : on_device_host(found.xaddrs.front(), reached);
}

}  // namespace sitelink::discover
