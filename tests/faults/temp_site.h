// A site database in a temporary folder of its own, with its own secret key (for sealed DDNS
// secrets); the folder is removed afterwards.
#pragma once
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "site/site_db.h"

namespace sitelink::faults {

class TempSite {
public:
    TempSite() {
        std::string pattern = (std::filesystem::temp_directory_path() / "sitelink-faults-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        ::setenv("SITELINK_SECRET_KEY", (dir_ / "secret.key").c_str(), 1);
        auto opened = site::SiteDb::open(dir_ / "job.db");
        if (!opened) throw std::runtime_error(opened.error().summary());
        db_ = std::move(opened.value());
    }
    ~TempSite() {
        db_.reset();
        ::unsetenv("SITELINK_SECRET_KEY");
        std::filesystem::remove_all(dir_);
    }
    TempSite(const TempSite&) = delete;
    TempSite& operator=(const TempSite&) = delete;

    site::SiteDb& db() { return *db_; }

private:
    std::filesystem::path dir_;
    std::unique_ptr<site::SiteDb> db_;
};

}  // namespace sitelink::faults
