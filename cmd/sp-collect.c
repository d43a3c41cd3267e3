/* sp-collect - walk a tree and emit one file record per file and symlink. */
#include <dirent.h>
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
#include "core/glob.h"
#include "core/path.h"
#include "rec/ndjson.h"

static const char usage[] =
    "usage: sp-collect [--include GLOB]... [--exclude GLOB]... [--no-default-excludes] [DIR]\n"
    "Walk DIR (default .) and write one file record per regular file and\n"
    "symlink, sorted bytewise by path. Symlinks are never followed.\n"
    "  -i, --include GLOB       include paths matching GLOB (repeatable)\n"
    "  -x, --exclude GLOB       exclude paths matching GLOB (repeatable)\n"
    "      --no-default-excludes  do not skip .git/, editor backups, .DS_Store, .sp-manifest.json\n"
    "The last matching rule wins; an excluded directory is not entered.\n";

/* Skipped unless a later rule includes them. */
static const char *default_excludes[] = {
	".git/", "*~", "*.swp", "*.swo", ".#*", "#*#", ".DS_Store",
	"/.sp-manifest.json", "*.sp-tmp.*", NULL,
};

struct ent {
	char *name;
	unsigned char type;	/* DT_* */
};

static struct sp_filter filter;
static const char *root;

/* Order names so that a depth-first walk yields paths in bytewise order:
 * a directory sorts as if its name ended in "/". */
static int
entcmp(const void *x, const void *y)
{
	const struct ent *a = x, *b = y;
	const unsigned char *p = (const unsigned char *)a->name;
	const unsigned char *q = (const unsigned char *)b->name;
	int ca, cb;

	while (*p && *p == *q)
		p++, q++;
	ca = *p ? *p : a->type == DT_DIR ? '/' : 0;
	cb = *q ? *q : b->type == DT_DIR ? '/' : 0;
	return ca - cb;
}

static void
emit(int dfd, const char *name, const char *rel, const struct stat *st)
{
	json_t *rec = json_object();
	char mode[8];

	json_object_set_new(rec, "type", json_string("file"));
	sp_record_set_path(rec, rel);
	if (S_ISLNK(st->st_mode)) {
		char *buf = sp_malloc((size_t)st->st_size + 2);
		ssize_t n = readlinkat(dfd, name, buf, (size_t)st->st_size + 1);
		if (n < 0)
			sp_die_errno(SP_EX_IOERR, "%s/%s: readlink", root, rel);
		buf[n] = '\0';
		json_object_set_new(rec, "size", json_integer(0));
		json_object_set_new(rec, "mode", json_string("0777"));
		json_object_set_new(rec, "mtime", json_integer((json_int_t)st->st_mtim.tv_sec));
		sp_record_set_name(rec, "link", buf);
		free(buf);
	} else {
		snprintf(mode, sizeof mode, "%04o", (unsigned)(st->st_mode & 07777));
		json_object_set_new(rec, "size", json_integer((json_int_t)st->st_size));
		json_object_set_new(rec, "mode", json_string(mode));
		json_object_set_new(rec, "mtime", json_integer((json_int_t)st->st_mtim.tv_sec));
	}
	sp_emit(rec);
}

/* Walk the open directory dfd, whose path below root is prefix ("" or
 * "a/b/"). Takes ownership of dfd. */
static void
walk(int dfd, const char *prefix)
{
	struct ent *v = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *e;
	DIR *d;

	d = fdopendir(dfd);
	if (!d)
		sp_die_errno(SP_EX_IOERR, "%s/%s", root, prefix);
	while ((errno = 0, e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap)
			v = sp_realloc(v, (cap = cap ? 2 * cap : 64) * sizeof *v);
		v[n].name = sp_strdup(e->d_name);
		v[n].type = e->d_type;
		if (v[n].type == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
				v[n].type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
		}
		n++;
	}
	if (errno)
		sp_die_errno(SP_EX_IOERR, "%s/%s: cannot read directory", root, prefix);
	if (n)
		qsort(v, n, sizeof *v, entcmp);
	for (i = 0; i < n; i++) {
		char *rel = sp_asprintf("%s%s", prefix, v[i].name);
		struct stat st;

		if (sp_filter_excluded(&filter, rel, v[i].type == DT_DIR))
			goto next;
		if (fstatat(dfd, v[i].name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT)	/* vanished while we walked */
				goto next;
			sp_die_errno(SP_EX_IOERR, "%s/%s", root, rel);
		}
		if (S_ISDIR(st.st_mode)) {
			int fd = openat(dfd, v[i].name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			char *sub;
			if (fd < 0)
				sp_die_errno(sp_ex_for_errno(errno), "%s/%s: cannot open directory", root, rel);
			sub = sp_asprintf("%s/", rel);
			walk(fd, sub);
			free(sub);
		} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			emit(dfd, v[i].name, rel, &st);
		} else {
			sp_warn("%s/%s: skipping special file", root, rel);
		}
next:
		free(rel);
		free(v[i].name);
	}
	free(v);
	closedir(d);
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"include", required_argument, NULL, 'i'},
		{"exclude", required_argument, NULL, 'x'},
		{"no-default-excludes", no_argument, NULL, 'N'},
		SP_STD_LONGOPTS,
		{0},
	};
	char **rules = sp_calloc((size_t)argc, sizeof *rules);	/* "+GLOB" or "-GLOB" */
	int c, defaults = 1, fd, nrules = 0;

	sp_setprog(argv[0]);
	while ((c = getopt_long(argc, argv, "hi:x:", lopts, NULL)) != -1) {
		switch (c) {
		case 'i':
		case 'x':
			rules[nrules++] = sp_asprintf("%c%s", c == 'i' ? '+' : '-', optarg);
			break;
		case 'N':
			defaults = 0;
			break;
		case 'h':
			sp_help(usage);
		case 'V':
			sp_version();
		default:
			sp_usage_die(usage, NULL);
		}
	}
	if (argc - optind > 1)
		sp_usage_die(usage, "too many arguments");
	root = optind < argc ? argv[optind] : ".";

	for (const char **p = default_excludes; defaults && *p; p++)
		sp_filter_add(&filter, 0, *p);
	for (int i = 0; i < nrules; i++) {
		sp_filter_add(&filter, rules[i][0] == '+', rules[i] + 1);
		free(rules[i]);
	}
	free(rules);

	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		sp_die_errno(sp_ex_for_errno(errno), "%s", root);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	walk(fd, "");
	sp_filter_free(&filter);
	sp_finish_stdout();
	return 0;
}
