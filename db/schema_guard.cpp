// What a store may hold besides detlab's own tables: checked from sqlite_master alone, before
// any query touches a table that could be something else.
#include "db/internal.h"

namespace detlab::db {

namespace {

// The names detlab queries: each must be a real table (or absent, before migration).
constexpr const char* kDetlabTables[] = {"experiments", "runs",  "params", "metrics",   "artifacts",
                                         "provenance",  "blobs", "cache",  "store_meta"};

bool is_detlab_table(const std::string& name) {
    for (const char* table : kDetlabTables)
        if (name == table)
            return true;
    return false;
}

} // namespace

void internal::refuse_hostile_schema(SQLite::Database& db, const std::string& schema,
                                     const std::filesystem::path& path) {
    // `schema` is "main" or "src", never data; sqlite_master itself cannot be a view.
    SQLite::Statement objects(db, "SELECT type, name, coalesce(sql, '') FROM " + schema +
                                      ".sqlite_master ORDER BY name");
    while (objects.executeStep()) {
        std::string type = objects.getColumn(0).getString();
        std::string name = objects.getColumn(1).getString();
        std::string sql = objects.getColumn(2).getString();
        auto refuse = [&](const std::string& why) {
            throw InputError(path.string() + ": " + type + " " + terminal_safe(name, 80) + " " +
                             why + "; detlab refuses a store it did not make this way");
        };
        if (type == "trigger")
            refuse("runs its own SQL on every write (triggers)");
        if (is_detlab_table(name) && type != "table")
            refuse("stands where detlab's table " + name + " belongs");
        if (is_detlab_table(name) && sql.rfind("CREATE VIRTUAL", 0) == 0)
            refuse("is a virtual table where detlab's table " + name + " belongs");
    }
}

} // namespace detlab::db
