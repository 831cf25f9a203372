// Stage 4 of the flow, second half: a stable name for the site.
// Entry points: configure_ddns() checks and saves the provider, name and credentials (the secret
// sealed, see site/secrets.h); update_ddns() points the name at the site's current external
// address, only when it changed, honouring what the provider answered last time (a provider that
// said "badauth" or "abuse" is not asked again until a human acts; "911" and "dnserr" wait 30
// minutes). The protocols (dyndns2, DuckDNS, Cloudflare's API, RFC 2136 with TSIG) live in
// protocols.cpp; which provider speaks which, in profiles/ddns/.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/profiles.h"
#include "site/site_db.h"

namespace sitelink::ddns {

// What the site's name is and who answers for it; saved as the site fact "ddns".
struct DdnsSettings {
    std::string provider;      // a profiles/ddns id: "noip", "duckdns", "cloudflare", "rfc2136", ...
    std::string hostname;      // the full name the phone uses: "smith-cams.ddns.net"
    std::string username;      // dyndns2 user; RFC 2136 TSIG key name; empty for token providers
    std::string sealed_secret; // password, token or TSIG secret, sealed with the machine's key
    std::string base_url;      // the provider's API; empty: the profile's
    std::string zone;          // Cloudflare and RFC 2136: the zone the name lives in
    std::string server;        // RFC 2136: the primary server's address
    std::string tsig_algorithm = "hmac-sha256";
    int ttl_s = 60;
    std::string owner = "keeper";  // who keeps the name fresh after the installer leaves: "keeper",
                                   // "manual", or "device:<key>" (the device's own DDNS client)
};

// What the last requests did; saved as the site fact "ddns_state". Written before a request
// is sent (pending_address) and after, so an interrupted update is seen and redone.
struct DdnsState {
    std::string address;          // the address the provider last confirmed (good or nochg)
    std::int64_t confirmed_at = 0;// when it did (Unix time)
    std::int64_t asked_at = 0;    // the last request of any outcome
    std::string pending_address;  // a request for this address was sent and has no recorded answer
    std::string last_code;        // good, nochg, badauth, nohost, 911, network, ...
    std::string last_message;     // the provider's own words
    std::string stopped_code;     // a fatal answer: no request until `ddns set` is run again
    std::int64_t retry_after = 0; // no request before this (911, dnserr, rate limits, network)
};

// The one rule for every provider's answer: what it means and what Sitelink does next.
enum class AnswerKind {
    Updated,    // good: the name now points at the address
    Unchanged,  // nochg: it already did (never repeat it: providers block repeated nochg)
    RetryLater, // 911, dnserr, HTTP 5xx, rate limit, network trouble: wait, then try again
    Stopped,    // badauth, nohost, notfqdn, abuse, ...: a human must act before the next request
};
struct ProviderAnswer {
    AnswerKind kind = AnswerKind::RetryLater;
    std::string code;     // the provider's own code: "good", "badauth", "KO", "HTTP 403 / 10000", "NOTAUTH"
    std::string address;  // the address the provider now has, when it says
    std::string message;  // the provider's words, for people
    std::string advice;   // what to do, when there is something to do
};

// What a provider's answer means, one function per protocol (pure: tested and fuzzed alone).
// dyndns2: one answer line ("good 1.2.3.4", "badauth", ...).
ProviderAnswer classify_dyndns2(const std::string& line);
// dyndns2: the HTTP status and body of /nic/update.
ProviderAnswer dyndns2_answer(const std::string& url, int status, const std::string& body);
// DuckDNS: the HTTP status and body ("OK"/"KO", verbose lines); address: the one asked for.
ProviderAnswer duckdns_answer(const std::string& url, int status, const std::string& body, const std::string& address);
// Cloudflare API v4: the call's "result" on success, else what the error means.
std::variant<nlohmann::json, ProviderAnswer> cloudflare_answer(const std::string& url, int status, const std::string& body);
// RFC 2136: what the server's answer to a signed UPDATE means, from the datagram as received.
// Only an answer to this UPDATE (its ID, QR set, opcode UPDATE) signed with the key over the
// request's MAC is believed; a stray, cut or unparsable one means trying again later.
struct SignedUpdate {
    std::uint16_t id = 0;
    std::string key_name;     // as signed, with the final dot: "sitelink-key."
    std::string secret;       // base64, as in the server's key file
    std::string request_mac;  // the UPDATE's TSIG MAC field as on the wire (2-byte length, then the MAC)
};
ProviderAnswer rfc2136_answer(const std::string& server, const std::string& answer, const SignedUpdate& update);

// How long to wait after a RetryLater answer, and how often a name is refreshed without a
// change (some providers expire names that are never updated).
constexpr std::chrono::seconds kRetryWait{30 * 60};
constexpr std::chrono::seconds kRefreshEvery{30 * 24 * 3600};

// What one request needs: the settings, the secret in the clear, the address, and the
// interface to send on (empty: the system's choice; the CLI always passes the site's).
struct UpdateRequest {
    DdnsSettings settings;
    const DdnsProviderProfile* provider = nullptr;
    std::string secret;
    std::string address;
    std::string interface;
    std::chrono::milliseconds timeout{10000};
};

// Sends the update the provider's protocol calls for. An Error only for a request that could
// not be made at all (bad settings); everything the provider or network says is a ProviderAnswer.
ProviderAnswer send_update(const UpdateRequest& request);

// ---------------------------------------------------------------- the site's name

struct DdnsSetRequest {
    DdnsSettings settings;  // sealed_secret empty: the secret is `secret`
    std::string secret;
};
// Validates against the provider's profile (the name's form, what credentials it needs),
// seals the secret and saves. The state starts afresh: a stop is lifted (a human acted), and the
// next update asks the provider once with the new settings.
// An owner "device:WHO" (name, address, MAC, serial) must be a device the site knows whose vendor
// profile has a DDNS client for the provider; it is saved as "device:<key>".
Result<DdnsSettings> configure_ddns(site::SiteDb& site, const Profiles& profiles, const DdnsSetRequest& request);
// The device that owns the name, if the settings give it to one.
Result<std::optional<site::SiteDevice>> owning_device(site::SiteDb& site, const DdnsSettings& settings);
// Step by step, the values to enter in the owning device's own DDNS page (the secret not shown).
std::string device_ddns_guide(const DdnsSettings& settings, const DdnsProviderProfile& provider, const site::SiteDevice& device,
                              const DeviceDdnsClient& client);
Result<std::optional<DdnsSettings>> saved_settings(site::SiteDb& site);
Result<DdnsState> saved_state(site::SiteDb& site);

// What update_ddns decided and what came of it.
struct UpdateOutcome {
    std::string action;  // "updated", "unchanged" (no request: the address is the one confirmed),
                         // "confirmed" (nochg), "waiting" (retry time not reached), "stopped", "failed"
    std::string address;
    ProviderAnswer answer;     // when a request was sent
    DdnsState state;           // as saved afterwards
    std::string detail;        // one sentence for people
};

struct UpdateOptions {
    std::string address;    // the site's external address now
    std::string interface;
    bool force = false;     // send even if the address is the one confirmed (not past a stop)
    std::chrono::milliseconds timeout{10000};
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};
// Error when there are no settings or the secret cannot be unsealed.
Result<UpdateOutcome> update_ddns(site::SiteDb& site, const Profiles& profiles, const UpdateOptions& options);

std::string to_string(AnswerKind kind);

// As the site stores them (facts "ddns" and "ddns_state").
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DdnsSettings, provider, hostname, username, sealed_secret, base_url, zone, server, tsig_algorithm,
                                   ttl_s, owner)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DdnsState, address, confirmed_at, asked_at, pending_address, last_code, last_message,
                                   stopped_code, retry_after)

}  // namespace sitelink::ddns
