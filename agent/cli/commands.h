// One function per CLI command: registers its options on the app and runs it.
#pragma once
#include <CLI/CLI.hpp>

namespace sitelink::cli {

// Each add_* registers a subcommand whose callback stores its exit code in *exit_code.
void add_discover(CLI::App& app, int* exit_code);
void add_inspect(CLI::App& app, int* exit_code);
void add_demo(CLI::App& app, int* exit_code);
// `address plan|apply|undo|status`, and the top-level `resume`.
void add_address(CLI::App& app, int* exit_code);
// `router status` and `forward plan|apply|undo|guide`.
void add_router(CLI::App& app, int* exit_code);
// `probe-server`: the public end of the reachability check.
void add_probe_server(CLI::App& app, int* exit_code);
// `ddns providers|set|update|status`.
void add_ddns(CLI::App& app, int* exit_code);
// `keeper run|status`.
void add_keeper(CLI::App& app, int* exit_code);
// `verify`: the outside-in checklist.
void add_verify(CLI::App& app, int* exit_code);
// `serve`: the browser wizard.
void add_serve(CLI::App& app, int* exit_code);
// `handoff`: viewer accounts, QR codes, the sheet and the bundle; `handoff check`.
void add_handoff(CLI::App& app, int* exit_code);

}  // namespace sitelink::cli
