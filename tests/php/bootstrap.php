<?php
// PHPUnit bootstrap: the built extension must be loaded (make test-php passes
// -d extension=target/release/libmoodle_events.so).
if (!extension_loaded('moodle_events')) {
    fwrite(STDERR, "moodle_events extension is not loaded: run the tests with `make test-php`\n");
    exit(1);
}
require_once __DIR__ . '/fixtures.php';
