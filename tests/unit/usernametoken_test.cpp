#include <gtest/gtest.h>

#include "context.h"
#include "onvif_client/usernametoken.h"
#include "soapH.h"

using namespace sitelink::onvif_client;

// The worked example of the ONVIF Application Programmer's Guide (section 6.1.1.3).
TEST(PasswordDigest, MatchesOnvifProgrammersGuideExample) {
    const std::vector<std::uint8_t> nonce = {0x2c, 0xaa, 0x88, 0xe8, 0x6f, 0xc0, 0x8a, 0x42,
                                             0x82, 0x42, 0xb3, 0x74, 0xce, 0xa6, 0x45, 0x96};
    EXPECT_EQ(base64(nonce), "LKqI6G/AikKCQrN0zqZFlg==");
    EXPECT_EQ(password_digest(nonce, "2010-09-16T07:50:45Z", "userpassword"), "tuOSpGlFlIXsozq4HFNeeGeFLEI=");
}

TEST(UtcTimestamp, IsXsdDateTimeInUtc) {
    EXPECT_EQ(utc_timestamp(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(utc_timestamp(1284623445), "2010-09-16T07:50:45Z");
}

// The token is dated on the device's clock, so a camera a day off still accepts it.
TEST(AddUsernameToken, DatesTheTokenInDeviceTimeAndDigestsIt) {
    struct soap* soap = onvif::new_context();
    const std::time_t device_time = 1284623445 + 86400;
    add_username_token(soap, "admin", "p/a&s<s%w:d", device_time);
    ASSERT_NE(soap->header, nullptr);
    ASSERT_NE(soap->header->wsse__Security, nullptr);
    const auto* token = soap->header->wsse__Security->UsernameToken;
    ASSERT_NE(token, nullptr);
    EXPECT_EQ(token->Username, "admin");
    ASSERT_NE(token->wsu__Created, nullptr);
    EXPECT_EQ(*token->wsu__Created, "2010-09-17T07:50:45Z");
    ASSERT_NE(token->Nonce, nullptr);
    // Recompute from the nonce actually sent.
    std::vector<std::uint8_t> nonce(64);
    int n = 0;
    const char* decoded = soap_base642s(soap, token->Nonce->__item.c_str(), reinterpret_cast<char*>(nonce.data()),
                                        nonce.size(), &n);
    ASSERT_NE(decoded, nullptr);
    nonce.resize(static_cast<std::size_t>(n));
    EXPECT_EQ(nonce.size(), 16u);
    EXPECT_EQ(token->Password->__item, password_digest(nonce, *token->wsu__Created, "p/a&s<s%w:d"));
    onvif::release(soap);
}
