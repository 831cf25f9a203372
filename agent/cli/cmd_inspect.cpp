#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/password.h"
#include "inspect/inspect.h"

namespace sitelink::cli {

namespace {

struct InspectOptions {
    std::string target;
    std::string user;
    int timeout_ms = 5000;
    bool json = false;
};

void print_report(const DeviceReport& r) {
    Table about({"FIELD", "VALUE"});
    about.add({"device", r.manufacturer + " " + r.model});
    about.add({"firmware", r.firmware});
    about.add({"serial", r.serial});
    about.add({"mac", r.mac});
    about.add({"address", r.network.address + "/" + std::to_string(r.network.prefix) + (r.network.dhcp ? " (DHCP)" : " (static)")});
    about.add({"gateway", r.network.gateway.value_or("-")});
    std::string dns;
    for (const auto& s : r.network.dns) dns += (dns.empty() ? "" : ", ") + s;
    about.add({"dns", dns.empty() ? "-" : dns});
    std::ostringstream offset;
    offset << std::showpos << r.clock_offset_s << " s";
    about.add({"clock offset", offset.str()});
    about.add({"auth", r.auth});
    about.print(std::cout);
    std::cout << "\n";
    Table streams({"PROFILE", "NAME", "VIDEO", "STREAM", "SNAPSHOT"});
    for (const auto& p : r.profiles)
        streams.add({p.token, p.name, p.encoding + " " + std::to_string(p.width) + "x" + std::to_string(p.height),
                     p.stream_uri, p.snapshot_uri});
    streams.print(std::cout);
}

int run(const InspectOptions& o) {
    inspect::InspectRequest request;
    request.target = o.target;
    request.timeout = std::chrono::milliseconds(o.timeout_ms);
    if (!o.user.empty()) {
        auto password = read_password(o.user, o.target);
        if (!password) return report_error(password.error());
        request.credentials = onvif_client::Credentials{o.user, password.value()};
    }
    auto report = inspect::inspect(request);
    if (!report) return report_error(report.error());
    for (const auto& w : report->warnings) std::cerr << "warning: " << w << "\n";
    if (o.json) std::cout << nlohmann::json(report.value()).dump(2) << "\n";
    else print_report(report.value());
    return 0;
}

}  // namespace

void add_inspect(CLI::App& app, int* exit_code) {
    auto options = std::make_shared<InspectOptions>();
    auto* cmd = app.add_subcommand("inspect", "Read a device over ONVIF: identity, network, clock, auth and streams");
    cmd->add_option("target", options->target, "Device address (192.168.1.20[:port]) or device service URL")->required();
    cmd->add_option("-u,--user", options->user, "ONVIF user; the password comes from SITELINK_PASSWORD or a prompt");
    cmd->add_option("--timeout-ms", options->timeout_ms, "Timeout for each ONVIF call")->check(CLI::Range(100, 120000));
    cmd->add_flag("--json", options->json, "JSON report on stdout");
    cmd->callback([options, exit_code] { *exit_code = run(*options); });
}

}  // namespace sitelink::cli
