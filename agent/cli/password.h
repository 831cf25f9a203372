// Passwords and other secrets never come from argv (visible to every user in `ps`): from an
// environment variable (SITELINK_PASSWORD for devices), or typed at a prompt with echo off.
#pragma once
#include <string>

#include "core/error.h"

namespace sitelink::cli {

// The prompt reads "Password for <username> on <device>: "; what names the secret otherwise.
Result<std::string> read_password(const std::string& username, const std::string& device);
Result<std::string> read_secret(const std::string& prompt, const char* environment_variable);

}  // namespace sitelink::cli
