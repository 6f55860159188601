<?php
// The bridge (php/) inside the Moodle stand-in, with the built extension loaded (make
// test-bridge). BRIDGE_EXTRA names a directory where the generator wrote the bridge of
// subplugins nobody has yet (archivingmod_forum, archivingstore_s3, archivingevent_webhook).
if (!extension_loaded('moodle_events')) {
    fwrite(STDERR, "moodle_events extension is not loaded: run the tests with `make test-bridge`\n");
    exit(1);
}
require_once dirname(__DIR__) . '/moodle/standin.php';
require_once dirname(__DIR__) . '/php/fixtures.php';
if (getenv('BRIDGE_EXTRA')) {
    $GLOBALS['STANDIN_ROOTS'][] = getenv('BRIDGE_EXTRA');
}
