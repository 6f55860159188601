#!/usr/bin/env bash
# The phpize route, as PECL-style installs, setup-php and PIE take it (make test-phpize):
# in a clean copy of the repository's tracked files, phpize, configure
# --enable-moodle-events, make, make install into a staging root; then the installed
# extension, loaded by name from that extension_dir, must show its versions in
# php --ri and run the demo. The copy builds from scratch (its own cargo target folder).
set -euo pipefail
root=$(realpath "$(dirname "$0")/..")
work=$root/target/phpize-check
copy=$work/src stage=$work/root
rm -rf "$work"
mkdir -p "$copy"
git -C "$root" ls-files -z | (cd "$root" && xargs -0 cp --parents -t "$copy")
cd "$copy"
step() { echo "test-phpize: $*"; }
step "phpize"
phpize >"$work/phpize.log" 2>&1 || { cat "$work/phpize.log"; exit 1; }
step "./configure --enable-moodle-events"
./configure --enable-moodle-events >"$work/configure.log" 2>&1 || { tail -30 "$work/configure.log"; exit 1; }
step "make (cargo build --release, from scratch)"
make >"$work/make.log" 2>&1 || { tail -40 "$work/make.log"; exit 1; }
step "make install INSTALL_ROOT=$stage"
make install INSTALL_ROOT="$stage" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
extdir=$stage$(php-config --extension-dir)
[ -f "$extdir/moodle_events.so" ] || { echo "test-phpize: no moodle_events.so in $extdir" >&2; exit 1; }
php_ext() { php -n -d extension_dir="$extdir" -d extension=moodle_events "$@"; }
info=$(php_ext --ri moodle_events)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)
catalogue=$(php -r 'echo json_decode(file_get_contents($argv[1]), true)["version"];' "$root/catalogue/events.json")
for want in "version => $version" "catalogue version => $catalogue"; do
    grep -qxF "$want" <<<"$info" || { echo "test-phpize: php --ri moodle_events lacks '$want':" >&2; echo "$info" >&2; exit 1; }
done
php_ext "$root/examples/demo.php" >"$work/demo.log" 2>&1 || { cat "$work/demo.log"; exit 1; }
step "ok: $extdir/moodle_events.so (moodle_events $version, catalogue $catalogue), demo ran"
