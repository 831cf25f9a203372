#include "context.h"

extern SOAP_NMAC struct Namespace namespaces[];

namespace onvif {

struct soap* new_context(int mode, const XmlLimits& limits) {
    struct soap* soap = soap_new1(mode | SOAP_C_UTFSTRING);
    soap->maxlevel = static_cast<unsigned int>(limits.max_depth);
    soap->recv_maxlength = static_cast<ULONG64>(limits.max_message_bytes);
    use_sitelink_namespaces(soap);
    return soap;
}

void use_sitelink_namespaces(struct soap* soap) { soap_set_namespaces(soap, namespaces); }

void release(struct soap* soap) {
    if (soap == nullptr) return;
    soap_destroy(soap);
    soap_end(soap);
    soap_free(soap);
}

}  // namespace onvif
