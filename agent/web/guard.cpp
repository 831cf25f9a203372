#include "web/guard.h"

#include <sodium.h>

#include <algorithm>

#include "core/net.h"

namespace sitelink::web {

namespace {

bool equal_in_constant_time(const std::string& a, const std::string& b) {
    return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// "sitelink_session=abc; theme=dark" -> every value of that cookie.
std::vector<std::string> cookie_values(const std::string& header, const std::string& name) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < header.size()) {
        auto end = header.find(';', at);
        if (end == std::string::npos) end = header.size();
        std::string item = header.substr(at, end - at);
        item.erase(0, item.find_first_not_of(' '));
        if (item.rfind(name + "=", 0) == 0) out.push_back(item.substr(name.size() + 1));
        at = end + 1;
    }
    return out;
}

}  // namespace

std::string random_token() {
    static const char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    std::string token(32, ' ');
    for (auto& c : token) c = kAlphabet[randombytes_uniform(sizeof(kAlphabet) - 1)];
    return token;
}

bool is_loopback_listen(const std::string& listen) {
    if (listen == "localhost" || listen == "::1") return true;
    const auto address = Ipv4::parse(listen);
    return address && (address->value >> 24) == 127;
}

Guard::Guard(std::set<std::string> hosts, bool require_token)
    : hosts_(std::move(hosts)), require_token_(require_token), token_(require_token ? random_token() : "") {}

std::string Guard::token() const {
    std::lock_guard lock(mutex_);
    return token_;
}

bool Guard::has_session(const std::string& cookie_header) const {
    std::lock_guard lock(mutex_);
    for (const auto& value : cookie_values(cookie_header, kCookie))
        for (const auto& session : sessions_)
            if (equal_in_constant_time(value, session)) return true;
    return false;
}

std::optional<Refusal> Guard::check(const std::string& method, const std::string& host, const std::string& origin,
                                    const std::string& cookie_header) const {
    if (!host_allowed(host))
        return Refusal{421, "wrong-host",
                       "this server answers only to " + *hosts_.begin() +
                           " and its other own addresses (a page that reached it under another name is refused); open the address `sitelink serve` printed"};
    const bool changes_state = method != "GET" && method != "HEAD" && method != "OPTIONS";
    if (changes_state && origin != "http://" + host)
        return Refusal{403, "wrong-origin",
                       origin.empty() ? "a request that changes something must come from the wizard's own page (it has no Origin header)"
                                      : "a request that changes something must come from the wizard's own page, not " + origin};
    if (require_token_ && !has_session(cookie_header))
        return Refusal{401, "no-session", "open the address with the one-time token that `sitelink serve` printed in its terminal"};
    return std::nullopt;
}

std::optional<std::string> Guard::redeem(const std::string& token) {
    std::lock_guard lock(mutex_);
    if (!require_token_ || token.empty() || !equal_in_constant_time(token, token_)) return std::nullopt;
    token_ = random_token();  // one use: the next device needs the next token
    std::string session = random_token() + random_token();
    sessions_.insert(session);
    return session;
}

}  // namespace sitelink::web
