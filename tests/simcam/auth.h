// Who may call what: HTTP Digest (gSOAP's httpda plugin, server side), WS-Security UsernameToken
// PasswordDigest, and the ONVIF user levels. The outcome maps to the answers a real camera gives:
// 401 with a Digest challenge, or HTTP 400 with a SOAP Sender fault ter:NotAuthorized (403 for a
// plain HTTP GET).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "config.h"
#include "operations.h"

struct soap;
class wsse__UsernameTokenType;

namespace simcam {

class Device;

struct AuthDecision {
    enum class Outcome {
        Granted,    // run the operation
        Challenge,  // HTTP 401 with WWW-Authenticate: Digest
        Refused,    // HTTP 400, Sender fault ter:NotAuthorized
    };
    Outcome outcome = Outcome::Refused;
    std::string username;  // who was authenticated, empty if nobody
    std::string reason;    // for the debug log
};

// Call inside a service operation, after gSOAP parsed the HTTP and SOAP headers.
AuthDecision authorize(struct soap* soap, const Device& device, AccessClass access);

// The same for a plain HTTP GET of the device's own resources (snapshots), after gSOAP parsed the
// HTTP headers: HTTP Digest with qop, in every auth mode but "none" (a UsernameToken cannot ride
// on a GET). Challenge for missing or wrong credentials, Refused for a user level that is too low.
AuthDecision authorize_http_get(struct soap* soap, const Device& device, AccessClass access);

// Registers the httpda plugin the device's auth mode needs: none for "none"; MD5 only for
// "digest-md5", and for "usernametoken", whose HTTP GETs need Digest; SHA-256 and MD5 otherwise.
void register_auth_plugins(struct soap* soap, AuthMode mode);

// Checks a UsernameToken against one password and the device's clock. Empty on success, else why not.
std::optional<std::string> check_username_token(const wsse__UsernameTokenType& token, const std::string& password,
                                                std::chrono::system_clock::time_point device_now);

// Exposed for tests: Base64 (RFC 4648, whitespace ignored) and xsd:dateTime in UTC.
std::optional<std::string> base64_decode(const std::string& text);
std::string base64_encode(const std::string& bytes);
std::optional<std::chrono::system_clock::time_point> parse_xsd_datetime(const std::string& text);

}  // namespace simcam
