#include "context.h"

#include "httpda.h"

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

namespace {
http_da_data* digest_plugin(struct soap* soap) {
    return static_cast<http_da_data*>(soap_lookup_plugin(soap, http_da_id));
}
}  // namespace

void reset_for_next_call(struct soap* soap) {
    soap_destroy(soap);
    soap_end(soap);
    soap->header = nullptr;
    soap->userid = nullptr;
    soap->passwd = nullptr;
    soap->authrealm = nullptr;
    if (http_da_data* digest = digest_plugin(soap))
        digest->nonce = digest->opaque = digest->qop = digest->alg = nullptr;
}

bool has_digest_challenge(struct soap* soap) {
    const http_da_data* digest = digest_plugin(soap);
    return digest != nullptr && digest->nonce != nullptr && soap->authrealm != nullptr;
}

void release(struct soap* soap) {
    if (soap == nullptr) return;
    soap_destroy(soap);
    soap_end(soap);
    soap_free(soap);
}

}  // namespace onvif
