// The probe server: HTTPS with bearer tokens, rate limits per caller and per token, and checks
// aimed only ever at the address the request came from, so it cannot scan anyone else.
#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <deque>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/net.h"
#include "verify/probe.h"

namespace sitelink::verify {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr std::size_t kMaxRequestBody = 16 * 1024;
constexpr std::size_t kMaxHostLength = 253;  // the longest DNS name
constexpr auto kRateWindow = std::chrono::seconds(60);
// How much of a rejected value an error message quotes.
constexpr std::size_t kQuoteLength = 40;

// At most `limit` requests per key in any 60 seconds (a sliding window).
class RateLimiter {
public:
    explicit RateLimiter(int limit) : limit_(static_cast<std::size_t>(limit)) {}

    // Counts a request for `key`; over the limit, returns the seconds until the key may ask again.
    std::optional<int> admit(const std::string& key) {
        const std::lock_guard lock(mutex_);
        const auto now = Clock::now();
        forget_before(now - kRateWindow);
        auto& times = recent_[key];
        if (times.size() >= limit_) {
            const auto wait = std::chrono::ceil<std::chrono::seconds>(times.front() + kRateWindow - now);
            return std::max<int>(1, static_cast<int>(wait.count()));
        }
        times.push_back(now);
        return std::nullopt;
    }

private:
    void forget_before(Clock::time_point cutoff) {
        for (auto it = recent_.begin(); it != recent_.end();) {
            auto& times = it->second;
            while (!times.empty() && times.front() <= cutoff) times.pop_front();
            it = times.empty() ? recent_.erase(it) : std::next(it);
        }
    }

    std::size_t limit_;
    std::mutex mutex_;
    std::map<std::string, std::deque<Clock::time_point>> recent_;
};

struct ProbeRequest {
    std::optional<std::string> host;
    std::vector<ProbeCheck> checks;
};

std::string quote(const json& value) {
    const std::string text = value.dump();
    return text.size() > kQuoteLength ? text.substr(0, kQuoteLength) + "..." : text;
}

// Only what DNS names are made of, which also keeps the log line one line.
bool is_dns_name(const std::string& name) {
    return !name.empty() && name.size() <= kMaxHostLength && std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_' || c == '.';
    });
}

Error bad_request(const std::string& message) { return Error{ErrorCode::Usage, "", message, ""}; }

Result<ProbeCheck> parse_check(const json& item, const std::string& where) {
    if (!item.is_object()) return bad_request(where + ": must be an object like {\"port\": 554, \"kind\": \"rtsp\"}");
    for (const auto& [key, value] : item.items())
        if (key != "port" && key != "kind") return bad_request(where + ": unknown key '" + key + "'");
    const auto port = item.find("port");
    const auto kind = item.find("kind");
    if (port == item.end() || kind == item.end()) return bad_request(where + ": needs both port and kind");
    if (!port->is_number_integer() || port->get<long long>() < 1 || port->get<long long>() > 65535)
        return bad_request(where + ".port: " + quote(*port) + " is not a port (1-65535)");
    const auto parsed = kind->is_string() ? parse_probe_kind(kind->get<std::string>()) : std::nullopt;
    if (!parsed) return bad_request(where + ".kind: " + quote(*kind) + " is not one of tcp, http, https, onvif, rtsp");
    return ProbeCheck{port->get<int>(), *parsed};
}

// Reads and validates a request body. The message names the key, the bad value and the rule.
Result<ProbeRequest> parse_request(const std::string& body, int max_checks) {
    const json root = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (root.is_discarded()) return bad_request("the body is not valid JSON");
    if (!root.is_object()) return bad_request("the body must be a JSON object with \"checks\" (and optionally \"host\")");
    for (const auto& [key, value] : root.items())
        if (key != "host" && key != "checks") return bad_request("unknown key '" + key + "'");
    ProbeRequest request;
    if (const auto host = root.find("host"); host != root.end() && !host->is_null()) {
        if (!host->is_string() || !is_dns_name(host->get_ref<const std::string&>()))
            return bad_request("host: " + quote(*host) + " is not a DNS name (1 to 253 letters, digits, '-', '_' and '.')");
        request.host = host->get<std::string>();
    }
    const auto checks = root.find("checks");
    if (checks == root.end() || !checks->is_array())
        return bad_request("checks: missing; give a list like [{\"port\": 554, \"kind\": \"rtsp\"}]");
    if (checks->empty() || checks->size() > static_cast<std::size_t>(max_checks))
        return bad_request("checks: " + std::to_string(checks->size()) + " given; between 1 and " + std::to_string(max_checks) +
                           " allowed per request");
    for (std::size_t i = 0; i < checks->size(); ++i) {
        auto check = parse_check((*checks)[i], "checks[" + std::to_string(i) + "]");
        if (!check) return check.error();
        request.checks.push_back(*check);
    }
    return request;
}

// "554/rtsp,80/http", for the log.
std::string describe(const std::vector<ProbeCheck>& checks) {
    std::string text;
    for (const auto& c : checks) text += (text.empty() ? "" : ",") + std::to_string(c.port) + "/" + to_string(c.kind);
    return text;
}

std::string joined(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
    return text;
}

// The caller's address as the checks will use it: IPv4 callers of a dual-stack socket show as
// "::ffff:a.b.c.d".
std::string caller_address(const std::string& remote_addr) {
    constexpr std::string_view kMappedPrefix = "::ffff:";
    const std::string_view text = remote_addr;
    if (text.starts_with(kMappedPrefix) && Ipv4::parse(std::string(text.substr(kMappedPrefix.size()))))
        return std::string(text.substr(kMappedPrefix.size()));
    return remote_addr;
}

std::string bearer_token(const httplib::Request& req) {
    const std::string header = req.get_header_value("Authorization");
    constexpr std::string_view kScheme = "bearer ";
    if (header.size() <= kScheme.size() ||
        !std::equal(kScheme.begin(), kScheme.end(), header.begin(), [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); }))
        return "";
    const auto start = header.find_first_not_of(' ', kScheme.size());
    return start == std::string::npos ? "" : header.substr(start, header.find_last_not_of(' ') + 1 - start);
}

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& id, const std::string& message, json extra = json::object()) {
    extra["error"] = id;
    extra["message"] = message;
    reply(res, status, extra);
}

void reply_rate_limited(httplib::Response& res, int retry_after_s, const std::string& whose) {
    res.set_header("Retry-After", std::to_string(retry_after_s));
    reply_error(res, 429, "rate-limited",
                "too many requests from " + whose + "; try again in " + std::to_string(retry_after_s) + " s");
}

// Runs the checks side by side, so a request takes about one check's timeout however many it has.
std::vector<ProbeResult> run_checks(const std::string& address, const std::vector<ProbeCheck>& checks, std::chrono::milliseconds timeout) {
    std::vector<std::future<ProbeResult>> running;
    for (const auto& check : checks) running.push_back(std::async(std::launch::async, run_check, address, check, timeout));
    std::vector<ProbeResult> results;
    for (auto& r : running) results.push_back(r.get());
    return results;
}

// What the request's log line says beyond its caller and status; "-" where unknown.
struct RequestLog {
    std::string token_id = "-";
    std::string host = "-";
    std::string checks = "-";
};

}  // namespace

struct ProbeServer::State {
    explicit State(ProbeServerOptions o)
        : options(std::move(o)), by_address(options.requests_per_minute), by_token(options.requests_per_minute) {}

    Result<Done> check_options() const;
    Result<Done> bind();
    void handle_probe(const httplib::Request& req, httplib::Response& res, RequestLog& log);
    bool accepted(const std::string& token) const;
    void log_request(const httplib::Request& req, const httplib::Response& res, const RequestLog& log);

    ProbeServerOptions options;
    RateLimiter by_address, by_token;
    std::unique_ptr<httplib::SSLServer> http;
    int port = 0;
    std::atomic<bool> serving{false}, stop_requested{false};
    std::mutex log_mutex;
};

Result<Done> ProbeServer::State::check_options() const {
    const std::string where = options.listen + ":" + std::to_string(options.port);
    if (options.cert_file.empty() || options.key_file.empty())
        return Error{ErrorCode::Usage, where, "the probe server serves HTTPS only: give a certificate and its key (PEM)", ""};
    if (options.tokens.empty()) return Error{ErrorCode::Usage, where, "give at least one token the probe server accepts", ""};
    for (const auto& token : options.tokens)
        if (token.size() < kMinTokenLength)
            return Error{ErrorCode::Usage, where,
                         "the token starting '" + token.substr(0, 4) + "' has " + std::to_string(token.size()) + " characters; use " +
                             std::to_string(kMinTokenLength) + " or more (e.g. `openssl rand -hex 24`)",
                         ""};
    if (options.max_checks < 1 || options.requests_per_minute < 1 || options.check_timeout.count() < 1 || options.port < 0 ||
        options.port > 65535)
        return Error{ErrorCode::Usage, where, "the port must be 0-65535, and checks per request, requests per minute and the check timeout at least 1", ""};
    for (const auto& file : {options.cert_file, options.key_file})
        if (::access(file.c_str(), R_OK) != 0)
            return Error{ErrorCode::Precondition, file, std::string("cannot read it: ") + std::strerror(errno), "errno " + std::to_string(errno)};
    return Done{};
}

Result<Done> ProbeServer::State::bind() {
    if (auto ok = check_options(); !ok) return ok.error();
    http = std::make_unique<httplib::SSLServer>(options.cert_file.c_str(), options.key_file.c_str());
    if (!http->is_valid())
        return Error{ErrorCode::Precondition, options.cert_file + ", " + options.key_file,
                     "cannot load the certificate and key: they must be PEM files of one key pair", ""};
    http->set_payload_max_length(kMaxRequestBody);
    // One request per connection: callers ask rarely, and an idle kept-alive connection would hold
    // one of the server's few threads.
    http->set_keep_alive_max_count(1);
    http->Get("/v1/health", [](const httplib::Request&, httplib::Response& res) { reply(res, 200, {{"ok", true}}); });
    http->Post("/v1/probe", [this](const httplib::Request& req, httplib::Response& res) {
        RequestLog log;
        handle_probe(req, res, log);
        log_request(req, res, log);
    });
    http->set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // a handler's own answer
        if (res.status == 413)
            reply_error(res, 400, "body-too-large", "the request body is larger than " + std::to_string(kMaxRequestBody / 1024) + " KiB");
        else if (res.status == 404)
            reply_error(res, 404, "not-found", "no such endpoint; use POST /v1/probe or GET /v1/health");
        else
            reply_error(res, res.status, "bad-request", "the request is not valid HTTP for this server");
        return httplib::Server::HandlerResponse::Handled;
    }));
    http->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        reply_error(res, 500, "internal", "the probe server failed on this request; try again");
    });
    port = options.port == 0 ? http->bind_to_any_port(options.listen) : (http->bind_to_port(options.listen, options.port) ? options.port : -1);
    if (port <= 0) {
        port = 0;
        http.reset();
        return Error{ErrorCode::SocketFailed, options.listen + ":" + std::to_string(options.port),
                     "cannot listen there: the port is taken, the address is not this host's, or the port is below 1024 without root", ""};
    }
    return Done{};
}

bool ProbeServer::State::accepted(const std::string& token) const {
    return !token.empty() && std::any_of(options.tokens.begin(), options.tokens.end(), [&](const std::string& t) {
        return t.size() == token.size() && CRYPTO_memcmp(t.data(), token.data(), t.size()) == 0;  // in constant time
    });
}

void ProbeServer::State::handle_probe(const httplib::Request& req, httplib::Response& res, RequestLog& log) {
    const std::string caller = caller_address(req.remote_addr);
    // Counted before the token is checked, so guessing tokens is slow too.
    if (const auto wait = by_address.admit(caller)) return reply_rate_limited(res, *wait, "your address");
    const std::string token = bearer_token(req);
    if (!token.empty()) log.token_id = token.substr(0, 4);
    if (!accepted(token)) {
        res.set_header("WWW-Authenticate", "Bearer");
        return reply_error(res, 401, "unauthorized", "a valid bearer token is required");
    }
    if (const auto wait = by_token.admit(token)) return reply_rate_limited(res, *wait, "this token");
    if (!Ipv4::parse(caller))
        return reply_error(res, 400, "ipv4-only",
                           "the probe server checks IPv4 only for now, and this request came from " + caller +
                               "; ask it over IPv4 (for example with the server's IPv4 address in the URL)");
    auto request = parse_request(req.body, options.max_checks);
    if (!request) return reply_error(res, 400, "bad-request", request.error().detail);
    log.checks = describe(request->checks);

    ProbeAnswer answer;
    answer.address = caller;
    answer.host = request->host;
    if (request->host) {
        log.host = *request->host;
        answer.resolved = options.resolve(*request->host);
        if (std::find(answer.resolved.begin(), answer.resolved.end(), caller) == answer.resolved.end()) {
            const std::string found = answer.resolved.empty() ? " does not resolve to any IPv4 address"
                                                               : " resolves to " + joined(answer.resolved);
            return reply_error(res, 403, "host-mismatch", *request->host + found + ", not to your address " + caller,
                               {{"address", caller}, {"resolved", answer.resolved}});
        }
    }
    answer.results = run_checks(caller, request->checks, options.check_timeout);
    reply(res, 200, answer);
}

void ProbeServer::State::log_request(const httplib::Request& req, const httplib::Response& res, const RequestLog& log) {
    const std::string line = "probe " + req.remote_addr + " token " + log.token_id + " host " + log.host + " checks " + log.checks +
                             " -> " + std::to_string(res.status);
    const std::lock_guard lock(log_mutex);
    options.log(line);
}

ProbeServer::ProbeServer(ProbeServerOptions options) : state_(std::make_unique<State>(std::move(options))) {
    if (!state_->options.resolve) state_->options.resolve = resolve_ipv4;
    if (!state_->options.log) state_->options.log = [](const std::string& line) { std::cerr << line + "\n"; };
}

ProbeServer::~ProbeServer() = default;

Result<Done> ProbeServer::bind() { return state_->http ? Result<Done>(Done{}) : state_->bind(); }

int ProbeServer::port() const { return state_->port; }

Result<Done> ProbeServer::listen() {
    if (auto bound = bind(); !bound) return bound.error();
    state_->serving = true;
    const bool served = state_->stop_requested || state_->http->listen_after_bind();
    state_->serving = false;
    if (!served)
        return Error{ErrorCode::SocketFailed, state_->options.listen + ":" + std::to_string(state_->port),
                     "the server stopped accepting connections", ""};
    return Done{};
}

void ProbeServer::stop() {
    state_->stop_requested = true;
    // httplib ignores stop() until its accept loop runs: wait for that if listen() has begun.
    while (state_->serving && !state_->http->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (state_->http) state_->http->stop();
}

}  // namespace sitelink::verify
