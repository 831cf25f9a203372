// Time as Sitelink writes it down.
#pragma once
#include <ctime>
#include <string>

namespace sitelink {

// xsd:dateTime in UTC with a Z, as devices expect and as Sitelink records: "2010-09-16T07:50:45Z".
std::string utc_timestamp(std::time_t t);

}  // namespace sitelink
