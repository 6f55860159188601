<?php
// memcheck-exit: 255
// memcheck-bailout (PHP itself leaks what bailed-out frames held: see run.sh)
// A fatal error inside capture()'s code: the
// request ends with PHP's own fatal error (not an uncaught exception of ours), and the
// shutdown functions that follow can still use the extension.

require __DIR__ . '/common.php';

ob_start();
register_shutdown_function(function () {
    $before = ob_get_clean();
    check(str_contains($before, 'Fatal error: boom') && !str_contains($before, 'Uncaught'), 'output: ' . json_encode($before));
    check(is_bool(moodle_events\is_redirecting()), 'is_redirecting() after the fatal error');
    moodle_events\reset();
    $sink = moodle_events\capture(fn() => failed_event('after fatal')->trigger());
    $sink->assert_triggered('\local_archiving\event\archive_job_failed', fn($e) => $e->other['cause'] === 'after fatal', 1);
    finish();
});
$sink = moodle_events\capture(fn() => failed_event('captured')->trigger());
moodle_events\capture(function () {
    failed_event('inside')->trigger();
    trigger_error('boom', E_USER_ERROR);
}, ['\local_archiving\event\archive_job_failed']);
echo "not reached\n";
