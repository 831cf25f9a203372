// `sitelink address plan|apply|undo|status` and `sitelink resume`: thin over address/.
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "address/address.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/site_options.h"

namespace sitelink::cli {

namespace {

struct PlanOptions : SiteOptions {
    std::string interface;
    std::string dhcp_pool;
    std::string first;
    std::vector<std::string> set;
    bool no_conflict_check = false;
};

struct ApplyOptions : SiteOptions {
    int parallel = 32;
    int wait_s = 180;
    bool no_conflict_check = false;
};

void print_plan(const address::AddressPlan& plan) {
    const auto& n = plan.network;
    std::cerr << "network " << n.subnet.str() << " on " << n.interface << ", gateway "
              << (n.gateway ? n.gateway->str() : "unknown") << ", DHCP pool "
              << (n.pool ? n.pool->first.str() + "-" + n.pool->last.str() + " (" + n.pool->source + ")" : "unknown") << "\n";
    for (const auto& note : n.notes) std::cerr << "note: " << note << "\n";
    for (const auto& taken : plan.in_use) std::cerr << "in use: " << taken << " (not proposed)\n";
    Table table({"DEVICE", "ROLE", "MAC", "NOW", "PLAN", "ADDRESS", "WHY"});
    for (const auto& line : plan.lines) {
        const auto& now = line.device.current;
        table.add({line.device.name, line.device.role, line.device.mac.empty() ? "-" : line.device.mac,
                   now.address + (now.dhcp ? " (DHCP)" : ""), line.planned.action,
                   line.planned.action == "skip" ? "-" : line.planned.target.address, line.planned.reason});
    }
    table.print(std::cout);
}

int run_plan(const PlanOptions& o) {
    if (o.interface.empty())
        return report_error(Error{ErrorCode::Usage, "", "choose the interface on the cameras' network with --interface "
                                                        "(`sitelink discover` lists them); nothing was sent", ""});
    address::PlanRequest request;
    request.interface = o.interface;
    request.timeout = std::chrono::milliseconds(o.timeout_ms);
    request.check_conflicts = !o.no_conflict_check;
    if (!o.dhcp_pool.empty()) {
        request.dhcp_pool = address::parse_dhcp_pool(o.dhcp_pool);
        if (!request.dhcp_pool)
            return report_error(Error{ErrorCode::Usage, "", "--dhcp-pool " + o.dhcp_pool + ": want FIRST-LAST, e.g. 192.168.1.100-192.168.1.199", ""});
    }
    if (!o.first.empty()) {
        request.choices.first_address = Ipv4::parse(o.first);
        if (!request.choices.first_address)
            return report_error(Error{ErrorCode::Usage, "", "--first " + o.first + " is not an IPv4 address", ""});
    }
    for (const auto& item : o.set) {
        const auto eq = item.rfind('=');
        auto address = eq == std::string::npos ? std::nullopt : Ipv4::parse(item.substr(eq + 1));
        if (!address)
            return report_error(Error{ErrorCode::Usage, "", "--set " + item + ": want DEVICE=ADDRESS (DEVICE: name, MAC, serial or current address)", ""});
        request.choices.overrides[item.substr(0, eq)] = *address;
    }
    auto creds = credentials(o);
    if (!creds) return report_error(creds.error());
    request.credentials = creds.value();
    auto profiles = load_profiles(profiles_dir());
    if (!profiles) return report_error(profiles.error());
    request.mdns_services = profiles->mdns_services();
    auto site = open_site(o);
    if (!site) return report_error(site.error());

    auto plan = address::plan_addresses(request, **site, [](const std::string& note) { std::cerr << note << "...\n"; });
    if (!plan) return report_error(plan.error());
    if (o.json) std::cout << nlohmann::json(plan.value()).dump(2) << "\n";
    else print_plan(plan.value());
    std::cerr << "plan saved in " << (*site)->path().string() << "; `sitelink address apply" << site_argument(o)
              << "` carries it out\n";
    return 0;
}

// Progress on stderr, one line per step of each device.
address::EventSink progress_lines() {
    return [](const address::DeviceEvent& e) {
        std::cerr << "[" << e.finished << "/" << e.total << "] " << e.label << ": " << e.step
                  << (e.detail.empty() ? "" : " - " + e.detail) << "\n";
    };
}

int report_batch(const Result<address::BatchOutcome>& outcome, const SiteOptions& o, const char* nothing) {
    if (!outcome) return report_error(outcome.error());
    if (o.json) {
        std::cout << nlohmann::json{{"batch", outcome->batch}, {"devices", outcome->results}}.dump(2) << "\n";
    } else if (outcome->results.empty()) {
        std::cerr << nothing << "\n";
    } else {
        Table table({"DEVICE", "FROM", "TO", "RESULT", "DETAIL"});
        for (const auto& r : outcome->results)
            table.add({r.label, r.from, r.to, to_string(r.state), r.outcome});
        table.print(std::cout);
    }
    int failed = 0;
    for (const auto& r : outcome->results) {
        if (r.state == site::ChangeState::Done) continue;
        ++failed;
        if (r.error) std::cerr << "sitelink: " << r.error->summary() << "\n  " << r.error->advice() << "\n";
    }
    if (failed == 0) return 0;
    const bool lost = std::any_of(outcome->results.begin(), outcome->results.end(),
                                  [](const auto& r) { return r.state == site::ChangeState::Lost; });
    if (lost) std::cerr << "some devices could not be found; when they are back, run `sitelink resume`\n";
    return failed == static_cast<int>(outcome->results.size()) ? 1 : kPartial;
}

address::ApplyRequest apply_request(const ApplyOptions& o, std::optional<onvif_client::Credentials> creds) {
    address::ApplyRequest request;
    request.credentials = std::move(creds);
    request.parallel = o.parallel;
    request.call_timeout = std::chrono::milliseconds(o.timeout_ms);
    request.come_back_timeout = std::chrono::seconds(o.wait_s);
    request.check_conflicts = !o.no_conflict_check;
    return request;
}

enum class BatchKind { Apply, Resume, Undo };

int run_batch(const ApplyOptions& o, BatchKind kind) {
    auto creds = credentials(o);
    if (!creds) return report_error(creds.error());
    auto site = open_site(o);
    if (!site) return report_error(site.error());
    const auto request = apply_request(o, creds.value());
    switch (kind) {
    case BatchKind::Apply:
        return report_batch(address::apply_plan(**site, request, progress_lines()), o, "nothing to change: every device keeps its address");
    case BatchKind::Resume:
        return report_batch(address::resume(**site, request, progress_lines()), o, "nothing to resume: no batch was interrupted");
    case BatchKind::Undo:
        return report_batch(address::undo(**site, request, progress_lines()), o, "nothing to undo: every device has its original settings");
    }
    return 1;
}

int run_status(const SiteOptions& o) {
    auto site = open_site(o);
    if (!site) return report_error(site.error());
    auto plan = address::saved_plan(**site);
    if (!plan) return report_error(plan.error());
    auto batch = (*site)->latest_batch();
    if (!batch) return report_error(batch.error());
    std::vector<site::Change> changes;
    if (batch->has_value()) {
        auto found = (*site)->changes_in_batch(**batch);
        if (!found) return report_error(found.error());
        changes = found.value();
    }
    if (o.json) {
        nlohmann::json out = {{"plan", plan.value()}, {"batch", batch->has_value() ? nlohmann::json(**batch) : nlohmann::json(nullptr)},
                              {"changes", nlohmann::json::array()}};
        for (const auto& c : changes)
            out["changes"].push_back({{"device", c.device_key}, {"kind", c.kind}, {"before", c.before}, {"after", c.after},
                                      {"state", to_string(c.state)}, {"outcome", c.outcome}});
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    print_plan(plan.value());
    if (!batch->has_value()) return 0;
    std::cout << "\nbatch " << **batch << ":\n";
    Table table({"DEVICE", "KIND", "FROM", "TO", "STATE", "OUTCOME"});
    for (const auto& c : changes) table.add({c.device_key, c.kind, c.before.address, c.after.dhcp ? "DHCP" : c.after.address, to_string(c.state), c.outcome});
    table.print(std::cout);
    return 0;
}

void add_apply_options(CLI::App* cmd, ApplyOptions& o) {
    add_site_options(cmd, o, true);
    cmd->add_option("--parallel", o.parallel, "Devices talked to at once (default 32); devices waiting for a reboot do not count")->check(CLI::Range(1, 512));
    cmd->add_option("--wait-s", o.wait_s, "How long a device may take to answer at its new address (default 180)")
        ->check(CLI::Range(1, 3600));
    cmd->add_flag("--no-conflict-check", o.no_conflict_check, "Do not probe target addresses before using them");
}

}  // namespace

void add_address(CLI::App& app, int* exit_code) {
    auto* address = app.add_subcommand("address", "Give every camera and recorder a fixed address outside the DHCP pool");
    address->require_subcommand(1);

    auto plan = std::make_shared<PlanOptions>();
    auto* plan_cmd = address->add_subcommand("plan", "Learn the network and the devices, propose fixed addresses, save the plan");
    plan_cmd->add_option("-i,--interface", plan->interface, "Interface on the cameras' network (without it: nothing is sent)");
    add_site_options(plan_cmd, *plan, true);
    plan_cmd->add_option("--dhcp-pool", plan->dhcp_pool, "The router's DHCP range, FIRST-LAST (default: learned from DHCP)");
    plan_cmd->add_option("--first", plan->first, "First fixed address to hand out (default: .20 of the subnet, or above the pool)");
    plan_cmd->add_option("--set", plan->set, "DEVICE=ADDRESS: this device gets this address (repeatable)");
    plan_cmd->add_flag("--no-conflict-check", plan->no_conflict_check, "Do not ARP-probe and ping the proposed addresses");
    plan_cmd->callback([plan, exit_code] { *exit_code = run_plan(*plan); });

    auto apply = std::make_shared<ApplyOptions>();
    auto* apply_cmd = address->add_subcommand("apply", "Carry out the saved plan: write, reboot if needed, verify, roll back on failure");
    add_apply_options(apply_cmd, *apply);
    apply_cmd->callback([apply, exit_code] { *exit_code = run_batch(*apply, BatchKind::Apply); });

    auto undo = std::make_shared<ApplyOptions>();
    auto* undo_cmd = address->add_subcommand("undo", "Give every device back the network settings it had before Sitelink");
    add_apply_options(undo_cmd, *undo);
    undo_cmd->callback([undo, exit_code] { *exit_code = run_batch(*undo, BatchKind::Undo); });

    auto status = std::make_shared<SiteOptions>();
    auto* status_cmd = address->add_subcommand("status", "Show the saved plan and the newest batch of changes");
    add_site_options(status_cmd, *status, false);
    status_cmd->callback([status, exit_code] { *exit_code = run_status(*status); });

    auto resume = std::make_shared<ApplyOptions>();
    auto* resume_cmd = app.add_subcommand("resume", "Finish, or roll back, changes an interrupted run left in flight");
    add_apply_options(resume_cmd, *resume);
    resume_cmd->callback([resume, exit_code] { *exit_code = run_batch(*resume, BatchKind::Resume); });
}

}  // namespace sitelink::cli
