#include "discover/mdns.h"

#include <arpa/inet.h>
#include <dns_sd.h>
#include <poll.h>

#include <cstdlib>
#include <cstring>
#include <list>

namespace sitelink::discover {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Avahi answers from its cache at once and from the network within a few hundred ms.
constexpr milliseconds kMinimumBrowse{700};
constexpr milliseconds kQuietAfterLastAnswer{300};

struct Browser;

// One outstanding dns_sd operation and what it is for.
struct Operation {
    Browser* browser = nullptr;
    DNSServiceRef ref = nullptr;
    const MdnsServiceProfile* profile = nullptr;
    std::string instance;  // for resolves
    std::string hostname;  // for address queries
};

struct Browser {
    std::uint32_t ifindex = 0;
    std::list<Operation> operations;  // stable addresses: callbacks get a pointer
    std::map<std::string, MdnsHost> hosts;
    Clock::time_point last_answer = Clock::now();

    Operation& add() {
        operations.emplace_back();
        operations.back().browser = this;
        return operations.back();
    }
    ~Browser() {
        for (auto& op : operations)
            if (op.ref) DNSServiceRefDeallocate(op.ref);
    }
};

std::map<std::string, std::string> txt_items(std::uint16_t length, const unsigned char* record) {
    std::map<std::string, std::string> out;
    const std::uint16_t count = TXTRecordGetCount(length, record);
    for (std::uint16_t i = 0; i < count; ++i) {
        char key[256] = {};
        std::uint8_t value_length = 0;
        const void* value = nullptr;
        if (TXTRecordGetItemAtIndex(length, record, i, sizeof key, key, &value_length, &value) != kDNSServiceErr_NoError)
            continue;
        out[key] = value ? std::string(static_cast<const char*>(value), value_length) : "";
    }
    return out;
}

void DNSSD_API on_address(DNSServiceRef, DNSServiceFlags flags, std::uint32_t, DNSServiceErrorType error,
                          const char*, std::uint16_t rrtype, std::uint16_t, std::uint16_t rdlen, const void* rdata,
                          std::uint32_t, void* context) {
    auto* op = static_cast<Operation*>(context);
    if (error != kDNSServiceErr_NoError || !(flags & kDNSServiceFlagsAdd) || rrtype != kDNSServiceType_A || rdlen != 4)
        return;
    in_addr addr;
    std::memcpy(&addr, rdata, 4);
    auto& host = op->browser->hosts[op->hostname];
    if (!host.address) host.address = Ipv4{ntohl(addr.s_addr)};
    op->browser->last_answer = Clock::now();
}

void DNSSD_API on_resolved(DNSServiceRef, DNSServiceFlags, std::uint32_t ifindex, DNSServiceErrorType error,
                           const char*, const char* hosttarget, std::uint16_t port_be, std::uint16_t txt_length,
                           const unsigned char* txt, void* context) {
    auto* op = static_cast<Operation*>(context);
    if (error != kDNSServiceErr_NoError || hosttarget == nullptr) return;
    Browser& b = *op->browser;
    b.last_answer = Clock::now();
    const std::string hostname = hosttarget;
    const bool first_time = b.hosts.find(hostname) == b.hosts.end();
    MdnsHost& host = b.hosts[hostname];
    host.hostname = hostname;
    MdnsService service{op->profile->service, op->instance, ntohs(port_be), txt_items(txt_length, txt)};
    for (const auto& [wanted, key] : op->profile->txt) {
        auto it = service.txt.find(key);
        if (it == service.txt.end() || it->second.empty()) continue;
        if (wanted == "mac" && !host.mac) host.mac = normalize_mac(it->second);
        if (wanted == "serial" && !host.serial) host.serial = it->second;
        if (wanted == "model" && !host.model) host.model = it->second;
    }
    host.identifies_camera = host.identifies_camera || op->profile->identifies_camera;
    host.services.push_back(std::move(service));
    if (!first_time) return;
    Operation& query = b.add();
    query.hostname = hostname;
    if (DNSServiceQueryRecord(&query.ref, 0, ifindex, hosttarget, kDNSServiceType_A, kDNSServiceClass_IN, on_address,
                              &query) != kDNSServiceErr_NoError)
        query.ref = nullptr;
}

void DNSSD_API on_found(DNSServiceRef, DNSServiceFlags flags, std::uint32_t ifindex, DNSServiceErrorType error,
                        const char* name, const char* type, const char* domain, void* context) {
    auto* op = static_cast<Operation*>(context);
    if (error != kDNSServiceErr_NoError || !(flags & kDNSServiceFlagsAdd)) return;
    Browser& b = *op->browser;
    b.last_answer = Clock::now();
    Operation& resolve = b.add();
    resolve.profile = op->profile;
    resolve.instance = name;
    if (DNSServiceResolve(&resolve.ref, 0, ifindex, name, type, domain, on_resolved, &resolve) != kDNSServiceErr_NoError)
        resolve.ref = nullptr;
}

}  // namespace

MdnsOutcome browse_mdns(const NetworkInterface& nic, const std::vector<MdnsServiceProfile>& types,
                        milliseconds limit) {
    setenv("AVAHI_COMPAT_NOWARN", "1", 0);  // Avahi's compat layer otherwise prints a banner to stderr
    MdnsOutcome outcome;
    Browser b;
    b.ifindex = static_cast<std::uint32_t>(nic.index);
    for (const auto& type : types) {
        Operation& browse = b.add();
        browse.profile = &type;
        const DNSServiceErrorType rc =
            DNSServiceBrowse(&browse.ref, 0, b.ifindex, type.service.c_str(), "local.", on_found, &browse);
        if (rc != kDNSServiceErr_NoError) {
            browse.ref = nullptr;
            outcome.unavailable = "mDNS unavailable: avahi-daemon is not running or not reachable over D-Bus (dns_sd error " +
                                  std::to_string(rc) + "); WS-Discovery still works";
            return outcome;
        }
    }
    const auto started = Clock::now();
    for (;;) {
        const auto now = Clock::now();
        const auto quiet_end = std::max(started + kMinimumBrowse, b.last_answer + kQuietAfterLastAnswer);
        const auto end = std::min(quiet_end, started + limit);
        if (now >= end) break;
        std::vector<pollfd> fds;
        std::vector<Operation*> owners;
        for (auto& op : b.operations)
            if (op.ref) {
                fds.push_back({DNSServiceRefSockFD(op.ref), POLLIN, 0});
                owners.push_back(&op);
            }
        const int wait = static_cast<int>(std::chrono::duration_cast<milliseconds>(end - now).count()) + 1;
        if (poll(fds.data(), fds.size(), wait) <= 0) continue;
        for (std::size_t i = 0; i < fds.size(); ++i)
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
                if (DNSServiceProcessResult(owners[i]->ref) != kDNSServiceErr_NoError) {
                    DNSServiceRefDeallocate(owners[i]->ref);
                    owners[i]->ref = nullptr;
                }
    }
    for (auto& [name, host] : b.hosts) outcome.hosts.push_back(std::move(host));
    return outcome;
}

}  // namespace sitelink::discover
