// mDNS / DNS-SD discovery through the dns_sd API (Avahi's compatibility library, which talks to
// avahi-daemon over D-Bus). Which service types to browse comes from profiles/, not code.
// Avahi's dns_sd has no DNSServiceGetAddrInfo, so addresses come from DNSServiceQueryRecord.
#pragma once
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/net.h"
#include "core/profiles.h"

namespace sitelink::discover {

struct MdnsService {
    std::string type;      // _axis-video._tcp
    std::string instance;  // "AXIS P3245-LV - ACCC8E000001"
    int port = 0;
    std::map<std::string, std::string> txt;
};

// Everything one host announced, grouped by its mDNS host name.
struct MdnsHost {
    std::string hostname;  // cam1.local.
    std::optional<Ipv4> address;
    std::optional<std::string> mac;     // from the TXT key its profile names
    std::optional<std::string> serial;
    std::optional<std::string> model;
    bool identifies_camera = false;     // at least one of its service types says it is a camera
    std::vector<MdnsService> services;
};

struct MdnsOutcome {
    std::vector<MdnsHost> hosts;
    std::optional<std::string> unavailable;  // why mDNS could not be used, said once
};

// Browses on the chosen interface only, until no new answer has come for a short while, at most
// `limit`. Never fails: without avahi-daemon, `unavailable` says so.
MdnsOutcome browse_mdns(const NetworkInterface& nic, const std::vector<MdnsServiceProfile>& types,
                        std::chrono::milliseconds limit);

}  // namespace sitelink::discover
