#include "discover/scopes.h"

#include <cctype>
#include <sstream>

namespace sitelink::discover {

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}
}  // namespace

std::string url_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

DeviceScopes parse_scopes(std::string_view text) {
    DeviceScopes scopes;
    std::istringstream words{std::string(text)};
    std::string uri;
    constexpr std::string_view kPrefix = "onvif://www.onvif.org/";
    while (words >> uri) {
        scopes.all.push_back(uri);
        if (uri.size() <= kPrefix.size() || !iequals(std::string_view(uri).substr(0, kPrefix.size()), kPrefix))
            continue;
        const std::string_view rest = std::string_view(uri).substr(kPrefix.size());
        const auto slash = rest.find('/');
        if (slash == std::string_view::npos || slash + 1 >= rest.size()) continue;
        const std::string_view key = rest.substr(0, slash);
        const std::string value = url_decode(rest.substr(slash + 1));
        if (iequals(key, "name")) scopes.name = value;
        else if (iequals(key, "hardware")) scopes.hardware = value;
        else if (iequals(key, "location")) scopes.location = value;
        else if (iequals(key, "MacAddress")) scopes.mac = normalize_mac(value);
        else if (iequals(key, "SerialNumber")) scopes.serial = value;
        else if (iequals(key, "Profile")) scopes.profiles.push_back(value);
    }
    return scopes;
}

}  // namespace sitelink::discover
