// Private to harness/train: a fixed set of worker threads that run one job at a time, so the
// float-atomic backend does not pay a thread start per product and its workers really race.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace detlab::train {

class ThreadPool {
public:
    explicit ThreadPool(int threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return static_cast<int>(workers_.size()); }

    // Calls job(worker) on every worker at once and returns when all have finished. The first
    // exception a worker throws is rethrown here.
    void run(const std::function<void(int worker)>& job);

private:
    void work(int worker);

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    const std::function<void(int)>* job_ = nullptr;
    unsigned long generation_ = 0;
    int running_ = 0;
    bool stopping_ = false;
    std::exception_ptr error_;
};

} // namespace detlab::train
