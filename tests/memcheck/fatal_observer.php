<?php
// memcheck-exit: 255
// memcheck-bailout (PHP itself leaks what bailed-out frames held: see run.sh)
// A fatal error in an observer (the engine bails out through the extension's frames):
// dispatch is given up, and the shutdown functions that follow can still trigger events.

require __DIR__ . '/common.php';

ob_start(); // what the script printed before it ended, checked by the shutdown function

moodle_events\observe('*', function ($e) {
    failed_event('queued behind the fatal error')->trigger();
    trigger_error('boom', E_USER_ERROR);
}, 1);
moodle_events\observe('*', function () { echo "second: not reached\n"; });
register_shutdown_function(function () {
    $before = ob_get_clean();
    check(str_contains($before, 'Fatal error: boom') && !str_contains($before, 'second') && !str_contains($before, 'not reached'), 'output before the end: ' . json_encode($before));
    moodle_events\reset();
    moodle_events\observe('*', function ($e) { echo "shutdown: {$e->other['cause']}\n"; });
    $e = failed_event('after fatal');
    $e->trigger();
    check($e->is_dispatched(), 'dispatched after the fatal error');
    finish();
});
$sinkless = failed_event('x');
$sinkless->trigger();
echo "not reached\n";
