#!/usr/bin/env bash
# run-in.sh TREE COMMAND...: runs COMMAND in the Debian tree TREE (chroot) as root, with
# this project at /src and the host's Rust toolchain (~/.cargo, ~/.rustup) bind-mounted,
# cargo offline (the host's build has fetched every crate). The mounts are undone on exit.
# Needs root.
set -euo pipefail
tree=$(realpath "$1")
shift
src=$(realpath "$(dirname "$0")/../..")
cargo_home=${CARGO_HOME:-$HOME/.cargo}
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
[ "$(id -u)" -eq 0 ] || { echo "run-in.sh: needs root" >&2; exit 1; }
mounted=()
undo() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -l "${mounted[i]}" 2>/dev/null || true
    done
}
trap undo EXIT
bind() {
    mkdir -p "$tree$2"
    mount --bind "$1" "$tree$2"
    mounted+=("$tree$2")
}
bind "$src" /src
bind "$cargo_home" /opt/cargo
bind "$rustup_home" /opt/rustup
mount -t proc proc "$tree/proc" && mounted+=("$tree/proc")
bind /dev /dev
chroot "$tree" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
    PATH=/opt/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    CARGO_HOME=/opt/cargo RUSTUP_HOME=/opt/rustup CARGO_NET_OFFLINE=true \
    /bin/sh -c 'cd /src && exec "$@"' sh "$@"
