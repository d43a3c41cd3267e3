/* fuzz_manifest - libFuzzer target for the streaming manifest reader
 * (sp_manifest_parse): no crash, no leak, and what it accepts holds: the
 * list sorted and unique, the checksum the canonical one, and the text
 * sp_manifest_text writes of that list read back to the same list. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive/manifest.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_manifest m, m2;
	char err[512], ck[SP_HEXLEN], *text;
	size_t len;

	if (sp_manifest_parse((const char *)data, size, 1LL << 40, &m, err, sizeof err) != 0) {
		if (!err[0])
			abort();	/* a refusal always says why */
		return 0;
	}
	for (size_t i = 1; i < m.n; i++)
		if (strcmp(m.v[i - 1].path, m.v[i].path) >= 0)
			abort();
	text = sp_manifest_text(m.v, m.n, 0, &len, ck);
	if (!text || memcmp(ck, m.checksum, SP_HEXLEN))
		abort();
	if (sp_manifest_parse(text, len, 1LL << 40, &m2, err, sizeof err) != 0 || m2.n != m.n)
		abort();	/* what was accepted, written again, is accepted again */
	for (size_t i = 0; i < m.n; i++)
		if (strcmp(m.v[i].path, m2.v[i].path) || m.v[i].size != m2.v[i].size ||
		    strcmp(m.v[i].sha256, m2.v[i].sha256))
			abort();
	sp_manifest_free(&m2);
	free(text);
	sp_manifest_free(&m);
	return 0;
}
