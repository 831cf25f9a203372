// WS-Security UsernameToken with PasswordDigest, the authentication of older ONVIF firmware:
//   PasswordDigest = Base64(SHA1(nonce + created + password)), created in the DEVICE's UTC clock.
#pragma once
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

struct soap;

namespace sitelink::onvif_client {

std::string base64(const std::vector<std::uint8_t>& bytes);
using sitelink::utc_timestamp;  // the UsernameToken's Created
std::string password_digest(const std::vector<std::uint8_t>& nonce, std::string_view created,
                            std::string_view password);

// Puts a fresh UsernameToken into the context's SOAP header for the next call. device_time is
// "now" on the device's clock (local time plus the measured clock offset).
void add_username_token(struct soap* soap, const std::string& username, const std::string& password,
                        std::time_t device_time);

}  // namespace sitelink::onvif_client
