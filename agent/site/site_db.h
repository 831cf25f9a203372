// The site database: one SQLite file per job site, holding what Sitelink learned about the site
// and a journal of every change it makes to a device. A change is written down before it is
// made (intent and old value) and again after (outcome), each in its own committed transaction,
// so a run killed at any moment leaves enough behind to finish or undo it.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/device.h"
#include "core/error.h"

struct sqlite3;

namespace sitelink::site {

// Where sites live unless --site names a file: $SITELINK_DATA_DIR/sites, else /var/lib/sitelink/sites
// for root, else $XDG_DATA_HOME/sitelink/sites (~/.local/share/sitelink/sites).
std::filesystem::path sites_directory();
// --site: a name ("smith-warehouse", stored as <sites_directory>/smith-warehouse.db) or a path
// (anything with a '/' or ending in ".db"). Names are letters, digits, '-', '_' and '.'.
Result<std::filesystem::path> site_path(const std::string& site);
// A name only (the wizard's sites): <sites_directory>/<name>.db.
Result<std::filesystem::path> named_site_path(const std::string& site);

// A device as the site knows it. The key never changes when the device's address does.
struct SiteDevice {
    std::string key;  // the WS-Discovery EndpointReference, or "mac:<mac>" for devices without one
    std::string endpoint;
    std::string mac;
    std::string serial;
    std::string name;
    std::string role;  // "recorder" or "camera"
    std::string manufacturer;
    std::string model;
    std::string url;            // the device service URL it last answered at
    NetworkSettings original;   // as first read, before Sitelink changed anything; never overwritten
    NetworkSettings current;    // as last read back
    bool network_read = false;  // false: the device could not be read, the settings are only its address

    // "Front Door (192.168.1.20)": how messages name the device.
    std::string label() const;
    // Whether the installer's word for a device (key, name, serial, current address or MAC) means this one.
    bool answers_to(const std::string& who) const;
};

// One line of the address plan: what a device's network settings should become.
struct PlannedAddress {
    std::string device_key;
    std::string action;  // "change", "keep" (already fixed outside the pool) or "skip" (see reason)
    NetworkSettings target;
    std::string reason;
};

// A device-level change, moving a device from `before` to `after`, and where it got to.
enum class ChangeState { Pending, InProgress, Done, Failed, RolledBack, Lost };
std::string to_string(ChangeState state);
bool is_final(ChangeState state);

struct Change {
    std::int64_t id = 0;
    std::int64_t batch = 0;
    std::string device_key;
    std::string kind;  // "apply" (the plan) or "undo" (back to the original settings)
    NetworkSettings before;
    NetworkSettings after;
    ChangeState state = ChangeState::Pending;
    std::string outcome;  // what happened, in words; the error's id for failures
};

// One write to a device, as the journal holds it.
struct JournalEntry {
    std::int64_t id = 0;
    std::int64_t change_id = 0;
    std::string operation;  // SetNetworkInterfaces, SystemReboot, ...
    nlohmann::json intent;
    nlohmann::json previous;
    std::string state;  // "intent" (sent or about to be: outcome unknown), "ok", "failed"
    std::string result;
    std::string at;
};

// A port forwarding rule on the router, written down before the router is asked (state "adding";
// "removing" before it is asked to delete it), so an interrupted run can be finished or undone.
// "manual": handed to the installer to set by hand; Sitelink cannot see or remove it.
struct ForwardRecord {
    std::int64_t id = 0;
    std::string device_key;
    std::string service;
    std::string protocol;
    int external_port = 0;
    std::string internal_client;
    int internal_port = 0;
    std::string description;  // what the router shows; names the site, device and service
    int lease_s = 0;
    std::string router;  // the router's UPnP control URL; "manual" for rules set by hand
    std::string state;   // adding, added, failed, manual, removing, removed
    std::string result;
    std::string updated_at;
};

// An account Sitelink made on a device (the customer's viewer), written down before the device
// is asked ("creating"; "removing" before it is asked to delete it), so an interrupted run can
// be finished or undone and nothing Sitelink did to a device's users is forgotten.
struct AccountRecord {
    std::string device_key;
    std::string username;
    std::string level;  // the ONVIF user level: User for viewers
    std::string state;  // creating, created, failed, removing, removed
    std::string result;
    std::string updated_at;
};

class SiteDb {
public:
    // Opens or creates the file (and its folder). Refuses a file written by a newer Sitelink.
    static Result<std::unique_ptr<SiteDb>> open(const std::filesystem::path& path);
    ~SiteDb();
    SiteDb(const SiteDb&) = delete;
    SiteDb& operator=(const SiteDb&) = delete;

    const std::filesystem::path& path() const { return path_; }

    // Only one process changes a site's devices at a time; the lock is released with the SiteDb.
    Result<Done> lock_for_changes();

    // Facts about the site (its network, the interface used), as JSON by name.
    Result<Done> put_fact(const std::string& name, const nlohmann::json& value);
    Result<std::optional<nlohmann::json>> fact(const std::string& name);

    // Inserts, or updates everything but `original`, which keeps what was first read from the
    // device (a sighting of a device that could not be read never fixes `original`).
    Result<Done> remember_device(const SiteDevice& device);
    Result<Done> update_device_network(const std::string& key, const std::string& url, const NetworkSettings& current);
    Result<std::vector<SiteDevice>> devices();
    Result<std::optional<SiteDevice>> device(const std::string& key);

    Result<Done> save_plan(const std::vector<PlannedAddress>& plan);
    Result<std::vector<PlannedAddress>> plan();

    Result<std::int64_t> start_batch(const std::string& kind);
    Result<std::int64_t> add_change(std::int64_t batch, const std::string& device_key, const std::string& kind,
                                    const NetworkSettings& before, const NetworkSettings& after);
    Result<Done> set_change_state(std::int64_t change_id, ChangeState state, const std::string& outcome);
    Result<std::vector<Change>> changes_in_batch(std::int64_t batch);
    // The newest batch that still has changes not in a final state, if any.
    Result<std::optional<std::int64_t>> unfinished_batch();
    Result<std::optional<std::int64_t>> latest_batch();

    Result<std::int64_t> journal_intent(std::int64_t change_id, const std::string& operation,
                                        const nlohmann::json& intent, const nlohmann::json& previous);
    Result<Done> journal_result(std::int64_t entry_id, bool ok, const std::string& result);
    Result<std::vector<JournalEntry>> journal(std::int64_t change_id);

    Result<std::int64_t> record_forward(const ForwardRecord& record);
    Result<Done> set_forward_state(std::int64_t id, const std::string& state, const std::string& result);
    // The router reserved another external port than the one asked for (IGD:2 AddAnyPortMapping).
    Result<Done> move_forward(std::int64_t id, int external_port);
    Result<std::vector<ForwardRecord>> forwards();

    // One row per device and username, replaced on every state change.
    Result<Done> set_account(const AccountRecord& record);
    Result<std::vector<AccountRecord>> accounts();

private:
    SiteDb(std::filesystem::path path, sqlite3* db);
    Error failure(const std::string& what) const;
    Result<Done> exec(const std::string& sql);

    std::filesystem::path path_;
    sqlite3* db_;
    int lock_fd_ = -1;
    std::mutex mutex_;  // one statement sequence at a time: the apply workers share the connection
};

}  // namespace sitelink::site
