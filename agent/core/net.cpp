#include "core/net.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

namespace sitelink {

std::optional<Ipv4> Ipv4::parse(const std::string& text) {
    in_addr addr{};
    if (inet_pton(AF_INET, text.c_str(), &addr) != 1) return std::nullopt;
    return Ipv4{ntohl(addr.s_addr)};
}

std::string Ipv4::str() const {
    in_addr addr{htonl(value)};
    char buf[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &addr, buf, sizeof buf);
    return buf;
}

namespace {
std::uint32_t mask_of(int prefix) { return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix); }
}  // namespace

std::optional<Ipv4Subnet> Ipv4Subnet::parse(const std::string& text) {
    auto slash = text.find('/');
    if (slash == std::string::npos) return std::nullopt;
    auto address = Ipv4::parse(text.substr(0, slash));
    const std::string prefix_text = text.substr(slash + 1);
    if (!address || prefix_text.empty() || prefix_text.size() > 2 ||
        prefix_text.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    const int prefix = std::stoi(prefix_text);
    if (prefix > 32) return std::nullopt;
    return Ipv4Subnet{Ipv4{address->value & mask_of(prefix)}, prefix};
}

bool Ipv4Subnet::contains(Ipv4 address) const {
    return (address.value & mask_of(prefix)) == network.value;
}

std::vector<Ipv4> Ipv4Subnet::hosts() const {
    std::vector<Ipv4> out;
    const std::uint64_t n = size();
    const std::uint64_t first = prefix <= 30 ? 1 : 0;
    const std::uint64_t last = prefix <= 30 ? n - 1 : n;  // exclusive
    out.reserve(last - first);
    for (std::uint64_t i = first; i < last; ++i) out.push_back(Ipv4{network.value + static_cast<std::uint32_t>(i)});
    return out;
}

std::string Ipv4Subnet::str() const { return network.str() + "/" + std::to_string(prefix); }

std::optional<Ipv4Subnet> NetworkInterface::subnet() const {
    if (!address) return std::nullopt;
    return Ipv4Subnet{Ipv4{address->value & mask_of(prefix)}, prefix};
}

std::vector<NetworkInterface> list_interfaces() {
    ifaddrs* raw = nullptr;
    if (getifaddrs(&raw) != 0) return {};
    std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> all(raw, &freeifaddrs);

    std::vector<NetworkInterface> out;
    std::map<std::string, std::size_t> position;
    for (ifaddrs* it = raw; it != nullptr; it = it->ifa_next) {
        if (it->ifa_name == nullptr) continue;
        auto [slot, inserted] = position.try_emplace(it->ifa_name, out.size());
        if (inserted) {
            NetworkInterface nic;
            nic.name = it->ifa_name;
            nic.index = static_cast<int>(if_nametoindex(it->ifa_name));
            nic.up = (it->ifa_flags & IFF_UP) != 0;
            nic.loopback = (it->ifa_flags & IFF_LOOPBACK) != 0;
            nic.multicast = (it->ifa_flags & IFF_MULTICAST) != 0;
            out.push_back(nic);
        }
        NetworkInterface& nic = out[slot->second];
        if (it->ifa_addr != nullptr && it->ifa_addr->sa_family == AF_INET && !nic.address) {
            const auto* addr = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
            nic.address = Ipv4{ntohl(addr->sin_addr.s_addr)};
            if (it->ifa_netmask != nullptr) {
                const auto* mask = reinterpret_cast<const sockaddr_in*>(it->ifa_netmask);
                nic.prefix = __builtin_popcount(ntohl(mask->sin_addr.s_addr));
            }
        }
    }
    return out;
}

Result<NetworkInterface> find_interface(const std::string& name) {
    for (auto& nic : list_interfaces()) {
        if (nic.name != name) continue;
        if (!nic.address) return Error{ErrorCode::NoSuchInterface, name, "it has no IPv4 address", ""};
        if (!nic.up) return Error{ErrorCode::NoSuchInterface, name, "it is down", ""};
        return nic;
    }
    return Error{ErrorCode::NoSuchInterface, name, "", ""};
}

std::optional<Ipv4> default_gateway(const std::string& interface) {
    std::ifstream routes("/proc/net/route");
    std::string line;
    std::getline(routes, line);  // header
    while (std::getline(routes, line)) {
        std::istringstream fields(line);
        std::string name, destination, gateway;
        if (!(fields >> name >> destination >> gateway) || name != interface || destination != "00000000") continue;
        const auto raw = static_cast<std::uint32_t>(std::stoul(gateway, nullptr, 16));  // network byte order, as hex
        const std::uint32_t value = ((raw & 0xff) << 24) | ((raw & 0xff00) << 8) | ((raw >> 8) & 0xff00) | (raw >> 24);
        if (value != 0) return Ipv4{value};
    }
    return std::nullopt;
}

std::vector<std::string> resolve_ipv4(const std::string& name) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0) return {};
    std::vector<std::string> addresses;
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
        const std::string text = Ipv4{ntohl(reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr.s_addr)}.str();
        if (std::find(addresses.begin(), addresses.end(), text) == addresses.end()) addresses.push_back(text);
    }
    freeaddrinfo(found);
    return addresses;
}

UrlParts split_url(const std::string& url) {
    const auto scheme_end = url.find("://");
    const auto path_start = scheme_end == std::string::npos ? std::string::npos : url.find('/', scheme_end + 3);
    if (path_start == std::string::npos) return {url, ""};
    return {url.substr(0, path_start), url.substr(path_start)};
}

std::string url_host(const std::string& url) {
    auto start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    const auto at = url.find('@', start);
    const auto path = url.find('/', start);
    if (at != std::string::npos && (path == std::string::npos || at < path)) start = at + 1;
    if (start < url.size() && url[start] == '[') {  // IPv6 literal
        const auto close = url.find(']', start);
        return close == std::string::npos ? "" : url.substr(start + 1, close - start - 1);
    }
    const auto end = url.find_first_of(":/?#", start);
    return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string on_device_host(const std::string& service_url, const std::string& device_url) {
    const std::string service_host = url_host(service_url);
    const std::string device_host = url_host(device_url);
    if (service_host.empty() || device_host.empty() || service_host == device_host) return service_url;
    const auto at = service_url.find(service_host);
    return service_url.substr(0, at) + device_host + service_url.substr(at + service_host.size());
}

}  // namespace sitelink
