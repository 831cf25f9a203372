// Stage 5 of the flow: prove that the site is reachable from the internet.
// An integrator runs a probe server (`sitelink probe-server`) on a public host. The agent on site
// asks it, over HTTPS with a bearer token, to connect back to the site on some ports and say what
// answered. The probe server only ever connects to the address the request came from, so it
// cannot be used to scan anyone else.
// Entry points: run_check() (one check, used by the server), ProbeServer, and ask_probe() (the
// agent's side).
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/error.h"

namespace sitelink::verify {

// ---------------------------------------------------------------- checks

enum class ProbeKind { Tcp, Http, Https, Onvif, Rtsp };
std::string to_string(ProbeKind kind);  // tcp, http, https, onvif, rtsp
std::optional<ProbeKind> parse_probe_kind(const std::string& text);

struct ProbeCheck {
    int port = 0;
    ProbeKind kind = ProbeKind::Tcp;
};

struct ProbeResult {
    int port = 0;
    ProbeKind kind = ProbeKind::Tcp;
    bool connected = false;  // the TCP connection was accepted
    bool answered = false;   // the service answered as its kind should
    // What happened, in the service's or the OS's own words: "HTTP 200", "TLS ok, HTTP 401",
    // "RTSP/1.0 200", "ONVIF time 2026-11-24T10:00:00Z", "connection refused (errno 111)",
    // "timed out after 3000 ms", "TLS handshake failed: ...".
    std::string detail;
};

// The default bound of one check, connect included: a camera on the internet answers well
// within it, and a request runs its checks side by side, so it takes about this long at most.
constexpr std::chrono::milliseconds kDefaultCheckTimeout{3000};
// Checks per request a probe server accepts unless configured otherwise.
constexpr int kDefaultMaxChecks = 8;

// Runs one check against address:port (an IPv4 address in dotted form):
//   tcp   connects only.
//   http  GET /; answered by any HTTP status line (a 401 or 404 still proves an HTTP server).
//   https TLS handshake without certificate verification (cameras use self-signed
//         certificates), then GET /; answered by any HTTP status line.
//   onvif unauthenticated GetSystemDateAndTime (SOAP 1.2) to /onvif/device_service; answered by
//         a GetSystemDateAndTimeResponse; the device's UTC time goes in the detail.
//   rtsp  OPTIONS; answered by an `RTSP/1.0 <code>` status line (a 401 still proves RTSP).
// The whole check, connect included, ends within `timeout`. It reads at most a few KiB, so a
// huge or endless answer is a failed check with a clear detail. Never throws.
ProbeResult run_check(const std::string& address, const ProbeCheck& check,
                      std::chrono::milliseconds timeout = kDefaultCheckTimeout);

// Connects to address:port (IPv4) within `timeout` and closes again. Errors keep errno:
// ConnectionRefused, Unreachable, TimedOut, SocketFailed.
Result<Done> try_connect(const std::string& address, int port, std::chrono::milliseconds timeout);

// ---------------------------------------------------------------- the probe server

// The API, served over HTTPS only:
//   GET  /v1/health  -> {"ok": true}, without authentication, for readiness checks.
//   POST /v1/probe   with `Authorization: Bearer <token>` and {"host": "optional DNS name",
//                    "checks": [{"port": 554, "kind": "rtsp"}, ...]}
//        -> 200 {"address", "host", "resolved", "results": [...]} (see ProbeAnswer).
// Errors are {"error": "<id>", "message": "..."}: 400 for a malformed or too large (16 KiB)
// request, unknown keys, bad ports or kinds, too many checks, or an IPv6 caller (IPv4 only for
// now); 401 without a valid token; 403 "host-mismatch" when `host` does not resolve to the
// caller's address (the answer also carries "address" and "resolved"); 429 with Retry-After when
// the caller's address or token has used up its requests for the minute.
// Serve it directly, not behind a reverse proxy: behind one, every caller would be the proxy, and
// the checks would go to the proxy's host.
struct ProbeServerOptions {
    std::string listen = "0.0.0.0";
    int port = 8443;                   // 0: any free port (tests); see ProbeServer::port()
    std::string cert_file, key_file;   // PEM; required
    std::vector<std::string> tokens;   // accepted bearer tokens; at least one, each 16 characters or more
    int max_checks = kDefaultMaxChecks;  // per request
    int requests_per_minute = 12;      // per caller address, and separately per token
    std::chrono::milliseconds check_timeout = kDefaultCheckTimeout;
    // Host name -> its IPv4 addresses. Default: resolve_ipv4().
    std::function<std::vector<std::string>(const std::string& name)> resolve;
    // Where the one line per request goes. Default: stderr.
    std::function<void(const std::string& line)> log;
};

constexpr std::size_t kMinTokenLength = 16;

class ProbeServer {
public:
    explicit ProbeServer(ProbeServerOptions options);
    ~ProbeServer();
    ProbeServer(const ProbeServer&) = delete;
    ProbeServer& operator=(const ProbeServer&) = delete;

    // Checks the options, loads the certificate and key and binds the listening socket.
    // Errors: Usage (options), Precondition (certificate or key), SocketFailed (cannot listen).
    Result<Done> bind();
    // The port bound; 0 before bind().
    int port() const;
    // Binds if bind() was not called, then serves until stop(). Errors as bind().
    Result<Done> listen();
    // Makes listen() return soon, or at once if it has not begun. Safe from another thread once
    // bind() has returned; not from a signal handler.
    void stop();

private:
    struct State;
    std::unique_ptr<State> state_;
};

// ---------------------------------------------------------------- the agent's side

struct ProbeServerRef {
    std::string url;        // https://probe.example.net:8443
    std::string token;
    std::string ca_file;    // PEM bundle trusted for the server's certificate; empty: the system's CAs
    std::string interface;  // leave through this interface; empty: wherever the routes say
};

// What the probe server saw: the site's address as the internet sees it, what `host` resolves to
// from outside, and one result per check, in the order asked.
struct ProbeAnswer {
    std::string address;
    std::optional<std::string> host;
    std::vector<std::string> resolved;
    std::vector<ProbeResult> results;
};

// Asks the probe server to run the checks against this site's public address; with `host`, the
// server first checks that the name resolves to that address. `timeout` bounds connecting and
// then waiting for the answer: allow the server's check timeout plus the trip. Errors name the
// server's URL and say what to do in their detail: AuthFailed (HTTP 401: the token);
// Precondition (HTTP 403 host-mismatch with the server's message, HTTP 429 with the wait, an
// untrusted certificate: --probe-ca); Usage (HTTP 400 with the server's reason, HTTP 404, a URL
// that is not https://); ConnectionRefused / Unreachable / TimedOut (errno kept when known);
// DeviceFault (HTTP 5xx); MalformedAnswer.
Result<ProbeAnswer> ask_probe(const ProbeServerRef& server, const std::optional<std::string>& host,
                              const std::vector<ProbeCheck>& checks, std::chrono::milliseconds timeout);

void to_json(nlohmann::json& j, const ProbeCheck& v);
void to_json(nlohmann::json& j, const ProbeResult& v);
void from_json(const nlohmann::json& j, ProbeResult& v);
void to_json(nlohmann::json& j, const ProbeAnswer& v);
void from_json(const nlohmann::json& j, ProbeAnswer& v);

}  // namespace sitelink::verify
