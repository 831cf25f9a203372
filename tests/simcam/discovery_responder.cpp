#include "discovery_responder.h"

#include <algorithm>
#include <arpa/inet.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "context.h"
#include "envelope.h"
#include "soapDiscoveryProxy.h"
#include "soapH.h"

namespace simcam {

namespace {

constexpr const char* kMulticastGroup = "239.255.255.250";
constexpr int kDiscoveryPort = 3702;
// WS-Discovery APP_MAX_DELAY: a target waits a random time up to this before answering a
// multicast Probe, so a thousand devices do not answer in the same millisecond.
constexpr int kMaxAnswerDelayMs = 500;
constexpr std::size_t kRememberedProbes = 4096;
constexpr auto kProbeMemory = std::chrono::seconds(60);
constexpr const char* kToDiscovery = "urn:schemas-xmlsoap-org:ws:2005:04:discovery";
constexpr const char* kToAnonymous = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
constexpr const char* kActionProbeMatches = "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches";
constexpr const char* kActionHello = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello";
constexpr const char* kActionBye = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Bye";
constexpr const char* kDeviceTypes = "dn:NetworkVideoTransmitter tds:Device";
constexpr const char* kMatchByRfc3986 = "http://schemas.xmlsoap.org/ws/2005/04/discovery/rfc3986";
constexpr const char* kMatchByStrcmp0 = "http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0";

std::vector<std::string> split_words(const std::string& text) {
    std::istringstream stream(text);
    std::vector<std::string> words;
    for (std::string word; stream >> word;) words.push_back(word);
    return words;
}

// Probe Types are QNames with whatever prefix the prober chose (gSOAP rewrites known namespaces
// to our prefixes and unknown ones to "URI":name), so only the local name is compared.
bool types_match(const std::string& types) {
    const auto words = split_words(types);
    if (words.empty()) return true;
    for (const auto& word : words) {
        const auto colon = word.rfind(':');
        const std::string local = colon == std::string::npos ? word : word.substr(colon + 1);
        if (local == "NetworkVideoTransmitter" || local == "Device") return true;
    }
    return false;
}

// WS-Discovery scope matching: every scope in the Probe must match one of the device's scopes.
// rfc3986 (the default) matches by whole path segments, strcmp0 exactly; others never match.
bool scopes_match(const std::optional<std::string>& probe_scopes, const std::string& match_by,
                  const std::string& device_scopes) {
    if (!probe_scopes) return true;
    const auto wanted = split_words(*probe_scopes);
    const auto offered = split_words(device_scopes);
    const bool exact = match_by == kMatchByStrcmp0;
    if (!match_by.empty() && match_by != kMatchByRfc3986 && !exact) return false;
    for (const auto& scope : wanted) {
        bool found = false;
        for (const auto& candidate : offered) {
            if (candidate == scope) found = true;
            else if (!exact && candidate.size() > scope.size() && candidate.compare(0, scope.size(), scope) == 0 &&
                     (scope.back() == '/' || candidate[scope.size()] == '/'))
                found = true;
            if (found) break;
        }
        if (!found) return false;
    }
    return true;
}

std::string random_uuid_urn(std::mt19937& random) {
    std::uniform_int_distribution<unsigned> byte(0, 255);
    unsigned char bytes[16];
    for (auto& b : bytes) b = static_cast<unsigned char>(byte(random));
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
    char text[64];
    std::snprintf(text, sizeof text,
                  "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                  bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                  bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
    return text;
}

std::string describe(const sockaddr_in& address) {
    return format_ipv4(address.sin_addr) + ":" + std::to_string(ntohs(address.sin_port));
}

}  // namespace

DiscoveryResponder::DiscoveryResponder(EventLoop& loop, DeviceTable& devices, int interface_index)
    : loop_(loop), devices_(devices), interface_index_(interface_index), random_(std::random_device{}()) {
    soap_ = onvif::new_context();
    proxy_ = new DiscoveryProxy(soap_);
    onvif::use_sitelink_namespaces(soap_);
}

DiscoveryResponder::~DiscoveryResponder() {
    if (socket_ >= 0) {
        loop_.unwatch(socket_);
        ::close(socket_);
    }
    delete proxy_;
    onvif::release(soap_);
}

void DiscoveryResponder::start() {
    socket_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
    if (socket_ < 0) throw std::runtime_error(std::string("discovery socket: ") + std::strerror(errno));
    const int on = 1;
    setsockopt(socket_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    // Learn each datagram's destination (multicast group or one device's address) and choose
    // each answer's source address.
    setsockopt(socket_, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    const int buffer = 4 * 1024 * 1024;  // a burst of probes, or 1000 answers, must not be dropped here
    setsockopt(socket_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    setsockopt(socket_, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);

    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_port = htons(kDiscoveryPort);
    local.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(socket_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
        throw std::runtime_error(std::string("discovery bind :3702: ") + std::strerror(errno));

    // By interface index, not address: the devices' addresses come and go, the interface stays.
    ip_mreqn membership{};
    inet_pton(AF_INET, kMulticastGroup, &membership.imr_multiaddr);
    membership.imr_ifindex = interface_index_;
    if (setsockopt(socket_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &membership, sizeof membership) != 0)
        throw std::runtime_error(std::string("join 239.255.255.250: ") + std::strerror(errno));
    ip_mreqn outgoing{};
    outgoing.imr_ifindex = interface_index_;
    if (setsockopt(socket_, IPPROTO_IP, IP_MULTICAST_IF, &outgoing, sizeof outgoing) != 0)
        throw std::runtime_error(std::string("IP_MULTICAST_IF: ") + std::strerror(errno));
    const int ttl = 1;
    setsockopt(socket_, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);

    loop_.watch(socket_, [this](std::uint32_t) { on_readable(); });
}

void DiscoveryResponder::on_readable() {
    // Drain a bounded number per wake-up so a probe flood cannot starve the timers.
    for (int budget = 64; budget > 0; --budget) {
        sockaddr_in sender{};
        iovec iov{receive_buffer_.data(), receive_buffer_.size()};
        char control[CMSG_SPACE(sizeof(in_pktinfo))];
        msghdr message{};
        message.msg_name = &sender;
        message.msg_namelen = sizeof sender;
        message.msg_iov = &iov;
        message.msg_iovlen = 1;
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        const ssize_t length = recvmsg(socket_, &message, 0);
        if (length < 0) return;  // EAGAIN: drained
        if ((message.msg_flags & MSG_TRUNC) != 0 || length == 0) continue;

        in_addr destination{};
        for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr; header = CMSG_NXTHDR(&message, header)) {
            if (header->cmsg_level == IPPROTO_IP && header->cmsg_type == IP_PKTINFO) {
                in_pktinfo info{};
                std::memcpy(&info, CMSG_DATA(header), sizeof info);
                destination = info.ipi_addr;  // the IP header's destination
            }
        }

        const auto probe = parse_probe(receive_buffer_.data(), static_cast<std::size_t>(length));
        if (!probe || !types_match(probe->types)) continue;

        const bool multicast = IN_MULTICAST(ntohl(destination.s_addr));
        spdlog::debug("discovery: Probe {} from {} to {}", probe->message_id, describe(sender),
                      format_ipv4(destination));
        if (multicast) {
            for (const auto& device : devices_.all())
                if (scopes_match(probe->scopes, probe->match_by, device->scopes()))
                    schedule_probe_match(*device, probe->message_id, sender);
        } else if (Device* device = devices_.find(destination)) {
            if (scopes_match(probe->scopes, probe->match_by, device->scopes()))
                schedule_probe_match(*device, probe->message_id, sender);
        }
    }
}

std::optional<DiscoveryResponder::ProbeRequest> DiscoveryResponder::parse_probe(const char* data, std::size_t length) {
    std::istringstream input(std::string(data, length));
    soap_->is = &input;
    __wsdd__Probe received;
    std::optional<ProbeRequest> probe;
    // recv_Probe also "succeeds" on a Hello or ProbeMatches body: only a non-null Probe counts.
    if (proxy_->recv_Probe(received) == SOAP_OK && received.wsdd__Probe != nullptr) {
        ProbeRequest request;
        if (soap_->header != nullptr && soap_->header->wsa__MessageID != nullptr)
            request.message_id = *soap_->header->wsa__MessageID;
        if (received.wsdd__Probe->Types != nullptr) request.types = *received.wsdd__Probe->Types;
        if (received.wsdd__Probe->Scopes != nullptr) {
            request.scopes = received.wsdd__Probe->Scopes->__item;
            if (received.wsdd__Probe->Scopes->MatchBy != nullptr) request.match_by = *received.wsdd__Probe->Scopes->MatchBy;
        }
        probe = std::move(request);
    }
    soap_->is = nullptr;
    soap_->header = nullptr;
    soap_destroy(soap_);
    soap_end(soap_);
    return probe;
}

bool DiscoveryResponder::first_time(const std::string& message_id, const Device& device) {
    if (message_id.empty()) return true;  // nothing to recognise a retransmission by
    const auto now = std::chrono::steady_clock::now();
    while (!answered_order_.empty() &&
           (answered_order_.size() > kRememberedProbes ||
            now - answered_[answered_order_.front()].first_seen > kProbeMemory)) {
        answered_.erase(answered_order_.front());
        answered_order_.pop_front();
    }
    auto [entry, inserted] = answered_.try_emplace(message_id);
    if (inserted) {
        entry->second.first_seen = now;
        entry->second.answered.assign(devices_.size(), false);
        answered_order_.push_back(message_id);
    }
    std::vector<bool>& answered = entry->second.answered;
    if (answered[device.index()]) return false;
    answered[device.index()] = true;
    return true;
}

void DiscoveryResponder::schedule_probe_match(Device& device, const std::string& relates_to, const sockaddr_in& prober) {
    if (device.is_silent() || !first_time(relates_to, device)) return;
    std::uniform_int_distribution<int> delay_ms(0, kMaxAnswerDelayMs);
    loop_.run_after(std::chrono::milliseconds(delay_ms(random_)),
                    [this, &device, relates_to, prober] { send_probe_match(device, relates_to, prober); });
}

void DiscoveryResponder::send_probe_match(Device& device, const std::string& relates_to, const sockaddr_in& prober) {
    if (device.is_silent()) return;  // started rebooting while the answer waited
    const DiscoveryRecord record = device.discovery_record();
    // Fault flood_probe_matches: the same answer over and over, each with a MessageID of its own.
    const int copies = std::max(1, device.config().faults.flood_probe_matches);
    int sent = 0;
    for (int i = 0; i < copies; ++i)
        if (send_from(record.address, prober, serialize_probe_matches(record, relates_to), false)) ++sent;
    if (copies > 1)
        spdlog::info("discovery: {} flooded {} ProbeMatches to {}", format_ipv4(record.address), sent, describe(prober));
    else if (sent == 1)
        spdlog::debug("discovery: {} ProbeMatches to {}", format_ipv4(record.address), describe(prober));
}

void DiscoveryResponder::send_hello(Device& device) { announce(device, &DiscoveryResponder::serialize_hello, "Hello"); }

void DiscoveryResponder::send_bye(Device& device) { announce(device, &DiscoveryResponder::serialize_bye, "Bye"); }

void DiscoveryResponder::announce(Device& device, std::string (DiscoveryResponder::*serialize)(const DiscoveryRecord&),
                                  const char* what) {
    if (device.is_silent()) return;
    const DiscoveryRecord record = device.discovery_record();
    sockaddr_in group{};
    group.sin_family = AF_INET;
    group.sin_port = htons(kDiscoveryPort);
    inet_pton(AF_INET, kMulticastGroup, &group.sin_addr);
    if (send_from(record.address, group, (this->*serialize)(record), true))
        spdlog::debug("discovery: {} {}", format_ipv4(record.address), what);
}

bool DiscoveryResponder::send_from(in_addr source, const sockaddr_in& destination, const std::string& payload,
                                   bool multicast) {
    iovec iov{const_cast<char*>(payload.data()), payload.size()};
    char control[CMSG_SPACE(sizeof(in_pktinfo))] = {};
    msghdr message{};
    message.msg_name = const_cast<sockaddr_in*>(&destination);
    message.msg_namelen = sizeof destination;
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = IPPROTO_IP;
    header->cmsg_type = IP_PKTINFO;
    header->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    info.ipi_spec_dst = source;  // the device's own address, not whatever the route would pick
    info.ipi_ifindex = multicast ? interface_index_ : 0;
    std::memcpy(CMSG_DATA(header), &info, sizeof info);

    for (int attempt = 0; attempt < 2; ++attempt) {
        if (sendmsg(socket_, &message, 0) >= 0) return true;
        if (errno != EAGAIN && errno != EWOULDBLOCK) break;
        pollfd writable{socket_, POLLOUT, 0};
        poll(&writable, 1, 50);
    }
    spdlog::warn("discovery: send from {} to {} failed: {}", format_ipv4(source), describe(destination),
                 std::strerror(errno));
    return false;
}

// ---------------------------------------------------------------- serialization

namespace {

struct HeaderFields {
    std::string message_id;
    std::string to;
    std::string action;
    wsa__Relationship relates_to;
    wsdd__AppSequenceType app_sequence;
};

void install_header(struct soap* soap, HeaderFields& fields, const DiscoveryRecord& record, bool with_relates_to) {
    soap_header(soap);
    soap->header->wsa__MessageID = &fields.message_id;
    soap->header->wsa__To = &fields.to;
    soap->header->wsa__Action = &fields.action;
    soap->header->wsa__RelatesTo = with_relates_to ? &fields.relates_to : nullptr;
    fields.app_sequence.InstanceId = record.instance_id;
    fields.app_sequence.MessageNumber = record.message_number;
    soap->header->wsdd__AppSequence = &fields.app_sequence;
}

// The message as text, through the shared envelope writer, which opens no socket.
template <class Wrapper>
std::string envelope_text(struct soap* soap, const Wrapper& body, void (*serialize)(struct soap*, const Wrapper*),
                          int (*put)(struct soap*, const Wrapper*, const char*, const char*), const char* tag) {
    std::ostringstream output;
    const int rc = onvif::write_envelope(soap, output, body, serialize, put, tag);
    soap->header = nullptr;
    soap_destroy(soap);
    soap_end(soap);
    if (rc != SOAP_OK) {
        spdlog::error("discovery: cannot serialize a message (gSOAP error {})", rc);
        return {};
    }
    return output.str();
}

}  // namespace

std::string DiscoveryResponder::serialize_probe_matches(const DiscoveryRecord& record, const std::string& relates_to) {
    HeaderFields fields{random_uuid_urn(random_), kToAnonymous, kActionProbeMatches, {}, {}};
    fields.relates_to.__item = relates_to;
    std::string types = kDeviceTypes;
    std::string scopes = record.scopes;
    std::string xaddrs = record.xaddrs;
    wsdd__ScopesType scopes_element;
    scopes_element.__item = scopes;
    wsdd__ProbeMatchType match;
    match.wsa__EndpointReference.Address = record.endpoint;
    match.Types = &types;
    match.Scopes = &scopes_element;
    match.XAddrs = &xaddrs;
    match.MetadataVersion = record.metadata_version;
    wsdd__ProbeMatchesType matches;
    matches.ProbeMatch.push_back(match);
    install_header(soap_, fields, record, !relates_to.empty());
    __wsdd__ProbeMatches body;
    body.wsdd__ProbeMatches = &matches;
    return envelope_text(soap_, body, soap_serialize___wsdd__ProbeMatches, soap_put___wsdd__ProbeMatches,
                         "-wsdd:ProbeMatches");
}

std::string DiscoveryResponder::serialize_hello(const DiscoveryRecord& record) {
    HeaderFields fields{random_uuid_urn(random_), kToDiscovery, kActionHello, {}, {}};
    std::string types = kDeviceTypes;
    std::string xaddrs = record.xaddrs;
    wsdd__ScopesType scopes_element;
    scopes_element.__item = record.scopes;
    wsdd__HelloType hello;
    hello.wsa__EndpointReference.Address = record.endpoint;
    hello.Types = &types;
    hello.Scopes = &scopes_element;
    hello.XAddrs = &xaddrs;
    hello.MetadataVersion = record.metadata_version;
    install_header(soap_, fields, record, false);
    __wsdd__Hello body;
    body.wsdd__Hello = &hello;
    return envelope_text(soap_, body, soap_serialize___wsdd__Hello, soap_put___wsdd__Hello, "-wsdd:Hello");
}

std::string DiscoveryResponder::serialize_bye(const DiscoveryRecord& record) {
    HeaderFields fields{random_uuid_urn(random_), kToDiscovery, kActionBye, {}, {}};
    std::string types = kDeviceTypes;
    std::string xaddrs = record.xaddrs;
    wsdd__ByeType bye;
    bye.wsa__EndpointReference.Address = record.endpoint;
    bye.Types = &types;
    bye.XAddrs = &xaddrs;
    install_header(soap_, fields, record, false);
    __wsdd__Bye body;
    body.wsdd__Bye = &bye;
    return envelope_text(soap_, body, soap_serialize___wsdd__Bye, soap_put___wsdd__Bye, "-wsdd:Bye");
}

}  // namespace simcam
