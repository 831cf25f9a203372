// Who may talk to the wizard's server. Pure rules, kept apart from the server so they are tested
// alone: the Host header must name this server (a web page whose DNS name was rebound to the
// laptop's address sends its own name and is refused), a state-changing request must come from a
// page this server served (its Origin), and when the server listens beyond loopback every request
// needs the session the one-time token opened.
#pragma once
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace sitelink::web {

// What a refused request gets: the HTTP status and the words for people.
struct Refusal {
    int status = 403;
    std::string id;
    std::string detail;
};

class Guard {
public:
    // hosts: every "name:port" (and "name" for port 80) the browser may use to reach the server.
    Guard(std::set<std::string> hosts, bool require_token);

    // The token to print for the installer; a new one after each use. Empty without token mode.
    std::string token() const;
    bool token_required() const { return require_token_; }

    bool host_allowed(const std::string& host) const { return hosts_.count(host) > 0; }
    // Whether the request may go on: its Host, its Origin when it changes state, and its session
    // (the cookie, compared in constant time) when a token is required.
    std::optional<Refusal> check(const std::string& method, const std::string& host, const std::string& origin,
                                 const std::string& cookie_header) const;
    // GET /?token=T: the session cookie's value when T is the current token, which is then spent.
    std::optional<std::string> redeem(const std::string& token);

    static constexpr const char* kCookie = "sitelink_session";

private:
    bool has_session(const std::string& cookie_header) const;

    std::set<std::string> hosts_;
    bool require_token_;
    mutable std::mutex mutex_;
    std::string token_;
    std::set<std::string> sessions_;
};

// 32 random characters from libsodium, safe in URLs and cookies.
std::string random_token();
// Whether a listen address only this machine can reach: 127.0.0.0/8, ::1, localhost.
bool is_loopback_listen(const std::string& listen);

}  // namespace sitelink::web
