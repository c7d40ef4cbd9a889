#!/usr/bin/env bash
# fetch_bench.sh: how fast `mailferry fetch` downloads a mailbox, next to mbsync
# and to the raw limit of the server, all against one private Dovecot (TLS,
# 127.0.0.1) loaded once with synthetic mail.  A benchmark, not a test: never
# run by ctest.  See tests/bench/README.md.
#
#   fetch_bench.sh [--messages N] [--runs R] [--json FILE] [--keep]
#                  [--seed S] [--mailferry PATH] [--workdir DIR]
#   fetch_bench.sh --memory-only N [--messages BASE] [--runs R] [--json FILE] ...
#
#   --messages N      messages to generate (default 10000)
#   --runs R          timed runs of each contender (default 3), alternated
#                     mailferry, mbsync, raw, mailferry, ...
#   --json FILE       also write the results as JSON
#   --memory-only N   only mailferry's peak RSS: at BASE (--messages, default
#                     10000) messages, then after loading up to N; prints both
#   --keep            keep the work directory (caches, Maildirs, Dovecot logs)
#   --seed S          seed for the generator (default 1)
#   --mailferry PATH  the binary (default: $MAILFERRY, else build-bench/mailferry,
#                     built in Release if missing)
#   --workdir DIR     parent of the temporary work directory (default /tmp)
#   --connections N   passed to mailferry fetch (default: mailferry's, 2)
#   --quiet-wait S    before each timed run, wait up to S seconds for other
#                     work to leave the CPUs (< 15% busy); default 0: no wait
#   --drop-between    delete the previous run's cache/Maildir right before the
#                     next run (default: every run writes into a new empty
#                     directory and all are deleted at the end; see README)
#
# Needs: Dovecot 2.3 (dovecot-imapd), openssl, isync (mbsync), GNU time; the
# last two are installed with apt-get when missing.  Run as root or as a user
# with sudo for that.
set -euo pipefail
export LC_ALL=C

PROG=fetch_bench
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source-path=SCRIPTDIR source=bench_lib.sh
. "$SCRIPT_DIR/bench_lib.sh"
USER_NAME=bench
USER_PW=bench-pw-4711

# ---------------------------------------------------------------- options ---
common_defaults
MEMORY_ONLY=""
DROP_BETWEEN=0
while (($#)); do
    case $1 in
        --memory-only) shift; MEMORY_ONLY=${1:?--memory-only needs a value} ;;
        --drop-between) DROP_BETWEEN=1 ;;
        *) common_option "$@"; shift $((OPT_ARGS - 1)) ;;
    esac
    shift
done
check_common_options
mailferry_connections connection
if [[ -n $MEMORY_ONLY ]]; then
    [[ $MEMORY_ONLY =~ ^[1-9][0-9]*$ ]] || die "--memory-only must be a positive number"
fi
if [[ -n $JSON_FILE ]]; then
    : 2>/dev/null >"$JSON_FILE" || die "cannot write $JSON_FILE"   # no stale results if this run fails
    JSON_FILE=$(abs_path "$JSON_FILE")
fi

# ----------------------------------------------------------- dependencies ---
install_dependencies "$([[ -z $MEMORY_ONLY ]] && echo 1 || echo 0)"

if [[ -z $MAILFERRY ]]; then
    MAILFERRY="$REPO/build-bench/mailferry"
    if [[ ! -x $MAILFERRY ]]; then
        note "building $MAILFERRY (Release)"
        build_bench OFF mailferry
    fi
fi
[[ -x $MAILFERRY ]] || die "mailferry binary $MAILFERRY not found"
MAILFERRY=$(abs_path "$MAILFERRY")

# --------------------------------------------------------------- work dir ---
# Room for the server's copy and every run's output (about 20 KB a message).
if [[ -n $MEMORY_ONLY ]]; then
    need_msgs=$((MEMORY_ONLY * (1 + RUNS) + (MEMORY_ONLY > MESSAGES ? MESSAGES * RUNS : 0)))
else
    need_msgs=$((MESSAGES * (1 + 2 * RUNS)))
fi
make_workdir "$need_msgs" mf-bench
DV="$W/dovecot"
DOVECOT_PID=""

stop_servers() { stop_dovecot "$DV" "$DOVECOT_PID"; }  # called by cleanup
install_cleanup

# ---------------------------------------------------------------- helpers ---
# Every timed run writes into a new empty directory.  By default the outputs of
# earlier runs stay until all runs are done: on an ext4 without a journal (as on
# the VM this was written on) creating files soon after deleting thousands cost
# up to 10x more system time (most likely the allocator skipping recently deleted
# inodes), which would be measured as mailferry's or mbsync's time.  --drop-between deletes the
# previous output first instead.  Either way `sync` first, so that writeback of
# an earlier run does not overlap the timed one.
fresh_dir() {  # fresh_dir PATH PREVIOUS
    if ((DROP_BETWEEN)) && [[ -n ${2:-} ]]; then rm -rf "$2"; fi
    rm -rf "$1"
    sync
}
drop_outputs() { ((KEEP)) || rm -rf "$W/out"; }

start_server() {
    "$HARNESS" start "$DV" --user "$USER_NAME:$USER_PW:maildir" >"$W/harness-start.log" 2>&1 \
        || { cat "$W/harness-start.log" >&2; die "dovecot-harness start failed"; }
    # shellcheck disable=SC1091
    . "$DV/env"
    DOVECOT_PID=$PID
    printf '%s' "$USER_PW" >"$W/password"
    chmod 0600 "$W/password"
}

load_messages() {  # load_messages N SEED: adds N generated messages
    generate_messages "$DV" "$USER_NAME" "$1" "$2"
}

# What the server holds: sets SRV_MESSAGES SRV_BYTES SRV_FOLDERS.
server_totals() {
    mailbox_totals "$CONF" "$USER_NAME"
}

# Selectable folders by IMAP LIST, as the raw client sends them (quoted strings).
list_folders() {
    printf 'a LOGIN "%s" "%s"\r\nb LIST "" "*"\r\nzz LOGOUT\r\n' "$USER_NAME" "$USER_PW" \
        | openssl s_client -quiet -connect "127.0.0.1:$IMAPS_PORT" -CAfile "$CA_FILE" 2>/dev/null \
        | tr -d '\r' | awk '
            /^\* LIST / {
                if ($0 ~ /\\(Noselect|NonExistent)/) next
                sub(/^\* LIST \([^)]*\) ("[^"]*"|NIL) /, "")
                if ($0 !~ /^"/) $0 = "\"" $0 "\""
                print
            }'
}

# ------------------------------------------------------------ contenders ---
run_mailferry() {  # run_mailferry CACHE [PREVIOUS]: timed fetch into an empty cache
    local cache=$1 rc=0
    fresh_dir "$cache" "${2:-}"
    wait_quiet
    timed "$MAILFERRY" fetch "$cache" --from "imaps://$USER_NAME@127.0.0.1:$IMAPS_PORT" \
        --password-file "$W/password" --ca-file "$CA_FILE" --no-progress --json "${MF_CONN_ARGS[@]}" \
        >"$W/mailferry.json" 2>"$W/mailferry.err" || rc=$?
    check_mailferry_fetch "$rc" "$W/mailferry.json" "$W/mailferry.err"
    local got
    got=$(count_messages "$cache/mail")
    ((got == SRV_MESSAGES)) || die "mailferry cached $got messages, the server has $SRV_MESSAGES"
}

# mbsync is pointed at "localhost" (check_localhost).
write_mbsync_conf() {  # write_mbsync_conf MAILDIR
    check_localhost
    mbsync_conf bench "$IMAPS_PORT" "$USER_NAME" "$W/password" "$CA_FILE" "$1" bench Near Pull '*' >"$W/mbsyncrc"
}

run_mbsync() {  # run_mbsync MAILDIR [PREVIOUS]
    local md=$1 rc=0
    fresh_dir "$md" "${2:-}"
    mkdir -p "$md"
    write_mbsync_conf "$md"
    wait_quiet
    timed mbsync -c "$W/mbsyncrc" -a >"$W/mbsync.log" 2>&1 || rc=$?
    if ((rc)); then
        tail -n 20 "$W/mbsync.log" >&2
        die "mbsync exited with status $rc"
    fi
    local got
    got=$(count_messages "$md")
    if ((got != SRV_MESSAGES)); then
        tail -n 20 "$W/mbsync.log" >&2
        die "mbsync downloaded $got messages, the server has $SRV_MESSAGES: the comparison would be void"
    fi
}

write_raw_commands() {  # one connection: LOGIN, per folder EXAMINE + UID FETCH 1:* BODY.PEEK[]
    local i=0 f
    {
        printf 'a LOGIN "%s" "%s"\r\n' "$USER_NAME" "$USER_PW"
        while IFS= read -r f; do
            i=$((i + 1))
            printf 'e%d EXAMINE %s\r\nf%d UID FETCH 1:* BODY.PEEK[]\r\n' "$i" "$f" "$i"
        done <"$W/folders"
    } >"$W/raw.cmds"
    RAW_FETCHES=$i
}

# The client of the raw run.  LOGIN and every EXAMINE + FETCH go out at once;
# grep passes on only the tagged replies (a few lines, so the shell loop costs
# nothing), and when the last FETCH's reply arrives, LOGOUT follows; the run
# ends with LOGOUT's tagged reply and the server closing the connection.
# LOGOUT is not sent up front with the rest: Dovecot then sometimes closes the
# connection before its last output reached the client (seen about once in 4
# cold runs: the tail of the last FETCH and the LOGOUT reply lost).
#   $1 port  $2 CA file  $3 commands  $4 result (tagged lines)  $5 last tag  $6 fifo
# shellcheck disable=SC2016  # expanded by the bash -c that runs it
RAW_CLIENT='
rm -f "$6"; mkfifo "$6"
openssl s_client -quiet -connect "127.0.0.1:$1" -CAfile "$2" <"$6" 2>/dev/null \
    | LC_ALL=C grep --line-buffered -a -E "^(a|e[0-9]+|f[0-9]+|zz) (OK|NO|BAD)" | {
    exec 3>"$6"
    cat "$3" >&3
    while IFS= read -r line; do
        printf "%s\n" "$line" >>"$4"
        case $line in
            "$5 "*) printf "zz LOGOUT\r\n" >&3 ;;
            "zz "*) break ;;
        esac
    done
    exec 3>&-
}
rm -f "$6"
exit 0
'

run_raw() {
    local ok bad bye
    wait_quiet
    : >"$W/raw.result"
    timed bash -c "$RAW_CLIENT" raw "$IMAPS_PORT" "$CA_FILE" "$W/raw.cmds" "$W/raw.result" \
        "f$RAW_FETCHES" "$W/raw.fifo" || die "raw client failed"
    ok=$(grep -c -E '^(a|e[0-9]+|f[0-9]+) OK' "$W/raw.result" || true)
    bad=$(grep -c -E '^[a-z0-9]+ (NO|BAD)' "$W/raw.result" || true)
    bye=$(grep -c '^zz OK' "$W/raw.result" || true)
    ((bye == 1 && bad == 0 && ok == 1 + 2 * RAW_FETCHES)) \
        || die "raw fetch incomplete: $ok tagged OK, $bad NO/BAD, LOGOUT OK seen: $bye (expected $((1 + 2 * RAW_FETCHES)) OK)"
}

machine_line() {
    machine_facts
    echo "versions:  $("$MAILFERRY" --version 2>/dev/null | head -n1), Dovecot $(dovecot --version | cut -d' ' -f1), $(mbsync --version 2>/dev/null || echo 'no mbsync'), $(openssl version | cut -d' ' -f1-2)"
}

# ------------------------------------------------------------ memory-only ---
if [[ -n $MEMORY_ONLY ]]; then
    start_server
    points=()
    if ((MEMORY_ONLY > MESSAGES)); then points=("$MESSAGES" "$MEMORY_ONLY"); else points=("$MEMORY_ONLY"); fi
    loaded=0 seed=$SEED prev=""
    LOAD_START="" LOAD_END=""
    declare -a P_MSG P_BYTES P_RSS P_WALL P_RSS_ALL P_WALL_ALL
    for p in "${points[@]}"; do
        load_messages $((p - loaded)) "$seed"
        loaded=$p seed=$((seed + 1))
        server_totals
        rss=() walls=()
        LOAD_START="$LOAD_START${LOAD_START:+; }$(check_quiet)"
        for ((r = 1; r <= RUNS; r++)); do
            note "mailferry at $SRV_MESSAGES messages, run $r/$RUNS"
            run_mailferry "$W/out/mf.$p.$r" "$prev"
            prev="$W/out/mf.$p.$r"
            rss+=("$T_RSS") walls+=("$T_WALL")
        done
        LOAD_END="$LOAD_END${LOAD_END:+; }$(check_quiet)"
        P_MSG+=("$SRV_MESSAGES") P_BYTES+=("$SRV_BYTES")
        P_RSS+=("$(median "${rss[@]}")") P_WALL+=("$(median "${walls[@]}")")
        P_RSS_ALL+=("$(json_array "${rss[@]}")") P_WALL_ALL+=("$(json_array "${walls[@]}")")
    done
    drop_outputs
    echo
    echo "mailferry fetch: peak RSS by mailbox size (median of $RUNS run(s) each, $MF_CONN_LABEL)"
    machine_line
    other_cpu_line "per size; "
    echo
    printf '%-10s %14s %14s %16s\n' messages bytes "wall s" "peak RSS MB"
    for i in "${!P_MSG[@]}"; do
        printf '%-10s %14s %14s %16s\n' "${P_MSG[$i]}" "${P_BYTES[$i]}" "${P_WALL[$i]}" "$(mb "${P_RSS[$i]}")"
    done
    growth=""
    if ((${#P_MSG[@]} == 2)); then
        growth=$(awk -v a="${P_RSS[0]}" -v b="${P_RSS[1]}" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
        echo
        sign=""; [[ $growth == -* ]] || sign=+
        echo "peak RSS at ${P_MSG[1]} vs ${P_MSG[0]} messages: $sign$growth% (target: within 20%)"
    fi
    if [[ -n $JSON_FILE ]]; then
        {
            echo "{"
            echo "  \"mode\": \"memory-only\","
            echo "  \"machine\": $(json_machine),"
            echo "  \"runs\": $RUNS,"
            echo "  \"other_cpu_before\": $(json_str "$LOAD_START"), \"other_cpu_after\": $(json_str "$LOAD_END"),"
            echo "  \"points\": ["
            for i in "${!P_MSG[@]}"; do
                sep=,; ((i == ${#P_MSG[@]} - 1)) && sep=
                echo "    {\"messages\": ${P_MSG[$i]}, \"bytes\": ${P_BYTES[$i]}, \"median_peak_rss_kb\": ${P_RSS[$i]}, \"peak_rss_kb\": ${P_RSS_ALL[$i]}, \"median_wall_s\": ${P_WALL[$i]}, \"wall_s\": ${P_WALL_ALL[$i]}}$sep"
            done
            echo "  ],"
            echo "  \"rss_growth_percent\": ${growth:-null}"
            echo "}"
        } >"$JSON_FILE"
        note "wrote $JSON_FILE"
    fi
    exit 0
fi

# ------------------------------------------------------------- full bench ---
start_server
load_messages "$MESSAGES" "$SEED"
server_totals
((SRV_MESSAGES == MESSAGES)) || die "the server holds $SRV_MESSAGES messages, expected $MESSAGES"
list_folders >"$W/folders"
[[ -s $W/folders ]] || die "LIST returned no selectable folder"
write_raw_commands

# Warm-up, not timed: pulls every message file into the page cache so that the
# first timed contender does not pay for cold reads.
note "warm-up (raw fetch, untimed)"
run_raw
LOAD_START=$(check_quiet)

declare -a MF_W MF_C MF_S MF_M SY_W SY_C SY_S SY_M RW_W RW_C RW_S RW_M
for ((r = 1; r <= RUNS; r++)); do
    note "run $r/$RUNS: mailferry"
    run_mailferry "$W/out/mf.$r" "$([[ $r -gt 1 ]] && echo "$W/out/mf.$((r - 1))")"
    MF_W+=("$T_WALL") MF_C+=("$T_CPU") MF_S+=("$T_SYS") MF_M+=("$T_RSS")
    note "run $r/$RUNS: mailferry $T_WALL s; mbsync"
    run_mbsync "$W/out/mbsync.$r" "$([[ $r -gt 1 ]] && echo "$W/out/mbsync.$((r - 1))")"
    SY_W+=("$T_WALL") SY_C+=("$T_CPU") SY_S+=("$T_SYS") SY_M+=("$T_RSS")
    note "run $r/$RUNS: mbsync $T_WALL s; raw"
    run_raw
    RW_W+=("$T_WALL") RW_C+=("$T_CPU") RW_S+=("$T_SYS") RW_M+=("$T_RSS")
    note "run $r/$RUNS: raw $T_WALL s"
done
LOAD_END=$(check_quiet)
drop_outputs

mfw=$(median "${MF_W[@]}") mfc=$(median "${MF_C[@]}") mfs=$(median "${MF_S[@]}") mfm=$(median "${MF_M[@]}")
syw=$(median "${SY_W[@]}") syc=$(median "${SY_C[@]}") sys=$(median "${SY_S[@]}") sym=$(median "${SY_M[@]}")
rww=$(median "${RW_W[@]}") rwc=$(median "${RW_C[@]}") rws=$(median "${RW_S[@]}") rwm=$(median "${RW_M[@]}")
r_sync=$(ratio "$mfw" "$syw")
r_raw=$(ratio "$mfw" "$rww")

echo
echo "mailferry fetch benchmark (median of $RUNS alternated run(s) each, empty cache/Maildir every time)"
machine_line
other_cpu_line ""
echo "mailbox:   $SRV_MESSAGES messages in $SRV_FOLDERS folders, $SRV_BYTES bytes ($(mib "$SRV_BYTES") MiB, RFC822.SIZE), Dovecot maildir over TLS on 127.0.0.1"
echo
row() { printf '%-44s %9s %9s %9s %12s   %s\n' "$@"; }
row "" "wall s" "CPU s" "of it sys" "peak RSS MB" "all walls"
row "mailferry fetch ($MF_CONN_LABEL)" "$mfw" "$mfc" "$mfs" "$(mb "$mfm")" "${MF_W[*]}"
row "mbsync (FSync yes, 1 connection)" "$syw" "$syc" "$sys" "$(mb "$sym")" "${SY_W[*]}"
row "raw UID FETCH 1:* per folder (1 conn, null)" "$rww" "$rwc" "$rws" "$(mb "$rwm")" "${RW_W[*]}"
echo
echo "wall mailferry / mbsync: $r_sync"
echo "wall mailferry / raw:    $r_raw"
echo "mailferry peak RSS:      $(mb "$mfm") MB"

if [[ -n $JSON_FILE ]]; then
    jentry() {  # name wall_median cpu_median sys_median rss_median walls cpus syss rsss
        printf '    %s: {"median_wall_s": %s, "median_cpu_s": %s, "median_sys_s": %s, "median_peak_rss_kb": %s, "wall_s": %s, "cpu_s": %s, "sys_s": %s, "peak_rss_kb": %s}' \
            "$(json_str "$1")" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9"
    }
    {
        echo "{"
        echo "  \"mode\": \"full\","
        echo "  \"machine\": $(json_machine),"
        echo "  \"messages\": $SRV_MESSAGES,"
        echo "  \"folders\": $SRV_FOLDERS,"
        echo "  \"bytes\": $SRV_BYTES,"
        echo "  \"runs\": $RUNS,"
        echo "  \"other_cpu_before\": $(json_str "$LOAD_START"), \"other_cpu_after\": $(json_str "$LOAD_END"),"
        echo "  \"results\": {"
        jentry mailferry "$mfw" "$mfc" "$mfs" "$mfm" "$(json_array "${MF_W[@]}")" "$(json_array "${MF_C[@]}")" "$(json_array "${MF_S[@]}")" "$(json_array "${MF_M[@]}")"; echo ","
        jentry mbsync "$syw" "$syc" "$sys" "$sym" "$(json_array "${SY_W[@]}")" "$(json_array "${SY_C[@]}")" "$(json_array "${SY_S[@]}")" "$(json_array "${SY_M[@]}")"; echo ","
        jentry raw "$rww" "$rwc" "$rws" "$rwm" "$(json_array "${RW_W[@]}")" "$(json_array "${RW_C[@]}")" "$(json_array "${RW_S[@]}")" "$(json_array "${RW_M[@]}")"; echo
        echo "  },"
        echo "  \"ratio_wall_mailferry_mbsync\": $r_sync,"
        echo "  \"ratio_wall_mailferry_raw\": $r_raw,"
        echo "  \"mailferry_peak_rss_kb\": $mfm"
        echo "}"
    } >"$JSON_FILE"
    note "wrote $JSON_FILE"
fi
