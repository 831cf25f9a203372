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

}  // namespace onvif
