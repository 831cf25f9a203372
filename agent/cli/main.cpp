// sitelink: the command-line face of the agent. Each command is a thin adapter over one stage.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
    CLI::App app{"Sitelink: set up IP cameras and recorders for remote viewing, safely.", "sitelink"};
    app.set_version_flag("--version", std::string("sitelink ") + SITELINK_VERSION);
    app.require_subcommand(1);
    int exit_code = 0;
    sitelink::cli::add_discover(app, &exit_code);
    sitelink::cli::add_inspect(app, &exit_code);
    sitelink::cli::add_address(app, &exit_code);
    sitelink::cli::add_router(app, &exit_code);
    sitelink::cli::add_probe_server(app, &exit_code);
    sitelink::cli::add_ddns(app, &exit_code);
    sitelink::cli::add_keeper(app, &exit_code);
    sitelink::cli::add_handoff(app, &exit_code);
    sitelink::cli::add_verify(app, &exit_code);
    sitelink::cli::add_serve(app, &exit_code);
    sitelink::cli::add_demo(app, &exit_code);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;  // 2: usage, whatever CLI11's own number
    }
    return exit_code;
}
