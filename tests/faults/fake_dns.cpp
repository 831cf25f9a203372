#include "fake_dns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ddns/ldns_handle.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace sitelink::faults {

using ddns::Packet;

namespace {

constexpr std::uint16_t kFudgeSeconds = 300;

std::string text_of(const ldns_rdf* rdf) {
    char* text = ldns_rdf2str(rdf);
    std::string out = text != nullptr ? text : "";
    std::free(text);
    return out;
}

// "Cams.Example.Test." -> "cams.example.test"
std::string key_of(std::string name) {
    if (!name.empty() && name.back() == '.') name.pop_back();
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return name;
}

std::string wire_of(ldns_pkt* packet) {
    uint8_t* wire = nullptr;
    std::size_t size = 0;
    if (ldns_pkt2wire(&wire, packet, &size) != LDNS_STATUS_OK) throw std::runtime_error("fake DNS: cannot write an answer");
    std::string out(reinterpret_cast<const char*>(wire), size);
    std::free(wire);
    return out;
}

// The answer's header and question (the zone, for an UPDATE) copied from the request.
Packet reply_to(ldns_pkt* request, ldns_pkt_rcode rcode) {
    Packet reply(ldns_pkt_new());
    ldns_pkt_set_id(reply.get(), ldns_pkt_id(request));
    ldns_pkt_set_qr(reply.get(), true);
    ldns_pkt_set_opcode(reply.get(), ldns_pkt_get_opcode(request));
    ldns_pkt_set_rd(reply.get(), ldns_pkt_rd(request));
    ldns_pkt_set_ra(reply.get(), true);
    ldns_pkt_set_rcode(reply.get(), rcode);
    if (ldns_pkt_qdcount(request) > 0)
        ldns_pkt_push_rr(reply.get(), LDNS_SECTION_QUESTION, ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(request), 0)));
    return reply;
}

}  // namespace

FakeDns::FakeDns(std::string key_name, std::string secret) : key_name_(std::move(key_name)), secret_(std::move(secret)) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0 || ::pipe2(stop_pipe_, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("fake DNS: ") + std::strerror(errno));
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
}

FakeDns::~FakeDns() {
    const char wake = 0;
    (void)!::write(stop_pipe_[1], &wake, 1);
    thread_.join();
    ::close(fd_);
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
}

std::string FakeDns::server() const { return "127.0.0.1:" + std::to_string(port_); }

void FakeDns::set_record(const std::string& name, const std::string& address) {
    std::lock_guard lock(mutex_);
    records_[key_of(name)] = address;
}

std::optional<std::string> FakeDns::record(const std::string& name) const {
    std::lock_guard lock(mutex_);
    const auto found = records_.find(key_of(name));
    if (found == records_.end()) return std::nullopt;
    return found->second;
}

void FakeDns::set_query_fault(DnsFault fault) {
    std::lock_guard lock(mutex_);
    query_fault_ = fault;
}

void FakeDns::set_update_fault(DnsFault fault) {
    std::lock_guard lock(mutex_);
    update_fault_ = fault;
}

int FakeDns::queries() const {
    std::lock_guard lock(mutex_);
    return queries_;
}

int FakeDns::updates() const {
    std::lock_guard lock(mutex_);
    return updates_;
}

void FakeDns::serve() {
    std::string buffer(65535, '\0');
    for (;;) {
        pollfd waits[2] = {{fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
        if (::poll(waits, 2, -1) < 0 || (waits[1].revents & POLLIN) != 0) return;
        sockaddr_in from{};
        socklen_t from_length = sizeof from;
        const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_length);
        if (n <= 0) continue;
        const std::string wire = buffer.substr(0, static_cast<std::size_t>(n));
        ldns_pkt* parsed = nullptr;
        if (ldns_wire2pkt(&parsed, reinterpret_cast<const uint8_t*>(wire.data()), wire.size()) != LDNS_STATUS_OK) continue;
        const Packet request(parsed);
        const bool update = ldns_pkt_get_opcode(parsed) == LDNS_PACKET_UPDATE;
        DnsFault fault;
        {
            std::lock_guard lock(mutex_);
            ++(update ? updates_ : queries_);
            fault = update ? update_fault_ : query_fault_;
        }
        if (fault == DnsFault::Silent) continue;
        std::string answer = fault == DnsFault::Garbage ? std::string("this is not a DNS message")
                             : update                   ? answer_update(parsed, wire)
                                                        : answer_query(parsed);
        if (fault == DnsFault::Truncated) answer.resize(7);
        if (fault == DnsFault::MismatchedId) answer[0] = static_cast<char>(answer[0] ^ 0x5a);
        ::sendto(fd_, answer.data(), answer.size(), 0, reinterpret_cast<const sockaddr*>(&from), from_length);
    }
}

std::string FakeDns::answer_query(ldns_pkt* query) {
    if (ldns_pkt_qdcount(query) == 0) return wire_of(reply_to(query, LDNS_RCODE_FORMERR).get());
    const std::string name = text_of(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(query), 0)));
    const auto address = record(name);
    if (!address) return wire_of(reply_to(query, LDNS_RCODE_NXDOMAIN).get());
    Packet reply = reply_to(query, LDNS_RCODE_NOERROR);
    ldns_rr* a = nullptr;
    if (ldns_rr_new_frm_str(&a, (name + " 60 IN A " + *address).c_str(), 0, nullptr, nullptr) == LDNS_STATUS_OK)
        ldns_pkt_push_rr(reply.get(), LDNS_SECTION_ANSWER, a);
    return wire_of(reply.get());
}

std::string FakeDns::answer_update(ldns_pkt* update, const std::string& wire) {
    ldns_rr* tsig = ldns_pkt_tsig(update);
    bool unsigned_refusal;
    {
        std::lock_guard lock(mutex_);
        unsigned_refusal = update_fault_ == DnsFault::Unsigned;
    }
    if (tsig == nullptr || ldns_rr_rd_count(tsig) < 4 || unsigned_refusal)
        return wire_of(reply_to(update, LDNS_RCODE_NOTAUTH).get());
    const std::unique_ptr<ldns_rdf, void (*)(ldns_rdf*)> request_mac(ldns_rdf_clone(ldns_rr_rdf(tsig, 3)), ldns_rdf_deep_free);
    const std::string algorithm = text_of(ldns_rr_rdf(tsig, 0));
    if (!ldns_pkt_tsig_verify(update, reinterpret_cast<const uint8_t*>(wire.data()), wire.size(), key_name_.c_str(), secret_.c_str(),
                              nullptr))
        return wire_of(reply_to(update, LDNS_RCODE_NOTAUTH).get());

    // The update section: "delete the name's A records" (class ANY), then "add this A record".
    ldns_rr_list* changes = ldns_pkt_authority(update);
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(changes); ++i) {
        ldns_rr* change = ldns_rr_list_rr(changes, i);
        if (ldns_rr_get_type(change) != LDNS_RR_TYPE_A) continue;
        const std::string name = key_of(text_of(ldns_rr_owner(change)));
        std::lock_guard lock(mutex_);
        if (ldns_rr_get_class(change) == LDNS_RR_CLASS_ANY) records_.erase(name);
        else if (ldns_rr_rd_count(change) == 1) records_[name] = text_of(ldns_rr_rdf(change, 0));
    }
    Packet reply = reply_to(update, LDNS_RCODE_NOERROR);
    if (ldns_pkt_tsig_sign(reply.get(), key_name_.c_str(), secret_.c_str(), kFudgeSeconds, algorithm.c_str(), request_mac.get()) !=
        LDNS_STATUS_OK)
        throw std::runtime_error("fake DNS: cannot sign an answer");
    return wire_of(reply.get());
}

}  // namespace sitelink::faults
