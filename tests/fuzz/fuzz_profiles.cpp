// libFuzzer target: the JSON validation of profiles/vendors/*.json. load_profiles reads a folder,
// so each input is written as the one vendor file of a per-process temporary profiles folder.
// load_profiles must turn every bad file into an Error: a crash or an escaping exception is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/profiles.h"

namespace {
namespace fs = std::filesystem;

const fs::path& profiles_root() {
    static const fs::path root = [] {
        std::string templ = (fs::temp_directory_path() / "sitelink-fuzz-profiles-XXXXXX").string();
        if (mkdtemp(templ.data()) == nullptr) std::abort();
        fs::create_directories(fs::path(templ) / "vendors");
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
    {
        std::ofstream out(root / "vendors" / "vendor.json", std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    const auto profiles = sitelink::load_profiles(root.string());
    if (profiles) {
        std::size_t total = 0;
        for (const auto& s : profiles->mdns_services()) total += s.service.size() + s.txt.size();
        volatile std::size_t sink = total;
        (void)sink;
    }
    return 0;
}
