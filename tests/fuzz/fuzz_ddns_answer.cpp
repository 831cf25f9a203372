// libFuzzer target: what Sitelink makes of a DDNS provider's answer (dyndns2, DuckDNS, Cloudflare).
// The first byte picks the protocol, the next two the HTTP status; the rest is the body. Every
// answer must become a ProviderAnswer (or Cloudflare's result): a crash or an escaping exception
// is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ddns/ddns.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 3) return 0;
    const int status = 100 + (data[1] << 8 | data[2]) % 500;
    const std::string body(reinterpret_cast<const char*>(data) + 3, size - 3);
    std::size_t sink = 0;
    switch (data[0] % 3) {
        case 0: sink = sitelink::ddns::dyndns2_answer("https://fuzz", status, body).message.size(); break;
        case 1: sink = sitelink::ddns::duckdns_answer("https://fuzz", status, body, "203.0.113.7").message.size(); break;
        default: {
            auto answer = sitelink::ddns::cloudflare_answer("https://fuzz", status, body);
            sink = answer.index();
        }
    }
    volatile std::size_t keep = sink;
    (void)keep;
    return 0;
}
