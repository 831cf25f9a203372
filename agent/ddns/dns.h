// Asking one chosen DNS server, not the system's resolver: the DDNS server itself (RFC 2136), or
// a public resolver when checking what the internet sees (the LAN's resolver may answer with a
// local override or a stale cache). Queries go out of the chosen interface only.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

struct ldns_struct_resolver;

namespace sitelink::ddns {

struct DnsServer {
    std::string address;    // IPv4
    std::string interface;  // send from this interface's address; empty: the system's choice
    std::chrono::milliseconds timeout{3000};
};

struct ResolverDeleter {
    void operator()(ldns_struct_resolver* resolver) const;
};
using Resolver = std::unique_ptr<ldns_struct_resolver, ResolverDeleter>;
Result<Resolver> make_resolver(const DnsServer& server);

// The name's A records as the server answers them; empty when the name does not exist (NXDOMAIN)
// or has none. An Error when the server does not answer or fails (the rcode kept).
Result<std::vector<std::string>> lookup_a(const std::string& name, const DnsServer& server);

}  // namespace sitelink::ddns
