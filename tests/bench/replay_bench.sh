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
REPO="$(cd "$SCRIPT_DIR/../.." && pwd -P)"
HARNESS="$REPO/tests/harness/dovecot-harness"
GNU_TIME=/usr/bin/time
SRC_USER=bench
SRC_PW=bench-pw-4711
TGT_PW=target-pw-0815

die() { echo "$PROG: $*" >&2; exit 1; }
note() { echo "$PROG: $*" >&2; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -n 's/^# \{0,1\}//p' >&2; exit 2; }

# ---------------------------------------------------------------- options ---
MESSAGES=10000
RUNS=3
JSON_FILE=""
KEEP=0
ONLY=""
LATENCY_MS=15
SEED=1
MAILFERRY="${MAILFERRY:-}"
FAULT_PROXY="${FAULT_PROXY:-}"
CONNECTIONS=""
COMPRESS=0
SERVER_FSYNC=0
WORK_PARENT=/tmp
QUIET_WAIT=0
while (($#)); do
    case $1 in
        --messages) shift; MESSAGES=${1:?--messages needs a value} ;;
        --runs) shift; RUNS=${1:?--runs needs a value} ;;
        --json) shift; JSON_FILE=${1:?--json needs a file} ;;
        --keep) KEEP=1 ;;
        --only) shift; ONLY=${1:?--only needs direct or latency} ;;
        --latency-ms) shift; LATENCY_MS=${1:?--latency-ms needs a value} ;;
        --seed) shift; SEED=${1:?--seed needs a value} ;;
        --mailferry) shift; MAILFERRY=${1:?--mailferry needs a path} ;;
        --fault-proxy) shift; FAULT_PROXY=${1:?--fault-proxy needs a path} ;;
        --connections) shift; CONNECTIONS=${1:?--connections needs a number} ;;
        --compress) COMPRESS=1 ;;
        --server-fsync) SERVER_FSYNC=1 ;;
        --workdir) shift; WORK_PARENT=${1:?--workdir needs a directory} ;;
        --quiet-wait) shift; QUIET_WAIT=${1:?--quiet-wait needs seconds} ;;
        -h|--help) usage ;;
        *) die "unknown argument '$1' (--help)" ;;
    esac
    shift
done
[[ $MESSAGES =~ ^[1-9][0-9]*$ ]] || die "--messages must be a positive number"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive number"
[[ $SEED =~ ^[0-9]+$ ]] || die "--seed must be a number"
[[ $LATENCY_MS =~ ^[0-9]+$ ]] || die "--latency-ms must be a number of milliseconds"
[[ $QUIET_WAIT =~ ^[0-9]+$ ]] || die "--quiet-wait must be a number of seconds"
[[ -z $CONNECTIONS || $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "--connections must be a positive number"
case $ONLY in
    "") ROWS=(mf mbsync mf_lat mbsync_lat) ;;
    direct) ROWS=(mf mbsync) ;;
    latency) ROWS=(mf_lat mbsync_lat) ;;
    *) die "--only must be direct or latency" ;;
esac
MF_CONN_ARGS=()
[[ -z $CONNECTIONS ]] || MF_CONN_ARGS=(--connections "$CONNECTIONS")
MF_CONN_LABEL="${CONNECTIONS:-2} conn$([[ ${CONNECTIONS:-2} == 1 ]] || echo s)"
if [[ -n $JSON_FILE ]]; then
    touch "$JSON_FILE" 2>/dev/null || die "cannot write $JSON_FILE"
    JSON_FILE="$(cd "$(dirname "$JSON_FILE")" && pwd -P)/$(basename "$JSON_FILE")"
fi
has_row() { [[ " ${ROWS[*]} " == *" $1 "* ]]; }

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
command -v mbsync >/dev/null || apt_install isync
command -v dovecot >/dev/null || apt_install dovecot-imapd dovecot-pop3d
command -v openssl >/dev/null || apt_install openssl
[[ -x $HARNESS ]] || die "$HARNESS not found"

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
    cmake -S "$REPO" -B "$REPO/build-bench" -DCMAKE_BUILD_TYPE=Release -DMAILFERRY_TESTS=ON >/dev/null
    cmake --build "$REPO/build-bench" -j"$(nproc)" --target "${build_targets[@]}" >/dev/null
fi
[[ -x $MAILFERRY ]] || die "mailferry binary $MAILFERRY not found"
MAILFERRY="$(cd "$(dirname "$MAILFERRY")" && pwd -P)/$(basename "$MAILFERRY")"
if ((need_proxy)); then
    [[ -x $FAULT_PROXY ]] || die "fault_proxy binary $FAULT_PROXY not found"
    FAULT_PROXY="$(cd "$(dirname "$FAULT_PROXY")" && pwd -P)/$(basename "$FAULT_PROXY")"
fi

# mbsync 1.4 matches the certificate against DNS names only (not IP SANs), so
# it is pointed at "localhost" (in the certificate).  That name must resolve to
# 127.0.0.1 (Dovecot and the proxy listen there only), and to nothing but loopback.
check_localhost() {
    local addrs a
    addrs=$(getent ahosts localhost | awk '{ print $1 }' | sort -u | tr '\n' ' ')
    [[ " $addrs" == *" 127.0.0.1 "* ]] || die "localhost does not resolve to 127.0.0.1 ($addrs): mbsync needs it"
    for a in $addrs; do
        [[ $a == 127.0.0.1 || $a == ::1 ]] || die "localhost resolves to $a too, not loopback: refusing to point mbsync at it"
    done
}
check_localhost

# --------------------------------------------------------------- work dir ---
mkdir -p "$WORK_PARENT"
# Room for the source account, the cache, the Maildir and every target account
# (about 20 KB a message each).
need_msgs=$((MESSAGES * (3 + ${#ROWS[@]} * RUNS)))
avail_kb=$(df -Pk "$WORK_PARENT" | awk 'NR == 2 { print $4 }')
if ((need_msgs * 20 + 1048576 > avail_kb)); then
    die "about $((need_msgs * 20 / 1024)) MB are needed under $WORK_PARENT, $((avail_kb / 1024)) MB are free"
fi
W=$(mktemp -d "$WORK_PARENT/mf-rbench.XXXXXX")
# As root, Dovecot's auth (user dovecot) and mail (nobody) processes must reach the server dirs.
chmod 0755 "$W"
SRC="$W/src"   # source Dovecot (maildir)
TGT="$W/tgt"   # target Dovecot (mdbox users t1, t2, ...)
((${#TGT} <= 70)) || die "work directory path too long for the harness (unix sockets): use a shorter --workdir"
SRC_PID="" TGT_PID="" PROXY_PID="" TIMED_PID=""

is_pid_of() {  # is_pid_of PID WORD: PID is alive and its command line mentions WORD
    [[ $1 =~ ^[0-9]+$ && -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "$2"
}

stop_proxy() {
    [[ -n $PROXY_PID ]] || return 0
    if is_pid_of "$PROXY_PID" fault_proxy; then
        kill -TERM "$PROXY_PID" 2>/dev/null || true
    fi
    wait "$PROXY_PID" 2>/dev/null || true
    PROXY_PID=""
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $TIMED_PID ]]; then  # interrupted during a timed run: the client and its time
        local kids
        kids=$(pgrep -P "$TIMED_PID" 2>/dev/null || true)
        # shellcheck disable=SC2086
        kill -TERM $kids "$TIMED_PID" 2>/dev/null || true
    fi
    stop_proxy
    local d p
    for d in "$SRC:$SRC_PID" "$TGT:$TGT_PID"; do
        p=${d##*:} d=${d%:*}
        [[ -n $p ]] || continue
        "$HARNESS" stop "$d" >/dev/null 2>&1 || true
        if is_pid_of "$p" dovecot; then kill -TERM "$p" 2>/dev/null || true; fi
    done
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
count_files() {  # message files of a Maildir / Maildir++ tree
    find "$1" -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l
}

median() {  # median of the numbers given as arguments ("n/a" for none)
    printf '%s\n' "$@" | sed '/^$/d' | sort -g | awk '{a[NR]=$1} END {
        if (NR == 0) { print "n/a"; exit }
        if (NR % 2) { print a[(NR+1)/2]; exit }
        m = sprintf("%.3f", (a[NR/2] + a[NR/2+1]) / 2); sub(/0+$/, "", m); sub(/\.$/, "", m); print m }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
mb() { awk -v k="$1" 'BEGIN { if (k ~ /^[0-9.]+$/) printf "%.1f", k / 1024; else print "n/a" }'; }  # KB -> MB (MiB)
json_array() { local IFS=,; echo "[$*]"; }
json_num() { if [[ $1 =~ ^[0-9.]+$ ]]; then echo "$1"; else echo null; fi; }
json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }

# Runs a command under GNU time; sets T_WALL T_CPU (user + sys) T_SYS T_RSS (KB).  Returns the
# command's exit status.  (In the background + wait, so that a signal stops the benchmark at once.)
timed() {
    local tf="$W/time.out" rc=0
    rm -f "$tf"
    "$GNU_TIME" -o "$tf" -f '%e %U %S %M' "$@" &
    TIMED_PID=$!
    wait "$TIMED_PID" || rc=$?
    TIMED_PID=""
    local e="" u="" s="" m=""
    read -r e u s m < <(tail -n 1 "$tf" 2>/dev/null) || true
    [[ $e =~ ^[0-9.]+$ && $m =~ ^[0-9]+$ ]] || { e=0 u=0 s=0 m=0; ((rc)) || rc=125; }  # no figures: invalid
    T_WALL=$e
    T_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
    T_SYS=$s
    T_RSS=$m
    return "$rc"
}

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

# CPU use of everything else, sampled over 2 s (or $1 s) while this script is
# idle: "37%" = 37% of all CPUs busy.
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
QUIET_WAITED=0
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
    note "generating $MESSAGES messages (seed $SEED)..."
    local out
    out=$("$HARNESS" gen "$SRC" "$SRC_USER" "$MESSAGES" --seed "$SEED" 2>&1) || { echo "$out" >&2; die "dovecot-harness gen failed"; }
    note "$out"
    read -r SRV_MESSAGES SRV_BYTES SRV_FOLDERS < <(doveadm -c "$SRC_CONF" -f tab mailbox status -u "$SRC_USER" \
        "messages vsize" '*' | awk -F'\t' 'NR > 1 { m += $2; b += $3; f++ } END { print m + 0, b + 0, f + 0 }')
    ((SRV_MESSAGES == MESSAGES)) || die "the source holds $SRV_MESSAGES messages, expected $MESSAGES"
}

# Untimed: mailferry fetches the source account into the cache that every
# mailferry run replays (from a copy: see fresh_cache).
prepare_cache() {
    note "fetching the source into the cache (untimed)"
    local rc=0 got
    "$MAILFERRY" fetch "$W/cache" --from "imaps://$SRC_USER@127.0.0.1:$SRC_PORT" --password-file "$W/password.src" \
        --ca-file "$SRC_CA" --no-progress --json >"$W/fetch.json" 2>"$W/fetch.err" || rc=$?
    ((rc == 0)) || { cat "$W/fetch.err" >&2; die "mailferry fetch exited with status $rc"; }
    grep -q '"ok": true' "$W/fetch.json" || { cat "$W/fetch.json" "$W/fetch.err" >&2; die "mailferry fetch did not report ok"; }
    got=$(count_files "$W/cache/mail")
    ((got == MESSAGES)) || die "the cache holds $got messages, the source $MESSAGES"
}

# Untimed: mbsync pulls the source account into the Maildir that every mbsync
# run pushes (its files then carry mbsync's UIDs, so no run renames them).
prepare_maildir() {
    note "pulling the source into a Maildir with mbsync (untimed)"
    local md="$W/maildir" rc=0 got
    mkdir -p "$md" "$W/pull-state"
    cat >"$W/mbsyncrc.pull" <<EOF
FSync no

IMAPAccount source
Host localhost
Port $SRC_PORT
User $SRC_USER
PassCmd "cat $W/password.src"
SSLType IMAPS
CertificateFile $SRC_CA

IMAPStore far
Account source

MaildirStore near
Path $md/
Inbox $md/INBOX
SubFolders Verbatim

Channel pull
Far :far:
Near :near:
Patterns *
Create Near
Sync Pull
SyncState $W/pull-state/
EOF
    mbsync -c "$W/mbsyncrc.pull" -a >"$W/mbsync-pull.log" 2>&1 || rc=$?
    ((rc == 0)) || { tail -n 20 "$W/mbsync-pull.log" >&2; die "mbsync pull exited with status $rc"; }
    got=$(count_files "$md")
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
            cat >"$W/out/mbsyncrc.$tag" <<EOF
IMAPAccount target
Host localhost
Port $port
User $user
PassCmd "cat $W/password.tgt"
SSLType IMAPS
CertificateFile $TGT_CA

IMAPStore far
Account target

MaildirStore near
Path $W/maildir/
Inbox $W/maildir/INBOX
SubFolders Verbatim

Channel push
Far :far:
Near :near:
Patterns *
Create Far
Sync Push
SyncState $W/out/mbsync-state.$tag/
EOF
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
    local cpu
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    MACHINE_NPROC=$(nproc)
    MACHINE_KERNEL=$(uname -r)
    MACHINE_CPU=${cpu:-unknown}
    echo "machine:   nproc $MACHINE_NPROC, kernel $MACHINE_KERNEL, $MACHINE_CPU"
    local tree
    tree=$(git -C "$REPO" log -1 --format=%h 2>/dev/null || true)
    [[ -z $tree || -z $(git -C "$REPO" status --porcelain --untracked-files=no -- src include 2>/dev/null) ]] || tree+=" + changes in src"
    MACHINE_TREE=${tree:-unknown}
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
echo "other CPU: $LOAD_START before, $LOAD_END after the runs (busy share of all CPUs, 2 s samples)$( ((QUIET_WAIT)) && echo "; waited ${QUIET_WAITED}s for quiet")"
echo "mailbox:   $SRV_MESSAGES messages in $SRV_FOLDERS folders, $SRV_BYTES bytes ($(awk -v b="$SRV_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }') MiB, RFC822.SIZE)"
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
        echo "  \"machine\": {\"nproc\": $MACHINE_NPROC, \"kernel\": $(json_str "$MACHINE_KERNEL"), \"cpu\": $(json_str "$MACHINE_CPU")}, \"tree\": $(json_str "$MACHINE_TREE"),"
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
