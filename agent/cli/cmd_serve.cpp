// `sitelink serve`: thin over web/ (the browser wizard).
#include <signal.h>

#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/site_options.h"
#include "web/web.h"

namespace sitelink::cli {

namespace {

struct ServeCliOptions : RouterAccess, ProbeAccess {
    std::string listen = "127.0.0.1";
    int port = 8080;
    bool require_token = false;
    std::vector<std::string> host_names;
    int timeout_ms = 5000;
};

int run_serve(const ServeCliOptions& o) {
    web::ServeOptions options;
    options.listen = o.listen;
    options.port = o.port;
    options.require_token = o.require_token;
    options.host_names = o.host_names;
    options.interface = o.interface;
    options.igd = o.igd;
    options.ip_echo = o.ip_echo;
    options.resolvers = o.resolvers;
    options.timeout = std::chrono::milliseconds(o.timeout_ms);
    if (!o.probe_url.empty()) {
        auto token = probe_token(o.probe_url, o.probe_token_file);
        if (!token) return report_error(token.error());
        options.probe = verify::ProbeServerRef{o.probe_url, *token, o.probe_ca, o.interface};
    }
    // Ctrl-C and SIGTERM end the server from a thread of their own; the server's threads inherit
    // the blocked mask, so no handler runs inside them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    auto server = web::WizardServer::bind(options);
    if (!server) return report_error(server.error());
    const std::string url = (*server)->url();
    std::cout << "Sitelink wizard: open " << url << std::endl;
    if (url.find("?token=") != std::string::npos)
        std::cout << "The token in the address works once; each use prints the next one here." << std::endl;
    std::cout << "Ctrl-C stops it." << std::endl;
    web::WizardServer* running = server->get();
    std::thread([signals, running]() mutable {
        int signal = 0;
        sigwait(&signals, &signal);
        running->stop();
    }).detach();
    (*server)->run([](const std::string& next) { std::cout << "Next device: open " << next << std::endl; });
    return 0;
}

}  // namespace

void add_serve(CLI::App& app, int* exit_code) {
    auto o = std::make_shared<ServeCliOptions>();
    auto* cmd = app.add_subcommand("serve", "Run the browser wizard: the whole job, step by step, from a browser on this machine or a tablet");
    cmd->add_option("--listen", o->listen, "Address to listen on (default 127.0.0.1; any other needs the one-time token printed here)");
    cmd->add_option("--port", o->port, "Port (default 8080)")->check(CLI::Range(1, 65535));
    cmd->add_flag("--require-token", o->require_token, "Require the one-time token on 127.0.0.1 too (a machine others log in to)");
    cmd->add_option("--host-name", o->host_names, "Another name the browser reaches this machine by (repeatable); others are refused");
    cmd->add_option("--timeout-ms", o->timeout_ms, "Timeout for each ONVIF call")->check(CLI::Range(100, 120000));
    add_router_access(cmd, *o, true);
    add_probe_access(cmd, *o);
    cmd->footer("-i/--interface preselects the site's network in the wizard. Nothing is sent until the wizard asks.");
    cmd->callback([o, exit_code] { *exit_code = run_serve(*o); });
}

}  // namespace sitelink::cli
