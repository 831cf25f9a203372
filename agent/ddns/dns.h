// Asking one chosen DNS server, not the system's resolver: the DDNS server itself (RFC 2136), or
// a public resolver when checking what the internet sees (the LAN's resolver may answer with a
// local override or a stale cache). Queries go out of the chosen interface only.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/net.h"

namespace sitelink::ddns {

struct DnsServer {
    std::string address;    // IPv4, with ":PORT" when the server does not listen on 53
    std::string interface;  // send from this interface's address; empty: the system's choice
    std::chrono::milliseconds timeout{3000};  // for each try
};

// How many times a message is sent before a server counts as silent; each try waits the timeout.
constexpr int kDnsTries = 2;

// "192.0.2.53" (port 53) or "192.0.2.53:5353".
struct DnsEndpoint {
    Ipv4 address;
    std::uint16_t port = 53;
};
std::optional<DnsEndpoint> parse_dns_server(const std::string& text);

// The name's A records as the server answers them; empty when the name does not exist (NXDOMAIN)
// or has none. An Error naming the server when it does not answer (TimedOut), or answers
// something that is not an answer to the query (MalformedAnswer), or fails (the rcode kept).
Result<std::vector<std::string>> lookup_a(const std::string& name, const DnsServer& server);

// Sends one DNS message over UDP and returns the first datagram that comes back from the server's
// address and port, as received (the caller checks it answers the message). An Error when nothing
// came in kDnsTries tries, or nothing listens there.
Result<std::string> exchange_udp(const DnsServer& server, const std::string& message);

}  // namespace sitelink::ddns
