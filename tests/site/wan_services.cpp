// sitesim-wan: the "internet" side HTTP services of the simulated job site (tests/site/sitesim).
//
// Runs inside the site's WAN namespace next to bind9. Endpoints:
//   GET  /ip                     what-is-my-IP: the caller's source address as text/plain (no newline)
//   GET  /nic/update?hostname=H[,H2...]&myip=IP   dyndns2 update, HTTP Basic auth. One answer line per
//                                host: "good IP", "nochg IP", "badauth", "notfqdn", "nohost", "numhost",
//                                "abuse", "badagent", "dnserr", "911", "!donator". A successful update
//                                is applied to the bind9 zone with nsupdate signed by the TSIG key.
//   GET  /healthz                "ok" (readiness)
//   Test controls (not part of dyndns2; only reachable inside the simulated site):
//   POST /control/force?code=C[&count=N]  the next N update requests (default 1, 0 = until cleared)
//                                answer C for every host, without touching the zone
//   POST /control/config?nochg_abuse=N    after N consecutive "nochg" for one host it is blocked and
//                                answers "abuse" until /control/reset (0 = off, the default)
//   POST /control/reset          clear forced code, abuse blocks and the request log
//   GET  /control/requests       JSON: every update request received (time, source, hostnames, answers)
// Forcing per host: a host name whose first label is "force-<code>" (force-911, force-abuse,
// force-dnserr, force-nohost, force-badauth, force-notfqdn, force-good, force-nochg, ...) always
// answers <code> (good/nochg followed by the IP) and never touches the zone.
// A later "probe" service (connect back to the caller) registers its routes in add_probe_routes().
//
// Usage: sitesim-wan --zone Z --tsig-key FILE --credentials USER:PASS
//                    [--listen ADDR] [--port N] [--dns-server ADDR] [--ttl S] [--nochg-abuse N]
#include <httplib.h>

#include <arpa/inet.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string listen = "0.0.0.0";
  int port = 80;
  std::string zone;
  std::string tsig_key;
  std::string user;
  std::string password;
  std::string dns_server = "127.0.0.1";
  int ttl = 60;
  int nochg_abuse = 0;
};

struct LoggedRequest {
  std::string time;
  std::string source;
  std::string query;
  std::vector<std::string> answers;
};

// Everything the handlers share; cpp-httplib runs handlers on a thread pool.
struct State {
  std::mutex mu;
  std::optional<std::string> forced_code;
  int forced_remaining = 0;  // 0 with forced_code set = until cleared
  int nochg_abuse = 0;
  std::map<std::string, int> nochg_streak;
  std::set<std::string> blocked;
  std::vector<LoggedRequest> log;
};

const std::set<std::string> kCodes = {"good",     "nochg",  "badauth", "notfqdn", "nohost", "numhost",
                                      "abuse",    "badagent", "dnserr", "911",     "!donator"};

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf.data();
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          std::array<char, 8> b{};
          std::snprintf(b.data(), b.size(), "\\u%04x", c);
          o += b.data();
        } else {
          o += c;
        }
    }
  }
  return o;
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

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
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

std::string run_capture(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {};
  std::string out;
  std::array<char, 256> buf{};
  while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

// Current A record of HOST as the authoritative server has it ("" if none). HOST is validated.
std::string current_a(const Options& o, const std::string& host) {
  return run_capture("dig +short +time=1 +tries=2 @" + o.dns_server + " " + host + " A 2>/dev/null");
}

bool apply_update(const Options& o, const std::string& host, const std::string& ip) {
  std::ostringstream cmds;
  cmds << "server " << o.dns_server << "\nzone " << o.zone << "\nupdate delete " << host << ". A\n"
       << "update add " << host << ". " << o.ttl << " A " << ip << "\nsend\n";
  return run_with_input("nsupdate -t 3 -k " + shell_quote(o.tsig_key), cmds.str()) == 0;
}

std::string with_ip(const std::string& code, const std::string& ip) {
  return (code == "good" || code == "nochg") ? code + " " + ip : code;
}

void add_whatismyip_routes(httplib::Server& svr) {
  svr.Get("/ip", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.remote_addr, "text/plain");
  });
}

void add_dyndns2_routes(httplib::Server& svr, const Options& o, State& st) {
  svr.Get("/nic/update", [&o, &st](const httplib::Request& req, httplib::Response& res) {
    LoggedRequest entry;
    entry.time = now_utc();
    entry.source = req.remote_addr;
    entry.query = req.target;
    std::string body;
    auto finish = [&](int status) {
      res.status = status;
      res.set_content(body, "text/plain");
      std::lock_guard<std::mutex> lk(st.mu);
      st.log.push_back(entry);
      std::cerr << "dyndns2 " << entry.source << " " << entry.query << " -> " << status << " "
                << (body.empty() ? "" : body.substr(0, body.size() - 1)) << "\n";
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

    std::vector<std::string> hosts;
    {
      std::stringstream ss(req.get_param_value("hostname"));
      std::string h;
      while (std::getline(ss, h, ',')) hosts.push_back(lower(h));
    }

    std::optional<std::string> forced;
    {
      std::lock_guard<std::mutex> lk(st.mu);
      if (st.forced_code) {
        forced = st.forced_code;
        if (st.forced_remaining > 0 && --st.forced_remaining == 0) st.forced_code.reset();
      }
    }
    if (forced) {
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
          body += "abuse\n";
          entry.answers.push_back("abuse");
          continue;
        }
      }
      if (current_a(o, name) == ip) {
        std::lock_guard<std::mutex> lk(st.mu);
        int streak = ++st.nochg_streak[name];
        if (st.nochg_abuse > 0 && streak >= st.nochg_abuse) {
          st.blocked.insert(name);
          body += "abuse\n";
          entry.answers.push_back("abuse");
        } else {
          body += "nochg " + ip + "\n";
          entry.answers.push_back("nochg " + ip);
        }
        continue;
      }
      if (!apply_update(o, name, ip)) {
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

void add_control_routes(httplib::Server& svr, State& st) {
  svr.Post("/control/force", [&st](const httplib::Request& req, httplib::Response& res) {
    std::string code = req.get_param_value("code");
    std::lock_guard<std::mutex> lk(st.mu);
    if (code.empty()) {
      st.forced_code.reset();
      res.set_content("cleared\n", "text/plain");
      return;
    }
    if (!kCodes.count(code)) {
      res.status = 400;
      res.set_content("unknown code " + code + "\n", "text/plain");
      return;
    }
    st.forced_code = code;
    st.forced_remaining = req.has_param("count") ? std::atoi(req.get_param_value("count").c_str()) : 1;
    res.set_content("forcing " + code + "\n", "text/plain");
  });
  svr.Post("/control/config", [&st](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lk(st.mu);
    if (req.has_param("nochg_abuse")) st.nochg_abuse = std::atoi(req.get_param_value("nochg_abuse").c_str());
    res.set_content("nochg_abuse=" + std::to_string(st.nochg_abuse) + "\n", "text/plain");
  });
  svr.Post("/control/reset", [&st](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lk(st.mu);
    st.forced_code.reset();
    st.forced_remaining = 0;
    st.nochg_streak.clear();
    st.blocked.clear();
    st.log.clear();
    res.set_content("reset\n", "text/plain");
  });
  svr.Get("/control/requests", [&st](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lk(st.mu);
    std::ostringstream o;
    o << "{\"count\":" << st.log.size() << ",\"requests\":[";
    for (size_t i = 0; i < st.log.size(); ++i) {
      const auto& e = st.log[i];
      o << (i ? "," : "") << "{\"time\":\"" << e.time << "\",\"source\":\"" << json_escape(e.source)
        << "\",\"query\":\"" << json_escape(e.query) << "\",\"answers\":[";
      for (size_t j = 0; j < e.answers.size(); ++j) o << (j ? "," : "") << '"' << json_escape(e.answers[j]) << '"';
      o << "]}";
    }
    o << "]}\n";
    res.set_content(o.str(), "application/json");
  });
}

// Room for the reachability probe service (connects back to the caller on a short port list).
void add_probe_routes(httplib::Server& svr) {
  svr.Get("/probe", [](const httplib::Request&, httplib::Response& res) {
    res.status = 501;
    res.set_content("probe service not implemented yet\n", "text/plain");
  });
}

[[noreturn]] void usage(const std::string& err) {
  std::cerr << "sitesim-wan: " << err
            << "\nusage: sitesim-wan --zone Z --tsig-key FILE --credentials USER:PASS [--listen ADDR]"
               " [--port N] [--dns-server ADDR] [--ttl S] [--nochg-abuse N]\n";
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
  httplib::Server svr;
  svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  svr.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("sitesim-wan: /ip /nic/update /healthz /control/{force,config,reset,requests}\n", "text/plain");
  });
  add_whatismyip_routes(svr);
  add_dyndns2_routes(svr, o, st);
  add_control_routes(svr, st);
  add_probe_routes(svr);
  std::cerr << "sitesim-wan listening on " << o.listen << ":" << o.port << " zone " << o.zone << "\n";
  if (!svr.listen(o.listen, o.port)) {
    std::cerr << "sitesim-wan: cannot listen on " << o.listen << ":" << o.port << "\n";
    return 1;
  }
  return 0;
}
