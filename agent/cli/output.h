// How the CLI talks: data on stdout (a table, or JSON with --json), progress, notes and errors
// on stderr, errors as one line with the fix on the next.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "core/error.h"

namespace sitelink::cli {

// Prints the error and its advice to stderr; returns the exit code to use.
int report_error(const Error& error);

// Plain-text columns, left aligned, widths from the content.
class Table {
public:
    explicit Table(std::vector<std::string> headings);
    void add(std::vector<std::string> row);
    void print(std::ostream& out) const;

private:
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace sitelink::cli
