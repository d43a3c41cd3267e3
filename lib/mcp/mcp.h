/* mcp.h - the Model Context Protocol side of sp-mcp: versions, the sync
 * tool's schema, its arguments and its results (sp-mcp(1)). No I/O. */
#ifndef SP_MCP_H
#define SP_MCP_H

#include <jansson.h>

/* The protocol revisions spoken, oldest first, NULL-terminated; the last
 * is the latest. */
extern const char *const sp_mcp_versions[];

/* The revision to answer a client asking for version: the same when
 * supported, else the latest (the client then decides). */
const char *sp_mcp_negotiate(const char *version);

/* True when revision version receives JSON-RPC batches (2024-11-05 and
 * 2025-03-26; 2025-06-18 removed them). NULL (not initialized): false. */
int sp_mcp_takes_batches(const char *version);

/* The result of initialize for revision version (a new object). */
json_t *sp_mcp_initialize_result(const char *version);

/* The result of tools/list for revision version: the one tool, "sync",
 * with its inputSchema (and outputSchema from 2025-06-18 on). */
json_t *sp_mcp_tools_list(const char *version);

/* The argument vector for `CMD TARGET DIRECTION [--dry-run] [--filter
 * GLOB]` from the sync tool's arguments (NULL: none given), or NULL with
 * the reason in err when they do not fit the inputSchema. The vector
 * and its strings are malloc'd: free with sp_mcp_argv_free. */
char **sp_mcp_sync_argv(const char *cmd, json_t *args, char *err, size_t errlen);

/* Free a vector from sp_mcp_sync_argv. */
void sp_mcp_argv_free(char **argv);

/* A tool result with isError true and message (any bytes; invalid UTF-8
 * is replaced) as its text. */
json_t *sp_mcp_tool_error(const char *message);

/* The tool result of a finished sync: records (an array of the records
 * it printed; stolen) as text and as structuredContent {"results": …};
 * isError when status is not 0 or a record reports a failure, with a
 * first text naming cmdline, the status and errtext (its stderr, may be
 * NULL or empty). */
json_t *sp_mcp_sync_result(const char *cmdline, json_t *records, int status, const char *errtext);

#endif
