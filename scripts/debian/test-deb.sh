#!/usr/bin/env bash
# test-deb.sh DEB: installs a php<X.Y>-moodle-events package the way a site admin
# does, into a clean Debian tree of its release that has only that PHP's CLI
# (apt-get install ./the.deb), then checks that phpenmod enabled it (php --ri shows both
# versions) and runs the demo, and that removing it disables it. The clean tree is made
# once (scripts/debian/tree.sh) and copied for each check. Needs root.
set -euo pipefail
deb=$(realpath "$1")
root=$(realpath "$(dirname "$0")/../..")
pkg=$(dpkg-deb -f "$deb" Package)
phpv=${pkg#php}
phpv=${phpv%-moodle-events}
case $phpv in
    8.2) suite=bookworm ;;
    8.4) suite=trixie ;;
    *) echo "test-deb: no Debian release known for PHP $phpv" >&2; exit 2 ;;
esac
base=$root/target/debian/clean-$suite
check=$root/target/debian/check-$suite
bash "$root/scripts/debian/tree.sh" "$base" "$suite" "php$phpv-cli"
rm -rf "$check"
cp -a "$base" "$check"
trap 'rm -rf "$check"' EXIT
in_tree() { bash "$root/scripts/debian/run-in.sh" "$check" "$@"; }
rel=${deb#"$root"/}
echo "test-deb: apt-get install ./$(basename "$deb") into a clean $suite tree with php$phpv-cli"
in_tree apt-get install -y -qq --no-install-recommends "./$rel" >"$check.log" 2>&1 || { cat "$check.log"; exit 1; }
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)
catalogue=$(php -r 'echo json_decode(file_get_contents($argv[1]), true)["version"];' "$root/catalogue/events.json")
info=$(in_tree php --ri moodle_events)
for want in "version => $version" "catalogue version => $catalogue"; do
    grep -qxF "$want" <<<"$info" || { echo "test-deb: php --ri moodle_events lacks '$want':" >&2; echo "$info" >&2; exit 1; }
done
in_tree php examples/demo.php >"$check.demo.log" 2>&1 || { cat "$check.demo.log"; exit 1; }
in_tree apt-get remove -y -qq "$pkg" >>"$check.log" 2>&1 || { cat "$check.log"; exit 1; }
if in_tree php -r 'exit(extension_loaded("moodle_events") ? 0 : 1);'; then
    echo "test-deb: still loaded after apt-get remove" >&2
    exit 1
fi
echo "test-deb: ok: $pkg installed, enabled (moodle_events $version, catalogue $catalogue), demo ran, removed"
