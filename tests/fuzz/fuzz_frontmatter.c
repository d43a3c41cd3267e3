/* fuzz_frontmatter.c - libFuzzer target for the frontmatter / YAML reader.
 *
 * Any input: split it (sp_fm_split), load the frontmatter (sp_yaml_load)
 * and parse it as a page (sp_content_parse). Properties checked, beyond
 * "no crash, no leak, no undefined behaviour":
 *  - a mapping that loads dumps (sp_yaml_dump), loads back equal, and
 *    dumps again to the same bytes;
 *  - a page that parses renders (sp_content_render) into text that parses
 *    to a row with the same content_hash, and renders to the same bytes.
 * Build and run: make fuzz && build/fuzz/fuzz_frontmatter tests/fuzz/corpus_frontmatter */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "local/content.h"
#include "local/frontmatter.h"
#include "local/yamlval.h"

static void
check_yaml(json_t *v)
{
	char err[512], *y, *y2;
	size_t len, len2;
	json_t *w;

	if (!(y = sp_yaml_dump(v, 1, &len, err, sizeof err))) {
		fprintf(stderr, "dump failed: %s\n", err);
		abort();
	}
	if (!(w = sp_yaml_load(y, len, 0, NULL, err, sizeof err)) || !json_equal(v, w)) {
		fprintf(stderr, "round trip differs (%s):\n%s\n", w ? "values" : err, y);
		abort();
	}
	if (!(y2 = sp_yaml_dump(w, 1, &len2, err, sizeof err)) || len != len2 || memcmp(y, y2, len)) {
		fprintf(stderr, "dump not stable:\n%s\n", y);
		abort();
	}
	free(y);
	free(y2);
	json_decref(w);
}

static void
check_page(const char *buf, size_t n)
{
	struct sp_src src = {"blog", "blog", "blog", NULL, 1};
	struct sp_sources ss = {&src, 1, 1};
	char err[1024], *t, *t2;
	size_t len, len2;
	json_t *d, *d2;

	src.category = json_null();
	if (!(d = sp_content_parse(buf, n, &src, "x/page.md", err, sizeof err)))
		goto out;
	if (!(t = sp_content_render(&ss, d, &len, err, sizeof err))) {
		fprintf(stderr, "render failed: %s\n", err);
		abort();
	}
	if (!(d2 = sp_content_parse(t, len, &src, "x/page.md", err, sizeof err)) ||
	    !json_equal(json_object_get(d, "content_hash"), json_object_get(d2, "content_hash"))) {
		fprintf(stderr, "page round trip differs (%s):\n%s\n", d2 ? "hash" : err, t);
		abort();
	}
	if (!(t2 = sp_content_render(&ss, d2, &len2, err, sizeof err)) || len != len2 ||
	    memcmp(t, t2, len)) {
		fprintf(stderr, "render not stable:\n%s\n", t);
		abort();
	}
	free(t);
	free(t2);
	json_decref(d2);
	json_decref(d);
out:
	json_decref(src.category);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct sp_fm fm;
	char err[512];
	json_t *v, *marks = NULL;

	if (sp_fm_split(buf, size, &fm, err, sizeof err) == 0 && fm.has) {
		v = sp_yaml_load(fm.yaml, fm.yaml_len, fm.yaml_line0, &marks, err, sizeof err);
		if (v && json_is_object(v))
			check_yaml(v);
		json_decref(v);
		json_decref(marks);
	}
	check_page(buf, size);
	return 0;
}
