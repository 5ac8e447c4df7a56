#pragma once

#include <memory>
#include <string>

#include "tracking/database.h"

namespace plinth::tracking::internal {

std::unique_ptr<Database> open_sqlite(const std::string& path);
std::unique_ptr<Database> open_postgres(const std::string& conninfo);

// Brings the schema to the newest version (a `schema_version` table records where it is).
void migrate(Database& db);

}  // namespace plinth::tracking::internal
