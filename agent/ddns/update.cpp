// The site's DDNS name: settings checked against the provider's profile, the decision whether to
// ask the provider at all, and what its answer means for the next time.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/net.h"
#include "ddns/ddns.h"
#include "ddns/dns.h"
#include "site/secrets.h"

namespace sitelink::ddns {

namespace {

using nlohmann::json;
using Clock = std::chrono::system_clock;

constexpr const char* kDeviceOwner = "device:";

std::int64_t unix_time(Clock::time_point t) { return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count(); }

std::string utc(std::int64_t t) {
    char text[32];
    const std::time_t seconds = t;
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &parts);
    return text;
}

Error usage(const std::string& what, const std::string& detail) { return Error{ErrorCode::Usage, what, detail, ""}; }

// A full DNS name: two labels or more of letters, digits and '-', not starting or ending with '-'.
bool full_name(const std::string& name) {
    if (name.size() > 253 || name.find('.') == std::string::npos) return false;
    std::size_t start = 0;
    while (start <= name.size()) {
        const auto end = std::min(name.find('.', start), name.size());
        const std::string label = name.substr(start, end - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
            !std::all_of(label.begin(), label.end(), [](unsigned char c) { return std::isalnum(c) || c == '-'; }))
            return false;
        start = end + 1;
    }
    return true;
}

bool ends_with(const std::string& text, const std::string& tail) {
    return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

Result<Done> check_settings(const DdnsSettings& s, const DdnsProviderProfile& p, const std::string& secret) {
    if (!full_name(s.hostname))
        return usage(s.hostname, "is not a full host name (like smith-cams.ddns.net); nothing was saved");
    if (!p.hostname_suffix.empty() && (!ends_with(s.hostname, p.hostname_suffix) || s.hostname.size() == p.hostname_suffix.size()))
        return usage(s.hostname, p.name + " names end in " + p.hostname_suffix + "; nothing was saved");
    if (!p.username_label.empty() && s.username.empty())
        return usage(p.name, "needs --user (" + p.username_label + "); nothing was saved");
    if (secret.empty()) return usage(p.name, "needs the " + p.secret_label + " (SITELINK_DDNS_SECRET or the prompt); nothing was saved");
    if (p.base_url.empty() && s.base_url.empty() && p.protocol != "rfc2136")
        return usage(p.name, "needs the service's address with --base-url; nothing was saved");
    if (!s.base_url.empty() && s.base_url.rfind("https://", 0) != 0 && s.base_url.rfind("http://", 0) != 0)
        return usage(s.base_url, "is not an http:// or https:// URL; nothing was saved");
    if (p.protocol == "rfc2136" && !parse_dns_server(s.server))
        return usage(p.name, "needs --server, the IPv4 address of the zone's primary server (with :PORT when not 53); nothing was saved");
    if (!s.zone.empty() && (!full_name(s.zone) || !ends_with(s.hostname, "." + s.zone)))
        return usage(s.zone, "is not a zone " + s.hostname + " is in; nothing was saved");
    if (s.ttl_s < 30 || s.ttl_s > 86400) return usage("--ttl", "must be 30 to 86400 seconds; nothing was saved");
    if (s.owner != "keeper" && s.owner != "manual" && s.owner.rfind(kDeviceOwner, 0) != 0)
        return usage(s.owner, "the owner is \"keeper\" (`sitelink keeper` on a box that stays), \"device:DEVICE\" (its own DDNS "
                              "client) or \"manual\"; nothing was saved");
    return Done{};
}

template <class T>
Result<std::optional<T>> read_fact(site::SiteDb& site, const std::string& name) {
    auto fact = site.fact(name);
    if (!fact) return fact.error();
    if (!fact->has_value()) return std::optional<T>{};
    try {
        return std::optional<T>(fact->value().template get<T>());
    } catch (const json::exception& e) {
        return Error{ErrorCode::SiteDatabase, site.path().string(), "fact '" + name + "' is damaged: " + e.what(), ""};
    }
}

// The device an installer names as the owner, if its vendor's DDNS client speaks to the provider.
Result<site::SiteDevice> device_for_owner(site::SiteDb& site, const Profiles& profiles, const std::string& who,
                                          const DdnsProviderProfile& provider) {
    auto devices = site.devices();
    if (!devices) return devices.error();
    const auto found = std::find_if(devices->begin(), devices->end(), [&](const site::SiteDevice& d) { return d.answers_to(who); });
    if (found == devices->end())
        return usage(who, "no device of the site answers to this name (`sitelink address plan` records them); nothing was saved");
    const VendorProfile* vendor = profiles.vendor_of(found->manufacturer);
    if (vendor == nullptr || !vendor->ddns_client)
        return usage(found->label(), "its vendor profile has no DDNS client Sitelink knows; use --owner keeper; nothing was saved");
    const auto& supported = vendor->ddns_client->providers;
    if (std::find(supported.begin(), supported.end(), provider.id) == supported.end()) {
        std::string names;
        for (const auto& id : supported) names += (names.empty() ? "" : ", ") + id;
        return usage(found->label(), "its DDNS client does not speak to " + provider.name + " (it does: " + names +
                                         "); use --owner keeper; nothing was saved");
    }
    return *found;
}

const DdnsProviderProfile* provider_or_null(const Profiles& profiles, const std::string& id) { return profiles.ddns_provider(id); }

Error unknown_provider(const Profiles& profiles, const std::string& id) {
    std::string known;
    for (const auto& p : profiles.ddns_providers) known += (known.empty() ? "" : ", ") + p.id;
    return usage(id, "no such DDNS provider (known: " + known + ")");
}

}  // namespace

std::string to_string(AnswerKind kind) {
    switch (kind) {
        case AnswerKind::Updated: return "updated";
        case AnswerKind::Unchanged: return "unchanged";
        case AnswerKind::RetryLater: return "retry-later";
        case AnswerKind::Stopped: return "stopped";
    }
    return "?";
}

Result<DdnsSettings> configure_ddns(site::SiteDb& site, const Profiles& profiles, const DdnsSetRequest& request) {
    DdnsSettings settings = request.settings;
    std::transform(settings.hostname.begin(), settings.hostname.end(), settings.hostname.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const DdnsProviderProfile* provider = provider_or_null(profiles, settings.provider);
    if (provider == nullptr) return unknown_provider(profiles, settings.provider);
    if (auto ok = check_settings(settings, *provider, request.secret); !ok) return ok.error();
    if (settings.owner.rfind(kDeviceOwner, 0) == 0) {
        auto device = device_for_owner(site, profiles, settings.owner.substr(std::strlen(kDeviceOwner)), *provider);
        if (!device) return device.error();
        settings.owner = kDeviceOwner + device->key;
    }
    auto sealed = site::seal(request.secret);
    if (!sealed) return sealed.error();
    settings.sealed_secret = *sealed;

    // New settings start afresh: the next update asks the provider once with them, and a stop
    // the provider put on the old ones is lifted (running `ddns set` is the human acting on it).
    if (auto saved = site.put_fact("ddns", settings); !saved) return saved.error();
    if (auto saved = site.put_fact("ddns_state", DdnsState{}); !saved) return saved.error();
    return settings;
}

Result<std::optional<site::SiteDevice>> owning_device(site::SiteDb& site, const DdnsSettings& settings) {
    if (settings.owner.rfind(kDeviceOwner, 0) != 0) return std::optional<site::SiteDevice>{};
    return site.device(settings.owner.substr(std::strlen(kDeviceOwner)));
}

std::string device_ddns_guide(const DdnsSettings& s, const DdnsProviderProfile& provider, const site::SiteDevice& device,
                              const DeviceDdnsClient& client) {
    std::string menu;
    for (const auto& step : client.menu) menu += (menu.empty() ? "" : " > ") + step;
    std::string text = "On " + device.label() + "'s web page (http://" + device.current.address + "/), open " + menu + ":\n" +
                       "  service:    " + provider.name + "\n" +
                       "  server:     " + url_host(s.base_url.empty() ? provider.base_url : s.base_url) + "\n" +
                       "  host name:  " + s.hostname + "\n" +
                       "  user name:  " + s.username + "\n" +
                       "  password:   the " + provider.secret_label + " (not shown here)\n" +
                       "Save, and check the page reports the update as successful.\n";
    for (const auto& note : client.notes) text += "Note: " + note + "\n";
    return text;
}

Result<std::optional<DdnsSettings>> saved_settings(site::SiteDb& site) { return read_fact<DdnsSettings>(site, "ddns"); }

Result<DdnsState> saved_state(site::SiteDb& site) {
    auto state = read_fact<DdnsState>(site, "ddns_state");
    if (!state) return state.error();
    return state->value_or(DdnsState{});
}

Result<UpdateOutcome> update_ddns(site::SiteDb& site, const Profiles& profiles, const UpdateOptions& options) {
    auto settings = saved_settings(site);
    if (!settings) return settings.error();
    if (!settings->has_value())
        return Error{ErrorCode::Precondition, site.path().string(), "the site has no DDNS name yet: run `sitelink ddns set` with the provider, name and credentials", ""};
    const DdnsSettings& s = **settings;
    const DdnsProviderProfile* provider = provider_or_null(profiles, s.provider);
    if (provider == nullptr) return unknown_provider(profiles, s.provider);
    if (!Ipv4::parse(options.address)) return usage(options.address, "is not an IPv4 address to point " + s.hostname + " at");
    auto loaded = saved_state(site);
    if (!loaded) return loaded.error();
    DdnsState state = *loaded;
    const std::int64_t now = unix_time(options.now);

    UpdateOutcome outcome{"", options.address, {}, state, ""};
    if (!state.stopped_code.empty()) {
        outcome.action = "stopped";
        outcome.detail = "the provider answered " + state.stopped_code + " at " + utc(state.asked_at) + ": " + state.last_message +
                         ". Nothing is sent until `sitelink ddns set` is run again.";
        return outcome;
    }
    if (!options.force && state.retry_after > now) {
        outcome.action = "waiting";
        outcome.detail = "the provider asked to wait (" + state.last_code + "); the next try is after " + utc(state.retry_after);
        return outcome;
    }
    if (!options.force && state.pending_address.empty() && state.address == options.address &&
        now - state.confirmed_at < kRefreshEvery.count()) {
        outcome.action = "unchanged";
        outcome.detail = s.hostname + " already points at " + options.address + " (confirmed " + utc(state.confirmed_at) + ")";
        return outcome;
    }
    auto secret = site::unseal(s.sealed_secret);
    if (!secret) return secret.error();

    // Written down before the request: a run killed while waiting leaves the pending address,
    // so the next run asks again rather than trusting an answer it never read.
    state.pending_address = options.address;
    state.asked_at = now;
    if (auto saved = site.put_fact("ddns_state", state); !saved) return saved.error();

    const ProviderAnswer answer = send_update(UpdateRequest{s, provider, *secret, options.address, options.interface, options.timeout});
    state.pending_address.clear();
    state.last_code = answer.code;
    state.last_message = answer.message;
    switch (answer.kind) {
        case AnswerKind::Updated:
        case AnswerKind::Unchanged:
            state.address = options.address;
            state.confirmed_at = now;
            state.retry_after = 0;
            outcome.action = answer.kind == AnswerKind::Updated ? "updated" : "confirmed";
            outcome.detail = s.hostname + " points at " + options.address + " (" + provider->name + ": " + answer.message + ")";
            break;
        case AnswerKind::RetryLater:
            state.retry_after = now + kRetryWait.count();
            outcome.action = "failed";
            outcome.detail = answer.message + "; the next try is after " + utc(state.retry_after);
            break;
        case AnswerKind::Stopped:
            state.stopped_code = answer.code;
            outcome.action = "stopped";
            outcome.detail = answer.message + ". " + answer.advice;
            break;
    }
    if (auto saved = site.put_fact("ddns_state", state); !saved) return saved.error();
    outcome.answer = answer;
    outcome.state = state;
    return outcome;
}

}  // namespace sitelink::ddns
