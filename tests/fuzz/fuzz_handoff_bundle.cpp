// libFuzzer target: a hand-off bundle's site.json read back (read_site_json), and the site QR
// payload made from whatever it accepted. Bundles travel by e-mail and USB stick and come back
// to integrators' tooling: anything must end as a document or a named error, never a crash or an
// escaping exception. (Opening a sealed password is left out: each try costs Argon2id's memory.)
#include <cstddef>
#include <cstdint>
#include <string>

#include "handoff/handoff.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto doc = sitelink::handoff::read_site_json(text);
    std::size_t sink = doc ? sitelink::handoff::site_qr_payload(*doc, std::nullopt).size() : doc.error().detail.size();
    volatile std::size_t keep = sink;
    (void)keep;
    return 0;
}
