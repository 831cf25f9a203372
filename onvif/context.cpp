#include "context.h"

#include "httpda.h"

extern SOAP_NMAC struct Namespace namespaces[];

namespace onvif {

namespace {

// gSOAP takes a Content-Length as it comes, and sizes the buffer for an error answer's body by
// it: a device sending "Content-Length: -1143" makes it ask malloc for 2^64 - 1143 bytes. Only
// a plain decimal number passes on to gSOAP's own header parser.
int (*gsoap_parse_header)(struct soap*, const char*, const char*) = nullptr;

int parse_header(struct soap* soap, const char* key, const char* value) {
    if (soap_tag_cmp(key, "Content-Length") == 0) {
        const char* p = value;
        while (*p == ' ' || *p == '\t') ++p;
        const char* digits = p;
        while (*p >= '0' && *p <= '9') ++p;
        while (*p == ' ' || *p == '\t') ++p;
        if (p == digits || *p != '\0') return soap->error = SOAP_HTTP_ERROR;
    }
    return gsoap_parse_header(soap, key, value);
}

}  // namespace

struct soap* new_context(int mode, const XmlLimits& limits) {
    struct soap* soap = soap_new1(mode | SOAP_C_UTFSTRING);
    static const bool hooked = [soap] {
        gsoap_parse_header = soap->fparsehdr;  // the same default parser in every context
        return true;
    }();
    (void)hooked;
    soap->fparsehdr = parse_header;
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
