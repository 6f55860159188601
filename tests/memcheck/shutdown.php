<?php
// The request-shutdown path: at script end a sink is still open and holds events (some
// only there), observers are still registered (closures holding objects whose destructors
// call back into the extension), a shutdown function dispatches and redirects, and a user
// stream left open is closed after the extension's RSHUTDOWN and calls in from there.
// Nothing is cleaned up by the script (no reset(), no finish()): it ends with live state.

require __DIR__ . '/common.php';

use moodle_events\event;

final class calls_back {
    public function __construct(private string $why) {}
    public function handle($e) {
    }
    public function __destruct() {
        // Runs while PHP destroys objects, or while the extension drops its observers.
        moodle_events\observe('*', function () {});
        $sink = moodle_events\redirect_events();
        failed_event("destructor: $this->why")->trigger();
        $sink->get_events();
        moodle_events\is_redirecting();
    }
}

final class late_stream {
    public $context;
    public function stream_open($path, $mode, $options, &$opened) {
        return true;
    }
    public function stream_write($data) {
        return strlen($data);
    }
    public function stream_close() {
        // After RSHUTDOWN: registrations must not be kept, triggers must still work.
        moodle_events\observe('*', function () {});
        $sink = moodle_events\redirect_events();
        $e = failed_event('stream close');
        $e->trigger();
        $sink->count();
        moodle_events\reset();
    }
    public function stream_eof() {
        return true;
    }
}
stream_wrapper_register('late', late_stream::class);
$GLOBALS['late'] = fopen('late://x', 'w');
fwrite($GLOBALS['late'], 'data');

// Observers that hold objects calling back on destruction.
$holder = new calls_back('observer');
moodle_events\observe('*', function ($e) use ($holder) { $e->get_data(); }, 5);
moodle_events\observe(JOB_FAILED, [new calls_back('array callable'), 'handle'], 1);
$seen = [];
moodle_events\observe('*', function ($e) use (&$seen) { $seen[] = $e->action; });
unset($holder);

// Dispatch once so observers have run.
failed_event('before')->trigger();
check($seen === ['failed'], 'dispatched');

// A shutdown function: dispatches, redirects into a sink it leaves open, registers more.
register_shutdown_function(function () {
    failed_event('in shutdown function')->trigger();
    $s = moodle_events\redirect_events();
    failed_event('into the shutdown sink')->trigger();
    $GLOBALS['shutdown_sink'] = $s;
    moodle_events\observe('*', fn() => null);
    register_shutdown_function(function () {
        failed_event('nested shutdown function')->trigger();
    });
});

// A sink left open with events, some of them referenced only by the sink.
$sink = moodle_events\redirect_events();
for ($i = 1; $i <= 20; $i++) {
    failed_event("held by the sink $i", $i)->trigger();
}
$kept = job_event();
$kept->trigger();
$GLOBALS['destructs_late'] = new calls_back('global');
check($sink->count() === 21 && moodle_events\is_redirecting(), 'sink open at the end');
echo "OK\n";
