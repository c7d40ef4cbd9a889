#!/usr/bin/env bash
# replay_bench.sh: how fast `mailferry replay` uploads a cache into an IMAP
# server, next to mbsync pushing the same mail from a Maildir, both straight
# to a private Dovecot (TLS, 127.0.0.1) and through fault_proxy adding latency.
# A benchmark, not a test: never run by ctest.  See tests/bench/README.md.
#
#   replay_bench.sh [--messages N] [--runs R] [--json FILE] [--keep]
#                   [--only direct|latency] [--latency-ms MS] ...
#
#   --messages N      messages to generate (default 10000)
#   --runs R          timed runs of each contender (default 3), alternated
#                     mailferry, mbsync, mailferry+latency, mbsync+latency, ...
#   --json FILE       also write the results as JSON
#   --keep            keep the work directory (cache, Maildir, logs, targets)
#   --only ROWS       direct: only the two rows without the proxy; latency:
#                     only the two through it (default: all four)
#   --latency-ms MS   fault_proxy --latency-ms, each way (default 15)
#   --seed S          seed for the generator (default 1)
#   --mailferry PATH  the binary (default: $MAILFERRY, else build-bench/mailferry)
#   --fault-proxy PATH  the proxy (default: $FAULT_PROXY, else
#                     build-bench/tests/harness/fault_proxy); both are built in
#                     Release (tests ON) when missing
#   --connections N   passed to mailferry replay (default: the generic
#                     profile's, 2)
#   --server-fsync    keep the target Dovecot's default mail_fsync (optimized:
#                     an fsync per APPEND); default: mail_fsync = never, so
#                     that the disk's fsync latency is not what is measured
#   --compress        let the target offer COMPRESS=DEFLATE (mbsync then uses
#                     it, mailferry does not by default); default: not offered,
#                     as Office 365 does not
#   --workdir DIR     parent of the temporary work directory (default /tmp)
#   --quiet-wait S    before each timed run, wait up to S seconds for other
#                     work to leave the CPUs (< 15% busy); default 0: no wait
#
# Needs: Dovecot 2.3 (dovecot-imapd), openssl, isync (mbsync), GNU time; the
# last two are installed with apt-get when missing.  Run as root or as a user
# with sudo for that.
set -euo pipefail
export LC_ALL=C

PROG=replay_bench
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source-path=SCRIPTDIR source=bench_lib.sh
. "$SCRIPT_DIR/bench_lib.sh"
SRC_USER=bench
SRC_PW=bench-pw-4711
TGT_PW=target-pw-0815

# ---------------------------------------------------------------- options ---
common_defaults
ONLY=""
LATENCY_MS=15
FAULT_PROXY="${FAULT_PROXY:-}"
COMPRESS=0
SERVER_FSYNC=0
while (($#)); do
    case $1 in
        --only) shift; ONLY=${1:?--only needs direct or latency} ;;
        --latency-ms) shift; LATENCY_MS=${1:?--latency-ms needs a value} ;;
        --fault-proxy) shift; FAULT_PROXY=${1:?--fault-proxy needs a path} ;;
        --compress) COMPRESS=1 ;;
        --server-fsync) SERVER_FSYNC=1 ;;
        *) common_option "$@"; shift $((OPT_ARGS - 1)) ;;
    esac
    shift
done
check_common_options
[[ $LATENCY_MS =~ ^[0-9]+$ ]] || die "--latency-ms must be a number of milliseconds"
case $ONLY in
    "") ROWS=(mf mbsync mf_lat mbsync_lat) ;;
    direct) ROWS=(mf mbsync) ;;
    latency) ROWS=(mf_lat mbsync_lat) ;;
    *) die "--only must be direct or latency" ;;
esac
mailferry_connections conn
if [[ -n $JSON_FILE ]]; then
    touch "$JSON_FILE" 2>/dev/null || die "cannot write $JSON_FILE"
    JSON_FILE=$(abs_path "$JSON_FILE")
fi
has_row() { [[ " ${ROWS[*]} " == *" $1 "* ]]; }

# ----------------------------------------------------------- dependencies ---
install_dependencies 1

need_proxy=0
if has_row mf_lat; then need_proxy=1; fi
[[ -n $MAILFERRY ]] || MAILFERRY="$REPO/build-bench/mailferry"
[[ -n $FAULT_PROXY ]] || FAULT_PROXY="$REPO/build-bench/tests/harness/fault_proxy"
build_targets=()
[[ -x $MAILFERRY ]] || build_targets+=(mailferry)
((!need_proxy)) || [[ -x $FAULT_PROXY ]] || build_targets+=(fault_proxy)
if ((${#build_targets[@]})); then
    # Only ever builds into build-bench, and only what is missing.
    [[ $MAILFERRY == "$REPO/build-bench/mailferry" || ! " ${build_targets[*]} " == *" mailferry "* ]] \
        || die "mailferry binary $MAILFERRY not found"
    [[ $FAULT_PROXY == "$REPO/build-bench/tests/harness/fault_proxy" || ! " ${build_targets[*]} " == *" fault_proxy "* ]] \
        || die "fault_proxy binary $FAULT_PROXY not found"
    note "building ${build_targets[*]} in $REPO/build-bench (Release)"
    build_bench ON "${build_targets[@]}"
fi
[[ -x $MAILFERRY ]] || die "mailferry binary $MAILFERRY not found"
MAILFERRY=$(abs_path "$MAILFERRY")
if ((need_proxy)); then
    [[ -x $FAULT_PROXY ]] || die "fault_proxy binary $FAULT_PROXY not found"
    FAULT_PROXY=$(abs_path "$FAULT_PROXY")
fi

check_localhost

# --------------------------------------------------------------- work dir ---
# Room for the source account, the cache, the Maildir and every target account
# (about 20 KB a message each).
make_workdir $((MESSAGES * (3 + ${#ROWS[@]} * RUNS))) mf-rbench
SRC="$W/src"   # source Dovecot (maildir)
TGT="$W/tgt"   # target Dovecot (mdbox users t1, t2, ...)
((${#TGT} <= 70)) || die "work directory path too long for the harness (unix sockets): use a shorter --workdir"
SRC_PID="" TGT_PID="" PROXY_PID=""

stop_proxy() {
    [[ -n $PROXY_PID ]] || return 0
    if is_pid_of "$PROXY_PID" fault_proxy; then
        kill -TERM "$PROXY_PID" 2>/dev/null || true
    fi
    wait "$PROXY_PID" 2>/dev/null || true
    PROXY_PID=""
}

stop_servers() {  # called by cleanup
    stop_proxy
    stop_dovecot "$SRC" "$SRC_PID"
    stop_dovecot "$TGT" "$TGT_PID"
}
install_cleanup

# ---------------------------------------------------------------- helpers ---
json_num() { if [[ $1 =~ ^[0-9.]+$ ]]; then echo "$1"; else echo null; fi; }

# CPU seconds used so far by the target Dovecot: every live process of its
# process group plus what the master collected from its exited children
# (imap processes end with their connection).
TICKS=$(getconf CLK_TCK 2>/dev/null || echo 100)
server_ticks() {
    local f s t=0 pg=$1 a
    for f in /proc/[0-9]*/stat; do
        read -r s 2>/dev/null <"$f" || continue
        s=${s##*) }
        read -r -a a <<<"$s"
        [[ ${a[2]} == "$pg" ]] || continue
        t=$((t + a[11] + a[12] + a[13] + a[14]))
    done
    echo "$t"
}
# Waits (up to 10 s) until no imap process of the target is left, so that its
# CPU is in the master's account.
wait_imap_gone() {
    local i f s a comm
    for ((i = 0; i < 100; i++)); do
        local busy=0
        for f in /proc/[0-9]*/stat; do
            read -r s 2>/dev/null <"$f" || continue
            comm=${s#*(}; comm=${comm%%)*}
            s=${s##*) }
            read -r -a a <<<"$s"
            if [[ ${a[2]} == "$TGT_PID" && $comm == imap && ${a[0]} != Z ]]; then busy=1; break; fi
        done
        ((busy)) || return 0
        sleep 0.1
    done
    note "warning: an imap process of the target is still running 10 s after the client ended"
}

target_messages() {  # target_messages USER: messages in all of USER's folders
    doveadm -c "$TGT_CONF" -f tab mailbox status -u "$1" messages '*' 2>/dev/null \
        | awk -F'\t' 'NR > 1 { s += $2 } END { print s + 0 }'
}

# ------------------------------------------------------------------ setup ---
env_get() { sed -n "s/^$2=//p" "$1/env"; }  # env_get DIR NAME: a value from the harness's DIR/env
NEXT_USER=1
USERS_NEEDED=$((${#ROWS[@]} * RUNS))
start_servers() {
    local users=() i compress_arg=(--no-compress)
    ((COMPRESS)) && compress_arg=()
    "$HARNESS" start "$SRC" --user "$SRC_USER:$SRC_PW:maildir" "${compress_arg[@]}" --owner-pid $$ \
        >"$W/harness-src.log" 2>&1 || { cat "$W/harness-src.log" >&2; die "dovecot-harness start (source) failed"; }
    SRC_PORT=$(env_get "$SRC" IMAPS_PORT) SRC_CA=$(env_get "$SRC" CA_FILE)
    SRC_CONF=$(env_get "$SRC" CONF) SRC_PID=$(env_get "$SRC" PID)
    for ((i = 1; i <= USERS_NEEDED; i++)); do users+=(--user "t$i:$TGT_PW:mdbox"); done
    "$HARNESS" start "$TGT" "${users[@]}" "${compress_arg[@]}" --owner-pid $$ \
        >"$W/harness-tgt.log" 2>&1 || { cat "$W/harness-tgt.log" >&2; die "dovecot-harness start (target) failed"; }
    TGT_PORT=$(env_get "$TGT" IMAPS_PORT) TGT_CA=$(env_get "$TGT" CA_FILE)
    TGT_CONF=$(env_get "$TGT" CONF) TGT_PID=$(env_get "$TGT" PID)
    if ((!SERVER_FSYNC)); then
        # Dovecot fsyncs every APPEND's transaction by default: where an fsync
        # costs milliseconds, that alone is the time of both contenders.
        echo 'mail_fsync = never' >>"$TGT_CONF"
        kill -HUP "$TGT_PID"
        local i
        for ((i = 0; i < 100; i++)); do
            grep -q 'SIGHUP received' "$TGT/dovecot.log" 2>/dev/null && break
            sleep 0.05
        done
        sleep 0.5
        [[ $(doveconf -c "$TGT_CONF" -h mail_fsync) == never ]] || die "could not set mail_fsync = never on the target"
        grep -q 'SIGHUP received' "$TGT/dovecot.log" || die "the target Dovecot did not reload its configuration"
    fi
    printf '%s' "$SRC_PW" >"$W/password.src"
    printf '%s' "$TGT_PW" >"$W/password.tgt"
    chmod 0600 "$W/password.src" "$W/password.tgt"
}

load_messages() {
    generate_messages "$SRC" "$SRC_USER" "$MESSAGES" "$SEED"
    mailbox_totals "$SRC_CONF" "$SRC_USER"
    ((SRV_MESSAGES == MESSAGES)) || die "the source holds $SRV_MESSAGES messages, expected $MESSAGES"
}

# Untimed: mailferry fetches the source account into the cache that every
# mailferry run replays (from a copy: see fresh_cache).
prepare_cache() {
    note "fetching the source into the cache (untimed)"
    local rc=0 got
    "$MAILFERRY" fetch "$W/cache" --from "imaps://$SRC_USER@127.0.0.1:$SRC_PORT" --password-file "$W/password.src" \
        --ca-file "$SRC_CA" --no-progress --json >"$W/fetch.json" 2>"$W/fetch.err" || rc=$?
    check_mailferry_fetch "$rc" "$W/fetch.json" "$W/fetch.err"
    got=$(count_messages "$W/cache/mail")
    ((got == MESSAGES)) || die "the cache holds $got messages, the source $MESSAGES"
}

# Untimed: mbsync pulls the source account into the Maildir that every mbsync
# run pushes (its files then carry mbsync's UIDs, so no run renames them).
prepare_maildir() {
    note "pulling the source into a Maildir with mbsync (untimed)"
    local md="$W/maildir" rc=0 got
    mkdir -p "$md" "$W/pull-state"
    {
        printf 'FSync no\n\n'
        mbsync_conf source "$SRC_PORT" "$SRC_USER" "$W/password.src" "$SRC_CA" "$md" pull Near Pull "$W/pull-state/"
    } >"$W/mbsyncrc.pull"
    mbsync -c "$W/mbsyncrc.pull" -a >"$W/mbsync-pull.log" 2>&1 || rc=$?
    ((rc == 0)) || { tail -n 20 "$W/mbsync-pull.log" >&2; die "mbsync pull exited with status $rc"; }
    got=$(count_messages "$md")
    ((got == MESSAGES)) || die "mbsync pulled $got messages, the source has $MESSAGES"
}

# Every mailferry run replays its own copy of the cache: a fresh index.sqlite
# (replay records per target what it sent, so runs must not share one) and the
# message files hard-linked (replay only reads them; the page cache is shared).
fresh_cache() {  # fresh_cache DIR
    mkdir -p "$1"
    cp -p "$W/cache/index.sqlite" "$1/"
    cp -al "$W/cache/mail" "$1/mail"
}

start_proxy() {  # start_proxy TAG: sets PROXY_PORT
    local pf="$W/out/proxy.$1.port" i
    rm -f "$pf"
    "$FAULT_PROXY" --upstream-port "$TGT_PORT" --cert "$TGT/ssl/cert.pem" --key "$TGT/ssl/key.pem" \
        --latency-ms "$LATENCY_MS" --port-file "$pf" --log "$W/out/proxy.$1.log" --max-seconds 86400 \
        >"$W/out/proxy.$1.out" 2>&1 &
    PROXY_PID=$!
    for ((i = 0; i < 100; i++)); do
        [[ -s $pf ]] && break
        kill -0 "$PROXY_PID" 2>/dev/null || { cat "$W/out/proxy.$1.out" >&2; die "fault_proxy did not start"; }
        sleep 0.05
    done
    [[ -s $pf ]] || die "fault_proxy wrote no port file within 5 s"
    read -r PROXY_PORT <"$pf"
}

# ------------------------------------------------------------ contenders ---
# Each sets T_* and RUN_VALID (1/0), RUN_NOTE, and S_CPU (target Dovecot CPU s).
run_one() {  # run_one ROW RUNNO
    local row=$1 r=$2 user="t$NEXT_USER" port=$TGT_PORT tag rc=0 got before after
    NEXT_USER=$((NEXT_USER + 1))
    tag="$row.$r"
    RUN_VALID=1 RUN_NOTE="" MF_THR="null" MF_REC="null" MF_SEC="null"
    case $row in
        *_lat) start_proxy "$tag"; port=$PROXY_PORT ;;
    esac
    case $row in
        mf*)
            fresh_cache "$W/out/cache.$tag"
            sync
            wait_quiet
            before=$(server_ticks "$TGT_PID")
            timed "$MAILFERRY" replay "$W/out/cache.$tag" --to "imaps://$user@127.0.0.1:$port" \
                --password-file "$W/password.tgt" --ca-file "$TGT_CA" --profile generic --no-progress --json \
                "${MF_CONN_ARGS[@]}" >"$W/out/mailferry.$tag.json" 2>"$W/out/mailferry.$tag.err" || rc=$?
            ;;
        mbsync*)
            mkdir -p "$W/out/mbsync-state.$tag"
            mbsync_conf target "$port" "$user" "$W/password.tgt" "$TGT_CA" "$W/maildir" push Far Push \
                "$W/out/mbsync-state.$tag/" >"$W/out/mbsyncrc.$tag"
            sync
            wait_quiet
            before=$(server_ticks "$TGT_PID")
            timed mbsync -c "$W/out/mbsyncrc.$tag" -a >"$W/out/mbsync.$tag.log" 2>&1 || rc=$?
            ;;
    esac
    wait_imap_gone
    after=$(server_ticks "$TGT_PID")
    S_CPU=$(awk -v a="$before" -v b="$after" -v t="$TICKS" 'BEGIN { printf "%.2f", (b - a) / t }')
    stop_proxy
    if ((rc)); then
        RUN_VALID=0 RUN_NOTE="exit status $rc"
    fi
    if [[ $row == mf* ]]; then
        local j="$W/out/mailferry.$tag.json"
        MF_THR=$(sed -n 's/^  "throttled": \([0-9]*\).*/\1/p' "$j" | head -n1)
        MF_REC=$(sed -n 's/^  "reconnects": \([0-9]*\).*/\1/p' "$j" | head -n1)
        MF_SEC=$(sed -n 's/^  "seconds": \([0-9.eE+-]*\).*/\1/p' "$j" | head -n1)
        MF_THR=${MF_THR:-null} MF_REC=${MF_REC:-null} MF_SEC=${MF_SEC:-null}
        if ((RUN_VALID)) && ! grep -q '^  "ok": true' "$j"; then RUN_VALID=0 RUN_NOTE="mailferry did not report ok"; fi
    fi
    got=$(target_messages "$user")
    if ((RUN_VALID)) && ((got != MESSAGES)); then
        RUN_VALID=0 RUN_NOTE="target $user holds $got messages, not $MESSAGES"
    fi
    if ((!RUN_VALID)); then
        note "run $r, $row: INVALID ($RUN_NOTE); see $W/out/*.$tag.* (add --keep to keep them)"
        [[ $row == mf* ]] && tail -n 5 "$W/out/mailferry.$tag.err" >&2
        [[ $row == mbsync* ]] && tail -n 5 "$W/out/mbsync.$tag.log" >&2
    fi
    return 0
}

machine_line() {
    machine_facts
    bench_tree
    echo "versions:  $("$MAILFERRY" --version 2>/dev/null | head -n1) (tree $MACHINE_TREE, binary built $(date -r "$MAILFERRY" '+%F %T')), Dovecot $(dovecot --version | cut -d' ' -f1), $(mbsync --version 2>/dev/null || echo 'no mbsync'), $(openssl version | cut -d' ' -f1-2)"
}

# ------------------------------------------------------------------- main ---
mkdir -p "$W/out"
start_servers
load_messages
prepare_cache
prepare_maildir
LOAD_START=$(check_quiet)

# Per row: space-separated lists, one entry per run ("-" for invalid runs in the medians' inputs).
declare -A L_WALL L_CPU L_SYS L_RSS L_SCPU L_VALID L_THR L_REC L_SEC
for row in "${ROWS[@]}"; do
    L_WALL[$row]="" L_CPU[$row]="" L_SYS[$row]="" L_RSS[$row]="" L_SCPU[$row]="" L_VALID[$row]=""
    L_THR[$row]="" L_REC[$row]="" L_SEC[$row]=""
done
INVALID=0
for ((r = 1; r <= RUNS; r++)); do
    for row in "${ROWS[@]}"; do
        note "run $r/$RUNS: $row (user t$NEXT_USER)"
        run_one "$row" "$r"
        L_WALL[$row]+="$T_WALL " L_CPU[$row]+="$T_CPU " L_SYS[$row]+="$T_SYS " L_RSS[$row]+="$T_RSS "
        L_SCPU[$row]+="$S_CPU " L_VALID[$row]+="$RUN_VALID " L_THR[$row]+="$MF_THR " L_REC[$row]+="$MF_REC "
        L_SEC[$row]+="$MF_SEC "
        ((RUN_VALID)) || INVALID=$((INVALID + 1))
        note "run $r/$RUNS: $row $T_WALL s wall, $T_CPU s CPU, server $S_CPU s$( ((RUN_VALID)) || echo ' (INVALID)')"
    done
done
LOAD_END=$(check_quiet)

# Medians over the valid runs only.
valid_only() {  # valid_only VALUES VALIDS
    local -a v ok
    read -r -a v <<<"$1"
    read -r -a ok <<<"$2"
    local i
    for i in "${!v[@]}"; do
        [[ ${ok[$i]} == 1 ]] && printf '%s\n' "${v[$i]}"
    done
    return 0
}
median_valid() {  # median_valid VALUES VALIDS
    local -a x
    mapfile -t x < <(valid_only "$1" "$2")
    median "${x[@]}"
}
declare -A M_WALL M_CPU M_SYS M_RSS M_SCPU N_VALID
for row in "${ROWS[@]}"; do
    M_WALL[$row]=$(median_valid "${L_WALL[$row]}" "${L_VALID[$row]}")
    M_CPU[$row]=$(median_valid "${L_CPU[$row]}" "${L_VALID[$row]}")
    M_SYS[$row]=$(median_valid "${L_SYS[$row]}" "${L_VALID[$row]}")
    M_RSS[$row]=$(median_valid "${L_RSS[$row]}" "${L_VALID[$row]}")
    M_SCPU[$row]=$(median_valid "${L_SCPU[$row]}" "${L_VALID[$row]}")
    N_VALID[$row]=$(valid_only "${L_VALID[$row]}" "${L_VALID[$row]}" | wc -l)
done
all_walls() {  # every run's wall, invalid ones marked with "!"
    local -a v ok
    read -r -a v <<<"${L_WALL[$1]}"
    read -r -a ok <<<"${L_VALID[$1]}"
    local i out=""
    for i in "${!v[@]}"; do
        out+="${v[$i]}$([[ ${ok[$i]} == 1 ]] || echo '!') "
    done
    echo "${out% }"
}

declare -A LABEL
LABEL[mf]="mailferry replay (generic, $MF_CONN_LABEL)"
LABEL[mbsync]="mbsync push (1 conn)"
LABEL[mf_lat]="mailferry replay, +$LATENCY_MS ms each way"
LABEL[mbsync_lat]="mbsync push, +$LATENCY_MS ms each way"

echo
echo "mailferry replay benchmark (median of $RUNS alternated run(s) each, an empty mdbox account every time)"
machine_line
other_cpu_line ""
echo "mailbox:   $SRV_MESSAGES messages in $SRV_FOLDERS folders, $SRV_BYTES bytes ($(mib "$SRV_BYTES") MiB, RFC822.SIZE)"
echo "target:    Dovecot mdbox over TLS on 127.0.0.1, mail_fsync $( ((SERVER_FSYNC)) && echo 'optimized (default)' || echo never), COMPRESS=DEFLATE $( ((COMPRESS)) && echo offered || echo 'not offered')$(has_row mf_lat && echo "; latency rows through fault_proxy --latency-ms $LATENCY_MS (round trip +$((2 * LATENCY_MS)) ms)")"
echo
row_fmt() { printf '%-40s %8s %8s %9s %12s %10s %6s   %s\n' "$@"; }
row_fmt "" "wall s" "CPU s" "of it sys" "peak RSS MB" "server CPU" "valid" "all walls"
for row in "${ROWS[@]}"; do
    row_fmt "${LABEL[$row]}" "${M_WALL[$row]}" "${M_CPU[$row]}" "${M_SYS[$row]}" "$(mb "${M_RSS[$row]}")" \
        "${M_SCPU[$row]}" "${N_VALID[$row]}/$RUNS" "$(all_walls "$row")"
done
echo
R_DIRECT_WALL="" R_DIRECT_CPU="" R_LAT_WALL="" R_LAT_CPU=""
if has_row mf; then
    R_DIRECT_WALL=$(ratio "${M_WALL[mf]}" "${M_WALL[mbsync]}") R_DIRECT_CPU=$(ratio "${M_CPU[mf]}" "${M_CPU[mbsync]}")
    echo "mailferry / mbsync, direct:         wall $R_DIRECT_WALL, CPU $R_DIRECT_CPU"
fi
if has_row mf_lat; then
    R_LAT_WALL=$(ratio "${M_WALL[mf_lat]}" "${M_WALL[mbsync_lat]}") R_LAT_CPU=$(ratio "${M_CPU[mf_lat]}" "${M_CPU[mbsync_lat]}")
    echo "mailferry / mbsync, +$LATENCY_MS ms each way: wall $R_LAT_WALL, CPU $R_LAT_CPU"
fi
for row in "${ROWS[@]}"; do
    [[ $row == mf* ]] || continue
    echo "${LABEL[$row]}: JSON throttled [${L_THR[$row]% }], reconnects [${L_REC[$row]% }], own seconds [$(awk '{ for (i = 1; i <= NF; i++) printf "%s%s", (i > 1 ? " " : ""), ($i ~ /^[0-9.]+$/ ? sprintf("%.2f", $i) : $i) }' <<<"${L_SEC[$row]}")]"
done
((INVALID == 0)) || echo "$INVALID run(s) INVALID (marked ! above, left out of the medians): see the notes above the table"

if [[ -n $JSON_FILE ]]; then
    jrow() {
        local row=$1
        printf '    %s: {"label": %s, "median_wall_s": %s, "median_cpu_s": %s, "median_sys_s": %s, "median_peak_rss_kb": %s, "median_server_cpu_s": %s, "valid_runs": %s, ' \
            "$(json_str "$row")" "$(json_str "${LABEL[$row]}")" "$(json_num "${M_WALL[$row]}")" "$(json_num "${M_CPU[$row]}")" \
            "$(json_num "${M_SYS[$row]}")" "$(json_num "${M_RSS[$row]}")" "$(json_num "${M_SCPU[$row]}")" "${N_VALID[$row]}"
        # shellcheck disable=SC2086
        printf '"wall_s": %s, "cpu_s": %s, "sys_s": %s, "peak_rss_kb": %s, "server_cpu_s": %s, "valid": %s' \
            "$(json_array ${L_WALL[$row]})" "$(json_array ${L_CPU[$row]})" "$(json_array ${L_SYS[$row]})" \
            "$(json_array ${L_RSS[$row]})" "$(json_array ${L_SCPU[$row]})" \
            "$(json_array ${L_VALID[$row]//1/true} | sed 's/0/false/g')"
        if [[ $row == mf* ]]; then
            # shellcheck disable=SC2086
            printf ', "throttled": %s, "reconnects": %s, "mailferry_seconds": %s' \
                "$(json_array ${L_THR[$row]})" "$(json_array ${L_REC[$row]})" "$(json_array ${L_SEC[$row]})"
        fi
        printf '}'
    }
    {
        echo "{"
        echo "  \"benchmark\": \"replay\","
        echo "  \"machine\": $(json_machine), \"tree\": $(json_str "$MACHINE_TREE"),"
        echo "  \"messages\": $SRV_MESSAGES, \"folders\": $SRV_FOLDERS, \"bytes\": $SRV_BYTES,"
        echo "  \"runs\": $RUNS, \"latency_ms_each_way\": $LATENCY_MS, \"compress_offered\": $( ((COMPRESS)) && echo true || echo false), \"server_fsync\": $( ((SERVER_FSYNC)) && echo true || echo false),"
        echo "  \"other_cpu_before\": $(json_str "$LOAD_START"), \"other_cpu_after\": $(json_str "$LOAD_END"),"
        echo "  \"results\": {"
        n=${#ROWS[@]} i=0
        for row in "${ROWS[@]}"; do
            i=$((i + 1))
            jrow "$row"
            ((i < n)) && echo "," || echo
        done
        echo "  },"
        echo "  \"ratio_wall_mailferry_mbsync_direct\": $(json_num "$R_DIRECT_WALL"),"
        echo "  \"ratio_cpu_mailferry_mbsync_direct\": $(json_num "$R_DIRECT_CPU"),"
        echo "  \"ratio_wall_mailferry_mbsync_latency\": $(json_num "$R_LAT_WALL"),"
        echo "  \"ratio_cpu_mailferry_mbsync_latency\": $(json_num "$R_LAT_CPU"),"
        echo "  \"invalid_runs\": $INVALID"
        echo "}"
    } >"$JSON_FILE"
    note "wrote $JSON_FILE"
fi
((INVALID == 0)) || exit 1
