#include "harness/train/thread_pool.h"

namespace detlab::train {

ThreadPool::ThreadPool(int threads) {
    for (int worker = 0; worker < threads; ++worker)
        workers_.emplace_back([this, worker] { work(worker); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& worker : workers_)
        worker.join();
}

void ThreadPool::run(const std::function<void(int worker)>& job) {
    std::unique_lock lock(mutex_);
    job_ = &job;
    running_ = size();
    error_ = nullptr;
    ++generation_;
    wake_.notify_all();
    done_.wait(lock, [this] { return running_ == 0; });
    job_ = nullptr;
    if (error_)
        std::rethrow_exception(error_);
}

void ThreadPool::work(int worker) {
    unsigned long seen = 0;
    for (;;) {
        const std::function<void(int)>* job = nullptr;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
            if (stopping_)
                return;
            seen = generation_;
            job = job_;
        }
        std::exception_ptr error;
        try {
            (*job)(worker);
        } catch (...) {
            // Broad on purpose: an exception must not leave a worker thread (std::terminate).
            // The first one, InternalError included, is rethrown to the caller of run().
            error = std::current_exception();
        }
        std::lock_guard lock(mutex_);
        if (error && !error_)
            error_ = error;
        if (--running_ == 0)
            done_.notify_one();
    }
}

} // namespace detlab::train
