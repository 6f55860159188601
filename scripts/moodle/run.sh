#!/usr/bin/env bash
# Real-Moodle tests of moodle_events: Moodle 4.5.6 and 5.1.3 with local_archiving, on a
# PostgreSQL cluster of our own, with Moodle's own PHPUnit (Debian 12's 9.6 for 4.5, Debian
# 13's 11.5 for 5.1, both run by the host's PHP 8.2 with the built extension).
#
#   scripts/moodle/run.sh setup [45] [51]   install (or reuse) the sites and their PHPUnit
#   scripts/moodle/run.sh test  [45] [51]   the same, then run the tests
#
# Test material comes from "$MOODLE_SHARED" (default: <repo>/../shared/moodle; a folder
# holding moodle/ is accepted too); without it this prints SKIPPING and exits 0.
# Everything lives under target/moodle/: the PostgreSQL cluster (started here, stopped on
# exit), per version <v>/moodle (code), <v>/data, <v>/phpunitdata, a PHP ini folder
# added to PHP_INI_SCAN_DIR (the system php.ini is untouched), and the Debian 13 tree that
# PHPUnit 11 comes from. Sites are reused on the next run; a broken one is reinstalled.
# System changes are install steps only: missing Debian packages (apt-get) and the
# en_AU.UTF-8 locale Moodle's PHPUnit needs. It runs as root (apt-get, chown, runuser).
#
# Per version: unpack, site install (a fresh site, without the bridge), the bridge
# installer (moodle-events-gen install), the site upgrade (proving an installed site
# upgrades cleanly with the classes installed) and cache purge, PHPUnit init, the tests.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
ACTION=${1:-test}
shift || true
VERSIONS=${*:-45 51}
case $ACTION in setup|test) ;; *) echo "usage: $0 setup|test [45] [51]" >&2; exit 2 ;; esac

SHARED=${MOODLE_SHARED:-$REPO/../shared/moodle}
[ -f "$SHARED/moodle-4.5.6.tar.xz" ] || [ ! -d "$SHARED/moodle" ] || SHARED=$SHARED/moodle
ARCHIVING=$SHARED/local_archiving-1.0.0-with-subplugins.tar.xz
if [ ! -f "$ARCHIVING" ]; then
    echo "test-moodle: SKIPPING: the real Moodle test material was not found: $ARCHIVING is missing" \
        "(MOODLE_SHARED: the folder with the Moodle and local_archiving tarballs; default ../shared/moodle)"
    exit 0
fi
SHARED=$(cd "$SHARED" && pwd)
ARCHIVING=$SHARED/local_archiving-1.0.0-with-subplugins.tar.xz

if [ "$(id -u)" -ne 0 ]; then
    echo "moodle: scripts/moodle/run.sh must run as root: it installs Debian packages, runs its" \
        "PostgreSQL cluster as the postgres user (chown, runuser) and generates a locale." \
        "Run it as root, e.g. sudo make test-moodle" >&2
    exit 1
fi

WORK=$REPO/target/moodle
EXT=$REPO/target/release/libmoodle_events.so
[ -f "$EXT" ] || { echo "moodle: $EXT is missing: run make build" >&2; exit 1; }
mkdir -p "$WORK"

SUMMARY=""
now() { date +%s.%N; }
# stage <version> <name> <command...>: runs the command, logs how long it took. A failing
# command ends the script (set -e: never call stage in a condition, which would turn it off).
stage() {
    local v=$1 name=$2 t0 t1 secs
    shift 2
    t0=$(now)
    echo "== moodle $v: $name"
    "$@"
    t1=$(now)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    echo "== moodle $v: $name took ${secs}s"
    SUMMARY="$SUMMARY$(printf '%-6s %-28s %8ss' "$v" "$name" "$secs")
"
}
# in_dir <dir> <command...>: runs the command in that folder (a subshell: no sh -c, no
# path spliced into a command line).
in_dir() {
    local dir=$1
    shift
    (cd "$dir" && "$@")
}
# php_str <text>: the text as a PHP single-quoted string literal.
php_str() {
    local s=${1//\\/\\\\}
    s=${s//\'/\\\'}
    printf "'%s'" "$s"
}
# sh_quote <text>: the text as one single-quoted sh word.
sh_quote() {
    printf "'%s'" "${1//\'/\'\\\'\'}"
}
# quiet <log> <command...>: runs the command into a log, shows its tail on failure.
quiet() {
    local log=$1
    shift
    if ! "$@" >"$log" 2>&1; then
        echo "moodle: failed: $* (log: $log)" >&2
        tail -n 60 "$log" >&2
        return 1
    fi
}

### System packages and locale (install steps, like scripts/deps.sh) ###################
system_deps() {
    local pkgs="postgresql php8.2-cli php8.2-pgsql php8.2-intl php8.2-mbstring php8.2-xml
        php8.2-zip php8.2-gd php8.2-curl php8.2-soap phpunit locales debootstrap xz-utils" missing="" p
    for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        echo "moodle: installing Debian packages:$missing"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
    fi
    if ! locale -a 2>/dev/null | grep -qix 'en_AU.utf8'; then
        echo "moodle: generating the en_AU.UTF-8 locale (Moodle's PHPUnit needs it)"
        localedef -i en_AU -c -f UTF-8 -A /usr/share/locale/locale.alias en_AU.UTF-8
    fi
}

### PHP: the host's PHP 8.2 with our own ini ###########################################
php_setup() {
    mkdir -p "$WORK/php"
    printf '; moodle_events real-Moodle tests (scripts/moodle/run.sh)\nmax_input_vars = 5000\nextension="%s"\n' \
        "$EXT" >"$WORK/php/moodle_events.ini"
    export PHP_INI_SCAN_DIR="/etc/php/8.2/cli/conf.d:$WORK/php"
    php -r 'exit(extension_loaded("moodle_events") && extension_loaded("pgsql") ? 0 : 1);' ||
        { echo "moodle: php lacks moodle_events or pgsql" >&2; exit 1; }
}

### PostgreSQL: our own cluster, unix socket only ######################################
PGPORT=${MOODLE_PGPORT:-55433}
PGDIR=$WORK/pg
PGFALLBACK=""   # the cluster's folder outside target/ (removed again by pg_stop), if any
PGBIN=""
pg_as() { runuser -u postgres -- "$@"; }
psql_do() { psql -X -q -v ON_ERROR_STOP=1 -h "$PGRUN" -p "$PGPORT" -U postgres -d postgres "$@"; }
pg_start() {
    PGBIN=/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -V | tail -n 1)/bin
    mkdir -p "$PGDIR"
    chown postgres:postgres "$PGDIR"
    if ! pg_as test -w "$PGDIR"; then
        # A parent folder of the clone is closed to other users (e.g. under /root): the
        # cluster of this clone goes to a folder of its own in the temporary directory.
        # That folder is removed again on exit: the sites are reinstalled on every run.
        PGDIR=${TMPDIR:-/tmp}/moodle_events-pg-$(printf '%s' "$REPO" | md5sum | cut -c1-12)
        echo "moodle: NOTE: the postgres user cannot reach $WORK/pg (a parent folder is closed to" \
            "other users): the PostgreSQL cluster lives OUTSIDE target/ in $PGDIR for this run;" \
            "it is removed on exit, so the sites are reinstalled on every run"
        rm -rf "$PGDIR"
        mkdir -p "$PGDIR"
        PGFALLBACK=$PGDIR
        chown postgres:postgres "$PGDIR"
        chmod 700 "$PGDIR"
    fi
    PGDATA=$PGDIR/data
    PGRUN=$PGDIR/run
    mkdir -p "$PGRUN"
    chown postgres:postgres "$PGRUN"
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
        rm -rf "$PGDATA"
        quiet "$PGDIR/initdb.log" pg_as "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --no-locale
    fi
    if ! pg_as "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        quiet "$PGDIR/start.log" pg_as "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDIR/server.log" -w -t 60 \
            -o "-k $(sh_quote "$PGRUN") -p $PGPORT -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start
    fi
    trap pg_stop EXIT
    trap 'exit 130' INT TERM
}
pg_stop() {
    [ -n "$PGBIN" ] && [ -n "${PGDATA:-}" ] && pg_as "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
    if [ -n "$PGFALLBACK" ]; then
        echo "moodle: removing the PostgreSQL cluster outside target/: $PGFALLBACK"
        rm -rf "$PGFALLBACK"
    fi
}

### PHPUnit 11 from Debian 13 (for Moodle 5.1) #########################################
# The project's Debian 13 tree (scripts/debian/trixie.sh, made with debootstrap from the
# machine's own Debian mirror); its /usr/share/php is copied to phpunit11/ with the
# autoloaders' absolute /usr/share/php/ paths pointed at the copy, so that the host's
# PHP 8.2 runs it.
phpunit11_setup() {
    local tree dest=$WORK/phpunit11 stamp
    tree=$(bash "$REPO/scripts/debian/trixie.sh")
    stamp="$dest $(cat "$tree/.made-with")"
    if [ -f "$dest/.ready" ] && [ "$(cat "$dest/.ready")" = "$stamp" ]; then
        return
    fi
    rm -rf "$dest"
    cp -a "$tree/usr/share/php" "$dest"
    # In PHP: the path goes into single-quoted PHP strings, escaped as such (no sed
    # expression to break on the path's characters).
    grep -rlZ "'/usr/share/php/" --include='*.php' "$dest" | xargs -0 -r php -r '
        $to = "\x27" . addcslashes($argv[1] . "/", "\x27\\");
        foreach (array_slice($argv, 2) as $file) {
            $text = file_get_contents($file);
            file_put_contents($file, str_replace("\x27/usr/share/php/", $to, $text)) !== false || exit(1);
        }
    ' "$dest"
    echo "$stamp" >"$dest/.ready"
}

### Per version #########################################################################
# vinit <v>: sets the version's variables.
vinit() {
    V=$1
    case $V in
        45) RELEASE=4.5.6 ;;
        51) RELEASE=5.1.3 ;;
        *) echo "moodle: unknown version $V (45 or 51)" >&2; exit 2 ;;
    esac
    TARBALL=$SHARED/moodle-$RELEASE.tar.xz
    D=$WORK/$V
    ROOT=$D/moodle                       # $CFG->root: config.php, admin/cli, vendor/
    DIRROOT=$ROOT                        # $CFG->dirroot: where plugins live
    [ "$V" = 45 ] || DIRROOT=$ROOT/public
    DB=moodle_events_$V
}

unpack() {
    local stamp
    stamp="$(stat -c '%s %Y' "$TARBALL" "$ARCHIVING" | tr '\n' ' ')"
    if [ -f "$D/.unpacked" ] && [ "$(cat "$D/.unpacked")" = "$stamp" ] && [ -f "$DIRROOT/version.php" ]; then
        echo "moodle $V: code already unpacked"
        return
    fi
    rm -rf "$ROOT" "$D/.unpacked" "$D/.installed"
    mkdir -p "$D"
    tar -xJf "$TARBALL" -C "$D"
    tar -xJf "$ARCHIVING" -C "$DIRROOT"
    if [ "$V" = 45 ]; then
        # The common case: a site without archivingmod_assign.
        rm -rf "$DIRROOT/local/archiving/driver/mod/assign"
    fi
    echo "$stamp" >"$D/.unpacked"
}

install_bridge() {
    quiet "$D/installer.log" in_dir "$REPO" cargo run -q --release --no-default-features --features gen \
        --bin moodle-events-gen -- install --moodle "$ROOT"
    echo "moodle $V: installer: $(tail -n 1 "$D/installer.log") (log: $D/installer.log)"
    if [ "$V" = 45 ] && [ -e "$DIRROOT/local/archiving/driver/mod/assign" ]; then
        echo "moodle $V: the installer created local/archiving/driver/mod/assign on a site without it" >&2
        exit 1
    fi
    echo "moodle $V: $(generated_tests | wc -l) generated event test files"
}

# The event tests the installer wrote (tests/event/*_test.php of local_archiving and of its
# subplugins, marked as generated), not the plugin's own tests.
generated_tests() {
    find "$DIRROOT/local/archiving" -path '*/tests/event/*_test.php' -type f -print0 |
        xargs -0 -r grep -l 'Generated by moodle-events-gen' | sort
}

write_config() {
    mkdir -p "$D/data" "$D/phpunitdata"
    cat >"$ROOT/config.php" <<EOF
<?php  // Moodle configuration file: moodle_events real-Moodle tests (scripts/moodle/run.sh).
unset(\$CFG);
global \$CFG;
\$CFG = new stdClass();
\$CFG->dbtype    = 'pgsql';
\$CFG->dblibrary = 'native';
\$CFG->dbhost    = 'localhost';
\$CFG->dbname    = '$DB';
\$CFG->dbuser    = 'postgres';
\$CFG->dbpass    = '';
\$CFG->prefix    = 'mdl_';
\$CFG->dboptions = ['dbpersist' => 0, 'dbport' => $PGPORT, 'dbsocket' => $(php_str "$PGRUN")];
\$CFG->wwwroot   = 'http://localhost/moodle$V';
\$CFG->dataroot  = $(php_str "$D/data");
\$CFG->admin     = 'admin';
\$CFG->directorypermissions = 02777;
\$CFG->phpunit_prefix = 'phpu_';
\$CFG->phpunit_dataroot = $(php_str "$D/phpunitdata");
require_once(__DIR__ . '/lib/setup.php');
EOF
}

site_ok() {
    [ -f "$D/.installed" ] && php "$ROOT/admin/cli/cfg.php" --name=version >/dev/null 2>&1
}
site_install() {
    write_config
    if site_ok; then
        echo "moodle $V: reusing the installed site"
        return
    fi
    rm -f "$D/.installed" "$D/.phpunit"
    psql_do -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB ENCODING 'UTF8' TEMPLATE template0"
    rm -rf "$D/data" "$D/phpunitdata"
    mkdir -p "$D/data" "$D/phpunitdata"
    quiet "$D/install.log" php "$ROOT/admin/cli/install_database.php" --agree-license --lang=en \
        --adminuser=admin --adminpass='Moodle-events-1' --adminemail=admin@example.com \
        --fullname="moodle_events $RELEASE" --shortname="me$V"
    touch "$D/.installed"
}
site_upgrade() {
    # The site upgrades cleanly with the installed classes, then its caches are purged.
    quiet "$D/upgrade.log" php "$ROOT/admin/cli/upgrade.php" --non-interactive
    quiet "$D/purge.log" php "$ROOT/admin/cli/purge_caches.php"
}

phpunit_vendor() {
    local vendor=$ROOT/vendor version autoload
    mkdir -p "$vendor/bin" "$vendor/phpunit/phpunit"
    if [ "$V" = 45 ]; then
        cp "$SHARED/phpunit-shim/autoload.php" "$vendor/autoload.php"
        cp "$SHARED/phpunit-shim/phpunit" "$vendor/bin/phpunit"
        version=$(php -r 'require "/usr/share/php/PHPUnit/Autoload.php"; echo PHPUnit\Runner\Version::id();')
    else
        phpunit11_setup
        autoload=$(php_str "$WORK/phpunit11/PHPUnit/Autoload.php")
        cat >"$vendor/autoload.php" <<EOF
<?php
// vendor/autoload.php for Moodle's PHPUnit (scripts/moodle/run.sh): Debian 13's phpunit
// package (11.5) from target/moodle/phpunit11, run by the host's PHP; no composer.
if (!defined('PHPUNIT_COMPOSER_INSTALL')) {
    define('PHPUNIT_COMPOSER_INSTALL', $autoload);
}
require_once($autoload);
// What Moodle 5.1's environment check (core\\environment::check_composer_dependencies_optimised)
// asks of composer's class loader.
return new class {
    public function isClassMapAuthoritative(): bool {
        return false;
    }
};
EOF
        cat >"$vendor/bin/phpunit" <<'EOF'
<?php
// vendor/bin/phpunit for Moodle's PHPUnit 11 (scripts/moodle/run.sh): run it as
// `php vendor/bin/phpunit`; admin/tool/phpunit/cli/util.php --run require()s it.
if (!ini_get('date.timezone')) {
    ini_set('date.timezone', 'UTC');
}
require(__DIR__ . '/../autoload.php');
exit((new PHPUnit\TextUI\Application)->run($_SERVER['argv']));
EOF
        version=$(php -r 'require $argv[1]; echo PHPUnit\Runner\Version::id();' "$WORK/phpunit11/PHPUnit/Autoload.php")
    fi
    printf '{"name": "phpunit/phpunit", "version": "%s"}\n' "$version" >"$vendor/phpunit/phpunit/composer.json"
    echo "moodle $V: PHPUnit $version"
}
phpunit_init() {
    local util=$DIRROOT/admin/tool/phpunit/cli/util.php
    phpunit_vendor
    if [ -f "$D/.phpunit" ] && (cd "$ROOT" && php "$util" --diag >"$D/phpunit-diag.log" 2>&1); then
        echo "moodle $V: reusing the PHPUnit test site"
    else
        rm -f "$D/.phpunit"
        (cd "$ROOT" && php "$util" --drop >/dev/null 2>&1) || true
        quiet "$D/phpunit-install.log" in_dir "$ROOT" php "$util" --install
        touch "$D/.phpunit"
    fi
    quiet "$D/phpunit-buildconfig.log" in_dir "$ROOT" php "$util" --buildconfig
    # The test site's caches (class map, strings) must see the classes the installer wrote.
    rm -rf "$D/phpunitdata/cache" "$D/phpunitdata/localcache"
}

run_tests() {
    local xml=$ROOT/phpunit-moodle-events.xml junit=$D/junit.xml files rc=0
    # Called in a condition (errexit is off here): every failure is checked by hand.
    files=$(generated_tests)
    rm -f "$xml"
    # Moodle's phpunit.xml with our two suites instead of Moodle's.
    php -r '
        [$src, $dst, $real, $files] = array_slice($argv, 1);
        $dom = new DOMDocument();
        $dom->preserveWhiteSpace = false;
        $dom->formatOutput = true;
        $dom->load($src);
        $old = $dom->getElementsByTagName("testsuites")->item(0);
        $new = $dom->createElement("testsuites");
        $suites = ["moodle_events_generated" => array_filter(explode("\n", $files)), "moodle_events_real" => [$real]];
        foreach ($suites as $name => $paths) {
            $suite = $new->appendChild($dom->createElement("testsuite"));
            $suite->setAttribute("name", $name);
            foreach ($paths as $path) {
                // The path as a text node: createElement() would not escape "&" in a value.
                $e = $suite->appendChild($dom->createElement(is_dir($path) ? "directory" : "file"));
                $e->appendChild($dom->createTextNode($path));
                if (is_dir($path)) {
                    $e->setAttribute("suffix", "_test.php");
                }
            }
        }
        $old->parentNode->replaceChild($new, $old);
        $dom->save($dst);
    ' "$ROOT/phpunit.xml" "$xml" "$REPO/tests/moodle/real" "$files" || return 1
    rm -f "$junit"
    (cd "$ROOT" && php vendor/bin/phpunit -c "$xml" --log-junit "$junit") || rc=$?
    [ -f "$junit" ] || { echo "moodle $V: PHPUnit wrote no results (exit $rc)" >&2; exit 1; }
    # Tests per suite: at least one generated event test and one real test must have run.
    php -r '
        $x = simplexml_load_file($argv[1]);
        $ok = true;
        foreach (["moodle_events_generated", "moodle_events_real"] as $name) {
            $s = $x->xpath("//testsuite[@name=\"$name\"]");
            $a = $s ? $s[0]->attributes() : null;
            $n = $a ? (int)$a["tests"] : 0;
            printf("moodle %s: %s: %d tests, %d failures, %d errors, %d skipped\n", $argv[2], $name, $n,
                $a ? (int)$a["failures"] : 0, $a ? (int)$a["errors"] : 0, $a ? (int)$a["skipped"] : 0);
            if ($n === 0) {
                fwrite(STDERR, "moodle $argv[2]: no test ran in $name\n");
                $ok = false;
            }
        }
        exit($ok ? 0 : 1);
    ' "$junit" "$V" | tee -a "$WORK/results.txt" || rc=1
    return "$rc"
}

# The tests of one version: a failure is noted and the next version still runs.
tests_of_version() {
    run_tests || FAILED="$FAILED $V"
}

### Main ################################################################################
FAILED=""
rm -f "$WORK/results.txt"
stage all "packages and locale" system_deps
php_setup
stage all "PostgreSQL start" pg_start
for v in $VERSIONS; do
    vinit "$v"
    if [ ! -f "$TARBALL" ]; then
        echo "test-moodle: SKIPPING Moodle $v: $TARBALL not found"
        continue
    fi
    stage "$V" "unpack" unpack
    # A fresh site is installed without the bridge; the installer writes the classes into
    # it; the upgrade then proves such a site upgrades cleanly with them. A reused site
    # goes through the same installer and upgrade.
    stage "$V" "site install" site_install
    stage "$V" "bridge installer" install_bridge
    stage "$V" "site upgrade + purge" site_upgrade
    if [ "$V" != 45 ]; then
        stage "$V" "PHPUnit 11 (Debian 13 tree)" phpunit11_setup
    fi
    stage "$V" "phpunit init" phpunit_init
    if [ "$ACTION" = test ]; then
        stage "$V" "tests" tests_of_version
    fi
done
echo
echo "moodle: stage durations"
printf '%s' "$SUMMARY"
[ -f "$WORK/results.txt" ] && cat "$WORK/results.txt"
if [ -n "$FAILED" ]; then
    echo "moodle: tests FAILED on:$FAILED" >&2
    exit 1
fi
