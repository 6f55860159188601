<?php
// PHPUnit bootstrap: the built extension must be loaded (make test-php passes
// -d extension=target/release/libmoodle_events.so, and its path in MOODLE_EVENTS_EXT for
// the tests that start PHP processes of their own).
if (!extension_loaded('moodle_events')) {
    fwrite(STDERR, "moodle_events extension is not loaded: run the tests with `make test-php`\n");
    exit(1);
}
require_once __DIR__ . '/fixtures.php';

/** The built extension, for PHP processes started by the tests. */
define('MOODLE_EVENTS_EXT', getenv('MOODLE_EVENTS_EXT') ?: dirname(__DIR__, 2) . '/target/release/libmoodle_events.so');
