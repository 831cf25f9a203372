// Stage 6 of the flow: the hand-off to the customer.
// Entry points: prepare_viewers() makes sure every device of the site has the customer's viewer
// account (ONVIF User level, one generated password for the site), journaled, and reads each
// device's streams with it; remove_viewers() takes those accounts away again; build_bundle() turns
// the site into what the customer gets (pure: no device is asked); write_bundle() writes it to a
// folder with the QR codes as PNG, and the same files as one zip archive.
// Admin credentials never reach anything built here: they are used to create the viewer and for
// nothing else, and the bundle is built only from the site file and the viewer's own reads.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/profiles.h"
#include "onvif_client/session.h"
#include "site/secrets.h"
#include "site/site_db.h"

namespace sitelink::handoff {

// ---------------------------------------------------------------- viewer accounts

// One stream as the device gave it to the viewer (GetStreamUri), on the LAN.
struct DeviceStream {
    std::string profile;
    std::string encoding;
    int width = 0;
    int height = 0;
    std::string lan_uri;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DeviceStream, profile, encoding, width, height, lan_uri)

// What the hand-off knows of one device: its viewer account and its streams.
struct DeviceHandoff {
    std::string device_key;
    std::string device;   // the label, for people
    std::string account;  // created, kept (made by an earlier run), none (opted out), failed
    // The viewer was refused an administrator's read (GetUsers): the User level holds. False when
    // the device let the viewer read its user list, or when there is no viewer.
    bool admin_refused = false;
    std::vector<DeviceStream> streams;
    std::string problem;  // what went wrong and what to do; empty when all is well
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DeviceHandoff, device_key, device, account, admin_refused, streams, problem)

struct ViewerRequest {
    onvif_client::CredentialBook admin;  // used to create the accounts, never stored
    std::string username = "viewer";
    bool create_accounts = true;  // false: the installer opts out; streams are read with admin
    std::chrono::milliseconds timeout{5000};
};

using DeviceSink = std::function<void(const DeviceHandoff&)>;

// Every device the site knows, one after another; an interrupted run is finished by running it
// again (the password is stored sealed before any device is asked to create the account).
// Fails only when the site cannot be read or written; a device that fails is in its entry.
Result<std::vector<DeviceHandoff>> prepare_viewers(site::SiteDb& site, const ViewerRequest& request, const DeviceSink& progress = {});
// Deletes every account Sitelink created (DeleteUsers), journaled the same way.
Result<std::vector<DeviceHandoff>> remove_viewers(site::SiteDb& site, const onvif_client::CredentialBook& admin,
                                                  std::chrono::milliseconds timeout, const DeviceSink& progress = {});

// The viewer account the site uses, with its password, when one was made.
struct Viewer {
    std::string username;
    std::string password;
};
Result<std::optional<Viewer>> saved_viewer(site::SiteDb& site);
Result<std::vector<DeviceHandoff>> saved_devices(site::SiteDb& site);

// A strong password cameras accept: 16 letters and digits with at least one of each kind
// (many firmwares cap passwords at 16 characters and refuse some symbols).
std::string generate_password();

// ---------------------------------------------------------------- the bundle

struct BundleOptions {
    std::string installer;        // name and phone or e-mail, printed on the sheet
    bool include_password = false;
    std::string pin;              // seals the viewer password inside the site QR (needed with include_password)
    std::string passphrase;       // seals it inside site.json (needed with include_password)
    std::string address;          // the site's fixed public address, for a site without a DDNS name
};

// A QR code's content and the module matrix libqrencode made for it (true: dark).
struct QrCode {
    std::string name;     // "site", or the device's file-safe name
    std::string payload;  // exactly what a scanner reads
    std::vector<std::vector<bool>> modules;
};

struct Bundle {
    nlohmann::json site_json;  // schema "sitelink-handoff/1", README "The hand-off bundle"
    std::string streams_m3u;
    std::string router_rules;
    std::string sheet_html;
    std::vector<QrCode> qr_codes;  // the site's first, then one per camera stream
    std::vector<std::string> warnings;  // gaps the installer should close before leaving
};

// The customer's documents, from the site file alone. Fails when the site has no way to be
// reached from outside (no DDNS name and no known external address) or nothing to hand off.
Result<Bundle> build_bundle(site::SiteDb& site, const Profiles& profiles, const BundleOptions& options);

// The site QR's payload, compact and versioned (README: "The site QR code").
std::string site_qr_payload(const nlohmann::json& site_json, const std::optional<site::PassphraseSealed>& pin_sealed_password);
Result<QrCode> make_qr(const std::string& name, const std::string& payload);
std::string qr_svg(const QrCode& qr, int module_px = 4);
Result<Done> write_qr_png(const QrCode& qr, const std::filesystem::path& path, int module_px = 8);

// Writes site.json, streams.m3u, router-rules.txt, handoff.html and qr/*.png into dir (created if
// needed; existing files of the same names are replaced), and the same as `archive`, a zip.
Result<std::vector<std::filesystem::path>> write_bundle(const Bundle& bundle, const std::filesystem::path& dir,
                                                        const std::filesystem::path& archive);

// A bundle's site.json read back (by an integrator's tooling or `sitelink handoff check`):
// checks the schema and every field Sitelink relies on; the error names the first wrong field.
Result<nlohmann::json> read_site_json(const std::string& text);

}  // namespace sitelink::handoff
