#pragma once

// --filter QUERY for info, json, tree and diff: the query language of core/compare/value_query.h.

#include "app/cli/cli_command.h"
#include "core/compare/value_query.h"

namespace cli {

// Parses --filter (an absent option gives the empty query, which matches everything). Returns
// false after printing where the query is wrong ("--filter: unknown key 'dtyp' at 1").
bool filterFrom(const Args& args, core::compare::ValueQuery& out);

} // namespace cli
