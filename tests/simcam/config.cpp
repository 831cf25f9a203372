#include "config.h"

#include <arpa/inet.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <utility>

#include "operations.h"

namespace simcam {

using json = nlohmann::json;

std::string_view to_string(AuthMode mode) {
    switch (mode) {
        case AuthMode::None: return "none";
        case AuthMode::Digest: return "digest";
        case AuthMode::DigestMd5: return "digest-md5";
        case AuthMode::UsernameToken: return "usernametoken";
        case AuthMode::Both: return "both";
    }
    return "?";
}

std::string_view to_string(UserLevel level) {
    switch (level) {
        case UserLevel::Administrator: return "Administrator";
        case UserLevel::Operator: return "Operator";
        case UserLevel::User: return "User";
        case UserLevel::Anonymous: return "Anonymous";
    }
    return "?";
}

std::optional<UserLevel> parse_user_level(std::string_view text) {
    for (UserLevel level : {UserLevel::Administrator, UserLevel::Operator, UserLevel::User, UserLevel::Anonymous})
        if (text == to_string(level)) return level;
    return std::nullopt;
}

bool FaultSwitches::applies_to(std::string_view operation) const {
    return ops.empty() || std::find(ops.begin(), ops.end(), operation) != ops.end();
}

std::optional<in_addr> parse_ipv4(const std::string& text) {
    in_addr address{};
    if (inet_pton(AF_INET, text.c_str(), &address) != 1) return std::nullopt;
    return address;
}

std::string format_ipv4(in_addr address) {
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &address, text, sizeof text);
    return text;
}

std::string endpoint_from_serial(const std::string& serial) {
    // A name-based UUID (version 5 layout) so a device keeps its EndpointReference across runs,
    // the way a real camera keeps it across reboots.
    const std::string name = "sitelink-simcam/" + serial;
    std::array<unsigned char, SHA_DIGEST_LENGTH> hash{};
    SHA1(reinterpret_cast<const unsigned char*>(name.data()), name.size(), hash.data());
    hash[6] = static_cast<unsigned char>((hash[6] & 0x0f) | 0x50);
    hash[8] = static_cast<unsigned char>((hash[8] & 0x3f) | 0x80);
    char text[64];
    std::snprintf(text, sizeof text,
                  "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", hash[0],
                  hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7], hash[8], hash[9], hash[10],
                  hash[11], hash[12], hash[13], hash[14], hash[15]);
    return text;
}

namespace {

const std::set<std::string> kTopKeys = {"interface", "add_addresses", "defaults", "devices", "generate"};
const std::set<std::string> kDeviceKeys = {
    "address", "prefix",   "port",       "endpoint", "manufacturer", "model",          "serial",
    "mac",     "firmware", "hardware_id", "name",    "location",     "dhcp",           "gateway",
    "dns",     "profiles", "auth",       "users",    "clock_offset_s", "reboot_needed", "reboot_s",
    "protocols", "app_ports", "faults"};
const std::set<std::string> kProfileKeys = {"token",  "name",        "encoding",     "width",
                                            "height", "stream_path", "snapshot_path"};
const std::set<std::string> kUserKeys = {"username", "password", "level"};
const std::set<std::string> kProtocolKeys = {"http", "https", "rtsp"};
const std::set<std::string> kFaultKeys = {"ignore_network_changes", "drop_connection", "malformed", "slow_ms",
                                          "flood_probe_matches", "ops"};
const std::set<std::string> kGenerateKeys = {"count", "first_address", "prefix"};

std::string key_path(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
}

std::string index_path(const std::string& parent, std::size_t index) {
    return parent + "[" + std::to_string(index) + "]";
}

[[noreturn]] void fail(const std::string& path, const std::string& rule, const json* value = nullptr) {
    std::string message = path + ": " + rule;
    if (value != nullptr) message += " (got " + value->dump() + ")";
    throw ConfigError(message);
}

void require_object(const json& value, const std::string& path) {
    if (!value.is_object()) fail(path, "expected an object", &value);
}

void reject_unknown_keys(const json& object, const std::string& path, const std::set<std::string>& known) {
    require_object(object, path);
    for (const auto& [key, value] : object.items()) {
        if (known.count(key) == 0) {
            std::string valid;
            for (const auto& name : known) valid += (valid.empty() ? "" : ", ") + name;
            fail(key_path(path, key), "unknown key; valid keys here: " + valid);
        }
    }
}

// Typed readers: leave `out` unchanged when the key is absent.
void read_string(const json& object, const std::string& path, const char* key, std::string& out) {
    if (!object.contains(key)) return;
    const json& value = object.at(key);
    if (!value.is_string()) fail(key_path(path, key), "expected a string", &value);
    out = value.get<std::string>();
}

void read_bool(const json& object, const std::string& path, const char* key, bool& out) {
    if (!object.contains(key)) return;
    const json& value = object.at(key);
    if (!value.is_boolean()) fail(key_path(path, key), "expected true or false", &value);
    out = value.get<bool>();
}

template <typename Int>
void read_int(const json& object, const std::string& path, const char* key, Int& out, long long min, long long max) {
    if (!object.contains(key)) return;
    const json& value = object.at(key);
    if (!value.is_number_integer()) fail(key_path(path, key), "expected an integer", &value);
    const auto number = value.get<long long>();
    if (number < min || number > max)
        fail(key_path(path, key), "must be between " + std::to_string(min) + " and " + std::to_string(max), &value);
    out = static_cast<Int>(number);
}

void read_double(const json& object, const std::string& path, const char* key, double& out, double min, double max) {
    if (!object.contains(key)) return;
    const json& value = object.at(key);
    if (!value.is_number()) fail(key_path(path, key), "expected a number", &value);
    const double number = value.get<double>();
    if (number < min || number > max) {
        std::ostringstream rule;
        rule << "must be between " << min << " and " << max;
        fail(key_path(path, key), rule.str(), &value);
    }
    out = number;
}

// A string or an array of strings; each must be an IPv4 address.
void read_ipv4_list(const json& object, const std::string& path, const char* key, std::vector<std::string>& out) {
    if (!object.contains(key)) return;
    const json& value = object.at(key);
    std::vector<std::string> list;
    if (value.is_string()) {
        list.push_back(value.get<std::string>());
    } else if (value.is_array()) {
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (!value[i].is_string()) fail(index_path(key_path(path, key), i), "expected a string", &value[i]);
            list.push_back(value[i].get<std::string>());
        }
    } else {
        fail(key_path(path, key), "expected an IPv4 address or a list of them", &value);
    }
    for (std::size_t i = 0; i < list.size(); ++i)
        if (!parse_ipv4(list[i])) fail(index_path(key_path(path, key), i), "not an IPv4 address: " + list[i]);
    out = std::move(list);
}

std::optional<std::array<unsigned, 6>> parse_mac(const std::string& text) {
    std::array<unsigned, 6> bytes{};
    char sep[5] = {};
    int consumed = 0;
    if (std::sscanf(text.c_str(), "%2x%c%2x%c%2x%c%2x%c%2x%c%2x%n", &bytes[0], &sep[0], &bytes[1], &sep[1], &bytes[2],
                    &sep[2], &bytes[3], &sep[3], &bytes[4], &sep[4], &bytes[5], &consumed) != 11 ||
        static_cast<std::size_t>(consumed) != text.size())
        return std::nullopt;
    for (char c : sep)
        if (c != ':' && c != '-') return std::nullopt;
    return bytes;
}

std::string format_mac(std::uint64_t value) {
    char text[18];
    std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", static_cast<unsigned>((value >> 40) & 0xff),
                  static_cast<unsigned>((value >> 32) & 0xff), static_cast<unsigned>((value >> 24) & 0xff),
                  static_cast<unsigned>((value >> 16) & 0xff), static_cast<unsigned>((value >> 8) & 0xff),
                  static_cast<unsigned>(value & 0xff));
    return text;
}

std::uint64_t mac_value(const std::array<unsigned, 6>& bytes) {
    std::uint64_t value = 0;
    for (unsigned byte : bytes) value = (value << 8) | byte;
    return value;
}

void read_profiles(const json& object, const std::string& path, std::vector<MediaProfile>& out) {
    if (!object.contains("profiles")) return;
    const json& list = object.at("profiles");
    const std::string list_path = key_path(path, "profiles");
    if (!list.is_array() || list.empty()) fail(list_path, "expected a non-empty list of profiles", &list);
    std::vector<MediaProfile> profiles;
    std::set<std::string> tokens;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string item_path = index_path(list_path, i);
        const json& item = list[i];
        reject_unknown_keys(item, item_path, kProfileKeys);
        const std::string number = std::to_string(i + 1);
        MediaProfile profile{"profile_" + number, "", "H264", 1920, 1080, "/stream" + number,
                             "/snapshot" + number + ".jpg"};
        read_string(item, item_path, "token", profile.token);
        profile.name = profile.token;
        read_string(item, item_path, "name", profile.name);
        read_string(item, item_path, "encoding", profile.encoding);
        read_int(item, item_path, "width", profile.width, 1, 16384);
        read_int(item, item_path, "height", profile.height, 1, 16384);
        read_string(item, item_path, "stream_path", profile.stream_path);
        read_string(item, item_path, "snapshot_path", profile.snapshot_path);
        if (profile.token.empty()) fail(key_path(item_path, "token"), "must not be empty");
        if (!tokens.insert(profile.token).second) fail(key_path(item_path, "token"), "duplicate token " + profile.token);
        for (auto* url_path : {&profile.stream_path, &profile.snapshot_path})
            if (url_path->empty() || url_path->front() != '/') url_path->insert(url_path->begin(), '/');
        profiles.push_back(std::move(profile));
    }
    out = std::move(profiles);
}

void read_users(const json& object, const std::string& path, std::vector<UserAccount>& out) {
    if (!object.contains("users")) return;
    const json& list = object.at("users");
    const std::string list_path = key_path(path, "users");
    if (!list.is_array()) fail(list_path, "expected a list of users", &list);
    std::vector<UserAccount> users;
    std::set<std::string> names;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string item_path = index_path(list_path, i);
        const json& item = list[i];
        reject_unknown_keys(item, item_path, kUserKeys);
        UserAccount user;
        std::string level = "Administrator";
        read_string(item, item_path, "username", user.username);
        read_string(item, item_path, "password", user.password);
        read_string(item, item_path, "level", level);
        if (user.username.empty()) fail(key_path(item_path, "username"), "must not be empty");
        if (!names.insert(user.username).second)
            fail(key_path(item_path, "username"), "duplicate username " + user.username);
        const auto parsed = parse_user_level(level);
        if (!parsed) fail(key_path(item_path, "level"), "expected Administrator, Operator, User or Anonymous", &item.at("level"));
        user.level = *parsed;
        users.push_back(std::move(user));
    }
    out = std::move(users);
}

void read_protocols(const json& object, const std::string& path, NetworkProtocols& out) {
    if (!object.contains("protocols")) return;
    const json& protocols = object.at("protocols");
    const std::string protocols_path = key_path(path, "protocols");
    reject_unknown_keys(protocols, protocols_path, kProtocolKeys);
    auto read_one = [&](const char* key, ProtocolSetting& setting) {
        int port = setting.enabled ? setting.port : 0;
        read_int(protocols, protocols_path, key, port, 0, 65535);
        setting = ProtocolSetting{port != 0, port};
    };
    read_one("http", out.http);
    read_one("https", out.https);
    read_one("rtsp", out.rtsp);
}

// A list of TCP ports, each 1..65535, none twice, none that the device's ONVIF, RTSP or HTTPS
// listener already has (one socket cannot serve two protocols).
void read_app_ports(const json& object, const std::string& path, DeviceConfig& device) {
    std::vector<int>& out = device.app_ports;
    const std::string list_path = key_path(path, "app_ports");
    if (object.contains("app_ports")) {
        const json& list = object.at("app_ports");
        if (!list.is_array()) fail(list_path, "expected a list of TCP ports", &list);
        std::vector<int> ports;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const json& item = list[i];
            const std::string item_path = index_path(list_path, i);
            if (!item.is_number_integer()) fail(item_path, "expected a TCP port number", &item);
            const auto port = item.get<long long>();
            if (port < 1 || port > 65535) fail(item_path, "must be between 1 and 65535", &item);
            if (std::find(ports.begin(), ports.end(), port) != ports.end()) fail(item_path, "listed twice", &item);
            ports.push_back(static_cast<int>(port));
        }
        out = std::move(ports);
    }
    // Checked even when the list came from "defaults", since this device may have moved a port onto it.
    const auto port_of = [](const ProtocolSetting& setting) { return setting.enabled ? setting.port : 0; };
    const std::pair<const char*, int> taken[] = {{"ONVIF (\"port\")", device.port},
                                                 {"RTSP", port_of(device.protocols.rtsp)},
                                                 {"HTTPS", port_of(device.protocols.https)}};
    for (std::size_t i = 0; i < out.size(); ++i)
        for (const auto& [service, port] : taken)
            if (out[i] == port)
                fail(index_path(list_path, i), std::to_string(port) + " is already the device's " + service + " port");
}

void read_faults(const json& object, const std::string& path, FaultSwitches& out) {
    if (!object.contains("faults")) return;
    const json& faults = object.at("faults");
    const std::string faults_path = key_path(path, "faults");
    reject_unknown_keys(faults, faults_path, kFaultKeys);
    read_bool(faults, faults_path, "ignore_network_changes", out.ignore_network_changes);
    read_bool(faults, faults_path, "drop_connection", out.drop_connection);
    read_bool(faults, faults_path, "malformed", out.malformed);
    read_int(faults, faults_path, "slow_ms", out.slow_ms, 0, 600000);
    read_int(faults, faults_path, "flood_probe_matches", out.flood_probe_matches, 0, 100000);
    if (faults.contains("ops")) {
        const json& ops = faults.at("ops");
        const std::string ops_path = key_path(faults_path, "ops");
        if (!ops.is_array()) fail(ops_path, "expected a list of operation names", &ops);
        out.ops.clear();
        for (std::size_t i = 0; i < ops.size(); ++i) {
            if (!ops[i].is_string() || !is_known_operation(ops[i].get<std::string>()))
                fail(index_path(ops_path, i), "expected an operation name such as GetDeviceInformation", &ops[i]);
            out.ops.push_back(ops[i].get<std::string>());
        }
    }
}

// Values that depend on the address when the config does not give them, so that a list of bare
// addresses still yields distinct devices.
void fill_derived_identity(DeviceConfig& device) {
    const in_addr address = *parse_ipv4(device.address);
    const std::uint32_t host = ntohl(address.s_addr);
    if (device.serial.empty()) {
        char serial[16];
        std::snprintf(serial, sizeof serial, "SIM%08X", host);
        device.serial = serial;
    }
    if (device.mac.empty()) device.mac = format_mac((std::uint64_t{0x0200} << 32) | host);
    if (device.name.empty()) device.name = "SimCam-" + device.address;
    if (device.endpoint.empty()) device.endpoint = endpoint_from_serial(device.serial);
}

// Reads every device field present in `object` over the values already in `device`.
void read_device_fields(const json& object, const std::string& path, DeviceConfig& device, bool address_required) {
    reject_unknown_keys(object, path, kDeviceKeys);
    read_string(object, path, "address", device.address);
    if (address_required && device.address.empty()) fail(key_path(path, "address"), "required");
    if (!device.address.empty() && !parse_ipv4(device.address))
        fail(key_path(path, "address"), "not an IPv4 address", &object.at("address"));
    read_int(object, path, "prefix", device.prefix, 1, 32);
    const int old_port = device.port;
    read_int(object, path, "port", device.port, 1, 65535);
    // The HTTP protocol follows the listening port unless the config says otherwise.
    if (device.protocols.http.port == old_port) device.protocols.http.port = device.port;
    read_string(object, path, "endpoint", device.endpoint);
    if (!device.endpoint.empty() && device.endpoint.rfind("urn:", 0) != 0)
        fail(key_path(path, "endpoint"), "expected a URN such as urn:uuid:...", &object.at("endpoint"));
    read_string(object, path, "manufacturer", device.manufacturer);
    read_string(object, path, "model", device.model);
    read_string(object, path, "serial", device.serial);
    read_string(object, path, "mac", device.mac);
    if (!device.mac.empty()) {
        const auto bytes = parse_mac(device.mac);
        if (!bytes) fail(key_path(path, "mac"), "expected six hex bytes such as ac:cc:8e:00:00:01", &object.at("mac"));
        device.mac = format_mac(mac_value(*bytes));
    }
    read_string(object, path, "firmware", device.firmware);
    read_string(object, path, "hardware_id", device.hardware_id);
    read_string(object, path, "name", device.name);
    read_string(object, path, "location", device.location);
    read_bool(object, path, "dhcp", device.dhcp);
    read_ipv4_list(object, path, "gateway", device.gateway);
    read_ipv4_list(object, path, "dns", device.dns);
    read_profiles(object, path, device.profiles);
    if (object.contains("auth")) {
        std::string auth;
        read_string(object, path, "auth", auth);
        bool known = false;
        for (AuthMode mode :
             {AuthMode::None, AuthMode::Digest, AuthMode::DigestMd5, AuthMode::UsernameToken, AuthMode::Both}) {
            if (auth == to_string(mode)) {
                device.auth = mode;
                known = true;
            }
        }
        if (!known) fail(key_path(path, "auth"), "expected digest, digest-md5, usernametoken, both or none", &object.at("auth"));
    }
    read_users(object, path, device.users);
    read_int(object, path, "clock_offset_s", device.clock_offset_s, -10LL * 365 * 86400, 10LL * 365 * 86400);
    read_bool(object, path, "reboot_needed", device.reboot_needed);
    read_double(object, path, "reboot_s", device.reboot_s, 0.0, 3600.0);
    read_protocols(object, path, device.protocols);
    read_app_ports(object, path, device);
    read_faults(object, path, device.faults);
}

DeviceConfig builtin_defaults() {
    DeviceConfig device;
    device.users = {UserAccount{"admin", "admin", UserLevel::Administrator}};
    device.profiles = {
        MediaProfile{"profile_1", "mainStream", "H264", 1920, 1080, "/stream1", "/snapshot1.jpg"},
        MediaProfile{"profile_2", "subStream", "H264", 640, 360, "/stream2", "/snapshot2.jpg"},
    };
    return device;
}

void generate_devices(const json& generate, const json& defaults_json, const DeviceConfig& defaults,
                      std::vector<DeviceConfig>& devices) {
    const std::string path = "generate";
    reject_unknown_keys(generate, path, kGenerateKeys);
    int count = 0;
    std::string first_address;
    int prefix = defaults.prefix;
    read_int(generate, path, "count", count, 0, 65000);
    read_string(generate, path, "first_address", first_address);
    read_int(generate, path, "prefix", prefix, 1, 32);
    const auto first = parse_ipv4(first_address);
    if (!first) fail(key_path(path, "first_address"), "required, an IPv4 address", generate.contains("first_address") ? &generate.at("first_address") : nullptr);
    const bool serial_given = defaults_json.contains("serial");
    const bool mac_given = defaults_json.contains("mac");
    const bool name_given = defaults_json.contains("name");
    const std::uint32_t first_host = ntohl(first->s_addr);
    if (static_cast<std::uint64_t>(first_host) + static_cast<std::uint64_t>(count) > 0xffffffffULL)
        fail(key_path(path, "count"), "runs past 255.255.255.255");
    for (int i = 0; i < count; ++i) {
        DeviceConfig device = defaults;
        in_addr address{htonl(first_host + static_cast<std::uint32_t>(i))};
        device.address = format_ipv4(address);
        device.prefix = prefix;
        char number[16];
        std::snprintf(number, sizeof number, "%06d", i + 1);
        device.serial = serial_given ? defaults.serial + number : "";
        device.mac = mac_given ? format_mac((mac_value(*parse_mac(defaults.mac)) + static_cast<std::uint64_t>(i)) & 0xffffffffffffULL) : "";
        device.name = name_given ? defaults.name + " " + std::to_string(i + 1) : "";
        device.endpoint.clear();  // always derived from the unique serial
        fill_derived_identity(device);
        devices.push_back(std::move(device));
    }
}

void check_uniqueness(const std::vector<DeviceConfig>& devices) {
    std::map<std::pair<std::string, int>, std::size_t> by_listen_address;
    std::map<std::string, std::size_t> by_endpoint;
    for (std::size_t i = 0; i < devices.size(); ++i) {
        const auto& device = devices[i];
        const auto [it, inserted] = by_listen_address.emplace(std::make_pair(device.address, device.port), i);
        if (!inserted)
            fail("devices[" + std::to_string(i) + "].address",
                 device.address + ":" + std::to_string(device.port) + " is already used by device " +
                     std::to_string(it->second));
        const auto [ep, ep_inserted] = by_endpoint.emplace(device.endpoint, i);
        if (!ep_inserted)
            fail("devices[" + std::to_string(i) + "].endpoint",
                 device.endpoint + " is already used by device " + std::to_string(ep->second) +
                     "; give each device a unique serial or endpoint");
    }
}

}  // namespace

SimcamConfig parse_config(std::string_view json_text) {
    json root;
    try {
        root = json::parse(json_text);
    } catch (const json::parse_error& error) {
        throw ConfigError(std::string("not valid JSON: ") + error.what());
    }
    reject_unknown_keys(root, "", kTopKeys);

    SimcamConfig config;
    read_string(root, "", "interface", config.interface);
    read_bool(root, "", "add_addresses", config.add_addresses);

    DeviceConfig defaults = builtin_defaults();
    json defaults_json = json::object();
    if (root.contains("defaults")) {
        defaults_json = root.at("defaults");
        read_device_fields(defaults_json, "defaults", defaults, false);
    }

    if (root.contains("devices")) {
        const json& list = root.at("devices");
        if (!list.is_array()) fail("devices", "expected a list of devices", &list);
        for (std::size_t i = 0; i < list.size(); ++i) {
            DeviceConfig device = defaults;
            read_device_fields(list[i], index_path("devices", i), device, true);
            fill_derived_identity(device);
            config.devices.push_back(std::move(device));
        }
    }
    if (root.contains("generate")) generate_devices(root.at("generate"), defaults_json, defaults, config.devices);
    if (config.devices.empty()) fail("devices", "no devices: give \"devices\" or \"generate\"");
    check_uniqueness(config.devices);
    return config;
}

SimcamConfig load_config_file(const std::string& path) {
    std::ifstream file(path);
    if (!file) throw ConfigError(path + ": cannot open");
    std::stringstream text;
    text << file.rdbuf();
    return parse_config(text.str());
}

}  // namespace simcam
