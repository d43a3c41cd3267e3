/* unit - table-driven cases for the pure functions of lib/, one binary,
 * no processes or databases: each edge case of a function is a line here
 * instead of a pipeline in a bats file. Expected values come from
 * independent peers where one exists (python's uuid, hashlib and
 * datetime computed them; see the comments).
 * usage: unit [GROUP]...   (no argument: every group); exit 1 on a failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/manifest.h"
#include "core/glob.h"
#include "core/hash.h"
#include "core/path.h"
#include "core/tstamp.h"
#include "core/uuid.h"
#include "local/yamlval.h"

static int failures, checks;

#define CHECK(cond, ...) do { \
	checks++; \
	if (!(cond)) { \
		failures++; \
		printf("FAIL %s:%d: ", __FILE__, __LINE__); \
		printf(__VA_ARGS__); \
		putchar('\n'); \
	} \
} while (0)

static void
t_tstamp(void)
{
	static const struct { const char *in, *out; } norm[] = {
		{"2026-11-23", "2026-11-23T00:00:00Z"},
		{"2026-11-23T18:22:00Z", "2026-11-23T18:22:00Z"},
		{"2026-11-23t18:22", "2026-11-23T18:22:00Z"},
		{"2026-11-23 19:22:00.5+01:00", "2026-11-23T18:22:00.5Z"},	/* python: 18:22:00.500000+00:00 */
		{"2026-11-23T00:30:00-01:00", "2026-11-23T01:30:00Z"},
		{"2026-01-01T00:00:00.1234567Z", "2026-01-01T00:00:00.123457Z"},
		{"2024-02-29", "2024-02-29T00:00:00Z"},
		{"2023-02-29", NULL},
		{"2026-13-01", NULL},
		{"0000-01-01", NULL},
		{"99999-01-01", NULL},
		{"2026-11-23T24:00:00Z", NULL},
		{"yesterday", NULL},
		/* the front matter dates sp-scan reads (published_at: …) */
		{"2024-01-15", "2024-01-15T00:00:00Z"},
		{"2024-03-01T10:30:00+02:00", "2024-03-01T08:30:00Z"},
		{"2024-03-01 10:30:00.120", "2024-03-01T10:30:00.12Z"},
		{"2024-03-01t23:59:59.9999995Z", "2024-03-02T00:00:00Z"},	/* rounds into the next day */
		{"2024-12-31T22:00:00-05:30", "2025-01-01T03:30:00Z"},
		{"2024-13-01", NULL},
		{"2024-01-15T25:00:00Z", NULL},
	};
	char out[SP_TSTAMP_LEN];

	for (size_t i = 0; i < sizeof norm / sizeof *norm; i++) {
		int r = sp_tstamp_norm(norm[i].in, out);
		if (norm[i].out)
			CHECK(r == 0 && !strcmp(out, norm[i].out), "sp_tstamp_norm(%s) = %d %s, want %s",
			    norm[i].in, r, r ? "" : out, norm[i].out);
		else
			CHECK(r == -1, "sp_tstamp_norm(%s) accepted: %s", norm[i].in, out);
	}
	/* parse and format round trip over PostgreSQL's range */
	static const char *const round[] = {
		"2000-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z",
		"0001-01-01T00:00:00Z", "12000-01-01T00:00:00Z", "-0043-03-15T12:00:00Z",
		"294276-12-31T23:59:59Z", "infinity", "-infinity",
	};
	for (size_t i = 0; i < sizeof round / sizeof *round; i++) {
		int64_t us;
		const char *why;
		char f[40];
		int r = sp_ts_parse(round[i], &us, &why);
		if (r == 0)
			sp_ts_format(us, f);
		CHECK(r == 0 && !strcmp(f, round[i]), "sp_ts_parse/format(%s): %d %s", round[i], r,
		    r ? why : f);
	}
	int64_t us;
	const char *why;
	CHECK(sp_ts_parse("2000-01-01T00:00:01Z", &us, &why) == 0 && us == 1000000, "epoch + 1 s");
	CHECK(sp_ts_parse("294277-01-01T00:00:00Z", &us, &why) == -1, "past PostgreSQL's range");
	CHECK(sp_days_from_civil(1970, 1, 1) == 0 && sp_days_from_civil(2000, 1, 1) == 10957, "civil days");
	CHECK(sp_leap_year(2000) && !sp_leap_year(1900) && sp_leap_year(2024), "leap years");
}

static void
t_glob(void)
{
	static const struct { const char *pat, *path; int want; } g[] = {
		{"*.md", "a.md", 1}, {"*.md", "d/a.md", 0}, {"**/*.md", "d/e/a.md", 1},
		{"**/*.md", "a.md", 1}, {"a/**/b", "a/b", 1}, {"a/**/b", "a/x/y/b", 1},
		{"a/**/b", "a/xb", 0}, {"?.txt", "a.txt", 1}, {"?.txt", "/.txt", 0},
		{"[ab].c", "b.c", 1}, {"[!ab].c", "b.c", 0}, {"[!ab].c", "z.c", 1},
		{"\\*", "*", 1}, {"\\*", "a", 0}, {"config/**", "config/app.yaml", 1},
		{"config/**", "configx/a", 0}, {"**", "any/thing", 1},
	};
	for (size_t i = 0; i < sizeof g / sizeof *g; i++)
		CHECK(sp_glob_match(g[i].pat, g[i].path) == g[i].want, "sp_glob_match(%s, %s) != %d",
		    g[i].pat, g[i].path, g[i].want);
	struct sp_filter f = {0};
	sp_filter_add(&f, 0, "*.log");
	sp_filter_add(&f, 1, "keep.log");
	sp_filter_add(&f, 0, "/build/");
	CHECK(sp_filter_excluded(&f, "x/a.log", 0), "*.log excludes at any depth");
	CHECK(!sp_filter_excluded(&f, "x/keep.log", 0), "the last matching rule wins");
	CHECK(sp_filter_excluded(&f, "build", 1) && !sp_filter_excluded(&f, "build", 0),
	    "a trailing / matches directories only");
	CHECK(!sp_filter_excluded(&f, "src/build", 1), "a leading / anchors at the root");
	sp_filter_free(&f);
}

static void
t_path(void)
{
	static const struct { const char *p; int strict, ok; } u[] = {
		{"a/b", 1, 1}, {"", 1, 0}, {"/a", 1, 0}, {"a//b", 1, 0}, {"a/./b", 1, 0},
		{"a/../b", 1, 0}, {"..", 1, 0}, {"a/", 1, 0}, {"a\x01" "b", 1, 0}, {"a\x01" "b", 0, 1},
		{"caf\xc3\xa9", 1, 1},
	};
	for (size_t i = 0; i < sizeof u / sizeof *u; i++)
		CHECK((sp_path_unsafe(u[i].p, u[i].strict) == NULL) == u[i].ok, "sp_path_unsafe(#%zu)", i);
	static const struct { const char *s; int ok; } v[] = {
		{"abc", 1}, {"caf\xc3\xa9", 1}, {"\xe6\x97\xa5", 1}, {"\xc3", 0}, {"\xc0\xaf", 0},
		{"\xed\xa0\x80", 0}, {"\xf4\x90\x80\x80", 0}, {"\xff", 0},
	};
	for (size_t i = 0; i < sizeof v / sizeof *v; i++)
		CHECK(sp_utf8_valid(v[i].s, strlen(v[i].s)) == v[i].ok, "sp_utf8_valid(#%zu)", i);
	static const struct { const char *in, *out; } show[] = {
		{"plain", "plain"}, {"caf\xe9", "caf\\xe9"}, {"a\x1b[31m", "a\\x1b[31m"},
		{"tab\tnl\n", "tab\tnl\n"}, {"c1\xc2\x9b", "c1\\xc2\\x9b"}, {"ok \xc3\xa9", "ok \xc3\xa9"},
	};
	char out[64];
	for (size_t i = 0; i < sizeof show / sizeof *show; i++) {
		sp_show(show[i].in, out, sizeof out);
		CHECK(!strcmp(out, show[i].out), "sp_show(#%zu) = %s", i, out);
	}
	sp_show("abcdef", out, 4);
	CHECK(!strcmp(out, "abc"), "sp_show cuts at the buffer: %s", out);
	CHECK(sp_name_unfit("ok.md") == NULL && sp_name_unfit("caf\xe9") && sp_name_unfit("a\x7f"),
	    "sp_name_unfit");
	size_t n;
	char *b = sp_b64_encode("caf\xe9", 4), *d = sp_b64_decode(b, &n);
	CHECK(!strcmp(b, "Y2Fm6Q==") && n == 4 && !memcmp(d, "caf\xe9", 4), "base64 round trip: %s", b);
	free(b);
	free(d);
	CHECK(sp_b64_decode("abc", &n) == NULL, "malformed base64 refused");
}

static void
t_uuid(void)
{
	/* python: uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, "urn:sp:rows"), name) */
	static const struct { const char *name, *want; } c[] = {
		{"blog/hello-world", "751ae1b9-df5b-5d45-879c-1b8dc7e5c15a"},
		{"code-review", "d9b4774b-e36d-57da-b323-ea6e40e14a0f"},
		{"docs/", "80af3505-4e89-5dce-8390-4e2e33cf3431"},
		{"\xc3\xbc" "bersetzer", "ececcb68-e300-54b5-a2d8-20b37679f2be"},
	};
	char out[SP_UUID_LEN], fmt[37];
	unsigned char raw[16];

	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		sp_uuid5(c[i].name, strlen(c[i].name), out);
		CHECK(!strcmp(out, c[i].want), "sp_uuid5(%s) = %s", c[i].name, out);
	}
	CHECK(sp_uuid5_ns("6ba7b811-9dad-11d1-80b4-00c04fd430c8", "urn:sp:rows", 11, out) == 0 &&
	    !strcmp(out, SP_UUID_NAMESPACE), "the namespace is UUIDv5(URL, urn:sp:rows): %s", out);
	CHECK(sp_uuid_parse("751AE1B9-DF5B-5D45-879C-1B8DC7E5C15A", raw) == 0, "upper case parses");
	sp_uuid_format(raw, fmt);
	CHECK(!strcmp(fmt, "751ae1b9-df5b-5d45-879c-1b8dc7e5c15a"), "format: %s", fmt);
	CHECK(sp_uuid_parse("751ae1b9df5b5d45879c1b8dc7e5c15a", raw) == -1, "no dashes refused");
	CHECK(!sp_is_uuid("751ae1b9-df5b-5d45-879c-1b8dc7e5c15") && sp_is_uuid(fmt), "sp_is_uuid");
	sp_uuid4(out);
	CHECK(sp_is_uuid(out) && out[14] == '4', "a random UUID is version 4: %s", out);
}

static void
t_mchecksum(void)
{
	/* python: sha256 of "PATH\tSIZE\tMODE\tSHA256\tLINK\n" per file (sp(7)) */
	const char *x = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
	const char *e = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	const char *a = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
	char hex[SP_HEXLEN];
	sp_sha256 h;

	sp_mchecksum_init(&h);
	sp_mchecksum_add(&h, "a", 1, 0644, x, NULL);
	sp_mchecksum_add(&h, "d/e", 0, 0755, e, NULL);
	sp_mchecksum_add(&h, "l", 0, 0777, a, "a");
	sp_sha256_final(&h, hex);
	CHECK(!strcmp(hex, "7169cde63d0aa9ebfaf6f3a484261f5f952bdad4163fb4f02abe909ed524980a"),
	    "manifest checksum: %s", hex);
	sp_mchecksum_init(&h);
	sp_sha256_final(&h, hex);
	CHECK(!strcmp(hex, e), "the checksum of no files is sha256(\"\"): %s", hex);
	/* the text sp_manifest_text writes parses back to the same list */
	struct sp_mfile v[2] = {{.path = "a", .size = 1, .mode = 0644}, {.path = "b", .size = 0, .mode = 0755}};
	struct sp_manifest m;
	char err[256], ck[SP_HEXLEN], *t;
	size_t len;
	memcpy(v[0].sha256, x, SP_HEXLEN);
	memcpy(v[1].sha256, e, SP_HEXLEN);
	t = sp_manifest_text(v, 2, 0, &len, ck);
	CHECK(sp_manifest_parse(t, len, 1 << 20, &m, err, sizeof err) == 0 && m.n == 2 &&
	    !strcmp(m.checksum, ck), "sp_manifest_text -> sp_manifest_parse: %s", err);
	sp_manifest_free(&m);
	free(t);
	static const struct { const char *doc, *why; } bad[] = {
		{"[]", "not a JSON object"},
		{"{\"files\":[{}]}", "files[0]: no \"path\" string"},
		{"{\"version\":1,\"files\":[],\"files\":[]}", "duplicate member \"files\""},
		{"{\"version\":1,\"files\":[] x", "expected ',' or '}'"},
		{"{\"version\":2,\"timestamp\":\"t\",\"checksum\":\"0\",\"files\":[]}", "\"version\" is not 1"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int r = sp_manifest_parse(bad[i].doc, strlen(bad[i].doc), 1 << 20, &m, err, sizeof err);
		CHECK(r == -1 && strstr(err, bad[i].why), "manifest #%zu: %d \"%s\"", i, r, err);
	}
}

/* YAML text -> the compact JSON sp_yaml_load gives (NULL: refused, with
 * "LINE:COLUMN" starting the reason), then sp_yaml_dump -> sp_yaml_load
 * gives every value back. */
static void
t_yaml(void)
{
	static const struct { const char *yaml, *json; } load[] = {
		{"base: &b {x: 1}\nref: *b\n", "{\"base\":{\"x\":1},\"ref\":{\"x\":1}}"},
		{"str: !!str 12\nint: 0x1F\noct: 0o17\nneg: -7\nflt: 1.5e3\n",
		    "{\"str\":\"12\",\"int\":31,\"oct\":15,\"neg\":-7,\"flt\":1500.0}"},
		{"q: \"true\"\nplain: yes\nt: true\nf: False\n", "{\"q\":\"true\",\"plain\":\"yes\",\"t\":true,\"f\":false}"},
		{"nul: ~\nempty:\nN: null\n", "{\"nul\":null,\"empty\":null,\"N\":null}"},
		{"d: 2024-01-15\n", "{\"d\":\"2024-01-15\"}"},	/* a date is text in the core schema */
		{"l: [a, 1, [b]]\n", "{\"l\":[\"a\",1,[\"b\"]]}"},
		{"s: |\n  two\n  lines\n", "{\"s\":\"two\\nlines\\n\"}"},
		{"u: \"\\u00fc \\U0001F600\"\n", "{\"u\":\"\xc3\xbc \xf0\x9f\x98\x80\"}"},
		{"1: one\n", "{\"1\":\"one\"}"},
		{"", "null"},
		{"a: 1\na: 2\n", NULL},			/* duplicate key */
		{"x: !custom 1\n", NULL},		/* unknown tag */
		{"x: .inf\n", NULL},
		{"x: 99999999999999999999\n", NULL},	/* beyond 64 bits */
		{"x: [1, 2\n", NULL},
		{"x: \"a\\0b\"\n", NULL},		/* NUL */
	};
	char err[256];

	for (size_t i = 0; i < sizeof load / sizeof *load; i++) {
		json_t *marks = NULL, *v;
		char *got = NULL;

		err[0] = '\0';
		v = sp_yaml_load(load[i].yaml, strlen(load[i].yaml), 0, &marks, err, sizeof err);
		if (v)
			got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
		if (load[i].json)
			CHECK(got && !strcmp(got, load[i].json), "sp_yaml_load(%s) = %s, want %s (%s)",
			    load[i].yaml, got ? got : "NULL", load[i].json, err);
		else
			CHECK(!v && err[0] >= '1' && err[0] <= '9' && strchr(err, ':'),
			    "sp_yaml_load(%s) accepted (%s) or no LINE:COLUMN (%s)", load[i].yaml,
			    got ? got : "", err);
		free(got);
		json_decref(v);
		json_decref(marks);
	}
	/* where an error is: line and column, offset by line0 */
	{
		json_t *v = sp_yaml_load("a: 1\nb: [\n", 10, 4, NULL, err, sizeof err);
		CHECK(!v && !strncmp(err, "7:", 2), "line0 4, error on line 3: \"%s\"", err);
		json_decref(v);
	}
	/* dump -> load: strings that look like other types, multi-line and odd
	 * ones, nested keys, numbers */
	static const char *const values[] = {
		"{\"a\":\"true\",\"b\":\"12\",\"c\":\"~\",\"d\":\"null\",\"e\":\"1.5e3\",\"f\":\"0x1F\",\"g\":\"\"}",
		"{\"m\":\"two\\nlines\",\"t\":\"trailing\\n\\n\",\"lead\":\"  spaced\",\"colon\":\"a: b\",\"hash\":\"# no\"}",
		"{\"u\":\"\\u00dcbersetzer \\u2014 \\u7ffb\\u8a33\",\"dash\":\"- x\",\"q\":\"'\\\"\",\"tab\":\"a\\tb\"}",
		"{\"n\":{\"z\":1,\"a\":[1,2.5,-3,null,true,{\"k\":\"v\"}],\"e\":{},\"l\":[]},\"f\":0.1,\"big\":9007199254740993}",
		"{\"date\":\"2024-01-15\",\"yes\":\"yes\",\"star\":\"*a\",\"amp\":\"&a\",\"bang\":\"!x\",\"pct\":\"%x\"}",
	};
	for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
		json_error_t je;
		json_t *in = json_loads(values[i], 0, &je), *back = NULL;
		size_t len;
		char *y = sp_yaml_dump(in, 0, &len, err, sizeof err);

		if (y)
			back = sp_yaml_load(y, len, 0, NULL, err, sizeof err);
		CHECK(in && y && back && json_equal(in, back), "dump -> load #%zu: %s\n%s", i, err,
		    y ? y : "");
		free(y);
		json_decref(in);
		json_decref(back);
	}
	CHECK(sp_yaml_plain_is_special("true", 4) && sp_yaml_plain_is_special("12", 2) &&
	    sp_yaml_plain_is_special("", 0) && !sp_yaml_plain_is_special("hello", 5),
	    "sp_yaml_plain_is_special");
}

static const struct {
	const char *name;
	void (*fn)(void);
} groups[] = {
	{"tstamp", t_tstamp}, {"glob", t_glob}, {"path", t_path}, {"uuid", t_uuid},
	{"mchecksum", t_mchecksum}, {"yaml", t_yaml},
};

int
main(int argc, char **argv)
{
	for (size_t i = 0; i < sizeof groups / sizeof *groups; i++) {
		int want = argc < 2;
		for (int k = 1; k < argc; k++)
			want |= !strcmp(argv[k], groups[i].name);
		if (want)
			groups[i].fn();
	}
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
