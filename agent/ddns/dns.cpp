#include "ddns/dns.h"

// First: without it, ldns defines false and true as macros (0 and 1) for everything after it.
#include <stdbool.h>
#include <ldns/ldns.h>

#include <cstdlib>

#include "core/net.h"

namespace sitelink::ddns {

void ResolverDeleter::operator()(ldns_struct_resolver* resolver) const {
    // ldns_resolver_deep_free leaves the source address set by ldns_resolver_set_source (LeakSanitizer).
    ldns_rdf* source = ldns_resolver_source(resolver);
    ldns_resolver_deep_free(resolver);
    ldns_rdf_deep_free(source);
}

Result<Resolver> make_resolver(const DnsServer& server) {
    if (!Ipv4::parse(server.address))
        return Error{ErrorCode::Usage, server.address, "not an IPv4 address of a DNS server", ""};
    Resolver resolver(ldns_resolver_new());
    ldns_rdf* address = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, server.address.c_str());
    ldns_resolver_push_nameserver(resolver.get(), address);
    ldns_rdf_deep_free(address);
    if (!server.interface.empty()) {
        auto nic = find_interface(server.interface);
        if (!nic) return nic.error();
        ldns_resolver_set_source(resolver.get(), ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, nic->address->str().c_str()));
    }
    const auto ms = server.timeout.count();
    ldns_resolver_set_timeout(resolver.get(), timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>(ms % 1000 * 1000)});
    ldns_resolver_set_retry(resolver.get(), 2);
    ldns_resolver_set_recursive(resolver.get(), true);
    ldns_resolver_set_fallback(resolver.get(), true);  // truncated over UDP: ask again over TCP
    return resolver;
}

Result<std::vector<std::string>> lookup_a(const std::string& name, const DnsServer& server) {
    auto resolver = make_resolver(server);
    if (!resolver) return resolver.error();
    ldns_rdf* qname = ldns_dname_new_frm_str(name.c_str());
    if (qname == nullptr) return Error{ErrorCode::Usage, name, "not a DNS name", ""};
    ldns_pkt* answer = nullptr;
    const ldns_status status = ldns_resolver_query_status(&answer, resolver->get(), qname, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, LDNS_RD);
    ldns_rdf_deep_free(qname);
    if (status != LDNS_STATUS_OK || answer == nullptr)
        return Error{ErrorCode::TimedOut, "DNS server " + server.address, std::string("no answer for ") + name + " (" +
                     ldns_get_errorstr_by_id(status) + ")", ""};
    const ldns_pkt_rcode rcode = ldns_pkt_get_rcode(answer);
    std::vector<std::string> addresses;
    if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
        const ldns_lookup_table* known = ldns_lookup_by_id(ldns_rcodes, static_cast<int>(rcode));
        ldns_pkt_free(answer);
        const std::string code = known ? known->name : "RCODE " + std::to_string(rcode);
        return Error{ErrorCode::MalformedAnswer, "DNS server " + server.address, "answered " + code + " for " + name, code};
    }
    if (ldns_rr_list* records = ldns_pkt_rr_list_by_type(answer, LDNS_RR_TYPE_A, LDNS_SECTION_ANSWER)) {
        for (std::size_t i = 0; i < ldns_rr_list_rr_count(records); ++i) {
            ldns_rdf* rdata = ldns_rr_a_address(ldns_rr_list_rr(records, i));
            if (char* text = rdata ? ldns_rdf2str(rdata) : nullptr) {
                addresses.emplace_back(text);
                free(text);
            }
        }
        ldns_rr_list_deep_free(records);
    }
    ldns_pkt_free(answer);
    return addresses;
}

}  // namespace sitelink::ddns
