#include "core/profiles.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

namespace sitelink {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kVendorSchema = 1;

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

VendorProfile parse_vendor(const json& j) {
    only_keys(j, "", {"schema", "vendor", "manufacturer_names", "mac_prefixes", "mdns"});
    if (!j.contains("schema") || !j.at("schema").is_number_integer() || j.at("schema").get<long long>() != kVendorSchema)
        throw Invalid{".schema", "must be " + std::to_string(kVendorSchema)};
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
    return v;
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
    const fs::path vendors = fs::path(dir) / "vendors";
    std::error_code ec;
    if (!fs::is_directory(vendors, ec))
        return Error{ErrorCode::ProfileInvalid, vendors.string(), "no such folder; set SITELINK_PROFILES", ""};
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(vendors, ec))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        try {
            std::ifstream in(file);
            profiles.vendors.push_back(parse_vendor(json::parse(in)));
        } catch (const Invalid& bad) {
            return Error{ErrorCode::ProfileInvalid, file.string(), (bad.where.empty() ? "" : bad.where.substr(1) + " ") + bad.what, ""};
        } catch (const json::exception& e) {
            return Error{ErrorCode::ProfileInvalid, file.string(), e.what(), ""};
        }
    }
    return profiles;
}

}  // namespace sitelink
