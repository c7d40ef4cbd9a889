#!/usr/bin/env bash
# import_bench.sh: how fast `mailferry import` takes a large mbox, against
# reading the same file with `cat FILE > /dev/null` in the same run, and how
# much memory it needs.  Not a test: it prints figures (and writes --json).
#
#   tests/bench/import_bench.sh [--mb N] [--runs R] [--json FILE] [--keep] [--workdir DIR]
#
# --mb N: size of the generated mbox (default 1024); synthetic list mail by
#   build-bench/tests/mbox_bench generate (deterministic).
# Each run: cat with a cold page cache (the file's pages dropped with
#   dd iflag=nocache) and with a warm one; then import into a fresh cache, cold
#   and warm the same way.  Medians of R runs (default 3).  Ratios are
#   cat time / import time: 0.5 means import goes at half the speed of cat.
# Import writes every message durably into the cache (files, one syncfs per
# batch, the index), which cat does not: the cold ratio is the fair one. Two
# more rows put it in proportion: a durable copy of the file (dd conv=fsync:
# the least any tool that keeps the bytes safely must spend on this disk), and
# import --no-index (the full-text index left for later).
set -euo pipefail
PROG=import_bench
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
. "$SCRIPT_DIR/bench_lib.sh"

MB=1024
common_defaults
RUNS=3
while [[ $# -gt 0 ]]; do
    case $1 in
        --mb) MB=${2:?--mb needs a value}; shift 2 ;;
        *) common_option "$@"; shift "$OPT_ARGS" ;;
    esac
done

build_bench ON mailferry mbox_bench
MF="${MAILFERRY:-$REPO/build-bench/mailferry}"
GEN="$REPO/build-bench/tests/mbox_bench"
[[ -x $GEN ]] || GEN=$(find "$REPO/build-bench" -name mbox_bench -type f -perm -u+x | head -1)
[[ -x $GEN ]] || die "mbox_bench was not built"
make_workdir $((MB * 60 * (1 + 3 * RUNS))) import-bench
[[ $KEEP == 1 ]] || trap 'rm -rf "$W"' EXIT
FILE="$W/big.mbox"
note "generating a $MB MB mbox"
"$GEN" generate "$FILE" "$MB" >/dev/null
BYTES=$(stat -c %s "$FILE")

drop_pages() { dd if="$1" iflag=nocache count=0 status=none 2>/dev/null || true; sync; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

cat_cold=() cat_warm=() imp_cold=() imp_warm=() imp_rss=() copies=() plains=()
for ((r = 1; r <= RUNS; ++r)); do
    drop_pages "$FILE"
    timed sh -c "cat '$FILE' > /dev/null"; cat_cold+=("$T_WALL")
    timed sh -c "cat '$FILE' > /dev/null"; cat_warm+=("$T_WALL")
    # A new cache for each import, all removed at the end: ext4 creates files
    # slowly for minutes after thousands were deleted (fetch_bench.sh says more).
    sync
    drop_pages "$FILE"
    timed "$MF" import "$W/cache-$r-cold" "$FILE" --no-progress --json >"$W/import.json" || die "import failed: $(cat "$W/import.json")"
    imp_cold+=("$T_WALL"); imp_rss+=("$T_RSS")
    sync
    timed "$MF" import "$W/cache-$r-warm" "$FILE" --no-progress --json >"$W/import.json" || die "import failed"
    imp_warm+=("$T_WALL"); imp_rss+=("$T_RSS")
    sync
    timed "$MF" import "$W/cache-$r-plain" "$FILE" --no-progress --no-index >/dev/null || die "import --no-index failed"
    plains+=("$T_WALL")
    sync
    timed dd if="$FILE" of="$W/copy" bs=4M conv=fsync status=none; copies+=("$T_WALL")
    rm -f "$W/copy"
    note "run $r: cat ${cat_cold[-1]} s cold / ${cat_warm[-1]} s warm, import ${imp_cold[-1]} s cold / ${imp_warm[-1]} s warm, peak RSS ${imp_rss[-1]} KB"
done
MESSAGES=$(grep -o '"new_messages": *[0-9]*' "$W/import.json" | head -1 | grep -o '[0-9]*$')
cc=$(printf '%s\n' "${cat_cold[@]}" | median); cw=$(printf '%s\n' "${cat_warm[@]}" | median)
ic=$(printf '%s\n' "${imp_cold[@]}" | median); iw=$(printf '%s\n' "${imp_warm[@]}" | median)
rss=$(printf '%s\n' "${imp_rss[@]}" | sort -n | tail -1)
cp_s=$(printf '%s\n' "${copies[@]}" | median); pl=$(printf '%s\n' "${plains[@]}" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
mbps() { awk -v s="$1" -v b="$BYTES" 'BEGIN { printf "%.0f", (s > 0 ? b / s / 1048576 : 0) }'; }
cat <<OUT
import_bench: $((BYTES / 1048576)) MB mbox, $MESSAGES messages, $RUNS runs (medians), $(nproc) CPUs
  cat  cold $cc s ($(mbps "$cc") MB/s)   warm $cw s ($(mbps "$cw") MB/s)
  import cold $ic s ($(mbps "$ic") MB/s)  warm $iw s ($(mbps "$iw") MB/s)
  import speed / cat speed: cold $(ratio "$cc" "$ic")  warm $(ratio "$cw" "$iw")   (goal: >= 0.5)
  durable copy (dd conv=fsync) $cp_s s ($(mbps "$cp_s") MB/s); import --no-index (warm) $pl s ($(mbps "$pl") MB/s)
  import speed / durable copy speed: $(ratio "$cp_s" "$iw") (with the index)  $(ratio "$cp_s" "$pl") (--no-index)
  import peak RSS: $((rss / 1024)) MB
OUT
if [[ -n $JSON_FILE ]]; then
    cat >"$JSON_FILE" <<JSON
{"bench": "import", "mbox_bytes": $BYTES, "messages": ${MESSAGES:-0}, "runs": $RUNS,
 "cat_cold_s": $cc, "cat_warm_s": $cw, "import_cold_s": $ic, "import_warm_s": $iw,
 "ratio_cold": $(ratio "$cc" "$ic"), "ratio_warm": $(ratio "$cw" "$iw"), "import_peak_rss_kb": $rss,
 "durable_copy_s": $cp_s, "import_no_index_s": $pl}
JSON
fi
