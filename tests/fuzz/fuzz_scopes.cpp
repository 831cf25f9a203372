// libFuzzer target: WS-Discovery scope lists (parse_scopes, url_decode) and normalize_mac.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/device.h"
#include "discover/scopes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto scopes = sitelink::discover::parse_scopes(text);
    std::size_t total = scopes.all.size() + scopes.profiles.size();
    for (const auto* field : {&scopes.name, &scopes.hardware, &scopes.location, &scopes.mac, &scopes.serial})
        if (*field) total += (*field)->size();

    const std::string decoded = sitelink::discover::url_decode(text);
    if (decoded.size() > text.size()) __builtin_trap();  // decoding never grows the text

    const std::string mac = sitelink::normalize_mac(std::string(text));
    // Either the text comes back unchanged or as 17 characters aa:bb:cc:dd:ee:ff.
    if (mac != text && mac.size() != 17) __builtin_trap();
    total += decoded.size() + mac.size();
    volatile std::size_t sink = total;
    (void)sink;
    return 0;
}
