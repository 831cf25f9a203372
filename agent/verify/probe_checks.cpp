// The checks the probe server runs against a site: one bounded conversation per port, over a
// non-blocking socket (and OpenSSL for https) so that one deadline holds for every step.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/socket.h"
#include "verify/probe.h"

namespace sitelink::verify {

namespace {

using Clock = std::chrono::steady_clock;

// A status line fits many times over; a service that sends this much without one is not the
// service asked for.
constexpr std::size_t kMaxStatusAnswer = 4 * 1024;
// A GetSystemDateAndTimeResponse is 1-3 KiB, even with the long namespace lists some firmware sends.
constexpr std::size_t kMaxOnvifAnswer = 16 * 1024;
// How much of an unexpected answer a detail quotes.
constexpr std::size_t kQuoteLength = 40;

constexpr std::string_view kOnvifPath = "/onvif/device_service";
constexpr std::string_view kGetSystemDateAndTime =
    R"(<?xml version="1.0" encoding="UTF-8"?>)"
    R"(<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">)"
    R"(<s:Body><tds:GetSystemDateAndTime/></s:Body></s:Envelope>)";

// The OS's words for errno `err`, which stays in the error's protocol code.
Error os_error(const std::string& target, int err) {
    const ErrorCode code = err == ECONNREFUSED                         ? ErrorCode::ConnectionRefused
                           : err == EHOSTUNREACH || err == ENETUNREACH ? ErrorCode::Unreachable
                           : err == ECONNRESET || err == EPIPE         ? ErrorCode::ConnectionClosed
                                                                       : ErrorCode::SocketFailed;
    std::string words = std::strerror(err);
    if (!words.empty()) words[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(words[0])));
    return Error{code, target, words, "errno " + std::to_string(err)};
}

// How a failed step reads in ProbeResult::detail: "connection refused (errno 111)".
std::string detail_of(const Error& error) {
    return error.protocol_code.empty() ? error.detail : error.detail + " (" + error.protocol_code + ")";
}

// The first line of an unexpected answer, quoted, unprintable bytes shown as '.'.
std::string quote(std::string_view answer) {
    const std::string_view line = answer.substr(0, answer.find_first_of("\r\n"));
    std::string text;
    for (const char c : line.substr(0, kQuoteLength)) text += std::isprint(static_cast<unsigned char>(c)) ? c : '.';
    return "'" + text + (line.size() > kQuoteLength ? "...'" : "'");
}

// OpenSSL writes with write(2), which raises SIGPIPE when the peer has gone, and SIGPIPE's default
// action ends the process. Blocks it on this thread for one check and discards one raised meanwhile.
class SigpipeBlocked {
public:
    SigpipeBlocked() {
        sigemptyset(&sigpipe_);
        sigaddset(&sigpipe_, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_);
    }
    ~SigpipeBlocked() {
        sigset_t pending;
        sigpending(&pending);
        if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
            const timespec no_wait{};
            sigtimedwait(&sigpipe_, nullptr, &no_wait);
        }
        pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    }
    SigpipeBlocked(const SigpipeBlocked&) = delete;
    SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

private:
    sigset_t sigpipe_{}, previous_{};
    bool was_pending_ = false;
};

struct TlsFree {
    void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
    void operator()(SSL* tls) const { SSL_free(tls); }
};

// One TCP connection, optionally under TLS, every step of which ends by one deadline.
class Channel {
public:
    Channel(std::string address, int port, std::chrono::milliseconds timeout)
        : address_(std::move(address)), port_(port), timeout_(timeout), deadline_(Clock::now() + timeout) {}

    std::string target() const { return address_ + ":" + std::to_string(port_); }

    Result<Done> connect() {
        sockaddr_in peer{};
        peer.sin_family = AF_INET;
        peer.sin_port = htons(static_cast<std::uint16_t>(port_));
        if (inet_pton(AF_INET, address_.c_str(), &peer.sin_addr) != 1)
            return Error{ErrorCode::Usage, address_, "not an IPv4 address", ""};
        socket_ = Socket(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!socket_.valid()) return os_error(target(), errno);
        if (::connect(socket_.fd(), reinterpret_cast<const sockaddr*>(&peer), sizeof peer) == 0) return Done{};
        if (errno != EINPROGRESS) return os_error(target(), errno);
        if (auto ready = wait(POLLOUT, ""); !ready) return ready.error();
        int err = 0;
        socklen_t length = sizeof err;
        if (getsockopt(socket_.fd(), SOL_SOCKET, SO_ERROR, &err, &length) != 0) return os_error(target(), errno);
        if (err != 0) return os_error(target(), err);
        return Done{};
    }

    // A TLS handshake that accepts any certificate: this checks reachability, not identity.
    Result<Done> start_tls() {
        ERR_clear_error();
        context_.reset(SSL_CTX_new(TLS_client_method()));
        if (!context_) return tls_error("cannot set up TLS");
        SSL_CTX_set_verify(context_.get(), SSL_VERIFY_NONE, nullptr);
        // Camera firmware is old: small keys, SHA-1 signatures, no secure renegotiation. Nothing
        // secret crosses this connection, so none of that is a reason to fail the check.
        SSL_CTX_set_security_level(context_.get(), 0);
        SSL_CTX_set_options(context_.get(), SSL_OP_LEGACY_SERVER_CONNECT);
        tls_.reset(SSL_new(context_.get()));
        if (!tls_ || SSL_set_fd(tls_.get(), socket_.fd()) != 1) return tls_error("cannot set up TLS");
        auto done = tls_call([this] { return SSL_connect(tls_.get()); }, " in the TLS handshake");
        if (!done) return done.error();
        if (*done == 0) return Error{ErrorCode::ConnectionClosed, target(), "TLS handshake failed: the server closed the connection", ""};
        return Done{};
    }

    Result<Done> send(std::string_view data) {
        while (!data.empty()) {
            auto sent = write_some(data);
            if (!sent) return sent.error();
            data.remove_prefix(*sent);
        }
        return Done{};
    }

    // Reads until `complete` says the answer is whole, the peer closes, or `limit` bytes arrived.
    // What arrived before a timeout or reset is returned too: the caller judges a partial answer.
    // An error only when nothing arrived.
    Result<std::string> receive(std::size_t limit, const std::function<bool(std::string_view)>& complete) {
        std::string answer;
        char buffer[2048];
        while (answer.size() < limit && !complete(answer)) {
            auto got = read_some(buffer, std::min(sizeof buffer, limit - answer.size()));
            if (!got) {
                if (answer.empty()) return got.error();
                break;
            }
            if (*got == 0) break;
            answer.append(buffer, *got);
        }
        if (answer.empty())
            return Error{ErrorCode::ConnectionClosed, target(), "the server closed the connection without answering", ""};
        return answer;
    }

private:
    // Waits until the socket is ready for `events`. `phase` ends the timeout's words.
    Result<Done> wait(short events, const char* phase) {
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
            if (left <= 0)
                return Error{ErrorCode::TimedOut, target(), "timed out after " + std::to_string(timeout_.count()) + " ms" + phase, ""};
            pollfd ready{socket_.fd(), events, 0};
            const int n = ::poll(&ready, 1, static_cast<int>(left));
            if (n > 0) return Done{};
            if (n < 0 && errno != EINTR) return os_error(target(), errno);
        }
    }

    Result<std::size_t> write_some(std::string_view data) {
        if (tls_) {
            auto written = tls_call([&] { return SSL_write(tls_.get(), data.data(), static_cast<int>(data.size())); }, " sending");
            if (!written) return written.error();
            if (*written == 0) return Error{ErrorCode::ConnectionClosed, target(), "the server closed the connection", ""};
            return static_cast<std::size_t>(*written);
        }
        for (;;) {
            const ssize_t n = ::send(socket_.fd(), data.data(), data.size(), MSG_NOSIGNAL);
            if (n >= 0) return static_cast<std::size_t>(n);
            if (errno != EAGAIN && errno != EINTR) return os_error(target(), errno);
            if (auto ready = wait(POLLOUT, " sending"); !ready) return ready.error();
        }
    }

    // 0 when the peer has closed.
    Result<std::size_t> read_some(char* buffer, std::size_t size) {
        if (tls_) {
            auto got = tls_call([&] { return SSL_read(tls_.get(), buffer, static_cast<int>(size)); }, kAnswerPhase);
            if (!got) return got.error();
            return static_cast<std::size_t>(*got);
        }
        for (;;) {
            const ssize_t n = ::recv(socket_.fd(), buffer, size, 0);
            if (n >= 0) return static_cast<std::size_t>(n);
            if (errno != EAGAIN && errno != EINTR) return os_error(target(), errno);
            if (auto ready = wait(POLLIN, kAnswerPhase); !ready) return ready.error();
        }
    }

    // Repeats an OpenSSL call on the non-blocking socket, waiting for what it wants, until it
    // succeeds (its positive result), the peer closes (0) or it fails.
    Result<int> tls_call(const std::function<int()>& call, const char* phase) {
        for (;;) {
            ERR_clear_error();
            errno = 0;
            const int rc = call();
            if (rc > 0) return rc;
            switch (SSL_get_error(tls_.get(), rc)) {
                case SSL_ERROR_WANT_READ:
                    if (auto ready = wait(POLLIN, phase); !ready) return ready.error();
                    continue;
                case SSL_ERROR_WANT_WRITE:
                    if (auto ready = wait(POLLOUT, phase); !ready) return ready.error();
                    continue;
                case SSL_ERROR_ZERO_RETURN: return 0;
                case SSL_ERROR_SYSCALL:
                    // Without an OpenSSL reason: the peer closed without a TLS goodbye, or the socket failed.
                    if (ERR_peek_error() == 0) {
                        if (errno == 0) return 0;
                        return os_error(target(), errno);
                    }
                    [[fallthrough]];
                default: return tls_error(SSL_is_init_finished(tls_.get()) ? "TLS failed" : "TLS handshake failed");
            }
        }
    }

    Error tls_error(const std::string& what) const {
        const char* reason = ERR_reason_error_string(ERR_get_error());
        return Error{ErrorCode::ConnectionClosed, target(), what + ": " + (reason != nullptr ? reason : "no reason given"), ""};
    }

    static constexpr const char* kAnswerPhase = " waiting for an answer";

    std::string address_;
    int port_;
    std::chrono::milliseconds timeout_;
    Clock::time_point deadline_;
    Socket socket_;
    std::unique_ptr<SSL_CTX, TlsFree> context_;
    std::unique_ptr<SSL, TlsFree> tls_;
};

// ---------------------------------------------------------------- reading answers

bool has_line_end(std::string_view answer) { return answer.find('\n') != std::string_view::npos; }

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Whether an HTTP message is whole by its Content-Length or its last chunk. Without either the
// message ends when the server closes (the request asks it to).
bool http_message_complete(std::string_view answer) {
    const auto header_end = answer.find("\r\n\r\n");
    if (header_end == std::string_view::npos) return false;
    const std::string header = lower(answer.substr(0, header_end + 2));
    const std::string_view body = answer.substr(header_end + 4);
    if (const auto at = header.find("\ncontent-length:"); at != std::string::npos) {
        std::size_t length = 0;
        const char* digits = header.c_str() + at + std::strlen("\ncontent-length:");
        while (*digits == ' ' || *digits == '\t') ++digits;
        if (std::sscanf(digits, "%zu", &length) == 1) return body.size() >= length;
    }
    return header.find("\ntransfer-encoding: chunked") != std::string::npos && body.ends_with("0\r\n\r\n");
}

// The status line's protocol, version and code, e.g. "RTSP/1.0 200" of "RTSP/1.0 200 OK", if
// the answer starts with a valid one for `protocol`.
std::optional<std::string> status_line(std::string_view answer, std::string_view protocol) {
    const std::string_view line = answer.substr(0, answer.find_first_of("\r\n"));
    auto digit = [&](std::size_t i) { return i < line.size() && std::isdigit(static_cast<unsigned char>(line[i])); };
    const std::size_t v = protocol.size() + 1;  // where "1.1 200" starts
    const bool valid = line.starts_with(protocol) && line.size() >= v + 7 && line[v - 1] == '/' && digit(v) && line[v + 1] == '.' &&
                       digit(v + 2) && line[v + 3] == ' ' && digit(v + 4) && digit(v + 5) && digit(v + 6) &&
                       (line.size() == v + 7 || line[v + 7] == ' ');
    if (!valid) return std::nullopt;
    return std::string(line.substr(0, v + 7));
}

// "HTTP 200" of "HTTP/1.1 200 OK".
std::optional<std::string> http_status(std::string_view answer) {
    auto line = status_line(answer, "HTTP");
    if (!line) return std::nullopt;
    return "HTTP " + line->substr(line->size() - 3);
}

// The number in the first opening element named `name`, in any namespace prefix, after `from`.
std::optional<int> element_number(std::string_view xml, std::string_view name, std::size_t from) {
    for (auto at = xml.find(name, from); at != std::string_view::npos; at = xml.find(name, at + 1)) {
        const std::size_t end = at + name.size();
        if (at == 0 || end >= xml.size() || xml[end] != '>' || (xml[at - 1] != '<' && xml[at - 1] != ':')) continue;
        const auto open = xml.rfind('<', at);
        if (open == std::string_view::npos || xml[open + 1] == '/') continue;
        int value = 0, digits = 0;
        std::size_t i = end + 1;
        for (; i < xml.size() && std::isdigit(static_cast<unsigned char>(xml[i])) && digits < 4; ++i, ++digits) value = value * 10 + (xml[i] - '0');
        if (digits == 0 || i >= xml.size() || xml[i] != '<') return std::nullopt;
        return value;
    }
    return std::nullopt;
}

// The device's UTC time in a GetSystemDateAndTimeResponse, "2026-11-24T10:00:00Z", if it gave one.
std::optional<std::string> onvif_utc_time(std::string_view xml) {
    const auto start = xml.find("UTCDateTime>");
    if (start == std::string_view::npos) return std::nullopt;
    int fields[6];
    const char* names[6] = {"Year", "Month", "Day", "Hour", "Minute", "Second"};
    for (int i = 0; i < 6; ++i) {
        const auto value = element_number(xml, names[i], start);
        if (!value) return std::nullopt;
        fields[i] = *value;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]);
    return std::string(text);
}

// ---------------------------------------------------------------- the conversations

struct Verdict {
    bool answered = false;
    std::string detail;
};

std::string http_request(std::string_view method, std::string_view path, const std::string& authority,
                         std::string_view extra_headers = "", std::string_view body = "") {
    std::string request = std::string(method) + " " + std::string(path) + " HTTP/1.1\r\nHost: " + authority +
                          "\r\nUser-Agent: sitelink-probe\r\nConnection: close\r\n" + std::string(extra_headers);
    if (!body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return request + "\r\n" + std::string(body);
}

// Sends `request` and reads the answer.
Result<std::string> exchange(Channel& channel, std::string_view request, std::size_t limit,
                             const std::function<bool(std::string_view)>& complete) {
    if (auto sent = channel.send(request); !sent) return sent.error();
    return channel.receive(limit, complete);
}

Verdict failed(const Error& error) { return {false, detail_of(error)}; }

Verdict check_http(Channel& channel) {
    auto answer = exchange(channel, http_request("GET", "/", channel.target()), kMaxStatusAnswer, has_line_end);
    if (!answer) return failed(answer.error());
    if (auto status = http_status(*answer)) return {true, *status};
    return {false, "not an HTTP answer: " + quote(*answer)};
}

Verdict check_https(Channel& channel) {
    if (auto tls = channel.start_tls(); !tls) return failed(tls.error());
    Verdict http = check_http(channel);
    http.detail = "TLS ok, " + http.detail;
    return http;
}

Verdict check_rtsp(Channel& channel) {
    const std::string request = "OPTIONS rtsp://" + channel.target() + "/ RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: sitelink-probe\r\n\r\n";
    auto answer = exchange(channel, request, kMaxStatusAnswer, has_line_end);
    if (!answer) return failed(answer.error());
    if (auto status = status_line(*answer, "RTSP")) return {true, *status};
    return {false, "not an RTSP answer: " + quote(*answer)};
}

// A plain HTTP POST rather than the ONVIF client: its gSOAP context accepts answers of megabytes,
// and the probe server reads no more than a few KiB from anyone.
Verdict check_onvif(Channel& channel) {
    const std::string request =
        http_request("POST", kOnvifPath, channel.target(),
                     "Content-Type: application/soap+xml; charset=utf-8; "
                     "action=\"http://www.onvif.org/ver10/device/wsdl/GetSystemDateAndTime\"\r\n",
                     kGetSystemDateAndTime);
    auto answer = exchange(channel, request, kMaxOnvifAnswer, http_message_complete);
    if (!answer) return failed(answer.error());
    const auto status = http_status(*answer);
    if (!status) return {false, "not an HTTP answer: " + quote(*answer)};
    if (*status != "HTTP 200" || answer->find("GetSystemDateAndTimeResponse") == std::string::npos)
        return {false, *status + ", not an ONVIF GetSystemDateAndTime answer"};
    const auto time = onvif_utc_time(*answer);
    return {true, time ? "ONVIF time " + *time : "ONVIF answered, without a UTC time"};
}

Verdict converse(Channel& channel, ProbeKind kind) {
    switch (kind) {
        case ProbeKind::Tcp: return {true, "connected"};
        case ProbeKind::Http: return check_http(channel);
        case ProbeKind::Https: return check_https(channel);
        case ProbeKind::Onvif: return check_onvif(channel);
        case ProbeKind::Rtsp: return check_rtsp(channel);
    }
    return {false, "unknown kind of check"};
}

constexpr std::pair<ProbeKind, const char*> kKindNames[] = {
    {ProbeKind::Tcp, "tcp"}, {ProbeKind::Http, "http"}, {ProbeKind::Https, "https"}, {ProbeKind::Onvif, "onvif"}, {ProbeKind::Rtsp, "rtsp"}};

}  // namespace

std::string to_string(ProbeKind kind) {
    for (const auto& [k, name] : kKindNames)
        if (k == kind) return name;
    return "unknown";
}

std::optional<ProbeKind> parse_probe_kind(const std::string& text) {
    for (const auto& [kind, name] : kKindNames)
        if (text == name) return kind;
    return std::nullopt;
}

ProbeResult run_check(const std::string& address, const ProbeCheck& check, std::chrono::milliseconds timeout) {
    ProbeResult result;
    result.port = check.port;
    result.kind = check.kind;
    try {
        const SigpipeBlocked no_sigpipe;
        Channel channel(address, check.port, timeout);
        if (auto connected = channel.connect(); !connected) {
            result.detail = detail_of(connected.error());
            return result;
        }
        result.connected = true;
        const Verdict verdict = converse(channel, check.kind);
        result.answered = verdict.answered;
        result.detail = verdict.detail;
    } catch (const std::exception& e) {  // out of memory, in practice
        result.detail = std::string("the check failed: ") + e.what();
    }
    return result;
}

Result<Done> try_connect(const std::string& address, int port, std::chrono::milliseconds timeout) {
    return Channel(address, port, timeout).connect();
}

void to_json(nlohmann::json& j, const ProbeCheck& v) { j = {{"port", v.port}, {"kind", to_string(v.kind)}}; }

void to_json(nlohmann::json& j, const ProbeResult& v) {
    j = {{"port", v.port}, {"kind", to_string(v.kind)}, {"connected", v.connected}, {"answered", v.answered}, {"detail", v.detail}};
}

void from_json(const nlohmann::json& j, ProbeResult& v) {
    v.port = j.at("port").get<int>();
    const auto kind = parse_probe_kind(j.at("kind").get<std::string>());
    if (!kind) throw nlohmann::json::other_error::create(501, "unknown kind '" + j.at("kind").get<std::string>() + "'", &j);
    v.kind = *kind;
    v.connected = j.at("connected").get<bool>();
    v.answered = j.at("answered").get<bool>();
    v.detail = j.value("detail", "");
}

void to_json(nlohmann::json& j, const ProbeAnswer& v) {
    j = {{"address", v.address}, {"host", v.host ? nlohmann::json(*v.host) : nlohmann::json(nullptr)}, {"resolved", v.resolved},
         {"results", v.results}};
}

void from_json(const nlohmann::json& j, ProbeAnswer& v) {
    v.address = j.at("address").get<std::string>();
    const auto host = j.find("host");
    v.host = host == j.end() || host->is_null() ? std::nullopt : std::optional<std::string>(host->get<std::string>());
    v.resolved = j.value("resolved", std::vector<std::string>{});
    v.results = j.at("results").get<std::vector<ProbeResult>>();
}

}  // namespace sitelink::verify
