// libFuzzer target: the JSON validation of profiles/vendors, profiles/routers, profiles/ddns and
// profiles/apps.
// load_profiles reads a folder, so each input is written as one file of a per-process temporary
// profiles folder: a router file when it mentions "family" (every router profile does), a DDNS
// provider file when it mentions "protocol" (every one does), a phone app file when it mentions
// "opens", else a vendor file.
// load_profiles must turn every bad file into an Error: a crash or an escaping exception is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "core/profiles.h"

namespace {
namespace fs = std::filesystem;

const fs::path& profiles_root() {
    static const fs::path root = [] {
        std::string templ = (fs::temp_directory_path() / "sitelink-fuzz-profiles-XXXXXX").string();
        if (mkdtemp(templ.data()) == nullptr) std::abort();
        fs::create_directories(fs::path(templ) / "vendors");
        fs::create_directories(fs::path(templ) / "routers");
        fs::create_directories(fs::path(templ) / "ddns");
        fs::create_directories(fs::path(templ) / "apps");
        // The smallest valid generic router profile, which load_profiles requires.
        std::ofstream(fs::path(templ) / "routers" / "generic.json")
            << R"({"schema": 1, "family": "Any", "match": [], "admin_url": "http://{gateway}", "menu": ["Port Forwarding"],
                  "add": "Add.", "fields": {"external_port": "E", "internal_address": "A", "internal_port": "I", "protocol": "P"},
                  "protocol_values": {"TCP": "TCP", "UDP": "UDP"}, "save": "Save.", "remove": "Delete.", "notes": []})";
        std::atexit([] {
            std::error_code ec;
            fs::remove_all(profiles_root(), ec);
        });
        return fs::path(templ);
    }();
    return root;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const fs::path& root = profiles_root();
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const char* file = input.find("family") != std::string_view::npos     ? "routers/router.json"
                       : input.find("protocol") != std::string_view::npos ? "ddns/provider.json"
                       : input.find("opens") != std::string_view::npos    ? "apps/app.json"
                                                                          : "vendors/vendor.json";
    std::error_code ec;
    for (const char* other : {"routers/router.json", "ddns/provider.json", "apps/app.json", "vendors/vendor.json"}) fs::remove(root / other, ec);
    {
        std::ofstream out(root / file, std::ios::binary | std::ios::trunc);
        out.write(input.data(), static_cast<std::streamsize>(size));
    }
    const auto profiles = sitelink::load_profiles(root.string());
    if (profiles) {
        std::size_t total = 0;
        for (const auto& s : profiles->mdns_services()) total += s.service.size() + s.txt.size();
        for (const auto& r : profiles->routers) total += r.matches("fuzz router") ? 1 : r.menu.size();
        for (const auto& p : profiles->ddns_providers) total += p.hostname_suffix.size() + p.notes.size();
        for (const auto& a : profiles->phone_apps) total += a.steps.size() + a.vendors.size();
        volatile std::size_t sink = total;
        (void)sink;
    }
    return 0;
}
