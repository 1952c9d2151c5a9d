// Flat exports of the store's runs for pandas or a spreadsheet. Part of db/store.h.
#pragma once

#include "db/run.h"

#include <ostream>

namespace detlab::db {

class Store;

// Runs joined with their params and final metrics (the value at the highest step per key), one
// record per run, for pandas or a spreadsheet. CSV columns: the run's fields, then "params.<key>"
// and "metrics.<key>" sorted by key (RFC 4180 quoting, empty cell when a run lacks the key).
// JSON: an array of objects with the run's fields plus "params" (strings) and "metrics"
// (numbers, NaN as null); pandas.json_normalize gives the same column names as the CSV.
enum class ExportFormat { csv, json };
void export_runs(const Store& store, ExportFormat format, std::ostream& out,
                 const RunFilter& filter = {});

} // namespace detlab::db
