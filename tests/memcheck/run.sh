#!/usr/bin/env bash
# Memory check of the moodle_events extension: runs every tests/memcheck/*.php script (or
# the ones named) under valgrind memcheck with PHP's own allocator off, so every emalloc
# is a malloc valgrind tracks.
#
#   tests/memcheck/run.sh path/to/libmoodle_events.so [script.php ...]
#
# A script fails on any valgrind error (invalid read/write, uninitialised value, bad free…),
# on any definitely or indirectly lost block, on an exit code other than the one its
# "// memcheck-exit: N" line declares (0 by default), or when the last line of its output
# is not "OK". The failing script's output and full valgrind report are printed.
#
# Scripts marked "// memcheck-bailout" end in a fatal error. A fatal error longjmps out of
# every frame under way, so PHP itself (with or without the extension) leaks what those
# frames held: the main script's op_array, the closure being called, its arguments. With
# the Zend allocator that memory goes with the request's heap; under USE_ZEND_ALLOC=0
# valgrind reports it as definitely lost, and so is the request memory (emalloc) that
# the extension's own bailed-out frames held. In those scripts a lost block counts only
# when the extension allocated it on the C heap itself (the frame calling malloc is in
# the extension: Rust's allocator), since nothing frees such a block at request end;
# valgrind errors always count.
# MEMCHECK_JOBS (default: the number of CPUs) scripts run at once; MEMCHECK_VALGRIND_ARGS
# adds valgrind options (e.g. --track-origins=yes to find where an uninitialised value
# came from).
set -u

if [ $# -lt 1 ] || [ ! -f "$1" ]; then
    echo "usage: $0 EXT_SO [script.php ...]" >&2
    exit 2
fi
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
EXT=$(realpath "$1")
shift
HERE=$(cd "$(dirname "$0")" && pwd)
PHP=${PHP:-php}

if [ $# -gt 0 ]; then
    SCRIPTS=()
    for s in "$@"; do
        [ -f "$s" ] || s="$HERE/$s"
        SCRIPTS+=("$(realpath "$s")")
    done
else
    mapfile -t SCRIPTS < <(find "$HERE" -maxdepth 1 -name '*.php' ! -name common.php | sort)
fi

OUT=$(mktemp -d "${TMPDIR:-/tmp}/memcheck.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

SUPP=()
[ -f "$HERE/php.supp" ] && SUPP=(--suppressions="$HERE/php.supp")

# Runs one script; writes NAME.out (its output), NAME.vg (valgrind), NAME.result.
run_one() {
    local script=$1 name expected rc start verdict="" leakkinds=definite,indirect bailout=0
    name=$(basename "$script" .php)
    if grep -q '^// memcheck-bailout' "$script"; then
        bailout=1
        leakkinds=none
    fi
    expected=$(sed -n 's|^// memcheck-exit: *\([0-9]*\).*|\1|p' "$script" | head -n 1)
    expected=${expected:-0}
    start=$SECONDS
    (cd "$HERE" && USE_ZEND_ALLOC=0 ZEND_DONT_UNLOAD_MODULES=1 timeout 600 valgrind \
        --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=$leakkinds --error-exitcode=99 --num-callers=30 \
        ${MEMCHECK_VALGRIND_ARGS:-} "${SUPP[@]}" --log-file="$OUT/$name.vg" \
        "$PHP" -n -d extension="$EXT" -d pcre.jit=0 -d display_errors=1 -d error_reporting=-1 \
        -d memory_limit=-1 "$script" >"$OUT/$name.out" 2>&1 </dev/null)
    rc=$?
    local errors definite indirect last
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$OUT/$name.vg" | tail -n 1 | tr -d ,)
    definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$OUT/$name.vg" | tail -n 1 | tr -d ,)
    indirect=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$OUT/$name.vg" | tail -n 1 | tr -d ,)
    last=$(tail -n 1 "$OUT/$name.out")
    [ -z "$errors" ] && verdict+="no valgrind summary (crash or timeout?); "
    [ "${errors:-0}" != 0 ] && verdict+="$errors valgrind errors; "
    if [ "$bailout" = 1 ]; then
        # Loss records whose allocator (malloc, realloc…) was called by the extension.
        awk -v so="$(basename "$EXT")" '
             /are (definitely|indirectly) lost in loss record/ { rec = $0 "\n"; inrec = 1; line = 0; mine = 0; next }
             inrec { rec = rec $0 "\n"; line++
                     if (line == 2 && index($0, "(in ") && index($0, so)) mine = 1
                     if ($0 ~ /^==[0-9]+== *$/) { if (mine) { printf "%s", rec; n++ }; inrec = 0 } }
             END { exit n > 0 }' "$OUT/$name.vg" >"$OUT/$name.extleaks" ||
            verdict+="$(grep -c 'lost in loss record' "$OUT/$name.extleaks") blocks the extension allocated on the C heap lost (after the bailout); "
    else
        [ "${definite:-0}" != 0 ] && verdict+="$definite bytes definitely lost; "
        [ "${indirect:-0}" != 0 ] && verdict+="$indirect bytes indirectly lost; "
    fi
    grep -q 'Process terminating with default action' "$OUT/$name.vg" && verdict+="killed by a signal; "
    [ "$rc" != "$expected" ] && verdict+="exit code $rc, expected $expected; "
    [ "$last" != OK ] && verdict+="last output line is not OK; "
    printf '%s\t%s\t%s\n' "$name" "$((SECONDS - start))" "${verdict:-ok}" >"$OUT/$name.result"
}

JOBS=${MEMCHECK_JOBS:-$(nproc 2>/dev/null || echo 2)}
echo "memcheck: ${#SCRIPTS[@]} scripts, $JOBS at a time, extension $EXT"
START=$SECONDS
running=0
for script in "${SCRIPTS[@]}"; do
    if [ "$running" -ge "$JOBS" ]; then
        wait -n
        running=$((running - 1))
    fi
    run_one "$script" &
    running=$((running + 1))
done
wait

failed=0
for script in "${SCRIPTS[@]}"; do
    name=$(basename "$script" .php)
    IFS=$'\t' read -r _ secs verdict <"$OUT/$name.result"
    if [ "$verdict" = ok ]; then
        printf '  ok    %-24s %4ss\n' "$name" "$secs"
    else
        printf '  FAIL  %-24s %4ss  %s\n' "$name" "$secs" "$verdict"
        failed=$((failed + 1))
    fi
done
for script in "${SCRIPTS[@]}"; do
    name=$(basename "$script" .php)
    grep -q $'\tok$' "$OUT/$name.result" && continue
    echo
    echo "======== $name.php: output ========"
    cat "$OUT/$name.out"
    if [ -s "$OUT/$name.extleaks" ]; then
        echo "======== $name.php: C-heap blocks the extension allocated, lost ========"
        cat "$OUT/$name.extleaks"
    fi
    echo "======== $name.php: valgrind report ========"
    cat "$OUT/$name.vg"
done
echo "memcheck: $((${#SCRIPTS[@]} - failed)) passed, $failed failed in $((SECONDS - START))s"
[ "$failed" -eq 0 ]
