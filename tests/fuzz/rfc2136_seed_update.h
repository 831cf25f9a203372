// The signed UPDATE the seed answers in corpus/fuzz_rfc2136_answer/ answer: its ID, TSIG key and
// request MAC. The seeds were written by ldns_pkt_tsig_sign over this MAC, as a server signs its
// answer (tests/faults/fake_dns.cpp does the same), so the fuzzer starts from answers that pass
// the checks and reach the rcode. Shared with the fault tests, which check each seed means what
// its name says.
#pragma once
#include <string>

#include "ddns/ddns.h"

namespace sitelink::fuzz {

inline ddns::SignedUpdate rfc2136_seed_update() {
    std::string mac = {'\x00', '\x20'};  // the MAC field: a 2-byte length, then 32 bytes (1, 2, ... 32)
    for (char byte = 1; byte <= 32; ++byte) mac += byte;
    return {0x5151, "sitelink-fuzz.", "c2l0ZWxpbmsgZnV6eiB0c2lnIGtleSwgMzIgYnl0ZXM=", mac};
}

}  // namespace sitelink::fuzz
