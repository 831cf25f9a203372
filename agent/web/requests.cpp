#include "web/requests.h"

#include <nlohmann/json.hpp>

namespace sitelink::web {

namespace {

using nlohmann::json;

Error bad(const std::string& field, const std::string& what) {
    return Error{ErrorCode::Usage, "", field.empty() ? what : "'" + field + "': " + what, ""};
}

// The body as a JSON object; an empty body is an empty object.
Result<json> object_of(const std::string& body) {
    if (body.size() > kMaxBody) return bad("", "the request body is larger than " + std::to_string(kMaxBody / 1024) + " KiB");
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded()) return bad("", "the request body is not valid JSON");
    if (!j.is_object()) return bad("", "the request body must be a JSON object");
    return j;
}

// A field that must be a string when present; `fallback` when absent or null.
Result<std::string> text(const json& j, const std::string& field, const std::string& fallback = "", std::size_t max = 256) {
    if (!j.contains(field) || j[field].is_null()) return fallback;
    if (!j[field].is_string()) return bad(field, "must be a string");
    auto value = j[field].get<std::string>();
    if (value.size() > max) return bad(field, "is longer than " + std::to_string(max) + " characters");
    return value;
}

Result<std::string> required_text(const json& j, const std::string& field, std::size_t max = 256) {
    auto value = text(j, field, "", max);
    if (value && value->empty()) return bad(field, "is required");
    return value;
}

Result<bool> flag(const json& j, const std::string& field, bool fallback) {
    if (!j.contains(field) || j[field].is_null()) return fallback;
    if (!j[field].is_boolean()) return bad(field, "must be true or false");
    return j[field].get<bool>();
}

Result<std::vector<std::string>> texts(const json& j, const std::string& field) {
    std::vector<std::string> out;
    if (!j.contains(field) || j[field].is_null()) return out;
    if (!j[field].is_array()) return bad(field, "must be a list of strings");
    if (j[field].size() > 1024) return bad(field, "has more than 1024 entries");
    for (const auto& item : j[field]) {
        if (!item.is_string() || item.get<std::string>().empty() || item.get<std::string>().size() > 256)
            return bad(field, "must be a list of non-empty strings");
        out.push_back(item.get<std::string>());
    }
    return out;
}

}  // namespace

Result<OpenSite> parse_open_site(const std::string& body) {
    auto j = object_of(body);
    if (!j) return j.error();
    auto name = required_text(*j, "name", 100);
    if (!name) return name.error();
    if (auto path = site::named_site_path(*name); !path) return bad("name", path.error().detail);
    auto interface = text(*j, "interface", "", 15);  // IFNAMSIZ - 1
    if (!interface) return interface.error();
    return OpenSite{*name, *interface};
}

Result<std::string> parse_step(const std::string& body) {
    auto j = object_of(body);
    if (!j) return j.error();
    auto step = required_text(*j, "step", 32);
    if (!step) return step.error();
    if (std::find(kSteps.begin(), kSteps.end(), *step) == kSteps.end())
        return bad("step", "'" + *step + "' is not a step of the wizard");
    return step;
}

Result<DiscoverChoices> parse_discover(const std::string& body) {
    auto j = object_of(body);
    if (!j) return j.error();
    auto sweep = text(*j, "sweep", "", 32);
    if (!sweep) return sweep.error();
    DiscoverChoices out;
    if (!sweep->empty()) {
        auto subnet = Ipv4Subnet::parse(*sweep);
        if (!subnet) return bad("sweep", "'" + *sweep + "' is not a subnet like 192.168.78.0/24");
        out.sweep = *sweep;
    }
    return out;
}

Result<CredentialsTry> parse_credentials(const std::string& body) {
    auto j = object_of(body);
    if (!j) return j.error();
    auto devices = texts(*j, "devices");
    if (!devices) return devices.error();
    if (devices->empty()) return bad("devices", "name at least one device to try the credentials on");
    auto username = required_text(*j, "username", 64);
    if (!username) return username.error();
    auto password = text(*j, "password", "", 128);
    if (!password) return password.error();
    return CredentialsTry{*devices, *username, *password};
}

Result<AddressChoices> parse_address_plan(const std::string& body) {
    auto j = object_of(body);
    if (!j) return j.error();
    AddressChoices out;
    auto pool = text(*j, "dhcp_pool", "", 40);
    if (!pool) return pool.error();
    if (!pool->empty()) {
        out.dhcp_pool = address::parse_dhcp_pool(*pool);
        if (!out.dhcp_pool) return bad("dhcp_pool", "'" + *pool + "': want FIRST-LAST, e.g. 192.168.1.100-192.168.1.199");
    }
    auto first = text(*j, "first", "", 16);
    if (!first) return first.error();
    if (!first->empty()) {
        out.choices.first_address = Ipv4::parse(*first);
        if (!out.choices.first_address) return bad("first", "'" + *first + "' is not an IPv4 address");
    }
    if (j->contains("overrides") && !(*j)["overrides"].is_null()) {
        const auto& overrides = (*j)["overrides"];
        if (!overrides.is_object() || overrides.size() > 1024) return bad("overrides", "must be an object of device: address");
        for (const auto& [device, value] : overrides.items()) {
            auto address = value.is_string() ? Ipv4::parse(value.get<std::string>()) : std::nullopt;
            if (!address) return bad("overrides", "the address for " + device + " is not an IPv4 address");
            out.choices.overrides[device] = *address;
        }
    }
    return out;
}

Result<router::ForwardChoices> parse_forward_plan(const std::string& body) {
    auto j = object_of(body);
    if (!j) return j.error();
    auto http = texts(*j, "http");
    if (!http) return http.error();
    auto exclude = texts(*j, "exclude");
    if (!exclude) return exclude.error();
    router::ForwardChoices out;
    out.add_http = {http->begin(), http->end()};
    out.exclude = {exclude->begin(), exclude->end()};
    return out;
}

Result<ddns::DdnsSetRequest> parse_ddns(const std::string& body) {
    auto j = object_of(body);
    if (!j) return j.error();
    ddns::DdnsSetRequest out;
    auto& s = out.settings;
    for (auto [field, target, needed] : {std::tuple{"provider", &s.provider, true}, {"hostname", &s.hostname, true},
                                         {"username", &s.username, false}, {"base_url", &s.base_url, false},
                                         {"zone", &s.zone, false}, {"server", &s.server, false}}) {
        auto value = needed ? required_text(*j, field) : text(*j, field);
        if (!value) return value.error();
        *target = *value;
    }
    auto owner = text(*j, "owner", s.owner, 300);
    if (!owner) return owner.error();
    s.owner = *owner;
    auto algorithm = text(*j, "tsig_algorithm", s.tsig_algorithm, 32);
    if (!algorithm) return algorithm.error();
    s.tsig_algorithm = *algorithm;
    auto secret = text(*j, "secret", "", 1024);
    if (!secret) return secret.error();
    out.secret = *secret;
    return out;
}

Result<HandoffChoices> parse_handoff(const std::string& body) {
    auto j = object_of(body);
    if (!j) return j.error();
    HandoffChoices out;
    auto user = text(*j, "viewer_user", out.viewer_user, 32);
    if (!user) return user.error();
    if (user->empty()) return bad("viewer_user", "must not be empty");
    out.viewer_user = *user;
    auto no_viewer = flag(*j, "no_viewer", false);
    if (!no_viewer) return no_viewer.error();
    out.create_viewer = !*no_viewer;
    auto installer = text(*j, "installer", "", 200);
    if (!installer) return installer.error();
    out.installer = *installer;
    return out;
}

}  // namespace sitelink::web
