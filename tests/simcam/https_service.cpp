#include "https_service.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include "client_io.h"

namespace simcam {

namespace {

constexpr auto kExchangeTimeout = std::chrono::seconds(10);  // handshake, request and answer together
constexpr std::size_t kMaxRequestBytes = 8192;
constexpr long kCertificateValidDays = 3650;
constexpr long kSecondsPerDay = 86400;

template <typename T, void (*Release)(T*)>
struct Releaser {
    void operator()(T* object) const { Release(object); }
};
using KeyPointer = std::unique_ptr<EVP_PKEY, Releaser<EVP_PKEY, EVP_PKEY_free>>;
using CertificatePointer = std::unique_ptr<X509, Releaser<X509, X509_free>>;
using SslPointer = std::unique_ptr<SSL, Releaser<SSL, SSL_free>>;

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("TLS: " + what + ": " + ERR_error_string(ERR_get_error(), nullptr));
}

CertificatePointer make_self_signed_certificate(EVP_PKEY* key) {
    CertificatePointer certificate(X509_new());
    if (!certificate) fail("X509_new");
    X509_set_version(certificate.get(), 2);  // v3
    // A random serial, so a client that remembers certificates does not see two different ones
    // with the same issuer and serial after a restart.
    BIGNUM* serial = BN_new();
    if (serial == nullptr || BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate.get())) == nullptr) {
        BN_free(serial);
        fail("serial number");
    }
    BN_free(serial);
    // Valid from yesterday, so a client whose clock is a little behind still accepts the dates.
    X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -kSecondsPerDay);
    X509_gmtime_adj(X509_getm_notAfter(certificate.get()), kCertificateValidDays * kSecondsPerDay);
    X509_NAME* name = X509_get_subject_name(certificate.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("sitelink-simcam"), -1,
                               -1, 0);
    X509_set_issuer_name(certificate.get(), name);
    if (X509_set_pubkey(certificate.get(), key) != 1 || X509_sign(certificate.get(), key, EVP_sha256()) == 0)
        fail("signing the certificate");
    return certificate;
}

std::string html_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string device_page(const Device& device) {
    const DeviceConfig& config = device.config();
    const std::string title = html_escape(config.manufacturer + " " + config.model);
    return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + title + "</title></head>\n<body><h1>" +
           title + "</h1>\n<p>Manufacturer: " + html_escape(config.manufacturer) + "<br>Model: " +
           html_escape(config.model) + "<br>Serial number: " + html_escape(config.serial) + "</p></body></html>\n";
}

std::string make_answer(std::string_view status, const std::string& body, std::string_view extra_headers = {}) {
    return "HTTP/1.1 " + std::string(status) + "\r\nContent-Type: text/html\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n" + std::string(extra_headers) + "Connection: close\r\n\r\n" + body;
}

// The answer to one request head (the request line is all that matters here).
std::string answer_request(std::string_view head, const Device& device) {
    const std::string_view line = head.substr(0, head.find_first_of("\r\n"));
    const auto first_space = line.find(' ');
    const auto second_space = line.find(' ', first_space + 1);
    if (first_space == std::string_view::npos || second_space == std::string_view::npos ||
        line.substr(second_space + 1).substr(0, 7) != "HTTP/1.")
        return make_answer("400 Bad Request", "<p>Bad request</p>\n");
    const std::string_view method = line.substr(0, first_space);
    std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
    target = target.substr(0, target.find('?'));
    if (method != "GET") return make_answer("405 Method Not Allowed", "<p>Method not allowed</p>\n", "Allow: GET\r\n");
    if (target != "/") return make_answer("404 Not Found", "<p>Not found</p>\n");
    return make_answer("200 OK", device_page(device));
}

// Repeats a non-blocking TLS operation until it succeeds, fails, or the deadline passes, waiting
// for the socket in between. Returns the operation's last result (> 0 on success).
template <typename Operation>
int drive(SSL* ssl, int fd, Deadline deadline, Operation operation) {
    for (;;) {
        ERR_clear_error();
        const int result = operation();
        if (result > 0) return result;
        const int error = SSL_get_error(ssl, result);
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) return result;
        if (!wait_until_ready(fd, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return 0;
    }
}

}  // namespace

TlsServerContext::TlsServerContext() {
    KeyPointer key(EVP_EC_gen("P-256"));
    if (!key) fail("generating the P-256 key");
    const CertificatePointer certificate = make_self_signed_certificate(key.get());
    context_.reset(SSL_CTX_new(TLS_server_method()));
    if (!context_) fail("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(context_.get(), TLS1_2_VERSION);
    // One exchange per connection: resumption would only grow a cache nobody uses.
    SSL_CTX_set_session_cache_mode(context_.get(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(context_.get(), SSL_OP_NO_TICKET);
    if (SSL_CTX_use_certificate(context_.get(), certificate.get()) != 1 ||
        SSL_CTX_use_PrivateKey(context_.get(), key.get()) != 1)
        fail("installing the certificate");
}

void serve_https_connection(int fd, const Device& device, const TlsServerContext& tls, const std::string& peer) {
    const std::string who = "https " + format_ipv4(device.address()) + " from " + peer;
    const Deadline deadline = std::chrono::steady_clock::now() + kExchangeTimeout;
    // Non-blocking, so one deadline bounds the whole exchange however the client trickles it.
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    const SslPointer ssl(SSL_new(tls.get()));
    if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) {
        spdlog::warn("{}: cannot set up TLS", who);
        ::close(fd);
        return;
    }
    if (drive(ssl.get(), fd, deadline, [&] { return SSL_accept(ssl.get()); }) <= 0) {
        // Scanners and clients that refuse the self-signed certificate end up here: not an error of ours.
        const char* reason = ERR_reason_error_string(ERR_peek_last_error());
        spdlog::debug("{}: TLS handshake failed or timed out: {}", who, reason != nullptr ? reason : "no TLS error");
        ::close(fd);
        return;
    }
    std::string request;
    char chunk[2048];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < kMaxRequestBytes) {
        const int received = drive(ssl.get(), fd, deadline, [&] {
            const std::size_t room = std::min(sizeof chunk, kMaxRequestBytes - request.size());
            return SSL_read(ssl.get(), chunk, static_cast<int>(room));
        });
        if (received <= 0) break;
        request.append(chunk, static_cast<std::size_t>(received));
    }
    const bool complete = request.find("\r\n\r\n") != std::string::npos;
    if (!complete && request.size() < kMaxRequestBytes) {
        spdlog::debug("{}: closed or timed out before a whole request", who);
    } else {
        const std::string answer = complete ? answer_request(request, device)
                                            : make_answer("400 Bad Request", "<p>Request too large</p>\n");
        spdlog::debug("{}: {}", who, answer.substr(0, answer.find('\r')));
        std::size_t sent = 0;
        while (sent < answer.size()) {
            const int written = drive(ssl.get(), fd, deadline, [&] {
                return SSL_write(ssl.get(), answer.data() + sent, static_cast<int>(answer.size() - sent));
            });
            if (written <= 0) break;
            sent += static_cast<std::size_t>(written);
        }
        SSL_shutdown(ssl.get());  // close_notify, best effort: the client may already be gone
    }
    ::close(fd);
}

}  // namespace simcam
