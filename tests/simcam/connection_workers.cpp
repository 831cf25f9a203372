#include "connection_workers.h"

#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace simcam {

ConnectionWorkers::ConnectionWorkers(std::size_t initial_threads, std::size_t max_threads)
    : max_threads_(max_threads) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < initial_threads; ++i) spawn_locked();
}

ConnectionWorkers::~ConnectionWorkers() { stop(); }

void ConnectionWorkers::spawn_locked() { threads_.emplace_back([this] { work(); }); }

void ConnectionWorkers::submit(Connection connection) {
    std::lock_guard lock(mutex_);
    if (stopping_) {
        ::close(connection.fd);
        return;
    }
    queue_.push_back(std::move(connection));
    if (queue_.size() > idle_ && threads_.size() < max_threads_) {
        spawn_locked();
        if (threads_.size() == max_threads_)
            spdlog::warn("simcam: {} connection workers busy; further connections wait", max_threads_);
    }
    wake_.notify_one();
}

void ConnectionWorkers::stop() {
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
        for (const auto& connection : queue_) ::close(connection.fd);
        queue_.clear();
        for (int fd : active_fds_) ::shutdown(fd, SHUT_RDWR);
        threads.swap(threads_);
    }
    wake_.notify_all();
    for (auto& thread : threads) thread.join();
}

void ConnectionWorkers::work() {
    std::unique_lock lock(mutex_);
    for (;;) {
        ++idle_;
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        --idle_;
        if (stopping_) return;
        Connection connection = std::move(queue_.front());
        queue_.pop_front();
        active_fds_.insert(connection.fd);
        lock.unlock();
        connection.serve(connection.fd, connection.peer);
        lock.lock();
        active_fds_.erase(active_fds_.find(connection.fd));
    }
}

}  // namespace simcam
