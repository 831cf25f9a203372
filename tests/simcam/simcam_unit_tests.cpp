// Unit tests for simcam: configuration parsing, UsernameToken verification, and the simulator's
// RTSP and HTTPS servers, its snapshots over HTTP and its listeners, run in-process on 127.0.0.x
// inside a network namespace the test process makes for itself. The ONVIF and discovery behaviour
// is covered by running the binary in namespaces (see tests/netns).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <poll.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "auth.h"
#include "config.h"
#include "context.h"
#include "simulator.h"
#include "soapDeviceBindingProxy.h"
#include "soapH.h"

namespace simcam {
namespace {

TEST(Config, MinimalDeviceGetsDefaults) {
    const auto config = parse_config(R"({ "devices": [ {"address": "10.0.0.5"} ] })");
    ASSERT_EQ(config.devices.size(), 1u);
    const auto& device = config.devices[0];
    EXPECT_EQ(config.interface, "eth0");
    EXPECT_TRUE(config.add_addresses);
    EXPECT_EQ(device.port, 80);
    EXPECT_EQ(device.auth, AuthMode::Digest);
    EXPECT_EQ(device.serial, "SIM0A000005");
    EXPECT_EQ(device.mac, "02:00:0a:00:00:05");
    EXPECT_EQ(device.endpoint, endpoint_from_serial("SIM0A000005"));
    ASSERT_EQ(device.users.size(), 1u);
    EXPECT_EQ(device.users[0].level, UserLevel::Administrator);
    EXPECT_EQ(device.profiles.size(), 2u);
}

TEST(Config, DefaultsApplyAndDeviceOverrides) {
    const auto config = parse_config(R"({
        "defaults": { "auth": "usernametoken", "port": 8080, "faults": { "slow_ms": 10, "flood_probe_matches": 50 } },
        "devices": [ {"address": "10.0.0.5"}, {"address": "10.0.0.6", "auth": "none"} ] })");
    EXPECT_EQ(config.devices[0].auth, AuthMode::UsernameToken);
    EXPECT_EQ(config.devices[1].auth, AuthMode::None);
    EXPECT_EQ(config.devices[1].port, 8080);
    EXPECT_EQ(config.devices[1].protocols.http.port, 8080);  // follows the listening port
    EXPECT_EQ(config.devices[1].faults.slow_ms, 10);
    EXPECT_EQ(config.devices[1].faults.flood_probe_matches, 50);
}

TEST(Config, GenerateMakesIdentitiesUnique) {
    const auto config = parse_config(R"({
        "defaults": { "serial": "AB", "mac": "ac:cc:8e:00:00:ff", "name": "Cam" },
        "generate": { "count": 3, "first_address": "10.77.0.254", "prefix": 16 } })");
    ASSERT_EQ(config.devices.size(), 3u);
    EXPECT_EQ(config.devices[2].address, "10.77.1.0");
    EXPECT_EQ(config.devices[2].serial, "AB000003");
    EXPECT_EQ(config.devices[1].mac, "ac:cc:8e:00:01:00");
    EXPECT_EQ(config.devices[0].name, "Cam 1");
    EXPECT_NE(config.devices[0].endpoint, config.devices[1].endpoint);
}

TEST(Config, ErrorsNameTheKey) {
    const auto message_of = [](const char* text) {
        try {
            parse_config(text);
        } catch (const ConfigError& error) {
            return std::string(error.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message_of(R"({ "devices": [ {"address": "10.0.0.5", "colour": 1} ] })").find("devices[0].colour"),
              std::string::npos);
    EXPECT_NE(message_of(R"({ "devices": [ {"address": "10.0.0.5", "faults": {"ops": ["Nope"]}} ] })")
                  .find("devices[0].faults.ops[0]"),
              std::string::npos);
    EXPECT_NE(message_of(R"({ "devices": [ {"address": "1.2.3"} ] })").find("devices[0].address"), std::string::npos);
    EXPECT_NE(message_of(R"({ "devices": [ {"address": "10.0.0.5"}, {"address": "10.0.0.5"} ] })")
                  .find("devices[1].address"),
              std::string::npos);
    EXPECT_NE(message_of("{}").find("no devices"), std::string::npos);
}

TEST(Config, AppPortsAreTcpPortsOfTheirOwn) {
    const auto config = parse_config(R"({
        "defaults": { "app_ports": [4520] },
        "devices": [ {"address": "10.0.0.5"}, {"address": "10.0.0.6", "app_ports": [8000, 37777]},
                     {"address": "10.0.0.7", "app_ports": []} ] })");
    EXPECT_EQ(config.devices[0].app_ports, std::vector<int>{4520});
    EXPECT_EQ(config.devices[1].app_ports, (std::vector<int>{8000, 37777}));
    EXPECT_TRUE(config.devices[2].app_ports.empty());
    EXPECT_TRUE(parse_config(R"({ "devices": [ {"address": "10.0.0.5"} ] })").devices[0].app_ports.empty());

    const auto message_of = [](const std::string& device_fields) {
        try {
            parse_config(R"({ "devices": [ {"address": "10.0.0.5", )" + device_fields + "} ] }");
        } catch (const ConfigError& error) {
            return std::string(error.what());
        }
        return std::string("no error");
    };
    for (const char* bad : {R"("app_ports": 4520)", R"("app_ports": [0])", R"("app_ports": [70000])",
                            R"("app_ports": [-1])", R"("app_ports": ["4520"])", R"("app_ports": [4520.5])",
                            R"("app_ports": [4520, 4520])", R"("app_ports": [80])", R"("app_ports": [554])",
                            R"("app_ports": [443])", R"("port": 8080, "app_ports": [8080])",
                            R"("protocols": {"rtsp": 8554}, "app_ports": [8554])"}) {
        const std::string message = message_of(bad);
        EXPECT_EQ(message.rfind("devices[0].app_ports", 0), 0u) << bad << " -> " << message;
    }
    EXPECT_NE(message_of(R"("app_ports": [4520, 70000])").find("devices[0].app_ports[1]: must be between 1 and 65535"),
              std::string::npos);
    EXPECT_NE(message_of(R"("app_ports": [554])").find("RTSP"), std::string::npos);
    // A port the device gives up is free for an app port; defaults are checked against each device.
    EXPECT_EQ(message_of(R"("protocols": {"rtsp": 0}, "app_ports": [554])"), "no error");
    try {
        parse_config(R"({ "defaults": {"app_ports": [8554]},
                          "devices": [ {"address": "10.0.0.5", "protocols": {"rtsp": 8554}} ] })");
        ADD_FAILURE() << "an app port from the defaults on the device's RTSP port was accepted";
    } catch (const ConfigError& error) {
        EXPECT_EQ(std::string(error.what()).rfind("devices[0].app_ports[0]", 0), 0u) << error.what();
    }
}

TEST(Auth, Base64RoundTrip) {
    const std::string bytes("\x00\xff\x10 abc", 7);
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
    EXPECT_EQ(base64_encode("ab"), "YWI=");
    EXPECT_FALSE(base64_decode("YW!="));
}

TEST(Auth, ParsesXsdDateTime) {
    const auto utc = parse_xsd_datetime("2024-03-01T12:00:00Z");
    ASSERT_TRUE(utc);
    EXPECT_EQ(parse_xsd_datetime("2024-03-01T13:30:00.250+01:30").value(), *utc + std::chrono::milliseconds(250));
    EXPECT_FALSE(parse_xsd_datetime("yesterday"));
}

// A token built the way ONVIF clients build it: Base64(SHA1(nonce + created + password)).
class UsernameTokenTest : public ::testing::Test {
  protected:
    void SetUp() override {
        created_ = "2024-03-01T12:00:00Z";
        now_ = *parse_xsd_datetime(created_) + std::chrono::seconds(30);
    }
    wsse__UsernameTokenType make_token(const std::string& password) {
        const std::string nonce = "0123456789abcdef";
        const std::string input = nonce + created_ + password;
        unsigned char digest[20];
        SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
        password_.__item = base64_encode(std::string(reinterpret_cast<char*>(digest), sizeof digest));
        password_.Type = &type_;
        nonce_.__item = base64_encode(nonce);
        wsse__UsernameTokenType token;
        token.Username = "admin";
        token.Password = &password_;
        token.Nonce = &nonce_;
        token.wsu__Created = &created_;
        return token;
    }
    std::string created_;
    std::string type_ = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
    wsse__PasswordString password_;
    wsse__EncodedString nonce_;
    std::chrono::system_clock::time_point now_;
};

TEST_F(UsernameTokenTest, AcceptsTheRightPasswordWithSpecialCharacters) {
    EXPECT_FALSE(check_username_token(make_token("p/a&s<s%w:d"), "p/a&s<s%w:d", now_));
}

TEST_F(UsernameTokenTest, RefusesWrongPasswordSkewAndPasswordText) {
    EXPECT_TRUE(check_username_token(make_token("wrong"), "right", now_));
    EXPECT_TRUE(check_username_token(make_token("pw"), "pw", now_ + std::chrono::minutes(6)));
    auto token = make_token("pw");
    type_ = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
    EXPECT_TRUE(check_username_token(token, "pw", now_));
}


// ---------------------------------------------------------------- the simulator on loopback

// Moves this thread, and so the simulator threads it starts, into a network namespace of its
// own with only lo up: binding 554 and 443, discovery multicast and address changes stay there.
// Once per process. Returns why it could not, empty on success.
std::string enter_private_network() {
    static const std::string failure = []() -> std::string {
        if (unshare(CLONE_NEWNET) != 0) {
            // Not root: a user namespace of our own gives the rights over a network namespace.
            const auto uid = getuid();
            const auto gid = getgid();
            if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) return std::string("unshare: ") + std::strerror(errno);
            std::ofstream("/proc/self/setgroups") << "deny";
            std::ofstream("/proc/self/uid_map") << "0 " << uid << " 1";
            std::ofstream("/proc/self/gid_map") << "0 " << gid << " 1";
        }
        const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ifreq request{};
        std::strcpy(request.ifr_name, "lo");
        const bool up = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &request) == 0 &&
                        (request.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &request) == 0);
        const std::string error = up ? "" : std::string("bringing lo up: ") + std::strerror(errno);
        if (fd >= 0) close(fd);
        return error;
    }();
    return failure;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

// The value of the header `name` in the head of an RTSP or HTTP answer.
std::optional<std::string> header_value(const std::string& answer, const std::string& name) {
    const auto head_end = answer.find("\r\n\r\n");
    const std::string head = answer.substr(0, head_end == std::string::npos ? head_end : head_end + 2);
    const auto at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return std::nullopt;
    const auto start = at + name.size() + 4;
    return head.substr(start, head.find("\r\n", start) - start);
}

// A TCP client with a receive timeout, so a server that stays silent fails the test, not hangs it.
class Client {
  public:
    Client(const char* address, int port) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        const timeval timeout{5, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        sockaddr_in server{};
        server.sin_family = AF_INET;
        server.sin_port = htons(static_cast<std::uint16_t>(port));
        inet_pton(AF_INET, address, &server.sin_addr);
        connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof server) == 0;
    }
    ~Client() { close(fd_); }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    bool connected() const { return connected_; }
    int fd() const { return fd_; }
    void send_text(const std::string& text) {
        ASSERT_EQ(send(fd_, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
    }

    // One RTSP answer, head and Content-Length bytes of body; what arrived before a close or timeout otherwise.
    std::string read_answer() {
        for (;;) {
            const auto head_end = buffer_.find("\r\n\r\n");
            if (head_end != std::string::npos) {
                std::size_t length = head_end + 4;
                if (const auto body_length = header_value(buffer_, "Content-Length")) length += std::stoul(*body_length);
                if (buffer_.size() >= length) {
                    std::string answer = buffer_.substr(0, length);
                    buffer_.erase(0, length);
                    return answer;
                }
            }
            if (!receive()) return std::exchange(buffer_, {});
        }
    }
    // True when the server closes (or resets) the connection within the timeout, rather than leaving it open.
    bool closed_by_server() {
        while (receive()) {
        }
        return closed_;
    }

  private:
    bool receive() {
        char chunk[4096];
        const ssize_t received = recv(fd_, chunk, sizeof chunk, 0);
        closed_ = received == 0 || (received < 0 && errno == ECONNRESET);
        if (received <= 0) return false;
        buffer_.append(chunk, static_cast<std::size_t>(received));
        return true;
    }

    int fd_;
    bool connected_ = false;
    bool closed_ = false;
    std::string buffer_;
};

bool accepts_connections(const char* address, int port) { return Client(address, port).connected(); }

// True when the server neither sends a byte nor closes the connection for `quiet`.
bool held_silently(const Client& client, std::chrono::milliseconds quiet = std::chrono::milliseconds(300)) {
    pollfd entry{client.fd(), POLLIN, 0};
    return poll(&entry, 1, static_cast<int>(quiet.count())) == 0;
}

std::string md5_hex(const std::string& text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr);
    std::string hex;
    char byte[3];
    for (unsigned int i = 0; i < length; ++i) {
        std::snprintf(byte, sizeof byte, "%02x", digest[i]);
        hex += byte;
    }
    return hex;
}

struct DigestChallenge {
    std::string realm;
    std::string nonce;
};

// Digest realm="...", nonce="..." from the WWW-Authenticate header, as RTSP clients read it.
std::optional<DigestChallenge> challenge_in(const std::string& answer) {
    const auto header = header_value(answer, "WWW-Authenticate");
    if (!header || header->rfind("Digest ", 0) != 0) return std::nullopt;
    const auto quoted = [&](const std::string& name) {
        const auto at = header->find(name + "=\"");
        if (at == std::string::npos) return std::string();
        const auto start = at + name.size() + 2;
        const auto end = header->find('"', start);
        return end == std::string::npos ? std::string() : header->substr(start, end - start);
    };
    DigestChallenge challenge{quoted("realm"), quoted("nonce")};
    if (challenge.realm.empty() || challenge.nonce.empty()) return std::nullopt;
    return challenge;
}

// The Authorization header ffmpeg and live555 (VLC) send: RFC 2617 without qop, since the
// challenge offers none, over the full request URI; or with qop=auth as some clients always do.
std::string digest_authorization(const std::string& username, const std::string& password,
                                 const DigestChallenge& challenge, const std::string& method, const std::string& uri,
                                 bool with_qop = false) {
    const std::string secret = md5_hex(username + ":" + challenge.realm + ":" + password);
    const std::string exchange = md5_hex(method + ":" + uri);
    const std::string response =
        with_qop ? md5_hex(secret + ":" + challenge.nonce + ":00000001:0a4f113b:auth:" + exchange)
                 : md5_hex(secret + ":" + challenge.nonce + ":" + exchange);
    return "Authorization: Digest username=\"" + username + "\", realm=\"" + challenge.realm + "\", nonce=\"" +
           challenge.nonce + "\", uri=\"" + uri + "\", response=\"" + response + "\"" +
           (with_qop ? ", qop=auth, nc=00000001, cnonce=\"0a4f113b\"" : "") + "\r\n";
}

std::string describe(const std::string& uri, int cseq, const std::string& authorization = {}) {
    return "DESCRIBE " + uri + " RTSP/1.0\r\nCSeq: " + std::to_string(cseq) + "\r\nAccept: application/sdp\r\n" +
           authorization + "\r\n";
}

struct HttpsAnswer {
    std::string text;
    std::string certificate_subject;
};

// One GET over TLS, the way a browser that was told to accept the self-signed certificate does it.
std::optional<HttpsAnswer> https_get(const char* address, int port, const std::string& path) {
    Client client(address, port);
    if (!client.connected()) return std::nullopt;
    const std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);
    const std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(context.get()), SSL_free);
    SSL_set_fd(ssl.get(), client.fd());
    if (SSL_connect(ssl.get()) != 1) return std::nullopt;
    HttpsAnswer answer;
    const std::unique_ptr<X509, decltype(&X509_free)> certificate(SSL_get1_peer_certificate(ssl.get()), X509_free);
    if (certificate) {
        char subject[256];
        X509_NAME_oneline(X509_get_subject_name(certificate.get()), subject, sizeof subject);
        answer.certificate_subject = subject;
    }
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + address + "\r\n\r\n";
    if (SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) <= 0) return std::nullopt;
    char chunk[4096];
    for (int received; (received = SSL_read(ssl.get(), chunk, sizeof chunk)) > 0;)
        answer.text.append(chunk, static_cast<std::size_t>(received));
    return answer;
}

// One MD5 challenge of an HTTP 401 (httpda may offer SHA-256 first, in a header of its own).
struct HttpDigestChallenge {
    std::string realm;
    std::string nonce;
    std::string opaque;
    std::string qop;
};

std::optional<std::string> quoted_param(const std::string& header, const std::string& name) {
    const auto at = header.find(name + "=\"");
    if (at == std::string::npos) return std::nullopt;
    const auto start = at + name.size() + 2;
    const auto end = header.find('"', start);
    if (end == std::string::npos) return std::nullopt;
    return header.substr(start, end - start);
}

std::optional<HttpDigestChallenge> md5_challenge_in(const std::string& answer) {
    const std::string head = answer.substr(0, answer.find("\r\n\r\n") + 2);
    const std::string prefix = "\r\nWWW-Authenticate: Digest ";
    for (auto at = head.find(prefix); at != std::string::npos; at = head.find(prefix, at + 1)) {
        const auto start = at + 2;
        const std::string header = head.substr(start, head.find("\r\n", start) - start);
        if (header.find("algorithm=MD5,") == std::string::npos && header.find("algorithm=") != std::string::npos)
            continue;
        HttpDigestChallenge challenge{
            quoted_param(header, "realm").value_or(""), quoted_param(header, "nonce").value_or(""),
            quoted_param(header, "opaque").value_or(""), quoted_param(header, "qop").value_or("")};
        if (!challenge.realm.empty() && !challenge.nonce.empty()) return challenge;
    }
    return std::nullopt;
}

// What a browser sends back: RFC 7616 MD5 with qop=auth, the opaque echoed, nc counting up.
std::string http_digest_authorization(const std::string& username, const std::string& password,
                                      const HttpDigestChallenge& challenge, const std::string& uri, int nc) {
    char count[9];
    std::snprintf(count, sizeof count, "%08x", nc);
    const std::string cnonce = "c0ffee42";
    const std::string secret = md5_hex(username + ":" + challenge.realm + ":" + password);
    const std::string response =
        md5_hex(secret + ":" + challenge.nonce + ":" + count + ":" + cnonce + ":auth:" + md5_hex("GET:" + uri));
    return "Authorization: Digest username=\"" + username + "\", realm=\"" + challenge.realm + "\", nonce=\"" +
           challenge.nonce + "\", uri=\"" + uri + "\", algorithm=MD5, response=\"" + response + "\", opaque=\"" +
           challenge.opaque + "\", qop=auth, nc=" + count + ", cnonce=\"" + cnonce + "\"\r\n";
}

std::string http_get(const std::string& host, const std::string& path, const std::string& authorization = {}) {
    return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: image/*\r\n" + authorization + "\r\n";
}

std::string body_of(const std::string& answer) {
    const auto head_end = answer.find("\r\n\r\n");
    return head_end == std::string::npos ? std::string() : answer.substr(head_end + 4);
}

bool is_whole_jpeg(const std::string& body) {
    return body.size() > 4 && body.compare(0, 2, "\xff\xd8") == 0 && body.compare(body.size() - 2, 2, "\xff\xd9") == 0;
}

// An ONVIF Device service client for the device without authentication.
class OnvifClient {
  public:
    explicit OnvifClient(const std::string& address) : soap_(onvif::new_context()), proxy_(soap_) {
        onvif::use_sitelink_namespaces(soap_);
        endpoint_ = "http://" + address + "/onvif/device_service";
        proxy_.soap_endpoint = endpoint_.c_str();
    }
    ~OnvifClient() { onvif::release(soap_); }
    OnvifClient(const OnvifClient&) = delete;
    OnvifClient& operator=(const OnvifClient&) = delete;

    int set_rtsp_port(int port) {
        auto* request = soap_new__tds__SetNetworkProtocols(soap_);
        tt__NetworkProtocol rtsp;
        rtsp.Name = tt__NetworkProtocolType__RTSP;
        rtsp.Enabled = true;
        rtsp.Port = {port};
        request->NetworkProtocols.push_back(rtsp);
        _tds__SetNetworkProtocolsResponse response;
        return proxy_.SetNetworkProtocols(request, response);
    }
    int set_address(const std::string& address) {
        auto* request = soap_new__tds__SetNetworkInterfaces(soap_);
        request->InterfaceToken = "eth0";
        auto* ipv4 = soap_new_tt__IPv4NetworkInterfaceSetConfiguration(soap_);
        tt__PrefixedIPv4Address manual;
        manual.Address = address;
        manual.PrefixLength = 8;
        ipv4->Manual.push_back(manual);
        request->NetworkInterface.IPv4 = ipv4;
        _tds__SetNetworkInterfacesResponse response;
        return proxy_.SetNetworkInterfaces(request, response);
    }
    int reboot() {
        _tds__SystemReboot request;
        _tds__SystemRebootResponse response;
        return proxy_.SystemReboot(&request, response);
    }

  private:
    struct soap* soap_;
    DeviceBindingProxy proxy_;
    std::string endpoint_;
};

constexpr const char* kCamera = "127.0.0.2";
constexpr const char* kStreamUri = "rtsp://127.0.0.2:554/stream1";

// Three devices: a camera with two users and a vendor app port; one whose RTSP is disabled and
// whose HTTPS port is its ONVIF port (so neither gets a listener); and one without authentication,
// with an app port, that tests move around.
constexpr const char* kLoopbackSite = R"({
    "interface": "lo", "add_addresses": false,
    "devices": [
        {"address": "127.0.0.2", "manufacturer": "Acme & Co", "model": "Cam-X", "serial": "SER123",
         "users": [{"username": "admin", "password": "s3cret"},
                   {"username": "viewer", "password": "look", "level": "User"}],
         "app_ports": [4520]},
        {"address": "127.0.0.3", "protocols": {"rtsp": 0, "https": 80}},
        {"address": "127.0.0.4", "auth": "none", "reboot_s": 1.0, "app_ports": [37777]}
    ] })";

class SimulatorOnLoopback : public ::testing::Test {
  protected:
    void SetUp() override {
        const std::string failure = enter_private_network();
        if (!failure.empty()) GTEST_SKIP() << "needs a network namespace of its own: " << failure;
        ready_file_ = ::testing::TempDir() + "simcam-ready-" + std::to_string(getpid());
        std::filesystem::remove(ready_file_);
        simulator_ = std::make_unique<Simulator>(parse_config(kLoopbackSite), ready_file_);
        runner_ = std::thread([this] {
            try {
                simulator_->run();
            } catch (const std::exception& error) {
                failure_ = error.what();
            }
            finished_ = true;
        });
        ASSERT_TRUE(eventually([this] { return finished_ || std::filesystem::exists(ready_file_); }));
        ASSERT_FALSE(finished_) << "simulator failed: " << failure_;
    }
    void TearDown() override {
        if (!simulator_) return;
        simulator_->stop();
        runner_.join();
        simulator_.reset();
        std::filesystem::remove(ready_file_);
    }

    std::string ready_file_;
    std::unique_ptr<Simulator> simulator_;
    std::thread runner_;
    std::atomic<bool> finished_{false};
    std::string failure_;  // written by the runner before finished_
};

TEST_F(SimulatorOnLoopback, RtspOptionsEchoesCSeqAndListsMethods) {
    Client client(kCamera, 554);
    ASSERT_TRUE(client.connected());
    client.send_text("OPTIONS " + std::string(kStreamUri) + " RTSP/1.0\r\nCSeq: 42\r\nUser-Agent: test\r\n\r\n");
    const std::string answer = client.read_answer();
    EXPECT_EQ(answer.rfind("RTSP/1.0 200 OK\r\n", 0), 0u) << answer;
    EXPECT_NE(answer.find("\r\nCSeq: 42\r\n"), std::string::npos) << answer;
    EXPECT_NE(answer.find("\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n"), std::string::npos) << answer;
}

TEST_F(SimulatorOnLoopback, RtspDescribeWithoutCredentialsGetsDigestChallenge) {
    Client client(kCamera, 554);
    ASSERT_TRUE(client.connected());
    client.send_text(describe(kStreamUri, 2));
    const std::string answer = client.read_answer();
    EXPECT_EQ(answer.rfind("RTSP/1.0 401 Unauthorized\r\n", 0), 0u) << answer;
    EXPECT_NE(answer.find("\r\nCSeq: 2\r\n"), std::string::npos) << answer;
    const auto challenge = challenge_in(answer);
    ASSERT_TRUE(challenge) << answer;
    EXPECT_EQ(challenge->realm, "Acme & Co_SER123");  // the same realm as the device's ONVIF Digest
    EXPECT_EQ(answer.find("application/sdp"), std::string::npos) << answer;
}

TEST_F(SimulatorOnLoopback, RtspDescribeWithDigestGetsSdp) {
    Client client(kCamera, 554);
    ASSERT_TRUE(client.connected());
    // Like ffmpeg: DESCRIBE, 401, the same DESCRIBE with credentials on the same connection.
    client.send_text(describe(kStreamUri, 2));
    const auto challenge = challenge_in(client.read_answer());
    ASSERT_TRUE(challenge);
    client.send_text(describe(kStreamUri, 3, digest_authorization("admin", "s3cret", *challenge, "DESCRIBE", kStreamUri)));
    const std::string answer = client.read_answer();
    ASSERT_EQ(answer.rfind("RTSP/1.0 200 OK\r\n", 0), 0u) << answer;
    EXPECT_NE(answer.find("\r\nCSeq: 3\r\n"), std::string::npos) << answer;
    EXPECT_NE(answer.find("\r\nContent-Type: application/sdp\r\n"), std::string::npos) << answer;
    const std::string sdp = answer.substr(answer.find("\r\n\r\n") + 4);
    EXPECT_EQ(sdp.rfind("v=0\r\n", 0), 0u) << sdp;
    EXPECT_NE(sdp.find("\r\nm=video 0 RTP/AVP 96\r\n"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("\r\na=rtpmap:96 H264/90000\r\n"), std::string::npos) << sdp;

    // Any user level may watch, and the second profile's path is found as well.
    const std::string substream = "rtsp://127.0.0.2:554/stream2";
    client.send_text(
        describe(substream, 4, digest_authorization("viewer", "look", *challenge, "DESCRIBE", substream, true)));
    EXPECT_EQ(client.read_answer().rfind("RTSP/1.0 200 OK\r\n", 0), 0u);
}

TEST_F(SimulatorOnLoopback, RtspDescribeWithWrongCredentialsIsRefused) {
    Client client(kCamera, 554);
    ASSERT_TRUE(client.connected());
    client.send_text(describe(kStreamUri, 1));
    const auto challenge = challenge_in(client.read_answer());
    ASSERT_TRUE(challenge);
    client.send_text(describe(kStreamUri, 2, digest_authorization("admin", "wrong", *challenge, "DESCRIBE", kStreamUri)));
    std::string answer = client.read_answer();
    EXPECT_EQ(answer.rfind("RTSP/1.0 401 Unauthorized\r\n", 0), 0u) << answer;
    EXPECT_TRUE(challenge_in(answer)) << answer;
    EXPECT_EQ(answer.find("application/sdp"), std::string::npos) << answer;

    client.send_text(describe(kStreamUri, 3, digest_authorization("nobody", "s3cret", *challenge, "DESCRIBE", kStreamUri)));
    EXPECT_EQ(client.read_answer().rfind("RTSP/1.0 401 ", 0), 0u);
    // A nonce the device never issued does not verify, even with the right password.
    const DigestChallenge made_up{challenge->realm, "0123456789abcdef"};
    client.send_text(describe(kStreamUri, 4, digest_authorization("admin", "s3cret", made_up, "DESCRIBE", kStreamUri)));
    EXPECT_EQ(client.read_answer().rfind("RTSP/1.0 401 ", 0), 0u);
    client.send_text(describe(kStreamUri, 5, "Authorization: Basic " + base64_encode("admin:wrong") + "\r\n"));
    EXPECT_EQ(client.read_answer().rfind("RTSP/1.0 401 ", 0), 0u);
}

TEST_F(SimulatorOnLoopback, RtspBasicCredentialsUnknownPathsAndUnservedMethods) {
    Client client(kCamera, 554);
    ASSERT_TRUE(client.connected());
    const std::string basic = "Authorization: Basic " + base64_encode("admin:s3cret") + "\r\n";
    client.send_text(describe(kStreamUri, 1, basic));
    EXPECT_EQ(client.read_answer().rfind("RTSP/1.0 200 OK\r\n", 0), 0u);
    client.send_text(describe("rtsp://127.0.0.2:554/no-such-stream", 2, basic));
    EXPECT_EQ(client.read_answer().rfind("RTSP/1.0 404 Not Found\r\nCSeq: 2\r\n", 0), 0u);
    client.send_text("SETUP " + std::string(kStreamUri) + "/track1 RTSP/1.0\r\nCSeq: 3\r\n\r\n");
    EXPECT_EQ(client.read_answer().rfind("RTSP/1.0 455 Method Not Valid in This State\r\nCSeq: 3\r\n", 0), 0u);
    client.send_text("ANNOUNCE " + std::string(kStreamUri) + " RTSP/1.0\r\nCSeq: 4\r\nContent-Length: 5\r\n\r\nv=0\r\n");
    EXPECT_EQ(client.read_answer().rfind("RTSP/1.0 405 Method Not Allowed\r\nCSeq: 4\r\n", 0), 0u);
    // The body of the refused request was skipped, not taken for the next request.
    client.send_text("OPTIONS * RTSP/1.0\r\nCSeq: 5\r\n\r\n");
    EXPECT_EQ(client.read_answer().rfind("RTSP/1.0 200 OK\r\nCSeq: 5\r\n", 0), 0u);
}

TEST_F(SimulatorOnLoopback, RtspGarbageGets400AndTheSimulatorGoesOn) {
    const std::string garbage[] = {
        std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),  // a TLS ClientHello
        "GET / HTTP/1.1\r\nHost: 127.0.0.2\r\n\r\n",                        // HTTP, not RTSP
        "OPTIONS * RTSP/1.0\r\n\r\n",                                       // no CSeq
        "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nno colon here\r\n\r\n",
        "DESCRIBE rtsp://127.0.0.2/stream1 RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 99999999\r\n\r\n",
        "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX-Padding: " + std::string(9000, 'a'),  // over the 8 KiB limit
    };
    for (const auto& text : garbage) {
        Client client(kCamera, 554);
        ASSERT_TRUE(client.connected());
        client.send_text(text);
        EXPECT_EQ(client.read_answer(), "RTSP/1.0 400 Bad Request\r\n\r\n") << text.substr(0, 40);
        EXPECT_TRUE(client.closed_by_server()) << text.substr(0, 40);
    }
    Client client(kCamera, 554);
    ASSERT_TRUE(client.connected());
    client.send_text("OPTIONS * RTSP/1.0\r\nCSeq: 9\r\n\r\n");
    EXPECT_EQ(client.read_answer().rfind("RTSP/1.0 200 OK\r\nCSeq: 9\r\n", 0), 0u);
}

TEST_F(SimulatorOnLoopback, HttpsPageNamesTheDevice) {
    const auto page = https_get(kCamera, 443, "/");
    ASSERT_TRUE(page) << ERR_error_string(ERR_get_error(), nullptr);
    EXPECT_EQ(page->text.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << page->text;
    EXPECT_NE(page->text.find("\r\nContent-Type: text/html\r\n"), std::string::npos) << page->text;
    EXPECT_NE(page->text.find("Acme &amp; Co"), std::string::npos) << page->text;
    EXPECT_NE(page->text.find("Cam-X"), std::string::npos) << page->text;
    EXPECT_NE(page->text.find("SER123"), std::string::npos) << page->text;
    EXPECT_EQ(page->certificate_subject, "/CN=sitelink-simcam");

    const auto missing = https_get(kCamera, 443, "/config");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->text.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << missing->text;
}

TEST_F(SimulatorOnLoopback, HttpsRefusesPlainHttpWithoutHarm) {
    Client client(kCamera, 443);
    ASSERT_TRUE(client.connected());
    client.send_text("GET / HTTP/1.1\r\nHost: 127.0.0.2\r\n\r\n");
    EXPECT_TRUE(client.closed_by_server());
    EXPECT_TRUE(https_get(kCamera, 443, "/"));
}

// ---- the snapshot each profile's GetSnapshotUri names, on the ONVIF HTTP port

// Asks without credentials and returns the MD5 challenge, which the test checks.
std::optional<HttpDigestChallenge> snapshot_challenge(const std::string& path) {
    Client client(kCamera, 80);
    if (!client.connected()) return std::nullopt;
    client.send_text(http_get(kCamera, path));
    const std::string answer = client.read_answer();
    EXPECT_EQ(answer.rfind("HTTP/1.1 401 Unauthorized\r\n", 0), 0u) << answer;
    EXPECT_EQ(answer.find("image/jpeg"), std::string::npos) << answer;
    return md5_challenge_in(answer);
}

TEST_F(SimulatorOnLoopback, HttpSnapshotWithoutCredentialsGetsDigestChallenge) {
    const auto challenge = snapshot_challenge("/snapshot1.jpg");
    ASSERT_TRUE(challenge);
    EXPECT_EQ(challenge->realm, "Acme & Co_SER123");  // the device's realm, as for ONVIF and RTSP
    EXPECT_NE(challenge->qop.find("auth"), std::string::npos) << challenge->qop;
    EXPECT_FALSE(challenge->opaque.empty());
}

TEST_F(SimulatorOnLoopback, HttpSnapshotWithDigestGetsTheJpeg) {
    const auto challenge = snapshot_challenge("/snapshot1.jpg");
    ASSERT_TRUE(challenge);
    Client client(kCamera, 80);  // the 401 closed the first connection
    ASSERT_TRUE(client.connected());
    client.send_text(http_get(kCamera, "/snapshot1.jpg",
                              http_digest_authorization("admin", "s3cret", *challenge, "/snapshot1.jpg", 1)));
    const std::string answer = client.read_answer();
    ASSERT_EQ(answer.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << answer.substr(0, 400);
    EXPECT_EQ(header_value(answer, "Content-Type"), "image/jpeg");
    const std::string first = body_of(answer);
    EXPECT_EQ(header_value(answer, "Content-Length"), std::to_string(first.size()));
    EXPECT_TRUE(is_whole_jpeg(first)) << first.size() << " bytes";

    // The connection stays open; any user level may look; the second profile has its own picture.
    client.send_text(http_get(kCamera, "/snapshot2.jpg",
                              http_digest_authorization("viewer", "look", *challenge, "/snapshot2.jpg", 2)));
    const std::string second = client.read_answer();
    ASSERT_EQ(second.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << second.substr(0, 400);
    EXPECT_EQ(header_value(second, "Content-Type"), "image/jpeg");
    EXPECT_TRUE(is_whole_jpeg(body_of(second)));
    EXPECT_NE(body_of(second), first);

    // A device without authentication serves its snapshot to anyone, and it is not this device's.
    Client open_device("127.0.0.4", 80);
    ASSERT_TRUE(open_device.connected());
    open_device.send_text(http_get("127.0.0.4", "/snapshot1.jpg"));
    const std::string other = open_device.read_answer();
    ASSERT_EQ(other.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << other.substr(0, 400);
    EXPECT_TRUE(is_whole_jpeg(body_of(other)));
    EXPECT_NE(body_of(other), first);
}

TEST_F(SimulatorOnLoopback, HttpSnapshotWithWrongCredentialsIsRefused) {
    const auto challenge = snapshot_challenge("/snapshot1.jpg");
    ASSERT_TRUE(challenge);
    const auto attempt = [&](const std::string& username, const std::string& password,
                             const HttpDigestChallenge& answering, const std::string& uri, int nc) {
        Client client(kCamera, 80);
        client.send_text(
            http_get(kCamera, "/snapshot1.jpg", http_digest_authorization(username, password, answering, uri, nc)));
        return client.read_answer();
    };
    const auto status_of = [](const std::string& answer) { return answer.substr(0, answer.find("\r\n")); };
    const std::string wrong = attempt("admin", "wrong", *challenge, "/snapshot1.jpg", 1);
    EXPECT_EQ(status_of(wrong), "HTTP/1.1 401 Unauthorized");
    EXPECT_TRUE(md5_challenge_in(wrong)) << wrong.substr(0, 400);
    EXPECT_EQ(wrong.find("image/jpeg"), std::string::npos);
    EXPECT_EQ(status_of(attempt("nobody", "s3cret", *challenge, "/snapshot1.jpg", 2)), "HTTP/1.1 401 Unauthorized");
    // Credentials for another path, a nonce the device never issued, and a replayed count do not verify.
    EXPECT_EQ(status_of(attempt("admin", "s3cret", *challenge, "/snapshot2.jpg", 3)), "HTTP/1.1 401 Unauthorized");
    HttpDigestChallenge made_up = *challenge;
    made_up.nonce = "0123456789abcdef0123";
    EXPECT_EQ(status_of(attempt("admin", "s3cret", made_up, "/snapshot1.jpg", 1)), "HTTP/1.1 401 Unauthorized");
    EXPECT_EQ(status_of(attempt("admin", "s3cret", *challenge, "/snapshot1.jpg", 4)), "HTTP/1.1 200 OK");
    EXPECT_EQ(status_of(attempt("admin", "s3cret", *challenge, "/snapshot1.jpg", 4)), "HTTP/1.1 401 Unauthorized");
}

TEST_F(SimulatorOnLoopback, HttpGetOfOtherPaths) {
    const auto challenge = snapshot_challenge("/nothing-here.jpg");  // strangers learn no paths
    ASSERT_TRUE(challenge);
    Client client(kCamera, 80);
    ASSERT_TRUE(client.connected());
    client.send_text(http_get(kCamera, "/nothing-here.jpg",
                              http_digest_authorization("admin", "s3cret", *challenge, "/nothing-here.jpg", 1)));
    const std::string missing = client.read_answer();
    EXPECT_EQ(missing.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << missing.substr(0, 400);
    EXPECT_EQ(missing.find("image/jpeg"), std::string::npos);

    Client onvif(kCamera, 80);  // the SOAP endpoints answer a GET as they always did
    ASSERT_TRUE(onvif.connected());
    onvif.send_text(http_get(kCamera, "/onvif/device_service"));
    const std::string service = onvif.read_answer();
    EXPECT_EQ(service.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u) << service.substr(0, 400);
}

TEST_F(SimulatorOnLoopback, DisabledOrSharedPortsGetNoListener) {
    EXPECT_TRUE(accepts_connections("127.0.0.3", 80));
    EXPECT_FALSE(accepts_connections("127.0.0.3", 554));  // RTSP disabled
    EXPECT_FALSE(accepts_connections("127.0.0.3", 443));  // HTTPS on the ONVIF port: ONVIF keeps it
}

TEST_F(SimulatorOnLoopback, AppPortAcceptsAndHoldsConnectionsSilently) {
    Client client(kCamera, 4520);
    ASSERT_TRUE(client.connected());
    EXPECT_TRUE(held_silently(client));
    client.send_text(std::string("\x00\x01proprietary hello\r\n\r\n", 23));  // discarded, not answered
    EXPECT_TRUE(held_silently(client));
    {
        Client second(kCamera, 4520);  // several at once, and the other services carry on
        EXPECT_TRUE(second.connected());
        EXPECT_TRUE(accepts_connections(kCamera, 554));
    }
    EXPECT_TRUE(held_silently(client));
    EXPECT_FALSE(accepts_connections("127.0.0.3", 4520));  // only on the devices that list it
    EXPECT_FALSE(accepts_connections(kCamera, 37777));     // and only their own
}

TEST_F(SimulatorOnLoopback, ProtocolPortMovedOntoAnAppPortTakesIt) {
    const char* const device = "127.0.0.4";
    ASSERT_TRUE(accepts_connections(device, 37777));
    OnvifClient onvif(device);
    ASSERT_EQ(onvif.set_rtsp_port(37777), SOAP_OK);
    const auto answers_rtsp = [&](int port) {
        Client client(device, port);
        client.send_text("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n");
        return client.read_answer().rfind("RTSP/1.0 200 OK\r\n", 0) == 0;
    };
    EXPECT_TRUE(eventually([&] { return answers_rtsp(37777); }));
    ASSERT_EQ(onvif.set_rtsp_port(554), SOAP_OK);  // and gives it back
    EXPECT_TRUE(eventually([&] { return answers_rtsp(554); }));
    Client client(device, 37777);
    ASSERT_TRUE(client.connected());
    EXPECT_TRUE(held_silently(client));
}

TEST_F(SimulatorOnLoopback, ListenersFollowPortChangesMovesAndReboots) {
    const char* const before = "127.0.0.4";
    const char* const after = "127.0.0.5";
    ASSERT_TRUE(accepts_connections(before, 554));
    OnvifClient onvif(before);
    ASSERT_EQ(onvif.set_rtsp_port(8554), SOAP_OK);
    EXPECT_TRUE(eventually([&] { return accepts_connections(before, 8554) && !accepts_connections(before, 554); }));

    Client held_before_move(before, 37777);
    ASSERT_TRUE(held_before_move.connected());
    ASSERT_EQ(onvif.set_address(after), SOAP_OK);
    EXPECT_TRUE(eventually([&] { return accepts_connections(after, 80); }));
    for (int port : {80, 443, 8554, 37777}) {
        EXPECT_TRUE(accepts_connections(after, port)) << port;
        EXPECT_FALSE(accepts_connections(before, port)) << port;
    }
    EXPECT_TRUE(held_before_move.closed_by_server());  // the address it was made to is gone
    EXPECT_TRUE(https_get(after, 443, "/"));

    Client held_before_reboot(after, 37777);
    ASSERT_TRUE(held_before_reboot.connected());
    OnvifClient moved(after);
    ASSERT_EQ(moved.reboot(), SOAP_OK);
    EXPECT_TRUE(eventually([&] { return !accepts_connections(after, 8554) && !accepts_connections(after, 443); }));
    EXPECT_TRUE(held_before_reboot.closed_by_server());
    EXPECT_TRUE(eventually([&] { return accepts_connections(after, 8554) && accepts_connections(after, 443); }));
    EXPECT_TRUE(accepts_connections(after, 37777));
    Client client(after, 8554);
    client.send_text("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n");
    EXPECT_EQ(client.read_answer().rfind("RTSP/1.0 200 OK\r\n", 0), 0u);
}

}  // namespace
}  // namespace simcam
