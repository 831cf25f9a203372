// The XML each write sends, compared with golden files in golden/; a change here is a change on
// the wire. SITELINK_UPDATE_GOLDEN=1 rewrites them after a deliberate change, and then they must be
// validated again against the ONVIF schema, which may not be copied into this repository. How it
// was done (2026-11-23, all seven valid; a wrong value or element order fails): the body element of
// each golden, with the envelope's xmlns declarations, through `xmllint --nonet --schema` against
// the <xs:schema> of devicemgmt.wsdl importing onvif.xsd, every schemaLocation pointed at the local
// copies, and the extension wildcards' namespace="##targetNamespace" changed to "##other" (libxml2
// rejects them as non-deterministic; they are extension points Sitelink never writes).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "context.h"
#include "onvif_client/operations.h"
#include "envelope.h"
#include "soapH.h"

using namespace sitelink;
using namespace sitelink::onvif_client;

namespace {

// Serialises one request envelope with the generated serializers; connects to nothing.
template <class Wrapper, class Make>
std::string serialise(void (*serialize)(struct soap*, const Wrapper*),
                      int (*put)(struct soap*, const Wrapper*, const char*, const char*), const char* tag, Make make) {
    struct soap* soap = onvif::new_context(SOAP_XML_INDENT);
    std::ostringstream out;
    const Wrapper body = make(soap);
    EXPECT_EQ(onvif::write_envelope(soap, out, body, serialize, put, tag), SOAP_OK);
    onvif::release(soap);
    return out.str();
}

void expect_golden(const std::string& name, const std::string& xml) {
    const std::string path = std::string(SITELINK_TEST_DATA) + "/golden/" + name;
    if (std::getenv("SITELINK_UPDATE_GOLDEN")) {
        std::ofstream(path) << xml;
        return;
    }
    std::ifstream in(path);
    ASSERT_TRUE(in) << "missing golden file " << path;
    std::stringstream golden;
    golden << in.rdbuf();
    EXPECT_EQ(xml, golden.str()) << "request XML changed: " << name;
}

}  // namespace

// Each make_* builds the generated operation wrapper around the agent's own request builder.
#define WRAP(op, expr)                 \
    [](struct soap* soap) {            \
        __tds__##op w;                 \
        w.tds__##op = (expr);          \
        return w;                      \
    }
#define SERIALISE(op, expr) \
    serialise(soap_serialize___tds__##op, soap_put___tds__##op, "-tds:" #op, WRAP(op, expr))

TEST(WriteRequests, SetNetworkInterfacesIsManualIpv4WithDhcpOff) {
    expect_golden("SetNetworkInterfaces.xml",
                  SERIALISE(SetNetworkInterfaces, request::set_network_interfaces(soap, {"eth0", "192.168.77.21", 24, false})));
}

// How `sitelink address undo` gives a device that came with DHCP its DHCP back.
TEST(WriteRequests, SetNetworkInterfacesBackToDhcpHasNoManualAddress) {
    expect_golden("SetNetworkInterfacesDhcp.xml",
                  SERIALISE(SetNetworkInterfaces, request::set_network_interfaces(soap, {"eth0", "", 0, true})));
}

TEST(WriteRequests, SetNetworkDefaultGateway) {
    expect_golden("SetNetworkDefaultGateway.xml",
                  SERIALISE(SetNetworkDefaultGateway, request::set_network_default_gateway(soap, "192.168.77.1")));
}

TEST(WriteRequests, SetDNSIsManual) {
    expect_golden("SetDNS.xml", SERIALISE(SetDNS, request::set_dns(soap, {"192.168.77.1", "9.9.9.9"})));
}

TEST(WriteRequests, SetNetworkProtocols) {
    expect_golden("SetNetworkProtocols.xml",
                  SERIALISE(SetNetworkProtocols, request::set_network_protocols(
                                                     soap, {{"HTTP", true, {80}}, {"RTSP", true, {554, 8554}}})));
    struct soap* soap = onvif::new_context();
    EXPECT_EQ(request::set_network_protocols(soap, {{"TELNET", true, {23}}}), nullptr);
    onvif::release(soap);
}

TEST(WriteRequests, CreateUsersEscapesPasswords) {
    const std::string xml = SERIALISE(CreateUsers, request::create_users(soap, {{"viewer", "p/a&s<s%w:d", "User"}}));
    EXPECT_NE(xml.find("<tt:Password>p/a&amp;s&lt;s%w:d</tt:Password>"), std::string::npos);
    expect_golden("CreateUsers.xml", xml);
    struct soap* soap = onvif::new_context();
    EXPECT_EQ(request::create_users(soap, {{"x", "y", "Superuser"}}), nullptr);
    onvif::release(soap);
}

TEST(WriteRequests, SystemReboot) {
    expect_golden("SystemReboot.xml", SERIALISE(SystemReboot, soap_new__tds__SystemReboot(soap)));
}
