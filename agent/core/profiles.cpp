#include "core/profiles.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <cctype>
#include <set>

#include "core/device.h"

namespace sitelink {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kVendorSchema = 1;
constexpr int kRouterSchema = 1;
constexpr int kDdnsSchema = 1;
constexpr int kAppSchema = 1;

// Validation failures carry the file and the JSON path of the offending key.
struct Invalid {
    std::string where;
    std::string what;
};

void only_keys(const json& object, const std::string& where, std::initializer_list<const char*> allowed) {
    if (!object.is_object()) throw Invalid{where, "must be an object"};
    for (const auto& item : object.items()) {
        const std::string& key = item.key();
        if (std::none_of(allowed.begin(), allowed.end(), [&](const char* k) { return key == k; }))
            throw Invalid{where + "." + key, "unknown key"};
    }
}

template <class T>
T required(const json& object, const char* key, const std::string& where) {
    if (!object.contains(key)) throw Invalid{where + "." + key, "missing"};
    try {
        return object.at(key).get<T>();
    } catch (const json::exception&) {
        throw Invalid{where + "." + key, "has the wrong type"};
    }
}

void check_schema(const json& j, int schema) {
    if (!j.contains("schema") || !j.at("schema").is_number_integer() || j.at("schema").get<long long>() != schema)
        throw Invalid{".schema", "must be " + std::to_string(schema)};
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

void check_protocol(const std::string& protocol, const std::string& where) {
    if (protocol != "TCP" && protocol != "UDP") throw Invalid{where, "must be \"TCP\" or \"UDP\""};
}

std::vector<AppPort> parse_app_ports(const json& j) {
    std::vector<AppPort> out;
    if (!j.contains("app_ports")) return out;
    if (!j.at("app_ports").is_array()) throw Invalid{".app_ports", "must be an array"};
    for (std::size_t i = 0; i < j.at("app_ports").size(); ++i) {
        const json& item = j.at("app_ports")[i];
        const std::string where = ".app_ports[" + std::to_string(i) + "]";
        only_keys(item, where, {"service", "port", "protocol", "roles", "purpose"});
        AppPort a;
        a.service = required<std::string>(item, "service", where);
        a.port = required<int>(item, "port", where);
        if (a.port < 1 || a.port > 65535) throw Invalid{where + ".port", "must be 1-65535"};
        a.protocol = required<std::string>(item, "protocol", where);
        check_protocol(a.protocol, where + ".protocol");
        a.roles = required<std::vector<std::string>>(item, "roles", where);
        for (const auto& role : a.roles)
            if (role != "recorder" && role != "camera") throw Invalid{where + ".roles", "'" + role + "' is not recorder or camera"};
        a.purpose = required<std::string>(item, "purpose", where);
        out.push_back(a);
    }
    return out;
}

RouterProfile parse_router(const json& j, const std::string& id) {
    only_keys(j, "", {"schema", "family", "match", "admin_url", "menu", "add", "fields", "protocol_values", "save", "remove",
                      "upnp_menu", "notes"});
    check_schema(j, kRouterSchema);
    RouterProfile r;
    r.id = id;
    r.family = required<std::string>(j, "family", "");
    r.match = required<std::vector<std::vector<std::string>>>(j, "match", "");
    for (const auto& alternative : r.match)
        for (const auto& word : alternative)
            if (word.empty() || word != lower(word)) throw Invalid{".match", "'" + word + "' must be non-empty lower case"};
    r.admin_url = required<std::string>(j, "admin_url", "");
    r.menu = required<std::vector<std::string>>(j, "menu", "");
    r.add = required<std::string>(j, "add", "");
    if (!j.contains("fields")) throw Invalid{".fields", "missing"};
    const json& fields = j.at("fields");
    only_keys(fields, ".fields", {"name", "external_port", "internal_address", "internal_port", "protocol"});
    if (fields.contains("name") && !fields.at("name").is_null()) r.field_name = required<std::string>(fields, "name", ".fields");
    r.field_external_port = required<std::string>(fields, "external_port", ".fields");
    r.field_internal_address = required<std::string>(fields, "internal_address", ".fields");
    r.field_internal_port = required<std::string>(fields, "internal_port", ".fields");
    r.field_protocol = required<std::string>(fields, "protocol", ".fields");
    r.protocol_values = required<std::map<std::string, std::string>>(j, "protocol_values", "");
    for (const char* protocol : {"TCP", "UDP"})
        if (!r.protocol_values.count(protocol)) throw Invalid{std::string(".protocol_values.") + protocol, "missing"};
    r.save = required<std::string>(j, "save", "");
    r.remove = required<std::string>(j, "remove", "");
    if (j.contains("upnp_menu") && !j.at("upnp_menu").is_null())
        r.upnp_menu = required<std::vector<std::string>>(j, "upnp_menu", "");
    r.notes = required<std::vector<std::string>>(j, "notes", "");
    return r;
}

DdnsProviderProfile parse_ddns_provider(const json& j, const std::string& id) {
    only_keys(j, "", {"schema", "name", "protocol", "base_url", "hostname_suffix", "username", "secret", "notes"});
    check_schema(j, kDdnsSchema);
    DdnsProviderProfile p;
    p.id = id;
    p.name = required<std::string>(j, "name", "");
    p.protocol = required<std::string>(j, "protocol", "");
    if (p.protocol != "dyndns2" && p.protocol != "duckdns" && p.protocol != "cloudflare" && p.protocol != "rfc2136")
        throw Invalid{".protocol", "'" + p.protocol + "' is not dyndns2, duckdns, cloudflare or rfc2136"};
    p.base_url = required<std::string>(j, "base_url", "");
    if (!p.base_url.empty() && p.base_url.rfind("https://", 0) != 0 && p.base_url.rfind("http://", 0) != 0)
        throw Invalid{".base_url", "must start with https:// (or be empty)"};
    if (p.protocol == "rfc2136" && !p.base_url.empty()) throw Invalid{".base_url", "must be empty for rfc2136"};
    if (j.contains("hostname_suffix")) p.hostname_suffix = lower(required<std::string>(j, "hostname_suffix", ""));
    if (!p.hostname_suffix.empty() && p.hostname_suffix[0] != '.') throw Invalid{".hostname_suffix", "must start with '.'"};
    p.username_label = required<std::string>(j, "username", "");
    p.secret_label = required<std::string>(j, "secret", "");
    if (p.secret_label.empty()) throw Invalid{".secret", "must say what the secret is"};
    p.notes = required<std::vector<std::string>>(j, "notes", "");
    return p;
}

PhoneAppProfile parse_phone_app(const json& j, const std::string& id) {
    only_keys(j, "", {"schema", "name", "platforms", "opens", "vendors", "steps"});
    check_schema(j, kAppSchema);
    PhoneAppProfile a;
    a.id = id;
    a.name = required<std::string>(j, "name", "");
    a.platforms = required<std::vector<std::string>>(j, "platforms", "");
    for (const auto& p : a.platforms)
        if (p != "Android" && p != "iOS") throw Invalid{".platforms", "'" + p + "' is not Android or iOS"};
    a.opens = required<std::string>(j, "opens", "");
    if (a.opens != "rtsp" && a.opens != "onvif" && a.opens != "vendor") throw Invalid{".opens", "must be rtsp, onvif or vendor"};
    a.vendors = required<std::vector<std::string>>(j, "vendors", "");
    if (a.opens == "vendor" && a.vendors.empty()) throw Invalid{".vendors", "a vendor app must name its vendors"};
    a.steps = required<std::vector<std::string>>(j, "steps", "");
    if (a.name.empty() || a.platforms.empty() || a.steps.empty()) throw Invalid{"", "needs a name, platforms and steps"};
    return a;
}

VendorProfile parse_vendor(const json& j) {
    only_keys(j, "", {"schema", "vendor", "manufacturer_names", "mac_prefixes", "mdns", "app_ports", "ddns_client"});
    check_schema(j, kVendorSchema);
    VendorProfile v;
    v.vendor = required<std::string>(j, "vendor", "");
    v.manufacturer_names = required<std::vector<std::string>>(j, "manufacturer_names", "");
    v.mac_prefixes = required<std::vector<std::string>>(j, "mac_prefixes", "");
    for (const auto& prefix : v.mac_prefixes)
        if (prefix.size() != 8 || prefix[2] != ':' || prefix[5] != ':' ||
            std::any_of(prefix.begin(), prefix.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); }))
            throw Invalid{".mac_prefixes", "'" + prefix + "' is not like ac:cc:8e"};
    const json mdns = j.contains("mdns") ? j.at("mdns") : json::array();
    if (!mdns.is_array()) throw Invalid{".mdns", "must be an array"};
    for (std::size_t i = 0; i < mdns.size(); ++i) {
        const std::string where = ".mdns[" + std::to_string(i) + "]";
        only_keys(mdns[i], where, {"service", "identifies_camera", "txt"});
        MdnsServiceProfile s;
        s.service = required<std::string>(mdns[i], "service", where);
        if (s.service.size() < 7 || s.service[0] != '_' ||
            (s.service.substr(s.service.size() - 5) != "._tcp" && s.service.substr(s.service.size() - 5) != "._udp"))
            throw Invalid{where + ".service", "'" + s.service + "' is not a DNS-SD type like _http._tcp"};
        s.identifies_camera = required<bool>(mdns[i], "identifies_camera", where);
        if (mdns[i].contains("txt")) {
            only_keys(mdns[i].at("txt"), where + ".txt", {"mac", "serial", "model"});
            s.txt = mdns[i].at("txt").get<std::map<std::string, std::string>>();
        }
        s.vendor = v.vendor;
        v.mdns.push_back(s);
    }
    v.app_ports = parse_app_ports(j);
    if (j.contains("ddns_client")) {
        const json& c = j.at("ddns_client");
        only_keys(c, ".ddns_client", {"menu", "providers", "notes"});
        DeviceDdnsClient client{required<std::vector<std::string>>(c, "menu", ".ddns_client"),
                                required<std::vector<std::string>>(c, "providers", ".ddns_client"),
                                required<std::vector<std::string>>(c, "notes", ".ddns_client")};
        if (client.menu.empty() || client.providers.empty()) throw Invalid{".ddns_client", "needs a menu and at least one provider"};
        v.ddns_client = client;
    }
    return v;
}

// Every *.json file in dir, parsed by parse(file, json); the error names the file and key.
template <class Parse>
Result<Done> load_folder(const fs::path& dir, Parse parse) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return Error{ErrorCode::ProfileInvalid, dir.string(), "no such folder; set SITELINK_PROFILES", ""};
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        try {
            std::ifstream in(file);
            parse(file, json::parse(in));
        } catch (const Invalid& bad) {
            return Error{ErrorCode::ProfileInvalid, file.string(), (bad.where.empty() ? "" : bad.where.substr(1) + " ") + bad.what, ""};
        } catch (const json::exception& e) {
            return Error{ErrorCode::ProfileInvalid, file.string(), e.what(), ""};
        }
    }
    return Done{};
}

}  // namespace

std::vector<MdnsServiceProfile> Profiles::mdns_services() const {
    std::vector<MdnsServiceProfile> out;
    std::set<std::string> seen;
    for (const auto& v : vendors)
        for (const auto& s : v.mdns)
            if (seen.insert(s.service).second) out.push_back(s);
    return out;
}

std::string profiles_dir() {
    if (const char* env = std::getenv("SITELINK_PROFILES")) return env;
    return SITELINK_DEFAULT_PROFILES_DIR;
}

Result<Profiles> load_profiles(const std::string& dir) {
    Profiles profiles;
    auto vendors = load_folder(fs::path(dir) / "vendors",
                               [&](const fs::path&, const json& j) { profiles.vendors.push_back(parse_vendor(j)); });
    if (!vendors) return vendors.error();
    auto routers = load_folder(fs::path(dir) / "routers", [&](const fs::path& file, const json& j) {
        profiles.routers.push_back(parse_router(j, file.stem().string()));
    });
    if (!routers) return routers.error();
    auto ddns = load_folder(fs::path(dir) / "ddns", [&](const fs::path& file, const json& j) {
        profiles.ddns_providers.push_back(parse_ddns_provider(j, file.stem().string()));
    });
    if (!ddns) return ddns.error();
    auto apps = load_folder(fs::path(dir) / "apps", [&](const fs::path& file, const json& j) {
        profiles.phone_apps.push_back(parse_phone_app(j, file.stem().string()));
    });
    if (!apps) return apps.error();
    for (const auto& a : profiles.phone_apps)
        for (const auto& vendor : a.vendors)
            if (std::none_of(profiles.vendors.begin(), profiles.vendors.end(), [&](const VendorProfile& v) { return v.vendor == vendor; }))
                return Error{ErrorCode::ProfileInvalid, (fs::path(dir) / "apps" / (a.id + ".json")).string(),
                             "vendors names '" + vendor + "', which is no vendor in vendors/", ""};
    for (const auto& v : profiles.vendors)
        if (v.ddns_client)
            for (const auto& id : v.ddns_client->providers)
                if (profiles.ddns_provider(id) == nullptr)
                    return Error{ErrorCode::ProfileInvalid, (fs::path(dir) / "vendors").string(),
                                 v.vendor + ": ddns_client.providers names '" + id + "', which is not in ddns/", ""};
    if (profiles.router("generic") == nullptr)
        return Error{ErrorCode::ProfileInvalid, (fs::path(dir) / "routers" / "generic.json").string(),
                     "missing: the manual guide needs a generic router profile", ""};
    return profiles;
}

bool VendorProfile::made(const std::string& manufacturer) const {
    const std::string wanted = lower(manufacturer);
    return std::any_of(manufacturer_names.begin(), manufacturer_names.end(),
                       [&](const std::string& name) { return !name.empty() && wanted.find(lower(name)) != std::string::npos; });
}

const VendorProfile* Profiles::vendor_of(const std::string& manufacturer) const {
    for (const auto& v : vendors)
        if (v.made(manufacturer)) return &v;
    return nullptr;
}

const VendorProfile* Profiles::vendor_by_mac(const std::string& mac) const {
    const std::string normalized = normalize_mac(mac);
    for (const auto& v : vendors)
        for (const auto& prefix : v.mac_prefixes)
            if (normalized.rfind(prefix, 0) == 0) return &v;
    return nullptr;
}

const RouterProfile* Profiles::router(const std::string& id) const {
    for (const auto& r : routers)
        if (r.id == id) return &r;
    return nullptr;
}

const DdnsProviderProfile* Profiles::ddns_provider(const std::string& id) const {
    for (const auto& p : ddns_providers)
        if (p.id == id) return &p;
    return nullptr;
}

bool RouterProfile::matches(const std::string& description) const {
    const std::string text = lower(description);
    return std::any_of(match.begin(), match.end(), [&](const std::vector<std::string>& words) {
        return !words.empty() && std::all_of(words.begin(), words.end(),
                                             [&](const std::string& w) { return text.find(w) != std::string::npos; });
    });
}

}  // namespace sitelink
