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

}  // namespace sitelink::cli
