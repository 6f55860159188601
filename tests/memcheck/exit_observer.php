<?php
// memcheck-exit: 3
// exit() in an observer, with more observers pending and more events queued behind it:
// the script ends with its code, the delivery is given up (its values released), and a
// shutdown function can still observe, redirect and trigger.

require __DIR__ . '/common.php';

ob_start(); // what the script printed before it ended, checked by the shutdown function

moodle_events\observe('*', function ($e) {
    failed_event('queued behind the exit')->trigger();
    echo "first\n";
    exit(3);
}, 1);
moodle_events\observe('*', function () { echo "second: not reached\n"; });
register_shutdown_function(function () {
    $before = ob_get_clean();
    check($before === "first\n", 'output before the end: ' . json_encode($before));
    moodle_events\reset();
    moodle_events\observe('*', function ($e) { echo "shutdown: {$e->other['cause']}\n"; });
    $e = failed_event('after exit');
    $e->trigger();
    check($e->is_dispatched(), 'dispatched after exit');
    $sink = moodle_events\redirect_events();
    failed_event('into a sink')->trigger();
    check($sink->count() === 1, 'sink after exit');
    finish();
});
$kept = failed_event('x');
$kept->trigger();
echo "not reached\n";
