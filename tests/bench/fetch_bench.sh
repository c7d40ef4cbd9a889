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
REPO="$(cd "$SCRIPT_DIR/../.." && pwd -P)"
HARNESS="$REPO/tests/harness/dovecot-harness"
GNU_TIME=/usr/bin/time
USER_NAME=bench
USER_PW=bench-pw-4711

die() { echo "$PROG: $*" >&2; exit 1; }
note() { echo "$PROG: $*" >&2; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -n 's/^# \{0,1\}//p' >&2; exit 2; }

# ---------------------------------------------------------------- options ---
MESSAGES=10000
RUNS=3
JSON_FILE=""
MEMORY_ONLY=""
KEEP=0
SEED=1
MAILFERRY="${MAILFERRY:-}"
WORK_PARENT=/tmp
QUIET_WAIT=0
DROP_BETWEEN=0
CONNECTIONS=""
while (($#)); do
    case $1 in
        --messages) shift; MESSAGES=${1:?--messages needs a value} ;;
        --runs) shift; RUNS=${1:?--runs needs a value} ;;
        --json) shift; JSON_FILE=${1:?--json needs a file} ;;
        --memory-only) shift; MEMORY_ONLY=${1:?--memory-only needs a value} ;;
        --keep) KEEP=1 ;;
        --seed) shift; SEED=${1:?--seed needs a value} ;;
        --mailferry) shift; MAILFERRY=${1:?--mailferry needs a path} ;;
        --workdir) shift; WORK_PARENT=${1:?--workdir needs a directory} ;;
        --quiet-wait) shift; QUIET_WAIT=${1:?--quiet-wait needs seconds} ;;
        --drop-between) DROP_BETWEEN=1 ;;
        --connections) shift; CONNECTIONS=${1:?--connections needs a number} ;;
        -h|--help) usage ;;
        *) die "unknown argument '$1' (--help)" ;;
    esac
    shift
done
[[ $MESSAGES =~ ^[1-9][0-9]*$ ]] || die "--messages must be a positive number"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive number"
[[ $SEED =~ ^[0-9]+$ ]] || die "--seed must be a number"
[[ $QUIET_WAIT =~ ^[0-9]+$ ]] || die "--quiet-wait must be a number of seconds"
[[ -z $CONNECTIONS || $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "--connections must be a positive number"
MF_CONN_ARGS=()
[[ -z $CONNECTIONS ]] || MF_CONN_ARGS=(--connections "$CONNECTIONS")
MF_CONN_LABEL="${CONNECTIONS:-2} connection$([[ ${CONNECTIONS:-2} == 1 ]] || echo s)"
if [[ -n $MEMORY_ONLY ]]; then
    [[ $MEMORY_ONLY =~ ^[1-9][0-9]*$ ]] || die "--memory-only must be a positive number"
fi
if [[ -n $JSON_FILE ]]; then
    : 2>/dev/null >"$JSON_FILE" || die "cannot write $JSON_FILE"   # no stale results if this run fails
    JSON_FILE="$(cd "$(dirname "$JSON_FILE")" && pwd -P)/$(basename "$JSON_FILE")"
fi

# ----------------------------------------------------------- dependencies ---
apt_install() {  # apt_install PACKAGE...
    local sudo=""
    if [[ $EUID -ne 0 ]]; then
        command -v sudo >/dev/null || die "need root or sudo to install $*"
        sudo=sudo
    fi
    note "installing $* with apt-get"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 \
        || { $sudo apt-get update -q >/dev/null 2>&1 && \
             $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; } \
        || die "apt-get install $* failed"
}
PATH="$PATH:/usr/sbin:/sbin"
[[ -x $GNU_TIME ]] || apt_install time
if [[ -z $MEMORY_ONLY ]]; then command -v mbsync >/dev/null || apt_install isync; fi
command -v dovecot >/dev/null || apt_install dovecot-imapd dovecot-pop3d
command -v openssl >/dev/null || apt_install openssl
[[ -x $HARNESS ]] || die "$HARNESS not found"

if [[ -z $MAILFERRY ]]; then
    MAILFERRY="$REPO/build-bench/mailferry"
    if [[ ! -x $MAILFERRY ]]; then
        note "building $MAILFERRY (Release)"
        cmake -S "$REPO" -B "$REPO/build-bench" -DCMAKE_BUILD_TYPE=Release -DMAILFERRY_TESTS=OFF >/dev/null
        cmake --build "$REPO/build-bench" -j"$(nproc)" --target mailferry >/dev/null
    fi
fi
[[ -x $MAILFERRY ]] || die "mailferry binary $MAILFERRY not found"
MAILFERRY="$(cd "$(dirname "$MAILFERRY")" && pwd -P)/$(basename "$MAILFERRY")"

# --------------------------------------------------------------- work dir ---
mkdir -p "$WORK_PARENT"
# Room for the server's copy and every run's output (about 20 KB a message).
if [[ -n $MEMORY_ONLY ]]; then
    need_msgs=$((MEMORY_ONLY * (1 + RUNS) + (MEMORY_ONLY > MESSAGES ? MESSAGES * RUNS : 0)))
else
    need_msgs=$((MESSAGES * (1 + 2 * RUNS)))
fi
avail_kb=$(df -Pk "$WORK_PARENT" | awk 'NR == 2 { print $4 }')
if ((need_msgs * 20 + 1048576 > avail_kb)); then
    die "about $((need_msgs * 20 / 1024)) MB are needed under $WORK_PARENT, $((avail_kb / 1024)) MB are free"
fi
W=$(mktemp -d "$WORK_PARENT/mf-bench.XXXXXX")
# As root, Dovecot's auth (user dovecot) and mail (nobody) processes must reach DIR/dovecot.
chmod 0755 "$W"
DV="$W/dovecot"
DOVECOT_PID=""

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $TIMED_PID ]]; then  # interrupted during a timed run: the client and its time
        local kids
        kids=$(pgrep -P "$TIMED_PID" 2>/dev/null || true)
        # shellcheck disable=SC2086
        kill -TERM $kids "$TIMED_PID" 2>/dev/null || true
    fi
    if [[ -n $DOVECOT_PID ]]; then
        "$HARNESS" stop "$DV" >/dev/null 2>&1 || true
        if [[ -r /proc/$DOVECOT_PID/cmdline ]] && tr '\0' ' ' <"/proc/$DOVECOT_PID/cmdline" | grep -q dovecot; then
            kill -TERM "$DOVECOT_PID" 2>/dev/null || true
        fi
    fi
    if ((KEEP)); then
        note "kept $W"
    else
        rm -rf "$W"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- helpers ---
count_messages() {  # message files of a Maildir / Maildir++ tree
    find "$1" -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l
}

median() {  # median of the numbers given as arguments
    printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) { print a[(NR+1)/2]; exit }
        m = sprintf("%.3f", (a[NR/2] + a[NR/2+1]) / 2); sub(/0+$/, "", m); sub(/\.$/, "", m); print m }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }  # KB -> MB (MiB)
json_array() { local IFS=,; echo "[$*]"; }

# Runs a command under GNU time; sets T_WALL T_CPU (user + sys) T_SYS T_RSS (KB).  Returns the
# command's exit status.
# (In the background + wait, so that a signal stops the benchmark at once.)
TIMED_PID=""
timed() {
    local tf="$W/time.out" rc=0
    "$GNU_TIME" -o "$tf" -f '%e %U %S %M' "$@" &
    TIMED_PID=$!
    wait "$TIMED_PID" || rc=$?
    TIMED_PID=""
    local e u s m
    read -r e u s m < <(tail -n 1 "$tf")
    T_WALL=$e
    T_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
    T_SYS=$s
    T_RSS=$m
    return "$rc"
}

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
    note "generating $1 messages (seed $2)..."
    local out
    out=$("$HARNESS" gen "$DV" "$USER_NAME" "$1" --seed "$2" 2>&1) || { echo "$out" >&2; die "dovecot-harness gen failed"; }
    note "$out"
}

# What the server holds: sets SRV_MESSAGES SRV_BYTES (RFC822.SIZE, CRLF, what
# travels on the wire) and SRV_FOLDERS.
server_totals() {
    read -r SRV_MESSAGES SRV_BYTES SRV_FOLDERS < <(doveadm -c "$CONF" -f tab mailbox status -u "$USER_NAME" \
        "messages vsize" '*' | awk -F'\t' 'NR > 1 { m += $2; b += $3; f++ } END { print m + 0, b + 0, f + 0 }')
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
    if ((rc)); then
        cat "$W/mailferry.err" >&2
        die "mailferry fetch exited with status $rc"
    fi
    grep -q '"ok": true' "$W/mailferry.json" || { cat "$W/mailferry.json" "$W/mailferry.err" >&2; die "mailferry fetch did not report ok"; }
    local got
    got=$(count_messages "$cache/mail")
    ((got == SRV_MESSAGES)) || die "mailferry cached $got messages, the server has $SRV_MESSAGES"
}

# mbsync 1.4 matches the certificate against DNS names only (not IP SANs), so
# it is pointed at "localhost" (in the certificate).  That name must resolve to
# 127.0.0.1 (Dovecot listens there only), and to nothing but loopback.
write_mbsync_conf() {  # write_mbsync_conf MAILDIR
    local addrs a
    addrs=$(getent ahosts localhost | awk '{ print $1 }' | sort -u | tr '\n' ' ')
    [[ " $addrs" == *" 127.0.0.1 "* ]] || die "localhost does not resolve to 127.0.0.1 ($addrs): mbsync needs it"
    for a in $addrs; do
        [[ $a == 127.0.0.1 || $a == ::1 ]] || die "localhost resolves to $a too, not loopback: refusing to point mbsync at it"
    done
    local md=$1
    cat >"$W/mbsyncrc" <<EOF
IMAPAccount bench
Host localhost
Port $IMAPS_PORT
User $USER_NAME
PassCmd "cat $W/password"
SSLType IMAPS
CertificateFile $CA_FILE

IMAPStore far
Account bench

MaildirStore near
Path $md/
Inbox $md/INBOX
SubFolders Verbatim

Channel bench
Far :far:
Near :near:
Patterns *
Create Near
Sync Pull
SyncState *
EOF
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
    local cpu
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    MACHINE_NPROC=$(nproc)
    MACHINE_KERNEL=$(uname -r)
    MACHINE_CPU=${cpu:-unknown}
    echo "machine:   nproc $MACHINE_NPROC, kernel $MACHINE_KERNEL, $MACHINE_CPU"
    echo "versions:  $("$MAILFERRY" --version 2>/dev/null | head -n1), Dovecot $(dovecot --version | cut -d' ' -f1), $(mbsync --version 2>/dev/null || echo 'no mbsync'), $(openssl version | cut -d' ' -f1-2)"
}

# CPU use of everything else, sampled over 2 s (or $1 s) while this script is
# idle (its Dovecot waits for clients): "37%" = 37% of all CPUs busy.
foreign_cpu() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    sleep "${1:-2}"
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
        busy = y[1] - x[1]; idle = y[2] - x[2];
        printf "%d%%", (busy + idle > 0) ? 100 * busy / (busy + idle) + 0.5 : 0 }'
}
check_quiet() {  # prints the foreign CPU use; warns when it is high
    local f
    f=$(foreign_cpu)
    if ((${f%\%} > 10)); then
        note "warning: other work keeps $f of the CPUs busy: expect noisy figures"
    fi
    echo "$f"
}

QUIET_WAITED=0   # seconds spent waiting, in total
wait_quiet() {
    ((QUIET_WAIT > 0)) || return 0
    local start=$SECONDS f
    while :; do
        f=$(foreign_cpu 1)
        ((${f%\%} < 15)) && break
        if ((SECONDS - start >= QUIET_WAIT)); then
            note "other work still keeps $f of the CPUs busy after ${QUIET_WAIT}s: running anyway"
            break
        fi
    done
    QUIET_WAITED=$((QUIET_WAITED + SECONDS - start))
}

json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }

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
    echo "other CPU: $LOAD_START before, $LOAD_END after the runs (per size; busy share of all CPUs, 2 s samples)$( ((QUIET_WAIT)) && echo "; waited ${QUIET_WAITED}s for quiet")"
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
            echo "  \"machine\": {\"nproc\": $MACHINE_NPROC, \"kernel\": $(json_str "$MACHINE_KERNEL"), \"cpu\": $(json_str "$MACHINE_CPU")},"
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
echo "other CPU: $LOAD_START before, $LOAD_END after the runs (busy share of all CPUs, 2 s samples)$( ((QUIET_WAIT)) && echo "; waited ${QUIET_WAITED}s for quiet")"
echo "mailbox:   $SRV_MESSAGES messages in $SRV_FOLDERS folders, $SRV_BYTES bytes ($(awk -v b="$SRV_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }') MiB, RFC822.SIZE), Dovecot maildir over TLS on 127.0.0.1"
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
        echo "  \"machine\": {\"nproc\": $MACHINE_NPROC, \"kernel\": $(json_str "$MACHINE_KERNEL"), \"cpu\": $(json_str "$MACHINE_CPU")},"
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
