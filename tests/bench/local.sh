# shellcheck shell=bash
# local.sh - sp-diff of 1,000,000 vs 1,000,000 row records against
# LC_ALL=C sort of the same two inputs; sp-scan content over 10,000
# generated markdown files. Targets: sp-diff within 1.5x of sort's time
# with peak RSS <= 1 GiB; sp-scan >= 5,000 files/s.
set -euo pipefail
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh

w=$BENCH_WORK/local
N=${SP_BENCH_ROWS:-1000000}
PAGES=${SP_BENCH_PAGES:-10000}
mkdir -p "$w"

if [ ! -f "$w/rows-$N.done" ]; then
	# left: rows as sp-scan writes them, in slug order; right: the same rows
	# as a database export returns them (extra timestamps, id order), 10%
	# of them modified, 1% only on the left and 1% only on the right.
	python3 - "$N" "$w/left.ndjson" "$w/right.ndjson" <<'PY'
import json, random, sys, uuid
n, lpath, rpath = int(sys.argv[1]), sys.argv[2], sys.argv[3]
random.seed(42)
ns = uuid.uuid5(uuid.NAMESPACE_URL, "urn:sp:rows")
dump = lambda o: json.dumps(o, separators=(",", ":"), ensure_ascii=False)
right = []
with open(lpath, "w") as L:
    for i in range(n):
        slug = "post-%07d" % i
        d = {"id": str(uuid.uuid5(ns, "blog/" + slug)), "source_id": "blog", "slug": slug,
             "title": "Post number %d" % i, "description": "What post %d is about" % i,
             "author": "Ann Example", "kind": "blog", "public": True, "tags": ["news", "t%d" % (i % 50)],
             "keywords": "a, b", "image": None, "category_id": "articles",
             "published_at": "2024-01-15T00:00:00Z",
             "body": "# Post %d\n\nA paragraph of body text, about a line long, for post %d.\n" % (i, i),
             "metadata": {"after_reading_this": ["point one", "point two"], "order": i}}
        r = random.random()
        if r >= 0.01:
            L.write(dump({"type": "row", "table": "content", "path": "blog/%s.md" % slug, "data": d}) + "\n")
        if r < 0.01 or 0.02 <= r:
            e = dict(d, created_at="2026-01-01T00:00:00Z", updated_at="2026-01-02T00:00:00.5Z")
            if r < 0.12 and r >= 0.02:
                e["title"] = d["title"] + " (edited in the database)"
            right.append(e)
right.sort(key=lambda d: d["id"])
with open(rpath, "w") as R:
    for e in right:
        R.write(dump({"type": "row", "table": "content", "data": e}) + "\n")
PY
	touch "$w/rows-$N.done"
fi
if [ ! -f "$w/pages-$PAGES.done" ]; then
	rm -rf "$w/content" && mkdir -p "$w/content"
	python3 - "$PAGES" "$w/content" <<'PY'
import os, sys
n, root = int(sys.argv[1]), sys.argv[2]
for i in range(n):
    d = os.path.join(root, "source%d" % (i % 4), "section%02d" % (i % 37))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "page-%05d.md" % i), "w") as f:
        f.write("---\ntitle: Page %d\ndescription: About page %d\nauthor: Ann\nkind: blog\n"
                "tags: [a, b, c]\npublished_at: 2024-01-%02d\nrelated_docs:\n"
                "  - title: Other\n    url: /docs/other\nafter_reading_this: [x, y]\n---\n\n"
                "# Page %d\n\n%s\n" % (i, i, 1 + i % 28, i, "Body text of the page. " * 40))
PY
	touch "$w/pages-$PAGES.done"
fi

L=$w/left.ndjson R=$w/right.ndjson
echo "sp-diff vs LC_ALL=C sort: $N vs $N row records ($(du -m "$L" | cut -f1) MB + $(du -m "$R" | cut -f1) MB), $(nproc) cores, best of 3"
header "job"
cat "$L" "$R" >/dev/null	# warm the page cache
base=$(best 3 "LC_ALL=C sort $L $R >/dev/null")
sp=$(best 3 "sp-diff $L $R >/dev/null 2>&1; [ \$? -eq 1 ]")
row "sp-diff vs sort" "$base" "$sp"
echo "sp-diff takes $(ratio "$sp" "$base")x the time of sort (target: at most 1.5x)"
rss=$(rss_kib "sp-diff $L $R 2>/dev/null; true")
echo "sp-diff peak RSS: $((rss / 1024)) MiB (target: at most 1024 MiB); sort: $(( $(rss_kib "LC_ALL=C sort $L $R") / 1024 )) MiB"
sp-diff "$L" "$R" 2>&1 >/dev/null | sed 's/^/  /' || true

echo
echo "sp-scan content: $PAGES markdown files in 4 sources, best of 3"
t=$(best 3 "sp-scan content $w/content >/dev/null")
echo "sp-scan content: ${t}s, $(awk -v n="$PAGES" -v t="$t" 'BEGIN { printf "%d", n / t }') files/s (target: at least 5,000 files/s)"
