#!/bin/bash
# make bench-paths: instructions per event of create(), create_from_job() and
# create_from_event() (bench/paths.php), as callgrind counts them: a run of 1 event and a
# run of 1001, the difference divided by 1000 (start-up cancels out). Needs valgrind.
set -euo pipefail
ext=${1:?usage: bench-paths.sh EXTENSION.so}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
total() {
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" php -n -d extension="$ext" \
        bench/paths.php "$1" "$2" >/dev/null 2>&1
    callgrind_annotate "$out/cg" | awk '/PROGRAM TOTALS/ && !done { gsub(",", "", $1); print $1; done = 1 }'
}
for path in create job event; do
    one=$(total "$path" 1)
    many=$(total "$path" 1001)
    printf '%-7s %6d instructions per event\n' "$path" $(( (many - one) / 1000 ))
done
