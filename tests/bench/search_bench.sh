#!/usr/bin/env bash
# search_bench.sh: the full-text index's two figures.
#  1. What indexing adds to a fetch: a fetch of generated mail from a private
#     Dovecot (the index is filled at its end), then `reindex` of the same cache;
#     the share is reindex time / (fetch time - reindex time).
#  2. How fast a query answers over a large cache: an mbox of about --messages
#     messages (mbox_bench generate) imported into a cache, then `mailferry
#     search` for a few words, --runs times each; the median wall time of the
#     whole command (process start and cache open included).
#
#   tests/bench/search_bench.sh [--messages N] [--fetch-messages N] [--runs R] [--json FILE] [--keep] [--workdir DIR]
#
# Defaults: 100000 messages for the queries, 5000 for the fetch, 9 runs.
set -euo pipefail
PROG=search_bench
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
. "$SCRIPT_DIR/bench_lib.sh"

common_defaults
MESSAGES=100000
FETCH_MESSAGES=5000
RUNS=9
while [[ $# -gt 0 ]]; do
    case $1 in
        --fetch-messages) FETCH_MESSAGES=${2:?--fetch-messages needs a value}; shift 2 ;;
        *) common_option "$@"; shift "$OPT_ARGS" ;;
    esac
done

build_bench ON mailferry mbox_bench
MF="${MAILFERRY:-$REPO/build-bench/mailferry}"
GEN=$(find "$REPO/build-bench" -name mbox_bench -type f -perm -u+x | head -1)
[[ -x $GEN ]] || die "mbox_bench was not built"
make_workdir $((MESSAGES + FETCH_MESSAGES)) search-bench
cleanup() {
    [[ -d $W/dovecot ]] && "$HARNESS" stop "$W/dovecot" >/dev/null 2>&1 || true
    [[ $KEEP == 1 ]] || rm -rf "$W"
}
trap cleanup EXIT
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# 1. indexing's share of a fetch
note "starting Dovecot with $FETCH_MESSAGES generated messages"
"$HARNESS" start "$W/dovecot" --user bench:bench-pw --no-compress >/dev/null
"$HARNESS" gen "$W/dovecot" bench "$FETCH_MESSAGES" --seed "$SEED" >/dev/null
. "$W/dovecot/env"
printf 'bench-pw\n' >"$W/pw"
chmod 600 "$W/pw"
timed "$MF" fetch "$W/fetched" --from "imaps://bench@127.0.0.1:$IMAPS_PORT" --password-file "$W/pw" \
    --ca-file "$CA_FILE" --no-progress >/dev/null || die "fetch failed"
fetch_s=$T_WALL
timed "$MF" reindex "$W/fetched" --no-progress >/dev/null || die "reindex failed"
reindex_s=$T_WALL
share=$(awk -v f="$fetch_s" -v r="$reindex_s" 'BEGIN { printf "%.0f", (f > r ? 100 * r / (f - r) : 0) }')

# 2. queries over a large cache
mb=$((MESSAGES * 31 / 1024))  # mbox_bench's messages average about 31 KB
note "generating an mbox of about $MESSAGES messages ($mb MB) and importing it"
"$GEN" generate "$W/big.mbox" "$mb" >/dev/null
timed "$MF" import "$W/big" "$W/big.mbox" --no-progress >/dev/null || die "import failed"
import_s=$T_WALL
count=$(sqlite3 "$W/big/index.sqlite" 'SELECT count(*) FROM messages' 2>/dev/null || echo "?")
results=""
for q in 'release' 'subject:maven' '"build failure"' 'surefire OR jenkins' 'mailferr*'; do
    times=()
    for ((r = 0; r < RUNS; ++r)); do
        start=$(date +%s%N)
        "$MF" search "$W/big" "$q" --limit 20 >/dev/null
        times+=($((($(date +%s%N) - start) / 1000000)))
    done
    ms=$(printf '%s\n' "${times[@]}" | median)
    results+="    $(printf '%-22s' "$q") ${ms} ms\n"
done
printf 'search_bench: %s CPUs\n' "$(nproc)"
printf '  fetch of %s messages: %.2f s, of which the index %.2f s (reindex): indexing adds %s%% (goal: <= 30%%)\n' \
    "$FETCH_MESSAGES" "$fetch_s" "$reindex_s" "$share"
printf '  cache of %s messages (imported in %.1f s); median of %s runs per query, whole command:\n' "$count" "$import_s" "$RUNS"
printf '%b' "$results"
echo "  (goal: <= 50 ms)"
if [[ -n $JSON_FILE ]]; then
    printf '{"bench": "search", "fetch_messages": %s, "fetch_s": %s, "reindex_s": %s, "index_share_percent": %s, "cache_messages": "%s"}\n' \
        "$FETCH_MESSAGES" "$fetch_s" "$reindex_s" "$share" "$count" >"$JSON_FILE"
fi
