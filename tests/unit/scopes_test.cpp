#include <gtest/gtest.h>

#include "discover/scopes.h"

using namespace sitelink::discover;

TEST(UrlDecode, DecodesEscapesAndKeepsBrokenOnes) {
    EXPECT_EQ(url_decode("Front%20Door"), "Front Door");
    EXPECT_EQ(url_decode("a%2Fb%26c"), "a/b&c");
    EXPECT_EQ(url_decode("100%"), "100%");
    EXPECT_EQ(url_decode("%zz%4"), "%zz%4");
}

TEST(ParseScopes, ReadsOnvifKeysCaseInsensitively) {
    auto s = parse_scopes(
        "onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming "
        "onvif://www.onvif.org/Profile/T onvif://www.onvif.org/name/Front%20Door "
        "onvif://www.onvif.org/hardware/P3245-LV onvif://www.onvif.org/location/country/norway "
        "ONVIF://www.onvif.org/MacAddress/ACCC8E012345 onvif://www.onvif.org/SerialNumber/ACCC8E012345 "
        "http://example.com/custom-scope");
    EXPECT_EQ(s.name.value_or(""), "Front Door");
    EXPECT_EQ(s.hardware.value_or(""), "P3245-LV");
    EXPECT_EQ(s.location.value_or(""), "country/norway");
    EXPECT_EQ(s.mac.value_or(""), "ac:cc:8e:01:23:45");
    EXPECT_EQ(s.serial.value_or(""), "ACCC8E012345");
    EXPECT_EQ(s.profiles, (std::vector<std::string>{"Streaming", "T"}));
    EXPECT_EQ(s.all.size(), 9u);
}

TEST(ParseScopes, ToleratesEmptyAndValuelessScopes) {
    auto s = parse_scopes("  onvif://www.onvif.org/name/ onvif://www.onvif.org/name  ");
    EXPECT_FALSE(s.name);
    EXPECT_EQ(s.all.size(), 2u);
    EXPECT_TRUE(parse_scopes("").all.empty());
}
