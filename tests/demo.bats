#!/usr/bin/env bats
# make demo's script: the whole system end to end on the embedded default.

load helper

@test "demo: push all, wipe, pull all, and nothing differs" {
	# the embedded default as the README runs it: a cluster of its own
	run env -u SP_ENV_CLUSTER "$REPO/scripts/demo"
	assert_success
	assert_line --partial "files_push           ok  16 synced"
	assert_line --partial "database_push        ok  11 synced"
	assert_line --partial "files_push           ok  0 synced, 16 unchanged"
	assert_line --partial "files_pull           ok  16 synced"
	assert_line --partial "database_pull        ok  11 synced"
	assert_line --partial "tree:     identical to before (16 files, diff -r)"
	assert_line --partial "database: identical to before (11 rows, row_to_json of every table)"
	assert_line --partial "skills_to_disk       ok  0 synced, 3 unchanged"
	assert_line --partial "content_to_disk      ok  0 synced, 5 unchanged"
	assert_line --partial "docker-push: docker push sp-demo:demo"
	# sp-env was stopped and removed: no cluster of the demo is left
	run bash -c "ls -d \${TMPDIR:-/tmp}/sp-demo.* 2>/dev/null"
	assert_output ""
}
