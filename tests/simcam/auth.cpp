#include "auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cctype>
#include <cstdio>
#include <ctime>

#include "device.h"
#include "httpda.h"
#include "soapH.h"

namespace simcam {

namespace {

// ONVIF Core: a UsernameToken's Created must be close to the device's clock (replay window).
constexpr auto kMaxClockSkew = std::chrono::minutes(5);
constexpr std::string_view kPasswordDigestSuffix = "#PasswordDigest";

bool level_allows(UserLevel level, AccessClass access) {
    switch (access) {
        case AccessClass::PreAuth: return true;
        case AccessClass::Read: return level != UserLevel::Anonymous;
        case AccessClass::Admin: return level == UserLevel::Administrator;
    }
    return false;
}

std::string trim(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

// Whether ONVIF calls (SOAP over HTTP POST) may use HTTP Digest.
bool digest_offered(AuthMode mode) {
    return mode == AuthMode::Digest || mode == AuthMode::DigestMd5 || mode == AuthMode::Both;
}

// What the device's HTTP Digest challenge offers. A device that takes only UsernameTokens for
// ONVIF calls still guards its plain HTTP resources (snapshots) with Digest, as cameras do.
enum class DigestOffer { Nothing, Md5, Sha256AndMd5 };

DigestOffer digest_offer(AuthMode mode) {
    switch (mode) {
        case AuthMode::None: return DigestOffer::Nothing;
        case AuthMode::Digest:
        case AuthMode::Both: return DigestOffer::Sha256AndMd5;
        case AuthMode::DigestMd5:
        case AuthMode::UsernameToken: return DigestOffer::Md5;
    }
    return DigestOffer::Nothing;
}

bool token_accepted(AuthMode mode) { return mode == AuthMode::UsernameToken || mode == AuthMode::Both; }

// The client sent "Authorization: Digest ..." (httpda parsed it into authrealm and userid;
// passwd stays null, gSOAP fills it only for Basic).
bool has_digest_credentials(struct soap* soap) {
    return soap->authrealm != nullptr && soap->userid != nullptr && soap->passwd == nullptr;
}

// Empty when the Digest credentials verify for a request with this HTTP method, else why not.
std::optional<std::string> check_digest(struct soap* soap, const Device& device, const char* method) {
    if (device.realm() != soap->authrealm) return "digest realm mismatch";
    if (digest_offer(device.config().auth) == DigestOffer::Md5) {
        // Only MD5 was offered; a client that answers with another algorithm did not follow the challenge.
        const auto* data = static_cast<const http_da_data*>(soap_lookup_plugin(soap, http_da_id));
        if (data != nullptr && data->alg != nullptr && soap_tag_cmp(data->alg, "MD5") != 0)
            return std::string("digest algorithm ") + data->alg + " was not offered";
    }
    const auto user = device.find_user(soap->userid);
    if (!user) return std::string("no user ") + soap->userid;
    // httpda digests a GET's empty body with MD5 whatever the algorithm, so a SHA-256 answer with
    // qop=auth-int (which cpp-httplib, for one, prefers when offered) never verifies: give it the
    // SHA-256 of the empty body, as RFC 7616 asks.
    auto* data = static_cast<http_da_data*>(soap_lookup_plugin(soap, http_da_id));
    if (std::string(method) == "GET" && data != nullptr && data->qop != nullptr && soap_tag_cmp(data->qop, "auth-int") == 0 &&
        data->alg != nullptr && soap_tag_cmp(data->alg, "SHA-256*") == 0)
        SHA256(nullptr, 0, reinterpret_cast<unsigned char*>(data->digest));
    if (http_da_verify_method(soap, method, user->password.c_str()) != SOAP_OK)
        return "digest response does not verify";
    return std::nullopt;
}

const wsse__UsernameTokenType* username_token(struct soap* soap) {
    if (soap->header == nullptr || soap->header->wsse__Security == nullptr) return nullptr;
    return soap->header->wsse__Security->UsernameToken;
}

AuthDecision with_level(const Device& device, const std::string& username, AccessClass access) {
    const auto user = device.find_user(username);
    if (!user) return {AuthDecision::Outcome::Refused, username, "user vanished"};
    if (!level_allows(user->level, access))
        return {AuthDecision::Outcome::Refused, username,
                "user " + username + " (" + std::string(to_string(user->level)) + ") lacks the rights"};
    return {AuthDecision::Outcome::Granted, username, {}};
}

}  // namespace

void register_auth_plugins(struct soap* soap, AuthMode mode) {
    // SHA-256 registration makes httpda challenge with SHA-256 and MD5; MD5 registration with MD5 only.
    switch (digest_offer(mode)) {
        case DigestOffer::Sha256AndMd5: soap_register_plugin_arg(soap, http_da, http_da_sha256()); break;
        case DigestOffer::Md5: soap_register_plugin_arg(soap, http_da, http_da_md5()); break;
        case DigestOffer::Nothing: break;
    }
}

AuthDecision authorize(struct soap* soap, const Device& device, AccessClass access) {
    const AuthMode mode = device.config().auth;
    if (access == AccessClass::PreAuth) return {AuthDecision::Outcome::Granted, {}, "pre-auth operation"};
    if (mode == AuthMode::None) return {AuthDecision::Outcome::Granted, {}, "device has no authentication"};

    if (digest_offered(mode) && has_digest_credentials(soap)) {
        if (auto failure = check_digest(soap, device, "POST"))
            return {AuthDecision::Outcome::Challenge, soap->userid, *failure};
        return with_level(device, soap->userid, access);
    }
    if (token_accepted(mode)) {
        if (const auto* token = username_token(soap)) {
            const auto user = device.find_user(token->Username);
            if (!user) return {AuthDecision::Outcome::Refused, token->Username, "no user " + token->Username};
            if (auto failure = check_username_token(*token, user->password, device.now()))
                return {AuthDecision::Outcome::Refused, token->Username, *failure};
            return with_level(device, token->Username, access);
        }
    }
    if (digest_offered(mode)) return {AuthDecision::Outcome::Challenge, {}, "no digest credentials"};
    return {AuthDecision::Outcome::Refused, {}, "no UsernameToken"};
}

AuthDecision authorize_http_get(struct soap* soap, const Device& device, AccessClass access) {
    if (access == AccessClass::PreAuth) return {AuthDecision::Outcome::Granted, {}, "pre-auth resource"};
    if (digest_offer(device.config().auth) == DigestOffer::Nothing)
        return {AuthDecision::Outcome::Granted, {}, "device has no authentication"};
    if (!has_digest_credentials(soap)) return {AuthDecision::Outcome::Challenge, {}, "no digest credentials"};
    if (auto failure = check_digest(soap, device, "GET"))
        return {AuthDecision::Outcome::Challenge, soap->userid, *failure};
    return with_level(device, soap->userid, access);
}

std::optional<std::string> check_username_token(const wsse__UsernameTokenType& token, const std::string& password,
                                                std::chrono::system_clock::time_point device_now) {
    if (token.Password == nullptr) return "UsernameToken without Password";
    if (token.Password->Type == nullptr || token.Password->Type->size() < kPasswordDigestSuffix.size() ||
        token.Password->Type->compare(token.Password->Type->size() - kPasswordDigestSuffix.size(),
                                      kPasswordDigestSuffix.size(), kPasswordDigestSuffix) != 0)
        return "only PasswordDigest is accepted";
    if (token.Nonce == nullptr) return "UsernameToken without Nonce";
    if (token.wsu__Created == nullptr) return "UsernameToken without Created";
    const auto nonce = base64_decode(token.Nonce->__item);
    if (!nonce) return "Nonce is not Base64";
    const std::string created = trim(*token.wsu__Created);
    const auto created_time = parse_xsd_datetime(created);
    if (!created_time) return "Created is not an xsd:dateTime: " + created;
    const auto skew = *created_time > device_now ? *created_time - device_now : device_now - *created_time;
    if (skew > kMaxClockSkew)
        return "Created " + created + " is " +
               std::to_string(std::chrono::duration_cast<std::chrono::seconds>(skew).count()) +
               " s away from the device clock";

    const std::string input = *nonce + created + password;
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    const std::string expected = base64_encode(std::string(reinterpret_cast<const char*>(digest), sizeof digest));
    const std::string given = trim(token.Password->__item);
    if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), given.size()) != 0)
        return "PasswordDigest does not match";
    return std::nullopt;
}

std::optional<std::string> base64_decode(const std::string& text) {
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    bool padding = false;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) continue;
        if (c == '=') {
            padding = true;
            continue;
        }
        if (padding) return std::nullopt;  // data after padding
        int value;
        if (c >= 'A' && c <= 'Z') value = c - 'A';
        else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
        else if (c >= '0' && c <= '9') value = c - '0' + 52;
        else if (c == '+') value = 62;
        else if (c == '/') value = 63;
        else return std::nullopt;
        buffer = (buffer << 6) | static_cast<unsigned>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    return out;
}

std::string base64_encode(const std::string& bytes) {
    static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                           static_cast<unsigned char>(bytes[i + 2]);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    if (i < bytes.size()) {
        unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
        if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::chrono::system_clock::time_point> parse_xsd_datetime(const std::string& text) {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second,
                    &consumed) != 6)
        return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
    std::size_t position = static_cast<std::size_t>(consumed);
    double fraction = 0;
    if (position < text.size() && text[position] == '.') {
        double scale = 0.1;
        for (++position; position < text.size() && std::isdigit(static_cast<unsigned char>(text[position])); ++position) {
            fraction += (text[position] - '0') * scale;
            scale /= 10;
        }
    }
    long offset_seconds = 0;  // no zone: taken as UTC, which is what ONVIF clients mean
    if (position < text.size()) {
        const char sign = text[position];
        if (sign == 'Z' && position + 1 == text.size()) {
        } else if ((sign == '+' || sign == '-') && text.size() - position == 6 && text[position + 3] == ':') {
            int zone_hours = 0, zone_minutes = 0;
            if (std::sscanf(text.c_str() + position + 1, "%2d:%2d", &zone_hours, &zone_minutes) != 2) return std::nullopt;
            offset_seconds = (sign == '+' ? 1 : -1) * (zone_hours * 3600L + zone_minutes * 60L);
        } else {
            return std::nullopt;
        }
    }
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    const std::time_t utc = timegm(&tm) - offset_seconds;
    return std::chrono::system_clock::from_time_t(utc) +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(fraction));
}

}  // namespace simcam
