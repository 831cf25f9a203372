#include "web/jobs.h"

#include <thread>

namespace sitelink::web {

nlohmann::json error_json(const Error& error) {
    return {{"id", error.id()},         {"device", error.device},
            {"summary", error.summary()}, {"detail", error.detail},
            {"protocol_code", error.protocol_code}, {"advice", error.advice()}};
}

void Job::add(JobEvent event) {
    {
        std::lock_guard lock(mutex_);
        events_.push_back(std::move(event));
    }
    changed_.notify_all();
}

void Job::finish(const Result<nlohmann::json>& result) {
    {
        std::lock_guard lock(mutex_);
        if (result) events_.push_back({"done", {{"result", result.value()}}});
        else events_.push_back({"failed", {{"error", error_json(result.error())}}});
        finished_ = true;
    }
    changed_.notify_all();
}

bool Job::finished() const {
    std::lock_guard lock(mutex_);
    return finished_;
}

nlohmann::json Job::summary() const {
    std::lock_guard lock(mutex_);
    nlohmann::json out{{"id", id_}, {"kind", kind_}, {"site", site_}, {"state", "running"}};
    if (finished_) {
        const auto& last = events_.back();
        out["state"] = last.name;
        out[last.name == "done" ? "result" : "error"] = last.data.begin().value();
    }
    return out;
}

std::vector<JobEvent> Job::events_from(std::size_t from, std::chrono::milliseconds wait) const {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, wait, [&] { return events_.size() > from; });
    if (from >= events_.size()) return {};
    return {events_.begin() + static_cast<std::ptrdiff_t>(from), events_.end()};
}

Result<std::shared_ptr<Job>> Jobs::start(const std::string& site, const std::string& kind, JobBody body) {
    std::shared_ptr<Job> job;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, other] : jobs_)
            if (other->site() == site && !other->finished())
                return Error{ErrorCode::Precondition, site,
                             "the site is busy with " + other->kind() + " (job " + id + "); wait for it to end, then try again", ""};
        job = std::make_shared<Job>("J" + std::to_string(next_++), kind, site);
        jobs_[job->id()] = job;
    }
    // Detached: the job owns what it uses, and a job that is cut off by the server's end leaves
    // its journal behind like an interrupted CLI run.
    std::thread([job, body = std::move(body)] {
        Result<nlohmann::json> result = Error{ErrorCode::Precondition, job->site(), "the job failed unexpectedly", ""};
        try {
            result = body(*job);
        } catch (const std::exception& e) {
            result = Error{ErrorCode::Precondition, job->site(), std::string("the job failed unexpectedly: ") + e.what(), ""};
        }
        job->finish(result);
    }).detach();
    return job;
}

std::shared_ptr<Job> Jobs::find(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(id);
    return it == jobs_.end() ? nullptr : it->second;
}

std::shared_ptr<Job> Jobs::running(const std::string& site) const {
    std::lock_guard lock(mutex_);
    for (const auto& [id, job] : jobs_)
        if (job->site() == site && !job->finished()) return job;
    return nullptr;
}

}  // namespace sitelink::web
