/* sp-scan - read skills or content from disk as row records. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/err.h"
#include "core/glob.h"
#include "core/path.h"
#include "local/content.h"
#include "local/skills.h"
#include "rec/ndjson.h"
#include "rec/result.h"

static const char usage[] =
    "usage: sp-scan [-k] [-C ROOT] [--filter GLOB]... skills|content DIR\n"
    "       sp-scan [-C ROOT] --sources content DIR\n"
    "Read skills (DIR/*/config.yaml + instruction file) or content (markdown\n"
    "with YAML frontmatter below the sources of DIR) and write one row record\n"
    "per skill or page, with a deterministic id and its content_hash.\n"
    "  -k, --keep-going   report a bad skill or page (stderr and an error\n"
    "                     record) and go on; exit 0 unless nothing could run\n"
    "  -f, --filter GLOB  keep only skills whose skill_id, or pages whose\n"
    "                     source_id or source_id/slug, matches GLOB (repeatable)\n"
    "  -C, --services ROOT  the services root that content source paths are\n"
    "                     relative to (default: the parent of DIR)\n"
    "  --sources          print one source record per content source instead\n";

struct ctx {
	int keep_going;
	unsigned long rows, bad, warned;
	const char **filters;
	int nfilters;
};

static int
match_any(struct ctx *x, const char *a, const char *b)
{
	if (!x->nfilters)
		return 1;
	for (int i = 0; i < x->nfilters; i++)
		if ((a && sp_glob_match(x->filters[i], a)) || (b && sp_glob_match(x->filters[i], b)))
			return 1;
	return 0;
}

static void
on_row(json_t *rec, void *arg)
{
	struct ctx *x = arg;
	json_t *d = json_object_get(rec, "data");
	const char *table = json_string_value(json_object_get(rec, "table"));
	int keep;

	if (!strcmp(table, "agent_skills")) {
		keep = match_any(x, json_string_value(json_object_get(d, "skill_id")), NULL);
	} else {
		const char *src = json_string_value(json_object_get(d, "source_id"));
		char *key = sp_asprintf("%s/%s", src, json_string_value(json_object_get(d, "slug")));
		keep = match_any(x, src, key);
		free(key);
	}
	if (keep) {
		x->rows++;
		sp_write_record(stdout, rec);
	}
	json_decref(rec);
}

static int
on_bad(int code, const char *msg, void *arg)
{
	struct ctx *x = arg;

	if (!x->keep_going)
		return 1;
	sp_warn("%s", msg);
	sp_emit(sp_error_record("scan", code, msg));
	x->bad++;
	return 0;
}

static void
on_warn(const char *msg, void *arg)
{
	struct ctx *x = arg;

	sp_warn("%s", msg);
	x->warned++;
}

/* One "source" record per content source of dir: the keys sp uses, where
 * the directory is and whether it is there, then every other key of the
 * source's mapping as it was configured. */
static void
list_sources(const char *dir, const char *root)
{
	struct sp_sources s;
	char err[2048];
	int rc;

	if ((rc = sp_content_sources(dir, root, &s, err, sizeof err)))
		sp_die(rc, "%s", err);
	for (size_t i = 0; i < s.n; i++) {
		char *d = sp_path_join(dir, s.v[i].path);
		json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:O, s:b, s:b, s:s}", "type", "source",
		    "name", s.v[i].name, "path", s.v[i].path, "source_id", s.v[i].source_id,
		    "category_id", s.v[i].category, "enabled", s.v[i].enabled, "exists", s.v[i].exists,
		    "dir", d);
		const char *k;
		json_t *v;

		free(d);
		json_object_foreach(s.v[i].conf, k, v)
			if (!json_object_get(r, k) && strcmp(k, "type"))
				json_object_set(r, k, v);
		sp_emit(r);
	}
	sp_content_sources_free(&s);
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"keep-going", no_argument, NULL, 'k'},
		{"filter", required_argument, NULL, 'f'},
		{"sources", no_argument, NULL, 's'},
		{"services", required_argument, NULL, 'C'},
		SP_STD_LONGOPTS,
		{0},
	};
	struct ctx x = {0};
	struct sp_scan_cb cb = {on_row, on_bad, &x, on_warn};
	const char *kind, *dir, *root = NULL;
	char err[2048];
	int c, rc, sources = 0;

	sp_setprog(argv[0]);
	x.filters = sp_calloc((size_t)argc, sizeof *x.filters);
	while ((c = getopt_long(argc, argv, "hkf:C:", lopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			x.keep_going = 1;
			break;
		case 'f':
			x.filters[x.nfilters++] = optarg;
			break;
		case 's':
			sources = 1;
			break;
		case 'C':
			root = optarg;
			break;
		case 'h':
			sp_help(usage);
		case 'V':
			sp_version();
		default:
			sp_usage_die(usage, NULL);
		}
	}
	if (argc - optind != 2)
		sp_usage_die(usage, "expected skills|content and a directory");
	kind = argv[optind];
	dir = argv[optind + 1];
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (sources) {
		if (strcmp(kind, "content"))
			sp_usage_die(usage, "--sources is for content");
		list_sources(dir, root);
		free(x.filters);
		sp_finish_stdout();
		return 0;
	}
	if (!strcmp(kind, "skills"))
		rc = sp_skills_scan(dir, &cb, err, sizeof err);
	else if (!strcmp(kind, "content"))
		rc = sp_content_scan_in(dir, root, &cb, err, sizeof err);
	else
		sp_usage_die(usage, "unknown kind \"%s\" (skills or content)", kind);
	if (rc)
		sp_die(rc, "%s", err);
	if (x.bad)
		sp_warn("%lu %s skipped", x.bad, !strcmp(kind, "skills") ? "skills" : "pages");
	if (!x.rows && x.warned)
		sp_warn("no %s read; see the warnings above", !strcmp(kind, "skills") ? "skills" : "pages");
	free(x.filters);
	sp_finish_stdout();
	return 0;
}
