// libFuzzer target: what Sitelink makes of an RFC 2136 server's answer to a signed UPDATE, from
// the datagram as received: ldns parses it, it is checked against the update's ID and opcode,
// its TSIG signature is verified over the request's MAC, and its rcode is classified. Every input
// must become a ProviderAnswer: a crash, a leak or an escaping exception is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ddns/ddns.h"
#include "rfc2136_seed_update.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const sitelink::ddns::SignedUpdate update = sitelink::fuzz::rfc2136_seed_update();
    const std::string answer(reinterpret_cast<const char*>(data), size);
    volatile std::size_t keep = sitelink::ddns::rfc2136_answer("fuzz", answer, update).message.size();
    (void)keep;
    return 0;
}
