// WS-Discovery scopes of ONVIF devices: space-separated URIs onvif://www.onvif.org/<key>/<value>,
// with URL-encoded values ("Front%20Door").
#pragma once
#include <string>
#include <string_view>

#include "core/device.h"

namespace sitelink::discover {

// Decodes %XX escapes; a malformed escape is kept as it is.
std::string url_decode(std::string_view text);
DeviceScopes parse_scopes(std::string_view text);

}  // namespace sitelink::discover
