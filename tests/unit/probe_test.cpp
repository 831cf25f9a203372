// The reachability probe: each check against tiny servers on loopback, and the probe server with
// its client over real HTTPS on loopback. Nothing leaves 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/socket.h"
#include "verify/probe.h"

using namespace sitelink;
using namespace sitelink::verify;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr auto kCheckTimeout = std::chrono::milliseconds(1000);
const std::string kLoopback = "127.0.0.1";
const std::string kToken = "test-token-0123456789";
const std::string kRtspOk = "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n";

// A self-signed certificate for 127.0.0.1, made once for the whole run.
struct TlsFiles {
    TlsFiles() {
        char pattern[] = "/tmp/sitelink-probe-test-XXXXXX";
        if (mkdtemp(pattern) == nullptr) return;
        dir = pattern;
        const std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1"
                                    " -addext subjectAltName=IP:127.0.0.1 -keyout " + dir + "/key.pem -out " + dir + "/cert.pem 2>/dev/null";
        if (std::system(command.c_str()) == 0) {
            cert = dir + "/cert.pem";
            key = dir + "/key.pem";
        }
    }
    ~TlsFiles() {
        if (!dir.empty()) fs::remove_all(dir);
    }
    std::string dir, cert, key;
};

const TlsFiles& tls_files() {
    static const TlsFiles files;
    return files;
}

// A TCP socket listening on 127.0.0.1 at a free port.
Socket listen_on_loopback(int& port) {
    Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(s.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(s.fd(), 8) != 0 ||
        getsockname(s.fd(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
        return Socket();
    port = ntohs(address.sin_port);
    return s;
}

// A port nothing listens on: bound once, then let go.
int unused_port() {
    int port = 0;
    listen_on_loopback(port);
    return port;
}

// Reads the request, answers `reply` whatever it was, and closes; counts the connections.
class CannedResponder {
public:
    explicit CannedResponder(std::string reply) : reply_(std::move(reply)), socket_(listen_on_loopback(port_)) {
        thread_ = std::thread([this] { serve(); });
    }
    ~CannedResponder() {
        stop_ = true;
        thread_.join();
    }
    int port() const { return port_; }
    int connections() const { return connections_; }

private:
    void serve() {
        while (!stop_) {
            pollfd listening{socket_.fd(), POLLIN, 0};
            if (::poll(&listening, 1, 20) <= 0) continue;
            Socket peer(::accept4(socket_.fd(), nullptr, nullptr, SOCK_CLOEXEC));
            if (!peer.valid()) continue;
            ++connections_;
            read_until_quiet(peer.fd());
            ::send(peer.fd(), reply_.data(), reply_.size(), MSG_NOSIGNAL);
            // Half-close and wait for the client's close, so no unread byte turns the close into a reset.
            ::shutdown(peer.fd(), SHUT_WR);
            read_until_quiet(peer.fd());
        }
    }
    static void read_until_quiet(int fd) {
        char buffer[4096];
        pollfd readable{fd, POLLIN, 0};
        while (::poll(&readable, 1, 100) > 0 && ::recv(fd, buffer, sizeof buffer, 0) > 0) {
        }
    }

    std::string reply_;
    int port_ = 0;
    Socket socket_;
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    std::thread thread_;
};

// A plain HTTP server answering GET / with 200.
class WebServer {
public:
    WebServer() {
        server_.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content("camera", "text/plain"); });
        port_ = server_.bind_to_any_port(kLoopback);
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~WebServer() {
        server_.stop();
        thread_.join();
    }
    int port() const { return port_; }

private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
};

ProbeServerOptions test_options() {
    ProbeServerOptions o;
    o.listen = kLoopback;
    o.port = 0;
    o.cert_file = tls_files().cert;
    o.key_file = tls_files().key;
    o.tokens = {kToken};
    o.requests_per_minute = 100;
    o.check_timeout = kCheckTimeout;
    o.log = [](const std::string&) {};
    return o;
}

// A probe server on 127.0.0.1 at a free port, serving until the end of the test.
class RunningProbeServer {
public:
    explicit RunningProbeServer(ProbeServerOptions options = test_options()) : server_(std::move(options)) {
        auto bound = server_.bind();
        if (!bound) bind_error_ = bound.error().summary();
        thread_ = std::thread([this] { server_.listen(); });
    }
    ~RunningProbeServer() {
        server_.stop();
        thread_.join();
    }
    const std::string& bind_error() const { return bind_error_; }
    int port() const { return server_.port(); }
    std::string url() const { return "https://127.0.0.1:" + std::to_string(port()); }

    httplib::Result post(const std::string& body, const std::string& token = kToken) const {
        httplib::Client client(url());
        client.enable_server_certificate_verification(false);
        httplib::Headers headers;
        if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
        return client.Post("/v1/probe", headers, body, "application/json");
    }

private:
    ProbeServer server_;
    std::string bind_error_;
    std::thread thread_;
};

std::string request_body(const std::vector<ProbeCheck>& checks, const std::optional<std::string>& host = std::nullopt) {
    json body = {{"checks", checks}};
    if (host) body["host"] = *host;
    return body.dump();
}

// A probe server whose resolver says `name` has these addresses.
ProbeServerOptions resolving_to(std::vector<std::string> addresses) {
    auto o = test_options();
    o.resolve = [addresses](const std::string&) { return addresses; };
    return o;
}

// Asks a probe server whose resolver gives `addresses` for cam.example.net to check an RTSP port there.
httplib::Result ask_about_name(const std::vector<std::string>& addresses, int port) {
    const RunningProbeServer server(resolving_to(addresses));
    return server.post(request_body({{port, ProbeKind::Rtsp}}, "cam.example.net"));
}

std::string captured_onvif_answer() {
    std::ifstream in(std::string(SITELINK_SOURCE_DIR) + "/tests/fuzz/corpus/fuzz_onvif_response/02_GetSystemDateAndTime.bin");
    std::stringstream content;
    content << in.rdbuf();
    const std::string raw = content.str();
    return raw.substr(raw.find("HTTP/"));  // the fuzzer's leading control byte is not part of the answer
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// ---------------------------------------------------------------- checks

TEST(ProbeKind, NamesRoundTrip) {
    for (auto kind : {ProbeKind::Tcp, ProbeKind::Http, ProbeKind::Https, ProbeKind::Onvif, ProbeKind::Rtsp})
        EXPECT_EQ(parse_probe_kind(to_string(kind)), kind);
    EXPECT_FALSE(parse_probe_kind("ftp"));
}

TEST(ProbeChecks, HttpServerAnswersWithItsStatus) {
    WebServer web;
    const auto result = run_check(kLoopback, {web.port(), ProbeKind::Http}, kCheckTimeout);
    EXPECT_TRUE(result.connected);
    EXPECT_TRUE(result.answered);
    EXPECT_EQ(result.detail, "HTTP 200");
}

TEST(ProbeChecks, RtspAnswersEvenWhenItWantsCredentials) {
    CannedResponder ok(kRtspOk), locked("RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\n\r\n");
    const auto open = run_check(kLoopback, {ok.port(), ProbeKind::Rtsp}, kCheckTimeout);
    EXPECT_TRUE(open.answered);
    EXPECT_EQ(open.detail, "RTSP/1.0 200");
    const auto closed = run_check(kLoopback, {locked.port(), ProbeKind::Rtsp}, kCheckTimeout);
    EXPECT_TRUE(closed.answered);
    EXPECT_EQ(closed.detail, "RTSP/1.0 401");
}

TEST(ProbeChecks, RefusedPortIsNotConnectedAndSaysErrno) {
    const int port = unused_port();
    for (auto kind : {ProbeKind::Tcp, ProbeKind::Http}) {
        const auto result = run_check(kLoopback, {port, kind}, kCheckTimeout);
        EXPECT_FALSE(result.connected);
        EXPECT_FALSE(result.answered);
        EXPECT_EQ(result.detail, "connection refused (errno 111)");
    }
}

TEST(ProbeChecks, GarbageIsConnectedButNotAnswered) {
    CannedResponder garbage("SSH-2.0-OpenSSH_9.2\r\n");
    const auto http = run_check(kLoopback, {garbage.port(), ProbeKind::Http}, kCheckTimeout);
    EXPECT_TRUE(http.connected);
    EXPECT_FALSE(http.answered);
    EXPECT_EQ(http.detail, "not an HTTP answer: 'SSH-2.0-OpenSSH_9.2'");
    const auto rtsp = run_check(kLoopback, {garbage.port(), ProbeKind::Rtsp}, kCheckTimeout);
    EXPECT_TRUE(rtsp.connected);
    EXPECT_FALSE(rtsp.answered);
    EXPECT_TRUE(contains(rtsp.detail, "not an RTSP answer")) << rtsp.detail;
    const auto tls = run_check(kLoopback, {garbage.port(), ProbeKind::Https}, kCheckTimeout);
    EXPECT_TRUE(tls.connected);
    EXPECT_FALSE(tls.answered);
    EXPECT_TRUE(contains(tls.detail, "TLS handshake failed")) << tls.detail;
}

TEST(ProbeChecks, HugeAnswerIsCutShortAndFails) {
    CannedResponder flood(std::string(256 * 1024, 'A'));
    const auto result = run_check(kLoopback, {flood.port(), ProbeKind::Http}, kCheckTimeout);
    EXPECT_TRUE(result.connected);
    EXPECT_FALSE(result.answered);
    EXPECT_EQ(result.detail, "not an HTTP answer: '" + std::string(40, 'A') + "...'");
}

TEST(ProbeChecks, SilentServiceTimesOut) {
    int port = 0;
    const Socket never_accepts = listen_on_loopback(port);  // the kernel completes the handshake; nobody answers
    const auto result = run_check(kLoopback, {port, ProbeKind::Http}, std::chrono::milliseconds(200));
    EXPECT_TRUE(result.connected);
    EXPECT_FALSE(result.answered);
    EXPECT_EQ(result.detail, "timed out after 200 ms waiting for an answer");
}

TEST(ProbeChecks, OnvifAnswerGivesTheDeviceClock) {
    CannedResponder camera(captured_onvif_answer());
    const auto result = run_check(kLoopback, {camera.port(), ProbeKind::Onvif}, kCheckTimeout);
    EXPECT_TRUE(result.answered);
    EXPECT_EQ(result.detail, "ONVIF time 2026-11-23T20:41:37Z");

    WebServer web;  // answers 404 at /onvif/device_service
    const auto not_onvif = run_check(kLoopback, {web.port(), ProbeKind::Onvif}, kCheckTimeout);
    EXPECT_TRUE(not_onvif.connected);
    EXPECT_FALSE(not_onvif.answered);
    EXPECT_EQ(not_onvif.detail, "HTTP 404, not an ONVIF GetSystemDateAndTime answer");
}

TEST(ProbeChecks, HttpsHandshakesWithoutVerifying) {
    RunningProbeServer tls_server;  // self-signed, like a camera
    ASSERT_EQ(tls_server.bind_error(), "");
    const auto result = run_check(kLoopback, {tls_server.port(), ProbeKind::Https}, kCheckTimeout);
    EXPECT_TRUE(result.answered);
    EXPECT_EQ(result.detail, "TLS ok, HTTP 404");
}

// ---------------------------------------------------------------- the probe server

TEST(ProbeServer, HealthNeedsNoToken) {
    RunningProbeServer server;
    ASSERT_EQ(server.bind_error(), "");
    httplib::Client client(server.url());
    client.enable_server_certificate_verification(false);
    auto answer = client.Get("/v1/health");
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(json::parse(answer->body), json({{"ok", true}}));
}

TEST(ProbeServer, MissingOrWrongTokenIsRefusedWithoutDetail) {
    RunningProbeServer server;
    ASSERT_EQ(server.bind_error(), "");
    for (const std::string token : {"", "wrong-token-0123456789"}) {
        auto answer = server.post(request_body({{80, ProbeKind::Tcp}}), token);
        ASSERT_TRUE(answer);
        EXPECT_EQ(answer->status, 401);
        const auto body = json::parse(answer->body);
        EXPECT_EQ(body["error"], "unauthorized");
        EXPECT_FALSE(body.contains("results") || body.contains("address"));
    }
}

TEST(ProbeServer, RateLimitAnswers429WithRetryAfter) {
    auto options = test_options();
    options.requests_per_minute = 3;
    RunningProbeServer server(options);
    ASSERT_EQ(server.bind_error(), "");
    const std::string body = request_body({{unused_port(), ProbeKind::Tcp}});
    for (int i = 0; i < 3; ++i) {
        auto answer = server.post(body);
        ASSERT_TRUE(answer);
        EXPECT_EQ(answer->status, 200) << "request " << i;
    }
    auto limited = server.post(body);
    ASSERT_TRUE(limited);
    EXPECT_EQ(limited->status, 429);
    EXPECT_EQ(json::parse(limited->body)["error"], "rate-limited");
    ASSERT_TRUE(limited->has_header("Retry-After"));
    const int retry_after = std::stoi(limited->get_header_value("Retry-After"));
    EXPECT_GE(retry_after, 1);
    EXPECT_LE(retry_after, 60);
}

TEST(ProbeServer, HostResolvingElsewhereIsRefusedAndNothingIsContacted) {
    CannedResponder bystander(kRtspOk);
    auto answer = ask_about_name({"198.51.100.7", "203.0.113.9"}, bystander.port());
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 403);
    const auto body = json::parse(answer->body);
    EXPECT_EQ(body["error"], "host-mismatch");
    EXPECT_EQ(body["message"], "cam.example.net resolves to 198.51.100.7, 203.0.113.9, not to your address 127.0.0.1");
    EXPECT_EQ(body["resolved"], json({"198.51.100.7", "203.0.113.9"}));
    EXPECT_EQ(bystander.connections(), 0);
}

TEST(ProbeServer, HostResolvingToTheCallerIsChecked) {
    CannedResponder rtsp(kRtspOk);
    auto answer = ask_about_name({"192.0.2.1", "127.0.0.1"}, rtsp.port());
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 200) << answer->body;
    const auto body = json::parse(answer->body);
    EXPECT_EQ(body["address"], "127.0.0.1");
    EXPECT_EQ(body["host"], "cam.example.net");
    EXPECT_EQ(body["resolved"], json({"192.0.2.1", "127.0.0.1"}));
    EXPECT_EQ(body["results"][0]["answered"], true);
}

TEST(ProbeServer, InvalidRequestsAre400WithTheReason) {
    RunningProbeServer server;
    ASSERT_EQ(server.bind_error(), "");
    const std::vector<ProbeCheck> nine(9, ProbeCheck{80, ProbeKind::Tcp});
    const std::vector<std::pair<std::string, std::string>> cases = {
        {request_body(nine), "9 given; between 1 and 8"},
        {R"({"checks": []})", "0 given"},
        {R"({"checks": [{"port": 0, "kind": "tcp"}]})", "checks[0].port: 0 is not a port"},
        {R"({"checks": [{"port": 70000, "kind": "tcp"}]})", "checks[0].port: 70000 is not a port"},
        {R"({"checks": [{"port": "80", "kind": "tcp"}]})", "checks[0].port: \"80\" is not a port"},
        {R"({"checks": [{"port": 80, "kind": "ftp"}]})", "checks[0].kind: \"ftp\" is not one of"},
        {R"({"checks": [{"port": 80}]})", "needs both port and kind"},
        {R"({"checks": [{"port": 80, "kind": "tcp", "target": "10.0.0.1"}]})", "unknown key 'target'"},
        {R"({"checks": [{"port": 80, "kind": "tcp"}], "address": "10.0.0.1"})", "unknown key 'address'"},
        {R"({"host": 7, "checks": [{"port": 80, "kind": "tcp"}]})", "host: 7 is not a DNS name"},
        {R"({"host": "cam\nexample", "checks": [{"port": 80, "kind": "tcp"}]})", "is not a DNS name"},
        {R"({"host": "cam.example.net"})", "checks: missing"},
        {"{", "not valid JSON"},
        {"[1]", "must be a JSON object"},
        {R"({"checks": [{"port": 80, "kind": "tcp"}], "pad": ")" + std::string(17 * 1024, 'x') + "\"}", "larger than 16 KiB"},
    };
    for (const auto& [body, reason] : cases) {
        auto answer = server.post(body);
        ASSERT_TRUE(answer) << reason;
        EXPECT_EQ(answer->status, 400) << reason;
        const auto error = json::parse(answer->body, nullptr, false);
        ASSERT_TRUE(error.is_object()) << answer->body;
        EXPECT_TRUE(contains(error.value("message", ""), reason)) << error.dump();
    }
}

TEST(ProbeServer, RunsEachKindAgainstTheCaller) {
    WebServer web;
    CannedResponder rtsp(kRtspOk), garbage("hello?\r\n");
    const int closed = unused_port();
    RunningProbeServer server;
    ASSERT_EQ(server.bind_error(), "");
    auto answer = server.post(request_body({{web.port(), ProbeKind::Http},
                                           {rtsp.port(), ProbeKind::Rtsp},
                                           {closed, ProbeKind::Tcp},
                                           {garbage.port(), ProbeKind::Http},
                                           {garbage.port(), ProbeKind::Rtsp}}));
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 200) << answer->body;
    const auto results = json::parse(answer->body).get<ProbeAnswer>().results;
    ASSERT_EQ(results.size(), 5u);
    EXPECT_TRUE(results[0].answered);
    EXPECT_EQ(results[0].detail, "HTTP 200");
    EXPECT_TRUE(results[1].answered);
    EXPECT_EQ(results[1].detail, "RTSP/1.0 200");
    EXPECT_EQ(results[2].port, closed);
    EXPECT_FALSE(results[2].connected);
    EXPECT_TRUE(contains(results[2].detail, "errno 111")) << results[2].detail;
    for (int i : {3, 4}) {
        EXPECT_TRUE(results[i].connected) << i;
        EXPECT_FALSE(results[i].answered) << i;
    }
}

TEST(ProbeServer, RefusesToStartWithShortTokenOrMissingCertificate) {
    auto short_token = test_options();
    short_token.tokens = {"abc"};
    const auto refused = ProbeServer(short_token).bind();
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::Usage);

    auto no_cert = test_options();
    no_cert.cert_file = tls_files().dir + "/missing.pem";
    const auto missing = ProbeServer(no_cert).bind();
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::Precondition);
    EXPECT_EQ(missing.error().device, no_cert.cert_file);
}

// ---------------------------------------------------------------- ask_probe

TEST(AskProbe, ReturnsWhatTheServerSaw) {
    WebServer web;
    RunningProbeServer server;
    ASSERT_EQ(server.bind_error(), "");
    const auto answer = ask_probe({server.url(), kToken, tls_files().cert, ""}, std::nullopt, {{web.port(), ProbeKind::Http}},
                                  std::chrono::seconds(5));
    ASSERT_TRUE(answer) << answer.error().summary();
    EXPECT_EQ(answer->address, "127.0.0.1");
    EXPECT_FALSE(answer->host);
    ASSERT_EQ(answer->results.size(), 1u);
    EXPECT_EQ(answer->results[0].detail, "HTTP 200");
}

TEST(AskProbe, WrongTokenIsAuthFailedWithTheStatus) {
    RunningProbeServer server;
    ASSERT_EQ(server.bind_error(), "");
    const auto answer = ask_probe({server.url(), "wrong-token-0123456789", tls_files().cert, ""}, std::nullopt,
                                  {{80, ProbeKind::Tcp}}, std::chrono::seconds(5));
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().code, ErrorCode::AuthFailed);
    EXPECT_EQ(answer.error().protocol_code, "HTTP 401");
    EXPECT_EQ(answer.error().device, server.url());
}

TEST(AskProbe, HostMismatchCarriesTheServersMessage) {
    RunningProbeServer server(resolving_to({"198.51.100.7"}));
    ASSERT_EQ(server.bind_error(), "");
    const auto answer = ask_probe({server.url(), kToken, tls_files().cert, ""}, "cam.example.net", {{80, ProbeKind::Tcp}},
                                  std::chrono::seconds(5));
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().protocol_code, "HTTP 403");
    EXPECT_TRUE(contains(answer.error().detail, "cam.example.net resolves to 198.51.100.7, not to your address 127.0.0.1"))
        << answer.error().detail;
}

TEST(AskProbe, UntrustedCertificateSaysWhichOption) {
    RunningProbeServer server;
    ASSERT_EQ(server.bind_error(), "");
    const auto answer = ask_probe({server.url(), kToken, "", ""}, std::nullopt, {{80, ProbeKind::Tcp}}, std::chrono::seconds(5));
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().code, ErrorCode::Precondition);
    EXPECT_TRUE(contains(answer.error().detail, "--probe-ca")) << answer.error().detail;
}

TEST(AskProbe, ServerNotThereKeepsErrno) {
    const std::string url = "https://127.0.0.1:" + std::to_string(unused_port());
    const auto answer = ask_probe({url, kToken, "", ""}, std::nullopt, {{80, ProbeKind::Tcp}}, std::chrono::seconds(2));
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().code, ErrorCode::ConnectionRefused);
    EXPECT_EQ(answer.error().protocol_code, "errno 111");
    EXPECT_EQ(answer.error().device, url);
}

TEST(AskProbe, PlainHttpUrlIsRefusedBeforeSendingTheToken) {
    const auto answer = ask_probe({"http://127.0.0.1:8080", kToken, "", ""}, std::nullopt, {{80, ProbeKind::Tcp}}, std::chrono::seconds(2));
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().code, ErrorCode::Usage);
}
