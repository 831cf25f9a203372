// A conversation with one ONVIF device: timeouts on every call, the device's clock offset,
// and authentication negotiated once and remembered (HTTP Digest when the device challenges,
// WS-UsernameToken when it answers with a NotAuthorized fault, nothing when it needs nothing).
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"

struct soap;

namespace sitelink::onvif_client {

enum class AuthMethod { Unknown, None, Digest, UsernameToken };
std::string to_string(AuthMethod method);

struct Credentials {
    std::string username;
    std::string password;
};

// Which credentials to log in to each device with: the installer's word for that device (the
// wizard tests them per device or per brand), else the ones given for every device (the CLI's --user).
struct CredentialBook {
    CredentialBook() = default;
    CredentialBook(std::optional<Credentials> all) : every_device(std::move(all)) {}  // NOLINT: implicit on purpose
    std::optional<Credentials> every_device;
    std::map<std::string, Credentials> by_device;  // device key (EndpointReference, "mac:...") -> its own
    std::optional<Credentials> for_device(const std::string& key) const;
};

struct SessionOptions {
    std::chrono::milliseconds timeout{5000};  // for each call, connect to last byte
};

class Session {
public:
    // device_url: the device service, e.g. http://192.168.1.20/onvif/device_service
    Session(std::string device_url, std::optional<Credentials> credentials, SessionOptions options = {});
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    const std::string& device_url() const { return device_url_; }
    // How errors name this device: its host.
    const std::string& label() const { return label_; }

    // What the device's clock says minus what ours says, measured by read_clock().
    double clock_offset_s() const { return clock_offset_s_; }
    void set_clock_offset_s(double offset) { clock_offset_s_ = offset; }
    AuthMethod auth_method() const { return auth_; }
    // Skip negotiation when the method that worked last time is known.
    void remember_auth_method(AuthMethod method) { auth_ = method; }

    // The gSOAP call to make: given a context and the service URL, returns gSOAP's status.
    // The callback copies what it needs out of the response before returning: the context's
    // memory is released after every call.
    using Invoke = std::function<int(struct soap*, const char* service_url)>;

    // An operation that needs no authentication (PRE_AUTH in ONVIF's access classes).
    Result<Done> call_unauthenticated(const char* operation, const std::string& service_url,
                                      const Invoke& invoke);
    // An operation under the device's authentication, negotiated on first use.
    Result<Done> call(const char* operation, const std::string& service_url, const Invoke& invoke);

private:
    int attempt(AuthMethod method, const std::string& service_url, const Invoke& invoke);
    Error error_from_soap(const char* operation, AuthMethod tried) const;
    std::string malformed_reason() const;
    Result<Done> negotiate(const char* operation, const std::string& service_url, const Invoke& invoke);

    std::string device_url_;
    std::string label_;
    std::optional<Credentials> credentials_;
    SessionOptions options_;
    struct soap* soap_;
    struct DigestState;
    std::unique_ptr<DigestState> digest_;
    AuthMethod auth_ = AuthMethod::Unknown;
    double clock_offset_s_ = 0;
    std::chrono::steady_clock::duration last_call_time_{};
};

}  // namespace sitelink::onvif_client
