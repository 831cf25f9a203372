// A small pool of threads that serve accepted HTTP connections. It starts with a few threads and
// grows (up to a cap) only while every thread is busy, so a slow_ms device or a stalled client
// delays other devices by at most the time it takes to start one more thread.
#pragma once

#include <netinet/in.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace simcam {

class ConnectionWorkers {
  public:
    struct Connection {
        int fd;
        std::string peer;
        std::function<void(int fd, const std::string& peer)> serve;  // owns fd from then on
    };

    ConnectionWorkers(std::size_t initial_threads, std::size_t max_threads);
    ~ConnectionWorkers();
    ConnectionWorkers(const ConnectionWorkers&) = delete;
    ConnectionWorkers& operator=(const ConnectionWorkers&) = delete;

    void submit(Connection connection);
    // Closes queued connections, wakes workers blocked on a client, joins every thread.
    void stop();

  private:
    void work();
    void spawn_locked();

    const std::size_t max_threads_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Connection> queue_;
    std::multiset<int> active_fds_;  // being served (a closed number may be reused at once, hence multi)
    std::vector<std::thread> threads_;
    std::size_t idle_ = 0;
    bool stopping_ = false;
};

}  // namespace simcam
