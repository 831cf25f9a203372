#include "core/device.h"

#include <cctype>
#include <nlohmann/json.hpp>

namespace sitelink {

std::string device_key(const std::string& endpoint, const std::string& mac, const std::string& address) {
    return !endpoint.empty() ? endpoint : !mac.empty() ? "mac:" + mac : "address:" + address;
}

std::string device_key(const DiscoveredDevice& found) {
    return device_key(found.endpoint, normalize_mac(found.scopes.mac.value_or("")), found.address);
}

std::string normalize_mac(const std::string& text) {
    std::string hex;
    for (char c : text) {
        if (std::isxdigit(static_cast<unsigned char>(c)))
            hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        else if (c != ':' && c != '-' && c != '.')
            return text;
    }
    if (hex.size() != 12) return text;
    std::string out;
    for (std::size_t i = 0; i < 12; i += 2) {
        if (!out.empty()) out += ':';
        out += hex.substr(i, 2);
    }
    return out;
}

namespace {
template <class T>
void put_optional(nlohmann::json& j, const char* key, const std::optional<T>& v) {
    if (v) j[key] = *v;
}
}  // namespace

void to_json(nlohmann::json& j, const DeviceScopes& v) {
    j = nlohmann::json::object();
    put_optional(j, "name", v.name);
    put_optional(j, "hardware", v.hardware);
    put_optional(j, "location", v.location);
    put_optional(j, "mac", v.mac);
    put_optional(j, "serial", v.serial);
    j["profiles"] = v.profiles;
    j["all"] = v.all;
}

void to_json(nlohmann::json& j, const DiscoveredDevice& v) {
    j = {{"endpoint", v.endpoint}, {"xaddrs", v.xaddrs},     {"address", v.address},
         {"types", v.types},       {"scopes", v.scopes},     {"found_by", v.found_by},
         {"metadata_version", v.metadata_version}};
    if (!v.mdns_hostname.empty()) j["mdns"] = {{"hostname", v.mdns_hostname}, {"services", v.mdns_services}};
}

void to_json(nlohmann::json& j, const NetworkSettings& v) {
    j = {{"address", v.address}, {"prefix", v.prefix}, {"dhcp", v.dhcp}, {"dns", v.dns},
         {"interface_token", v.interface_token}};
    j["gateway"] = v.gateway ? nlohmann::json(*v.gateway) : nlohmann::json(nullptr);
}

void from_json(const nlohmann::json& j, NetworkSettings& v) {
    v.address = j.at("address").get<std::string>();
    v.prefix = j.at("prefix").get<int>();
    v.dhcp = j.at("dhcp").get<bool>();
    v.dns = j.at("dns").get<std::vector<std::string>>();
    v.interface_token = j.value("interface_token", "");
    const auto& gateway = j.at("gateway");
    v.gateway = gateway.is_null() ? std::nullopt : std::optional<std::string>(gateway.get<std::string>());
}

void to_json(nlohmann::json& j, const MediaProfile& v) {
    j = {{"token", v.token},   {"name", v.name},         {"encoding", v.encoding},        {"width", v.width},
         {"height", v.height}, {"stream_uri", v.stream_uri}, {"snapshot_uri", v.snapshot_uri}};
}

void to_json(nlohmann::json& j, const ServiceEndpoint& v) {
    j = {{"namespace", v.ns}, {"xaddr", v.xaddr}, {"version", v.version}};
}

void to_json(nlohmann::json& j, const ProtocolSetting& v) {
    j = {{"name", v.name}, {"enabled", v.enabled}, {"ports", v.ports}};
}

void to_json(nlohmann::json& j, const UserAccount& v) { j = {{"username", v.username}, {"level", v.level}}; }

void to_json(nlohmann::json& j, const DeviceReport& v) {
    j = {{"url", v.url},
         {"manufacturer", v.manufacturer},
         {"model", v.model},
         {"firmware", v.firmware},
         {"serial", v.serial},
         {"hardware_id", v.hardware_id},
         {"mac", v.mac},
         {"network", v.network},
         {"clock_offset_s", v.clock_offset_s},
         {"auth", v.auth},
         {"services", v.services},
         {"protocols", v.protocols},
         {"users", v.users},
         {"profiles", v.profiles},
         {"warnings", v.warnings}};
}

}  // namespace sitelink
