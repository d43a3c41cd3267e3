# transfer.sh - sp push and pull through a local sp-cloudd against tar + curl,
# and a conditional pull of an unchanged tree (304).
#   push: sp-collect | sp-manifest | sp-pack -o - | sp-upload files
#         vs  tar czf - (the same files, manifest first) | curl --data-binary @-
#   pull: sp-download files | sp-unpack - EMPTY   vs  curl | tar xzf - -C EMPTY
set -euo pipefail
. tests/bench/lib.sh

for t in sp-cloudd sp-pack sp-unpack sp-upload sp-download; do
	command -v "$t" >/dev/null || { echo "transfer.sh: skipped, $t is not built"; exit 0; }
done

w=$BENCH_WORK/transfer
tree=$w/tree
if [ ! -f "$w/.tree-done" ]; then
	rm -rf "$tree" && mkdir -p "$tree"
	# 10,000 files, 100 MiB: 9,996 files of ~5 KiB (half text, half random)
	# and 4 of ~12.8 MiB (half compressible), like a real service tree.
	python3 - "$tree" <<'PY'
import base64, os, sys
root = sys.argv[1]
rnd = os.urandom(1 << 20)
txt = base64.b64encode(rnd)
for i in range(9996):
    d = os.path.join(root, "d%03d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    n = 4096 + (i * 97) % 2048
    src = txt if i % 2 else rnd
    off = (i * 131) % (len(src) - n)
    with open(os.path.join(d, "f%05d.md" % i), "wb") as f:
        f.write(src[off:off + n])
total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)
big = ((100 << 20) - total) // 4
for i in range(4):
    with open(os.path.join(root, "blob%d.bin" % i), "wb") as f:
        f.write(os.urandom(big // 2))
        f.write(base64.b64encode(os.urandom(big // 2))[:big - big // 2])
PY
	touch "$w/.tree-done"
fi
files=$(find "$tree" -type f | wc -l)
mib=$(du -sm --apparent-size "$tree" | cut -f1)

# A private PostgreSQL and sp-cloudd, purged at the end.
env_dir=$w/env
trap 'sp-env purge "$env_dir" >/dev/null 2>&1 || true' EXIT
eval "$(sp-env up "$env_dir")"
api=$SP_API_URL/api/v1/cloud/tenants/$SP_TENANT
auth_hdr=$w/auth.hdr
(umask 077; printf 'Authorization: Bearer %s\n' "$(cat "$SP_TOKEN_FILE")" >"$auth_hdr")

# The baseline posts what the server accepts: the same files, with the
# manifest that sp-pack would put first (built once, untimed).
sp-collect "$tree" | sp-manifest -C "$tree" | sp-pack -C "$tree" -o "$w/ref.tgz" >"$w/ref.rec"
mkdir -p "$w/mdir"
tar xzf "$w/ref.tgz" -C "$w/mdir" .sp-manifest.json
(cd "$tree" && find . -type f | sed 's|^\./||' | sort) >"$w/list"

push_base="tar czf - --no-recursion -C $w/mdir .sp-manifest.json -C $tree -T $w/list |
	curl -sSf -H @$auth_hdr -H 'Content-Type: application/gzip' --data-binary @- $api/files >/dev/null"
push_sp="sp-collect $tree | sp-manifest -C $tree | sp-pack -C $tree -o - | sp-upload -q files >/dev/null"
pull_base="curl -sSf -H @$auth_hdr $api/files | tar xzf - -C OUT"
pull_sp="sp-download -q files | sp-unpack - OUT >/dev/null"
# Every run extracts into a directory never used before, with nothing
# dirty in the page cache (writeback of an earlier run would be charged to
# the next one). Nothing is deleted between runs: right after a mass delete
# ext4 scans the recently deleted inodes on every create, and whichever run
# came next would pay for it.
n=0
fresh() { n=$((n + 1)); out=$w/out.$n; mkdir "$out"; sync; }

# min A B: the smaller time (A may be empty).
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }

echo "push and pull of $files files, $mib MiB through a local sp-cloudd ($(nproc) cores, best of 3, runs interleaved)"
header "operation"
bash -c "$push_base"	# warm up the page cache and the server
pb= ps= pub= pus=
for i in 1 2 3; do
	pb=$(min "$pb" "$(best 1 "$push_base" sync)")
	ps=$(min "$ps" "$(best 1 "$push_sp" sync)")
	fresh
	pub=$(min "$pub" "$(best 1 "${pull_base//OUT/$out}")")
	fresh
	pus=$(min "$pus" "$(best 1 "${pull_sp//OUT/$out}")")
done
row "push: tar czf | curl  vs  sp pipeline" "$pb" "$ps"
row "pull: curl | tar xzf  vs  sp pipeline" "$pub" "$pus"
diff -r "$tree" "$out" >/dev/null && echo "pulled tree identical to the source (diff -r)"
awk -v p="$(awk -v a="$ps" -v b="$pb" 'BEGIN{print a/b}')" -v q="$(awk -v a="$pus" -v b="$pub" 'BEGIN{print a/b}')" \
	'BEGIN { printf "sp push takes %.2fx, sp pull %.2fx the time of tar+curl (target <= 1.2x)\n", p, q }'

# Conditional pull of the unchanged tree: the server answers 304.
msha=$(sp-download -q files -o "$w/cur.tgz" | jq -r .details.manifest_sha256)
times=()
for i in $(seq 1 21); do
	t0=$(date +%s%N)
	sp-download -q files -o "$w/cond.tgz" --if-none-match "$msha" >"$w/cond.out"
	t1=$(date +%s%N)
	times+=($(((t1 - t0) / 1000)))
done
grep -q '"unchanged":true' "$w/cond.out" || { echo "conditional pull did not answer 304" >&2; exit 1; }
med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 11p)
awk -v us="$med" 'BEGIN { printf "conditional pull of the unchanged tree (304): %.1f ms median of 21 (target < 50 ms)\n", us / 1000 }'

echo "peak RSS: sp-upload $(rss_kib "sp-upload -q files $w/ref.tgz") KiB," \
	"sp-download $(rss_kib "sp-download -q files >/dev/null") KiB"
rm -rf "$w"/out.* "$w/cond.tgz" "$w/cur.tgz" "$auth_hdr"
