// A single-threaded epoll loop with a timer queue. Every simulated device shares it: listening
// sockets, the WS-Discovery socket and all delayed actions (probe answers after their random
// delay, Hello pacing, address changes, reboots) run here, so 1000 devices need one thread, not
// 1000. run_after() and post() may be called from any thread; everything else from the loop thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <unordered_map>
#include <vector>

namespace simcam {

class EventLoop {
  public:
    using Clock = std::chrono::steady_clock;
    using Task = std::function<void()>;
    using FdHandler = std::function<void(std::uint32_t events)>;

    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Calls handler on the loop thread whenever fd is readable (level triggered).
    void watch(int fd, FdHandler handler);
    void unwatch(int fd);

    // Runs task on the loop thread after delay. Thread safe.
    void run_after(Clock::duration delay, Task task);
    void post(Task task) { run_after(Clock::duration::zero(), std::move(task)); }

    // Runs until stop(). Thread safe to call stop() from a handler or another thread.
    void run();
    void stop();

  private:
    struct Timer {
        Clock::time_point due;
        std::uint64_t sequence;  // keeps tasks with the same deadline in submission order
        Task task;
        bool operator>(const Timer& other) const {
            return due != other.due ? due > other.due : sequence > other.sequence;
        }
    };

    int next_timeout_ms();
    void run_due_timers();
    void wake();

    int epoll_fd_ = -1;
    int wake_fd_ = -1;  // eventfd: a timer was added from another thread, or stop() was called
    bool stopping_ = false;
    std::unordered_map<int, std::shared_ptr<FdHandler>> handlers_;

    std::mutex timers_mutex_;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
    std::uint64_t next_sequence_ = 0;
};

}  // namespace simcam
