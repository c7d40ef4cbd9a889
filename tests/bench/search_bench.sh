#!/usr/bin/env bash
# search_bench.sh: the full-text index's two figures.
#  1. What indexing adds to a fetch: fetches of generated mail from a private
#     Dovecot into new caches, alternated: with --no-index, then with the index
#     (filled beside the fetch and finished after it), --runs times each; the
#     share is (median with - median without) / median without, for wall time
#     and for CPU time (user + system of mailferry; Dovecot's not counted). A
#     `reindex` of the same mail is timed too: the index's cost on its own.
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
make_workdir $((MESSAGES + 2 * RUNS * FETCH_MESSAGES)) search-bench
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
# Each fetch gets a cache of its own, all removed at the end: ext4 creates
# files much more slowly right after thousands were deleted (it scans its
# recently deleted inodes; perf shows it), which would favour the first runs.
fetch_into() {  # CACHE [--no-index]: one timed fetch into a new cache
    local cache=$1
    shift
    timed "$MF" fetch "$cache" --from "imaps://bench@127.0.0.1:$IMAPS_PORT" --password-file "$W/pw" \
        --ca-file "$CA_FILE" --no-progress "$@" >/dev/null || die "fetch failed"
}
walls_without=() walls_with=() cpus_without=() cpus_with=() reindexes=()
for ((r = 0; r < RUNS; ++r)); do
    fetch_into "$W/plain-$r" --no-index
    walls_without+=("$T_WALL") cpus_without+=("$T_CPU")
    fetch_into "$W/fetched-$r"
    walls_with+=("$T_WALL") cpus_with+=("$T_CPU")
    timed "$MF" reindex "$W/fetched-$r" --no-progress >/dev/null || die "reindex failed"
    reindexes+=("$T_WALL")
done
fetch_plain_s=$(printf '%s\n' "${walls_without[@]}" | median)
fetch_s=$(printf '%s\n' "${walls_with[@]}" | median)
cpu_plain_s=$(printf '%s\n' "${cpus_without[@]}" | median)
cpu_s=$(printf '%s\n' "${cpus_with[@]}" | median)
reindex_s=$(printf '%s\n' "${reindexes[@]}" | median)
share=$(awk -v a="$fetch_s" -v b="$fetch_plain_s" 'BEGIN { printf "%.0f", 100 * (a - b) / b }')
cpu_share=$(awk -v a="$cpu_s" -v b="$cpu_plain_s" 'BEGIN { printf "%.0f", 100 * (a - b) / b }')

# 2. queries over a large cache
mb=$((MESSAGES * 31 / 1024))  # mbox_bench's messages average about 31 KB
note "generating an mbox of about $MESSAGES messages ($mb MB) and importing it"
"$GEN" generate "$W/big.mbox" "$mb" >/dev/null
timed "$MF" import "$W/big" "$W/big.mbox" --no-progress >/dev/null || die "import failed"
import_s=$T_WALL
count=$(sqlite3 "$W/big/index.sqlite" 'SELECT count(*) FROM messages' 2>/dev/null || echo "?")
results="" query_json=""
# mbox_bench's text draws on 16 words, so a word of its text is in every
# message: the worst case. A subject number finds one message. Arguments of a
# query after '|'.
for spec in 'lossless' '"mail ferry"' 'subject:4711' 'sender:s42 AND lossless' 'dove* NOT ferry' \
    'header AND subject:benchmark' 'lossless|--sort|oldest' 'lossless|--sort|relevance'; do
    IFS='|' read -r -a query <<<"$spec"
    times=()
    for ((r = 0; r < RUNS; ++r)); do
        start=$(date +%s%N)
        found=$("$MF" search "$W/big" "${query[@]}" --limit 20 | tail -1)
        times+=($((($(date +%s%N) - start) / 1000000)))
    done
    ms=$(printf '%s\n' "${times[@]}" | median)
    results+="    $(printf '%-36s' "${query[*]}") $(printf '%5s' "$ms") ms   $found\n"
    query_json+="${query_json:+, }$(printf '"%s": %s' "$(printf '%s' "${query[*]}" | sed 's/"/\\"/g')" "$ms")"
done
printf 'search_bench: %s CPUs\n' "$(nproc)"
printf '  fetch of %s messages (median of %s, alternated): %.2f s without the index, %.2f s with it: indexing adds %s%% wall (goal: <= 30%%)\n' \
    "$FETCH_MESSAGES" "$RUNS" "$fetch_plain_s" "$fetch_s" "$share"
printf '    CPU of mailferry: %.2f s without, %.2f s with (+%s%%); reindex of the same mail alone: %.2f s\n' \
    "$cpu_plain_s" "$cpu_s" "$cpu_share" "$reindex_s"
printf '    all walls without: %s\n    all walls with:    %s\n' "${walls_without[*]}" "${walls_with[*]}"
printf '  cache of %s messages (imported in %.1f s); median of %s runs per query, whole command:\n' "$count" "$import_s" "$RUNS"
printf '%b' "$results"
echo "  (goal: <= 50 ms)"
if [[ -n $JSON_FILE ]]; then
    printf '{"bench": "search", "fetch_messages": %s, "fetch_no_index_s": %s, "fetch_s": %s, "reindex_s": %s, "index_share_percent": %s, "index_cpu_share_percent": %s, "cache_messages": "%s", "query_ms": {%s}}\n' \
        "$FETCH_MESSAGES" "$fetch_plain_s" "$fetch_s" "$reindex_s" "$share" "$cpu_share" "$count" "$query_json" >"$JSON_FILE"
fi
