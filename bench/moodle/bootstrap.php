<?php
// bench-moodle's start of Moodle (bench/moodle/bench.php): the site's own PHPUnit bootstrap,
// lib/phpunit/bootstrap.php (4.5: <root>/lib, 5.1: <root>/public/lib), required as PHPUnit's
// runner requires it, so the test site (phpu_ tables, phpunitdata), developer debugging and
// phpunit_util::bootstrap_init() are Moodle's own. The database is the one the site's
// config.php names (scripts/bench-moodle.sh starts PostgreSQL on its port and socket).
// BENCH_MOODLE_ROOT is the site's root (the folder of config.php and vendor/).
// Required at file scope (Moodle's bootstrap sets the global $CFG).

$benchroot = getenv('BENCH_MOODLE_ROOT') ?: '';
$benchbootstrap = is_dir("$benchroot/public/lib") ? "$benchroot/public/lib/phpunit/bootstrap.php"
    : "$benchroot/lib/phpunit/bootstrap.php";
if (!is_file("$benchroot/config.php") || !is_file("$benchroot/vendor/autoload.php") || !is_file($benchbootstrap)) {
    fwrite(STDERR, "bench-moodle: BENCH_MOODLE_ROOT must be the root of a Moodle site with its PHPUnit"
        . " (config.php, vendor/autoload.php, lib/phpunit/bootstrap.php): '$benchroot'\n");
    exit(2);
}
// What PHPUnit's runner loads before the bootstrap: its classes (Moodle's bootstrap asks
// PHPUnit\Runner\Version, lib/phpunit/lib.php extends PHPUnit's classes), from the site's vendor/.
require_once("$benchroot/vendor/autoload.php");
require($benchbootstrap);
unset($benchroot, $benchbootstrap);
