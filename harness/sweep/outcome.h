// Private to the sweep: telling a configuration's failure from the machine's. A full disk or a
// store held locked says nothing about the configuration, so such a run is not stored as failed:
// it is left to be redone and counted apart (SweepSummary::unrecorded).
#pragma once

#include "db/store.h"

#include <filesystem>
#include <string>

namespace detlab::sweep {

// Empty when the store's and the work root's file systems have kMinFreeBytes free (or cannot
// be asked); else why a run should not start ("the store's disk has 3.1 MiB free, ...").
std::string no_room_to_run(const std::filesystem::path& db_path,
                           const std::filesystem::path& work_dir);

// Empty when a failed run's failure is its own; else the machine's reason: its message says the
// disk is full, a quota is exceeded or the store was locked, or the disk is now below the
// minimum (a tool that hit ENOSPC reports it in words of its own).
std::string machine_failure(const db::RunResult& result, const std::filesystem::path& db_path,
                            const std::filesystem::path& work_dir);

} // namespace detlab::sweep
