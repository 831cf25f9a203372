// Long actions of the wizard (discover, apply, verify, ...) run as jobs: one thread each, one at a
// time per site, every event kept so a browser that reloads or arrives late sees the whole story.
#pragma once
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace sitelink::web {

struct JobEvent {
    std::string name;  // note, progress, done, failed
    nlohmann::json data;
};

class Job {
public:
    Job(std::string id, std::string kind, std::string site) : id_(std::move(id)), kind_(std::move(kind)), site_(std::move(site)) {}
    const std::string& id() const { return id_; }
    const std::string& kind() const { return kind_; }
    const std::string& site() const { return site_; }

    void note(const std::string& text) { add({"note", {{"text", text}}}); }
    void progress(nlohmann::json data) { add({"progress", std::move(data)}); }
    void finish(const Result<nlohmann::json>& result);

    bool finished() const;
    // {"id","kind","site","state", "result" or "error"}
    nlohmann::json summary() const;
    // Events from index `from` on; waits up to `wait` for one when there is none yet.
    std::vector<JobEvent> events_from(std::size_t from, std::chrono::milliseconds wait) const;

private:
    void add(JobEvent event);

    std::string id_, kind_, site_;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::vector<JobEvent> events_;
    bool finished_ = false;
};

using JobBody = std::function<Result<nlohmann::json>(Job&)>;

class Jobs {
public:
    // The job, started; an error naming the running one when the site already has one.
    Result<std::shared_ptr<Job>> start(const std::string& site, const std::string& kind, JobBody body);
    std::shared_ptr<Job> find(const std::string& id) const;
    // The site's job that is still running, if any.
    std::shared_ptr<Job> running(const std::string& site) const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Job>> jobs_;
    int next_ = 1;
};

// The JSON the browser gets for an error: id, device, summary, detail, protocol_code, advice.
nlohmann::json error_json(const Error& error);

}  // namespace sitelink::web
