#include "ddns/dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "ddns/ldns_handle.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/socket.h"

namespace sitelink::ddns {

namespace {

struct ResolverDeleter {
    void operator()(ldns_resolver* resolver) const {
        // ldns_resolver_deep_free leaves the source address set by ldns_resolver_set_source (LeakSanitizer).
        ldns_rdf* source = ldns_resolver_source(resolver);
        ldns_resolver_deep_free(resolver);
        ldns_rdf_deep_free(source);
    }
};
using Resolver = std::unique_ptr<ldns_resolver, ResolverDeleter>;

Error not_a_server(const DnsServer& server) {
    return Error{ErrorCode::Usage, server.address, "not the IPv4 address (and :PORT, when not 53) of a DNS server", ""};
}

std::string who(const DnsServer& server) { return "DNS server " + server.address; }

Result<Resolver> make_resolver(const DnsServer& server) {
    const auto endpoint = parse_dns_server(server.address);
    if (!endpoint) return not_a_server(server);
    Resolver resolver(ldns_resolver_new());
    ldns_rdf* address = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, endpoint->address.str().c_str());
    ldns_resolver_push_nameserver(resolver.get(), address);
    ldns_rdf_deep_free(address);
    ldns_resolver_set_port(resolver.get(), endpoint->port);
    if (!server.interface.empty()) {
        auto nic = find_interface(server.interface);
        if (!nic) return nic.error();
        ldns_resolver_set_source(resolver.get(), ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, nic->address->str().c_str()));
    }
    const auto ms = server.timeout.count();
    ldns_resolver_set_timeout(resolver.get(), timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>(ms % 1000 * 1000)});
    ldns_resolver_set_retry(resolver.get(), kDnsTries);
    ldns_resolver_set_recursive(resolver.get(), true);
    ldns_resolver_set_fallback(resolver.get(), true);  // truncated over UDP: ask again over TCP
    return resolver;
}

// ldns's ways of saying no answer came back, as opposed to one that is not a DNS message.
bool nothing_came(ldns_status status) {
    return status == LDNS_STATUS_NETWORK_ERR || status == LDNS_STATUS_SOCKET_ERROR || status == LDNS_STATUS_ERR ||
           status == LDNS_STATUS_RES_NO_NS;
}

}  // namespace

std::optional<DnsEndpoint> parse_dns_server(const std::string& text) {
    const auto colon = text.find(':');
    const auto address = Ipv4::parse(text.substr(0, colon));
    if (!address) return std::nullopt;
    if (colon == std::string::npos) return DnsEndpoint{*address, 53};
    const std::string port = text.substr(colon + 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }))
        return std::nullopt;
    const int number = std::atoi(port.c_str());
    if (number < 1 || number > 65535) return std::nullopt;
    return DnsEndpoint{*address, static_cast<std::uint16_t>(number)};
}

Result<std::vector<std::string>> lookup_a(const std::string& name, const DnsServer& server) {
    auto resolver = make_resolver(server);
    if (!resolver) return resolver.error();
    ldns_rdf* qname = ldns_dname_new_frm_str(name.c_str());
    if (qname == nullptr) return Error{ErrorCode::Usage, name, "not a DNS name", ""};
    ldns_pkt* prepared = nullptr;
    const ldns_status built = ldns_resolver_prepare_query_pkt(&prepared, resolver->get(), qname, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, LDNS_RD);
    ldns_rdf_deep_free(qname);
    if (built != LDNS_STATUS_OK) return Error{ErrorCode::Usage, name, std::string("cannot ask for it: ") + ldns_get_errorstr_by_id(built), ""};
    const Packet query(prepared);
    ldns_pkt_set_random_id(query.get());

    ldns_pkt* received = nullptr;
    const ldns_status status = ldns_resolver_send_pkt(&received, resolver->get(), query.get());
    const Packet answer(received);
    if (status != LDNS_STATUS_OK && !nothing_came(status))
        return Error{ErrorCode::MalformedAnswer, who(server),
                     "the answer for " + name + " is not a valid DNS message (" + ldns_get_errorstr_by_id(status) + ")", ""};
    if (status != LDNS_STATUS_OK || answer == nullptr)
        return Error{ErrorCode::TimedOut, who(server), "no answer for " + name + " in " + std::to_string(kDnsTries) + " tries of " +
                                                           std::to_string(server.timeout.count()) + " ms", ""};
    // ldns takes whatever datagram comes back first; only one with the query's ID answers it.
    if (ldns_pkt_id(answer.get()) != ldns_pkt_id(query.get()) || !ldns_pkt_qr(answer.get()))
        return Error{ErrorCode::MalformedAnswer, who(server),
                     "sent a message that does not answer the query for " + name + " (ID " + std::to_string(ldns_pkt_id(answer.get())) +
                         ", the query's " + std::to_string(ldns_pkt_id(query.get())) + ")", ""};
    const ldns_pkt_rcode rcode = ldns_pkt_get_rcode(answer.get());
    if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
        const ldns_lookup_table* known = ldns_lookup_by_id(ldns_rcodes, static_cast<int>(rcode));
        const std::string code = known ? known->name : "RCODE " + std::to_string(rcode);
        return Error{ErrorCode::MalformedAnswer, who(server), "answered " + code + " for " + name, code};
    }
    std::vector<std::string> addresses;
    if (ldns_rr_list* records = ldns_pkt_rr_list_by_type(answer.get(), LDNS_RR_TYPE_A, LDNS_SECTION_ANSWER)) {
        for (std::size_t i = 0; i < ldns_rr_list_rr_count(records); ++i) {
            ldns_rdf* rdata = ldns_rr_a_address(ldns_rr_list_rr(records, i));
            if (char* text = rdata ? ldns_rdf2str(rdata) : nullptr) {
                addresses.emplace_back(text);
                free(text);
            }
        }
        ldns_rr_list_deep_free(records);
    }
    return addresses;
}

Result<std::string> exchange_udp(const DnsServer& server, const std::string& message) {
    const auto endpoint = parse_dns_server(server.address);
    if (!endpoint) return not_a_server(server);
    Socket s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!s.valid()) return Error{ErrorCode::SocketFailed, who(server), std::string("socket: ") + std::strerror(errno), ""};
    if (!server.interface.empty()) {
        auto nic = find_interface(server.interface);
        if (!nic) return nic.error();
        sockaddr_in source{};
        source.sin_family = AF_INET;
        source.sin_addr.s_addr = htonl(nic->address->value);
        if (::bind(s.fd(), reinterpret_cast<const sockaddr*>(&source), sizeof source) != 0)
            return Error{ErrorCode::SocketFailed, nic->name, std::string("cannot send from its address: ") + std::strerror(errno), ""};
    }
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_port = htons(endpoint->port);
    target.sin_addr.s_addr = htonl(endpoint->address.value);
    // Connected: the kernel passes on datagrams from the server's address and port only.
    if (::connect(s.fd(), reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0)
        return Error{ErrorCode::SocketFailed, who(server), std::string("connect: ") + std::strerror(errno), ""};
    std::string buffer(65535, '\0');
    const Error refused{ErrorCode::ConnectionRefused, who(server), "nothing listens there (ICMP port unreachable)",
                        "errno " + std::to_string(ECONNREFUSED)};
    for (int attempt = 0; attempt < kDnsTries; ++attempt) {
        if (::send(s.fd(), message.data(), message.size(), 0) < 0)
            return errno == ECONNREFUSED ? refused : Error{ErrorCode::SocketFailed, who(server), std::string("send: ") + std::strerror(errno), ""};
        pollfd ready{s.fd(), POLLIN, 0};
        if (::poll(&ready, 1, static_cast<int>(server.timeout.count())) <= 0) continue;
        const ssize_t n = ::recv(s.fd(), buffer.data(), buffer.size(), 0);
        if (n < 0 && errno == ECONNREFUSED) return refused;
        if (n > 0) return buffer.substr(0, static_cast<std::size_t>(n));
    }
    return Error{ErrorCode::TimedOut, who(server),
                 "no answer in " + std::to_string(kDnsTries) + " tries of " + std::to_string(server.timeout.count()) + " ms", ""};
}

}  // namespace sitelink::ddns
