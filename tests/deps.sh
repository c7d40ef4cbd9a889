# Installs what mailferry needs on Debian 12, for the demo and for the tests.
# Sourced by samples/demo.sh and tests/run-all.sh; runs apt-get as root or
# through sudo, and only when something is missing.

MAILFERRY_BUILD_PACKAGES="cmake make pkg-config g++ libetpan-dev libsqlite3-dev zlib1g-dev
  libboost-filesystem-dev catch2 python3 libcli11-dev nlohmann-json3-dev libssl-dev
  libcurl4-gnutls-dev libgnutls28-dev"
# Dovecot is the private test server the harness starts (never the system service).
MAILFERRY_SERVER_PACKAGES="dovecot-imapd dovecot-pop3d openssl procps"

mailferry_install_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${missing[*]}" >&2
    $sudo apt-get update -qq
    # Dovecot's package tries to start the system service; ours runs on its own ports anyway.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

mailferry_install_deps() {
    # shellcheck disable=SC2086
    mailferry_install_packages $MAILFERRY_BUILD_PACKAGES $MAILFERRY_SERVER_PACKAGES
}

# The OAuth2 test server (tests/harness/oauth2) runs on Node.js 20.18 or later
# with npm. Machines that already have them (often from NodeSource) keep
# theirs: Debian's npm package would conflict with that nodejs.
mailferry_install_node() {
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        mailferry_install_packages nodejs npm
    fi
    tests/harness/oauth2/oauth2-harness install
}
