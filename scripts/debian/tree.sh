#!/usr/bin/env bash
# tree.sh DIR SUITE [PACKAGE...]: a minimal Debian tree of SUITE (debootstrap
# --variant=minbase) holding PACKAGEs, from the machine's own Debian mirror. Made once:
# DIR/.made-with records the suite and packages, and a tree made with others is made
# again. Needs root (and debootstrap, which scripts/deps.sh installs).
set -euo pipefail
. "$(dirname "$0")/mirror.sh"
dir=$1 suite=$2
shift 2
want="$suite $*"
if [ -f "$dir/.made-with" ] && [ "$(cat "$dir/.made-with")" = "$want" ]; then
    exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "tree.sh: making a Debian tree needs root" >&2; exit 1; }
mirror=$(apt_mirror)
include=$(IFS=,; echo "$*")
log="$dir.log"
rm -rf "$dir.tmp"
mkdir -p "$(dirname "$dir")"
echo "tree.sh: debootstrap $suite into $dir${include:+ with $include} (about two minutes)"
if ! debootstrap --variant=minbase ${include:+--include="$include"} "$suite" "$dir.tmp" "$mirror" >"$log" 2>&1; then
    tail -20 "$log" >&2
    echo "tree.sh: debootstrap failed (log: $log)" >&2
    exit 1
fi
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "$want" >"$dir/.made-with"
