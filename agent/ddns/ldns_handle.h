// ldns, included the one safe way, and ownership of the packets it allocates.
#pragma once
#include <memory>

// First: without it, ldns defines false and true as macros (0 and 1) for everything after it.
#include <stdbool.h>
#include <ldns/ldns.h>

namespace sitelink::ddns {

struct PacketDeleter {
    void operator()(ldns_pkt* packet) const { ldns_pkt_free(packet); }
};
using Packet = std::unique_ptr<ldns_pkt, PacketDeleter>;

}  // namespace sitelink::ddns
