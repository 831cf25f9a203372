// One way to make a gSOAP context for Sitelink, used by the agent and by the simulated camera,
// so XML limits and the namespace table are the same everywhere.
#pragma once
#include "stdsoap2.h"

namespace onvif {

struct XmlLimits {
    int max_depth = 64;                    // nesting levels; deeper is an attack, not a camera
    long max_message_bytes = 4 * 1024 * 1024;  // a large GetProfiles answer is well under 1 MB
};

// A new context: SOAP 1.2, UTF-8, Sitelink's namespace table, bounded XML. Free with release().
struct soap* new_context(int mode = 0, const XmlLimits& limits = {});
// gSOAP's generated proxies and services install their own namespace table when constructed;
// call this after constructing one on a context, so the project's table (with dn, ter) is used.
void use_sitelink_namespaces(struct soap* soap);
void release(struct soap* soap);

// Between two calls on one context: frees the last answer and forgets everything that pointed
// into it, including the HTTP Digest plugin's view of the last challenge (its nonce and realm
// live in that memory; keeping them would be a use-after-free on the next 401).
void reset_for_next_call(struct soap* soap);
// Whether the last answer carried a Digest challenge (not only, say, Basic) that http_da_save
// can answer. Only meaningful right after the answer arrived.
bool has_digest_challenge(struct soap* soap);

}  // namespace onvif
