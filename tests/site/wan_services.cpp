// sitesim-wan: the "internet" side HTTP services of the simulated job site (tests/site/sitesim).
//
// Runs inside the site's WAN namespace next to bind9. Every update is applied to bind9 with nsupdate
// signed by the TSIG key, so `dig` anywhere in the site sees it. Endpoints:
//   GET  /ip                     what-is-my-IP: the caller's source address as text/plain (no newline)
//   GET  /nic/update?hostname=H[,H2...]&myip=IP   dyndns2 update, HTTP Basic auth. One answer line per
//                                host: "good IP", "nochg IP", "badauth", "notfqdn", "nohost", "numhost",
//                                "abuse", "badagent", "dnserr", "911", "!donator". Zone: --zone.
//   GET  /duckdns/update?domains=D1[,D2]&token=T[&ip=IP][&ipv6=IP6][&clear=true][&verbose=true]
//                                DuckDNS: body "OK" or "KO" (text/plain, HTTP 200 both); a domain is one
//                                label, the record <label>.<--duckdns-zone> (default duckdns.org); no ip =
//                                the caller's address; verbose=true answers "OK\nIP\nIP6\nUPDATED|NOCHANGE".
//   /client/v4/...               Cloudflare API v4 subset, "Authorization: Bearer <token>", zone --zone:
//                                GET user/tokens/verify, GET zones[?name=Z], GET zones/<id>,
//                                GET|POST zones/<id>/dns_records[?type=&name=&content=],
//                                GET|PUT|PATCH|DELETE zones/<id>/dns_records/<record id>; types A and AAAA.
//                                Answers in Cloudflare's envelope {"success","errors","messages","result"};
//                                errors: bad token 403/10000, bad content 400/9005 (AAAA 9006), malformed
//                                JSON 400/6007, unknown zone id 404/7003, unknown record id 404/81044,
//                                duplicate record 400/81057, unknown route 404/7000. Records live in memory
//                                (ids) and are re-read from bind9 for every name a request touches, so
//                                changes made another way (dyndns2, nsupdate) show up.
//   GET  /healthz                "ok" (readiness)
//   Test controls (only reachable inside the simulated site):
//   POST /control/force?code=C[&count=N][&provider=P]  the next N requests to provider P (dyndns2, the
//                                default: any dyndns2 code, for every host, zone untouched; duckdns: KO;
//                                cloudflare: 403, 429 (code 971) or 502 (an HTML page)) answer C
//                                (N default 1, 0 = until cleared; no code = clear P's forcing)
//   POST /control/config?nochg_abuse=N    after N consecutive "nochg" for one host it is blocked and
//                                answers "abuse" until /control/reset (0 = off, the default)
//   POST /control/reset          clear forced codes, abuse blocks and the request log
//   GET  /control/requests       JSON: every provider request received (time, source, provider,
//                                method, query, body, status, answers: dyndns2 lines, OK/KO, Cloudflare
//                                error codes or "success")
// Forcing per host: a dyndns2 host name whose first label is "force-<code>" (force-911, force-abuse,
// force-dnserr, force-nohost, force-badauth, force-notfqdn, force-good, force-nochg, ...) always
// answers <code> (good/nochg followed by the IP) and never touches the zone; a DuckDNS domain
// "force-ko" always answers KO.
//
// Usage: sitesim-wan --zone Z --tsig-key FILE --credentials USER:PASS [--duckdns-token T]
//                    [--cloudflare-token T] [--duckdns-zone Z] [--listen ADDR] [--port N]
//                    [--dns-server ADDR] [--ttl S] [--nochg-abuse N]
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Json = nlohmann::ordered_json;

struct Options {
  std::string listen = "0.0.0.0";
  int port = 80;
  std::string zone;
  std::string tsig_key;
  std::string user;
  std::string password;
  std::string duckdns_token;
  std::string duckdns_zone = "duckdns.org";
  std::string cloudflare_token;
  std::string dns_server = "127.0.0.1";
  int ttl = 60;
  int nochg_abuse = 0;
};

struct LoggedRequest {
  std::string time;
  std::string source;
  std::string provider;
  std::string method;
  std::string query;
  std::string body;
  int status = 0;
  std::vector<std::string> answers;
};

struct Forced {
  std::string code;
  int remaining = 0;  // 0 = until cleared
};

// One DNS record of the Cloudflare API; the zone in bind9 holds the same RRsets.
struct CfRecord {
  std::string id;
  std::string type;
  std::string name;
  std::string content;
  int ttl = 1;
  bool proxied = false;
  std::string created_on;
  std::string modified_on;
};

// Everything the handlers share; cpp-httplib runs handlers on a thread pool.
struct State {
  std::mutex mu;
  std::map<std::string, Forced> forced;  // by provider: dyndns2, duckdns, cloudflare
  int nochg_abuse = 0;
  std::map<std::string, int> nochg_streak;
  std::set<std::string> blocked;
  std::vector<LoggedRequest> log;
  // Cloudflare: one request at a time (it reads bind9, changes memory and bind9 together)
  std::mutex cf_mu;
  std::string cf_zone_id;
  std::vector<CfRecord> cf_records;
};

const std::set<std::string> kCodes = {"good",     "nochg",  "badauth", "notfqdn", "nohost", "numhost",
                                      "abuse",    "badagent", "dnserr", "911",     "!donator"};
const std::map<std::string, std::set<std::string>> kForceable = {
    {"dyndns2", kCodes}, {"duckdns", {"KO"}}, {"cloudflare", {"403", "429", "502"}}};

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf.data();
}

std::string random_hex(size_t n) {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lk(mu);
  std::string s;
  for (size_t i = 0; i < n; ++i) s += "0123456789abcdef"[rng() % 16];
  return s;
}

std::string base64_decode(const std::string& in) {
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0;
  int bits = -8;
  for (char c : in) {
    if (c == '=') break;
    auto pos = chars.find(c);
    if (pos == std::string::npos) return {};
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

bool valid_ipv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool valid_ipv6(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, sep)) out.push_back(part);
  return out;
}

// One DNS label: 1-63 of [a-z0-9-] (and "_" / "*" where EXTRA says so), no leading or trailing "-".
bool valid_label(const std::string& l, const std::string& extra = "") {
  if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
  return std::all_of(l.begin(), l.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || extra.find(c) != std::string::npos;
  });
}

// A syntactically valid fully qualified name: at least two labels of [a-z0-9-], no trailing dot needed.
bool is_fqdn(const std::string& h) {
  if (h.empty() || h.size() > 253 || h.find('.') == std::string::npos) return false;
  std::string label;
  std::string name = h.back() == '.' ? h.substr(0, h.size() - 1) : h;
  std::stringstream ss(name);
  while (std::getline(ss, label, '.')) {
    if (label.empty() || label.size() > 63) return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

bool in_zone(const std::string& h, const std::string& zone) {
  return h.size() > zone.size() + 1 && h.compare(h.size() - zone.size(), zone.size(), zone) == 0 &&
         h[h.size() - zone.size() - 1] == '.';
}

// Runs CMD through the shell, feeding INPUT on stdin; returns the exit status (or -1).
int run_with_input(const std::string& cmd, const std::string& input) {
  FILE* p = popen(cmd.c_str(), "w");
  if (!p) return -1;
  std::fwrite(input.data(), 1, input.size(), p);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// Runs CMD through the shell and returns its output without trailing newlines; nullopt if it failed.
std::optional<std::string> run_capture(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return std::nullopt;
  std::string out;
  std::array<char, 256> buf{};
  while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
  int st = pclose(p);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return std::nullopt;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

// The TYPE (A or AAAA) RRset of NAME as the authoritative server has it, sorted; nullopt when the
// server did not answer.
std::optional<std::vector<std::string>> current_rrset(const Options& o, const std::string& name,
                                                      const std::string& type) {
  auto out = run_capture("dig +short +time=1 +tries=2 @" + o.dns_server + " " + shell_quote(name) + " " + type +
                         " 2>/dev/null");
  if (!out) return std::nullopt;
  auto v = split(*out, '\n');
  v.erase(std::remove_if(v.begin(), v.end(),
                         [&](const std::string& s) { return type == "A" ? !valid_ipv4(s) : !valid_ipv6(s); }),
          v.end());
  std::sort(v.begin(), v.end());
  return v;
}

// Replaces the TYPE RRset of NAME in ZONE with CONTENTS (none = delete it).
bool apply_rrset(const Options& o, const std::string& zone, const std::string& name, const std::string& type,
                 const std::vector<std::string>& contents, int ttl) {
  std::ostringstream cmds;
  cmds << "server " << o.dns_server << "\nzone " << zone << "\nupdate delete " << name << ". " << type << "\n";
  for (const auto& c : contents) cmds << "update add " << name << ". " << ttl << " " << type << " " << c << "\n";
  cmds << "send\n";
  return run_with_input("nsupdate -t 3 -k " + shell_quote(o.tsig_key), cmds.str()) == 0;
}

std::string with_ip(const std::string& code, const std::string& ip) {
  return (code == "good" || code == "nochg") ? code + " " + ip : code;
}

// The forced answer for PROVIDER's next request, if a test asked for one (counts it down).
std::optional<std::string> take_forced(State& st, const std::string& provider) {
  std::lock_guard<std::mutex> lk(st.mu);
  auto it = st.forced.find(provider);
  if (it == st.forced.end()) return std::nullopt;
  std::string code = it->second.code;
  if (it->second.remaining > 0 && --it->second.remaining == 0) st.forced.erase(it);
  return code;
}

LoggedRequest begin_entry(const httplib::Request& req, const std::string& provider) {
  LoggedRequest e;
  e.time = now_utc();
  e.source = req.remote_addr;
  e.provider = provider;
  e.method = req.method;
  e.query = req.target;
  e.body = req.body.substr(0, 4096);
  return e;
}

// Adds ENTRY to the request log (/control/requests) and to stderr.
void record(State& st, LoggedRequest entry, int status) {
  entry.status = status;
  std::string answers;
  for (const auto& a : entry.answers) answers += (answers.empty() ? "" : ",") + a;
  std::cerr << entry.provider << " " << entry.source << " " << entry.method << " " << entry.query << " -> " << status
            << " " << answers << "\n";
  std::lock_guard<std::mutex> lk(st.mu);
  st.log.push_back(std::move(entry));
}

void add_whatismyip_routes(httplib::Server& svr) {
  svr.Get("/ip", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.remote_addr, "text/plain");
  });
}

void add_dyndns2_routes(httplib::Server& svr, const Options& o, State& st) {
  svr.Get("/nic/update", [&o, &st](const httplib::Request& req, httplib::Response& res) {
    LoggedRequest entry = begin_entry(req, "dyndns2");
    std::string body;
    auto finish = [&](int status) {
      res.status = status;
      res.set_content(body, "text/plain");
      record(st, entry, status);
    };
    auto answer_all = [&](const std::string& line) {
      body += line + "\n";
      entry.answers.push_back(line);
    };

    // authentication first: a client with a wrong password learns nothing else
    std::string auth = req.get_header_value("Authorization");
    std::string creds;
    if (auth.rfind("Basic ", 0) == 0) creds = base64_decode(auth.substr(6));
    if (creds != o.user + ":" + o.password) {
      res.set_header("WWW-Authenticate", "Basic realm=\"sitesim dyndns2\"");
      answer_all("badauth");
      return finish(401);
    }

    std::string ip = req.get_param_value("myip");
    if (!valid_ipv4(ip)) ip = req.remote_addr;  // like the big providers: ignore a bad myip

    std::vector<std::string> hosts = split(lower(req.get_param_value("hostname")), ',');

    if (auto forced = take_forced(st, "dyndns2")) {
      for (size_t i = 0; i < std::max<size_t>(hosts.size(), 1); ++i) answer_all(with_ip(*forced, ip));
      return finish(*forced == "badauth" ? 401 : 200);
    }
    if (req.get_header_value("User-Agent").empty()) {
      answer_all("badagent");
      return finish(200);
    }
    if (hosts.empty() || (hosts.size() == 1 && hosts[0].empty())) {
      answer_all("notfqdn");
      return finish(200);
    }
    if (hosts.size() > 20) {
      answer_all("numhost");
      return finish(200);
    }
    for (const auto& h : hosts) {
      std::string first = h.substr(0, h.find('.'));
      if (first.rfind("force-", 0) == 0 && kCodes.count(first.substr(6))) {
        answer_all(with_ip(first.substr(6), ip));
        continue;
      }
      if (!is_fqdn(h)) {
        answer_all("notfqdn");
        continue;
      }
      std::string name = h.back() == '.' ? h.substr(0, h.size() - 1) : h;
      if (!in_zone(name, o.zone)) {
        answer_all("nohost");
        continue;
      }
      {
        std::lock_guard<std::mutex> lk(st.mu);
        if (st.blocked.count(name)) {
          answer_all("abuse");
          continue;
        }
      }
      if (current_rrset(o, name, "A") == std::vector<std::string>{ip}) {
        bool abuse = false;
        {
          std::lock_guard<std::mutex> lk(st.mu);
          int streak = ++st.nochg_streak[name];
          abuse = st.nochg_abuse > 0 && streak >= st.nochg_abuse;
          if (abuse) st.blocked.insert(name);
        }
        answer_all(abuse ? "abuse" : "nochg " + ip);
        continue;
      }
      if (!apply_rrset(o, o.zone, name, "A", {ip}, o.ttl)) {
        answer_all("dnserr");
        continue;
      }
      {
        std::lock_guard<std::mutex> lk(st.mu);
        st.nochg_streak[name] = 0;
      }
      answer_all("good " + ip);
    }
    return finish(200);
  });
}

// DuckDNS (www.duckdns.org/update): every answer is HTTP 200 with "OK" or "KO", nothing else to go on.
void add_duckdns_routes(httplib::Server& svr, const Options& o, State& st) {
  svr.Get("/duckdns/update", [&o, &st](const httplib::Request& req, httplib::Response& res) {
    LoggedRequest entry = begin_entry(req, "duckdns");
    auto answer = [&](const std::string& body) {
      res.set_content(body, "text/plain; charset=UTF-8");
      entry.answers.push_back(body.substr(0, body.find('\n')));
      record(st, entry, 200);
    };
    if (req.get_param_value("token") != o.duckdns_token) return answer("KO");
    if (take_forced(st, "duckdns")) return answer("KO");
    std::vector<std::string> labels = split(lower(req.get_param_value("domains")), ',');
    if (labels.empty()) return answer("KO");
    for (const auto& l : labels)
      if (!valid_label(l) || l == "force-ko") return answer("KO");

    std::string ip = req.get_param_value("ip");
    std::string ip6 = req.get_param_value("ipv6");
    if (ip6.empty() && valid_ipv6(ip)) std::swap(ip, ip6);  // DuckDNS takes an IPv6 address in ip= too
    if (ip.empty() && valid_ipv4(req.remote_addr)) ip = req.remote_addr;
    if ((!ip.empty() && !valid_ipv4(ip)) || (!ip6.empty() && !valid_ipv6(ip6))) return answer("KO");

    bool clear = lower(req.get_param_value("clear")) == "true";
    bool changed = false;
    for (const auto& l : labels) {
      std::string name = l + "." + o.duckdns_zone;
      for (const auto& [type, want] : {std::pair<std::string, std::string>{"A", ip}, {"AAAA", ip6}}) {
        std::vector<std::string> rrset;
        if (!clear && want.empty()) continue;  // an update leaves the other family as it is
        if (!clear) rrset = {want};
        if (current_rrset(o, name, type) == rrset) continue;
        if (!apply_rrset(o, o.duckdns_zone, name, type, rrset, o.ttl)) return answer("KO");
        changed = true;
      }
    }
    if (lower(req.get_param_value("verbose")) != "true") return answer("OK");
    if (clear) {
      ip.clear();
      ip6.clear();
    }
    answer("OK\n" + ip + "\n" + ip6 + "\n" + (changed ? "UPDATED" : "NOCHANGE"));
  });
}

// ---------------------------------------------------------------- Cloudflare API v4 subset

struct CfAnswer {
  int status = 200;
  Json body;
};

CfAnswer cf_ok(Json result, std::optional<Json> result_info = std::nullopt) {
  Json b = {{"success", true}, {"errors", Json::array()}, {"messages", Json::array()}, {"result", std::move(result)}};
  if (result_info) b["result_info"] = *result_info;
  return {200, b};
}

CfAnswer cf_error(int status, int code, const std::string& message) {
  return {status, Json{{"success", false},
                       {"errors", Json::array({Json{{"code", code}, {"message", message}}})},
                       {"messages", Json::array()},
                       {"result", nullptr}}};
}

Json cf_page_info(size_t n) {
  return {{"page", 1}, {"per_page", 100}, {"count", n}, {"total_count", n}, {"total_pages", 1}};
}

class CloudflareApi {
 public:
  CloudflareApi(const Options& o, State& st) : o_(o), st_(st) {}

  // PATH is below /client/v4 (e.g. "/zones/ID/dns_records"); st_.cf_mu is held.
  CfAnswer handle(const httplib::Request& req, const std::string& path) {
    if (req.get_header_value("Authorization") != "Bearer " + o_.cloudflare_token)
      return cf_error(403, 10000, "Authentication error");
    if (auto forced = take_forced(st_, "cloudflare")) return forced_answer(*forced);
    if (path.empty()) return no_route();
    std::vector<std::string> seg = split(path.substr(1), '/');
    const std::string& m = req.method;
    if (seg == std::vector<std::string>{"user", "tokens", "verify"} && m == "GET")
      return CfAnswer{200, Json{{"success", true},
                                {"errors", Json::array()},
                                {"messages", Json::array({Json{{"code", 10000},
                                                               {"message", "This API Token is valid and active"},
                                                               {"type", nullptr}}})},
                                {"result", Json{{"id", token_id_}, {"status", "active"}}}}};
    if (seg.empty() || seg[0] != "zones") return no_route();
    if (seg.size() == 1 && m == "GET") return list_zones(req);
    if (seg.size() < 2) return no_route();
    if (seg[1] != st_.cf_zone_id)
      return cf_error(404, 7003, "Could not route to " + path + ", perhaps your object identifier is invalid?");
    if (seg.size() == 2 && m == "GET") return cf_ok(zone_json());
    if (seg.size() < 3 || seg[2] != "dns_records" || seg.size() > 4) return no_route();
    if (seg.size() == 3 && m == "GET") return list_records(req);
    if (seg.size() == 3 && m == "POST") return write_record(req, nullptr);
    if (seg.size() == 3) return no_route();
    auto it = std::find_if(st_.cf_records.begin(), st_.cf_records.end(),
                           [&](const CfRecord& r) { return r.id == seg[3]; });
    if (it != st_.cf_records.end() && m != "DELETE") {
      sync_name(it->name);  // the record may have changed (or gone) in bind9 meanwhile
      it = std::find_if(st_.cf_records.begin(), st_.cf_records.end(),
                        [&](const CfRecord& r) { return r.id == seg[3]; });
    }
    if (it == st_.cf_records.end()) return cf_error(404, 81044, "Record does not exist.");
    if (m == "GET") return cf_ok(record_json(*it));
    if (m == "PUT" || m == "PATCH") return write_record(req, &*it);
    if (m == "DELETE") return delete_record(it);
    return no_route();
  }

 private:
  static CfAnswer no_route() { return cf_error(404, 7000, "No route for that URI"); }

  static CfAnswer forced_answer(const std::string& code) {
    if (code == "429") return cf_error(429, 971, "Please wait and consider throttling your request speed");
    if (code == "502")
      return {502, Json("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
                        "</h1></center><hr><center>cloudflare</center></body></html>")};
    return cf_error(403, 10000, "Authentication error");
  }

  Json zone_json() const {
    return {{"id", st_.cf_zone_id}, {"name", o_.zone}, {"status", "active"}, {"paused", false},
            {"type", "full"},       {"name_servers", Json::array({"ns1." + o_.zone})}};
  }

  CfAnswer list_zones(const httplib::Request& req) const {
    Json result = Json::array();
    if (!req.has_param("name") || lower(req.get_param_value("name")) == o_.zone) result.push_back(zone_json());
    size_t n = result.size();
    return cf_ok(std::move(result), cf_page_info(n));
  }

  Json record_json(const CfRecord& r) const {
    return {{"id", r.id},           {"zone_id", st_.cf_zone_id}, {"zone_name", o_.zone},
            {"name", r.name},       {"type", r.type},            {"content", r.content},
            {"proxiable", true},    {"proxied", r.proxied},      {"ttl", r.ttl},
            {"locked", false},      {"created_on", r.created_on}, {"modified_on", r.modified_on}};
  }

  // Cloudflare's names: "@" is the apex, a name outside the zone is relative to it.
  std::optional<std::string> absolute_name(std::string n) const {
    n = lower(n);
    if (!n.empty() && n.back() == '.') n.pop_back();
    if (n == "@" || n == o_.zone) return o_.zone;
    if (!in_zone(n, o_.zone)) n += "." + o_.zone;
    if (n.size() > 253) return std::nullopt;
    for (const auto& l : split(n, '.'))
      if (!valid_label(l, "_*")) return std::nullopt;
    return n;
  }

  // Memory follows bind9 for NAME: records bind9 no longer has are dropped, new ones get an id.
  void sync_name(const std::string& name) {
    for (const std::string type : {"A", "AAAA"}) {
      auto answer = current_rrset(o_, name, type);
      if (!answer) continue;  // bind9 did not answer: keep what memory has
      const std::vector<std::string>& live = *answer;
      auto& recs = st_.cf_records;
      recs.erase(std::remove_if(recs.begin(), recs.end(),
                                [&](const CfRecord& r) {
                                  return r.name == name && r.type == type &&
                                         std::find(live.begin(), live.end(), r.content) == live.end();
                                }),
                 recs.end());
      for (const auto& c : live) {
        bool known = std::any_of(recs.begin(), recs.end(), [&](const CfRecord& r) {
          return r.name == name && r.type == type && r.content == c;
        });
        if (!known) recs.push_back(CfRecord{random_hex(32), type, name, c, 1, false, now_utc(), now_utc()});
      }
    }
  }

  CfAnswer list_records(const httplib::Request& req) {
    std::string type = req.has_param("type") ? req.get_param_value("type") : "";
    std::optional<std::string> name;
    if (req.has_param("name")) {
      // a filter is matched exactly: no "@", no name relative to the zone (unlike a record's name)
      name = lower(req.get_param_value("name"));
      if (!name->empty() && name->back() == '.') name->pop_back();
      if (absolute_name(*name) != name) return cf_ok(Json::array(), cf_page_info(0));
      sync_name(*name);
    } else {
      std::set<std::string> names;
      for (const auto& r : st_.cf_records) names.insert(r.name);
      for (const auto& n : names) sync_name(n);
    }
    Json result = Json::array();
    for (const auto& r : st_.cf_records) {
      if (!type.empty() && r.type != type) continue;
      if (name && r.name != *name) continue;
      if (req.has_param("content") && r.content != req.get_param_value("content")) continue;
      result.push_back(record_json(r));
    }
    size_t n = result.size();
    return cf_ok(std::move(result), cf_page_info(n));
  }

  // bind9 gets the whole TYPE RRset of NAME as memory has it; "automatic" TTL (1) is 300 s.
  bool push_rrset(const std::string& name, const std::string& type) {
    std::vector<std::string> contents;
    int ttl = 300;
    for (const auto& r : st_.cf_records) {
      if (r.name != name || r.type != type) continue;
      contents.push_back(r.content);
      ttl = r.ttl == 1 ? 300 : r.ttl;
    }
    return apply_rrset(o_, o_.zone, name, type, contents, ttl);
  }

  // POST (EXISTING null), PUT (every field required) or PATCH (what is given) of one record.
  CfAnswer write_record(const httplib::Request& req, CfRecord* existing) {
    Json in = Json::parse(req.body, nullptr, false);
    if (in.is_discarded() || !in.is_object()) return cf_error(400, 6007, "Malformed JSON in request body");
    bool patch = req.method == "PATCH";
    CfRecord rec = existing ? *existing : CfRecord{random_hex(32), "", "", "", 1, false, now_utc(), ""};
    auto field = [&](const char* key, auto& into, auto check) -> bool {
      if (!in.contains(key)) return patch || check(nullptr);  // missing: fine for PATCH and optional fields
      return check(&in[key]) && (into = in[key].get<std::decay_t<decltype(into)>>(), true);
    };
    auto is_string = [](const Json* j) { return j && j->is_string(); };
    auto is_ttl = [](const Json* j) { return !j || (j->is_number_integer() && j->get<long long>() >= 1 &&
                                                    j->get<long long>() <= 86400); };
    auto is_bool = [](const Json* j) { return !j || j->is_boolean(); };
    std::string raw_name = rec.name;
    if (!field("type", rec.type, is_string) || !field("name", raw_name, is_string) ||
        !field("content", rec.content, is_string) || !field("ttl", rec.ttl, is_ttl) ||
        !field("proxied", rec.proxied, is_bool))
      return cf_error(400, 1004, "DNS Validation Error");
    rec.type = lower(rec.type) == "aaaa" ? "AAAA" : lower(rec.type) == "a" ? "A" : rec.type;
    if (rec.type != "A" && rec.type != "AAAA") return cf_error(400, 1004, "DNS Validation Error");
    auto name = absolute_name(raw_name);
    if (!name) return cf_error(400, 1004, "DNS Validation Error");
    rec.name = *name;
    if (rec.type == "A" && !valid_ipv4(rec.content))
      return cf_error(400, 9005, "Content for A record must be a valid IPv4 address.");
    if (rec.type == "AAAA" && !valid_ipv6(rec.content))
      return cf_error(400, 9006, "Content for AAAA record must be a valid IPv6 address.");
    sync_name(rec.name);
    bool duplicate = std::any_of(st_.cf_records.begin(), st_.cf_records.end(), [&](const CfRecord& r) {
      return r.id != rec.id && r.name == rec.name && r.type == rec.type && r.content == rec.content;
    });
    if (duplicate) return cf_error(400, 81057, "Record already exists.");
    rec.modified_on = now_utc();

    std::vector<CfRecord> before = st_.cf_records;
    auto slot = std::find_if(st_.cf_records.begin(), st_.cf_records.end(),
                             [&](const CfRecord& r) { return r.id == rec.id; });
    std::set<std::pair<std::string, std::string>> touched = {{rec.name, rec.type}};
    if (slot == st_.cf_records.end()) {
      st_.cf_records.push_back(rec);
    } else {
      touched.insert({slot->name, slot->type});
      *slot = rec;
    }
    for (const auto& [n, t] : touched) {
      if (!push_rrset(n, t)) {
        st_.cf_records = before;
        return cf_error(500, 1002, "sitesim: the update to bind9 (nsupdate) failed");
      }
    }
    return cf_ok(record_json(rec));
  }

  CfAnswer delete_record(std::vector<CfRecord>::iterator it) {
    CfRecord gone = *it;
    st_.cf_records.erase(it);
    if (!push_rrset(gone.name, gone.type)) {
      st_.cf_records.push_back(gone);
      return cf_error(500, 1002, "sitesim: the update to bind9 (nsupdate) failed");
    }
    return cf_ok(Json{{"id", gone.id}});
  }

  const Options& o_;
  State& st_;
  std::string token_id_ = random_hex(32);
};

void add_cloudflare_routes(httplib::Server& svr, const Options& o, State& st) {
  static const std::string base = "/client/v4";
  auto api = std::make_shared<CloudflareApi>(o, st);
  auto handler = [api, &st](const httplib::Request& req, httplib::Response& res) {
    LoggedRequest entry = begin_entry(req, "cloudflare");
    CfAnswer a;
    {
      std::lock_guard<std::mutex> lk(st.cf_mu);
      a = api->handle(req, req.path.substr(base.size()));
    }
    res.status = a.status;
    if (a.body.is_string()) {  // a page from "the edge", not the API
      res.set_content(a.body.get<std::string>(), "text/html");
      entry.answers.push_back("html");
    } else {
      res.set_content(a.body.dump(), "application/json");
      for (const auto& e : a.body["errors"]) entry.answers.push_back(std::to_string(e["code"].get<int>()));
      if (entry.answers.empty()) entry.answers.push_back("success");
    }
    record(st, entry, a.status);
  };
  const std::string pattern = base + "(/.*)?";
  svr.Get(pattern, handler);
  svr.Post(pattern, handler);
  svr.Put(pattern, handler);
  svr.Patch(pattern, handler);
  svr.Delete(pattern, handler);
}

void add_control_routes(httplib::Server& svr, State& st) {
  svr.Post("/control/force", [&st](const httplib::Request& req, httplib::Response& res) {
    std::string provider = req.has_param("provider") ? req.get_param_value("provider") : "dyndns2";
    std::string code = req.get_param_value("code");
    auto codes = kForceable.find(provider);
    std::lock_guard<std::mutex> lk(st.mu);
    if (codes == kForceable.end()) {
      res.status = 400;
      res.set_content("unknown provider " + provider + " (dyndns2, duckdns, cloudflare)\n", "text/plain");
      return;
    }
    if (code.empty()) {
      st.forced.erase(provider);
      res.set_content("cleared\n", "text/plain");
      return;
    }
    if (!codes->second.count(code)) {
      res.status = 400;
      res.set_content("unknown code " + code + " for " + provider + "\n", "text/plain");
      return;
    }
    int count = req.has_param("count") ? std::atoi(req.get_param_value("count").c_str()) : 1;
    st.forced[provider] = Forced{code, count};
    res.set_content("forcing " + code + "\n", "text/plain");
  });
  svr.Post("/control/config", [&st](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lk(st.mu);
    if (req.has_param("nochg_abuse")) st.nochg_abuse = std::atoi(req.get_param_value("nochg_abuse").c_str());
    res.set_content("nochg_abuse=" + std::to_string(st.nochg_abuse) + "\n", "text/plain");
  });
  svr.Post("/control/reset", [&st](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lk(st.mu);
    st.forced.clear();
    st.nochg_streak.clear();
    st.blocked.clear();
    st.log.clear();
    res.set_content("reset\n", "text/plain");
  });
  svr.Get("/control/requests", [&st](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lk(st.mu);
    Json requests = Json::array();
    for (const auto& e : st.log)
      requests.push_back({{"time", e.time},
                          {"source", e.source},
                          {"provider", e.provider},
                          {"method", e.method},
                          {"query", e.query},
                          {"body", e.body},
                          {"status", e.status},
                          {"answers", e.answers}});
    Json out = {{"count", st.log.size()}, {"requests", requests}};
    res.set_content(out.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n", "application/json");
  });
}

[[noreturn]] void usage(const std::string& err) {
  std::cerr << "sitesim-wan: " << err
            << "\nusage: sitesim-wan --zone Z --tsig-key FILE --credentials USER:PASS [--duckdns-token T]"
               " [--cloudflare-token T] [--duckdns-zone Z] [--listen ADDR] [--port N] [--dns-server ADDR]"
               " [--ttl S] [--nochg-abuse N]\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value for " + a);
      return argv[++i];
    };
    if (a == "--listen") o.listen = val();
    else if (a == "--port") o.port = std::atoi(val().c_str());
    else if (a == "--zone") o.zone = lower(val());
    else if (a == "--tsig-key") o.tsig_key = val();
    else if (a == "--dns-server") o.dns_server = val();
    else if (a == "--ttl") o.ttl = std::atoi(val().c_str());
    else if (a == "--nochg-abuse") o.nochg_abuse = std::atoi(val().c_str());
    else if (a == "--duckdns-token") o.duckdns_token = val();
    else if (a == "--duckdns-zone") o.duckdns_zone = lower(val());
    else if (a == "--cloudflare-token") o.cloudflare_token = val();
    else if (a == "--credentials") {
      std::string c = val();
      auto p = c.find(':');
      if (p == std::string::npos) usage("--credentials wants USER:PASS");
      o.user = c.substr(0, p);
      o.password = c.substr(p + 1);
    } else usage("unknown option " + a);
  }
  if (o.zone.empty() || o.tsig_key.empty() || o.user.empty()) usage("--zone, --tsig-key and --credentials are required");
  if (!valid_ipv4(o.dns_server)) usage("--dns-server wants an IPv4 address");

  State st;
  st.nochg_abuse = o.nochg_abuse;
  st.cf_zone_id = random_hex(32);
  httplib::Server svr;
  svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  std::string routes = "/ip /nic/update";
  add_whatismyip_routes(svr);
  add_dyndns2_routes(svr, o, st);
  // a provider without a token is off (an empty token must not open it)
  if (!o.duckdns_token.empty()) {
    add_duckdns_routes(svr, o, st);
    routes += " /duckdns/update";
  }
  if (!o.cloudflare_token.empty()) {
    add_cloudflare_routes(svr, o, st);
    routes += " /client/v4";
  }
  add_control_routes(svr, st);
  svr.Get("/", [routes](const httplib::Request&, httplib::Response& res) {
    res.set_content("sitesim-wan: " + routes + " /healthz /control/{force,config,reset,requests}\n", "text/plain");
  });
  std::cerr << "sitesim-wan listening on " << o.listen << ":" << o.port << " zone " << o.zone << " ("
            << routes << ")\n";
  if (!svr.listen(o.listen, o.port)) {
    std::cerr << "sitesim-wan: cannot listen on " << o.listen << ":" << o.port << "\n";
    return 1;
  }
  return 0;
}
