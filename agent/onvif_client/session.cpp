#include "onvif_client/session.h"

#include <cerrno>
#include <cstring>
#include <ctime>

#include "context.h"
#include "core/net.h"
#include "httpda.h"
#include "onvif_client/usernametoken.h"
#include "soapH.h"

namespace sitelink::onvif_client {

std::string to_string(AuthMethod method) {
    switch (method) {
        case AuthMethod::None: return "none";
        case AuthMethod::Digest: return "digest";
        case AuthMethod::UsernameToken: return "usernametoken";
        case AuthMethod::Unknown: break;
    }
    return "unknown";
}

struct Session::DigestState {
    http_da_info info{};
    bool saved = false;
};

namespace {

constexpr int kHttpUnauthorized = 401;

// A received SOAP fault: gSOAP reports Sender faults as SOAP_CLI_FAULT, Receiver faults as
// SOAP_SVR_FAULT, and other fault codes as SOAP_FAULT.
bool is_fault(int rc) { return rc == SOAP_FAULT || rc == SOAP_CLI_FAULT || rc == SOAP_SVR_FAULT; }

// "ter:NotAuthorized" in any prefix: devices bind the ONVIF error namespace to various prefixes,
// and gSOAP rewrites it to ours only when the namespace URI matches exactly.
bool is_not_authorized_fault(struct soap* soap, int rc) {
    if (!is_fault(rc)) return false;
    const char* subcode = soap_fault_subcode(soap);
    return subcode != nullptr && std::strstr(subcode, "NotAuthorized") != nullptr;
}

long long timeout_us(std::chrono::milliseconds timeout) {
    return std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
}

}  // namespace

std::optional<Credentials> CredentialBook::for_device(const std::string& key) const {
    if (auto own = by_device.find(key); own != by_device.end()) return own->second;
    return every_device;
}

Session::Session(std::string device_url, std::optional<Credentials> credentials, SessionOptions options)
    : device_url_(std::move(device_url)),
      label_(url_host(device_url_)),
      credentials_(std::move(credentials)),
      options_(options),
      soap_(onvif::new_context()),
      digest_(std::make_unique<DigestState>()) {
    if (label_.empty()) label_ = device_url_;
    soap_register_plugin(soap_, http_da);
    // gSOAP takes negative timeouts as microseconds. transfer_timeout caps the whole exchange,
    // so a device that trickles bytes cannot hold a call longer than its timeout.
    const int us = -static_cast<int>(timeout_us(options_.timeout));
    soap_->connect_timeout = us;
    soap_->send_timeout = us;
    soap_->recv_timeout = us;
    soap_->transfer_timeout = us;
}

Session::~Session() {
    if (digest_->saved) http_da_release(soap_, &digest_->info);
    onvif::release(soap_);
}

int Session::attempt(AuthMethod method, const std::string& service_url, const Invoke& invoke) {
    onvif::reset_for_next_call(soap_);
    if (method == AuthMethod::Digest && digest_->saved) http_da_restore(soap_, &digest_->info);
    if (method == AuthMethod::UsernameToken && credentials_) {
        const auto device_now = static_cast<std::time_t>(static_cast<double>(std::time(nullptr)) + clock_offset_s_);
        add_username_token(soap_, credentials_->username, credentials_->password, device_now);
    }
    const auto started = std::chrono::steady_clock::now();
    const int rc = invoke(soap_, service_url.c_str());
    last_call_time_ = std::chrono::steady_clock::now() - started;
    return rc;
}

Result<Done> Session::call_unauthenticated(const char* operation, const std::string& service_url,
                                           const Invoke& invoke) {
    if (attempt(AuthMethod::None, service_url, invoke) == SOAP_OK) return Done{};
    return error_from_soap(operation, AuthMethod::None);
}

Result<Done> Session::negotiate(const char* operation, const std::string& service_url, const Invoke& invoke) {
    int rc = attempt(AuthMethod::None, service_url, invoke);
    if (rc == SOAP_OK) {
        auth_ = AuthMethod::None;
        return Done{};
    }
    const bool wants_digest = rc == kHttpUnauthorized;
    const bool wants_token = is_not_authorized_fault(soap_, rc);
    if (!wants_digest && !wants_token) return error_from_soap(operation, AuthMethod::None);
    if (!credentials_)
        return Error{ErrorCode::AuthFailed, label_, "the device wants credentials; give --user",
                     wants_digest ? "HTTP 401" : "ter:NotAuthorized"};

    if (wants_digest && !onvif::has_digest_challenge(soap_))
        return Error{ErrorCode::AuthFailed, label_,
                     "the device asks for an HTTP authentication other than Digest, which ONVIF requires", "HTTP 401"};
    if (wants_digest) {
        if (digest_->saved) http_da_release(soap_, &digest_->info);
        http_da_save(soap_, &digest_->info, soap_->authrealm, credentials_->username.c_str(),
                     credentials_->password.c_str());
        digest_->saved = true;
    }
    const AuthMethod method = wants_digest ? AuthMethod::Digest : AuthMethod::UsernameToken;
    rc = attempt(method, service_url, invoke);
    if (rc == SOAP_OK) {
        auth_ = method;
        return Done{};
    }
    if (rc == kHttpUnauthorized || is_not_authorized_fault(soap_, rc))
        return Error{ErrorCode::AuthFailed, label_,
                     std::string("the device refused user '") + credentials_->username + "' by " + to_string(method),
                     rc == kHttpUnauthorized ? "HTTP 401" : "ter:NotAuthorized"};
    return error_from_soap(operation, method);
}

Result<Done> Session::call(const char* operation, const std::string& service_url, const Invoke& invoke) {
    if (auth_ == AuthMethod::Unknown) return negotiate(operation, service_url, invoke);

    int rc = attempt(auth_, service_url, invoke);
    if (rc == SOAP_OK) return Done{};
    const bool challenged = rc == kHttpUnauthorized;
    const bool refused = is_not_authorized_fault(soap_, rc);
    if (auth_ == AuthMethod::None && (challenged || refused)) {
        // The device let an earlier operation through anonymously but protects this one.
        auth_ = AuthMethod::Unknown;
        return negotiate(operation, service_url, invoke);
    }
    if (auth_ == AuthMethod::Digest && challenged && credentials_ && onvif::has_digest_challenge(soap_)) {
        // Digest nonces expire: answer the fresh challenge once. Save it before releasing the old
        // state, because releasing clears the realm and nonce the save reads.
        http_da_info fresh{};
        http_da_save(soap_, &fresh, soap_->authrealm, credentials_->username.c_str(), credentials_->password.c_str());
        http_da_release(soap_, &digest_->info);
        digest_->info = fresh;
        rc = attempt(auth_, service_url, invoke);
        if (rc == SOAP_OK) return Done{};
    }
    return error_from_soap(operation, auth_);
}

Error Session::error_from_soap(const char* operation, AuthMethod tried) const {
    const int rc = soap_->error;
    const int err = soap_->errnum;
    const std::string op = operation;
    const bool used_whole_timeout = last_call_time_ >= options_.timeout * 9 / 10;

    if (rc == kHttpUnauthorized)
        return Error{ErrorCode::AuthFailed, label_, op + " was refused", "HTTP 401"};
    if (is_fault(rc)) {
        const char* subcode = soap_fault_subcode(soap_);
        const char* reason = soap_fault_string(soap_);
        const char** fault_code = soap_faultcode(soap_);
        std::string code = subcode ? subcode : (fault_code && *fault_code ? *fault_code : "");
        if (code.find("NotAuthorized") != std::string::npos)
            return Error{tried == AuthMethod::None ? ErrorCode::AuthFailed : ErrorCode::NotPermitted, label_,
                         op + (reason ? std::string(": ") + reason : ""), code};
        return Error{ErrorCode::DeviceFault, label_, op + (reason ? std::string(": ") + reason : ""), code};
    }
    if (rc == SOAP_TCP_ERROR || rc == SOAP_EOF || rc == SOAP_UDP_ERROR) {
        const std::string errno_code = err ? "errno " + std::to_string(err) : "";
        if (err == ECONNREFUSED) return Error{ErrorCode::ConnectionRefused, label_, op, errno_code};
        if (err == EHOSTUNREACH || err == ENETUNREACH)
            return Error{ErrorCode::Unreachable, label_, op + ": " + std::strerror(err), errno_code};
        if (err == ETIMEDOUT || err == EAGAIN || used_whole_timeout)
            return Error{ErrorCode::TimedOut, label_,
                         op + " after " + std::to_string(options_.timeout.count()) + " ms", errno_code};
        if (err == ECONNRESET || err == EPIPE || rc == SOAP_EOF)
            return Error{ErrorCode::ConnectionClosed, label_, op + (err ? std::string(": ") + std::strerror(err) : ""),
                         errno_code};
        return Error{ErrorCode::SocketFailed, label_, op + (err ? std::string(": ") + std::strerror(err) : ""),
                     errno_code};
    }
    if (rc == 404 || rc == 405 || rc == SOAP_VERSIONMISMATCH || rc == SOAP_NO_METHOD ||
        (rc >= 300 && rc < 600 && rc != 400 && rc != 500))
        return Error{ErrorCode::NotOnvif, label_, op + " got no ONVIF answer",
                     rc >= 300 && rc < 600 ? "HTTP " + std::to_string(rc) : ""};
    return Error{ErrorCode::MalformedAnswer, label_, op + ": " + malformed_reason(), "gSOAP " + std::to_string(rc)};
}

std::string Session::malformed_reason() const {
    const long long limit = static_cast<long long>(soap_->recv_maxlength);
    // gSOAP refuses an over-long answer by its Content-Length before reading it, reporting the
    // HTTP status it got (200) as the error.
    if (soap_->error == SOAP_LENGTH || static_cast<long long>(soap_->length) > limit)
        return "the answer is larger than the " + std::to_string(limit / (1024 * 1024)) + " MB Sitelink accepts";
    switch (soap_->error) {
        case SOAP_LEVEL: return "the answer is nested too deeply";
        case SOAP_SYNTAX_ERROR: return "the answer is not well-formed XML";
        case SOAP_NO_TAG: return "the answer holds no XML";
        case SOAP_TAG_MISMATCH: return "the answer has an unexpected element";
        case SOAP_TYPE: return "a value in the answer has the wrong type";
        case SOAP_OCCURS: return "the answer lacks a required element";
        case SOAP_UTF_ERROR: return "the answer is not valid UTF-8";
        case SOAP_EMPTY: return "the answer is empty";
        case SOAP_HTTP_ERROR: return "the answer's HTTP header is invalid";
        default: break;
    }
    const char* reason = soap_fault_string(soap_);
    return reason ? reason : "the answer could not be read";
}

}  // namespace sitelink::onvif_client
