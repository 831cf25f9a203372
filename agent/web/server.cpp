// The HTTP face of the wizard: the guard in front, the embedded files, the JSON API routes (each a
// few lines over Wizard) and the Server-Sent Events of jobs.
#include <httplib.h>

#include <atomic>
#include <iostream>

#include "core/net.h"
#include "web/assets.h"
#include "web/guard.h"
#include "web/web.h"
#include "web/wizard.h"

namespace sitelink::web {

namespace {

using nlohmann::json;

// Device names and answers can hold anything: invalid UTF-8 is replaced, never thrown.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(dump(body), "application/json");
}

int http_status(const Error& error) {
    switch (error.code) {
        case ErrorCode::Usage:
        case ErrorCode::NoSuchInterface:
        case ErrorCode::ProfileInvalid: return 400;
        case ErrorCode::NotFound: return 404;
        case ErrorCode::Precondition: return 409;
        case ErrorCode::SiteDatabase:
        case ErrorCode::SocketFailed: return 500;
        default: return 502;  // a device, router or provider said no
    }
}

void reply_error(httplib::Response& res, const Error& error) { reply(res, http_status(error), {{"error", error_json(error)}}); }

template <class T>
void reply_result(httplib::Response& res, const Result<T>& result, int status = 200) {
    if (result) reply(res, status, result.value());
    else reply_error(res, result.error());
}

void reply_job(httplib::Response& res, const Result<std::shared_ptr<Job>>& job) {
    if (job) reply(res, 202, {{"job", (*job)->id()}});
    else reply_error(res, job.error());
}

std::string content_type(const std::string& path) {
    static const std::pair<const char*, const char*> kTypes[] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},            {".png", "image/png"},                     {".ico", "image/x-icon"},
        {".json", "application/json"}};
    for (const auto& [ending, type] : kTypes)
        if (path.ends_with(ending)) return type;
    return "application/octet-stream";
}

std::string event_text(const JobEvent& e) { return "event: " + e.name + "\ndata: " + dump(e.data) + "\n\n"; }

}  // namespace

struct WizardServer::State {
    ServeOptions options;
    std::shared_ptr<Wizard> wizard;
    std::unique_ptr<Guard> guard;
    httplib::Server http;
    int port = 0;
    std::atomic<bool> stopping{false};
    std::function<void(const std::string&)> announce;

    std::string base_url() const;
    void routes();
    template <class Parsed, class Action>
    void post(const std::string& pattern, Result<Parsed> (*parse)(const std::string&), Action action);
};

std::string WizardServer::State::base_url() const {
    std::string host = options.listen;
    if (host == "0.0.0.0") {
        for (const auto& i : list_interfaces())
            if (i.address && !i.loopback) {
                host = i.address->str();
                break;
            }
    }
    return "http://" + host + ":" + std::to_string(port) + "/";
}

template <class Parsed, class Action>
void WizardServer::State::post(const std::string& pattern, Result<Parsed> (*parse)(const std::string&), Action action) {
    http.Post(pattern, [parse, action](const httplib::Request& req, httplib::Response& res) {
        auto parsed = parse(req.body);
        if (!parsed) return reply_error(res, parsed.error());
        action(req, res, *parsed);
    });
}

void WizardServer::State::routes() {
    auto& w = *wizard;
    http.Get("/api/info", [&w](const httplib::Request&, httplib::Response& res) { reply(res, 200, w.info()); });
    http.Get("/api/ddns/providers", [&w](const httplib::Request&, httplib::Response& res) { reply(res, 200, w.providers()); });
    post("/api/sites", parse_open_site, [&w](const httplib::Request&, httplib::Response& res, const OpenSite& o) {
        reply_result(res, w.open_site(o));
    });
    http.Get(R"(/api/sites/([^/]+))", [&w](const httplib::Request& req, httplib::Response& res) {
        reply_result(res, w.site_state(req.matches[1]));
    });
    http.Put(R"(/api/sites/([^/]+)/step)", [&w](const httplib::Request& req, httplib::Response& res) {
        auto step = parse_step(req.body);
        if (!step) return reply_error(res, step.error());
        if (auto done = w.set_step(req.matches[1], *step); !done) return reply_error(res, done.error());
        res.status = 204;
    });
    post(R"(/api/sites/([^/]+)/discover)", parse_discover, [&w](const httplib::Request& req, httplib::Response& res, const DiscoverChoices& c) {
        reply_job(res, w.discover(req.matches[1], c));
    });
    post(R"(/api/sites/([^/]+)/credentials)", parse_credentials, [&w](const httplib::Request& req, httplib::Response& res, const CredentialsTry& c) {
        reply_result(res, w.try_credentials(req.matches[1], c));
    });
    http.Get(R"(/api/sites/([^/]+)/devices/(.+)/snapshot)", [&w](const httplib::Request& req, httplib::Response& res) {
        auto image = w.snapshot(req.matches[1], req.matches[2]);
        if (!image) return reply_error(res, image.error());
        res.set_header("Cache-Control", "no-store");
        res.set_content(image->bytes, image->content_type.c_str());
    });
    post(R"(/api/sites/([^/]+)/address/plan)", parse_address_plan, [&w](const httplib::Request& req, httplib::Response& res, const AddressChoices& c) {
        reply_job(res, w.plan_addresses(req.matches[1], c));
    });
    http.Post(R"(/api/sites/([^/]+)/address/apply)", [&w](const httplib::Request& req, httplib::Response& res) {
        reply_job(res, w.apply_addresses(req.matches[1]));
    });
    http.Post(R"(/api/sites/([^/]+)/address/undo)", [&w](const httplib::Request& req, httplib::Response& res) {
        reply_job(res, w.undo_addresses(req.matches[1]));
    });
    http.Post(R"(/api/sites/([^/]+)/router/status)", [&w](const httplib::Request& req, httplib::Response& res) {
        reply_job(res, w.router_status(req.matches[1]));
    });
    post(R"(/api/sites/([^/]+)/forward/plan)", parse_forward_plan,
         [&w](const httplib::Request& req, httplib::Response& res, const router::ForwardChoices& c) { reply_job(res, w.plan_forwarding(req.matches[1], c)); });
    http.Post(R"(/api/sites/([^/]+)/forward/apply)", [&w](const httplib::Request& req, httplib::Response& res) {
        reply_job(res, w.apply_forwarding(req.matches[1]));
    });
    http.Post(R"(/api/sites/([^/]+)/forward/undo)", [&w](const httplib::Request& req, httplib::Response& res) {
        reply_job(res, w.undo_forwarding(req.matches[1]));
    });
    post(R"(/api/sites/([^/]+)/ddns)", parse_ddns, [&w](const httplib::Request& req, httplib::Response& res, const ddns::DdnsSetRequest& d) {
        reply_result(res, w.configure_ddns(req.matches[1], d));
    });
    http.Post(R"(/api/sites/([^/]+)/ddns/update)", [&w](const httplib::Request& req, httplib::Response& res) {
        reply_job(res, w.update_ddns(req.matches[1]));
    });
    http.Post(R"(/api/sites/([^/]+)/verify)", [&w](const httplib::Request& req, httplib::Response& res) {
        reply_job(res, w.verify(req.matches[1]));
    });
    post(R"(/api/sites/([^/]+)/handoff)", parse_handoff, [&w](const httplib::Request& req, httplib::Response& res, const HandoffChoices& c) {
        reply_job(res, w.handoff(req.matches[1], c));
    });
    http.Get(R"(/api/sites/([^/]+)/handoff/(bundle\.zip|sheet))", [&w](const httplib::Request& req, httplib::Response& res) {
        const std::string site = req.matches[1];
        const std::string which = req.matches[2];
        auto path = w.handoff_file(site, which);
        if (!path) return reply_error(res, path.error());
        std::ifstream in(*path, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (which == "sheet") {
            res.set_content(bytes, "text/html; charset=utf-8");
        } else {
            res.set_header("Content-Disposition", "attachment; filename=\"" + site + "-handoff.zip\"");
            res.set_content(bytes, "application/zip");
        }
    });
    http.Get(R"(/api/jobs/([^/]+))", [&w](const httplib::Request& req, httplib::Response& res) {
        auto job = w.jobs().find(req.matches[1]);
        if (!job) return reply_error(res, Error{ErrorCode::NotFound, req.matches[1], "no such job (jobs are forgotten when the server restarts)", ""});
        reply(res, 200, job->summary());
    });
    http.Get(R"(/api/jobs/([^/]+)/events)", [this, &w](const httplib::Request& req, httplib::Response& res) {
        auto job = w.jobs().find(req.matches[1]);
        if (!job) return reply_error(res, Error{ErrorCode::NotFound, req.matches[1], "no such job (jobs are forgotten when the server restarts)", ""});
        res.set_header("Cache-Control", "no-store");
        std::size_t sent = 0;
        res.set_chunked_content_provider("text/event-stream", [this, job, sent](std::size_t, httplib::DataSink& sink) mutable {
            if (stopping) {
                sink.done();
                return true;
            }
            const auto events = job->events_from(sent, std::chrono::seconds(3));
            std::string text = events.empty() ? ": still working\n\n" : "";  // keeps proxies and the browser from giving up
            for (const auto& e : events) text += event_text(e);
            if (!sink.write(text.data(), text.size())) return false;
            sent += events.size();
            if (!events.empty() && (events.back().name == "done" || events.back().name == "failed")) sink.done();
            return true;
        });
    });
    http.Get("/api/.*", [](const httplib::Request& req, httplib::Response& res) {
        reply_error(res, Error{ErrorCode::NotFound, req.path, "no such API endpoint", ""});
    });
    http.Get("/.*", [](const httplib::Request& req, httplib::Response& res) {
        const std::string path = req.path == "/" ? "index.html" : req.path.substr(1);
        const Asset* asset = find_asset(path);
        if (!asset) {
            res.status = 404;
            res.set_content("Not found. The wizard starts at /.\n", "text/plain");
            return;
        }
        res.set_content(reinterpret_cast<const char*>(asset->data), asset->size, content_type(path).c_str());
    });
}

WizardServer::WizardServer(std::unique_ptr<State> state) : state_(std::move(state)) {}
WizardServer::~WizardServer() { stop(); }

Result<std::unique_ptr<WizardServer>> WizardServer::bind(ServeOptions options) {
    auto profiles = load_profiles(profiles_dir());
    if (!profiles) return profiles.error();
    auto state = std::make_unique<State>();
    state->options = options;
    state->wizard = std::make_shared<Wizard>(options, std::move(profiles.value()));
    auto& http = state->http;
    http.new_task_queue = [] { return new httplib::ThreadPool(32); };  // each open progress stream holds one
    http.set_payload_max_length(kMaxBody);
    http.set_read_timeout(10, 0);
    const int port = options.port == 0 ? http.bind_to_any_port(options.listen) : (http.bind_to_port(options.listen, options.port) ? options.port : -1);
    if (port <= 0)
        return Error{ErrorCode::SocketFailed, options.listen + ":" + std::to_string(options.port),
                     "cannot listen there: the port is taken (choose another with --port), or the address is not this machine's", ""};
    state->port = port;

    // The names the browser may use: loopback's, the listen address (every interface's for
    // 0.0.0.0), and the ones the installer added.
    std::set<std::string> names = {"127.0.0.1", "localhost", "[::1]"};
    if (options.listen == "0.0.0.0") {
        for (const auto& i : list_interfaces())
            if (i.address) names.insert(i.address->str());
    } else {
        names.insert(options.listen);
    }
    names.insert(options.host_names.begin(), options.host_names.end());
    std::set<std::string> hosts;
    for (const auto& name : names) {
        hosts.insert(name + ":" + std::to_string(port));
        if (port == 80) hosts.insert(name);
    }
    state->guard = std::make_unique<Guard>(hosts, options.require_token || !is_loopback_listen(options.listen));

    State* s = state.get();
    http.set_pre_routing_handler([s](const httplib::Request& req, httplib::Response& res) {
        const std::string host = req.get_header_value("Host");
        if (req.method == "GET" && req.path == "/" && req.has_param("token") && s->guard->host_allowed(host)) {
            auto session = s->guard->redeem(req.get_param_value("token"));
            if (!session) {
                res.status = 401;
                res.set_content("This token was used already or is wrong. Use the newest address `sitelink serve` printed.\n", "text/plain");
                return httplib::Server::HandlerResponse::Handled;
            }
            res.set_header("Set-Cookie", std::string(Guard::kCookie) + "=" + *session + "; Path=/; HttpOnly; SameSite=Strict");
            res.set_redirect("/", 303);
            if (s->announce) s->announce(s->base_url() + "?token=" + s->guard->token());
            return httplib::Server::HandlerResponse::Handled;
        }
        if (auto refusal = s->guard->check(req.method, host, req.get_header_value("Origin"), req.get_header_value("Cookie"))) {
            reply(res, refusal->status,
                  {{"error", {{"id", refusal->id}, {"device", ""}, {"summary", refusal->detail}, {"detail", refusal->detail},
                              {"protocol_code", "HTTP " + std::to_string(refusal->status)}, {"advice", refusal->detail}}}});
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    http.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Referrer-Policy", "no-referrer");
        res.set_header("X-Frame-Options", "DENY");
        res.set_header("Content-Security-Policy",
                       "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'");
    });
    http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        reply_error(res, Error{ErrorCode::Precondition, req.path, "the server failed on this request; try again", ""});
    });
    http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // a handler's own answer
        const Error error{ErrorCode::Usage, "",
                          res.status == 413 ? "the request body is larger than " + std::to_string(kMaxBody / 1024) + " KiB"
                                            : "the request is not valid HTTP for this server",
                          "HTTP " + std::to_string(res.status)};
        reply(res, res.status, {{"error", error_json(error)}});
        return httplib::Server::HandlerResponse::Handled;
    }));
    state->routes();
    return std::unique_ptr<WizardServer>(new WizardServer(std::move(state)));
}

int WizardServer::port() const { return state_->port; }

std::string WizardServer::url() const {
    const std::string token = state_->guard->token();
    return state_->base_url() + (token.empty() ? "" : "?token=" + token);
}

void WizardServer::run(const std::function<void(const std::string&)>& announce) {
    state_->announce = announce;
    state_->http.listen_after_bind();
}

void WizardServer::stop() {
    state_->stopping = true;
    state_->http.stop();
}

}  // namespace sitelink::web
