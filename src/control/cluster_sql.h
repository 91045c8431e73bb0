// The SQL statements the cluster controller runs against Materialize, with names and
// sizes quoted so that any name the catalog can hold is written back exactly.
//
// Identifiers are always double-quoted, a double quote inside doubled
// (my "big" cluster -> "my ""big"" cluster"); quoting keeps case, so the names are
// taken exactly as the catalog reports them. String literals are single-quoted, a
// single quote inside doubled ('it''s'); Materialize reads backslashes in standard
// literals as themselves.
//
// Unmanaged clusters are changed replica by replica (CREATE/DROP CLUSTER REPLICA);
// managed clusters only through ALTER CLUSTER (SIZE, REPLICATION FACTOR), since
// replica DDL is deprecated for them. Statements carry no trailing semicolon.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace materia {

// "name" with embedded double quotes doubled.
std::string QuoteIdentifier(std::string_view name);
// 'text' with embedded single quotes doubled.
std::string QuoteLiteral(std::string_view text);

// CREATE CLUSTER REPLICA "cluster"."replica" (SIZE = 'size')
std::string CreateReplicaSql(std::string_view cluster, std::string_view replica, std::string_view size);
// DROP CLUSTER REPLICA "cluster"."replica"
std::string DropReplicaSql(std::string_view cluster, std::string_view replica);
// ALTER CLUSTER "cluster" SET (REPLICATION FACTOR = n)
std::string SetReplicationFactorSql(std::string_view cluster, int replication_factor);
// ALTER CLUSTER "cluster" SET (SIZE = 'size')
std::string SetSizeSql(std::string_view cluster, std::string_view size);

}  // namespace materia
