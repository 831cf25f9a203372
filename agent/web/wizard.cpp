#include "web/wizard.h"

#include <sys/stat.h>

#include <algorithm>
#include <future>
#include <set>

#include <httplib.h>

#include "address/address.h"
#include "core/clock.h"
#include "core/net.h"
#include "ddns/ddns.h"
#include "discover/discover.h"
#include "handoff/handoff.h"
#include "inspect/inspect.h"
#include "router/router.h"
#include "site/secrets.h"
#include "verify/verify.h"

namespace sitelink::web {

namespace {

using nlohmann::json;

// What the wizard keeps in the site besides what the stages keep: where it is, and per device
// what discovery and the credential check learned (the password sealed, as DDNS secrets are).
constexpr const char* kWizardFact = "wizard";
constexpr const char* kDevicesFact = "wizard_devices";
constexpr const char* kRouterStatusFact = "wizard_router_status";
constexpr const char* kVerifyFact = "wizard_verify";
constexpr const char* kHandoffFact = "wizard_handoff";

json fact_or(site::SiteDb& db, const std::string& name, json fallback) {
    auto fact = db.fact(name);
    return fact && fact->has_value() ? fact->value() : fallback;
}

std::string text_of(const json& j, const std::string& key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

// A device as discovery saw it, as the wizard records it.
json record_of(const DiscoveredDevice& found, const Profiles& profiles) {
    const std::string mac = normalize_mac(found.scopes.mac.value_or(""));
    const VendorProfile* vendor = profiles.vendor_by_mac(mac);
    return {{"key", device_key(found)},
            {"address", found.address},
            {"url", discover::device_service_url(found)},
            {"name", found.scopes.name.value_or(found.mdns_hostname)},
            {"manufacturer", ""},
            {"model", found.scopes.hardware.value_or("")},
            {"vendor", vendor ? vendor->vendor : ""},
            {"mac", mac},
            {"found_by", found.found_by},
            {"xaddrs", found.xaddrs},
            {"role", "camera"},
            {"snapshot_uri", ""},
            {"credentials", {{"username", ""}, {"state", "none"}}}};
}

// The record as the browser sees it: the site's own knowledge of the device (its address after a
// change, its name and maker once read) over what discovery saw; no sealed password.
json summary_of(json record, const std::optional<site::SiteDevice>& known) {
    if (known) {
        if (!known->current.address.empty()) record["address"] = known->current.address;
        for (auto [key, value] : {std::pair{"name", &known->name}, {"manufacturer", &known->manufacturer},
                                  {"model", &known->model}, {"mac", &known->mac}, {"role", &known->role}, {"url", &known->url}})
            if (!value->empty()) record[key] = *value;
    }
    record["credentials"].erase("sealed");
    record["snapshot"] = !text_of(record, "snapshot_uri").empty() && text_of(record["credentials"], "state") == "ok";
    record.erase("snapshot_uri");
    return record;
}

// kind: "apply" (the plan) or "undo" (back to the original settings), as the journal says.
std::optional<site::SiteDevice> find_device(const std::vector<site::SiteDevice>& known, const std::string& key) {
    for (const auto& d : known)
        if (d.key == key) return d;
    return std::nullopt;
}

json batch_json(const address::BatchOutcome& batch, const std::string& kind) {
    return {{"batch", batch.batch}, {"kind", kind}, {"results", batch.results}, {"all_done", batch.all_done()}};
}

json event_json(const address::DeviceEvent& e) {
    return {{"device_key", e.device_key}, {"label", e.label}, {"step", e.step}, {"detail", e.detail},
            {"finished", e.finished}, {"total", e.total}};
}

}  // namespace

// ---------------------------------------------------------------- sites

Result<std::unique_ptr<site::SiteDb>> Wizard::open_existing(const std::string& site) const {
    auto path = site::named_site_path(site);
    if (!path) return path.error();
    if (!std::filesystem::exists(*path))
        return Error{ErrorCode::NotFound, site, "there is no site of this name; start it in the wizard's first step", ""};
    return site::SiteDb::open(*path);
}

json Wizard::info() const {
    json interfaces = json::array();
    for (const auto& i : list_interfaces())
        if (i.address && !i.loopback)
            interfaces.push_back({{"name", i.name}, {"address", i.address->str()}, {"prefix", i.prefix}, {"up", i.up}});
    json sites = json::array();
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(site::sites_directory(), ec)) {
        if (entry.path().extension() != ".db") continue;
        const std::string name = entry.path().stem().string();
        auto db = open_existing(name);
        if (!db) continue;  // not a wizard name, or not readable: the CLI still reaches it with --site
        const json wizard = fact_or(**db, kWizardFact, json::object());
        struct stat st {};
        const std::string updated = ::stat(entry.path().c_str(), &st) == 0 ? utc_timestamp(st.st_mtime) : "";
        sites.push_back({{"name", name}, {"step", wizard.value("step", "site")}, {"interface", wizard.value("interface", "")},
                         {"updated_at", updated}});
    }
    return {{"version", SITELINK_VERSION},
            {"interfaces", interfaces},
            {"sites", sites},
            {"defaults", {{"interface", options_.interface}}}};
}

json Wizard::providers() const {
    json out = json::array();
    for (const auto& p : profiles_.ddns_providers)
        out.push_back({{"id", p.id}, {"name", p.name}, {"protocol", p.protocol}, {"base_url", p.base_url},
                       {"hostname_suffix", p.hostname_suffix}, {"username_label", p.username_label},
                       {"secret_label", p.secret_label}, {"notes", p.notes}});
    return out;
}

Result<json> Wizard::open_site(const OpenSite& request) {
    if (!request.interface.empty())
        if (auto found = find_interface(request.interface); !found) return found.error();
    auto path = site::named_site_path(request.name);
    if (!path) return path.error();
    auto db = site::SiteDb::open(*path);
    if (!db) return db.error();
    json wizard = fact_or(**db, kWizardFact, {{"step", "site"}, {"interface", ""}});
    if (!request.interface.empty()) wizard["interface"] = request.interface;
    if (auto r = (*db)->put_fact(kWizardFact, wizard); !r) return r.error();
    return site_state(request.name);
}

Result<Done> Wizard::set_step(const std::string& site, const std::string& step) {
    auto db = open_existing(site);
    if (!db) return db.error();
    json wizard = fact_or(**db, kWizardFact, json::object());
    wizard["step"] = step;
    return (*db)->put_fact(kWizardFact, wizard);
}

Result<std::string> Wizard::interface_of(site::SiteDb& db) const {
    const std::string chosen = fact_or(db, kWizardFact, json::object()).value("interface", "");
    if (chosen.empty())
        return Error{ErrorCode::Usage, "", "choose the interface on the cameras' network in the first step; nothing was sent", ""};
    return chosen;
}

Result<json> Wizard::devices_fact(site::SiteDb& db) const {
    auto fact = db.fact(kDevicesFact);
    if (!fact) return fact.error();
    return fact->has_value() && fact->value().is_object() ? fact->value() : json::object();
}

Result<json> Wizard::device_summaries(site::SiteDb& db) const {
    auto records = devices_fact(db);
    if (!records) return records.error();
    auto known = db.devices();
    if (!known) return known.error();
    json out = json::array();
    for (const auto& [key, record] : records->items()) {
        out.push_back(summary_of(record, find_device(*known, key)));
    }
    return out;
}

json Wizard::plan_json(site::SiteDb& db, const address::AddressPlan& plan) const {
    // Discovery may have found devices the plan cannot take (another subnet, reached by the
    // sweep): say so rather than let them drop out of the later steps unexplained.
    json out = plan;
    out["not_planned"] = json::array();
    std::set<std::string> planned;
    for (const auto& line : plan.lines) planned.insert(line.device.key);
    if (auto records = devices_fact(db))
        for (const auto& [key, record] : records->items())
            if (!planned.count(key))
                out["not_planned"].push_back(
                    {{"key", key},
                     {"reason", text_of(record, "name") + " (" + text_of(record, "address") + ") is not on the subnet " +
                                    plan.network.subnet.str() + " of " + plan.network.interface +
                                    ": Sitelink plans addresses, forwards ports and hands off only there, so it is left as it is"}});
    return out;
}

Result<json> Wizard::site_state(const std::string& site) {
    auto opened = open_existing(site);
    if (!opened) return opened.error();
    auto& db = **opened;
    const json wizard = fact_or(db, kWizardFact, json::object());
    auto devices = device_summaries(db);
    if (!devices) return devices.error();
    json state{{"name", site}, {"interface", wizard.value("interface", "")}, {"step", wizard.value("step", "site")},
               {"devices", *devices}, {"plan", nullptr}, {"batch", nullptr}, {"router", fact_or(db, kRouterStatusFact, nullptr)},
               {"forward_plan", nullptr}, {"forwards", json::array()}, {"ddns", nullptr}, {"verify", fact_or(db, kVerifyFact, nullptr)},
               {"handoff", fact_or(db, kHandoffFact, nullptr)}, {"job", nullptr}};
    if (fact_or(db, "network", nullptr).is_object())
        if (auto plan = address::saved_plan(db)) state["plan"] = plan_json(db, *plan);
    if (auto batch = db.latest_batch(); batch && batch->has_value())
        if (auto changes = db.changes_in_batch(**batch)) {
            json results = json::array();
            bool all_done = true;
            std::string kind = "apply";
            for (const auto& c : *changes) {
                kind = c.kind;
                results.push_back({{"device_key", c.device_key}, {"from", c.before.address}, {"to", c.after.address},
                                   {"kind", c.kind}, {"state", site::to_string(c.state)}, {"outcome", c.outcome}});
                all_done = all_done && c.state == site::ChangeState::Done;
            }
            state["batch"] = {{"batch", **batch}, {"kind", kind}, {"results", results}, {"all_done", all_done}};
        }
    if (fact_or(db, "forward_plan", nullptr).is_object())
        if (auto plan = router::saved_forward_plan(db)) state["forward_plan"] = {{"rules", plan->rules}, {"skipped", plan->skipped}};
    if (auto forwards = db.forwards())
        for (const auto& f : *forwards)
            state["forwards"].push_back({{"device_key", f.device_key}, {"service", f.service}, {"protocol", f.protocol},
                                         {"external_port", f.external_port}, {"internal_client", f.internal_client},
                                         {"internal_port", f.internal_port}, {"state", f.state}, {"router", f.router}});
    if (auto settings = ddns::saved_settings(db); settings && settings->has_value()) {
        json d = **settings;
        d.erase("sealed_secret");
        d["has_secret"] = !(*settings)->sealed_secret.empty();
        if (auto st = ddns::saved_state(db)) d["state"] = *st;
        state["ddns"] = d;
    }
    if (auto job = jobs_.running(site)) state["job"] = job->summary();
    return state;
}

// ---------------------------------------------------------------- credentials and snapshots

Result<onvif_client::CredentialBook> Wizard::credential_book(site::SiteDb& db) const {
    auto records = devices_fact(db);
    if (!records) return records.error();
    onvif_client::CredentialBook book;
    for (const auto& [key, record] : records->items()) {
        const json& c = record.value("credentials", json::object());
        if (c.value("state", "") != "ok") continue;
        auto password = site::unseal(c.value("sealed", ""));
        if (!password) return password.error();
        book.by_device[key] = {c.value("username", ""), *password};
    }
    return book;
}

Result<json> Wizard::try_credentials(const std::string& site, const CredentialsTry& request) {
    auto opened = open_existing(site);
    if (!opened) return opened.error();
    auto& db = **opened;
    std::lock_guard lock(devices_mutex_);
    auto records = devices_fact(db);
    if (!records) return records.error();
    auto known = db.devices();
    if (!known) return known.error();
    for (const auto& key : request.devices)
        if (!records->contains(key)) return Error{ErrorCode::NotFound, key, "no such device on this site; run Discover again", ""};
    auto sealed = site::seal(request.password);
    if (!sealed) return sealed.error();
    std::vector<std::future<Result<DeviceReport>>> tries;
    for (const auto& key : request.devices) {
        const auto site_device = find_device(*known, key);
        // Where it answers now, after an address change; else where discovery saw it.
        const std::string url = site_device && !site_device->url.empty() ? site_device->url : text_of((*records)[key], "url");
        tries.push_back(std::async(std::launch::async, [url, request, this] {
            return inspect::inspect({url, onvif_client::Credentials{request.username, request.password}, options_.timeout});
        }));
    }
    json results = json::array();
    for (std::size_t i = 0; i < tries.size(); ++i) {
        const std::string& key = request.devices[i];
        json& record = (*records)[key];
        auto report = tries[i].get();
        json result{{"key", key}, {"ok", report.ok()}};
        if (report) {
            record["manufacturer"] = report->manufacturer;
            record["model"] = report->model;
            if (!report->mac.empty()) record["mac"] = normalize_mac(report->mac);
            const VendorProfile* vendor = profiles_.vendor_of(report->manufacturer);
            if (vendor) record["vendor"] = vendor->vendor;
            if (report->profiles.size() >= 4) record["role"] = "recorder";
            record["snapshot_uri"] = "";
            for (const auto& p : report->profiles)
                if (!p.snapshot_uri.empty()) {
                    record["snapshot_uri"] = p.snapshot_uri;
                    break;
                }
            record["credentials"] = {{"username", request.username}, {"sealed", *sealed}, {"state", "ok"}, {"auth", report->auth}};
        } else {
            Error error = report.error();
            error.device = text_of(record, "name") + " (" + text_of(record, "address") + ")";  // the name, not only the address
            result["error"] = error_json(error);
            // Credentials that worked before are kept: trying a brand's password must not lose them.
            if (record["credentials"].value("state", "") != "ok")
                record["credentials"] = {{"username", request.username}, {"state", "failed"}, {"error", error_json(error)}};
        }
        result["device"] = summary_of(record, find_device(*known, key));
        results.push_back(result);
    }
    if (auto r = db.put_fact(kDevicesFact, *records); !r) return r.error();
    return json{{"results", results}};
}

Result<Wizard::Image> Wizard::snapshot(const std::string& site, const std::string& device_key) {
    auto opened = open_existing(site);
    if (!opened) return opened.error();
    auto& db = **opened;
    auto records = devices_fact(db);
    if (!records) return records.error();
    if (!records->contains(device_key)) return Error{ErrorCode::NotFound, device_key, "no such device on this site", ""};
    const json& record = (*records)[device_key];
    std::string uri = text_of(record, "snapshot_uri");
    if (uri.empty() || record["credentials"].value("state", "") != "ok")
        return Error{ErrorCode::NotFound, text_of(record, "name"), "no snapshot yet: the device's credentials are needed first, or it offers none", ""};
    auto book = credential_book(db);
    if (!book) return book.error();
    const auto credentials = book->for_device(device_key);
    if (auto known = db.device(device_key); known && known->has_value() && !(*known)->current.address.empty())
        uri = on_device_host(uri, "http://" + (*known)->current.address + "/");
    auto interface = interface_of(db);
    if (!interface) return interface.error();
    const auto [origin, path] = split_url(uri);
    httplib::Client client(origin);
    client.set_interface(*interface);
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(options_.timeout);
    client.set_connection_timeout(seconds);
    client.set_read_timeout(seconds);
    if (credentials) client.set_digest_auth(credentials->username, credentials->password);
    const std::string device = text_of(record, "name") + " (" + url_host(uri) + ")";
    auto res = client.Get(path.empty() ? "/" : path);
    if (!res) return Error{ErrorCode::TimedOut, device, "the snapshot did not come: " + httplib::to_string(res.error()), ""};
    if (res->status == 401) return Error{ErrorCode::AuthFailed, device, "the snapshot was refused", "HTTP 401"};
    const std::string type = res->get_header_value("Content-Type");
    if (res->status != 200 || type.rfind("image/", 0) != 0)
        return Error{ErrorCode::MalformedAnswer, device, "the snapshot URL answered " + type + " instead of an image",
                     "HTTP " + std::to_string(res->status)};
    return Image{type, res->body};
}

// ---------------------------------------------------------------- jobs

Result<std::shared_ptr<Job>> Wizard::start(const std::string& site, const std::string& kind,
                                           std::function<Result<json>(site::SiteDb&, Job&)> body, bool changes_devices) {
    auto path = site::named_site_path(site);
    if (!path) return path.error();
    if (!std::filesystem::exists(*path))
        return Error{ErrorCode::NotFound, site, "there is no site of this name; start it in the wizard's first step", ""};
    auto self = shared_from_this();
    return jobs_.start(site, kind, [self, path = *path, body = std::move(body), changes_devices](Job& job) -> Result<json> {
        auto db = site::SiteDb::open(path);
        if (!db) return db.error();
        if (changes_devices)
            if (auto locked = (*db)->lock_for_changes(); !locked) return locked.error();
        return body(**db, job);
    });
}

Result<std::shared_ptr<Job>> Wizard::discover(const std::string& site, const DiscoverChoices& choices) {
    return start(site, "discover", [this, choices](site::SiteDb& db, Job& job) -> Result<json> {
        auto interface = interface_of(db);
        if (!interface) return interface.error();
        discover::DiscoverRequest request;
        request.interface = *interface;
        request.sweep = choices.sweep;
        request.timeout = options_.discover_timeout;
        request.mdns_services = profiles_.mdns_services();
        job.note("asking on " + *interface + (choices.sweep ? " and sweeping " + *choices.sweep : "") + "...");
        discover::DiscoverProgress progress;
        progress.on_new_device = [&](const DiscoveredDevice& d) { job.progress({{"device", summary_of(record_of(d, profiles_), std::nullopt)}}); };
        progress.on_note = [&](const std::string& note) { job.note(note); };
        auto outcome = discover::discover(request, progress);
        if (!outcome) return outcome.error();
        std::lock_guard lock(devices_mutex_);
        auto records = devices_fact(db);
        if (!records) return records.error();
        for (const auto& found : outcome->devices) {
            json fresh = record_of(found, profiles_);
            json& record = (*records)[text_of(fresh, "key")];
            if (record.is_null()) record = fresh;
            else  // seen before: what the credentials taught is kept
                for (const char* key : {"address", "url", "found_by", "xaddrs"}) record[key] = fresh[key];
        }
        if (auto r = db.put_fact(kDevicesFact, *records); !r) return r.error();
        auto summaries = device_summaries(db);
        if (!summaries) return summaries.error();
        return json{{"devices", *summaries}, {"notes", outcome->notes}};
    }, false);
}

Result<std::shared_ptr<Job>> Wizard::plan_addresses(const std::string& site, const AddressChoices& choices) {
    return start(site, "address-plan", [this, choices](site::SiteDb& db, Job& job) -> Result<json> {
        auto interface = interface_of(db);
        if (!interface) return interface.error();
        auto book = credential_book(db);
        if (!book) return book.error();
        address::PlanRequest request;
        request.interface = *interface;
        request.credentials = *book;
        request.dhcp_pool = choices.dhcp_pool;
        request.choices = choices.choices;
        request.mdns_services = profiles_.mdns_services();
        request.timeout = options_.timeout;
        auto plan = address::plan_addresses(request, db, [&](const std::string& note) { job.note(note); });
        if (!plan) return plan.error();
        json out = plan_json(db, *plan);
        for (const auto& left_out : out["not_planned"]) job.note(left_out["reason"]);
        return out;
    }, false);
}

Result<std::shared_ptr<Job>> Wizard::address_batch(const std::string& site, const std::string& kind, AddressBatch action) {
    return start(site, kind, [this, action, kind](site::SiteDb& db, Job& job) -> Result<json> {
        auto book = credential_book(db);
        if (!book) return book.error();
        address::ApplyRequest request{std::move(book.value())};
        request.call_timeout = options_.timeout;
        auto outcome = action(db, request, [&](const address::DeviceEvent& e) { job.progress(event_json(e)); });
        if (!outcome) return outcome.error();
        return batch_json(*outcome, kind == "address-undo" ? "undo" : "apply");
    }, true);
}

Result<std::shared_ptr<Job>> Wizard::apply_addresses(const std::string& site) {
    // An interrupted batch is finished first, as `sitelink resume` would.
    return address_batch(site, "address-apply", [](site::SiteDb& db, const address::ApplyRequest& request, const address::EventSink& sink) {
        auto unfinished = db.unfinished_batch();
        if (!unfinished) return Result<address::BatchOutcome>(unfinished.error());
        return unfinished->has_value() ? address::resume(db, request, sink) : address::apply_plan(db, request, sink);
    });
}

Result<std::shared_ptr<Job>> Wizard::undo_addresses(const std::string& site) { return address_batch(site, "address-undo", address::undo); }

router::StatusRequest Wizard::status_request(const std::string& interface) const {
    router::StatusRequest request;
    request.interface = interface;
    if (!options_.igd.empty()) request.description_url = options_.igd;
    if (options_.ip_echo != "none") request.ip_echo_url = options_.ip_echo;
    return request;
}

Result<std::shared_ptr<Job>> Wizard::router_status(const std::string& site) {
    return start(site, "router-status", [this](site::SiteDb& db, Job& job) -> Result<json> {
        auto interface = interface_of(db);
        if (!interface) return interface.error();
        job.note("looking for the router's UPnP service on " + *interface + "...");
        auto status = router::router_status(status_request(*interface), &db);
        if (!status) return status.error();
        if (status->router)
            if (auto r = router::remember_router(db, *status->router); !r) return r.error();
        json out = *status;
        if (auto r = db.put_fact(kRouterStatusFact, out); !r) return r.error();
        return out;
    }, false);
}

Result<std::shared_ptr<Job>> Wizard::plan_forwarding(const std::string& site, const router::ForwardChoices& choices) {
    return start(site, "forward-plan", [this, choices](site::SiteDb& db, Job& job) -> Result<json> {
        auto book = credential_book(db);
        if (!book) return book.error();
        job.note("reading each device's services...");
        auto plan = router::plan_forwarding({*book, options_.timeout, choices}, db, profiles_);
        if (!plan) return plan.error();
        return json{{"rules", plan->rules}, {"skipped", plan->skipped}};
    }, false);
}

json Wizard::forward_result(const router::ForwardOutcome& outcome, bool undo, const std::string& interface) const {
    json results = json::array();
    std::vector<router::ForwardRule> by_hand;
    for (const auto& r : outcome.results) {
        json item{{"rule", r.rule}, {"state", r.state}};
        if (r.error) item["error"] = error_json(*r.error);
        results.push_back(item);
        if (r.state == (undo ? "manual" : "refused")) by_hand.push_back(r.rule);
    }
    std::string guide;
    if (!by_hand.empty()) {
        const auto& profile = router::router_profile_for(profiles_, outcome.router);
        const auto gateway = default_gateway(interface);
        const std::string at = gateway ? gateway->str() : "";
        if (undo) {
            guide = "These rules were set by hand; Sitelink cannot see or remove them:\n\n" + router::removal_guide(by_hand, profile, at);
        } else {
            if (outcome.no_router) {
                guide = outcome.no_router->summary() + "\n";
                if (profile.upnp_menu)
                    guide += "To let Sitelink set them itself, switch UPnP on at " + router::menu_path(*profile.upnp_menu) + " and apply again.\n";
            } else if (outcome.secure_mode) {
                guide = outcome.router->label() + " only forwards ports to the computer asking (UPnP secure mode), so it refused the rules for the devices.\n";
            }
            guide += "Set these rules by hand:\n\n" + router::manual_guide(by_hand, profile, at);
        }
    }
    return {{"router", outcome.router ? json(*outcome.router) : json(nullptr)}, {"results", results},
            {"secure_mode", outcome.secure_mode}, {"guide", guide}};
}

Result<std::shared_ptr<Job>> Wizard::forward_batch(const std::string& site, const std::string& kind, ForwardBatch action, bool undo) {
    return start(site, kind, [this, action, undo](site::SiteDb& db, Job& job) -> Result<json> {
        auto interface = interface_of(db);
        if (!interface) return interface.error();
        router::ForwardRequest request;
        request.interface = *interface;
        if (!options_.igd.empty()) request.description_url = options_.igd;
        auto outcome = action(db, request, [&](const router::RuleEvent& e) {
            job.progress({{"rule", e.rule}, {"step", e.step}, {"detail", e.detail}});
        });
        if (!outcome) return outcome.error();
        if (outcome->router)
            if (auto r = router::remember_router(db, *outcome->router); !r) return r.error();
        return forward_result(*outcome, undo, *interface);
    }, true);
}

Result<std::shared_ptr<Job>> Wizard::apply_forwarding(const std::string& site) {
    return forward_batch(site, "forward-apply", router::apply_forwarding, false);
}

Result<std::shared_ptr<Job>> Wizard::undo_forwarding(const std::string& site) {
    return forward_batch(site, "forward-undo", router::undo_forwarding, true);
}

Result<json> Wizard::configure_ddns(const std::string& site, const ddns::DdnsSetRequest& request) {
    auto opened = open_existing(site);
    if (!opened) return opened.error();
    auto settings = ddns::configure_ddns(**opened, profiles_, request);
    if (!settings) return settings.error();
    json out = *settings;
    out.erase("sealed_secret");
    out["has_secret"] = !settings->sealed_secret.empty();
    return json{{"ddns", out}};
}

Result<std::shared_ptr<Job>> Wizard::update_ddns(const std::string& site) {
    return start(site, "ddns-update", [this](site::SiteDb& db, Job& job) -> Result<json> {
        auto interface = interface_of(db);
        if (!interface) return interface.error();
        job.note("reading the site's external address from the router and the internet...");
        auto status = router::router_status(status_request(*interface), &db);
        if (!status) return status.error();
        const std::string address = router::site_external_address(*status);
        if (address.empty())
            return Error{ErrorCode::Precondition, "", "neither the router nor a what-is-my-IP service said the site's external address; check the Router step", ""};
        job.note("pointing the name at " + address + "...");
        ddns::UpdateOptions options;
        options.address = address;
        options.interface = *interface;
        auto outcome = ddns::update_ddns(db, profiles_, options);
        if (!outcome) return outcome.error();
        return json{{"action", outcome->action}, {"address", outcome->address}, {"detail", outcome->detail},
                    {"answer", {{"code", outcome->answer.code}, {"message", outcome->answer.message}, {"advice", outcome->answer.advice}}}};
    }, false);
}

Result<std::shared_ptr<Job>> Wizard::verify(const std::string& site) {
    return start(site, "verify", [this](site::SiteDb& db, Job& job) -> Result<json> {
        auto interface = interface_of(db);
        if (!interface) return interface.error();
        verify::VerifyRequest request;
        request.status = status_request(*interface);
        if (!options_.resolvers.empty()) request.resolvers = options_.resolvers;
        request.probe = options_.probe;
        if (request.probe) request.probe->interface = *interface;
        request.timeout = options_.timeout;
        job.note("checking the site from the router, public resolvers and the probe server...");
        auto report = verify::verify_site(db, request);
        if (!report) return report.error();
        json out = *report;
        out["passed"] = report->passed();
        if (auto r = db.put_fact(kVerifyFact, out); !r) return r.error();
        return out;
    }, false);
}

Result<std::shared_ptr<Job>> Wizard::handoff(const std::string& site, const HandoffChoices& choices) {
    return start(site, "handoff", [this, choices, site](site::SiteDb& db, Job& job) -> Result<json> {
        auto book = credential_book(db);
        if (!book) return book.error();
        handoff::ViewerRequest request;
        request.admin = *book;
        request.username = choices.viewer_user;
        request.create_accounts = choices.create_viewer;
        request.timeout = options_.timeout;
        job.note(choices.create_viewer ? "making the viewer account on every device..." : "reading every device's streams...");
        auto devices = handoff::prepare_viewers(db, request, [&](const handoff::DeviceHandoff& d) { job.progress({{"device", d}}); });
        if (!devices) return devices.error();
        auto bundle = handoff::build_bundle(db, profiles_, handoff::BundleOptions{choices.installer, false, "", "", ""});
        if (!bundle) return bundle.error();
        const auto dir = db.path().parent_path() / (site + "-handoff");
        auto files = handoff::write_bundle(*bundle, dir, dir.string() + ".zip");
        if (!files) return files.error();
        json qr = json::array();
        for (const auto& code : bundle->qr_codes)
            qr.push_back({{"name", code.name}, {"payload", code.payload}, {"svg", handoff::qr_svg(code)}});
        json names = json::array();
        for (const auto& f : *files) names.push_back(f.lexically_relative(dir.parent_path()).string());
        json out{{"devices", *devices}, {"warnings", bundle->warnings}, {"qr", qr}, {"site", bundle->site_json}, {"files", names},
                 {"written_at", utc_timestamp(std::time(nullptr))}};
        if (auto r = db.put_fact(kHandoffFact, out); !r) return r.error();
        return out;
    }, true);
}

Result<std::filesystem::path> Wizard::handoff_file(const std::string& site, const std::string& which) {
    auto opened = open_existing(site);
    if (!opened) return opened.error();
    const auto dir = (*opened)->path().parent_path() / (site + "-handoff");
    const auto path = which == "sheet" ? dir / "handoff.html" : std::filesystem::path(dir.string() + ".zip");
    if (!std::filesystem::exists(path))
        return Error{ErrorCode::NotFound, site, "the hand-off has not been written yet; run the Hand-off step", ""};
    return path;
}

}  // namespace sitelink::web
