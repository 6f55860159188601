#!/usr/bin/env bash
# trixie.sh: makes (once) and prints the path of the project's Debian 13 tree: PHP 8.4
# with its headers and embed SAPI, PHPUnit 11.5, libclang, gcc and valgrind. The PHP 8.4
# build and tests (make test-php84) run in it, and Moodle 5.1's PHPUnit is taken from it
# (scripts/moodle/run.sh). Needs root.
set -euo pipefail
root=$(realpath "$(dirname "$0")/../..")
tree=$root/target/debian/trixie
bash "$root/scripts/debian/tree.sh" "$tree" trixie \
    php8.4-cli php8.4-dev php8.4-xml php8.4-mbstring libphp8.4-embed phpunit \
    libclang-dev gcc g++ valgrind make >&2
echo "$tree"
