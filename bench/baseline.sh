# shellcheck shell=bash
# Another commit's build, for bench/run to measure beside this one in the
# same run (BENCH_BASELINE_REV=REV): REV is checked out in a temporary git
# worktree, detached, and built there as a release build.  Its own
# scripts/gateway-rules and tests/netns/mkconf.py go with it (BN_TREE in
# bench/lib.sh): a ruleset or config format that changed between the two
# commits is measured as each commit shipped it.
#
#   bl_build REV   the worktree and its build; sets BL_TREE, BL_SCHOOLGATE
#                  and BL_DESC (its short hash, for the table)
#   bl_remove      deletes the worktree (BENCH_BASELINE_KEEP=1 keeps it,
#                  so a second run with the same REV builds nothing)

BL_TREE=""
BL_SCHOOLGATE=""
BL_DESC=""

bl_build() {
	local rev="$1" hash
	hash="$(git rev-parse --verify --quiet "$rev^{commit}")" || {
		echo "bench: BENCH_BASELINE_REV=$rev is not a commit" >&2
		return 1
	}
	BL_DESC="$(git log -1 --format=%h "$hash")"
	BL_TREE="${TMPDIR:-/tmp}/schoolgate-baseline.${hash:0:12}"
	if [[ ! -d "$BL_TREE" ]]; then
		git worktree add --detach --quiet "$BL_TREE" "$hash"
	fi
	printf '%s bench: building the baseline %s in %s\n' "$(date +%T)" \
	    "$BL_DESC" "$BL_TREE" >&2
	# a release build, as bench/run's own ($BUILD's default); its
	# compiler output goes to a log so that the table stays readable
	make -C "$BL_TREE" -s -j2 BUILD=build/release build/release/schoolgate \
	    >"$BL_TREE.build.log" 2>&1 || {
		echo "bench: the baseline did not build:" >&2
		tail -20 "$BL_TREE.build.log" >&2
		return 1
	}
	# shellcheck disable=SC2034 # bench/compare.sh runs it
	BL_SCHOOLGATE="$BL_TREE/build/release/schoolgate"
}

bl_remove() {
	[[ -n "$BL_TREE" && "${BENCH_BASELINE_KEEP:-0}" != 1 ]] || return 0
	git worktree remove --force "$BL_TREE" 2>/dev/null ||
	    rm -rf --one-file-system "$BL_TREE"
	git worktree prune
	rm -f "$BL_TREE.build.log"
	BL_TREE=""
}
