// `sitelink probe-server`: the public end of `sitelink verify`, run by the integrator on a host on
// the internet. Thin over verify/.
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/output.h"
#include "verify/probe.h"

namespace sitelink::cli {

namespace {

// Tokens never come from argv, which every user on the host can read in `ps`.
constexpr const char* kTokensVariable = "SITELINK_PROBE_TOKENS";

struct ProbeServerCliOptions {
    std::string cert, key, token_file;
    verify::ProbeServerOptions server;
};

std::string trimmed(const std::string& text) {
    const auto start = text.find_first_not_of(" \t\r\n");
    if (start == std::string::npos) return "";
    return text.substr(start, text.find_last_not_of(" \t\r\n") + 1 - start);
}

// The token file: one token a line, blank lines and `#` comments skipped. Else the environment
// variable: tokens separated by spaces or commas.
Result<std::vector<std::string>> read_tokens(const std::string& token_file) {
    std::vector<std::string> tokens;
    if (!token_file.empty()) {
        std::ifstream in(token_file);
        if (!in)
            return Error{ErrorCode::Precondition, token_file, std::string("cannot read the token file: ") + std::strerror(errno),
                         "errno " + std::to_string(errno)};
        for (std::string line; std::getline(in, line);)
            if (const std::string token = trimmed(line); !token.empty() && token.front() != '#') tokens.push_back(token);
    } else if (const char* variable = std::getenv(kTokensVariable)) {
        std::string list = variable;
        std::replace(list.begin(), list.end(), ',', ' ');
        std::istringstream words(list);
        for (std::string token; words >> token;) tokens.push_back(token);
    }
    if (tokens.empty())
        return Error{ErrorCode::Usage, token_file,
                     token_file.empty() ? std::string("give the tokens the server accepts with --token-file FILE (one a line) or in ") +
                                              kTokensVariable
                                        : "the token file holds no token",
                     ""};
    return tokens;
}

int run(ProbeServerCliOptions o) {
    auto tokens = read_tokens(o.token_file);
    if (!tokens) return report_error(tokens.error());
    o.server.cert_file = o.cert;
    o.server.key_file = o.key;
    o.server.tokens = std::move(tokens.value());

    // SIGINT and SIGTERM are taken by sigtimedwait below; blocked before any thread starts, so
    // that every thread inherits the mask and none is interrupted by them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    verify::ProbeServer server(o.server);
    if (auto bound = server.bind(); !bound) return report_error(bound.error());
    std::cerr << "sitelink probe-server: listening on https://" << o.server.listen << ":" << server.port() << " ("
              << o.server.tokens.size() << " token(s), " << o.server.requests_per_minute << " requests a minute, up to "
              << o.server.max_checks << " checks a request)" << std::endl;

    std::optional<Result<Done>> served;
    std::atomic<bool> finished{false};
    std::thread serving([&] {
        served = server.listen();
        finished = true;
    });
    const timespec poll_interval{0, 200'000'000};
    while (!finished) {
        if (sigtimedwait(&stop_signals, nullptr, &poll_interval) > 0) {
            std::cerr << "sitelink probe-server: stopping\n";
            server.stop();
            break;
        }
    }
    serving.join();
    if (!*served) return report_error(served->error());
    return 0;
}

}  // namespace

void add_probe_server(CLI::App& app, int* exit_code) {
    auto o = std::make_shared<ProbeServerCliOptions>();
    auto* cmd = app.add_subcommand(
        "probe-server",
        "Serve reachability checks for `sitelink verify` from a host on the internet (HTTPS, token auth); each caller can "
        "only have its own address checked");
    cmd->add_option("--cert", o->cert, "The server's certificate (PEM)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--key", o->key, "The certificate's private key (PEM)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--token-file", o->token_file,
                    std::string("Accepted tokens, one a line (# comments); default: the environment variable ") + kTokensVariable)
        ->check(CLI::ExistingFile);
    cmd->add_option("--listen", o->server.listen, "Address to listen on")->capture_default_str();
    cmd->add_option("--port", o->server.port, "Port to listen on")->capture_default_str()->check(CLI::Range(1, 65535));
    cmd->add_option("--rate", o->server.requests_per_minute, "Requests a minute allowed per caller address, and per token")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000));
    cmd->add_option("--max-checks", o->server.max_checks, "Checks allowed per request")->capture_default_str()->check(CLI::Range(1, 64));
    cmd->footer("Tokens must have " + std::to_string(verify::kMinTokenLength) +
                " characters or more; make one with `openssl rand -hex 24`. SIGINT or SIGTERM stops the server.");
    cmd->callback([o, exit_code] { *exit_code = run(*o); });
}

}  // namespace sitelink::cli
