<?php
// A fatal error in a record's __get while add_record_snapshot() reads it: nothing of ours is lost.
// memcheck-exit: 255
// memcheck-bailout
register_shutdown_function(function () { echo "OK\n"; });
$e = moodle_events\event::create('\local_archiving\event\archive_job_failed',
    ['objectid' => 1, 'contextid' => 1, 'other' => ['cause' => 'x']]);
$rec = new class { public function __get($n) { trigger_error('fatal in __get', E_USER_ERROR); } };
$e->add_record_snapshot(str_repeat('t', 200), $rec);
