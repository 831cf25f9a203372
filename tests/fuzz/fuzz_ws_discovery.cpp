// libFuzzer target: WS-Discovery datagrams (ProbeMatches, Hello, Bye) as devices send them,
// parsed with one reused MessageParser, as discovery does for every datagram it hears.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "discover/ws_discovery.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static sitelink::discover::MessageParser parser;
    const auto msg = parser.parse(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!msg) return 0;
    // Touch what discovery reads, so lifetime bugs in the copied-out strings show up under ASan.
    std::size_t total = msg->message_id.size() + msg->relates_to.size();
    for (const auto& a : msg->announcements) {
        total += a.endpoint.size() + a.metadata_version;
        for (const auto& t : a.types) total += t.size();
        for (const auto& x : a.xaddrs) total += x.size();
        for (const auto& s : a.scopes.all) total += s.size();
        if (a.scopes.mac) total += a.scopes.mac->size();
    }
    volatile std::size_t sink = total;
    (void)sink;
    return 0;
}
