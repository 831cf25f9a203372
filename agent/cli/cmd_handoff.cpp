// `sitelink handoff [--out DIR]`, `handoff --remove-viewers` and `handoff check FILE`: thin over handoff/.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/password.h"
#include "cli/site_options.h"
#include "handoff/handoff.h"

namespace sitelink::cli {

namespace {

struct HandoffOptions : SiteOptions {
    std::string viewer_user = "viewer";
    bool no_viewer = false;
    bool remove_viewers = false;
    std::string out;
    std::string archive;
    std::string installer;
    std::string address;
    bool include_password = false;
    bool show_password = false;
};

struct CheckOptions {
    std::string file;
    bool show_password = false;
};

void print_device(const handoff::DeviceHandoff& d) {
    std::cerr << d.device << ": ";
    if (d.account == "removed") std::cerr << "viewer removed";
    else if (d.account == "none") std::cerr << "no viewer account (opted out)";
    else std::cerr << "viewer " << d.account;
    if (!d.streams.empty()) std::cerr << "; " << d.streams.size() << " stream(s)";
    if (d.account == "created" || d.account == "kept")
        std::cerr << (d.admin_refused ? "; administrator reads refused, as they should be" : "; WARNING: it may read the user list");
    std::cerr << "\n";
    if (!d.problem.empty()) std::cerr << "  " << d.problem << "\n";
}

int run_remove(const HandoffOptions& o) {
    if (o.user.empty())
        return report_error(Error{ErrorCode::Usage, "", "removing the viewer accounts needs the devices' admin: add --user ADMIN", ""});
    auto site = open_site(o);
    if (!site) return report_error(site.error());
    if (auto locked = (*site)->lock_for_changes(); !locked) return report_error(locked.error());
    auto admin = credentials(o);
    if (!admin) return report_error(admin.error());
    auto removed = handoff::remove_viewers(**site, *admin, std::chrono::milliseconds(o.timeout_ms), print_device);
    if (!removed) return report_error(removed.error());
    const auto failed = std::count_if(removed->begin(), removed->end(), [](const auto& d) { return d.account == "failed"; });
    std::cout << removed->size() - failed << " viewer account(s) removed" << (failed ? ", " + std::to_string(failed) + " failed" : "") << "\n";
    return failed == 0 ? 0 : failed == static_cast<long>(removed->size()) ? 1 : kPartial;
}

Result<std::string> read_pin() {
    auto pin = read_secret("PIN for the password in the site QR code (6 or more digits, told to the customer): ", "SITELINK_HANDOFF_PIN");
    if (!pin) return pin.error();
    if (pin->size() < 6 || pin->find_first_not_of("0123456789") != std::string::npos)
        return Error{ErrorCode::Usage, "", "the PIN must be 6 or more digits", ""};
    return pin;
}

Result<std::string> read_passphrase() {
    auto passphrase = read_secret("Passphrase for the password in site.json (8 or more characters): ", "SITELINK_BUNDLE_PASSPHRASE");
    if (!passphrase) return passphrase.error();
    if (passphrase->size() < 8) return Error{ErrorCode::Usage, "", "the bundle passphrase must be 8 or more characters", ""};
    return passphrase;
}

int run_handoff(const HandoffOptions& o) {
    if (o.remove_viewers) return run_remove(o);
    auto profiles = load_profiles(profiles_dir());
    if (!profiles) return report_error(profiles.error());
    auto site = open_site(o);
    if (!site) return report_error(site.error());
    if (!o.user.empty()) {
        if (auto locked = (*site)->lock_for_changes(); !locked) return report_error(locked.error());
        auto admin = credentials(o);
        if (!admin) return report_error(admin.error());
        handoff::ViewerRequest request{*admin, o.viewer_user, !o.no_viewer, std::chrono::milliseconds(o.timeout_ms)};
        std::cerr << (o.no_viewer ? "reading each device's streams...\n" : "making sure every device has the viewer account...\n");
        auto prepared = handoff::prepare_viewers(**site, request, print_device);
        if (!prepared) return report_error(prepared.error());
    }
    handoff::BundleOptions options{o.installer, o.include_password, "", "", o.address};
    if (o.include_password) {
        auto pin = read_pin();
        if (!pin) return report_error(pin.error());
        auto passphrase = read_passphrase();
        if (!passphrase) return report_error(passphrase.error());
        options.pin = *pin;
        options.passphrase = *passphrase;
    }
    auto bundle = handoff::build_bundle(**site, *profiles, options);
    if (!bundle) return report_error(bundle.error());
    const std::filesystem::path dir = o.out.empty() ? (*site)->path().stem().string() + "-handoff" : o.out;
    const std::filesystem::path archive = o.archive.empty() ? dir.string() + ".zip" : o.archive;
    auto written = handoff::write_bundle(*bundle, dir, archive);
    if (!written) return report_error(written.error());
    auto viewer = handoff::saved_viewer(**site);
    if (!viewer) return report_error(viewer.error());

    if (o.json) {
        nlohmann::json out = {{"folder", dir.string()}, {"archive", archive.string()}, {"warnings", bundle->warnings},
                              {"site", bundle->site_json}};
        if (o.show_password && viewer->has_value()) out["viewer_password"] = (*viewer)->password;
        std::cout << out.dump(2) << "\n";
    } else {
        std::cout << "hand-off written to " << dir.string() << "/ and " << archive.string() << ":\n";
        for (const auto& f : *written) std::cout << "  " << f.string() << "\n";
        for (const auto& w : bundle->warnings) std::cout << "warning: " << w << "\n";
        std::cout << "Print handoff.html for the customer.";
        if (viewer->has_value())
            std::cout << (o.show_password ? " The viewer's password: " + (*viewer)->password
                                          : " Tell the customer the viewer's password: `sitelink handoff --show-password" +
                                                site_argument(o) + "` shows it");
        std::cout << "\n";
    }
    return bundle->warnings.empty() ? 0 : kPartial;
}

int run_check(const CheckOptions& o) {
    std::ifstream in(o.file, std::ios::binary);
    if (!in) return report_error(Error{ErrorCode::Usage, o.file, "cannot read the file", ""});
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    auto doc = handoff::read_site_json(text);
    if (!doc) return report_error(doc.error());
    std::cout << "site " << (*doc)["site"].get<std::string>() << " at " << (*doc)["host"].get<std::string>() << ": "
              << (*doc)["devices"].size() << " device(s), " << (*doc)["forwards"].size() << " forward(s)\n";
    const auto& viewer = (*doc)["viewer"];
    if (!viewer.is_object() || !viewer.contains("password")) {
        std::cout << "no password inside\n";
        return 0;
    }
    auto passphrase = read_secret("Bundle passphrase: ", "SITELINK_BUNDLE_PASSPHRASE");
    if (!passphrase) return report_error(passphrase.error());
    auto password = site::open_with_passphrase(viewer["password"].get<site::PassphraseSealed>(), *passphrase);
    if (!password) return report_error(password.error());
    std::cout << "the viewer password opens with the passphrase" << (o.show_password ? ": " + *password : "") << "\n";
    return 0;
}

}  // namespace

void add_handoff(CLI::App& app, int* exit_code) {
    auto o = std::make_shared<HandoffOptions>();
    auto* cmd = app.add_subcommand("handoff", "Viewer accounts, QR codes, the customer's sheet and the config bundle");
    add_site_options(cmd, *o, true);
    cmd->add_option("--viewer-user", o->viewer_user, "Name of the viewer account made on every device (default: viewer)");
    cmd->add_flag("--no-viewer", o->no_viewer, "Make no viewer account (the customer gets no login from Sitelink)");
    cmd->add_flag("--remove-viewers", o->remove_viewers, "Delete the viewer accounts Sitelink made, and nothing else");
    cmd->add_option("--out", o->out, "Folder for the bundle (default: SITE-handoff)");
    cmd->add_option("--archive", o->archive, "The bundle as one zip file (default: the folder's name + .zip)");
    cmd->add_option("--installer", o->installer, "Your name and phone or e-mail, printed on the customer's sheet");
    cmd->add_option("--address", o->address, "The site's fixed public address, for a site without a DDNS name");
    cmd->add_flag("--include-password", o->include_password,
                  "Put the viewer password in the site QR (locked by SITELINK_HANDOFF_PIN) and site.json (locked by SITELINK_BUNDLE_PASSPHRASE)");
    cmd->add_flag("--show-password", o->show_password, "Print the viewer's password, to tell the customer");

    auto check = std::make_shared<CheckOptions>();
    auto* check_cmd = cmd->add_subcommand("check", "Read a bundle's site.json back; with its passphrase, open the password in it");
    check_cmd->add_option("file", check->file, "The site.json")->required();
    check_cmd->add_flag("--show-password", check->show_password, "Print the password once opened");
    check_cmd->callback([check, exit_code] { *exit_code = run_check(*check); });
    cmd->callback([o, check_cmd, exit_code] {
        if (!check_cmd->parsed()) *exit_code = run_handoff(*o);
    });
}

}  // namespace sitelink::cli
