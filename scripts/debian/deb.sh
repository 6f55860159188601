#!/usr/bin/env bash
# deb.sh SO OUTDIR: packages a built moodle_events.so as php<X.Y>-moodle-events for the PHP
# of this system's php-config (run it where that PHP is: the host for 8.2, the Debian 13
# tree for 8.4): the .so in that PHP's extension_dir, mods-available/moodle_events.ini
# for phpenmod (enabled for every SAPI on install, disabled on removal), and a dependency
# on that PHP's API (phpapi-YYYYMMDD) and on the C libraries the .so links. Prints the path.
set -euo pipefail
so=$(realpath "$1")
out=$2
root=$(realpath "$(dirname "$0")/../..")
phpv=$(php-config --version | cut -d. -f1,2)
phpapi=$(php-config --phpapi)
extdir=$(php-config --extension-dir)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)
catalogue=$(php -r 'echo json_decode(file_get_contents($argv[1]), true)["version"];' "$root/catalogue/events.json")
arch=$(dpkg --print-architecture)
pkg=php$phpv-moodle-events
glibc=$(objdump -T "$so" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
install -D -m 0644 "$so" "$stage$extdir/moodle_events.so"
strip --strip-unneeded "$stage$extdir/moodle_events.so"
install -d "$stage/etc/php/$phpv/mods-available" "$stage/DEBIAN" "$stage/usr/share/doc/$pkg"
cat >"$stage/etc/php/$phpv/mods-available/moodle_events.ini" <<INI
; moodle_events: validated, Rust-backed Moodle events (catalogue $catalogue).
; Enabled for every SAPI by phpenmod on install. Its php.ini settings
; (moodle_events.*) are listed by php --ri moodle_events and in the README.
; priority=20
extension=moodle_events.so
INI
echo "/etc/php/$phpv/mods-available/moodle_events.ini" >"$stage/DEBIAN/conffiles"
cp "$root/README.md" "$stage/usr/share/doc/$pkg/README.md"
printf 'moodle_events %s\nLicense: MIT OR Apache-2.0 (see Cargo.toml).\n' "$version" >"$stage/usr/share/doc/$pkg/copyright"
cp "$root/CHANGELOG.md" "$stage/usr/share/doc/$pkg/CHANGELOG.md"
gzip -9n "$stage/usr/share/doc/$pkg/CHANGELOG.md"
cat >"$stage/DEBIAN/control" <<CONTROL
Package: $pkg
Version: $version-1
Architecture: $arch
Maintainer: The moodle_events authors <moodle-events@localhost>
Section: php
Priority: optional
Depends: phpapi-$phpapi, php-common, libc6 (>= $glibc), libgcc-s1
Installed-Size: $(du -sk "$stage" | cut -f1)
Description: Validated, Rust-backed Moodle events (PHP $phpv extension)
 moodle_events gives the Moodle archiving system (local_archiving and its
 subplugins) validated events: catalogue $catalogue, version $version.
 Enabled with phpenmod for every SAPI of PHP $phpv on install.
CONTROL
cat >"$stage/DEBIAN/postinst" <<POSTINST
#!/bin/sh
set -e
# Enabled on a first install only: an upgrade keeps an admin's phpdismod.
if [ "\$1" = configure ] && [ -z "\$2" ] && command -v phpenmod >/dev/null; then
    phpenmod -v $phpv -s ALL moodle_events
fi
POSTINST
cat >"$stage/DEBIAN/prerm" <<PRERM
#!/bin/sh
set -e
if [ "\$1" = remove ] && command -v phpdismod >/dev/null; then
    phpdismod -v $phpv -s ALL moodle_events
fi
PRERM
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm"
mkdir -p "$out"
deb="$out/${pkg}_${version}-1_$arch.deb"
dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
echo "$deb"
