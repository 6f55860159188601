#!/bin/sh
# Installs the Debian 12 packages moodle_events needs, if any is missing.
# Run by `make` before building; uses sudo when not root.
set -eu
PKGS="php8.2-dev php8.2-cli php8.2-xml phpunit libclang-dev libphp8.2-embed valgrind g++ debootstrap"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "moodle_events: installing Debian packages:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
