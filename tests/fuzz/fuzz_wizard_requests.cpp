// libFuzzer target: the wizard's request bodies as the browser (or anything else on the network)
// sends them, and the Cookie header the guard reads. The first byte picks the endpoint's parser,
// the rest is the body. Every input must become a request or a Usage error naming the field: a
// crash, a leak or an escaping exception is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "web/guard.h"
#include "web/requests.h"

namespace {

template <class T>
std::size_t outcome(const sitelink::Result<T>& r) {
    return r ? 1 : r.error().detail.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sitelink::web;
    if (size == 0) return 0;
    const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::size_t seen = 0;
    switch (data[0] % 8) {
        case 0: seen = outcome(parse_open_site(body)); break;
        case 1: seen = outcome(parse_step(body)); break;
        case 2: seen = outcome(parse_discover(body)); break;
        case 3: seen = outcome(parse_credentials(body)); break;
        case 4: seen = outcome(parse_address_plan(body)); break;
        case 5: seen = outcome(parse_forward_plan(body)); break;
        case 6: seen = outcome(parse_ddns(body)); break;
        default: seen = outcome(parse_handoff(body)); break;
    }
    static Guard guard({"127.0.0.1:8080"}, true);
    seen += guard.check("POST", "127.0.0.1:8080", "http://127.0.0.1:8080", body) ? 1 : 0;
    volatile std::size_t keep = seen;
    (void)keep;
    return 0;
}
