/* mcp.c - the Model Context Protocol side of sp-mcp. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/path.h"
#include "mcp/mcp.h"

const char *const sp_mcp_versions[] = {
	"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", NULL,
};

#define LATEST "2025-11-25"
#define FILTER_MAX 4096

const char *
sp_mcp_negotiate(const char *version)
{
	for (const char *const *v = sp_mcp_versions; version && *v; v++)
		if (!strcmp(*v, version))
			return *v;
	return LATEST;
}

int
sp_mcp_takes_batches(const char *version)
{
	return version && (!strcmp(version, "2024-11-05") || !strcmp(version, "2025-03-26"));
}

json_t *
sp_mcp_initialize_result(const char *version)
{
	return json_pack("{s:s, s:{s:{}}, s:{s:s, s:s, s:s}, s:s}",
	    "protocolVersion", version,
	    "capabilities", "tools",
	    "serverInfo", "name", "sp-mcp", "title", "sp sync", "version", SP_VERSION,
	    "instructions",
	    "sp moves a service tree (agents, skills, content, config) and a PostgreSQL "
	    "database between this machine and the cloud, and keeps skills and content on "
	    "disk in step with the local database. Use the sync tool; call it with "
	    "dry_run true first to see exactly what would change.");
}

static json_t *
input_schema(void)
{
	return json_pack("{s:s, s:{s:{s:s, s:[sssss], s:s}, s:{s:s, s:[ss], s:s}, "
	    "s:{s:s, s:b, s:s}, s:{s:s, s:s}}, s:[ss], s:b}",
	    "type", "object", "properties",
	    "target", "type", "string", "enum", "files", "database", "content", "skills", "all",
	    "description",
	    "What to sync. files: the service tree with the cloud; database: the local "
	    "PostgreSQL with the cloud; skills, content: the files on disk with the local "
	    "database; all: files and database (and a deploy, on push).",
	    "direction", "type", "string", "enum", "push", "pull", "description",
	    "push: local to cloud (files, database, all), or disk to the local database "
	    "(skills, content). pull: the other way.",
	    "dry_run", "type", "boolean", "default", 0, "description",
	    "Change nothing anywhere; the results say exactly what would change.",
	    "filter", "type", "string", "description",
	    "Optional glob limiting the sync to matching paths, skill ids, content sources "
	    "or table names.",
	    "required", "target", "direction", "additionalProperties", 0);
}

static json_t *
output_schema(void)
{
	return json_pack("{s:s, s:{s:{s:s, s:s, s:{s:s, s:{s:{s:s}}, s:[s]}}, "
	    "s:{s:s, s:s, s:{s:{s:s}, s:{s:s}}}}, s:[s]}",
	    "type", "object", "properties",
	    "results", "type", "array", "description",
	    "The records the sync printed: one result record per operation (operation, "
	    "success, items_synced, items_skipped, items_deleted, errors, details).",
	    "items", "type", "object", "properties", "type", "type", "string",
	    "required", "type",
	    "error", "type", "object", "description", "Why the sync failed, when it did.",
	    "properties", "status", "type", "integer", "message", "type", "string",
	    "required", "results");
}

json_t *
sp_mcp_tools_list(const char *version)
{
	json_t *tool = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:b, s:b, s:b, s:b}}",
	    "name", "sync", "title", "Sync",
	    "description",
	    "Run an sp sync workflow: push or pull the service files, the database, the "
	    "skills or the content, or all of them, and return one result record per "
	    "operation. Removals on the far side are never made silently.",
	    "inputSchema", input_schema(),
	    "annotations", "title", "Sync", "readOnlyHint", 0, "destructiveHint", 1,
	    "idempotentHint", 1, "openWorldHint", 1);

	if (version && strcmp(version, "2025-06-18") >= 0)
		json_object_set_new(tool, "outputSchema", output_schema());
	return json_pack("{s:[o]}", "tools", tool);
}

/* The value of an enumerated string argument, or NULL with err set. */
static const char *
enum_arg(json_t *args, const char *key, const char *const *allowed, char *err, size_t errlen)
{
	json_t *v = json_object_get(args, key);
	const char *s;

	if (!v || json_is_null(v)) {
		snprintf(err, errlen, "missing required argument \"%s\"", key);
		return NULL;
	}
	s = json_string_value(v);
	for (const char *const *a = allowed; s && *a; a++)
		if (!strcmp(s, *a))
			return *a;
	snprintf(err, errlen, "argument \"%s\" must be one of %s", key,
	    allowed[2] ? "files, database, content, skills, all" : "push, pull");
	return NULL;
}

char **
sp_mcp_sync_argv(const char *cmd, json_t *args, char *err, size_t errlen)
{
	static const char *const targets[] = {"files", "database", "content", "skills", "all", NULL};
	static const char *const directions[] = {"push", "pull", NULL};
	const char *target, *direction, *key, *filter = NULL;
	json_t *v, *dry;
	char **argv;
	int n = 0;

	if (!args)
		args = json_object();
	else
		json_incref(args);
	json_object_foreach(args, key, v) {
		if (strcmp(key, "target") && strcmp(key, "direction") && strcmp(key, "dry_run") &&
		    strcmp(key, "filter")) {
			snprintf(err, errlen, "unknown argument \"%.100s\" (the arguments are target, "
			    "direction, dry_run and filter)", key);
			json_decref(args);
			return NULL;
		}
	}
	if (!(target = enum_arg(args, "target", targets, err, errlen)) ||
	    !(direction = enum_arg(args, "direction", directions, err, errlen))) {
		json_decref(args);
		return NULL;
	}
	dry = json_object_get(args, "dry_run");
	if (dry && !json_is_boolean(dry) && !json_is_null(dry)) {
		snprintf(err, errlen, "argument \"dry_run\" must be a boolean");
		json_decref(args);
		return NULL;
	}
	v = json_object_get(args, "filter");
	if (v && !json_is_null(v)) {
		if (!json_is_string(v) || json_string_length(v) > FILTER_MAX) {
			snprintf(err, errlen, "argument \"filter\" must be a glob (a string of at most "
			    "%d bytes)", FILTER_MAX);
			json_decref(args);
			return NULL;
		}
		if (json_string_length(v) > 0)
			filter = json_string_value(v);
	}
	argv = calloc(8, sizeof *argv);
	if (!argv) {
		snprintf(err, errlen, "out of memory");
		json_decref(args);
		return NULL;
	}
	argv[n++] = strdup(cmd);
	argv[n++] = strdup(target);
	argv[n++] = strdup(direction);
	if (json_is_true(dry))
		argv[n++] = strdup("--dry-run");
	if (filter) {
		argv[n++] = strdup("--filter");
		argv[n++] = strdup(filter);
	}
	json_decref(args);
	for (int i = 0; i < n; i++)
		if (!argv[i]) {
			snprintf(err, errlen, "out of memory");
			sp_mcp_argv_free(argv);
			return NULL;
		}
	return argv;
}

void
sp_mcp_argv_free(char **argv)
{
	for (char **a = argv; a && *a; a++)
		free(*a);
	free(argv);
}

/* A JSON string from bytes that may not be UTF-8. */
static json_t *
text_value(const char *s)
{
	json_t *tmp, *v;

	if (sp_utf8_valid(s, strlen(s)))
		return json_string(s);
	tmp = json_object();
	sp_record_set_name(tmp, "t", s);
	v = json_incref(json_object_get(tmp, "t"));
	json_decref(tmp);
	return v;
}

json_t *
sp_mcp_tool_error(const char *message)
{
	return json_pack("{s:[{s:s, s:o}], s:b}", "content", "type", "text", "text",
	    text_value(message), "isError", 1);
}

/* A malloc'd formatted string, or NULL when memory is short. */
static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, f);
	n = vasprintf(&s, f, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* True when a record reports a failure. */
static int
failed_record(json_t *rec)
{
	const char *t = json_string_value(json_object_get(rec, "type"));

	return (t && !strcmp(t, "error")) || json_is_false(json_object_get(rec, "success"));
}

json_t *
sp_mcp_sync_result(const char *cmdline, json_t *records, int status, const char *errtext)
{
	json_t *sc = json_pack("{s:o}", "results", records), *res, *content = json_array();
	size_t i, n = errtext ? strlen(errtext) : 0;
	json_t *rec;
	int failed = status != 0;
	char *text;

	json_array_foreach(records, i, rec)
		failed |= failed_record(rec);
	if (failed) {
		char *msg;
		while (n > 0 && (errtext[n - 1] == '\n' || errtext[n - 1] == ' '))
			n--;
		if (status > 128)
			msg = fmt("%s was killed by signal %d%s%.*s", cmdline,
			    status - 128, n ? ": " : "", (int)n, errtext);
		else if (status != 0)
			msg = fmt("%s failed with exit status %d%s%.*s", cmdline,
			    status, n ? ": " : "", (int)n, errtext);
		else
			msg = fmt("%s reported a failure%s%.*s", cmdline,
			    n ? ": " : "", (int)n, errtext);
		json_array_append_new(content, json_pack("{s:s, s:o}", "type", "text", "text",
		    text_value(msg ? msg : "sync failed")));
		json_object_set_new(sc, "error", json_pack("{s:i, s:o}", "status", status,
		    "message", text_value(msg ? msg : "sync failed")));
		free(msg);
	}
	text = json_dumps(sc, JSON_COMPACT);
	json_array_append_new(content, json_pack("{s:s, s:s}", "type", "text", "text",
	    text ? text : "{}"));
	free(text);
	res = json_pack("{s:o, s:o}", "content", content, "structuredContent", sc);
	if (failed)
		json_object_set_new(res, "isError", json_true());
	return res;
}
