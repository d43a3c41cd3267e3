# sp-lib.sh - what sp-sync and sp-local share, sourced by both (installed
# in $(DATADIR), beside the scripts in the checkout): the one template of the
# result record (sp(7) "result") and the options both take.
# shellcheck shell=bash disable=SC2034,SC2154 # sets and reads the caller's globals

# sp_result OP SUCCESS SYNCED SKIPPED DELETED DETAILS [ERROR]: one compact
# result record on stdout; DETAILS is a JSON object, ERROR the message of a
# failure (errors[] is empty without one).
sp_result() {
	# (DETAILS on stdin: it may be longer than one argument may be)
	jq -c --arg op "$1" --argjson ok "$2" --argjson s "$3" --argjson k "$4" --argjson d "$5" \
		--arg e "${7-}" \
		'{type:"result", operation:$op, success:$ok, items_synced:$s, items_skipped:$k,
		  items_deleted:$d, errors:(if $e == "" then [] else [$e] end), details:.}' <<<"$6"
}

# sp_common_opt ARGS...: take one option both scripts know from the front of
# ARGS: -n/--dry-run (dry=1), --delete (delete=1), -f/--filter GLOB and
# --filter=GLOB (appended to filters[]), -C DIR (services_opt), -h/--help
# (usage, exit 0), --version. Sets sp_took to the words used, 0 when ARGS
# does not start with one of them; a missing value is a usage error (exit 2).
sp_common_opt() {
	sp_took=1
	case "$1" in
	-n|--dry-run) dry=1 ;;
	--delete) delete=1 ;;
	-f|--filter) [ $# -ge 2 ] || { usage >&2; exit 2; }; filters+=("$2"); sp_took=2 ;;
	--filter=*) filters+=("${1#--filter=}") ;;
	-C) [ $# -ge 2 ] || { usage >&2; exit 2; }; services_opt=$2; sp_took=2 ;;
	-h|--help) usage; exit 0 ;;
	--version) echo "$prog 0.1.0"; exit 0 ;;
	*) sp_took=0 ;;
	esac
}

# sp_filter_flags: filters[] as "--filter GLOB" words in filter_flags[].
sp_filter_flags() {
	local f
	filter_flags=()
	for f in "${filters[@]}"; do filter_flags+=(--filter "$f"); done
}
