<?php
// A fatal error in Moodle's phpunit_util (under PHPUNIT_TEST) while redirect_events() starts Moodle's redirection.
// memcheck-exit: 255
// memcheck-bailout
define('PHPUNIT_TEST', true);
class phpunit_util { static function start_event_redirection() { trigger_error('fatal in util', E_USER_ERROR); } }
register_shutdown_function(function () { echo "OK\n"; });
moodle_events\redirect_events();
