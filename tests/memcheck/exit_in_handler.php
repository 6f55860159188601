<?php
// memcheck-exit: 4
// exit() inside the error handler that receives an observer's failure warning: the
// delivery is given up (pending observers and queued events released), the script ends
// with the handler's code, and shutdown functions can still dispatch.

require __DIR__ . '/common.php';

ob_start(); // what the script printed before it ended, checked by the shutdown function

set_error_handler(function (int $no, string $msg) {
    echo "handler: ", str_contains($msg, 'RuntimeException: observer broke') ? 'observer failure' : $msg, "\n";
    exit(4);
});
moodle_events\observe('*', function ($e) {
    failed_event('queued behind the failure')->trigger();
    throw new RuntimeException('observer broke');
}, 1);
moodle_events\observe('*', function () { echo "second: not reached\n"; });
register_shutdown_function(function () {
    $before = ob_get_clean();
    check($before === "handler: observer failure\n", 'output before the end: ' . json_encode($before));
    restore_error_handler();
    moodle_events\reset();
    moodle_events\observe('*', function ($e) { echo "shutdown: {$e->other['cause']}\n"; });
    failed_event('after exit')->trigger();
    finish();
});
failed_event('x')->trigger();
echo "not reached\n";
