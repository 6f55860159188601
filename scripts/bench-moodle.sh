#!/usr/bin/env bash
# make bench-moodle: the event paths of issue 12 on the real Moodle sites of test-moodle
# (target/moodle/<v>/moodle: Moodle 4.5.6 and 5.1.3 with local_archiving and the bridge
# installed by scripts/moodle/run.sh), through Moodle's PHPUnit bootstrap: instructions per
# event under callgrind and the time per event, one table per version (bench/README.md,
# "Inside Moodle").
#
#   scripts/bench-moodle.sh [events] [rounds] [versions...]   default: 2000 7 45 51
#
# BENCH_MOODLE_CALLGRIND=0 leaves out the callgrind runs (only the timing runs are made,
# no instruction counts). Moodle starts through the site's own lib/phpunit/bootstrap.php
# (bench/moodle/bootstrap.php), so the database is the one config.php names.
# PostgreSQL: the cluster of run.sh (target/moodle/pg), on the port and socket folder of the
# sites' config.php. MOODLE_PGPORT set and not that port: run.sh setup (with it) rewrites
# config.php first. Already running on that port (a test-moodle beside us): used as it is and
# left running; on another port: an error. Else started here and stopped on exit. Sites
# missing: run.sh setup makes them (it needs root and ../shared/moodle); without the test
# material this prints SKIPPING and exits 0.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
EVENTS=${1:-2000}
ROUNDS=${2:-7}
shift 2 2>/dev/null || shift $#
VERSIONS=${*:-45 51}
WARM=20
CALLGRIND=${BENCH_MOODLE_CALLGRIND:-1}
WORK=$REPO/target/moodle
OUT=$REPO/target/bench-moodle
EXT=$REPO/target/release/libmoodle_events.so

SHARED=${MOODLE_SHARED:-$REPO/../shared/moodle}
[ -f "$SHARED/moodle-4.5.6.tar.xz" ] || [ ! -d "$SHARED/moodle" ] || SHARED=$SHARED/moodle

site_ready() { # <v>: the site, its PHPUnit test site and the bridge are installed
    [ -f "$WORK/$1/.installed" ] && [ -f "$WORK/$1/.phpunit" ] && [ -f "$WORK/$1/moodle/config.php" ] &&
        [ -f "$WORK/$1/moodle/vendor/autoload.php" ] && [ -f "$WORK/pg/data/PG_VERSION" ]
}
missing=""
for v in $VERSIONS; do
    site_ready "$v" || missing="$missing $v"
done
if [ -n "$missing" ]; then
    if [ ! -f "$SHARED/local_archiving-1.0.0-with-subplugins.tar.xz" ]; then
        echo "bench-moodle: SKIPPING: no Moodle site for:$missing (target/moodle/<v>, made by make" \
            "moodle-sites) and no test material to make them ($SHARED; MOODLE_SHARED)"
        exit 0
    fi
    echo "bench-moodle: making the sites:$missing (scripts/moodle/run.sh setup)"
    bash "$REPO/scripts/moodle/run.sh" setup $missing
    for v in $missing; do
        if ! site_ready "$v"; then
            echo "bench-moodle: SKIPPING Moodle $v: no site after run.sh setup (its tarball missing, or its" \
                "PostgreSQL cluster outside target/moodle/pg, which run.sh removes on exit)"
            VERSIONS=$(echo " $VERSIONS " | sed "s/ $v / /")
        fi
    done
    [ -n "${VERSIONS// /}" ] || exit 0
fi
[ -f "$EXT" ] || { echo "bench-moodle: $EXT is missing: run make build" >&2; exit 1; }
if [ "$CALLGRIND" != 0 ] && ! command -v valgrind >/dev/null; then
    echo "bench-moodle: valgrind is missing (scripts/deps.sh installs it)" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "bench-moodle: must run as root (its PostgreSQL cluster runs as the postgres user, like run.sh)" >&2
    exit 1
fi

# The same PHP as run.sh: the host's PHP 8.2 with target/moodle/php (the extension).
export PHP_INI_SCAN_DIR="/etc/php/8.2/cli/conf.d:$WORK/php"
php -r 'exit(extension_loaded("moodle_events") && extension_loaded("pgsql") ? 0 : 1);' ||
    { echo "bench-moodle: php lacks moodle_events or pgsql ($WORK/php)" >&2; exit 1; }

### PostgreSQL #########################################################################
# The cluster of run.sh (target/moodle/pg), on exactly the port and socket folder that the
# sites' config.php name (run.sh writes them there: $CFG->dboptions dbport, dbsocket).
PGBIN=/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -V | tail -n 1)/bin
PGDATA=$WORK/pg/data
PGSTARTED=""
pg_as() { runuser -u postgres -- "$@"; }
pg_running() { pg_as "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }
pg_stop() {
    if [ -n "$PGSTARTED" ]; then
        pg_as "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
    fi
}
trap pg_stop EXIT
trap 'exit 130' INT TERM
# site_db: PGPORT and PGRUN from the config.php of every version; fails unless all name the
# same port and socket folder.
site_db() {
    local v cfg port sock
    PGPORT="" PGRUN=""
    for v in $VERSIONS; do
        cfg=$WORK/$v/moodle/config.php
        port=$(sed -n "s/.*'dbport' => \([0-9]\{1,5\}\)[],].*/\1/p" "$cfg" | head -n 1)
        sock=$(sed -n "s/.*'dbsocket' => '\([^']*\)'[],].*/\1/p" "$cfg" | head -n 1)
        [ -n "$port" ] && [ -n "$sock" ] || return 1
        if [ -n "$PGPORT" ] && { [ "$port" != "$PGPORT" ] || [ "$sock" != "$PGRUN" ]; }; then
            return 1
        fi
        PGPORT=$port PGRUN=$sock
    done
}
# MOODLE_PGPORT given and not the port of config.php (or the versions disagree): run.sh
# setup rewrites config.php for it (the sites and the test site are reused).
if ! site_db || { [ -n "${MOODLE_PGPORT:-}" ] && [ "$MOODLE_PGPORT" != "$PGPORT" ]; }; then
    if pg_running; then
        echo "bench-moodle: the sites' config.php do not name port ${MOODLE_PGPORT:-(one port)} and the" \
            "PostgreSQL of target/moodle/pg is running (a test-moodle?): run this again when it is done" >&2
        exit 1
    fi
    echo "bench-moodle: writing the sites' config.php for port ${MOODLE_PGPORT:-of run.sh} (scripts/moodle/run.sh setup)"
    mkdir -p "$OUT"
    bash "$REPO/scripts/moodle/run.sh" setup $VERSIONS >"$OUT/setup.log" 2>&1 ||
        { tail -n 30 "$OUT/setup.log" >&2; exit 1; }
    site_db || { echo "bench-moodle: the sites' config.php still name no single port" >&2; exit 1; }
fi
if pg_running; then
    # postmaster.pid: line 4 the port, line 5 the socket folder.
    if [ "$(sed -n 4p "$PGDATA/postmaster.pid")" != "$PGPORT" ] || [ "$(sed -n 5p "$PGDATA/postmaster.pid")" != "$PGRUN" ]; then
        echo "bench-moodle: the PostgreSQL of target/moodle/pg is running on port" \
            "$(sed -n 4p "$PGDATA/postmaster.pid"), not on the port $PGPORT of the sites' config.php" \
            "(a test-moodle?): run this again when it is done" >&2
        exit 1
    fi
    echo "bench-moodle: using the running PostgreSQL of target/moodle/pg (port $PGPORT); it is left running"
else
    mkdir -p "$PGRUN"
    chown postgres:postgres "$PGRUN"
    if ! pg_as "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/pg/bench-server.log" -w -t 60 \
        -o "-k '$PGRUN' -p $PGPORT -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >"$WORK/pg/bench-start.log" 2>&1; then
        echo "bench-moodle: PostgreSQL did not start (port $PGPORT; $WORK/pg/bench-start.log, bench-server.log)" >&2
        tail -n 20 "$WORK/pg/bench-server.log" >&2 || true
        exit 1
    fi
    PGSTARTED=1
    echo "bench-moodle: PostgreSQL of target/moodle/pg started on port $PGPORT, as config.php says (stopped on exit)"
fi

### The runs ###########################################################################
root_of() { echo "$WORK/$1/moodle"; }
dirroot_of() { if [ "$1" = 45 ]; then root_of "$1"; else echo "$(root_of "$1")/public"; fi; }
mkdir -p "$OUT"
t0=$(date +%s)
for v in $VERSIONS; do
    # The bridge the site runs: installed by run.sh from the generator; php/ is the generated tree.
    installed=$(dirroot_of "$v")/local/archiving/classes/event/archiving_event_base.php
    if ! cmp -s "$installed" "$REPO/php/local/archiving/classes/event/archiving_event_base.php"; then
        echo "bench-moodle: NOTE: the bridge installed in Moodle $v differs from php/: make moodle-sites installs the current one"
    fi
done
# Callgrind: both versions at once (instruction counts do not depend on the load), each one
# process whose segments are cut at every convert_uuencode() (--dump-before=php_uuencode).
pids=""
if [ "$CALLGRIND" != 0 ]; then
    for v in $VERSIONS; do
        rm -rf "$OUT/cg-$v"
        mkdir -p "$OUT/cg-$v"
        BENCH_MOODLE_ROOT=$(root_of "$v") BENCH_PLAN=$OUT/cg-$v/plan \
            valgrind --tool=callgrind --dump-before=php_uuencode --dump-instr=no \
            --callgrind-out-file="$OUT/cg-$v/cg.out" --log-file="$OUT/cg-$v/valgrind.log" \
            php "$REPO/bench/moodle/bench.php" callgrind "$EVENTS" "$WARM" >"$OUT/cg-$v/stdout.log" 2>&1 &
        pids="$pids $!"
    done
    echo "bench-moodle: callgrind, $EVENTS events per path, versions $VERSIONS (about a minute and a half)"
    failed=""
    i=0
    for pid in $pids; do
        i=$((i + 1))
        v=$(echo $VERSIONS | cut -d' ' -f$i)
        wait "$pid" || failed="$failed $v"
    done
    for v in $failed; do
        echo "bench-moodle: the callgrind run of Moodle $v failed:" >&2
        tail -n 30 "$OUT/cg-$v/stdout.log" >&2
        exit 1
    done
fi
# Timing: one version after the other, nothing else of ours running.
for v in $VERSIONS; do
    if ! BENCH_MOODLE_ROOT=$(root_of "$v") php "$REPO/bench/moodle/bench.php" time "$EVENTS" "$ROUNDS" \
        >"$OUT/time-$v.json" 2>"$OUT/time-$v.log"; then
        echo "bench-moodle: the timing run of Moodle $v failed:" >&2
        tail -n 30 "$OUT/time-$v.log" "$OUT/time-$v.json" >&2
        exit 1
    fi
done
for v in $VERSIONS; do
    cg=-
    [ "$CALLGRIND" = 0 ] || cg=$OUT/cg-$v
    php "$REPO/bench/moodle/report.php" "${v:0:1}.${v:1}" "$cg" "$OUT/time-$v.json" "$EVENTS" | tee "$OUT/report-$v.txt"
done
echo
echo "bench-moodle: $EVENTS events per path, $ROUNDS timing rounds, took $(($(date +%s) - t0))s (results in target/bench-moodle)"
