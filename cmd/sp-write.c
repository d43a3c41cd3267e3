/* sp-write - render row records back to skill or content files. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/path.h"
#include "local/content.h"
#include "local/place.h"
#include "local/skills.h"
#include "local/wtree.h"
#include "rec/ndjson.h"

static const char usage[] =
    "usage: sp-write [-np] [--delete] [-C ROOT] skills|content DIR [FILE]\n"
    "Render row records (FILE or stdin) into files below DIR: config.yaml and\n"
    "the instruction file of each skill, or a markdown page with frontmatter\n"
    "per content row. Writes atomically, only files whose bytes change, and\n"
    "prints a file record for each file written. diff records (sp-diff) are\n"
    "taken too: added/modified are written, removed are deleted with --delete.\n"
    "  -n, --dry-run   write nothing; print what would be written\n"
    "  -d, --delete    delete the files of removed diff records\n"
    "  -p, --parents   create DIR (and its parents) when it is missing\n"
    "  -C, --services ROOT  the services root content source paths are\n"
    "                  relative to (default: the parent of DIR)\n";

struct ctx {
	const char *dir, *table;
	struct sp_wtree t;	/* DIR: nothing below it is reached through a symlink */
	int skills, dry, del, parents;
	struct sp_reader *in;
	struct sp_sources src;
	struct sp_place place;	/* where rows go on disk */
	unsigned long written, same, deleted, kept;
};

static void
report(struct ctx *x, const char *rel, const char *bytes, size_t n, const char *action, mode_t mode)
{
	json_t *rec = json_object();
	char hex[SP_HEXLEN], m[8];

	json_object_set_new(rec, "type", json_string("file"));
	sp_record_set_path(rec, rel);
	if (bytes) {
		sp_sha256_hex(bytes, n, hex);
		snprintf(m, sizeof m, "%04o", (unsigned)(mode & 07777));
		json_object_set_new(rec, "size", json_integer((json_int_t)n));
		json_object_set_new(rec, "mode", json_string(m));
		json_object_set_new(rec, "sha256", json_string(hex));
	}
	json_object_set_new(rec, "action", json_string(action));
	if (x->dry)
		json_object_set_new(rec, "dry_run", json_true());
	sp_emit(rec);
}

static void
del(struct ctx *x, const char *rel)
{
	/* empty directories go up to the skill directory, or up to (not
	 * including) the first level for content */
	if (!sp_wtree_unlink(&x->t, rel, !x->skills))
		return;
	report(x, rel, NULL, 0, "deleted", 0);
	x->deleted++;
}

/* The skill of data is on disk in another directory than it is to be
 * written to (out[0].rel): a removal acts on it there; else it moves
 * (renamed as a whole, a directory in the way is an error). Returns 1
 * when out must be rendered again. */
static int
skill_moved(struct ctx *x, json_t *data, const struct sp_out *out, int remove)
{
	const char *ofp = sp_place_skill(&x->place, data), *slash = strchr(out[0].rel, '/');
	size_t n = slash ? (size_t)(slash - out[0].rel) : strlen(out[0].rel);
	char *to, *from, *fp, *old;
	struct stat st;

	if (!ofp || !strcmp(ofp, out[0].rel))
		return 0;
	if (remove) {	/* the files it has on disk, config name and all */
		json_object_set_new(data, "file_path", json_string(ofp));
		return 1;
	}
	old = strndup(ofp, (size_t)(strchr(ofp, '/') - ofp));
	if (strlen(old) == n && !strncmp(old, out[0].rel, n)) {
		free(old);	/* same directory: only the config's name differs */
		return 0;
	}
	to = strndup(out[0].rel, n);
	from = sp_path_join(x->dir, old);
	fp = sp_path_join(x->dir, to);
	if (fstatat(x->t.rootfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		char msg[1024];

		snprintf(msg, sizeof msg, "skill \"%s\" is in %s, and %s, where the row puts it, is taken",
		    json_string_value(json_object_get(data, "skill_id")), from, fp);
		free(old), free(to), free(from), free(fp);
		sp_reader_die(x->in, "%s", msg);
	}
	if (!x->dry && renameat(x->t.rootfd, old, x->t.rootfd, to) != 0)
		sp_die_errno(SP_EX_IOERR, "%s -> %s", from, fp);
	if (!x->dry)
		fsync(x->t.rootfd);
	json_t *rec = json_pack("{s:s,s:s,s:s,s:s}", "type", "file", "path", old, "action", "moved",
	    "to", to);
	if (x->dry)
		json_object_set_new(rec, "dry_run", json_true());
	sp_emit(rec);
	sp_place_skill_done(&x->place, data, out[0].rel);
	free(old);
	free(to);
	free(from);
	free(fp);
	return !x->dry;
}

static void
apply(struct ctx *x, json_t *rec, int remove)
{
	json_t *data = json_object_get(rec, "data");
	struct sp_out out[2];
	char err[512], *moved = NULL;
	int n = 1;

	if (!json_is_object(data))
		sp_reader_die(x->in, "row record has no \"data\" object");
	if (x->skills) {
		if (sp_skill_render(x->dir, data, out, err, sizeof err))
			sp_reader_die(x->in, "%s", err);
		if (skill_moved(x, data, out, remove)) {
			sp_out_free(out, 2);
			if (sp_skill_render(x->dir, data, out, err, sizeof err))
				sp_reader_die(x->in, "%s", err);
		}
		n = 2;
	} else {
		if (!(out[0].rel = sp_place_page(&x->place, rec, data, remove, &moved, err,
		    sizeof err))) {
			if (err[0])
				sp_reader_die(x->in, "%s", err);
			return;	/* nothing on disk to remove */
		}
		if (!(out[0].bytes = sp_content_render(&x->src, data, &out[0].len, err, sizeof err)))
			sp_reader_die(x->in, "%s", err);
	}
	if (remove) {
		for (int i = 0; i < n && out[i].rel; i++)
			del(x, out[i].rel);
	} else {	/* every file of the row checked and staged, then all renamed */
		struct sp_wfile f[2] = {0};
		for (int i = 0; i < n && out[i].rel; i++)
			sp_wfile_stage(&x->t, &f[i], out[i].rel, out[i].bytes, out[i].len);
		for (int i = 0; i < n && out[i].rel; i++) {
			sp_wfile_commit(&x->t, &f[i]);
			if (!f[i].todo) {
				x->same++;
				continue;
			}
			report(x, f[i].rel, f[i].bytes, f[i].n, f[i].exists ? "updated" : "created",
			    f[i].mode);
			x->written++;
		}
	}
	if (!x->skills && !remove)
		sp_place_page_done(&x->place, data, out[0].rel);
	if (moved) {	/* the page moved: its old file goes (also on removal) */
		del(x, moved);
		free(moved);
	}
	if (x->skills && !remove) {	/* config.yml where config.yaml is written, or back */
		char *o = sp_strdup(out[0].rel);
		size_t k = strlen(o);
		if (k > 11 && !strcmp(o + k - 11, "config.yaml")) {
			strcpy(o + k - 11, "config.yml");
			del(x, o);
		} else if (k > 10 && !strcmp(o + k - 10, "config.yml")) {
			free(o);
			o = sp_asprintf("%.*sconfig.yaml", (int)(k - 10), out[0].rel);
			del(x, o);
		}
		free(o);
	}
	sp_out_free(out, (size_t)n);
}

static void
process(struct ctx *x, json_t *rec)
{
	const char *type = sp_record_type(rec), *status;

	if (!strcmp(type, "diff")) {
		status = json_string_value(json_object_get(rec, "status"));
		rec = json_object_get(rec, "record");
		if (!status || !json_is_object(rec))
			sp_reader_die(x->in, "diff record without \"status\" and \"record\"");
		type = sp_record_type(rec);
		if (strcmp(type, "row") || strcmp(json_string_value(json_object_get(rec, "table")) ?: "", x->table))
			return;
		if (!strcmp(status, "removed")) {
			if (x->del) {
				apply(x, rec, 1);
			} else {
				json_t *d = json_object_get(rec, "data");
				sp_warn("%s: kept %s (removed on the other side; --delete removes it)",
				    sp_reader_where(x->in), json_string_value(json_object_get(d,
				    x->skills ? "skill_id" : "slug")) ?: "?");
				x->kept++;
			}
		} else if (!strcmp(status, "added") || !strcmp(status, "modified")) {
			apply(x, rec, 0);
		}
		return;
	}
	if (!strcmp(type, "row") && !strcmp(json_string_value(json_object_get(rec, "table")) ?: "", x->table))
		apply(x, rec, 0);
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"delete", no_argument, NULL, 'd'},
		{"services", required_argument, NULL, 'C'},
		{"parents", no_argument, NULL, 'p'},
		SP_STD_LONGOPTS,
		{0},
	};
	struct ctx x = {0};
	char err[2048];
	const char *root = NULL;
	json_t *rec;
	int c, rc;

	sp_setprog(argv[0]);
	while ((c = getopt_long(argc, argv, "hndpC:", lopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			x.dry = 1;
			break;
		case 'd':
			x.del = 1;
			break;
		case 'C':
			root = optarg;
			break;
		case 'p':
			x.parents = 1;
			break;
		case 'h':
			sp_help(usage);
		case 'V':
			sp_version();
		default:
			sp_usage_die(usage, NULL);
		}
	}
	if (argc - optind < 2 || argc - optind > 3)
		sp_usage_die(usage, "expected skills|content, a directory and at most one input");
	if (!strcmp(argv[optind], "skills"))
		x.skills = 1, x.table = "agent_skills";
	else if (!strcmp(argv[optind], "content"))
		x.table = "content";
	else
		sp_usage_die(usage, "unknown kind \"%s\" (skills or content)", argv[optind]);
	x.dir = argv[optind + 1];
	sp_wtree_open(&x.t, x.dir, x.parents, x.dry);
	if (!x.skills && access(x.dir, F_OK) == 0 &&
	    (rc = sp_content_sources(x.dir, root, &x.src, err, sizeof err)))
		sp_die(rc, "%s", err);
	sp_place_init(&x.place, x.dir, x.skills ? NULL : &x.src);
	x.in = sp_reader_open(optind + 2 < argc ? argv[optind + 2] : NULL);
	while ((rec = sp_reader_next(x.in))) {
		process(&x, rec);
		json_decref(rec);
	}
	sp_reader_close(x.in);
	if (x.kept)
		sp_warn("%lu removed %s kept; use --delete to remove them", x.kept,
		    x.skills ? "skills" : "pages");
	sp_content_sources_free(&x.src);
	sp_place_free(&x.place);
	sp_wtree_close(&x.t);
	sp_finish_stdout();
	return 0;
}
