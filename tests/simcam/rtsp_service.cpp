#include "rtsp_service.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <map>
#include <optional>
#include <string_view>

#include "auth.h"
#include "client_io.h"

namespace simcam {

namespace {

constexpr std::size_t kMaxRequestBytes = 8192;              // head and body; real requests are far smaller
constexpr auto kRequestTimeout = std::chrono::seconds(10);  // to send a whole request, idle time included
constexpr int kMaxRequestsPerConnection = 100;
constexpr auto kNonceLifetime = std::chrono::minutes(5);
constexpr auto kLingerTimeout = std::chrono::seconds(1);
constexpr std::size_t kMaxLingerBytes = 65536;
constexpr std::string_view kMethods = "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN";

struct RtspRequest {
    std::string method;
    std::string uri;
    std::string cseq;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::size_t length = 0;                      // bytes of the buffer it took, body included
};

enum class Parse { Incomplete, Complete, Malformed };

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && lower(text.substr(0, prefix.size())) == lower(prefix);
}

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool all_digits(std::string_view text, std::size_t max_digits) {
    if (text.empty() || text.size() > max_digits) return false;
    for (char c : text)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

// Printable ASCII, UTF-8, tab and line ends. Anything else (a TLS ClientHello, an interleaved RTP
// packet) cannot be an RTSP head and is refused at once rather than when the timeout runs out.
bool is_head_byte(unsigned char c) { return c >= 0x20 ? c != 0x7f : c == '\t' || c == '\r' || c == '\n'; }

// METHOD SP Request-URI SP RTSP/1.0
bool parse_request_line(std::string_view line, RtspRequest& request) {
    const auto first_space = line.find(' ');
    const auto second_space = line.find(' ', first_space + 1);
    if (first_space == std::string_view::npos || second_space == std::string_view::npos) return false;
    const std::string_view method = line.substr(0, first_space);
    const std::string_view uri = line.substr(first_space + 1, second_space - first_space - 1);
    if (method.empty() || uri.empty() || line.substr(second_space + 1) != "RTSP/1.0") return false;
    for (char c : method)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
    request.method = method;
    request.uri = uri;
    return true;
}

// Whether `buffer` starts with a whole request (then `request` holds it), a part of one, or
// something that is not RTSP.
Parse parse_request(std::string_view buffer, RtspRequest& request) {
    // RFC 2326 lets a client send empty lines between requests.
    const std::size_t start = std::min(buffer.find_first_not_of("\r\n"), buffer.size());
    std::size_t head_end = std::string_view::npos;  // just past the empty line ending the head
    for (auto newline = buffer.find('\n', start); newline != std::string_view::npos;
         newline = buffer.find('\n', newline + 1)) {
        if (buffer.substr(newline + 1, 1) == "\n") head_end = newline + 2;
        else if (buffer.substr(newline + 1, 2) == "\r\n") head_end = newline + 3;
        if (head_end != std::string_view::npos) break;
    }
    const std::string_view head =
        buffer.substr(start, head_end == std::string_view::npos ? head_end : head_end - start);
    for (char c : head)
        if (!is_head_byte(static_cast<unsigned char>(c))) return Parse::Malformed;
    // Refuse a bad request line as soon as it is complete, without waiting for the rest.
    const auto line_end = head.find('\n');
    if (line_end != std::string_view::npos) {
        std::string_view line = head.substr(0, line_end);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!parse_request_line(line, request)) return Parse::Malformed;
    }
    if (head_end == std::string_view::npos)
        return buffer.size() >= kMaxRequestBytes ? Parse::Malformed : Parse::Incomplete;

    request.headers.clear();
    for (auto position = line_end + 1; position < head.size();) {
        auto end = head.find('\n', position);
        std::string_view line = head.substr(position, end - position);
        position = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;
        const auto colon = line.find(':');
        // Folded continuation lines are obsolete; no RTSP client sends them.
        if (colon == std::string_view::npos || colon == 0 || line.front() == ' ' || line.front() == '\t')
            return Parse::Malformed;
        request.headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
    }
    const auto cseq = request.headers.find("cseq");
    if (cseq == request.headers.end() || !all_digits(cseq->second, 9)) return Parse::Malformed;
    request.cseq = cseq->second;

    std::size_t body_length = 0;
    if (const auto content_length = request.headers.find("content-length"); content_length != request.headers.end()) {
        if (!all_digits(content_length->second, 5)) return Parse::Malformed;
        body_length = std::stoul(content_length->second);
    }
    if (head_end + body_length > kMaxRequestBytes) return Parse::Malformed;
    if (buffer.size() < head_end + body_length) return Parse::Incomplete;
    request.length = head_end + body_length;
    return Parse::Complete;
}

std::string to_hex(const unsigned char* bytes, std::size_t length) {
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < length; ++i) {
        out += kHex[bytes[i] >> 4];
        out += kHex[bytes[i] & 0x0f];
    }
    return out;
}

std::string md5_hex(const std::string& text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr);
    return to_hex(digest, length);
}

bool same_secret(const std::string& given, const std::string& expected) {
    return given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

// A nonce is its issue time and a MAC of it under a key made at start, so any worker can check
// one without shared state, and tell an expired nonce (stale) from a made-up one.
constexpr std::size_t kNonceTimeDigits = 16;
constexpr std::size_t kNonceMacBytes = 16;

std::string nonce_mac(std::string_view issued) {
    static const auto key = [] {
        std::array<unsigned char, 32> bytes{};
        if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
            spdlog::warn("rtsp: no random bytes for the nonce key; nonces are predictable");
        return bytes;
    }();
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(issued.data()),
         issued.size(), mac, &length);
    return to_hex(mac, kNonceMacBytes);
}

std::string make_nonce() {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    char issued[kNonceTimeDigits + 1];
    std::snprintf(issued, sizeof issued, "%016llx", static_cast<unsigned long long>(now.count()));
    return issued + nonce_mac(issued);
}

enum class NonceState { Fresh, Expired, Forged };

NonceState check_nonce(const std::string& nonce) {
    if (nonce.size() != kNonceTimeDigits + 2 * kNonceMacBytes) return NonceState::Forged;
    const std::string_view issued = std::string_view(nonce).substr(0, kNonceTimeDigits);
    if (!same_secret(nonce.substr(kNonceTimeDigits), nonce_mac(issued))) return NonceState::Forged;
    unsigned long long seconds = 0;
    std::from_chars(issued.data(), issued.data() + issued.size(), seconds, 16);
    const auto issued_at = std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
    const auto age = std::chrono::system_clock::now() - issued_at;
    return age <= kNonceLifetime ? NonceState::Fresh : NonceState::Expired;
}

// RFC 2617 auth-params: name=token or name="quoted string", separated by commas.
std::optional<std::map<std::string, std::string>> parse_auth_params(std::string_view text) {
    std::map<std::string, std::string> params;
    std::size_t i = 0;
    const auto skip = [&](std::string_view characters) {
        while (i < text.size() && characters.find(text[i]) != std::string_view::npos) ++i;
    };
    for (;;) {
        skip(" \t,");
        if (i == text.size()) return params;
        const std::size_t name_start = i;
        while (i < text.size() && text[i] != '=' && text[i] != ' ' && text[i] != '\t' && text[i] != ',') ++i;
        const std::string name = lower(text.substr(name_start, i - name_start));
        skip(" \t");
        if (i == text.size() || text[i] != '=') return std::nullopt;
        ++i;
        skip(" \t");
        std::string value;
        if (i < text.size() && text[i] == '"') {
            for (++i; i < text.size() && text[i] != '"'; ++i) {
                if (text[i] == '\\' && i + 1 < text.size()) ++i;
                value += text[i];
            }
            if (i == text.size()) return std::nullopt;  // unterminated
            ++i;
        } else {
            while (i < text.size() && text[i] != ',' && text[i] != ' ' && text[i] != '\t') value += text[i++];
        }
        params[name] = std::move(value);
    }
}

struct AuthResult {
    bool granted = false;
    bool stale_nonce = false;  // right credentials, expired nonce: the client may retry at once
    std::string reason;        // for the debug log
};

AuthResult check_basic(std::string_view encoded, const Device& device) {
    const auto decoded = base64_decode(std::string(trim(encoded)));
    const auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) return {false, false, "malformed Basic credentials"};
    const std::string username = decoded->substr(0, colon);
    const auto user = device.find_user(username);
    if (!user || !same_secret(decoded->substr(colon + 1), user->password))
        return {false, false, "Basic credentials for " + username + " do not match"};
    return {true, false, "Basic as " + username};
}

AuthResult check_digest(std::string_view text, const RtspRequest& request, const Device& device) {
    const auto params = parse_auth_params(text);
    if (!params) return {false, false, "malformed Digest credentials"};
    const auto param = [&](const char* name) {
        const auto it = params->find(name);
        return it == params->end() ? std::string() : it->second;
    };
    const std::string username = param("username");
    const std::string nonce = param("nonce");
    const std::string qop = param("qop");
    if (username.empty() || nonce.empty() || param("response").empty())
        return {false, false, "incomplete Digest credentials"};
    if (!param("algorithm").empty() && lower(param("algorithm")) != "md5")
        return {false, false, "Digest algorithm " + param("algorithm") + " was not offered"};
    if (!qop.empty() && qop != "auth") return {false, false, "Digest qop " + qop + " was not offered"};
    if (param("realm") != device.realm()) return {false, false, "Digest realm mismatch"};
    // RFC 2617 3.2.2.5: the credentials must be for the URI this request names.
    if (param("uri") != request.uri) return {false, false, "Digest uri " + param("uri") + " is not the request's"};
    const auto user = device.find_user(username);
    if (!user) return {false, false, "no user " + username};

    const std::string secret = md5_hex(username + ":" + device.realm() + ":" + user->password);
    const std::string exchange = md5_hex(request.method + ":" + request.uri);
    const std::string client_part = qop.empty() ? "" : param("nc") + ":" + param("cnonce") + ":" + qop + ":";
    const std::string expected = md5_hex(secret + ":" + nonce + ":" + client_part + exchange);
    if (!same_secret(lower(param("response")), expected))
        return {false, false, "Digest response for " + username + " does not verify"};
    switch (check_nonce(nonce)) {
        case NonceState::Fresh: return {true, false, "Digest as " + username};
        case NonceState::Expired: return {false, true, "Digest nonce expired"};
        case NonceState::Forged: break;
    }
    return {false, false, "Digest nonce was not issued here"};
}

AuthResult check_authorization(const RtspRequest& request, const Device& device) {
    if (device.config().auth == AuthMode::None) return {true, false, "device has no authentication"};
    const auto header = request.headers.find("authorization");
    if (header == request.headers.end()) return {false, false, "no credentials"};
    const std::string_view value = header->second;
    if (starts_with_nocase(value, "Basic ")) return check_basic(value.substr(6), device);
    if (starts_with_nocase(value, "Digest ")) return check_digest(value.substr(7), request, device);
    return {false, false, "unknown authorization scheme"};
}

const char* reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 455: return "Method Not Valid in This State";
    }
    return "Error";
}

// `headers` are whole lines, CRLF included. A 400 for an unreadable request has no CSeq to echo.
std::string make_answer(int status, const std::string& cseq, const std::string& headers = {},
                        const std::string& body = {}) {
    std::string answer = "RTSP/1.0 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
    if (!cseq.empty()) answer += "CSeq: " + cseq + "\r\n";
    answer += headers;
    if (!body.empty()) answer += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return answer + "\r\n" + body;
}

// The profile whose stream_path the URI names. The host part is whatever the client dialled (the
// device's address, or the router's public one through a port forward), so only the path counts.
const MediaProfile* find_profile(const Device& device, std::string_view uri) {
    constexpr std::string_view kScheme = "rtsp://";
    if (!starts_with_nocase(uri, kScheme)) return nullptr;
    const auto slash = uri.find('/', kScheme.size());
    std::string_view path = slash == std::string_view::npos ? "/" : uri.substr(slash);
    if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);  // the aggregate form some clients use
    for (const auto& profile : device.config().profiles)
        if (profile.stream_path == path) return &profile;
    return nullptr;
}

// One H.264 track, no media behind it: enough for a client to see what the stream would be.
std::string session_description(const Device& device) {
    return "v=0\r\n"
           "o=- " + std::to_string(device.index() + 1) + " 1 IN IP4 " + format_ipv4(device.address()) + "\r\n"
           "s=sitelink-simcam\r\n"
           "c=IN IP4 0.0.0.0\r\n"
           "t=0 0\r\n"
           "a=control:*\r\n"
           "m=video 0 RTP/AVP 96\r\n"
           "a=rtpmap:96 H264/90000\r\n"
           "a=fmtp:96 packetization-mode=1\r\n"
           "a=control:track1\r\n";
}

std::string describe(const RtspRequest& request, const Device& device, const std::string& who) {
    const AuthResult auth = check_authorization(request, device);
    spdlog::debug("{}: DESCRIBE {}: {}", who, request.uri, auth.reason);
    if (!auth.granted) {
        const std::string challenge = "WWW-Authenticate: Digest realm=\"" + device.realm() + "\", nonce=\"" +
                                      make_nonce() + "\"" + (auth.stale_nonce ? ", stale=TRUE" : "") + "\r\n";
        return make_answer(401, request.cseq, challenge);
    }
    // After authentication, so the answer does not tell strangers which paths exist.
    if (find_profile(device, request.uri) == nullptr) return make_answer(404, request.cseq);
    std::string base = request.uri;
    if (base.back() != '/') base += '/';
    return make_answer(200, request.cseq, "Content-Base: " + base + "\r\nContent-Type: application/sdp\r\n",
                       session_description(device));
}

std::string answer_request(const RtspRequest& request, const Device& device, const std::string& who) {
    if (request.method == "OPTIONS") return make_answer(200, request.cseq, "Public: " + std::string(kMethods) + "\r\n");
    if (request.method == "DESCRIBE") return describe(request, device, who);
    spdlog::debug("{}: {} not served", who, request.method);
    if (request.method == "SETUP" || request.method == "PLAY" || request.method == "TEARDOWN")
        return make_answer(455, request.cseq);
    return make_answer(405, request.cseq, "Allow: " + std::string(kMethods) + "\r\n");
}

enum class Read { Request, Malformed, Closed };

// Reads until `buffer` starts with a whole request. Closed: the client hung up or took too long.
Read read_request(int fd, std::string& buffer, RtspRequest& request) {
    const Deadline deadline = std::chrono::steady_clock::now() + kRequestTimeout;
    char chunk[2048];
    for (;;) {
        switch (parse_request(buffer, request)) {
            case Parse::Complete: return Read::Request;
            case Parse::Malformed: return Read::Malformed;
            case Parse::Incomplete: break;
        }
        if (!wait_until_ready(fd, POLLIN, deadline)) return Read::Closed;
        // Incomplete means below the limit, so there is always room for at least one byte.
        const ssize_t received = ::recv(fd, chunk, std::min(sizeof chunk, kMaxRequestBytes - buffer.size()), 0);
        if (received <= 0) return Read::Closed;
        buffer.append(chunk, static_cast<std::size_t>(received));
    }
}

bool send_all(int fd, const std::string& data) {
    for (std::size_t sent = 0; sent < data.size();) {
        const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return false;  // the socket's send timeout bounds a client that stopped reading
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

// Closing with unread input makes the kernel send a reset, which can destroy the 400 before the
// client reads it. So: stop sending, read and drop what is still coming for a moment, then close.
void close_after_error(int fd) {
    ::shutdown(fd, SHUT_WR);
    const Deadline deadline = std::chrono::steady_clock::now() + kLingerTimeout;
    char discard[4096];
    for (std::size_t drained = 0; drained < kMaxLingerBytes && wait_until_ready(fd, POLLIN, deadline);) {
        const ssize_t received = ::recv(fd, discard, sizeof discard, 0);
        if (received <= 0) break;
        drained += static_cast<std::size_t>(received);
    }
}

}  // namespace

void serve_rtsp_connection(int fd, const Device& device, const std::string& peer) {
    const std::string who = "rtsp " + format_ipv4(device.address()) + " from " + peer;
    std::string buffer;
    for (int served = 0; served < kMaxRequestsPerConnection && !device.is_silent(); ++served) {
        RtspRequest request;
        const Read outcome = read_request(fd, buffer, request);
        if (outcome == Read::Closed) break;
        if (outcome == Read::Malformed) {
            spdlog::debug("{}: malformed request, answering 400 and closing", who);
            send_all(fd, make_answer(400, {}));
            close_after_error(fd);
            break;
        }
        buffer.erase(0, request.length);
        if (!send_all(fd, answer_request(request, device, who))) break;
    }
    ::close(fd);
}

}  // namespace simcam
