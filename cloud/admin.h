/* admin.h - sp-cloudd's administration commands: tenants and tokens. */
#ifndef SP_CLOUD_ADMIN_H
#define SP_CLOUD_ADMIN_H

#include <stddef.h>
#include <stdio.h>

/* Run "tenant add ID", "tenant list", "tenant delete ID", "token add ID",
 * "token list [ID]" or "token revoke TOKEN_ID..." (argv[0] is "tenant" or
 * "token") against conninfo, writing to out: a new token alone on a line,
 * or NDJSON records. Returns the exit status (sp(7) "EXIT STATUS") with a message
 * in err when it is not 0; SP_EX_USAGE means the words were wrong. */
int cloud_admin(const char *conninfo, int argc, char **argv, FILE *out, char *err, size_t errlen);

#endif
