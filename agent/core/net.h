// IPv4 addresses, subnets and the laptop's network interfaces.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace sitelink {

// An IPv4 address in host byte order.
struct Ipv4 {
    std::uint32_t value = 0;

    static std::optional<Ipv4> parse(const std::string& text);
    std::string str() const;
    auto operator<=>(const Ipv4&) const = default;
};

struct Ipv4Subnet {
    Ipv4 network;
    int prefix = 32;

    // "192.168.1.0/24"; a host address with a prefix is accepted and masked.
    static std::optional<Ipv4Subnet> parse(const std::string& text);
    bool contains(Ipv4 address) const;
    std::uint64_t size() const { return std::uint64_t{1} << (32 - prefix); }
    // Usable host addresses: all but the network and broadcast address for prefixes up to /30.
    std::vector<Ipv4> hosts() const;
    std::string str() const;
};

struct NetworkInterface {
    std::string name;
    int index = 0;
    std::optional<Ipv4> address;  // the first IPv4 address
    int prefix = 0;
    bool up = false;
    bool loopback = false;
    bool multicast = false;

    std::optional<Ipv4Subnet> subnet() const;
};

// Every interface of this network namespace, IPv4 or not, in the kernel's order.
std::vector<NetworkInterface> list_interfaces();
// The interface the user chose; an error naming the choice if it is missing or has no IPv4.
Result<NetworkInterface> find_interface(const std::string& name);

// The default gateway through the interface, from the kernel's routing table.
std::optional<Ipv4> default_gateway(const std::string& interface);

// A host's IPv4 addresses from the system's resolver (getaddrinfo; an address is itself),
// without repeats; none if it does not resolve.
std::vector<std::string> resolve_ipv4(const std::string& name);

// Host part of a URL: "http://10.0.0.5:8080/onvif/device_service" -> "10.0.0.5".
std::string url_host(const std::string& url);
// "https://api.example.com:8443/client/v4" -> {"https://api.example.com:8443", "/client/v4"}; the
// path is "" when the URL has none. The split cpp-httplib's clients want (origin, then path).
struct UrlParts {
    std::string origin;
    std::string path;
};
UrlParts split_url(const std::string& url);
// Devices often announce service URLs with a stale or internal host. Keeps the scheme, port and
// path of service_url but puts in the host of device_url, which Sitelink actually reached.
std::string on_device_host(const std::string& service_url, const std::string& device_url);

}  // namespace sitelink
