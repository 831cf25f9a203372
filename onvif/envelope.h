// Writes a SOAP 1.2 envelope (the context's header plus one body element) to a stream, using
// the serializers soapcpp2 generated, and never opens a connection. gSOAP's generated send_X
// calls soap_connect even when an output stream is set, which for an http:// endpoint means a
// real TCP connect; WS-Discovery and the golden-XML tests must never do that.
#pragma once
#include <ostream>

#include "stdsoap2.h"

namespace onvif {

// Wrapper is the generated operation struct (e.g. __wsdd__Probe); tag its element ("-wsdd:Probe").
template <class Wrapper>
int write_envelope(struct soap* soap, std::ostream& out, const Wrapper& body,
                   void (*serialize)(struct soap*, const Wrapper*),
                   int (*put)(struct soap*, const Wrapper*, const char*, const char*), const char* tag) {
    soap_set_version(soap, 2);
    soap->encodingStyle = nullptr;  // document/literal
    soap_serializeheader(soap);
    serialize(soap, &body);
    std::ostream* previous = soap->os;
    soap->os = &out;
    const int rc = soap_begin_send(soap) || soap_envelope_begin_out(soap) || soap_putheader(soap) ||
                   soap_body_begin_out(soap) || put(soap, &body, tag, "") || soap_body_end_out(soap) ||
                   soap_envelope_end_out(soap) || soap_end_send(soap);
    soap->os = previous;
    return rc ? soap->error : SOAP_OK;
}

}  // namespace onvif
