/* glob.h - path globs with "**", and rsync-style include/exclude rules. */
#ifndef SP_GLOB_H
#define SP_GLOB_H

/* True when path matches pat: "*" and "?" stop at "/", "[...]" classes
 * ("[!...]" negates), "\\" escapes, "**" matches across directories and
 * a "**" component also matches no directory at all ("a/ ** /b" matches
 * "a/b"). */
int sp_glob_match(const char *pat, const char *path);

struct sp_rule {
	int include;
	int anchored;	/* pattern has a "/" before its end: match whole path */
	int dironly;	/* pattern ended in "/": match directories only */
	char *pat;
};

struct sp_filter {
	struct sp_rule *r;
	int n;
};

/* Append a rule. A pattern with a "/" (other than a trailing one) matches
 * the whole relative path, a leading "/" anchors it at the root; without
 * a "/" it matches the last component at any depth; a trailing "/"
 * matches only directories. */
void sp_filter_add(struct sp_filter *f, int include, const char *pattern);

/* True when the last rule matching path excludes it; no match includes. */
int sp_filter_excluded(const struct sp_filter *f, const char *path, int isdir);

void sp_filter_free(struct sp_filter *f);

#endif
