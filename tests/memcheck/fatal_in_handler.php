<?php
// memcheck-exit: 255
// memcheck-bailout (PHP itself leaks what bailed-out frames held: see run.sh)
// A fatal error raised by the error handler that receives an observer's failure warning
// (the bailout goes through the extension's warning call): dispatch is given up, and the
// shutdown functions that follow can still trigger events.

require __DIR__ . '/common.php';

ob_start(); // what the script printed before it ended, checked by the shutdown function

set_error_handler(function (int $no, string $msg) {
    trigger_error('fatal from the handler', E_USER_ERROR);
}, E_WARNING);
moodle_events\observe('*', function ($e) {
    failed_event('queued behind the failure')->trigger();
    throw new RuntimeException('observer broke');
}, 1);
moodle_events\observe('*', function () { echo "second: not reached\n"; });
register_shutdown_function(function () {
    $before = ob_get_clean();
    check(str_contains($before, 'Fatal error: fatal from the handler') && !str_contains($before, 'second') && !str_contains($before, 'not reached'), 'output before the end: ' . json_encode($before));
    restore_error_handler();
    moodle_events\reset();
    moodle_events\observe('*', function ($e) { echo "shutdown: {$e->other['cause']}\n"; });
    $e = failed_event('after fatal');
    $e->trigger();
    check($e->is_dispatched(), 'dispatched after the fatal error');
    finish();
});
failed_event('x')->trigger();
echo "not reached\n";
