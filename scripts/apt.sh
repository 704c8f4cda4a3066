# Installs Debian packages with apt-get, as root or through sudo: the one
# way surge installs what it needs. Sourced (POSIX sh) by scripts/deps.sh and
# bench/tools.sh, which decide what is missing and word their own messages.
#
#   apt_install WHO REFUSAL PACKAGE...
#
# prints "WHO: installing PACKAGE ..." and installs the packages; when not
# root and sudo is missing, prints REFUSAL on stderr and exits 1. Leaves
# SUDO set ("sudo" or empty) for the caller's own root-only steps.

apt_install() {
    apt_who=$1
    apt_refusal=$2
    shift 2
    echo "$apt_who: installing $*"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO="sudo"
        else
            echo "$apt_refusal" >&2
            exit 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    # A fresh machine may have no package lists yet; update once, then install.
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "$@"
}
