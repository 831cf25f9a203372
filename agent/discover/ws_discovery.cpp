#include "discover/ws_discovery.h"

#include <openssl/rand.h>

#include <cstdio>
#include <sstream>

#include "context.h"
#include "envelope.h"
#include "discover/scopes.h"
#include "soapDiscoveryProxy.h"

namespace sitelink::discover {

namespace {

constexpr const char* kDiscoveryTo = "urn:schemas-xmlsoap-org:ws:2005:04:discovery";
constexpr const char* kProbeAction = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe";

std::vector<std::string> split_words(const std::string* text) {
    std::vector<std::string> out;
    if (text == nullptr) return out;
    std::istringstream in(*text);
    for (std::string word; in >> word;) out.push_back(word);
    return out;
}

template <class T>
Announcement announcement_of(const T& m, unsigned metadata_version) {
    Announcement a;
    a.endpoint = m.wsa__EndpointReference.Address;
    a.types = split_words(m.Types);
    if (m.Scopes) a.scopes = parse_scopes(m.Scopes->__item);
    a.xaddrs = split_words(m.XAddrs);
    a.metadata_version = metadata_version;
    return a;
}

}  // namespace

std::string new_message_id() {
    unsigned char b[16];
    RAND_bytes(b, sizeof b);
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
    char text[64];
    std::snprintf(text, sizeof text, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                  b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                  b[15]);
    return text;
}

std::string build_probe(const std::string& message_id, const std::string& types) {
    struct soap* soap = onvif::new_context();
    std::ostringstream out;
    soap_header(soap);
    soap->header->wsa__MessageID = soap_new_std__string(soap);
    *soap->header->wsa__MessageID = message_id;
    soap->header->wsa__To = soap_new_std__string(soap);
    *soap->header->wsa__To = kDiscoveryTo;
    soap->header->wsa__Action = soap_new_std__string(soap);
    *soap->header->wsa__Action = kProbeAction;
    wsdd__ProbeType probe;
    std::string probe_types = types;
    probe.Types = &probe_types;
    __wsdd__Probe body;
    body.wsdd__Probe = &probe;
    onvif::write_envelope(soap, out, body, soap_serialize___wsdd__Probe, soap_put___wsdd__Probe, "-wsdd:Probe");
    onvif::release(soap);
    return out.str();
}

// A context that reads datagrams from memory.
struct MessageParser::Context {
    struct soap* soap = onvif::new_context(SOAP_IO_DEFAULT, onvif::XmlLimits{32, 64 * 1024});
    DiscoveryProxy proxy{soap};
    std::istringstream stream;

    Context() { onvif::use_sitelink_namespaces(soap); }
    ~Context() { onvif::release(soap); }
    void rewind() {
        soap_destroy(soap);
        soap_end(soap);
        stream.clear();
        stream.seekg(0);
        soap->is = &stream;
    }
    void fill_header(WsdMessage& msg) const {
        if (soap->header == nullptr) return;
        if (soap->header->wsa__MessageID) msg.message_id = *soap->header->wsa__MessageID;
        if (soap->header->wsa__RelatesTo) msg.relates_to = soap->header->wsa__RelatesTo->__item;
    }
};

MessageParser::MessageParser() : context_(new Context) {}
MessageParser::~MessageParser() { delete context_; }

std::optional<WsdMessage> MessageParser::parse(std::string_view datagram) {
    Context& reader = *context_;
    reader.stream.str(std::string(datagram));
    WsdMessage msg;
    reader.rewind();
    __wsdd__ProbeMatches matches;
    if (reader.proxy.recv_ProbeMatches(matches) == SOAP_OK && matches.wsdd__ProbeMatches != nullptr) {
        msg.kind = WsdMessage::Kind::ProbeMatches;
        reader.fill_header(msg);
        for (const auto& m : matches.wsdd__ProbeMatches->ProbeMatch)
            msg.announcements.push_back(announcement_of(m, m.MetadataVersion));
        return msg;
    }
    reader.rewind();
    __wsdd__Hello hello;
    if (reader.proxy.recv_Hello(hello) == SOAP_OK && hello.wsdd__Hello != nullptr) {
        msg.kind = WsdMessage::Kind::Hello;
        reader.fill_header(msg);
        msg.announcements.push_back(announcement_of(*hello.wsdd__Hello, hello.wsdd__Hello->MetadataVersion));
        return msg;
    }
    reader.rewind();
    __wsdd__Bye bye;
    if (reader.proxy.recv_Bye(bye) == SOAP_OK && bye.wsdd__Bye != nullptr) {
        msg.kind = WsdMessage::Kind::Bye;
        reader.fill_header(msg);
        const auto* b = bye.wsdd__Bye;
        msg.announcements.push_back(announcement_of(*b, b->MetadataVersion ? *b->MetadataVersion : 0));
        return msg;
    }
    return std::nullopt;
}

}  // namespace sitelink::discover
