#include "site/site_db.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace sitelink::site {

namespace {

constexpr int kSchemaVersion = 3;  // 2: forwards, 3: accounts

// The whole schema. Timestamps are UTC ISO 8601 strings, JSON columns hold NetworkSettings.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS facts (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
CREATE TABLE IF NOT EXISTS devices (
    key TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL, mac TEXT NOT NULL, serial TEXT NOT NULL, name TEXT NOT NULL,
    role TEXT NOT NULL, manufacturer TEXT NOT NULL, model TEXT NOT NULL, url TEXT NOT NULL,
    original TEXT NOT NULL, current TEXT NOT NULL, network_read INTEGER NOT NULL,
    first_seen TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
CREATE TABLE IF NOT EXISTS address_plan (
    device_key TEXT PRIMARY KEY REFERENCES devices(key),
    action TEXT NOT NULL CHECK (action IN ('change', 'keep', 'skip')),
    target TEXT NOT NULL, reason TEXT NOT NULL, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL,
    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY, batch INTEGER NOT NULL REFERENCES batches(id),
    device_key TEXT NOT NULL REFERENCES devices(key), kind TEXT NOT NULL,
    before TEXT NOT NULL, after TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'in-progress', 'done', 'failed', 'rolled-back', 'lost')),
    outcome TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY, change_id INTEGER NOT NULL REFERENCES changes(id),
    operation TEXT NOT NULL, intent TEXT NOT NULL, previous TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('intent', 'ok', 'failed')),
    result TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    done_at TEXT);
CREATE TABLE IF NOT EXISTS forwards (
    id INTEGER PRIMARY KEY, device_key TEXT NOT NULL REFERENCES devices(key),
    service TEXT NOT NULL, protocol TEXT NOT NULL CHECK (protocol IN ('TCP', 'UDP')),
    external_port INTEGER NOT NULL, internal_client TEXT NOT NULL, internal_port INTEGER NOT NULL,
    description TEXT NOT NULL, lease_s INTEGER NOT NULL, router TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('adding', 'added', 'failed', 'manual', 'removing', 'removed')),
    result TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
CREATE TABLE IF NOT EXISTS accounts (
    device_key TEXT NOT NULL REFERENCES devices(key), username TEXT NOT NULL, level TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('creating', 'created', 'failed', 'removing', 'removed')),
    result TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (device_key, username));
)sql";

constexpr const char* kChangeStates[] = {"pending", "in-progress", "done", "failed", "rolled-back", "lost"};

std::optional<ChangeState> parse_state(const std::string& text) {
    for (std::size_t i = 0; i < std::size(kChangeStates); ++i)
        if (text == kChangeStates[i]) return static_cast<ChangeState>(i);
    return std::nullopt;
}

// A prepared statement, finalized on scope exit. Binds are 1-based in call order.
class Statement {
public:
    Statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    bool prepared() const { return rc_ == SQLITE_OK; }
    Statement& bind(const std::string& text) {
        if (prepared()) sqlite3_bind_text(stmt_, ++index_, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Statement& bind(std::int64_t number) {
        if (prepared()) sqlite3_bind_int64(stmt_, ++index_, number);
        return *this;
    }
    Statement& bind(const nlohmann::json& value) { return bind(value.dump()); }
    // SQLITE_ROW, SQLITE_DONE or an error code.
    int step() { return prepared() ? sqlite3_step(stmt_) : rc_; }
    std::string text(int column) const {
        const auto* p = sqlite3_column_text(stmt_, column);
        return p ? reinterpret_cast<const char*>(p) : "";
    }
    std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }

private:
    sqlite3_stmt* stmt_ = nullptr;
    int rc_ = SQLITE_ERROR;
    int index_ = 0;
};

NetworkSettings settings_from(const std::string& text) { return nlohmann::json::parse(text).get<NetworkSettings>(); }

}  // namespace

std::string to_string(ChangeState state) { return kChangeStates[static_cast<int>(state)]; }

bool is_final(ChangeState state) {
    return state == ChangeState::Done || state == ChangeState::Failed || state == ChangeState::RolledBack;
}

bool SiteDevice::answers_to(const std::string& who) const {
    return who == key || who == name || who == serial || who == current.address || (!mac.empty() && normalize_mac(who) == mac);
}

std::string SiteDevice::label() const {
    const std::string address = current.address.empty() ? original.address : current.address;
    if (name.empty()) return address.empty() ? key : address;
    return name + " (" + address + ")";
}

std::filesystem::path sites_directory() {
    if (const char* dir = std::getenv("SITELINK_DATA_DIR"); dir && *dir) return std::filesystem::path(dir) / "sites";
    if (geteuid() == 0) return "/var/lib/sitelink/sites";
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "sitelink/sites";
    const char* home = std::getenv("HOME");
    return std::filesystem::path(home && *home ? home : ".") / ".local/share/sitelink/sites";
}

Result<std::filesystem::path> site_path(const std::string& site) {
    if (site.find('/') != std::string::npos || (site.size() > 3 && site.ends_with(".db"))) return std::filesystem::path(site);
    return named_site_path(site);
}

Result<std::filesystem::path> named_site_path(const std::string& site) {
    const bool valid = !site.empty() && site != "." && site != ".." && site.size() <= 100 &&
                       site.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
                           std::string::npos;
    if (!valid)
        return Error{ErrorCode::Usage, "", "site name '" + site + "': use letters, digits, '-', '_' and '.' (at most 100)", ""};
    return sites_directory() / (site + ".db");
}

SiteDb::SiteDb(std::filesystem::path path, sqlite3* db) : path_(std::move(path)), db_(db) {}

SiteDb::~SiteDb() {
    sqlite3_close_v2(db_);
    if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Error SiteDb::failure(const std::string& what) const {
    return Error{ErrorCode::SiteDatabase, path_.string(), what + ": " + sqlite3_errmsg(db_),
                 "sqlite " + std::to_string(sqlite3_extended_errcode(db_))};
}

Result<Done> SiteDb::exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : "unknown error";
        sqlite3_free(message);
        return Error{ErrorCode::SiteDatabase, path_.string(), text, "sqlite " + std::to_string(sqlite3_extended_errcode(db_))};
    }
    return Done{};
}

Result<std::unique_ptr<SiteDb>> SiteDb::open(const std::filesystem::path& path) {
    std::error_code ec;
    if (path.has_parent_path()) {
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec) return Error{ErrorCode::SiteDatabase, path.string(), "cannot create its folder: " + ec.message(), ""};
    }
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
    std::unique_ptr<SiteDb> site(new SiteDb(path, db));
    if (rc != SQLITE_OK) return site->failure("cannot open");
    sqlite3_busy_timeout(db, 5000);
    // WAL keeps readers (the wizard) working while a batch writes; synchronous=FULL makes every
    // committed journal line survive a power cut, not only a killed process.
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"})
        if (auto r = site->exec(pragma); !r) return r.error();
    Statement version(db, "PRAGMA user_version");
    if (version.step() != SQLITE_ROW) return site->failure("cannot read the schema version (is this a Sitelink site file?)");
    const auto found = version.integer(0);
    if (found > kSchemaVersion)
        return Error{ErrorCode::SiteDatabase, path.string(),
                     "written by a newer Sitelink (schema " + std::to_string(found) + ", this one knows " +
                         std::to_string(kSchemaVersion) + ")", ""};
    if (auto r = site->exec(std::string("BEGIN IMMEDIATE;") + kSchema + "PRAGMA user_version=" +
                            std::to_string(kSchemaVersion) + "; COMMIT;");
        !r) {
        site->exec("ROLLBACK");
        return r.error();
    }
    return site;
}

Result<Done> SiteDb::lock_for_changes() {
    if (lock_fd_ >= 0) return Done{};
    const std::string lock_path = path_.string() + ".lock";
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return Error{ErrorCode::SiteDatabase, lock_path, std::string("cannot open the lock file: ") + std::strerror(errno),
                     "errno " + std::to_string(errno)};
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        std::ifstream holder(lock_path);
        std::string pid;
        holder >> pid;
        return Error{ErrorCode::Precondition, path_.string(),
                     "another Sitelink (pid " + (pid.empty() ? std::string("unknown") : pid) +
                         ") is changing this site's devices; wait for it to finish",
                     ""};
    }
    const std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
        // The pid is only a courtesy for the message above; the flock is what protects.
    }
    lock_fd_ = fd;
    return Done{};
}

Result<Done> SiteDb::put_fact(const std::string& name, const nlohmann::json& value) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "INSERT INTO facts(name, value) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value, "
                "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')");
    if (s.bind(name).bind(value).step() != SQLITE_DONE) return failure("cannot save " + name);
    return Done{};
}

Result<std::optional<nlohmann::json>> SiteDb::fact(const std::string& name) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT value FROM facts WHERE name = ?");
    const int rc = s.bind(name).step();
    if (rc == SQLITE_DONE) return std::optional<nlohmann::json>{};
    if (rc != SQLITE_ROW) return failure("cannot read " + name);
    try {
        return std::optional<nlohmann::json>(nlohmann::json::parse(s.text(0)));
    } catch (const nlohmann::json::exception& e) {
        return Error{ErrorCode::SiteDatabase, path_.string(), "fact '" + name + "' is damaged: " + e.what(), ""};
    }
}

Result<Done> SiteDb::remember_device(const SiteDevice& d) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "INSERT INTO devices(key, endpoint, mac, serial, name, role, manufacturer, model, url, original, current, network_read) "
                "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET endpoint = excluded.endpoint, "
                "original = CASE WHEN devices.network_read THEN devices.original ELSE excluded.original END, "
                "network_read = devices.network_read OR excluded.network_read, "
                "mac = excluded.mac, serial = excluded.serial, name = excluded.name, role = excluded.role, "
                "manufacturer = excluded.manufacturer, model = excluded.model, url = excluded.url, "
                "current = excluded.current, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')");
    s.bind(d.key).bind(d.endpoint).bind(d.mac).bind(d.serial).bind(d.name).bind(d.role).bind(d.manufacturer);
    s.bind(d.model).bind(d.url).bind(nlohmann::json(d.original)).bind(nlohmann::json(d.current));
    s.bind(std::int64_t{d.network_read ? 1 : 0});
    if (s.step() != SQLITE_DONE) return failure("cannot save device " + d.label());
    return Done{};
}

Result<Done> SiteDb::update_device_network(const std::string& key, const std::string& url, const NetworkSettings& current) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE devices SET url = ?, current = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE key = ?");
    if (s.bind(url).bind(nlohmann::json(current)).bind(key).step() != SQLITE_DONE)
        return failure("cannot update device " + key);
    return Done{};
}

namespace {
constexpr const char* kDeviceColumns =
    "SELECT key, endpoint, mac, serial, name, role, manufacturer, model, url, original, current, network_read FROM devices";

SiteDevice device_from(const Statement& s) {
    SiteDevice d;
    d.key = s.text(0);
    d.endpoint = s.text(1);
    d.mac = s.text(2);
    d.serial = s.text(3);
    d.name = s.text(4);
    d.role = s.text(5);
    d.manufacturer = s.text(6);
    d.model = s.text(7);
    d.url = s.text(8);
    d.original = settings_from(s.text(9));
    d.current = settings_from(s.text(10));
    d.network_read = s.integer(11) != 0;
    return d;
}
}  // namespace

Result<std::vector<SiteDevice>> SiteDb::devices() {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string(kDeviceColumns) + " ORDER BY first_seen, key").c_str());
    std::vector<SiteDevice> out;
    int rc;
    try {
        while ((rc = s.step()) == SQLITE_ROW) out.push_back(device_from(s));
    } catch (const nlohmann::json::exception& e) {
        return Error{ErrorCode::SiteDatabase, path_.string(), std::string("a device record is damaged: ") + e.what(), ""};
    }
    if (rc != SQLITE_DONE) return failure("cannot read devices");
    return out;
}

Result<std::optional<SiteDevice>> SiteDb::device(const std::string& key) {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string(kDeviceColumns) + " WHERE key = ?").c_str());
    const int rc = s.bind(key).step();
    if (rc == SQLITE_DONE) return std::optional<SiteDevice>{};
    if (rc != SQLITE_ROW) return failure("cannot read device " + key);
    try {
        return std::optional<SiteDevice>(device_from(s));
    } catch (const nlohmann::json::exception& e) {
        return Error{ErrorCode::SiteDatabase, path_.string(), "device " + key + " is damaged: " + e.what(), ""};
    }
}

Result<Done> SiteDb::save_plan(const std::vector<PlannedAddress>& plan) {
    std::lock_guard lock(mutex_);
    if (auto r = exec("BEGIN IMMEDIATE; DELETE FROM address_plan;"); !r) return r;
    std::int64_t position = 0;
    for (const auto& p : plan) {
        Statement s(db_, "INSERT INTO address_plan(device_key, action, target, reason, position) VALUES(?, ?, ?, ?, ?)");
        if (s.bind(p.device_key).bind(p.action).bind(nlohmann::json(p.target)).bind(p.reason).bind(position++).step() !=
            SQLITE_DONE) {
            auto error = failure("cannot save the plan for " + p.device_key);
            exec("ROLLBACK");
            return error;
        }
    }
    return exec("COMMIT");
}

Result<std::vector<PlannedAddress>> SiteDb::plan() {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT device_key, action, target, reason FROM address_plan ORDER BY position");
    std::vector<PlannedAddress> out;
    int rc;
    try {
        while ((rc = s.step()) == SQLITE_ROW) out.push_back({s.text(0), s.text(1), settings_from(s.text(2)), s.text(3)});
    } catch (const nlohmann::json::exception& e) {
        return Error{ErrorCode::SiteDatabase, path_.string(), std::string("the address plan is damaged: ") + e.what(), ""};
    }
    if (rc != SQLITE_DONE) return failure("cannot read the address plan");
    return out;
}

Result<std::int64_t> SiteDb::start_batch(const std::string& kind) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "INSERT INTO batches(kind) VALUES(?)");
    if (s.bind(kind).step() != SQLITE_DONE) return failure("cannot start a batch");
    return sqlite3_last_insert_rowid(db_);
}

Result<std::int64_t> SiteDb::add_change(std::int64_t batch, const std::string& device_key, const std::string& kind,
                                        const NetworkSettings& before, const NetworkSettings& after) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "INSERT INTO changes(batch, device_key, kind, before, after, state) VALUES(?, ?, ?, ?, ?, 'pending')");
    if (s.bind(batch).bind(device_key).bind(kind).bind(nlohmann::json(before)).bind(nlohmann::json(after)).step() !=
        SQLITE_DONE)
        return failure("cannot record the change for " + device_key);
    return sqlite3_last_insert_rowid(db_);
}

Result<Done> SiteDb::set_change_state(std::int64_t change_id, ChangeState state, const std::string& outcome) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE changes SET state = ?, outcome = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?");
    if (s.bind(to_string(state)).bind(outcome).bind(change_id).step() != SQLITE_DONE)
        return failure("cannot record the outcome of change " + std::to_string(change_id));
    return Done{};
}

Result<std::vector<Change>> SiteDb::changes_in_batch(std::int64_t batch) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT id, batch, device_key, kind, before, after, state, outcome FROM changes WHERE batch = ? ORDER BY id");
    s.bind(batch);
    std::vector<Change> out;
    int rc;
    try {
        while ((rc = s.step()) == SQLITE_ROW) {
            Change c;
            c.id = s.integer(0);
            c.batch = s.integer(1);
            c.device_key = s.text(2);
            c.kind = s.text(3);
            c.before = settings_from(s.text(4));
            c.after = settings_from(s.text(5));
            c.state = parse_state(s.text(6)).value_or(ChangeState::InProgress);
            c.outcome = s.text(7);
            out.push_back(std::move(c));
        }
    } catch (const nlohmann::json::exception& e) {
        return Error{ErrorCode::SiteDatabase, path_.string(), std::string("a change record is damaged: ") + e.what(), ""};
    }
    if (rc != SQLITE_DONE) return failure("cannot read batch " + std::to_string(batch));
    return out;
}

Result<std::optional<std::int64_t>> SiteDb::unfinished_batch() {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT MAX(batch) FROM changes WHERE state NOT IN ('done', 'failed', 'rolled-back')");
    if (s.step() != SQLITE_ROW) return failure("cannot read the journal");
    if (s.text(0).empty()) return std::optional<std::int64_t>{};  // MAX over no rows is NULL
    return std::optional<std::int64_t>(s.integer(0));
}

Result<std::optional<std::int64_t>> SiteDb::latest_batch() {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT MAX(id) FROM batches");
    if (s.step() != SQLITE_ROW) return failure("cannot read the journal");
    if (s.text(0).empty()) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>(s.integer(0));
}

Result<std::int64_t> SiteDb::journal_intent(std::int64_t change_id, const std::string& operation,
                                            const nlohmann::json& intent, const nlohmann::json& previous) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "INSERT INTO journal(change_id, operation, intent, previous, state) VALUES(?, ?, ?, ?, 'intent')");
    if (s.bind(change_id).bind(operation).bind(intent).bind(previous).step() != SQLITE_DONE)
        return failure("cannot journal " + operation);
    return sqlite3_last_insert_rowid(db_);
}

Result<Done> SiteDb::journal_result(std::int64_t entry_id, bool ok, const std::string& result) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE journal SET state = ?, result = ?, done_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?");
    if (s.bind(std::string(ok ? "ok" : "failed")).bind(result).bind(entry_id).step() != SQLITE_DONE)
        return failure("cannot journal the result of entry " + std::to_string(entry_id));
    return Done{};
}

Result<std::vector<JournalEntry>> SiteDb::journal(std::int64_t change_id) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT id, change_id, operation, intent, previous, state, result, at FROM journal WHERE change_id = ? ORDER BY id");
    s.bind(change_id);
    std::vector<JournalEntry> out;
    int rc;
    try {
        while ((rc = s.step()) == SQLITE_ROW)
            out.push_back({s.integer(0), s.integer(1), s.text(2), nlohmann::json::parse(s.text(3)),
                           nlohmann::json::parse(s.text(4)), s.text(5), s.text(6), s.text(7)});
    } catch (const nlohmann::json::exception& e) {
        return Error{ErrorCode::SiteDatabase, path_.string(), std::string("a journal entry is damaged: ") + e.what(), ""};
    }
    if (rc != SQLITE_DONE) return failure("cannot read the journal");
    return out;
}

Result<std::int64_t> SiteDb::record_forward(const ForwardRecord& f) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "INSERT INTO forwards(device_key, service, protocol, external_port, internal_client, internal_port, "
                "description, lease_s, router, state, result) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(f.device_key).bind(f.service).bind(f.protocol).bind(std::int64_t{f.external_port}).bind(f.internal_client);
    s.bind(std::int64_t{f.internal_port}).bind(f.description).bind(std::int64_t{f.lease_s}).bind(f.router).bind(f.state).bind(f.result);
    if (s.step() != SQLITE_DONE) return failure("cannot record the forwarding of port " + std::to_string(f.external_port));
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
}

Result<Done> SiteDb::set_forward_state(std::int64_t id, const std::string& state, const std::string& result) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE forwards SET state = ?, result = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?");
    if (s.bind(state).bind(result).bind(id).step() != SQLITE_DONE || sqlite3_changes(db_) != 1)
        return failure("cannot update forwarding record " + std::to_string(id));
    return Done{};
}

Result<Done> SiteDb::move_forward(std::int64_t id, int external_port) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE forwards SET external_port = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?");
    if (s.bind(std::int64_t{external_port}).bind(id).step() != SQLITE_DONE || sqlite3_changes(db_) != 1)
        return failure("cannot update forwarding record " + std::to_string(id));
    return Done{};
}

Result<std::vector<ForwardRecord>> SiteDb::forwards() {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "SELECT id, device_key, service, protocol, external_port, internal_client, internal_port, description, "
                "lease_s, router, state, result, updated_at FROM forwards ORDER BY id");
    std::vector<ForwardRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
        out.push_back({s.integer(0), s.text(1), s.text(2), s.text(3), static_cast<int>(s.integer(4)), s.text(5),
                       static_cast<int>(s.integer(6)), s.text(7), static_cast<int>(s.integer(8)), s.text(9), s.text(10),
                       s.text(11), s.text(12)});
    if (rc != SQLITE_DONE) return failure("cannot read the forwarding records");
    return out;
}

Result<Done> SiteDb::set_account(const AccountRecord& a) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "INSERT INTO accounts(device_key, username, level, state, result) VALUES(?, ?, ?, ?, ?) "
                "ON CONFLICT(device_key, username) DO UPDATE SET level = excluded.level, state = excluded.state, "
                "result = excluded.result, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')");
    if (s.bind(a.device_key).bind(a.username).bind(a.level).bind(a.state).bind(a.result).step() != SQLITE_DONE)
        return failure("cannot record the account " + a.username + " on " + a.device_key);
    return Done{};
}

Result<std::vector<AccountRecord>> SiteDb::accounts() {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT device_key, username, level, state, result, updated_at FROM accounts ORDER BY device_key, username");
    std::vector<AccountRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)});
    if (rc != SQLITE_DONE) return failure("cannot read the account records");
    return out;
}

}  // namespace sitelink::site
