// The forwarding plan: which services of which device to open, and on which external ports.
#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "inspect/inspect.h"
#include "router/router.h"

namespace sitelink::router {

namespace {

constexpr int kFirstExternalPort = 20000;
constexpr int kLastExternalPort = 32767;
constexpr int kInspectParallel = 16;

struct DeniedPort {
    int port;
    const char* why;
};

// Never opened to the internet without the installer's explicit --allow-denied: remote shells,
// file sharing, discovery protocols and the debug back doors some recorder firmware carries.
constexpr DeniedPort kDenied[] = {
    {21, "FTP sends passwords in clear text"},
    {22, "SSH is a remote shell"},
    {23, "Telnet is a remote shell in clear text, the first port botnets try"},
    {69, "TFTP has no authentication"},
    {135, "Windows RPC"},
    {137, "NetBIOS name service"},
    {138, "NetBIOS datagrams"},
    {139, "NetBIOS/SMB file sharing"},
    {445, "SMB file sharing"},
    {1900, "SSDP is UPnP discovery, for the LAN only"},
    {2323, "Telnet on its alternative port"},
    {3389, "Remote Desktop"},
    {5351, "NAT-PMP is for the LAN only"},
    {5900, "VNC remote desktop"},
    {9527, "a debug console in some recorder firmware"},
    {9530, "a debug service in some recorder firmware"},
};

bool names_any(const site::SiteDevice& d, const std::set<std::string>& who) {
    return std::any_of(who.begin(), who.end(), [&](const std::string& w) { return d.answers_to(w); });
}

struct ExtraPort {
    std::string who;
    int port = 0;
    std::string protocol;
};

// "DEVICE=PORT[/tcp|udp]"
Result<ExtraPort> parse_extra(const std::string& text) {
    const auto eq = text.rfind('=');
    auto bad = [&] { return Error{ErrorCode::Usage, "", "--add " + text + ": want DEVICE=PORT or DEVICE=PORT/udp", ""}; };
    if (eq == std::string::npos || eq == 0) return bad();
    ExtraPort extra{text.substr(0, eq), 0, "TCP"};
    std::string port = text.substr(eq + 1);
    if (const auto slash = port.find('/'); slash != std::string::npos) {
        std::string protocol = port.substr(slash + 1);
        std::transform(protocol.begin(), protocol.end(), protocol.begin(), [](unsigned char c) { return std::toupper(c); });
        if (protocol != "TCP" && protocol != "UDP") return bad();
        extra.protocol = protocol;
        port = port.substr(0, slash);
    }
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }))
        return bad();
    extra.port = std::stoi(port);
    if (extra.port < 1 || extra.port > 65535) return bad();
    return extra;
}

int port_of(const std::vector<ProtocolSetting>& protocols, const std::string& name) {
    for (const auto& p : protocols)
        if (p.name == name && p.enabled && !p.ports.empty()) return p.ports.front();
    return 0;
}

}  // namespace

std::optional<std::string> denied_port(int port, const std::string&) {
    for (const auto& d : kDenied)
        if (d.port == port) return std::string(d.why);
    return std::nullopt;
}

int random_external_port() {
    static thread_local std::mt19937 generator{std::random_device{}()};
    return std::uniform_int_distribution<int>(kFirstExternalPort, kLastExternalPort)(generator);
}

Result<ForwardPlan> build_forward_plan(const std::vector<DeviceServices>& devices, const Profiles& profiles,
                                       const ForwardChoices& choices, const std::vector<ForwardRule>& earlier,
                                       const std::function<int()>& pick_port) {
    std::vector<ExtraPort> extras;
    for (const auto& text : choices.extra) {
        auto extra = parse_extra(text);
        if (!extra) return extra.error();
        const bool known = std::any_of(devices.begin(), devices.end(), [&](const DeviceServices& d) { return d.device.answers_to(extra->who); });
        if (!known) return Error{ErrorCode::Usage, extra->who, "--add: no such device in this site (name, MAC, serial or address)", ""};
        if (auto why = denied_port(extra->port, extra->protocol); why && !choices.allow_denied.count(extra->port))
            return Error{ErrorCode::Usage, extra->who,
                         "--add port " + std::to_string(extra->port) + " is never opened by default: " + *why +
                             ". If you really mean it, add --allow-denied " + std::to_string(extra->port), ""};
        extras.push_back(*extra);
    }
    for (const auto& who : choices.add_http)
        if (std::none_of(devices.begin(), devices.end(), [&](const DeviceServices& d) { return d.device.answers_to(who); }))
            return Error{ErrorCode::Usage, who, "--http: no such device in this site (name, MAC, serial or address)", ""};

    ForwardPlan plan;
    std::set<int> used;
    for (const auto& rule : earlier) used.insert(rule.external_port);
    auto external_port_for = [&](const ForwardRule& rule) -> Result<int> {
        for (const auto& e : earlier)
            if (e.device_key == rule.device_key && e.service == rule.service && e.protocol == rule.protocol) return e.external_port;
        for (int attempt = 0; attempt < 1000; ++attempt) {
            const int port = pick_port();
            if (used.insert(port).second) return port;
        }
        return Error{ErrorCode::Precondition, rule.device, "no free external port left to choose from", ""};
    };

    std::vector<const DeviceServices*> ordered;
    for (const auto& d : devices) ordered.push_back(&d);
    std::stable_sort(ordered.begin(), ordered.end(), [](const DeviceServices* a, const DeviceServices* b) {
        return (a->device.role == "recorder") > (b->device.role == "recorder");
    });
    for (const DeviceServices* entry : ordered) {
        const site::SiteDevice& d = entry->device;
        const std::string label = d.label();
        if (names_any(d, choices.exclude)) {
            plan.skipped.push_back(label + ": left closed (--exclude)");
            continue;
        }
        if (entry->unreadable) {
            plan.skipped.push_back(label + ": left closed, its services could not be read (" + entry->unreadable->summary() + ")");
            continue;
        }
        std::vector<ForwardRule> wanted;
        auto want = [&](const std::string& service, const std::string& protocol, int port, const std::string& purpose) {
            wanted.push_back({d.key, label, service, protocol, d.current.address, port, 0, purpose});
        };
        const int rtsp = port_of(entry->protocols, "RTSP"), https = port_of(entry->protocols, "HTTPS"),
                  http = port_of(entry->protocols, "HTTP");
        if (rtsp != 0) want("rtsp", "TCP", rtsp, "video streams for phone viewers (RTSP)");
        else plan.skipped.push_back(label + ": RTSP is off on the device, so no stream port is opened");
        if (https != 0) want("https", "TCP", https, "web interface and ONVIF, encrypted (HTTPS)");
        if (names_any(d, choices.add_http)) {
            if (http != 0) want("http", "TCP", http, "web interface and ONVIF, unencrypted (installer's choice)");
            else plan.skipped.push_back(label + ": HTTP is off on the device");
        } else if (http != 0) {
            plan.skipped.push_back(label + ": HTTP port " + std::to_string(http) + " not opened: it is unencrypted" +
                                   (https != 0 ? "; HTTPS is opened instead" : "; enable HTTPS on the device, or add --http " + d.name));
        }
        if (const VendorProfile* vendor = profiles.vendor_of(d.manufacturer))
            for (const auto& app : vendor->app_ports)
                if (std::find(app.roles.begin(), app.roles.end(), d.role) != app.roles.end())
                    want(app.service, app.protocol, app.port, app.purpose);
        for (const auto& extra : extras)
            if (d.answers_to(extra.who))
                want("port-" + std::to_string(extra.port) + "-" + (extra.protocol == "TCP" ? "tcp" : "udp"), extra.protocol, extra.port,
                     "added by the installer");

        std::set<std::pair<int, std::string>> seen;
        for (auto& rule : wanted) {
            if (!seen.insert({rule.internal_port, rule.protocol}).second) continue;
            if (auto why = denied_port(rule.internal_port, rule.protocol); why && !choices.allow_denied.count(rule.internal_port)) {
                plan.skipped.push_back(label + ": " + rule.service + " on port " + std::to_string(rule.internal_port) +
                                       " not opened: " + *why);
                continue;
            }
            auto port = external_port_for(rule);
            if (!port) return port.error();
            rule.external_port = *port;
            plan.rules.push_back(rule);
        }
    }
    return plan;
}

Result<ForwardPlan> plan_forwarding(const ForwardPlanRequest& request, site::SiteDb& site, const Profiles& profiles) {
    auto known = site.devices();
    if (!known) return known.error();
    if (known->empty())
        return Error{ErrorCode::Precondition, site.path().string(),
                     "this site has no devices yet; run `sitelink address plan --interface IF` first (it records every device "
                     "and changes nothing)", ""};
    std::vector<DeviceServices> devices(known->size());
    std::atomic<std::size_t> next{0};
    std::vector<std::future<void>> running;
    for (int w = 0; w < kInspectParallel; ++w)
        running.push_back(std::async(std::launch::async, [&] {
            for (std::size_t i = next++; i < devices.size(); i = next++) {
                devices[i].device = (*known)[i];
                auto report = inspect::inspect({(*known)[i].url, request.credentials.for_device((*known)[i].key), request.timeout});
                if (!report) devices[i].unreadable = report.error();
                else devices[i].protocols = report->protocols;
            }
        }));
    for (auto& r : running) r.get();

    std::vector<ForwardRule> earlier;
    if (auto saved = saved_forward_plan(site)) earlier = saved->rules;
    auto plan = build_forward_plan(devices, profiles, request.choices, earlier, random_external_port);
    if (!plan) return plan.error();
    if (auto r = site.put_fact("forward_plan", {{"rules", plan->rules}, {"skipped", plan->skipped}}); !r) return r.error();
    return plan;
}

Result<ForwardPlan> saved_forward_plan(site::SiteDb& site) {
    auto fact = site.fact("forward_plan");
    if (!fact) return fact.error();
    if (!fact->has_value())
        return Error{ErrorCode::Precondition, site.path().string(), "this site has no forwarding plan yet; run `sitelink forward plan` first", ""};
    try {
        const nlohmann::json& j = fact->value();
        return ForwardPlan{j.at("rules").get<std::vector<ForwardRule>>(), j.at("skipped").get<std::vector<std::string>>()};
    } catch (const nlohmann::json::exception& e) {
        return Error{ErrorCode::SiteDatabase, site.path().string(), std::string("the saved forwarding plan is damaged: ") + e.what(), ""};
    }
}

void to_json(nlohmann::json& j, const ForwardRule& v) {
    j = {{"device_key", v.device_key},       {"device", v.device},   {"service", v.service},
         {"protocol", v.protocol},           {"internal_client", v.internal_client},
         {"internal_port", v.internal_port}, {"external_port", v.external_port}, {"purpose", v.purpose}};
}

void from_json(const nlohmann::json& j, ForwardRule& v) {
    v.device_key = j.at("device_key").get<std::string>();
    v.device = j.at("device").get<std::string>();
    v.service = j.at("service").get<std::string>();
    v.protocol = j.at("protocol").get<std::string>();
    v.internal_client = j.at("internal_client").get<std::string>();
    v.internal_port = j.at("internal_port").get<int>();
    v.external_port = j.at("external_port").get<int>();
    v.purpose = j.at("purpose").get<std::string>();
}

}  // namespace sitelink::router
