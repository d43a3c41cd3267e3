/* sp-mcp - an MCP server over stdio offering the sync tool (sp-mcp(1)). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/err.h"
#include "mcp/server.h"

static const char usage[] =
    "usage: sp-mcp [-v] [--sync COMMAND]\n"
    "Serve the Model Context Protocol on stdin and stdout (JSON-RPC 2.0, one\n"
    "message per line) with one tool, \"sync\", which runs\n"
    "`COMMAND TARGET DIRECTION [--dry-run] [--filter GLOB]` and returns its\n"
    "result records. Protocol messages only on stdout; logs on stderr.\n"
    "  -s, --sync COMMAND  the sync command (default $SP_SYNC, else sp-sync)\n"
    "  -v, --verbose       log every message and call on stderr\n";

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"sync", required_argument, NULL, 's'},
		{"verbose", no_argument, NULL, 'v'},
		SP_STD_LONGOPTS,
		{0},
	};
	const char *cmd = getenv("SP_SYNC");
	int c, verbose = 0, rc;

	sp_setprog(argv[0]);
	while ((c = getopt_long(argc, argv, "hs:v", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			cmd = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			sp_help(usage);
		case 'V':
			sp_version();
		default:
			sp_usage_die(usage, NULL);
		}
	}
	if (optind < argc)
		sp_usage_die(usage, "unexpected argument \"%s\"", argv[optind]);
	if (!cmd || !*cmd)
		cmd = "sp-sync";

	/* A client that goes away is a write error to report, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	rc = sp_mcp_serve(STDIN_FILENO, stdout, cmd, verbose);
	if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout)))
		rc = SP_EX_IOERR;
	return rc;
}
