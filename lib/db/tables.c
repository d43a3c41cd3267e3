/* tables.c - the synchronised tables: their columns and types, for
 * validation, export and the DatabaseExport document (no libpq). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/strbuf.h"
#include "db/tables.h"

#define C(n, t, nn) {n, SP_DB_##t, nn}
static const struct sp_dbcol agents[] = {
	C("id", UUID, 1), C("name", TEXT, 1), C("description", TEXT, 0),
	C("system_prompt", TEXT, 0), C("metadata", JSONB, 0),
	C("created_at", TSTZ, 1), C("updated_at", TSTZ, 1),
};
static const struct sp_dbcol users[] = {
	C("id", UUID, 1), C("name", TEXT, 1), C("email", TEXT, 0), C("full_name", TEXT, 0),
	C("display_name", TEXT, 0), C("status", TEXT, 1), C("email_verified", BOOL, 1),
	C("roles", TEXTARR, 0), C("created_at", TSTZ, 1), C("updated_at", TSTZ, 1),
};
static const struct sp_dbcol agent_skills[] = {
	C("id", UUID, 1), C("skill_id", TEXT, 1), C("agent_id", UUID, 0), C("name", TEXT, 1),
	C("description", TEXT, 0), C("instructions", TEXT, 0), C("enabled", BOOL, 1),
	C("tags", TEXTARR, 0), C("category_id", TEXT, 0), C("source_id", TEXT, 0),
	C("file_path", TEXT, 0), C("metadata", JSONB, 0), C("content_hash", TEXT, 0),
	C("created_at", TSTZ, 1), C("updated_at", TSTZ, 1),
};
static const struct sp_dbcol contexts[] = {
	C("id", UUID, 1), C("user_id", UUID, 0), C("name", TEXT, 1), C("description", TEXT, 0),
	C("created_at", TSTZ, 1), C("updated_at", TSTZ, 1),
};
static const struct sp_dbcol content[] = {
	C("id", UUID, 1), C("source_id", TEXT, 1), C("slug", TEXT, 1), C("title", TEXT, 0),
	C("description", TEXT, 0), C("author", TEXT, 0), C("kind", TEXT, 0), C("public", BOOL, 1),
	C("tags", TEXTARR, 0), C("keywords", TEXT, 0), C("image", TEXT, 0),
	C("category_id", TEXT, 0), C("published_at", TSTZ, 0), C("body", TEXT, 0),
	C("metadata", JSONB, 0), C("file_path", TEXT, 0), C("content_hash", TEXT, 0),
	C("created_at", TSTZ, 1), C("updated_at", TSTZ, 1),
};
#undef C

#define T(n, d) {#n, d, n, (int)(sizeof n / sizeof n[0])}
const struct sp_dbtable sp_db_tables[] = {
	T(agents, "agents"),
	T(users, "users"),
	T(agent_skills, "skills"),
	T(contexts, "contexts"),
	T(content, "content"),
};
#undef T
const int sp_db_ntables = sizeof sp_db_tables / sizeof sp_db_tables[0];

const struct sp_dbtable *
sp_db_table(const char *name)
{
	int i;

	for (i = 0; i < sp_db_ntables; i++)
		if (!strcmp(sp_db_tables[i].name, name))
			return &sp_db_tables[i];
	return NULL;
}

const struct sp_dbtable *
sp_db_doc_table(const char *key)
{
	int i;

	for (i = 0; i < sp_db_ntables; i++)
		if (!strcmp(sp_db_tables[i].doc, key))
			return &sp_db_tables[i];
	return NULL;
}

int
sp_db_table_index(const struct sp_dbtable *t)
{
	return (int)(t - sp_db_tables);
}

int
sp_db_column(const struct sp_dbtable *t, const char *name)
{
	int i;

	for (i = 0; i < t->ncols; i++)
		if (!strcmp(t->cols[i].name, name))
			return i;
	return -1;
}

const char *
sp_db_type_name(enum sp_dbtype type)
{
	switch (type) {
	case SP_DB_UUID: return "uuid";
	case SP_DB_TEXT: return "text";
	case SP_DB_BOOL: return "boolean";
	case SP_DB_JSONB: return "jsonb";
	case SP_DB_TEXTARR: return "text[]";
	case SP_DB_TSTZ: return "timestamptz";
	}
	return "?";
}
