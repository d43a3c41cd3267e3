/* server.h - an MCP session over stdio: one JSON-RPC message per line
 * in, responses and notifications out, the sync tool run as a child. */
#ifndef SP_MCPSERVER_H
#define SP_MCPSERVER_H

#include <stdio.h>

/* Serve the session read from fd in, writing only protocol messages to
 * out (logs go to stderr; with verbose, one line per message). tools/call
 * runs sync_cmd (searched in PATH, no shell) one call at a time while
 * other requests are answered; notifications/cancelled stops a call.
 * Returns when in ends and every accepted call has been answered: 0, or
 * 74 when out cannot be written (the running call is then stopped). A
 * SIGTERM, SIGINT or SIGHUP stops the running call before this process
 * dies of it. Never calls sp_die. */
int sp_mcp_serve(int in, FILE *out, const char *sync_cmd, int verbose);

#endif
