// Carrying out address changes: one worker per device (bounded), each change journaled before it
// is sent, every device found and read back afterwards, and put back as it was when that fails.
#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <semaphore>
#include <set>
#include <thread>

#include "address/address.h"
#include "address/lan_probe.h"
#include "discover/discover.h"
#include "onvif_client/operations.h"

namespace sitelink::address {

namespace {

using namespace std::chrono;
using site::ChangeState;

// A device that answers at an address, and what it says its network settings are.
struct Reading {
    std::string url;
    NetworkSettings settings;
};

// What a session with a device learned that the next session can reuse: a re-addressed device
// still has the same clock, which WS-UsernameToken needs. (Authentication is negotiated again:
// a Digest session cannot be carried over without the device's nonce.)
struct DeviceMemo {
    std::optional<double> clock_offset_s;
};

bool same_dns(std::vector<std::string> a, std::vector<std::string> b) {
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    return a == b;
}

bool address_matches(const NetworkSettings& now, const NetworkSettings& target) {
    if (target.dhcp) return now.dhcp;
    return !now.dhcp && now.address == target.address && now.prefix == target.prefix;
}

// With DHCP on, gateway and DNS come from the DHCP server: only the address part is compared.
bool settings_match(const NetworkSettings& now, const NetworkSettings& target) {
    if (!address_matches(now, target)) return false;
    if (target.dhcp) return true;
    if (target.gateway && now.gateway != target.gateway) return false;
    return target.dns.empty() || same_dns(now.dns, target.dns);
}

std::string describe(const NetworkSettings& s) {
    if (s.dhcp) return "DHCP (" + s.address + ")";
    std::string text = s.address + "/" + std::to_string(s.prefix) + " gateway " + s.gateway.value_or("none") + " DNS";
    for (const auto& d : s.dns) text += " " + d;
    return s.dns.empty() ? text + " none" : text;
}

nlohmann::json journal_value(const NetworkSettings& s) { return s; }

// Some firmware reports a new address as soon as it is set, while it still answers at the old one
// until it reboots: only an answer from the target address itself counts.
bool at_target(const Reading& reading, const NetworkSettings& target) {
    return target.dhcp || url_host(reading.url) == target.address;
}

bool answered(const Error& e) {
    // The device spoke: the write was refused, not lost in transit.
    return e.code == ErrorCode::DeviceFault || e.code == ErrorCode::AuthFailed || e.code == ErrorCode::NotPermitted ||
           e.code == ErrorCode::MalformedAnswer || e.code == ErrorCode::NotOnvif;
}

// Devices in flight at once, each on its own thread: most of them are waiting for a reboot. How
// many talk to their device at the same moment is ApplyRequest::parallel.
constexpr int kMaxInFlight = 256;

class Batch {
public:
    Batch(site::SiteDb& site, const ApplyRequest& request, const EventSink& events, SiteNetwork network, NetworkInterface nic)
        : site_(site), request_(request), events_(events), network_(std::move(network)), nic_(std::move(nic)),
          talking_(std::max(1, request.parallel)) {}

    // Carries out every change, `parallel` devices at a time. `checked` holds target addresses
    // already probed free for the whole batch (apply); the others are probed one by one.
    BatchOutcome run(std::int64_t batch, const std::vector<site::Change>& changes, const std::set<std::string>& prechecked,
                     const std::map<std::string, AddressHolder>& taken) {
        prechecked_ = prechecked;
        taken_ = taken;
        total_ = static_cast<int>(changes.size());
        BatchOutcome outcome{batch, std::vector<DeviceResult>(changes.size())};
        std::atomic<std::size_t> next{0};
        std::vector<std::future<void>> workers;
        const int count = std::clamp(total_, 1, kMaxInFlight);
        for (int w = 0; w < count; ++w)
            workers.push_back(std::async(std::launch::async, [&] {
                for (std::size_t i = next++; i < changes.size(); i = next++) outcome.results[i] = carry_out(changes[i]);
            }));
        for (auto& w : workers) w.get();
        return outcome;
    }

private:
    void emit(const site::SiteDevice& d, const std::string& step, const std::string& detail, bool finished = false) {
        if (finished) ++finished_;
        if (!events_) return;
        std::lock_guard lock(events_mutex_);
        events_({d.key, d.label(), step, detail, finished_.load(), total_});
    }

    std::string url_at(const site::SiteDevice& d, const std::string& address) const {
        return on_device_host(d.url, "http://" + address + "/");
    }

    std::shared_ptr<onvif_client::Session> session_at(const site::SiteDevice& d, const std::string& address,
                                                      milliseconds timeout, const DeviceMemo& memo) {
        auto session = std::make_shared<onvif_client::Session>(url_at(d, address), request_.credentials.for_device(d.key),
                                                               onvif_client::SessionOptions{timeout});
        if (memo.clock_offset_s) session->set_clock_offset_s(*memo.clock_offset_s);
        return session;
    }

    // Holds one of the `parallel` conversation slots while a device is being talked to.
    class Talking {
    public:
        explicit Talking(std::counting_semaphore<>& slots) : slots_(slots) { slots_.acquire(); }
        ~Talking() { slots_.release(); }
        Talking(const Talking&) = delete;
        Talking& operator=(const Talking&) = delete;

    private:
        std::counting_semaphore<>& slots_;
    };

    // Reads the device's network settings at an address, making sure it is the same device.
    // Polling a rebooting device takes no slot: most polls only wait for a connection, and
    // holding slots for them would starve the devices that are ready to be talked to.
    enum class Slot { Take, Skip };
    Result<Reading> read_at(const site::SiteDevice& d, const std::string& address, milliseconds timeout, DeviceMemo& memo,
                            Slot slot = Slot::Take) {
        std::optional<Talking> talking;
        if (slot == Slot::Take) talking.emplace(talking_);
        auto session = session_at(d, address, timeout, memo);
        if (!memo.clock_offset_s) {
            if (auto clock = onvif_client::GetSystemDateAndTime(*session); !clock) return clock.error();
        }
        memo.clock_offset_s = session->clock_offset_s();
        auto interfaces = onvif_client::GetNetworkInterfaces(*session);
        if (!interfaces) return interfaces.error();
        const onvif_client::InterfaceState* chosen = nullptr;
        for (const auto& i : interfaces.value())
            if (i.token == d.current.interface_token || (!chosen && !i.address.empty())) chosen = &i;
        if (!chosen) return Error{ErrorCode::MalformedAnswer, address, "it reports no IPv4 interface", ""};
        if (!d.mac.empty() && !chosen->mac.empty() && normalize_mac(chosen->mac) != d.mac)
            return Error{ErrorCode::Precondition, address,
                         "another device answers there (MAC " + normalize_mac(chosen->mac) + ", expected " + d.mac + ")", ""};
        Reading r{session->device_url(), {}};
        r.settings.address = chosen->address;
        r.settings.prefix = chosen->prefix;
        r.settings.dhcp = chosen->dhcp;
        r.settings.interface_token = chosen->token;
        auto gateway = onvif_client::GetNetworkDefaultGateway(*session);
        if (!gateway) return gateway.error();
        r.settings.gateway = gateway.value();
        auto dns = onvif_client::GetDNS(*session);
        if (!dns) return dns.error();
        r.settings.dns = dns.value();
        return r;
    }

    // Finds the device: at each address given, then by WS-Discovery (EndpointReference or MAC).
    std::optional<Reading> locate(const site::SiteDevice& d, const std::vector<std::string>& addresses, DeviceMemo& memo) {
        const milliseconds quick = std::min(request_.call_timeout, milliseconds(2000));
        std::set<std::string> tried;
        for (const auto& a : addresses) {
            if (a.empty() || !tried.insert(a).second) continue;
            if (auto r = read_at(d, a, quick, memo)) return r.value();
        }
        for (const auto& found : discovered()) {
            const bool same = (!d.endpoint.empty() && found.endpoint == d.endpoint) ||
                              (!d.mac.empty() && normalize_mac(found.scopes.mac.value_or("")) == d.mac);
            if (!same || tried.count(found.address)) continue;
            if (auto r = read_at(d, found.address, quick, memo)) return r.value();
        }
        return std::nullopt;
    }

    // One WS-Discovery round shared by every worker that is looking for a device right now.
    std::vector<DiscoveredDevice> discovered() {
        std::lock_guard lock(discovery_mutex_);
        if (steady_clock::now() - discovered_at_ > seconds(2)) {
            discover::DiscoverRequest find;
            find.interface = network_.interface;
            find.timeout = milliseconds(3000);
            auto found = discover::discover(find);
            discovered_ = found ? found->devices : std::vector<DiscoveredDevice>{};
            discovered_at_ = steady_clock::now();
        }
        return discovered_;
    }

    // One write, journaled before it is sent and after it is answered.
    template <class Call>
    Result<Done> journaled(std::int64_t change, const std::string& operation, const nlohmann::json& intent,
                           const nlohmann::json& previous, Call call) {
        auto entry = site_.journal_intent(change, operation, intent, previous);
        if (!entry) return entry.error();
        auto result = call();
        const std::string text = result ? "ok" : result.error().summary();
        if (auto r = site_.journal_result(entry.value(), result.ok(), text); !r) return r.error();
        return result;
    }

    // Writes what differs between `now` and `target`: gateway and DNS first, while the device is
    // still at the address Sitelink reaches it at, then the interface, then a reboot if asked for.
    // Returns whether the interface was changed (the device will move).
    Result<bool> write(const site::SiteDevice& d, std::int64_t change, const Reading& now, const NetworkSettings& target,
                       DeviceMemo& memo) {
        Talking talking(talking_);
        auto session = session_at(d, url_host(now.url), request_.call_timeout, memo);
        if (!target.dhcp && target.gateway && now.settings.gateway != target.gateway) {
            auto r = journaled(change, "SetNetworkDefaultGateway", *target.gateway, now.settings.gateway.value_or(""),
                               [&] { return onvif_client::SetNetworkDefaultGateway(*session, *target.gateway); });
            if (!r) return r.error();
        }
        if (!target.dhcp && !target.dns.empty() && !same_dns(now.settings.dns, target.dns)) {
            auto r = journaled(change, "SetDNS", target.dns, now.settings.dns,
                               [&] { return onvif_client::SetDNS(*session, target.dns); });
            if (!r) return r.error();
        }
        if (address_matches(now.settings, target) && at_target(now, target)) return false;
        const onvif_client::Ipv4Config config{now.settings.interface_token, target.address, target.prefix, target.dhcp};
        bool reboot_needed = false;
        auto r = journaled(change, "SetNetworkInterfaces", journal_value(target), journal_value(now.settings), [&]() -> Result<Done> {
            auto answer = onvif_client::SetNetworkInterfaces(*session, config);
            if (!answer) return answer.error();
            reboot_needed = answer.value();
            return Done{};
        });
        if (!r) return r.error();
        if (reboot_needed) {
            emit(d, "rebooting", "the device needs a reboot to take the new address");
            auto rebooted = journaled(change, "SystemReboot", nlohmann::json::object(), nlohmann::json::object(),
                                      [&]() -> Result<Done> {
                                          auto answer = onvif_client::SystemReboot(*session);
                                          if (!answer) return answer.error();
                                          return Done{};
                                      });
            if (!rebooted) return rebooted.error();
        }
        return true;
    }

    // Waits for the device to answer with the target settings; returns the last reading.
    std::optional<Reading> wait_for(const site::SiteDevice& d, const NetworkSettings& target, const std::string& old_address,
                                    DeviceMemo& memo) {
        const auto deadline = steady_clock::now() + request_.come_back_timeout;
        const auto started = steady_clock::now();
        const milliseconds poll_timeout = std::min(request_.call_timeout, milliseconds(2000));
        auto last_note = started;
        while (steady_clock::now() < deadline) {
            std::optional<Reading> reading;
            if (!target.dhcp) {
                if (auto r = read_at(d, target.address, poll_timeout, memo, Slot::Skip)) reading = r.value();
            } else {
                // Back on DHCP the new address is the server's choice: look where it was, then everywhere.
                reading = locate(d, {old_address}, memo);
            }
            if (reading) return reading;
            if (steady_clock::now() - last_note >= seconds(5)) {
                last_note = steady_clock::now();
                emit(d, "waiting", std::to_string(duration_cast<seconds>(last_note - started).count()) + " s");
            }
            std::this_thread::sleep_for(request_.poll_interval);
        }
        return std::nullopt;
    }

    // Looks for the device at the addresses and by discovery until it answers or time is up.
    std::optional<Reading> wait_anywhere(const site::SiteDevice& d, const std::vector<std::string>& addresses, DeviceMemo& memo) {
        const auto deadline = steady_clock::now() + request_.come_back_timeout;
        while (steady_clock::now() < deadline) {
            if (auto found = locate(d, addresses, memo)) return found;
            std::this_thread::sleep_for(request_.poll_interval);
        }
        return std::nullopt;
    }

    struct Moved {
        ChangeState state;
        std::string outcome;
        std::optional<Error> error;
    };

    // Moves a device from `now` to `target` and verifies; on failure puts `fallback` back (unless
    // this already is the putting back).
    Moved move(const site::SiteDevice& d, const site::Change& c, const Reading& now, const NetworkSettings& target,
               const std::optional<NetworkSettings>& fallback, DeviceMemo& memo) {
        emit(d, fallback ? "writing" : "rolling-back", describe(target));
        auto wrote = write(d, c.id, now, target, memo);
        if (!wrote) {
            if (wrote.error().code == ErrorCode::SiteDatabase) return {ChangeState::Failed, "journal unavailable", wrote.error()};
            if (answered(wrote.error())) {
                // Refused: nothing moved; gateway or DNS may have been written before the refusal.
                if (!fallback) return {ChangeState::Failed, "the device refused the roll-back", wrote.error()};
                auto back = restore(d, c, *fallback, {now.settings.address}, memo);
                back.error = wrote.error();
                return back;
            }
            // Lost in transit: the device may have taken the change and moved. Look for it.
        }
        emit(d, "verifying", "waiting for it at " + (target.dhcp ? std::string("its DHCP address") : target.address));
        if (auto reading = wait_for(d, target, now.settings.address, memo)) {
            site_.update_device_network(d.key, reading->url, reading->settings);
            if (settings_match(reading->settings, target) && at_target(*reading, target))
                return {fallback ? ChangeState::Done : ChangeState::RolledBack,
                        (fallback ? "now " : "back to ") + describe(reading->settings), std::nullopt};
            Error not_kept{ErrorCode::ChangeNotKept, d.label(),
                           "asked for " + describe(target) + ", it reports " + describe(reading->settings), ""};
            if (!fallback) return {ChangeState::Failed, "roll-back not kept", not_kept};
            auto back = restore(d, c, *fallback, {reading->settings.address}, memo);
            back.error = not_kept;
            return back;
        }
        // Not at the target in time: wherever it is, put it back.
        auto found = locate(d, {now.settings.address, target.address, c.before.address}, memo);
        if (!found)
            return {ChangeState::Lost, "not answering at " + target.address + " or " + now.settings.address,
                    Error{ErrorCode::DeviceLost, d.label(),
                          "no answer within " + std::to_string(duration_cast<seconds>(request_.come_back_timeout).count()) +
                              " s at " + (target.dhcp ? "any address" : target.address) + ", and not found by discovery",
                          ""}};
        site_.update_device_network(d.key, found->url, found->settings);
        const Error cause = !wrote ? wrote.error()
                                   : Error{ErrorCode::ChangeNotKept, d.label(),
                                           "it accepted " + describe(target) + " but still answers at " + found->settings.address, ""};
        if (!fallback) return {ChangeState::Failed, "roll-back not kept", cause};
        if (settings_match(found->settings, *fallback))
            return {ChangeState::Failed, "unchanged: still " + describe(found->settings), cause};
        auto back = restore(d, c, *fallback, {found->settings.address}, memo);
        back.error = cause;
        return back;
    }

    Moved restore(const site::SiteDevice& d, const site::Change& c, const NetworkSettings& before,
                  const std::vector<std::string>& where, DeviceMemo& memo) {
        auto found = locate(d, where, memo);
        if (!found) return {ChangeState::Lost, "could not reach it to roll back", std::nullopt};
        if (settings_match(found->settings, before))
            return {ChangeState::Failed, "unchanged: still " + describe(found->settings), std::nullopt};
        return move(d, c, *found, before, std::nullopt, memo);
    }

    DeviceResult carry_out(const site::Change& c) {
        const auto started = steady_clock::now();
        DeviceResult result;
        result.device_key = result.label = c.device_key;
        result.from = c.before.address;
        result.to = c.after.dhcp ? "DHCP" : c.after.address;
        auto record = site_.device(c.device_key);
        if (!record || !record->has_value()) {
            result.state = ChangeState::Failed;
            result.error = record ? Error{ErrorCode::SiteDatabase, c.device_key, "the device is missing from the site", ""}
                                  : record.error();
            return result;
        }
        const site::SiteDevice d = **record;
        result.label = d.label();
        auto finish = [&](ChangeState state, std::string outcome, std::optional<Error> error) {
            result.state = state;
            result.outcome = std::move(outcome);
            result.error = std::move(error);
            result.seconds = duration<double>(steady_clock::now() - started).count();
            site_.set_change_state(c.id, state, result.outcome + (result.error ? " [" + result.error->id() + "]" : ""));
            emit(d, to_string(state), result.outcome, true);
            return result;
        };
        if (!c.after.dhcp && (!Ipv4::parse(c.after.address) || c.after.prefix < 1 || c.after.prefix > 32))
            return finish(ChangeState::Failed, "nothing was changed",
                          Error{ErrorCode::SiteDatabase, d.label(), "the saved target " + describe(c.after) + " is incomplete", ""});
        DeviceMemo memo;
        emit(d, "checking", "finding it");
        if (auto r = site_.set_change_state(c.id, ChangeState::InProgress, ""); !r)
            return finish(ChangeState::Failed, "journal unavailable", r.error());
        // A change not started yet finds the device where the site last saw it; only an interrupted
        // one may have moved it already. (Trying an address nobody holds costs an ARP timeout.)
        const std::string maybe_moved = c.state == ChangeState::Pending || c.after.dhcp ? "" : c.after.address;
        const std::vector<std::string> known = {maybe_moved, d.current.address, c.before.address};
        auto now = locate(d, known, memo);
        if (!now && c.state != ChangeState::Pending) {
            // Interrupted mid-change: it may be rebooting right now. Give it the usual time.
            emit(d, "waiting", "not answering yet; it may be rebooting");
            now = wait_anywhere(d, known, memo);
        }
        if (!now) {
            if (c.state == ChangeState::Pending)
                return finish(ChangeState::Failed, "not answering; nothing was changed",
                              Error{ErrorCode::DeviceLost, d.label(), "no answer at " + d.current.address + " or by discovery", ""});
            return finish(ChangeState::Lost, "still not answering",
                          Error{ErrorCode::DeviceLost, d.label(), "no answer at " + c.after.address + ", " + c.before.address + " or by discovery", ""});
        }
        site_.update_device_network(d.key, now->url, now->settings);
        if (settings_match(now->settings, c.after) && at_target(*now, c.after))
            return finish(ChangeState::Done, "verified: " + describe(now->settings), std::nullopt);

        if (!c.after.dhcp && now->settings.address != c.after.address && request_.check_conflicts) {
            if (auto holder = holder_of(c.after.address))
                return finish(ChangeState::Failed, "nothing was changed",
                              Error{ErrorCode::AddressInUse, d.label(),
                                    c.after.address + " answers " + holder->seen_by + (holder->mac.empty() ? "" : " from " + holder->mac), ""});
        }
        auto moved = move(d, c, *now, c.after, c.before, memo);
        return finish(moved.state, moved.outcome, moved.error);
    }

    // Who holds an address, from the batch's probe or (resume, undo) a probe of its own.
    std::optional<AddressHolder> holder_of(const std::string& address) {
        if (auto hit = taken_.find(address); hit != taken_.end()) return hit->second;
        if (prechecked_.count(address)) return std::nullopt;
        auto holders = find_addresses_in_use(nic_, {*Ipv4::parse(address)});
        if (!holders || holders->empty()) return std::nullopt;
        return holders->front();
    }

    site::SiteDb& site_;
    const ApplyRequest& request_;
    const EventSink& events_;
    SiteNetwork network_;
    NetworkInterface nic_;
    std::set<std::string> prechecked_;
    std::map<std::string, AddressHolder> taken_;
    std::atomic<int> finished_{0};
    int total_ = 0;
    std::counting_semaphore<> talking_;
    std::mutex events_mutex_;
    std::mutex discovery_mutex_;
    steady_clock::time_point discovered_at_{};
    std::vector<DiscoveredDevice> discovered_;
};

struct Prepared {
    SiteNetwork network;
    NetworkInterface nic;
};

// Takes the site's lock and loads its network. A new batch (`starting`) must not begin while an
// interrupted one is unfinished: its devices would be changed twice.
Result<Prepared> prepare(site::SiteDb& site, const char* starting = nullptr) {
    if (auto r = site.lock_for_changes(); !r) return r.error();
    if (starting) {
        auto unfinished = site.unfinished_batch();
        if (!unfinished) return unfinished.error();
        if (unfinished->has_value())
            return Error{ErrorCode::Precondition, site.path().string(),
                         "batch " + std::to_string(**unfinished) + " was interrupted; run `sitelink resume` to finish it, then " +
                             starting,
                         ""};
    }
    auto network = site.fact("network");
    if (!network) return network.error();
    if (!network->has_value())
        return Error{ErrorCode::Precondition, site.path().string(),
                     "this site has no address plan yet; run `sitelink address plan --interface IF` first", ""};
    Prepared p;
    try {
        p.network = network->value().get<SiteNetwork>();
    } catch (const std::exception& e) {
        return Error{ErrorCode::SiteDatabase, site.path().string(), std::string("the saved network is damaged: ") + e.what(), ""};
    }
    auto nic = find_interface(p.network.interface);
    if (!nic) return nic.error();
    p.nic = nic.value();
    return p;
}

}  // namespace

bool BatchOutcome::all_done() const {
    return std::all_of(results.begin(), results.end(), [](const DeviceResult& r) { return r.state == ChangeState::Done; });
}

void to_json(nlohmann::json& j, const DeviceResult& v) {
    j = {{"device", v.device_key}, {"label", v.label}, {"from", v.from},   {"to", v.to},
         {"state", to_string(v.state)}, {"outcome", v.outcome}, {"seconds", v.seconds}};
    if (v.error)
        j["error"] = {{"id", v.error->id()}, {"message", v.error->summary()}, {"advice", v.error->advice()}};
}

Result<BatchOutcome> apply_plan(site::SiteDb& site, const ApplyRequest& request, const EventSink& events) {
    auto prepared = prepare(site, "apply again");
    if (!prepared) return prepared.error();
    auto plan = saved_plan(site);
    if (!plan) return plan.error();

    // Every target address is probed once for the whole batch, before anything is written.
    std::vector<Ipv4> to_probe;
    std::set<std::string> prechecked;
    for (const auto& line : plan->lines)
        if (line.planned.action == "change" && line.planned.target.address != line.device.current.address) {
            to_probe.push_back(*Ipv4::parse(line.planned.target.address));
            prechecked.insert(line.planned.target.address);
        }
    std::map<std::string, AddressHolder> taken;
    if (request.check_conflicts && !to_probe.empty()) {
        auto holders = find_addresses_in_use(prepared->nic, to_probe);
        if (!holders) return holders.error();
        for (const auto& h : holders.value()) taken[h.address.str()] = h;
    }

    auto batch = site.start_batch("apply");
    if (!batch) return batch.error();
    std::vector<site::Change> changes;
    for (const auto& line : plan->lines) {
        if (line.planned.action != "change") continue;
        auto id = site.add_change(batch.value(), line.device.key, "apply", line.device.current, line.planned.target);
        if (!id) return id.error();
        changes.push_back({id.value(), batch.value(), line.device.key, "apply", line.device.current, line.planned.target,
                           ChangeState::Pending, ""});
    }
    Batch run(site, request, events, prepared->network, prepared->nic);
    return run.run(batch.value(), changes, prechecked, taken);
}

Result<BatchOutcome> resume(site::SiteDb& site, const ApplyRequest& request, const EventSink& events) {
    auto prepared = prepare(site);
    if (!prepared) return prepared.error();
    auto batch = site.unfinished_batch();
    if (!batch) return batch.error();
    if (!batch->has_value()) return BatchOutcome{};
    auto changes = site.changes_in_batch(**batch);
    if (!changes) return changes.error();
    std::vector<site::Change> open;
    for (const auto& c : changes.value())
        if (!site::is_final(c.state)) open.push_back(c);
    Batch run(site, request, events, prepared->network, prepared->nic);
    return run.run(**batch, open, {}, {});
}

Result<BatchOutcome> undo(site::SiteDb& site, const ApplyRequest& request, const EventSink& events) {
    auto prepared = prepare(site, "undo");
    if (!prepared) return prepared.error();
    auto devices = site.devices();
    if (!devices) return devices.error();
    auto batch = site.start_batch("undo");
    if (!batch) return batch.error();
    std::vector<site::Change> changes;
    for (const auto& d : devices.value()) {
        // Never read: never changed, and nothing is known to put back.
        if (!d.network_read || settings_match(d.current, d.original)) continue;
        auto id = site.add_change(batch.value(), d.key, "undo", d.current, d.original);
        if (!id) return id.error();
        changes.push_back({id.value(), batch.value(), d.key, "undo", d.current, d.original, ChangeState::Pending, ""});
    }
    Batch run(site, request, events, prepared->network, prepared->nic);
    return run.run(batch.value(), changes, {}, {});
}

}  // namespace sitelink::address
