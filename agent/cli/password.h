// Passwords never come from argv (visible to every user in `ps`): from SITELINK_PASSWORD, or
// typed at a prompt with echo off.
#pragma once
#include <string>

#include "core/error.h"

namespace sitelink::cli {

Result<std::string> read_password(const std::string& username, const std::string& device);

}  // namespace sitelink::cli
