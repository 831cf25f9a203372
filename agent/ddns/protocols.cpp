// The four ways a name is updated: dyndns2 (No-IP, Dynu, Dyn and compatibles), DuckDNS,
// Cloudflare's API v4, and RFC 2136 dynamic update signed with TSIG (ldns builds, signs and
// checks the DNS messages). Each returns what the provider said, classified in one place.
#include <httplib.h>
#include "ddns/ldns_handle.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/net.h"
#include "ddns/ddns.h"
#include "ddns/dns.h"


namespace sitelink::ddns {

namespace {

using nlohmann::json;

// dyndns2 providers refuse clients without a User-Agent naming them (badagent).
constexpr const char* kUserAgent = "Sitelink-agent/0.1 (security camera installer tool)";
// Provider answers are a line or a small JSON document; anything longer is not one.
constexpr std::size_t kMaxAnswer = 64 * 1024;

ProviderAnswer retry(std::string code, std::string message) {
    return {AnswerKind::RetryLater, std::move(code), "", std::move(message), "Sitelink tries again in 30 minutes."};
}

ProviderAnswer stopped(std::string code, std::string message, std::string advice) {
    return {AnswerKind::Stopped, std::move(code), "", std::move(message), std::move(advice)};
}

std::string base_url(const UpdateRequest& r) {
    return r.settings.base_url.empty() ? r.provider->base_url : r.settings.base_url;
}

std::unique_ptr<httplib::Client> client_for(const UpdateRequest& r, const std::string& origin) {
    auto client = std::make_unique<httplib::Client>(origin);
    if (!r.interface.empty()) client->set_interface(r.interface);
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(r.timeout);
    client->set_connection_timeout(seconds);
    client->set_read_timeout(seconds);
    client->set_write_timeout(seconds);
    client->set_default_headers({{"User-Agent", kUserAgent}});
    return client;
}

// No answer at all: the network, not the provider. Retried.
ProviderAnswer no_answer(const std::string& url, httplib::Error error) {
    return retry("network", url + " did not answer (" + httplib::to_string(error) + ")");
}

// An HTTP status that is not the protocol's own answer. 5xx and 429 pass; others need a human
// (a wrong URL does not fix itself, and repeating it looks like abuse).
std::optional<ProviderAnswer> http_trouble(const std::string& url, int status) {
    const std::string code = "HTTP " + std::to_string(status);
    if (status == 429 || status >= 500) return retry(code, url + " answered " + code);
    if (status == 404)
        return stopped(code, url + " answered " + code, "Check the provider's base URL (sitelink ddns set --base-url).");
    return std::nullopt;
}

std::string first_line(const std::string& body) {
    std::string line = body.substr(0, std::min(body.find('\n'), std::size_t{200}));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
}

std::string query_escape(const std::string& s) { return httplib::detail::encode_query_param(s); }

// ---------------------------------------------------------------- dyndns2

ProviderAnswer dyndns2_update(const UpdateRequest& r) {
    const std::string url = base_url(r) + "/nic/update";
    const auto [origin, path] = split_url(url);
    auto client = client_for(r, origin);
    client->set_basic_auth(r.settings.username, r.secret);
    auto answer = client->Get(path + "?hostname=" + query_escape(r.settings.hostname) + "&myip=" + query_escape(r.address));
    if (!answer) return no_answer(url, answer.error());
    return dyndns2_answer(url, answer->status, answer->body);
}

// ---------------------------------------------------------------- DuckDNS

std::string duckdns_domain(const UpdateRequest& r) {
    const std::string& host = r.settings.hostname;
    const std::string& suffix = r.provider->hostname_suffix;
    return host.size() > suffix.size() ? host.substr(0, host.size() - suffix.size()) : host;
}

ProviderAnswer duckdns_update(const UpdateRequest& r) {
    const std::string url = base_url(r) + "/update";
    const auto [origin, path] = split_url(url);
    auto client = client_for(r, origin);
    auto answer = client->Get(path + "?domains=" + query_escape(duckdns_domain(r)) + "&token=" + query_escape(r.secret) +
                              "&ip=" + query_escape(r.address) + "&verbose=true");
    if (!answer) return no_answer(url, answer.error());
    return duckdns_answer(url, answer->status, answer->body, r.address);
}

// ---------------------------------------------------------------- Cloudflare API v4

struct Cloudflare {
    const UpdateRequest& r;
    std::string base = base_url(r);
    std::unique_ptr<httplib::Client> client = client_for(r, split_url(base).origin);
    std::string prefix = split_url(base).path;

    // The call's JSON result, or the provider's answer when it failed.
    std::variant<json, ProviderAnswer> call(const std::string& method, const std::string& path, const json& body = nullptr) {
        httplib::Headers headers{{"Authorization", "Bearer " + r.secret}};
        const std::string target = prefix + path;
        httplib::Result answer = method == "GET" ? client->Get(target, headers)
                                 : method == "POST" ? client->Post(target, headers, body.dump(), "application/json")
                                                    : client->Patch(target, headers, body.dump(), "application/json");
        const std::string url = base + path;
        if (!answer) return no_answer(url, answer.error());
        return cloudflare_answer(url, answer->status, answer->body);
    }
};

std::string zone_of(const DdnsSettings& s) {
    if (!s.zone.empty()) return s.zone;
    const auto dot = s.hostname.find('.');
    return dot == std::string::npos ? s.hostname : s.hostname.substr(dot + 1);
}

// The A record's id and content, or an answer when the provider cannot say.
struct CloudflareRecord {
    std::string zone_id, record_id, content;
};
std::variant<CloudflareRecord, ProviderAnswer> cloudflare_record(Cloudflare& api, const DdnsSettings& s) {
    const std::string zone = zone_of(s);
    auto zones = api.call("GET", "/zones?name=" + query_escape(zone));
    if (auto* failed = std::get_if<ProviderAnswer>(&zones)) return *failed;
    const json& found = std::get<json>(zones);
    if (!found.is_array() || found.empty() || !found[0].is_object() || !found[0].contains("id") || !found[0]["id"].is_string())
        return stopped("nohost", "Cloudflare has no zone " + zone + " for this token",
                       "Give the zone the name is in with --zone, and a token that may edit it.");
    CloudflareRecord record{found[0]["id"].get<std::string>(), "", ""};
    auto records = api.call("GET", "/zones/" + record.zone_id + "/dns_records?type=A&name=" + query_escape(s.hostname));
    if (auto* failed = std::get_if<ProviderAnswer>(&records)) return *failed;
    const json& list = std::get<json>(records);
    if (list.is_array() && !list.empty() && list[0].is_object()) {
        if (list[0].contains("id") && list[0]["id"].is_string()) record.record_id = list[0]["id"].get<std::string>();
        if (list[0].contains("content") && list[0]["content"].is_string()) record.content = list[0]["content"].get<std::string>();
    }
    return record;
}

ProviderAnswer cloudflare_update(const UpdateRequest& r) {
    Cloudflare api{r};
    auto found = cloudflare_record(api, r.settings);
    if (auto* failed = std::get_if<ProviderAnswer>(&found)) return *failed;
    const auto& record = std::get<CloudflareRecord>(found);
    if (record.content == r.address)
        return {AnswerKind::Unchanged, "unchanged", r.address, "the A record already holds this address", ""};
    const json body = {{"type", "A"}, {"name", r.settings.hostname}, {"content", r.address}, {"ttl", r.settings.ttl_s}, {"proxied", false}};
    auto done = record.record_id.empty() ? api.call("POST", "/zones/" + record.zone_id + "/dns_records", body)
                                         : api.call("PATCH", "/zones/" + record.zone_id + "/dns_records/" + record.record_id, body);
    if (auto* failed = std::get_if<ProviderAnswer>(&done)) return *failed;
    return {AnswerKind::Updated, record.record_id.empty() ? "created" : "updated", r.address, "the A record now holds this address", ""};
}

// ---------------------------------------------------------------- RFC 2136 with TSIG

ProviderAnswer from_rcode(const std::string& server, ldns_pkt_rcode rcode) {
    switch (rcode) {
        case LDNS_RCODE_NOERROR: return {AnswerKind::Updated, "NOERROR", "", "the server applied the update", ""};
        case LDNS_RCODE_SERVFAIL: return retry("SERVFAIL", server + " failed to apply the update");
        case LDNS_RCODE_NOTAUTH:
            return stopped("NOTAUTH", server + " refused the TSIG signature or is not authoritative for the zone",
                           "Check the key name, secret and algorithm against the server's key, then run `sitelink ddns set` again.");
        case LDNS_RCODE_REFUSED:
            return stopped("REFUSED", server + " refused the update",
                           "Allow this key to update the zone on the server (BIND: update-policy), then run `sitelink ddns set` again.");
        case LDNS_RCODE_NOTZONE:
            return stopped("NOTZONE", "the name is not in the zone the update names",
                           "Give the zone the name is in with --zone, then run `sitelink ddns set` again.");
        default: {
            const char* name = ldns_lookup_by_id(ldns_rcodes, static_cast<int>(rcode)) ? ldns_lookup_by_id(ldns_rcodes, static_cast<int>(rcode))->name : nullptr;
            return stopped(name ? name : "RCODE " + std::to_string(rcode), server + " refused the update", "Check the server's log for why.");
        }
    }
}

ProviderAnswer rfc2136_update(const UpdateRequest& r) {
    const DnsServer server{r.settings.server, r.interface, r.timeout};
    auto current = lookup_a(r.settings.hostname, server);
    if (current && current->size() == 1 && current->front() == r.address)
        return {AnswerKind::Unchanged, "NOERROR", r.address, "the server already has this address", ""};
    // A server that answers no query will not answer the update either: no need to wait twice.
    if (!current && current.error().code == ErrorCode::TimedOut)
        return retry("network", r.settings.server + " did not answer: " + current.error().detail);
    const std::string key_name = r.settings.username.back() == '.' ? r.settings.username : r.settings.username + ".";
    const std::string algorithm = r.settings.tsig_algorithm.back() == '.' ? r.settings.tsig_algorithm : r.settings.tsig_algorithm + ".";

    // Prerequisite-free replace: delete every A record of the name, add the one.
    const std::string fqdn = r.settings.hostname + ".";
    ldns_rr* remove = ldns_rr_new();
    ldns_rr_set_owner(remove, ldns_dname_new_frm_str(fqdn.c_str()));
    ldns_rr_set_type(remove, LDNS_RR_TYPE_A);
    ldns_rr_set_class(remove, LDNS_RR_CLASS_ANY);
    ldns_rr_set_ttl(remove, 0);
    ldns_rr* add = nullptr;
    const std::string text = fqdn + " " + std::to_string(r.settings.ttl_s) + " IN A " + r.address;
    if (ldns_rr_new_frm_str(&add, text.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK) {
        ldns_rr_free(remove);
        return stopped("notfqdn", "'" + r.settings.hostname + "' cannot be written as a DNS name", "Give a valid host name.");
    }
    ldns_rr_list* updates = ldns_rr_list_new();
    ldns_rr_list_push_rr(updates, remove);
    ldns_rr_list_push_rr(updates, add);
    const std::string zone = zone_of(r.settings) + ".";
    const Packet update(ldns_update_pkt_new(ldns_dname_new_frm_str(zone.c_str()), LDNS_RR_CLASS_IN, nullptr, updates, nullptr));
    ldns_rr_list_deep_free(updates);
    if (update == nullptr) return stopped("notfqdn", "the zone '" + zone + "' is not a DNS name", "Give a valid zone with --zone.");
    ldns_pkt_set_random_id(update.get());
    constexpr std::uint16_t kFudgeSeconds = 300;  // RFC 8945's recommended clock skew
    if (ldns_pkt_tsig_sign(update.get(), key_name.c_str(), r.secret.c_str(), kFudgeSeconds, algorithm.c_str(), nullptr) != LDNS_STATUS_OK)
        return stopped("TSIG", "the TSIG key cannot sign (is the secret base64?)", "Give the key's secret as in the server's key file.");
    uint8_t* wire = nullptr;
    std::size_t size = 0;
    if (ldns_pkt2wire(&wire, update.get(), &size) != LDNS_STATUS_OK)
        return stopped("TSIG", "the signed update cannot be written", "Report this to Sitelink.");
    const std::string message(reinterpret_cast<const char*>(wire), size);
    free(wire);
    const ldns_rdf* mac = ldns_rr_rdf(ldns_pkt_tsig(update.get()), 3);
    const SignedUpdate sent{ldns_pkt_id(update.get()), key_name, r.secret,
                            std::string(reinterpret_cast<const char*>(ldns_rdf_data(mac)), ldns_rdf_size(mac))};

    auto answer = exchange_udp(server, message);
    if (!answer) return retry("network", r.settings.server + " did not answer the update: " + answer.error().detail);
    ProviderAnswer result = rfc2136_answer(r.settings.server, *answer, sent);
    if (result.kind == AnswerKind::Updated) result.address = r.address;
    return result;
}

}  // namespace

ProviderAnswer classify_dyndns2(const std::string& line) {
    std::istringstream words(line);
    std::string code, address;
    words >> code >> address;
    const std::string again = "Fix it, then run `sitelink ddns set` again: Sitelink sends nothing more until then.";
    if (code == "good") return {AnswerKind::Updated, code, address, "the name now points at " + address, ""};
    if (code == "nochg") return {AnswerKind::Unchanged, code, address, "the name already pointed at " + address, ""};
    if (code == "911") return retry(code, "the provider has a problem on its side (911)");
    if (code == "dnserr") return retry(code, "the provider's DNS failed to take the update (dnserr)");
    if (code == "badauth") return stopped(code, "the provider refused the user name or password (badauth)", "Check the credentials. " + again);
    if (code == "nohost") return stopped(code, "the account has no such host name (nohost)", "Create the name at the provider or correct it. " + again);
    if (code == "notfqdn") return stopped(code, "the host name is not a full name (notfqdn)", "Give the whole name, e.g. smith-cams.ddns.net. " + again);
    if (code == "numhost") return stopped(code, "too many host names in one request (numhost)", again);
    if (code == "abuse")
        return stopped(code, "the provider blocked the name for abuse (abuse)",
                       "Unblock the name at the provider's site (too many updates were seen). " + again);
    if (code == "!donator") return stopped(code, "the request needs a paid account (!donator)", again);
    if (code == "badagent") return stopped(code, "the provider refused Sitelink's client (badagent)", "Report this to Sitelink. " + again);
    return stopped(line.empty() ? "empty" : line.substr(0, 40), "the answer is not a dyndns2 code: '" + line.substr(0, 80) + "'",
                   "Check the provider's base URL (sitelink ddns set --base-url). " + again);
}

ProviderAnswer dyndns2_answer(const std::string& url, int status, const std::string& body) {
    if (status == 429 || status >= 500) return *http_trouble(url, status);
    const std::string line = first_line(body);
    // Most providers send badauth with a 401; some send the 401 alone.
    if (line.empty() && status == 401) return classify_dyndns2("badauth");
    if (line.empty()) return http_trouble(url, status).value_or(classify_dyndns2(line));
    return classify_dyndns2(line);
}

ProviderAnswer duckdns_answer(const std::string& url, int status, const std::string& body, const std::string& address) {
    if (auto trouble = http_trouble(url, status)) return *trouble;
    // "OK" or "KO"; with verbose=true: OK, the IPv4, the IPv6, then UPDATED or NOCHANGE.
    std::istringstream lines(body.substr(0, kMaxAnswer));
    std::vector<std::string> parts;
    for (std::string line; std::getline(lines, line) && parts.size() < 4;) parts.push_back(first_line(line));
    if (parts.empty() || parts[0] == "KO")
        return stopped("KO", "Duck DNS refused the update (KO)",
                       "Duck DNS says KO when the token is wrong or the domain is not in the account: check both at "
                       "duckdns.org, then run `sitelink ddns set` again.");
    if (parts[0] != "OK")
        return stopped(first_line(body), url + " did not answer OK or KO", "Check the provider's base URL (sitelink ddns set --base-url).");
    const bool unchanged = parts.size() == 4 && parts[3] == "NOCHANGE";
    return {unchanged ? AnswerKind::Unchanged : AnswerKind::Updated, "OK", parts.size() > 1 && !parts[1].empty() ? parts[1] : address,
            unchanged ? "the name already pointed there" : "the name now points there", ""};
}

std::variant<nlohmann::json, ProviderAnswer> cloudflare_answer(const std::string& url, int status, const std::string& body) {
    json document;
    try {
        document = json::parse(body.substr(0, kMaxAnswer));
    } catch (const json::exception&) {
        if (auto trouble = http_trouble(url, status)) return *trouble;
        return stopped("HTTP " + std::to_string(status), url + " did not answer JSON",
                       "Check the provider's base URL (sitelink ddns set --base-url).");
    }
    const bool success = document.is_object() && document.contains("success") && document["success"].is_boolean() &&
                         document["success"].get<bool>();
    if (success && document.contains("result")) return document["result"];
    std::string code = "HTTP " + std::to_string(status), message;
    if (document.is_object() && document.contains("errors") && document["errors"].is_array() && !document["errors"].empty()) {
        const json& first = document["errors"][0];
        if (first.is_object()) {
            if (first.contains("code")) code += " / " + first["code"].dump();
            if (first.contains("message") && first["message"].is_string()) message = first["message"].get<std::string>();
        }
    }
    if (status == 429 || status >= 500) return retry(code, url + ": " + message);
    if (status == 401 || status == 403)
        return stopped(code, "Cloudflare refused the token: " + message,
                       "Make an API token with Zone.DNS edit permission for the zone, then run `sitelink ddns set` again.");
    return stopped(code, "Cloudflare refused the request: " + message, "Check the zone and host name, then run `sitelink ddns set` again.");
}

ProviderAnswer rfc2136_answer(const std::string& server, const std::string& answer, const SignedUpdate& update) {
    const auto* wire = reinterpret_cast<const uint8_t*>(answer.data());
    ldns_pkt* parsed = nullptr;
    if (const ldns_status status = ldns_wire2pkt(&parsed, wire, answer.size()); status != LDNS_STATUS_OK)
        return retry("malformed", server + " answered the update with a malformed DNS message (" + ldns_get_errorstr_by_id(status) + ")");
    const Packet packet(parsed);
    if (!ldns_pkt_qr(parsed) || ldns_pkt_get_opcode(parsed) != LDNS_PACKET_UPDATE)
        return retry("malformed", server + " answered the update with a message that is not an UPDATE answer");
    if (ldns_pkt_id(parsed) != update.id)
        return retry("mismatch", server + " sent an answer with ID " + std::to_string(ldns_pkt_id(parsed)) + ", not the update's " +
                                     std::to_string(update.id) + " (a stray or forged answer)");
    if (ldns_pkt_tc(parsed)) return retry("truncated", server + " sent the answer to the update truncated");
    const std::unique_ptr<ldns_rdf, void (*)(ldns_rdf*)> request_mac(
        ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, update.request_mac.size(), update.request_mac.data()), ldns_rdf_deep_free);
    ldns_rr* tsig = ldns_pkt_tsig(parsed);
    const bool verified = request_mac != nullptr && ldns_pkt_tsig_verify(parsed, wire, answer.size(), update.key_name.c_str(),
                                                                         update.secret.c_str(), request_mac.get());
    // ldns 1.8 takes the TSIG record out of the packet while it verifies and does not put it back
    // when it cannot compute the MAC (an algorithm it does not know): the packet would not free it.
    if (tsig != nullptr && ldns_pkt_tsig(parsed) == nullptr) ldns_pkt_set_tsig(parsed, tsig);
    const ldns_pkt_rcode rcode = ldns_pkt_get_rcode(parsed);
    if (!verified && rcode == LDNS_RCODE_NOTAUTH)
        // BIND answers a request it cannot verify unsigned (NOTAUTH, TSIG error BADSIG/BADKEY).
        return stopped("NOTAUTH/BADSIG", server + " did not accept the TSIG signature",
                       "Check the key name, secret and algorithm against the server's key, then run `sitelink ddns set` again.");
    if (!verified) return retry("BADSIG", server + "'s answer is not signed with the key, so it cannot be believed");
    return from_rcode(server, rcode);
}

ProviderAnswer send_update(const UpdateRequest& request) {
    const std::string& protocol = request.provider->protocol;
    if (protocol == "dyndns2") return dyndns2_update(request);
    if (protocol == "duckdns") return duckdns_update(request);
    if (protocol == "cloudflare") return cloudflare_update(request);
    return rfc2136_update(request);
}

}  // namespace sitelink::ddns
