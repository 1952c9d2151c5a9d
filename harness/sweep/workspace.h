// Private to harness/sweep: the scratch space of one `detlab run` and its claims on runs.
// Several detlab processes may share one work root (the default "<db>.work" of one database):
// each builds in its own session directory, and a run is executed by whichever process holds
// its claim, so no two processes build the same run or delete each other's files.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace detlab::sweep {

// A lock on one run id, held by this process until destroyed (or until the process dies: the
// kernel drops flock locks of a killed process).
class RunClaim {
public:
    RunClaim(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
    RunClaim(RunClaim&& other) noexcept;
    RunClaim& operator=(RunClaim&&) = delete;
    ~RunClaim();

private:
    int fd_ = -1;
    std::filesystem::path path_;
};

class WorkRoot {
public:
    // Uses `root` (created with a marker file when missing; an existing directory is used as it
    // is) and makes this process's session directory in it. Session directories left by killed
    // processes (their lock free) are removed. Throws InputError when `root` exists and is not
    // a directory. Claim files left by killed processes (lock free, signed by detlab) go too.
    explicit WorkRoot(const std::filesystem::path& root);
    WorkRoot(const WorkRoot&) = delete;
    WorkRoot& operator=(const WorkRoot&) = delete;
    // Removes the session directory, then the root only when detlab created it and nothing but
    // its marker is left in it. Never removes anything else.
    ~WorkRoot();

    const std::filesystem::path& session() const { return session_; }
    // This process's claim on `run_id`, or nothing when another process holds it now.
    std::optional<RunClaim> claim(const std::string& run_id) const;

private:
    // Session folders and claim files of killed processes (lock free, signed by detlab), in one
    // walk of the root.
    void remove_leftovers() const;
    void make_session();

    std::filesystem::path root_, session_;
    int session_lock_ = -1;
};

} // namespace detlab::sweep
