// Stage 1 of the flow: find the cameras and recorders on the site's network.
// Entry point: discover(). WS-Discovery multicast on the interface the user chose, mDNS/DNS-SD
// through avahi at the same time, and an optional unicast sweep of a subnet that multicast cannot
// reach. One list comes out, keyed by EndpointReference, MAC or serial, never by IP.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/error.h"
#include "core/profiles.h"

namespace sitelink::discover {

struct DiscoverRequest {
    std::string interface;                      // required: Sitelink never sends on an interface not chosen
    std::optional<std::string> sweep;           // CIDR, e.g. 192.168.78.0/24
    std::chrono::milliseconds timeout{5000};    // upper bound; discovery ends earlier when answers stop
    int multicast_ttl = 1;
    // DNS-SD types to browse at the same time (from profiles/); empty: no mDNS.
    std::vector<MdnsServiceProfile> mdns_services;
};

struct DiscoverProgress {
    std::function<void(const DiscoveredDevice&)> on_new_device;
    std::function<void(const std::string&)> on_note;  // things worth telling, e.g. a device said Bye
};

struct DiscoverOutcome {
    std::vector<DiscoveredDevice> devices;  // sorted by address
    std::vector<std::string> notes;
    std::chrono::milliseconds elapsed{0};
    std::chrono::milliseconds last_new_device{0};  // when the last device was first heard
    int probes_sent = 0;
    int answers_ignored = 0;  // replies to other clients' probes, malformed datagrams
};

// The largest sweep accepted: a /16.
constexpr int kMinSweepPrefix = 16;

// The device service URL to use for a found device: the announced one on the address it was
// reached at (devices announce URLs on every address they have, some not routable from here).
std::string device_service_url(const DiscoveredDevice& found);

Result<DiscoverOutcome> discover(const DiscoverRequest& request, const DiscoverProgress& progress = {});

}  // namespace sitelink::discover
