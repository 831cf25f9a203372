#include "event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace simcam {

EventLoop::EventLoop() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_fd_ < 0 || wake_fd_ < 0) throw std::runtime_error(std::string("epoll/eventfd: ") + std::strerror(errno));
    watch(wake_fd_, [this](std::uint32_t) {
        std::uint64_t count = 0;
        while (::read(wake_fd_, &count, sizeof count) > 0) {
        }
    });
}

EventLoop::~EventLoop() {
    if (wake_fd_ >= 0) ::close(wake_fd_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void EventLoop::watch(int fd, FdHandler handler) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0)
        throw std::runtime_error(std::string("epoll_ctl add: ") + std::strerror(errno));
    handlers_[fd] = std::make_shared<FdHandler>(std::move(handler));
}

void EventLoop::unwatch(int fd) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    handlers_.erase(fd);
}

void EventLoop::run_after(Clock::duration delay, Task task) {
    {
        std::lock_guard lock(timers_mutex_);
        timers_.push(Timer{Clock::now() + delay, next_sequence_++, std::move(task)});
    }
    wake();
}

void EventLoop::stop() {
    post([this] { stopping_ = true; });
}

void EventLoop::wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);
}

int EventLoop::next_timeout_ms() {
    std::lock_guard lock(timers_mutex_);
    if (timers_.empty()) return -1;
    const auto remaining = timers_.top().due - Clock::now();
    if (remaining <= Clock::duration::zero()) return 0;
    // Round up so a timer is never polled a hair early and spun on.
    return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(remaining).count());
}

void EventLoop::run_due_timers() {
    const auto now = Clock::now();
    std::vector<Task> due;
    {
        std::lock_guard lock(timers_mutex_);
        while (!timers_.empty() && timers_.top().due <= now) {
            // priority_queue::top is const; the task is moved out just before pop discards it.
            due.push_back(std::move(const_cast<Timer&>(timers_.top()).task));
            timers_.pop();
        }
    }
    for (auto& task : due) task();
}

void EventLoop::run() {
    constexpr int kMaxEvents = 64;
    epoll_event events[kMaxEvents];
    while (!stopping_) {
        const int ready = epoll_wait(epoll_fd_, events, kMaxEvents, next_timeout_ms());
        if (ready < 0 && errno != EINTR) throw std::runtime_error(std::string("epoll_wait: ") + std::strerror(errno));
        for (int i = 0; i < ready; ++i) {
            const auto it = handlers_.find(events[i].data.fd);
            if (it == handlers_.end()) continue;  // unwatched by an earlier handler in this batch
            const auto handler = it->second;      // keeps it alive if it unwatches itself
            (*handler)(events[i].events);
        }
        run_due_timers();
    }
}

}  // namespace simcam
