#!/usr/bin/env bash
# Runs the PHP-level fuzzer (tests/fuzz/fuzz.php) once per seed, each in its own PHP process.
#
#   tests/fuzz/run.sh EXT_SO [iterations] [seed...]
#
# Defaults: 2000 iterations, seeds 1 2 3 4 (the CI slice: about 15 s on 2 cores).
# FUZZ_JOBS (default: the number of CPUs, at most 4) seeds run at a time; FUZZ_TIMEOUT
# (default 600) seconds per seed. A seed fails when its process exits non-zero, is killed by a
# signal or times out, or prints "Fatal error", a PHP warning/notice/deprecation or a Rust
# "panicked". The exit status is 0 only when every seed passed.
set -u

usage() {
    echo "usage: $0 EXT_SO [iterations] [seed...]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
ext=$1
shift
[ -f "$ext" ] || { echo "run.sh: no extension at $ext" >&2; exit 2; }
ext=$(cd "$(dirname "$ext")" && pwd)/$(basename "$ext")
iterations=${1:-2000}
[ $# -ge 1 ] && shift
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3 4)
case $iterations in '' | *[!0-9]*) usage ;; esac
for s in "${seeds[@]}"; do
    case $s in '' | *[!0-9-]*) usage ;; esac
done

here=$(cd "$(dirname "$0")" && pwd)
php=${PHP:-php}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
[ "$jobs" -gt 4 ] && jobs=4
timeout_s=${FUZZ_TIMEOUT:-600}
out=$(mktemp -d "${TMPDIR:-/tmp}/moodle_events_fuzz.XXXXXX")
trap 'rm -rf "$out"' EXIT

run_seed() {
    local seed=$1
    timeout "$timeout_s" "$php" -d extension="$ext" -d memory_limit=1G -d display_errors=stderr \
        -d log_errors=0 -d html_errors=0 -d error_reporting=-1 \
        "$here/fuzz.php" "$iterations" "$seed" >"$out/$seed.log" 2>&1
    echo $? >"$out/$seed.rc"
}

start=$(date +%s)
pids=()
for seed in "${seeds[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
        wait -n 2>/dev/null || sleep 0.2
    done
    run_seed "$seed" &
    pids+=($!)
done
wait "${pids[@]}" 2>/dev/null

failed=0
for seed in "${seeds[@]}"; do
    rc=$(cat "$out/$seed.rc" 2>/dev/null || echo 255)
    log=$out/$seed.log
    why=
    if [ "$rc" -eq 124 ]; then
        why="timed out after ${timeout_s}s"
    elif [ "$rc" -gt 128 ]; then
        why="killed by signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null || echo '?'))"
    elif [ "$rc" -ne 0 ]; then
        why="exit status $rc"
    fi
    if grep -qE '(^|PHP )(Fatal error|Warning|Notice|Deprecated|Parse error|Recoverable fatal error): |panicked' "$log"; then
        why="${why:+$why; }PHP error/warning or panic in the output"
    fi
    if [ -n "$why" ]; then
        failed=1
        echo "FAIL seed $seed: $why"
        sed -e 's/^/    /' "$log" | cut -c1-2000 | head -40
        echo "    replay: FUZZ_TRACE=1 $php -d extension=$ext -d memory_limit=1G $here/fuzz.php $iterations $seed"
    else
        echo "ok   seed $seed: $(tail -n 1 "$log")"
    fi
done
echo "fuzz: ${#seeds[@]} seeds x $iterations iterations in $(($(date +%s) - start))s: $([ $failed -eq 0 ] && echo passed || echo FAILED)"
exit $failed
