// The agent's side of the probe: one HTTPS request to the probe server, its refusals and
// failures turned into errors that say what to do.
#include <openssl/x509.h>

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "core/net.h"
#include "verify/probe.h"

namespace sitelink::verify {

namespace {

constexpr std::string_view kHttps = "https://";
constexpr int kHttpsPort = 443;

// The port of an https:// URL's authority.
int url_port(const std::string& url) {
    const std::string host = url_host(url);
    const auto after_host = url.find(host, kHttps.size()) + host.size();
    if (after_host >= url.size() || url[after_host] != ':') return kHttpsPort;
    try {
        return std::stoi(url.substr(after_host + 1));
    } catch (const std::exception&) {
        return kHttpsPort;
    }
}

// httplib does not keep the errno of a failed connect, so connect once more to learn it: never
// when the request left through a chosen interface, whose route may differ from the default one.
Error connect_failure(const ProbeServerRef& server, std::chrono::milliseconds timeout) {
    const std::string host = url_host(server.url);
    if (server.interface.empty()) {
        const auto addresses = resolve_ipv4(host);
        if (addresses.empty()) return Error{ErrorCode::Unreachable, server.url, "cannot resolve " + host + " to an IPv4 address", ""};
        const int port = url_port(server.url);
        if (auto connected = try_connect(addresses.front(), port, timeout); !connected) {
            Error error = connected.error();
            error.device = server.url;
            error.detail = "connecting to " + addresses.front() + ":" + std::to_string(port) + ": " + error.detail;
            return error;
        }
    }
    return Error{ErrorCode::SocketFailed, server.url, "cannot connect to the probe server", ""};
}

Error transport_failure(const ProbeServerRef& server, httplib::Error failure, long verify_result, std::chrono::milliseconds timeout) {
    const std::string within = " within " + std::to_string(timeout.count()) + " ms";
    switch (failure) {
        case httplib::Error::Connection: return connect_failure(server, timeout);
        case httplib::Error::ConnectionTimeout:
            return Error{ErrorCode::TimedOut, server.url, "no connection" + within, ""};
        case httplib::Error::Read:
            return Error{ErrorCode::TimedOut, server.url, "no complete answer" + within + " (or the connection broke)", ""};
        case httplib::Error::SSLServerVerification:
            return Error{ErrorCode::Precondition, server.url,
                         std::string("the probe server's certificate is not trusted (") + X509_verify_cert_error_string(verify_result) +
                             "); give the CA certificate that signed it with --probe-ca",
                         "X509 error " + std::to_string(verify_result)};
        case httplib::Error::SSLLoadingCerts:
            return Error{ErrorCode::Precondition, server.ca_file.empty() ? server.url : server.ca_file,
                         server.ca_file.empty() ? "cannot load this system's CA certificates; give one with --probe-ca"
                                                : "cannot load it as PEM CA certificates; check --probe-ca",
                         ""};
        case httplib::Error::SSLConnection:
            return Error{ErrorCode::Precondition, server.url,
                         "the TLS handshake failed: check that the URL is a Sitelink probe server (HTTPS)", ""};
        default:
            return Error{ErrorCode::SocketFailed, server.url, "the request failed: " + httplib::to_string(failure), ""};
    }
}

// Why the probe server said no, with what to do about it.
Error refusal(const std::string& url, const httplib::Response& answer) {
    const std::string code = "HTTP " + std::to_string(answer.status);
    const auto body = nlohmann::json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
    const bool has_message = body.is_object() && body.contains("message") && body["message"].is_string();
    const std::string message = has_message ? body["message"].get<std::string>() : "no message";
    switch (answer.status) {
        case 401:
            return Error{ErrorCode::AuthFailed, url, "the probe server refused the token; check the token its operator gave you", code};
        case 403:
            return Error{ErrorCode::Precondition, url,
                         message + "; fix the name's DNS record (or wait until the change has spread) and check again", code};
        case 404:
            return Error{ErrorCode::Usage, url, "no probe server API at this URL; check the URL", code};
        case 429:
            return Error{ErrorCode::Precondition, url,
                         "the probe server's rate limit is reached; wait " + (answer.has_header("Retry-After") ? answer.get_header_value("Retry-After") : "60") +
                             " s and try again",
                         code};
        case 400: return Error{ErrorCode::Usage, url, "the probe server refused the request: " + message, code};
        default:
            return Error{answer.status >= 500 ? ErrorCode::DeviceFault : ErrorCode::MalformedAnswer, url,
                         "the probe server answered: " + message, code};
    }
}

Result<ProbeAnswer> parse_answer(const std::string& url, const std::string& body, std::size_t checks_asked) {
    try {
        auto answer = nlohmann::json::parse(body).get<ProbeAnswer>();
        if (answer.results.size() != checks_asked)
            return Error{ErrorCode::MalformedAnswer, url,
                         "the probe server gave " + std::to_string(answer.results.size()) + " results for " +
                             std::to_string(checks_asked) + " checks",
                         ""};
        return answer;
    } catch (const nlohmann::json::exception& e) {
        return Error{ErrorCode::MalformedAnswer, url, std::string("the probe server's answer is not valid: ") + e.what(), ""};
    }
}

}  // namespace

Result<ProbeAnswer> ask_probe(const ProbeServerRef& server, const std::optional<std::string>& host,
                              const std::vector<ProbeCheck>& checks, std::chrono::milliseconds timeout) {
    if (!server.url.starts_with(kHttps))
        return Error{ErrorCode::Usage, server.url, "the probe server URL must start with https://, so the token is not sent in clear", ""};
    auto [origin, path] = split_url(server.url);
    if (path.ends_with('/')) path.pop_back();
    httplib::Client client(origin);
    if (!client.is_valid()) return Error{ErrorCode::Usage, server.url, "not a valid https:// URL", ""};
    client.enable_server_certificate_verification(true);
    if (!server.ca_file.empty()) client.set_ca_cert_path(server.ca_file);
    if (!server.interface.empty()) client.set_interface(server.interface);
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    client.set_bearer_token_auth(server.token);

    nlohmann::json request = {{"checks", checks}};
    if (host) request["host"] = *host;
    auto answer = client.Post(path + "/v1/probe", request.dump(), "application/json");
    if (!answer) return transport_failure(server, answer.error(), client.get_openssl_verify_result(), timeout);
    if (answer->status != 200) return refusal(server.url, *answer);
    return parse_answer(server.url, answer->body, checks.size());
}

}  // namespace sitelink::verify
