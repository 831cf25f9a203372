#include "cli/password.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>

namespace sitelink::cli {

Result<std::string> read_password(const std::string& username, const std::string& device) {
    return read_secret("Password for " + username + " on " + device + ": ", "SITELINK_PASSWORD");
}

Result<std::string> read_secret(const std::string& prompt, const char* environment_variable) {
    if (const char* env = std::getenv(environment_variable)) return std::string(env);
    const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty < 0)
        return Error{ErrorCode::NoPassword, "", std::string("no terminal to ask on; set ") + environment_variable, ""};
    (void)!::write(tty, prompt.data(), prompt.size());
    termios saved{};
    const bool is_terminal = tcgetattr(tty, &saved) == 0;
    if (is_terminal) {
        termios quiet = saved;
        quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
        tcsetattr(tty, TCSAFLUSH, &quiet);
    }
    std::string password;
    char c = 0;
    while (::read(tty, &c, 1) == 1 && c != '\n') password += c;
    if (is_terminal) tcsetattr(tty, TCSAFLUSH, &saved);
    (void)!::write(tty, "\n", 1);
    ::close(tty);
    return password;
}

}  // namespace sitelink::cli
