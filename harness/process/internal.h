// What process.cpp (the drain and the time limits) and launch.cpp (fork, execve, the guard,
// wait4) share; private to harness/process.
#pragma once

#include "harness/process/process.h"

#include <string>
#include <sys/types.h>

namespace detlab::process::detail {

// Reaps the exited child and fills status and resource usage.
void reap(pid_t pid, Result& result);

// The parent's ends of a started child's pipes, and its guard.
struct Launched {
    int out = -1, err = -1, in = -1;
    pid_t guard = 0;
    int life = -1; // write end of the guard's pipe
};

// Forks the child and its guard; on failure fills result.error and returns false.
bool launch(const Spec& spec, const std::string& exe, const char* cwd, Result& result,
            Launched& launched);

// Tells the guard the run ended normally and reaps it.
void release_guard(Launched& launched);

// A write to a pipe whose reader is gone fails with EPIPE instead of killing detlab.
void ignore_sigpipe_once();

} // namespace detlab::process::detail
