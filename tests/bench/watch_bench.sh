#!/usr/bin/env bash
# watch_bench.sh: how quickly `mailferry watch` carries newly delivered mail
# to the target, what it costs while idle, and whether its memory stays flat;
# next to mbsync woken by an IMAP IDLE trigger (imapfilter), on the same
# private Dovecot (TLS, 127.0.0.1) in the same run.
# A benchmark, not a test: never run by ctest.  See tests/bench/README.md.
#
#   watch_bench.sh [--messages N] [--rate R] [--idle-seconds S] [--json FILE] [--keep] ...
#
#   --messages N      messages delivered while the watch runs (default 1000)
#   --rate R          deliveries per second, on a fixed schedule (default 5)
#   --idle-seconds S  after the deliveries, the window in which the idle
#                     watch's CPU time is measured (default 300)
#   --preload P       messages in the source before the watch starts
#                     (dovecot-harness gen: 10 folders), so that every pass
#                     walks a mailbox of some size (default 1000; 0: none)
#   --compare MODE    idle: mbsync (isync) from the source account straight
#                     to a second target account, run by imapfilter each time
#                     IDLE on the source's INBOX reports new mail (default);
#                     loop: mbsync every --loop-seconds; none: no comparison
#   --loop-seconds S  the pause between two mbsync runs with --compare loop
#                     (default 10)
#   --poll-ms MS      how often the reader asks the target's INBOX for new
#                     mail (default 50): the latency's resolution
#   --json FILE       also write the results as JSON
#   --keep            keep the work directory (records, logs, cache, Dovecot)
#   --seed S          seed for the preloaded mail (default 1)
#   --mailferry PATH  the binary (default: $MAILFERRY, else
#                     build-bench/mailferry, built in Release when missing)
#   --workdir DIR     parent of the temporary work directory (default /tmp)
#   --quiet-wait S    before each delivery phase, wait up to S seconds for
#                     other work to leave the CPUs (< 15% busy); default 0
#
# Takes about 2 x N / R seconds of deliveries (both contenders), plus the idle
# window, plus setup: about 13 minutes at the defaults.
# Needs: Dovecot 2.3 (dovecot-imapd, dovecot-lda), openssl, python3 (the
# test's own IMAP reader and delivery driver: watch_bench.py), isync
# (mbsync) and imapfilter for the comparison; the last two are installed
# with apt-get when missing.  Run as root or as a user with sudo for that.
set -euo pipefail
export LC_ALL=C

PROG=watch_bench
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source-path=SCRIPTDIR source=bench_lib.sh
. "$SCRIPT_DIR/bench_lib.sh"
HELPER="$SCRIPT_DIR/watch_bench.py"
LDA=/usr/lib/dovecot/dovecot-lda
# One Dovecot, four accounts: a source and a target for each contender, so
# that the second contender starts from the same state as the first.
SRC_USER=wsrc TGT_USER=wtgt CMP_SRC_USER=msrc CMP_TGT_USER=mtgt
SRC_PW=watch-src-pw-15 TGT_PW=watch-tgt-pw-15
# After the last delivery, how long a message may take to reach the target
# before it is counted missing (the watch's poll interval is 10 minutes, so
# a message IDLE did not announce would come far later than this).
SETTLE_SECONDS=60

# ---------------------------------------------------------------- options ---
common_defaults
MESSAGES=1000
RATE=5
IDLE_SECONDS=300
PRELOAD=1000
COMPARE=idle
LOOP_SECONDS=10
POLL_MS=50
while (($#)); do
    case $1 in
        --rate) shift; RATE=${1:?--rate needs a value} ;;
        --idle-seconds) shift; IDLE_SECONDS=${1:?--idle-seconds needs a value} ;;
        --preload) shift; PRELOAD=${1:?--preload needs a value} ;;
        --compare) shift; COMPARE=${1:?--compare needs idle, loop or none} ;;
        --loop-seconds) shift; LOOP_SECONDS=${1:?--loop-seconds needs a value} ;;
        --poll-ms) shift; POLL_MS=${1:?--poll-ms needs a value} ;;
        --runs|--connections) die "$1 does not apply to this benchmark (one run, the watch's defaults)" ;;
        *) common_option "$@"; shift $((OPT_ARGS - 1)) ;;
    esac
    shift
done
check_common_options
awk -v r="$RATE" 'BEGIN { exit !(r ~ /^[0-9]+([.][0-9]+)?$/ && r > 0) }' || die "--rate must be a positive number"
[[ $IDLE_SECONDS =~ ^[0-9]+$ ]] || die "--idle-seconds must be a number of seconds"
[[ $PRELOAD =~ ^[0-9]+$ ]] || die "--preload must be a number"
[[ $LOOP_SECONDS =~ ^[1-9][0-9]*$ ]] || die "--loop-seconds must be a positive number"
[[ $POLL_MS =~ ^[1-9][0-9]*$ ]] || die "--poll-ms must be a positive number"
case $COMPARE in idle|loop|none) ;; *) die "--compare must be idle, loop or none" ;; esac
if [[ -n $JSON_FILE ]]; then
    touch "$JSON_FILE" 2>/dev/null || die "cannot write $JSON_FILE"
    JSON_FILE=$(abs_path "$JSON_FILE")
fi

# ----------------------------------------------------------- dependencies ---
install_dependencies "$([[ $COMPARE == none ]] && echo 0 || echo 1)"
[[ $COMPARE != idle ]] || command -v imapfilter >/dev/null || apt_install imapfilter
command -v python3 >/dev/null || apt_install python3
[[ -x $LDA ]] || die "$LDA not found (Dovecot's delivery agent, package dovecot-core)"

[[ -n $MAILFERRY ]] || MAILFERRY="$REPO/build-bench/mailferry"
if [[ ! -x $MAILFERRY ]]; then
    [[ $MAILFERRY == "$REPO/build-bench/mailferry" ]] || die "mailferry binary $MAILFERRY not found"
    note "building mailferry in $REPO/build-bench (Release)"
    build_bench OFF mailferry
fi
[[ -x $MAILFERRY ]] || die "mailferry binary $MAILFERRY not found"
MAILFERRY=$(abs_path "$MAILFERRY")
# mbsync and imapfilter check the certificate's DNS name: they go to "localhost".
[[ $COMPARE == none ]] || check_localhost

# --------------------------------------------------------------- work dir ---
# Both sources and both targets hold the preloaded mail and the deliveries;
# the cache holds them once more.
make_workdir $(((PRELOAD + MESSAGES) * 5)) mf-wbench
SRV="$W/srv"
((${#SRV} <= 70)) || die "work directory path too long for the harness (unix sockets): use a shorter --workdir"
SRV_PID="" WATCH_PID="" POLLER_PID="" DELIVER_PID="" TRIGGER_PID=""
TICKS=$(getconf CLK_TCK)

# stop_pid_of VAR WORD: SIGTERM to the process whose id VAR holds (if it is
# still a WORD), up to 10 s for it to go, then SIGKILL; clears VAR.
stop_pid_of() {
    local -n pid_ref=$1
    local pid=$pid_ref i
    pid_ref=""
    [[ -n $pid ]] || return 0
    if is_pid_of "$pid" "$2"; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            is_pid_of "$pid" "$2" || break
            sleep 0.1
        done
        is_pid_of "$pid" "$2" && kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null || true
}

# stop_trigger: the comparison's trigger runs in a process group of its own
# (setsid), so that an mbsync it started goes with it.
stop_trigger() {
    [[ -n $TRIGGER_PID ]] || return 0
    if [[ -d /proc/$TRIGGER_PID ]]; then
        kill -TERM -- "-$TRIGGER_PID" 2>/dev/null || true
        sleep 0.5
        kill -KILL -- "-$TRIGGER_PID" 2>/dev/null || true
    fi
    wait "$TRIGGER_PID" 2>/dev/null || true
    TRIGGER_PID=""
}

# shellcheck disable=SC2317  # called by cleanup (bench_lib.sh), on EXIT
stop_servers() {
    stop_pid_of DELIVER_PID watch_bench.py
    stop_pid_of POLLER_PID watch_bench.py
    stop_pid_of WATCH_PID mailferry
    stop_trigger
    stop_dovecot "$SRV" "$SRV_PID"
}
install_cleanup

# ---------------------------------------------------------------- helpers ---
json_num() { if [[ $1 =~ ^-?[0-9.]+$ ]]; then echo "$1"; else echo null; fi; }
env_get() { sed -n "s/^$2=//p" "$1/env"; }  # env_get DIR NAME: a value from the harness's DIR/env

# proc_ticks PID [children]: CPU time (clock ticks) of PID so far, user +
# system (all its threads); with "children", plus that of the children it
# has waited for (and theirs): what an mbsync run by the trigger costs.
proc_ticks() {
    local s
    s=$(<"/proc/$1/stat") || { echo 0; return; }
    s=${s##*) }   # the command name may hold spaces: fields after it only
    awk -v c="${2:-}" '{ t = $12 + $13; if (c == "children") t += $14 + $15; print t }' <<<"$s"
}
ticks_s() { awk -v t="$1" -v h="$TICKS" 'BEGIN { printf "%.2f", t / h }'; }

# proc_kb PID FIELD: FIELD (VmRSS, VmHWM) of /proc/PID/status in KB.
proc_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || true; }

# busy_share A B: the share of all CPUs busy between two "cpu" lines of
# /proc/stat (A and B, from cpu_line), in percent.
cpu_line() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
busy_share() {
    awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ");
        busy = y[1] - x[1]; idle = y[2] - x[2];
        printf "%d%%", (busy + idle > 0) ? 100 * busy / (busy + idle) + 0.5 : 0 }'
}

# count_lines PATTERN FILE: lines of FILE holding the fixed string PATTERN.
count_lines() { local n; n=$(grep -cF -- "$1" "$2" 2>/dev/null) || true; echo "${n:-0}"; }

# wait_until SECONDS WHAT COMMAND...: polls COMMAND every 0.2 s until it
# succeeds; dies after SECONDS, naming WHAT.
wait_until() {
    local limit=$1 what=$2 start=$SECONDS
    shift 2
    until "$@"; do
        ((SECONDS - start < limit)) || die "no $what within ${limit}s"
        sleep 0.2
    done
}

# ------------------------------------------------------------------ setup ---
start_server() {
    "$HARNESS" start "$SRV" --user "$SRC_USER:$SRC_PW" --user "$TGT_USER:$TGT_PW" \
        --user "$CMP_SRC_USER:$SRC_PW" --user "$CMP_TGT_USER:$TGT_PW" --owner-pid $$ \
        >"$W/harness.log" 2>&1 || { cat "$W/harness.log" >&2; die "dovecot-harness start failed"; }
    PORT=$(env_get "$SRV" IMAPS_PORT) CA=$(env_get "$SRV" CA_FILE)
    CONF=$(env_get "$SRV" CONF) SRV_PID=$(env_get "$SRV" PID)
    printf '%s' "$SRC_PW" >"$W/password.src"
    printf '%s' "$TGT_PW" >"$W/password.tgt"
    chmod 0600 "$W/password.src" "$W/password.tgt"
}

preload() {
    ((PRELOAD > 0)) || return 0
    local u
    for u in "$SRC_USER" "$CMP_SRC_USER"; do
        generate_messages "$SRV" "$u" "$PRELOAD" "$SEED"
        mailbox_totals "$CONF" "$u"
        ((SRV_MESSAGES == PRELOAD)) || die "$u holds $SRV_MESSAGES messages, expected $PRELOAD"
    done
}

# inbox_count USER: the messages in USER's INBOX.
inbox_count() {
    doveadm -c "$CONF" -f tab mailbox status -u "$1" messages INBOX 2>/dev/null | awk -F'\t' 'NR > 1 { print $NF + 0 }'
}

# ------------------------------------------------------------ measurement ---
# measure_deliveries TAG SRC_USER TGT_USER PID PID_CHILDREN: starts the
# reader on TGT_USER's INBOX, delivers --messages messages to SRC_USER at
# --rate, waits until every one is on the target (or SETTLE_SECONDS after the
# last delivery), stops the reader.  PID is the contender's process: its CPU
# during the deliveries is in D_CPU (with PID_CHILDREN "children", its
# reaped children's too); the deliverer samples its RSS only for the watch.
# Writes $W/TAG.deliveries.tsv and $W/TAG.seen.tsv.
measure_deliveries() {
    local tag=$1 src=$2 tgt=$3 pid=$4 children=$5 rss_pid=0 c0 c1 last_end seen rc=0
    [[ $tag == mf ]] && rss_pid=$pid
    rm -f "$W/$tag.ready"
    python3 "$HELPER" poll --port "$PORT" --user "$tgt" --password-file "$W/password.tgt" --ca "$CA" \
        --interval "$POLL_MS" --out "$W/$tag.seen.tsv" --ready "$W/$tag.ready" 2>"$W/$tag.poll.err" &
    # shellcheck disable=SC2034  # read by stop_pid_of (by name)
    POLLER_PID=$!
    wait_until 30 "reader on $tgt's INBOX" test -s "$W/$tag.ready"
    wait_quiet
    note "$tag: delivering $MESSAGES messages to $src at $RATE/s with dovecot-lda"
    c0=$(proc_ticks "$pid" "$children")
    python3 "$HELPER" deliver --count "$MESSAGES" --rate "$RATE" --tag "$tag.$$" --pid "$rss_pid" \
        --out "$W/$tag.deliveries.tsv" -- "$LDA" -c "$CONF" -d "$src" -f sender@127.0.0.1 \
        2>"$W/$tag.deliver.err" &
    DELIVER_PID=$!
    wait "$DELIVER_PID" || rc=$?
    DELIVER_PID=""
    ((rc == 0)) || { tail -n 5 "$W/$tag.deliver.err" >&2; note "$tag: some deliveries failed (see above)"; }
    last_end=$SECONDS
    while :; do
        seen=$(count_lines "wb.$tag.$$." "$W/$tag.seen.tsv")
        ((seen >= MESSAGES)) && break
        if ((SECONDS - last_end >= SETTLE_SECONDS)); then
            note "$tag: only $seen of $MESSAGES messages reached the target ${SETTLE_SECONDS}s after the last delivery"
            break
        fi
        [[ -d /proc/$pid ]] || { note "$tag: the contender (pid $pid) is gone"; break; }
        sleep 0.2
    done
    c1=$(proc_ticks "$pid" "$children")
    D_CPU=$(ticks_s $((c1 - c0)))
    stop_pid_of POLLER_PID watch_bench.py
}

# report_of TAG [--watch-json FILE --from-line N]: the helper's figures for
# TAG as shell variables named R_<TAG>_<key> (R_mf_latency_p95...).
report_of() {
    local tag=$1 k v
    shift
    while IFS='=' read -r k v; do
        printf -v "R_${tag}_$k" '%s' "$v"
    done < <(python3 "$HELPER" report --deliveries "$W/$tag.deliveries.tsv" --seen "$W/$tag.seen.tsv" "$@")
}

# ----------------------------------------------------------- mailferry ---
watch_passes() { count_lines '"event":"pass"' "$W/watch.json"; }  # pass lines so far
# shellcheck disable=SC2317  # called by wait_until
first_pass_done() {
    is_pid_of "$WATCH_PID" mailferry || { cat "$W/watch.err" >&2; die "the watch ended before its first pass"; }
    (($(watch_passes) >= 1))
}

WATCH_ARGS=()
start_watch() {
    WATCH_ARGS=(watch "$W/cache" --from "imaps://$SRC_USER@127.0.0.1:$PORT" --password-file "$W/password.src"
        --ca-file "$CA" --to "imaps://$TGT_USER@127.0.0.1:$PORT" --target-password-file "$W/password.tgt"
        --target-ca-file "$CA" --profile generic --poll-interval 10m --json --no-progress)
    note "mailferry: starting the watch (its first pass carries the $PRELOAD preloaded messages)"
    "$MAILFERRY" "${WATCH_ARGS[@]}" >"$W/watch.json" 2>"$W/watch.err" &
    WATCH_PID=$!
    wait_until 600 "first pass of the watch" first_pass_done
    # A pass that failed has an "error" member of its own (its parts have "error": null).
    if ! grep -F '"event":"pass"' "$W/watch.json" | head -n 1 \
        | python3 -c 'import json, sys; sys.exit("error" in json.loads(sys.stdin.readline()))'; then
        tail -n 5 "$W/watch.err" >&2
        die "the watch's first pass failed"
    fi
}

# settle_watch: waits until the watch has made no pass for 5 s (a pass woken
# by the last deliveries may still be running once all mail is on the target).
settle_watch() {
    local n last=-1 stable=0
    for ((i = 0; i < 600 && stable < 25; i++)); do
        n=$(watch_passes)
        if ((n == last)); then stable=$((stable + 1)); else stable=0 last=$n; fi
        sleep 0.2
    done
}

# measure_idle: the watch's CPU time over --idle-seconds with no new mail;
# sets IDLE_CPU, IDLE_PASSES, IDLE_OTHER (other work's share of the CPUs
# meanwhile: nothing of ours runs then).
measure_idle() {
    local c0 c1 p0 p1 s0 s1 end
    note "mailferry: idle window of ${IDLE_SECONDS}s"
    settle_watch
    p0=$(watch_passes) c0=$(proc_ticks "$WATCH_PID") s0=$(cpu_line)
    end=$((SECONDS + IDLE_SECONDS))
    while ((SECONDS < end)); do
        is_pid_of "$WATCH_PID" mailferry || die "the watch ended during the idle window"
        sleep 1
    done
    c1=$(proc_ticks "$WATCH_PID") p1=$(watch_passes) s1=$(cpu_line)
    IDLE_CPU=$(ticks_s $((c1 - c0)))
    IDLE_PASSES=$((p1 - p0))
    IDLE_OTHER=$(busy_share "$s0" "$s1")
}

# stop_watch: SIGTERM; the watch must exit 0 and print its summary.
stop_watch() {
    local pid=$WATCH_PID i rc=0
    kill -TERM "$pid"
    for ((i = 0; i < 600; i++)); do
        is_pid_of "$pid" mailferry || break
        sleep 0.1
    done
    wait "$pid" || rc=$?
    WATCH_PID=""
    WATCH_RC=$rc
    WATCH_SUMMARY=$(grep -F '"event":"summary"' "$W/watch.json" | tail -n 1 || true)
    ((rc == 0)) || note "mailferry: the watch exited with status $rc after SIGTERM (expected 0)"
    [[ -n $WATCH_SUMMARY ]] || note "mailferry: the watch printed no summary"
}

run_mailferry() {
    local first_line last_line
    start_watch
    MF_FIRST_PASS_S=$(grep -F '"event":"pass"' "$W/watch.json" | head -n 1 \
        | python3 -c 'import json, sys; print("%.2f" % json.loads(sys.stdin.readline())["seconds"])')
    first_line=$(($(wc -l <"$W/watch.json") + 1))
    measure_deliveries mf "$SRC_USER" "$TGT_USER" "$WATCH_PID" ""
    MF_DELIVERY_CPU=$D_CPU
    last_line=$(wc -l <"$W/watch.json")
    measure_idle
    MF_RSS_END=$(proc_kb "$WATCH_PID" VmRSS) MF_HWM_END=$(proc_kb "$WATCH_PID" VmHWM)
    MF_ALL_PASSES=$(watch_passes)
    stop_watch
    report_of mf --watch-json "$W/watch.json" --from-line "$first_line" --to-line "$last_line"
    MF_TARGET_INBOX=$(inbox_count "$TGT_USER")
}

# ---------------------------------------------------------- comparison ---
# mbsync copies the source account straight to the target account (IMAP to
# IMAP: no Maildir in between, its lightest way), all folders, new mail and
# flags from source to target.
write_mbsyncrc() {
    local a
    {
        for a in src:$CMP_SRC_USER:password.src tgt:$CMP_TGT_USER:password.tgt; do
            IFS=: read -r name user pw <<<"$a"
            printf 'IMAPAccount %s\nHost localhost\nPort %s\nUser %s\nPassCmd "cat %s"\nSSLType IMAPS\nCertificateFile %s\n\n' \
                "$name" "$PORT" "$user" "$W/$pw" "$CA"
            printf 'IMAPStore %s\nAccount %s\n\n' "$name" "$name"
        done
        printf 'Channel copy\nFar :src:\nNear :tgt:\nPatterns *\nCreate Near\nSync Pull\nSyncState %s/\n' \
            "$W/mbsync-state"
    } >"$W/mbsyncrc"
    mkdir -p "$W/mbsync-state"
}

# The trigger of --compare idle: imapfilter (Debian has no imapnotify or
# goimapnotify) holds IDLE on the source's INBOX and runs mbsync each time
# it returns, as goimapnotify would.  Mail that comes while mbsync runs is
# reported by Dovecot as the next IDLE starts, in the same read as its
# "+ idling"; imapfilter 2.8.1 misses it there and waits for the next event
# (in a first run, the last 2 of 1000 messages never arrived).  So a second
# connection, with nothing selected, asks STATUS for UIDNEXT before and
# after each mbsync run, and the loop syncs again at once when it moved.
# Each finished mbsync run bumps the count in trigger.syncs.
write_imapfilter_config() {
    mkdir -p "$W/imapfilter-home"
    cat >"$W/imapfilter.lua" <<EOF
options.info = false
options.timeout = 120
local account = {
    server = 'localhost',
    port = $PORT,
    username = '$CMP_SRC_USER',
    password = '$SRC_PW',
    ssl = 'auto',
}
local source = IMAP(account)  -- IDLE on INBOX
local probe = IMAP(account)   -- STATUS only
local runs = 0
while true do
    local _, _, _, before = probe.INBOX:check_status()
    os.execute('mbsync -c $W/mbsyncrc -a >>$W/mbsync.log 2>&1')
    runs = runs + 1
    local f = io.open('$W/trigger.syncs', 'w')
    f:write(runs, '\n')
    f:close()
    local _, _, _, after = probe.INBOX:check_status()
    if after == before then source.INBOX:enter_idle() end
end
EOF
    chmod 0600 "$W/imapfilter.lua"
}

# shellcheck disable=SC2317  # called by wait_until
trigger_synced() {  # the trigger has finished an mbsync run
    [[ -d /proc/$TRIGGER_PID ]] || { tail -n 20 "$W/imapfilter.log" "$W/mbsync.log" >&2 2>/dev/null; die "the comparison's trigger ended"; }
    [[ -s $W/trigger.syncs ]]
}

start_trigger() {
    rm -f "$W/trigger.syncs"
    case $COMPARE in
        idle)
            write_imapfilter_config
            HOME="$W/imapfilter-home" setsid imapfilter -c "$W/imapfilter.lua" -t "$CA" \
                >"$W/imapfilter.log" 2>&1 </dev/null &
            ;;
        loop)
            # shellcheck disable=SC2016  # expanded by the inner bash
            setsid bash -c 'n=0; while :; do mbsync -c "$1/mbsyncrc" -a >>"$1/mbsync.log" 2>&1; n=$((n + 1)); echo "$n" >"$1/trigger.syncs"; sleep "$2"; done' \
                trigger "$W" "$LOOP_SECONDS" </dev/null &
            ;;
    esac
    TRIGGER_PID=$!
    # Its first mbsync run copies the preloaded mail (untimed).
    wait_until 600 "first mbsync run" trigger_synced
    sleep 1   # imapfilter: into IDLE
}

run_comparison() {
    local s0 s1
    write_mbsyncrc
    note "comparison: mbsync $( [[ $COMPARE == idle ]] && echo 'run by imapfilter on IDLE' || echo "every ${LOOP_SECONDS}s"), first run copies the preload"
    start_trigger
    s0=$(<"$W/trigger.syncs")
    measure_deliveries mb "$CMP_SRC_USER" "$CMP_TGT_USER" "$TRIGGER_PID" children
    s1=$(<"$W/trigger.syncs")
    MB_DELIVERY_CPU=$D_CPU MB_SYNCS=$((s1 - s0))
    stop_trigger
    report_of mb
    MB_TARGET_INBOX=$(inbox_count "$CMP_TGT_USER")
}

# ------------------------------------------------------------------ report ---
machine_line() {
    machine_facts
    bench_tree
    echo "versions:  $("$MAILFERRY" --version 2>/dev/null | head -n1) (tree $MACHINE_TREE, binary built $(date -r "$MAILFERRY" '+%F %T')), Dovecot $(dovecot --version | cut -d' ' -f1), $(mbsync --version 2>/dev/null || echo 'no mbsync'), $(imapfilter -V 2>&1 | awk 'NR == 1 { print $1, $2 }' || true), python $(python3 -c 'import platform; print(platform.python_version())')"
}

# logins USER: how many times USER logged in to the Dovecot (its log).
logins() { count_lines "Login: user=<$1>" "$SRV/dovecot.log"; }

# v TAG KEY: the helper's figure KEY for TAG ("n/a" when there is none).
v() { local n="R_$1_$2"; echo "${!n:-n/a}"; }

print_report() {
    local lat_fmt='%-34s %7s %7s %7s %7s %10s %8s %8s\n' cmp_label=""
    echo
    echo "mailferry watch benchmark: $MESSAGES deliveries at $RATE/s by dovecot-lda, $PRELOAD messages preloaded; one Dovecot, TLS on 127.0.0.1"
    machine_line
    other_cpu_line ""
    echo "idle:      other work kept $IDLE_OTHER of the CPUs busy during the idle window"
    echo
    # shellcheck disable=SC2059
    printf "$lat_fmt" "delivery -> on the target" "p50 s" "p95 s" "p99 s" "max s" "seen" "passes" "CPU s"
    # shellcheck disable=SC2059
    printf "$lat_fmt" "mailferry watch (IDLE)" "$(v mf latency_p50)" "$(v mf latency_p95)" "$(v mf latency_p99)" \
        "$(v mf latency_max)" "$(v mf seen)/$MESSAGES" "$(v mf passes)" "$MF_DELIVERY_CPU"
    if [[ $COMPARE != none ]]; then
        cmp_label="mbsync $( [[ $COMPARE == idle ]] && echo 'on imapfilter IDLE' || echo "every ${LOOP_SECONDS}s")"
        # shellcheck disable=SC2059
        printf "$lat_fmt" "$cmp_label" "$(v mb latency_p50)" "$(v mb latency_p95)" "$(v mb latency_p99)" \
            "$(v mb latency_max)" "$(v mb seen)/$MESSAGES" "$MB_SYNCS" "$MB_DELIVERY_CPU"
        R_P50=$(ratio "$(v mf latency_p50)" "$(v mb latency_p50)") R_P95=$(ratio "$(v mf latency_p95)" "$(v mb latency_p95)")
        R_MAX=$(ratio "$(v mf latency_max)" "$(v mb latency_max)")
        echo
        echo "mailferry / $cmp_label: p50 $R_P50, p95 $R_P95, max $R_MAX (below 1: mailferry is quicker)"
        [[ $(v mb missing) == 0 ]] || echo "$cmp_label: $(v mb missing) message(s) did not reach the target within ${SETTLE_SECONDS}s, left out of its figures"
    fi
    echo
    echo "deliveries: mailferry phase $(v mf rate_achieved)/s achieved, dovecot-lda p50 $(v mf lda_p50) s, max $(v mf lda_max) s, latest start $(v mf start_lag_max) s behind schedule$( [[ $COMPARE == none ]] || echo "; comparison phase $(v mb rate_achieved)/s")"
    echo "watch passes during the deliveries: $(v mf passes) ($(v mf passes_change) woken by IDLE, $(v mf passes_poll) by the poll interval, $(v mf passes_failed) failed), p50 $(v mf pass_p50_s) s (fetch $(v mf pass_fetch_p50_s) s, replay $(v mf pass_replay_p50_s) s), max $(v mf pass_max_s) s; first pass (preload) ${MF_FIRST_PASS_S:-n/a} s"
    echo "logins:     the watch $(logins "$SRC_USER") to the source, $(logins "$TGT_USER") to the target over $MF_ALL_PASSES passes (IDLE connection and start-up checks included)$( [[ $COMPARE == none ]] || echo "; mbsync $(logins "$CMP_SRC_USER") and $(logins "$CMP_TGT_USER") over $((MB_SYNCS + 1)) runs")"
    echo "idle watch: $IDLE_CPU s CPU in ${IDLE_SECONDS} s, $IDLE_PASSES passes (goal: under 0.5 s in 300 s)"
    echo "watch RSS:  first hundred deliveries max $(mb "$(v mf rss_first100_max_kb)") MB (peak $(mb "$(v mf hwm_first100_kb)")), last hundred max $(mb "$(v mf rss_last100_max_kb)") MB (peak $(mb "$(v mf hwm_last100_kb)")), after the idle window $(mb "$MF_RSS_END") MB (peak $(mb "$MF_HWM_END"))"
    echo "watch end:  exit status $WATCH_RC after SIGTERM, $( [[ -n $WATCH_SUMMARY ]] && echo 'summary printed' || echo 'NO summary'); target INBOX holds $MF_TARGET_INBOX messages$( [[ $COMPARE == none ]] || echo ", mbsync's $MB_TARGET_INBOX")"
}

write_json() {
    [[ -n $JSON_FILE ]] || return 0
    jfig() {  # jfig TAG: the latency figures of TAG as JSON members
        local k out=""
        for k in delivered failed_deliveries seen missing latency_p50 latency_p95 latency_p99 latency_max \
            latency_mean latency_min rate_achieved lda_p50 lda_max start_lag_max; do
            out+="\"$k\": $(json_num "$(v "$1" "$k")"), "
        done
        echo "${out%, }"
    }
    {
        echo "{"
        echo "  \"benchmark\": \"watch\","
        echo "  \"machine\": $(json_machine), \"tree\": $(json_str "$MACHINE_TREE"),"
        echo "  \"messages\": $MESSAGES, \"rate\": $RATE, \"preload\": $PRELOAD, \"idle_seconds\": $IDLE_SECONDS, \"poll_ms\": $POLL_MS,"
        echo "  \"other_cpu_before\": $(json_str "$LOAD_START"), \"other_cpu_after\": $(json_str "$LOAD_END"), \"other_cpu_idle_window\": $(json_str "$IDLE_OTHER"),"
        echo "  \"mailferry\": {$(jfig mf), \"passes\": $(json_num "$(v mf passes)"), \"passes_change\": $(json_num "$(v mf passes_change)"), \"passes_poll\": $(json_num "$(v mf passes_poll)"), \"passes_failed\": $(json_num "$(v mf passes_failed)"), \"pass_p50_s\": $(json_num "$(v mf pass_p50_s)"), \"pass_max_s\": $(json_num "$(v mf pass_max_s)"), \"pass_fetch_p50_s\": $(json_num "$(v mf pass_fetch_p50_s)"), \"pass_replay_p50_s\": $(json_num "$(v mf pass_replay_p50_s)"), \"passes_total\": $MF_ALL_PASSES, \"logins_source\": $(logins "$SRC_USER"), \"logins_target\": $(logins "$TGT_USER"),"
        echo "    \"cpu_during_deliveries_s\": $(json_num "$MF_DELIVERY_CPU"), \"idle_cpu_s\": $(json_num "$IDLE_CPU"), \"idle_passes\": $IDLE_PASSES,"
        echo "    \"rss_first100_max_kb\": $(json_num "$(v mf rss_first100_max_kb)"), \"hwm_first100_kb\": $(json_num "$(v mf hwm_first100_kb)"), \"rss_last100_max_kb\": $(json_num "$(v mf rss_last100_max_kb)"), \"hwm_last100_kb\": $(json_num "$(v mf hwm_last100_kb)"), \"rss_end_kb\": $(json_num "$MF_RSS_END"), \"hwm_end_kb\": $(json_num "$MF_HWM_END"),"
        echo "    \"exit_status_after_sigterm\": $WATCH_RC, \"summary\": ${WATCH_SUMMARY:-null}},"
        if [[ $COMPARE != none ]]; then
            echo "  \"comparison\": {\"mode\": $(json_str "$COMPARE"), \"loop_seconds\": $LOOP_SECONDS, $(jfig mb), \"mbsync_runs\": $MB_SYNCS, \"logins_source\": $(logins "$CMP_SRC_USER"), \"logins_target\": $(logins "$CMP_TGT_USER"), \"cpu_during_deliveries_s\": $(json_num "$MB_DELIVERY_CPU")},"
            echo "  \"ratio_latency_p50\": $(json_num "$R_P50"), \"ratio_latency_p95\": $(json_num "$R_P95"), \"ratio_latency_max\": $(json_num "$R_MAX")"
        else
            echo "  \"comparison\": null"
        fi
        echo "}"
    } >"$JSON_FILE"
    note "wrote $JSON_FILE"
}

# ------------------------------------------------------------------- main ---
start_server
preload
LOAD_START=$(check_quiet)
run_mailferry
[[ $COMPARE == none ]] || run_comparison
LOAD_END=$(check_quiet)
print_report
write_json
# A message that never reached its target, or a watch that did not end
# cleanly, makes the figures meaningless: say so with the exit status.
# (The comparison's misses are reported above, not in the status.)
FAILED=0
[[ $(v mf missing) == 0 && $(v mf failed_deliveries) == 0 ]] || FAILED=1
[[ $WATCH_RC == 0 && -n $WATCH_SUMMARY ]] || FAILED=1
((FAILED == 0)) || note "mailferry: some messages did not arrive, or the watch did not end cleanly: see above"
exit "$FAILED"
