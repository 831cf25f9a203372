// The customer's viewer account on every device: created with the installer's admin credentials,
// proven by logging in with it, and checked to be refused what only an administrator may read.
#include <sodium.h>

#include <algorithm>

#include "handoff/handoff.h"
#include "inspect/inspect.h"
#include "onvif_client/operations.h"

namespace sitelink::handoff {

namespace {

constexpr const char* kViewerLevel = "User";

std::string problem_text(const Error& error) { return error.summary() + ". " + error.advice(); }

Error damaged(site::SiteDb& site, const std::string& what, const std::string& why) {
    return Error{ErrorCode::SiteDatabase, site.path().string(), "the saved " + what + " is damaged: " + why, ""};
}

// The site's viewer: the saved one when it has the same name, else a new password, sealed and
// saved before any device is asked to create the account.
Result<Viewer> viewer_for(site::SiteDb& site, const std::string& username) {
    auto saved = saved_viewer(site);
    if (!saved) return saved.error();
    if (saved->has_value()) {
        if ((*saved)->username == username) return **saved;
        auto accounts = site.accounts();
        if (!accounts) return accounts.error();
        for (const auto& a : *accounts)
            if (a.username == (*saved)->username && a.state != "removed" && a.state != "failed")
                return Error{ErrorCode::Usage, site.path().string(),
                             "this site's viewer is '" + (*saved)->username + "'; keep that name, or remove those accounts first "
                             "(`sitelink handoff --remove-viewers`)", ""};
    }
    Viewer fresh{username, generate_password()};
    auto sealed = site::seal(fresh.password);
    if (!sealed) return sealed.error();
    if (auto r = site.put_fact("viewer", {{"username", username}, {"sealed_password", *sealed}}); !r) return r.error();
    return fresh;
}

std::optional<site::AccountRecord> account_of(const std::vector<site::AccountRecord>& accounts, const std::string& key,
                                              const std::string& username) {
    for (const auto& a : accounts)
        if (a.device_key == key && a.username == username) return a;
    return std::nullopt;
}

// Creates the account unless Sitelink made it before. Returns "created" or "kept".
Result<std::string> ensure_account(site::SiteDb& site, const site::SiteDevice& device, onvif_client::Session& admin,
                                   const Viewer& viewer, const std::optional<site::AccountRecord>& record) {
    auto users = onvif_client::GetUsers(admin);
    if (!users) return users.error();
    const bool exists = std::any_of(users->begin(), users->end(), [&](const UserAccount& u) { return u.username == viewer.username; });
    const bool ours = record && (record->state == "created" || record->state == "creating");
    if (exists && ours) {
        if (record->state == "creating")  // a run stopped after asking: the device did it
            if (auto r = site.set_account({device.key, viewer.username, kViewerLevel, "created", "found on the device after an interrupted run", ""}); !r)
                return r.error();
        return std::string("kept");
    }
    if (exists)
        return Error{ErrorCode::Precondition, device.label(),
                     "a user '" + viewer.username + "' already exists and Sitelink did not make it; its password is unknown, "
                     "so choose another name with --viewer-user", ""};
    if (auto r = site.set_account({device.key, viewer.username, kViewerLevel, "creating", "asking the device to create it", ""}); !r)
        return r.error();
    auto created = onvif_client::CreateUsers(admin, {{viewer.username, viewer.password, kViewerLevel}});
    if (!created) {
        if (auto r = site.set_account({device.key, viewer.username, kViewerLevel, "failed", created.error().summary(), ""}); !r)
            return r.error();
        return created.error();
    }
    if (auto r = site.set_account({device.key, viewer.username, kViewerLevel, "created", "created", ""}); !r) return r.error();
    return std::string("created");
}

std::vector<DeviceStream> streams_of(const DeviceReport& report) {
    std::vector<DeviceStream> out;
    for (const auto& p : report.profiles)
        if (!p.stream_uri.empty()) out.push_back({p.name.empty() ? p.token : p.name, p.encoding, p.width, p.height, p.stream_uri});
    return out;
}

Result<Done> save_devices(site::SiteDb& site, const std::vector<DeviceHandoff>& devices) {
    return site.put_fact("handoff_devices", devices);
}

}  // namespace

std::string generate_password() {
    static constexpr std::string_view kUpper = "ABCDEFGHJKLMNPQRSTUVWXYZ", kLower = "abcdefghijkmnopqrstuvwxyz", kDigits = "23456789";
    static const std::string kAll = std::string(kUpper) + std::string(kLower) + std::string(kDigits);
    if (sodium_init() < 0) std::abort();  // libsodium cannot start without a working random source
    auto pick = [](std::string_view from) { return from[randombytes_uniform(static_cast<uint32_t>(from.size()))]; };
    std::string password;
    password += pick(kUpper);
    password += pick(kLower);
    password += pick(kDigits);
    while (password.size() < 16) password += pick(kAll);
    // The three guaranteed kinds must not always sit at the front.
    for (std::size_t i = password.size() - 1; i > 0; --i)
        std::swap(password[i], password[randombytes_uniform(static_cast<uint32_t>(i + 1))]);
    return password;
}

Result<std::optional<Viewer>> saved_viewer(site::SiteDb& site) {
    auto fact = site.fact("viewer");
    if (!fact) return fact.error();
    if (!fact->has_value() || fact->value().is_null()) return std::optional<Viewer>{};
    std::string username, sealed;
    try {
        username = fact->value().at("username").get<std::string>();
        sealed = fact->value().at("sealed_password").get<std::string>();
    } catch (const nlohmann::json::exception& e) {
        return damaged(site, "viewer account", e.what());
    }
    auto password = site::unseal(sealed);
    if (!password) return password.error();
    return std::optional<Viewer>{Viewer{username, *password}};
}

Result<std::vector<DeviceHandoff>> saved_devices(site::SiteDb& site) {
    auto fact = site.fact("handoff_devices");
    if (!fact) return fact.error();
    if (!fact->has_value()) return std::vector<DeviceHandoff>{};
    try {
        return fact->value().get<std::vector<DeviceHandoff>>();
    } catch (const nlohmann::json::exception& e) {
        return damaged(site, "hand-off state", e.what());
    }
}

Result<std::vector<DeviceHandoff>> prepare_viewers(site::SiteDb& site, const ViewerRequest& request, const DeviceSink& progress) {
    auto devices = site.devices();
    if (!devices) return devices.error();
    if (devices->empty())
        return Error{ErrorCode::Precondition, site.path().string(),
                     "this site has no devices yet; run `sitelink address plan --interface IF` first", ""};
    if (request.create_accounts && (request.username.empty() || request.username.size() > 32 ||
                                    request.username.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
                                        std::string::npos))
        return Error{ErrorCode::Usage, request.username, "a viewer name is 1 to 32 letters, digits, '-', '_' or '.'", ""};
    std::optional<Viewer> viewer;
    if (request.create_accounts) {
        auto v = viewer_for(site, request.username);
        if (!v) return v.error();
        viewer = *v;
    }
    auto accounts = site.accounts();
    if (!accounts) return accounts.error();

    std::vector<DeviceHandoff> out;
    for (const auto& device : *devices) {
        DeviceHandoff entry{device.key, device.label(), "none", false, {}, ""};
        auto fail = [&](const Error& error) {
            entry.account = viewer ? "failed" : "none";
            entry.problem = problem_text(error);
        };
        onvif_client::SessionOptions options{request.timeout};
        std::optional<onvif_client::Credentials> reader = request.admin.for_device(device.key);
        if (viewer) {
            onvif_client::Session admin(device.url, reader, options);
            auto account = ensure_account(site, device, admin, *viewer, account_of(*accounts, device.key, viewer->username));
            if (!account) fail(account.error());
            else {
                entry.account = *account;
                reader = onvif_client::Credentials{viewer->username, viewer->password};
            }
        }
        if (entry.problem.empty()) {
            // Logging in with the new account proves it; its streams are what the customer will see.
            auto report = inspect::inspect({device.url, reader, request.timeout});
            if (!report) {
                fail(report.error());
            } else {
                entry.streams = streams_of(*report);
                if (viewer) {
                    onvif_client::Session as_viewer(device.url, reader, options);
                    auto users = onvif_client::GetUsers(as_viewer);
                    entry.admin_refused = !users && (users.error().code == ErrorCode::NotPermitted || users.error().code == ErrorCode::AuthFailed);
                }
            }
        }
        out.push_back(entry);
        if (progress) progress(entry);
    }
    if (auto r = save_devices(site, out); !r) return r.error();
    return out;
}

Result<std::vector<DeviceHandoff>> remove_viewers(site::SiteDb& site, const onvif_client::CredentialBook& admin,
                                                  std::chrono::milliseconds timeout, const DeviceSink& progress) {
    auto accounts = site.accounts();
    if (!accounts) return accounts.error();
    std::vector<DeviceHandoff> out;
    for (const auto& account : *accounts) {
        if (account.state == "removed" || account.state == "failed") continue;
        auto device = site.device(account.device_key);
        if (!device) return device.error();
        if (!device->has_value()) continue;
        DeviceHandoff entry{account.device_key, (*device)->label(), "removed", false, {}, ""};
        if (auto r = site.set_account({account.device_key, account.username, account.level, "removing", "asking the device to delete it", ""}); !r)
            return r.error();
        onvif_client::Session session((*device)->url, admin.for_device(account.device_key), onvif_client::SessionOptions{timeout});
        auto deleted = onvif_client::DeleteUsers(session, {account.username});
        // A user that is already gone is what removing wanted.
        const bool gone = deleted || deleted.error().protocol_code.find("UsernameMissing") != std::string::npos;
        if (gone) {
            if (auto r = site.set_account({account.device_key, account.username, account.level, "removed", deleted ? "deleted" : "already gone", ""}); !r)
                return r.error();
        } else {
            entry.account = "failed";
            entry.problem = problem_text(deleted.error());
            // Still Sitelink's: a later run tries again.
            if (auto r = site.set_account({account.device_key, account.username, account.level, "created", deleted.error().summary(), ""}); !r)
                return r.error();
        }
        out.push_back(entry);
        if (progress) progress(entry);
    }
    auto left = site.accounts();
    if (!left) return left.error();
    const bool none_left = std::all_of(left->begin(), left->end(), [](const site::AccountRecord& a) { return a.state == "removed" || a.state == "failed"; });
    if (none_left) {
        if (auto r = site.put_fact("viewer", nullptr); !r) return r.error();
        if (auto r = site.put_fact("handoff_devices", nlohmann::json::array()); !r) return r.error();
    }
    return out;
}

}  // namespace sitelink::handoff
