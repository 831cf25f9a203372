// The wizard's files (wizard-ui/), compiled into the binary by embed_assets.cmake at build time.
#pragma once
#include <cstddef>
#include <string>

namespace sitelink::web {

struct Asset {
    const char* path;  // relative to wizard-ui/: "index.html", "steps/site.js"
    const unsigned char* data;
    std::size_t size;
};

// The file at `path`, or nullptr.
const Asset* find_asset(const std::string& path);

}  // namespace sitelink::web
