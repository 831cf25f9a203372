// The customer's documents, built from the site file: site.json, streams.m3u, router-rules.txt and
// the printable sheet. Every outside URL is the device's own (as it gave it to the viewer) with
// the site's name and the external port the router forwards in place of its LAN address and port.
#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "core/clock.h"
#include "core/net.h"
#include "ddns/ddns.h"
#include "handoff/handoff.h"
#include "router/router.h"

namespace sitelink::handoff {

namespace {

using nlohmann::json;

constexpr const char* kSchema = "sitelink-handoff/1";

struct UrlPieces {
    std::string scheme;
    int port = 0;
    std::string path;  // with the query, if any
};

int default_port(const std::string& scheme) {
    if (scheme == "rtsp") return 554;
    if (scheme == "https") return 443;
    if (scheme == "http") return 80;
    return 0;
}

std::optional<UrlPieces> pieces_of(const std::string& url) {
    const auto parts = split_url(url);
    const auto scheme_end = parts.origin.find("://");
    if (scheme_end == std::string::npos) return std::nullopt;
    UrlPieces out{parts.origin.substr(0, scheme_end), 0, parts.path.empty() ? "/" : parts.path};
    std::string authority = parts.origin.substr(scheme_end + 3);
    if (auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
    out.port = default_port(out.scheme);
    if (auto colon = authority.rfind(':'); colon != std::string::npos) {
        try {
            out.port = std::stoi(authority.substr(colon + 1));
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    if (out.port <= 0 || out.port > 65535) return std::nullopt;
    return out;
}

// The forwards now in place (added over UPnP or handed to the installer to set by hand).
std::vector<site::ForwardRecord> open_forwards(const std::vector<site::ForwardRecord>& records) {
    std::map<std::tuple<std::string, std::string, int>, site::ForwardRecord> latest;
    for (const auto& r : records) latest[{r.device_key, r.protocol, r.internal_port}] = r;
    std::vector<site::ForwardRecord> out;
    for (const auto& [_, r] : latest)
        if (r.state == "added" || r.state == "manual") out.push_back(r);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.external_port < b.external_port; });
    return out;
}

const site::ForwardRecord* forward_for(const std::vector<site::ForwardRecord>& forwards, const std::string& device_key, int port) {
    for (const auto& f : forwards)
        if (f.device_key == device_key && f.protocol == "TCP" && f.internal_port == port) return &f;
    return nullptr;
}

std::string outside_url(const UrlPieces& lan, const std::string& host, int external_port, const std::string& user = "") {
    return lan.scheme + "://" + (user.empty() ? "" : user + "@") + host + ":" + std::to_string(external_port) + lan.path;
}

std::string html_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string file_safe(const std::string& name) {
    std::string out;
    for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
    while (out.find("--") != std::string::npos) out.replace(out.find("--"), 2, "-");
    if (!out.empty() && out.front() == '-') out.erase(0, 1);
    if (!out.empty() && out.back() == '-') out.pop_back();
    return out.empty() ? "device" : out;
}

std::string kept_by(site::SiteDb& site, const ddns::DdnsSettings& settings) {
    if (settings.owner == "keeper") return "the Sitelink keeper, on a machine that stays on site";
    if (settings.owner == "manual") return "nobody automatically: the installer updates it by hand";
    auto device = ddns::owning_device(site, settings);
    if (device && device->has_value()) return (*device)->label() + ", with its own DDNS client";
    return settings.owner;
}

std::string set_by(const site::ForwardRecord& f) { return f.router == "manual" ? "by hand" : "UPnP"; }

std::string router_rules_text(const json& doc, const std::vector<router::ForwardRule>& manual_rules, const RouterProfile& profile,
                              const std::string& gateway, const std::string& site_argument) {
    std::ostringstream out;
    out << "Port forwarding for site " << doc["site"].get<std::string>() << " (" << doc["host"].get<std::string>() << "), "
        << doc["created_at"].get<std::string>() << "\n\n";
    if (doc["forwards"].empty()) out << "Nothing is forwarded.\n";
    for (const auto& f : doc["forwards"])
        out << "external " << f["external_port"].get<int>() << "/" << f["protocol"].get<std::string>() << " -> "
            << f["internal_client"].get<std::string>() << ":" << f["internal_port"].get<int>() << "  " << f["device"].get<std::string>()
            << " " << f["service"].get<std::string>() << "  (set " << f["set_by"].get<std::string>() << ")\n";
    const bool any_upnp = std::any_of(doc["forwards"].begin(), doc["forwards"].end(), [](const json& f) { return f["set_by"] == "UPnP"; });
    if (any_upnp) {
        out << "\nRules set over UPnP: `sitelink forward undo" << site_argument
            << "` removes exactly these and nothing else. Without Sitelink: ";
        if (profile.upnp_menu)
            out << "turning UPnP off at " << router::menu_path(*profile.upnp_menu) << " removes them on most routers.\n";
        else
            out << "turning UPnP off on the router removes them on most routers.\n";
    }
    if (!manual_rules.empty()) out << "\n" << router::removal_guide(manual_rules, profile, gateway);
    return out.str();
}

// An app's steps with {host} and {port:SERVICE} filled in from the site; none when a port they
// need is not forwarded (the app could not reach the site).
std::optional<std::vector<std::string>> app_steps(const PhoneAppProfile& app, const std::string& host,
                                                  const std::vector<site::ForwardRecord>& forwards) {
    std::vector<std::string> out;
    for (std::string step : app.steps) {
        for (std::size_t at; (at = step.find("{host}")) != std::string::npos;) step.replace(at, 6, host);
        for (std::size_t at; (at = step.find("{port:")) != std::string::npos;) {
            const auto end = step.find('}', at);
            if (end == std::string::npos) break;
            const std::string service = step.substr(at + 6, end - at - 6);
            const auto f = std::find_if(forwards.begin(), forwards.end(), [&](const auto& r) { return r.service == service; });
            if (f == forwards.end()) return std::nullopt;
            step.replace(at, end - at + 1, std::to_string(f->external_port));
        }
        out.push_back(step);
    }
    return out;
}

// The apps that can show this site: what it forwards decides, and which vendors are on site.
json fitting_apps(const Profiles& profiles, const json& doc, const std::vector<site::SiteDevice>& devices,
                  const std::vector<site::ForwardRecord>& forwards) {
    bool rtsp = false, onvif = false;
    for (const auto& d : doc["devices"]) {
        onvif = onvif || d["onvif_url"].is_string();
        for (const auto& s : d["streams"]) rtsp = rtsp || s["url"].is_string();
    }
    std::set<std::string> vendors;
    for (const auto& d : devices)
        if (const VendorProfile* v = profiles.vendor_of(d.manufacturer)) vendors.insert(v->vendor);
    json out = json::array();
    for (const auto& app : profiles.phone_apps) {
        const bool fits = app.opens == "rtsp"    ? rtsp
                          : app.opens == "onvif" ? onvif
                                                 : std::any_of(app.vendors.begin(), app.vendors.end(),
                                                               [&](const std::string& v) { return vendors.count(v) > 0; });
        if (!fits) continue;
        if (auto steps = app_steps(app, doc["host"].get<std::string>(), forwards))
            out.push_back({{"id", app.id}, {"name", app.name}, {"platforms", app.platforms}, {"steps", *steps}});
    }
    return out;
}

std::string sheet_html(const json& doc, const std::vector<QrCode>& qr_codes, const std::string& rules_text) {
    const std::string host = doc["host"].get<std::string>();
    std::ostringstream out;
    out << R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cameras at )" << html_escape(doc["site"].get<std::string>()) << R"(</title>
<style>
/* One column, at most 180 mm wide: fits A4 (210 mm) and Letter (216 mm) with the printer's margins. */
@page { margin: 12mm; }
body { font: 11pt/1.4 system-ui, sans-serif; color: #000; max-width: 180mm; margin: 0 auto; }
h1 { font-size: 18pt; margin: 0 0 4mm; } h2 { font-size: 13pt; margin: 6mm 0 2mm; border-bottom: 1px solid #000; }
section { break-inside: avoid; page-break-inside: avoid; }
.qr { display: inline-block; width: 55mm; margin: 0 4mm 4mm 0; vertical-align: top; text-align: center; break-inside: avoid; }
.qr svg { width: 40mm; height: 40mm; } .qr p { margin: 1mm 0; font-size: 9pt; word-break: break-all; }
table { border-collapse: collapse; width: 100%; font-size: 10pt; } th, td { border: 1px solid #000; padding: 1mm 2mm; text-align: left; }
pre { white-space: pre-wrap; font-size: 9pt; }
</style></head><body>
)";
    out << "<h1>Your cameras: " << html_escape(doc["site"].get<std::string>()) << "</h1>\n";
    out << "<p>Reached from anywhere at <strong>" << html_escape(host) << "</strong>. Prepared " << html_escape(doc["created_at"].get<std::string>());
    if (!doc["installer"].get<std::string>().empty()) out << " by " << html_escape(doc["installer"].get<std::string>());
    out << ".</p>\n<section><h2>Your phone</h2>\n";
    for (const auto& qr : qr_codes) {
        out << "<div class=\"qr\">" << qr_svg(qr) << "<p><strong>" << html_escape(qr.name == "site" ? "The whole site, for apps that read Sitelink codes" : qr.name)
            << "</strong></p>";
        if (qr.name != "site") out << "<p>" << html_escape(qr.payload) << "</p>";
        out << "</div>\n";
    }
    if (doc["viewer"].is_object())
        out << "<p>Sign in as <strong>" << html_escape(doc["viewer"]["username"].get<std::string>())
            << "</strong>. This account can watch but not change the cameras. The password is given to you separately"
            << (doc["viewer"].contains("password") ? "; the site code holds it, locked with the PIN your installer tells you" : "")
            << ".</p>\n";
    if (!doc["apps"].empty()) {
        out << "</section>\n<section><h2>Phone apps</h2>\n";
        for (const auto& app : doc["apps"]) {
            std::string platforms;
            for (const auto& p : app["platforms"]) platforms += (platforms.empty() ? "" : ", ") + p.get<std::string>();
            out << "<p><strong>" << html_escape(app["name"].get<std::string>()) << "</strong> (" << html_escape(platforms) << ")</p><ol>";
            for (const auto& step : app["steps"]) out << "<li>" << html_escape(step.get<std::string>()) << "</li>";
            out << "</ol>\n";
        }
    }
    out << "</section>\n<section><h2>What was opened on your router</h2>\n<table><tr><th>Outside port</th><th>Goes to</th><th>For</th><th>Set</th></tr>\n";
    for (const auto& f : doc["forwards"])
        out << "<tr><td>" << f["external_port"].get<int>() << " " << html_escape(f["protocol"].get<std::string>()) << "</td><td>"
            << html_escape(f["internal_client"].get<std::string>()) << ":" << f["internal_port"].get<int>() << "</td><td>"
            << html_escape(f["device"].get<std::string>() + " " + f["service"].get<std::string>()) << "</td><td>"
            << html_escape(f["set_by"].get<std::string>()) << "</td></tr>\n";
    out << "</table>\n</section>\n<section><h2>How to close it</h2>\n<pre>" << html_escape(rules_text) << "</pre>\n</section>\n";
    out << "<section><h2>Who keeps the name up to date</h2>\n<p>";
    if (doc["ddns"].is_object())
        out << html_escape(doc["ddns"]["hostname"].get<std::string>()) << " is kept pointing at the site by "
            << html_escape(doc["ddns"]["kept_by"].get<std::string>()) << ".";
    else
        out << "The site has a fixed address; no name needs updating.";
    out << "</p>\n</section>\n";
    if (!doc["installer"].get<std::string>().empty())
        out << "<section><h2>Your installer</h2>\n<p>" << html_escape(doc["installer"].get<std::string>()) << "</p>\n</section>\n";
    out << "</body></html>\n";
    return out.str();
}

}  // namespace

std::string site_qr_payload(const json& site_json, const std::optional<site::PassphraseSealed>& pin_sealed_password) {
    json cams = json::array();
    for (const auto& d : site_json["devices"]) {
        json cam = {{"name", d["name"]}};
        for (const auto& s : d["streams"]) {
            if (!s["url"].is_string()) continue;
            const auto url = pieces_of(s["url"].get<std::string>());
            if (!url) continue;
            cam["rtsp"] = url->port;
            cam["path"] = url->path;
            break;
        }
        if (d.contains("onvif_url") && d["onvif_url"].is_string())
            if (const auto url = pieces_of(d["onvif_url"].get<std::string>())) cam["onvif"] = url->port;
        if (cam.contains("rtsp") || cam.contains("onvif")) cams.push_back(cam);
    }
    json payload = {{"v", 1}, {"site", site_json["site"]}, {"host", site_json["host"]}, {"cams", cams}};
    if (site_json.contains("viewer") && site_json["viewer"].is_object()) payload["user"] = site_json["viewer"]["username"];
    if (pin_sealed_password) payload["pw"] = *pin_sealed_password;
    // ASCII only (\u escapes): every scanner reads the same bytes.
    return payload.dump(-1, ' ', true);
}

Result<Bundle> build_bundle(site::SiteDb& site, const Profiles& profiles, const BundleOptions& options) {
    auto devices = site.devices();
    if (!devices) return devices.error();
    auto handed = saved_devices(site);
    if (!handed) return handed.error();
    if (handed->empty())
        return Error{ErrorCode::Precondition, site.path().string(),
                     "no device has been prepared for the hand-off yet; run `sitelink handoff` with the admin --user first", ""};
    auto settings = ddns::saved_settings(site);
    if (!settings) return settings.error();
    std::string host = options.address;
    if (host.empty() && settings->has_value()) host = (*settings)->hostname;
    if (host.empty())
        return Error{ErrorCode::Precondition, site.path().string(),
                     "the site has no DDNS name, so the phone has nothing stable to reach: run `sitelink ddns set`, or give a fixed "
                     "public address with --address",
                     ""};
    auto viewer = saved_viewer(site);
    if (!viewer) return viewer.error();
    auto records = site.forwards();
    if (!records) return records.error();
    const auto forwards = open_forwards(*records);
    // The viewer is the customer's only when some device has the account.
    const bool viewer_made = viewer->has_value() && std::any_of(handed->begin(), handed->end(), [](const DeviceHandoff& h) {
                                 return h.account == "created" || h.account == "kept";
                             });

    if (options.include_password && (!viewer_made || options.pin.empty() || options.passphrase.empty()))
        return Error{ErrorCode::Usage, "", viewer_made ? "including the password needs a PIN and a bundle passphrase"
                                                       : "there is no viewer account whose password could be included", ""};
    Bundle bundle;
    json doc = {{"schema", kSchema},
                {"site", site.path().stem().string()},
                {"created_at", utc_timestamp(std::time(nullptr))},
                {"host", host},
                {"installer", options.installer},
                {"ddns", nullptr},
                {"viewer", nullptr}};
    if (settings->has_value())
        doc["ddns"] = {{"hostname", (*settings)->hostname}, {"provider", (*settings)->provider}, {"kept_by", kept_by(site, **settings)}};
    const std::string user = viewer_made ? (*viewer)->username : "";
    if (viewer_made) {
        doc["viewer"] = {{"username", user}};
        if (options.include_password) {
            auto sealed = site::seal_with_passphrase((*viewer)->password, options.passphrase);
            if (!sealed) return sealed.error();
            doc["viewer"]["password"] = *sealed;
        }
    }

    std::map<std::string, std::string> label_of;
    for (const auto& d : *devices) label_of[d.key] = d.label();
    json forwards_json = json::array();
    std::vector<router::ForwardRule> manual_rules;
    for (const auto& f : forwards) {
        forwards_json.push_back({{"device", label_of.count(f.device_key) ? label_of[f.device_key] : f.device_key},
                                 {"service", f.service},
                                 {"protocol", f.protocol},
                                 {"external_port", f.external_port},
                                 {"internal_client", f.internal_client},
                                 {"internal_port", f.internal_port},
                                 {"set_by", set_by(f)},
                                 {"lease_s", f.lease_s}});
        if (f.router == "manual")
            manual_rules.push_back({f.device_key, label_of[f.device_key], f.service, f.protocol, f.internal_client, f.internal_port,
                                    f.external_port, ""});
    }
    doc["forwards"] = forwards_json;

    json devices_json = json::array();
    std::string m3u = "#EXTM3U\n";
    std::vector<QrCode> camera_codes;
    for (const auto& h : *handed) {
        const auto device = std::find_if(devices->begin(), devices->end(), [&](const auto& d) { return d.key == h.device_key; });
        if (device == devices->end()) continue;
        const std::string name = device->name.empty() ? device->label() : device->name;
        if (!h.problem.empty()) bundle.warnings.push_back(h.problem);
        if (h.account != "none" && h.problem.empty() && !h.admin_refused)
            bundle.warnings.push_back(device->label() + " let the viewer read its user list: the User level is not enforced there; "
                                                        "check the account's rights on the device");
        json d = {{"name", name},
                  {"manufacturer", device->manufacturer},
                  {"model", device->model},
                  {"role", device->role},
                  {"lan_address", device->current.address.empty() ? device->original.address : device->current.address},
                  {"viewer_account", h.account},
                  {"onvif_url", nullptr},
                  {"streams", json::array()}};
        if (auto lan = pieces_of(device->url))
            if (const auto* f = forward_for(forwards, device->key, lan->port)) d["onvif_url"] = outside_url(*lan, host, f->external_port);
        bool first = true;
        for (const auto& s : h.streams) {
            json stream = {{"profile", s.profile}, {"encoding", s.encoding}, {"width", s.width}, {"height", s.height},
                           {"lan_url", s.lan_uri}, {"url", nullptr}};
            const auto lan = pieces_of(s.lan_uri);
            const auto* f = lan ? forward_for(forwards, device->key, lan->port) : nullptr;
            if (f != nullptr) {
                stream["url"] = outside_url(*lan, host, f->external_port);
                const std::string with_user = outside_url(*lan, host, f->external_port, user);
                m3u += "#EXTINF:-1," + name + " - " + s.profile + "\n" + with_user + "\n";
                if (first) {
                    auto qr = make_qr(name, with_user);
                    if (!qr) return qr.error();
                    camera_codes.push_back(std::move(*qr));
                    first = false;
                }
            }
            d["streams"].push_back(stream);
        }
        if (!h.streams.empty() && first)
            bundle.warnings.push_back(device->label() + ": no stream of it is forwarded, so the phone cannot watch it from outside; "
                                                        "check `sitelink forward plan`");
        devices_json.push_back(d);
    }
    doc["devices"] = devices_json;
    doc["apps"] = fitting_apps(profiles, doc, *devices, forwards);
    if (settings->has_value() && (*settings)->owner == "keeper")
        if (auto keeper = site.fact("keeper"); keeper && !keeper->has_value())
            bundle.warnings.push_back("the DDNS name is to be kept fresh by a keeper, and none has run for this site yet; set one up "
                                      "(README: \"The keeper\") or the name goes stale when the address changes");

    std::optional<site::PassphraseSealed> pin_sealed;
    if (options.include_password) {
        auto sealed = site::seal_with_passphrase((*viewer)->password, options.pin);
        if (!sealed) return sealed.error();
        pin_sealed = *sealed;
    }
    auto site_code = make_qr("site", site_qr_payload(doc, pin_sealed));
    if (!site_code) return site_code.error();
    bundle.qr_codes.push_back(std::move(*site_code));
    for (auto& c : camera_codes) bundle.qr_codes.push_back(std::move(c));

    std::optional<router::RouterIdentity> router_identity;
    if (auto fact = site.fact("router"); fact && fact->has_value()) {
        try {
            router_identity = fact->value().get<router::RouterIdentity>();
        } catch (const json::exception&) {
            // A damaged record only costs the family match: the generic router's wording.
        }
    }
    std::string gateway;
    if (auto network = site.fact("network"); network && network->has_value() && network->value().value("gateway", json()).is_string())
        gateway = network->value()["gateway"].get<std::string>();
    const std::string site_name = doc["site"].get<std::string>();
    const std::string site_argument = site_name == "default" ? "" : " --site " + site_name;
    bundle.router_rules = router_rules_text(doc, manual_rules, router::router_profile_for(profiles, router_identity), gateway, site_argument);
    bundle.streams_m3u = m3u;
    bundle.sheet_html = sheet_html(doc, bundle.qr_codes, bundle.router_rules);
    bundle.site_json = std::move(doc);
    return bundle;
}

Result<json> read_site_json(const std::string& text) {
    auto wrong = [](const std::string& what) { return Error{ErrorCode::MalformedAnswer, "site.json", what, ""}; };
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return wrong("not a JSON object");
    if (!doc.contains("schema") || !doc["schema"].is_string()) return wrong("no \"schema\"");
    if (doc["schema"] != kSchema)
        return wrong("schema " + doc["schema"].dump() + " is not one this Sitelink reads (" + std::string(kSchema) + ")");
    for (const char* field : {"site", "host", "created_at", "installer"})
        if (!doc.contains(field) || !doc[field].is_string()) return wrong(std::string("\"") + field + "\" must be a string");
    for (const char* field : {"forwards", "devices"})
        if (!doc.contains(field) || !doc[field].is_array()) return wrong(std::string("\"") + field + "\" must be a list");
    if (doc.contains("viewer") && !doc["viewer"].is_null()) {
        if (!doc["viewer"].is_object() || !doc["viewer"].contains("username") || !doc["viewer"]["username"].is_string())
            return wrong("\"viewer\" must name a username");
        if (doc["viewer"].contains("password")) {
            try {
                doc["viewer"]["password"].get<site::PassphraseSealed>();
            } catch (const json::exception& e) {
                return wrong(std::string("\"viewer.password\": ") + e.what());
            }
        }
    }
    if (doc.contains("apps") && !doc["apps"].is_array()) return wrong("\"apps\" must be a list");
    for (const auto& f : doc["forwards"])
        if (!f.is_object() || !f.contains("external_port") || !f["external_port"].is_number_integer() || !f.contains("protocol") ||
            !f["protocol"].is_string())
            return wrong("a forward needs \"external_port\" and \"protocol\"");
    for (const auto& d : doc["devices"]) {
        if (!d.is_object() || !d.contains("name") || !d["name"].is_string() || !d.contains("streams") || !d["streams"].is_array())
            return wrong("a device needs \"name\" and \"streams\"");
        for (const auto& s : d["streams"])
            if (!s.is_object() || !s.contains("url") || !(s["url"].is_string() || s["url"].is_null()))
                return wrong("a stream of " + d["name"].get<std::string>() + " needs \"url\" (a string or null)");
    }
    return doc;
}

namespace {

Error write_failed(const std::filesystem::path& path, const std::string& why) {
    return Error{ErrorCode::Precondition, path.string(), "cannot write the hand-off bundle: " + why, ""};
}

Result<Done> write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return write_failed(path, "the file could not be written");
    return Done{};
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The same files as one zip, each under "<folder name>/" so unpacking makes one folder.
Result<Done> write_zip(const std::filesystem::path& dir, const std::vector<std::filesystem::path>& files,
                       const std::filesystem::path& archive_path) {
    std::unique_ptr<struct archive, decltype(&archive_write_free)> zip(archive_write_new(), archive_write_free);
    if (!zip || archive_write_set_format_zip(zip.get()) != ARCHIVE_OK ||
        archive_write_open_filename(zip.get(), archive_path.c_str()) != ARCHIVE_OK)
        return write_failed(archive_path, zip ? archive_error_string(zip.get()) : "libarchive could not start");
    const std::string top = dir.filename().string();
    for (const auto& file : files) {
        const std::string content = read_file(file);
        std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
        archive_entry_set_pathname(entry.get(), (top + "/" + std::filesystem::relative(file, dir).string()).c_str());
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), 0644);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(content.size()));
        archive_entry_set_mtime(entry.get(), std::time(nullptr), 0);
        if (archive_write_header(zip.get(), entry.get()) != ARCHIVE_OK ||
            archive_write_data(zip.get(), content.data(), content.size()) != static_cast<la_ssize_t>(content.size()))
            return write_failed(archive_path, archive_error_string(zip.get()));
    }
    if (archive_write_close(zip.get()) != ARCHIVE_OK) return write_failed(archive_path, archive_error_string(zip.get()));
    return Done{};
}

}  // namespace

Result<std::vector<std::filesystem::path>> write_bundle(const Bundle& bundle, const std::filesystem::path& dir,
                                                        const std::filesystem::path& archive) {
    std::error_code ec;
    std::filesystem::create_directories(dir / "qr", ec);
    if (ec) return write_failed(dir, ec.message());
    std::vector<std::filesystem::path> written;
    auto text = [&](const std::string& name, const std::string& content) -> Result<Done> {
        if (auto r = write_text(dir / name, content); !r) return r;
        written.push_back(dir / name);
        return Done{};
    };
    for (const auto& [name, content] : std::vector<std::pair<std::string, std::string>>{
             {"site.json", bundle.site_json.dump(2) + "\n"},
             {"streams.m3u", bundle.streams_m3u},
             {"router-rules.txt", bundle.router_rules},
             {"handoff.html", bundle.sheet_html}})
        if (auto r = text(name, content); !r) return r.error();
    std::set<std::string> used;
    for (const auto& qr : bundle.qr_codes) {
        std::string stem = file_safe(qr.name);
        for (int n = 2; !used.insert(stem).second; ++n) stem = file_safe(qr.name) + "-" + std::to_string(n);
        const auto path = dir / "qr" / (stem + ".png");
        if (auto r = write_qr_png(qr, path); !r) return r.error();
        if (auto r = write_text(dir / "qr" / (stem + ".txt"), qr.payload); !r) return r.error();
        written.push_back(path);
        written.push_back(dir / "qr" / (stem + ".txt"));
    }
    if (auto r = write_zip(dir, written, archive); !r) return r.error();
    return written;
}

}  // namespace sitelink::handoff
