<?php
// The Moodle-bridge hand-over, inside the Moodle stand-in (tests/moodle/standin.php defines
// MOODLE_INTERNAL and PHPUNIT_TEST and autoloads the php/ bridge): native events handed to
// their bridge classes and Moodle's observers and log store, Moodle's own sink behind
// moodle_events\redirect_events(), context lookups, bridge factories and their errors.

require __DIR__ . '/common.php';
require dirname(__DIR__) . '/moodle/standin.php';

use core\event\manager;
use moodle_events\event;
use moodle_events\tests\fixtures;

// A native trigger is handed to Moodle: its observers and the log store see the bridge event.
$seen = [];
manager::$observers = [
    ['eventname' => '*', 'callback' => [logstore::class, 'observe'], 'priority' => 1000],
    ['eventname' => '*', 'callback' => function (core\event\base $e) use (&$seen) { $seen[] = $e; }],
];
$natives = [
    event::create_from_job(JOB_FAILED, fixtures::job_for('archive_job_failed'), ['cause' => 'The storage was full']),
    event::create_from_task('\archivingmod_quiz\event\task_created', fixtures::task('quiz'), fixtures::caller_other('task_created')),
    event::create_from_file('\archivingstore_localdir\event\read_task_completed', fixtures::file('localdir'), fixtures::caller_other('read_task_completed')),
    event::create_from_job('\archivingstore_moodle\event\write_task_completed', fixtures::job(), fixtures::caller_other('write_task_completed')),
];
foreach ($natives as $native) {
    check($native->contextlevel === CONTEXT_MODULE && $native->courseid === 2, 'context looked up');
    $native->trigger();
    check($native->is_triggered() && $native->is_dispatched(), 'handed over');
}
check(count($seen) === 4 && count(logstore::$rows) === 4, 'Moodle observers and log store');
check($seen[0] instanceof local_archiving\event\archive_job_failed && $seen[0]->other['cause'] === 'The storage was full', 'bridge event');
$restored = logstore::restore(logstore::$rows[1]);
check($restored->get_data() == $seen[1]->get_data(), 'restored');
expect_throw(fn() => $natives[0]->trigger(), moodle_events\validation_exception::class, null, 'Can not trigger event twice');
// A native event triggered from a Moodle observer (re-entrant hand-over).
manager::$observers[] = ['eventname' => '\local_archiving\event\archive_job_completed', 'callback' => function () {
    event::create_from_job(JOB_DELETED, fixtures::job())->trigger();
}];
event::create_from_job(JOB_COMPLETED, fixtures::job(['status' => '100']))->trigger();
check(count($seen) === 6, 'nested hand-over: ' . count($seen));
// A Moodle observer that throws: Moodle's trigger() passes it on through the extension.
manager::$observers = [['eventname' => '*', 'callback' => function () { throw new RuntimeException('moodle observer'); }]];
try {
    event::create_from_job(JOB_COMPLETED, fixtures::job(['status' => '100']))->trigger();
} catch (Throwable $t) {
}
standin::reset();
moodle_events\reset();

// moodle_events\redirect_events() is Moodle's own redirection.
$sink = moodle_events\redirect_events();
check(phpunit_util::is_redirecting_events() && moodle_events\is_redirecting(), 'Moodle redirection');
$bridged = local_archiving\event\archive_job_created::create_from_job(fixtures::job());
$bridged->trigger();
event::create_from_task('\archivingmod_quiz\event\task_completed', fixtures::task_for('task_completed', 'quiz'))->trigger();
local_archiving\event\archive_job_deleted::create(['objectid' => 12, 'contextid' => 34])->trigger();
check($sink->count() === 3 && count($sink) === 3, 'count');
$events = $sink->get_events();
check($events[0] === $bridged && $sink->first_event() === $bridged, 'same instance');
check($sink->first_event('\archivingmod_quiz\event\task_completed') === $events[1], 'first_event');
check($sink->event_position(local_archiving\event\archive_job_deleted::class) === 2, 'event_position');
check($sink->event_position('\core\event\course_viewed') === null, 'no position');
check(iterator_to_array($sink) === $events, 'iterate');
foreach ($sink as $i => $e) {
    if ($i === 0) {
        $sink->clear();
    }
}
check($sink->count() === 0, 'clear');
$sink->close();
check(!moodle_events\is_redirecting(), 'closed');
$again = moodle_events\redirect_events();
phpunit_util::start_event_redirection(); // another Moodle sink replaces it
moodle_events\reset();
check(!phpunit_util::is_redirecting_events(), 'reset stops Moodle redirection');

// Bridge factories: validated by the extension, errors as coding_exception.
$sink = moodle_events\redirect_events();
$job = local_archiving\event\archive_job_completed::create_from_job(fixtures::job(['status' => '100']));
$sent = archivingevent_apistub\event\transmission_failed::create_from_event($job, 'HTTP 503', ['httpstatus' => 503]);
$sent->trigger();
check($sent->other['eventname'] === '\local_archiving\event\archive_job_completed', 'forwarded Moodle event');
$fwd = event::create_from_event('\archivingevent_apistub\event\transmission_completed', $job);
check($fwd->other['eventname'] === '\local_archiving\event\archive_job_completed', 'native forwarding a Moodle event');
expect_throw(fn() => local_archiving\event\archive_job_failed::create(['objectid' => 12, 'contextid' => 34, 'other' => ['status' => 240]]), coding_exception::class, null, 'other.cause: is required');
expect_throw(fn() => archivingmod_assign\event\task_completed::create_from_task(fixtures::task_for('task_completed', 'quiz')), coding_exception::class);
expect_throw(fn() => local_archiving\event\archive_job_deleted::create_from_native(event::create_from_job('\local_archiving\event\archive_job_created', fixtures::job())), coding_exception::class);
// An unknown contextid: Moodle's MUST_EXIST lookup throws through the extension.
expect_throw(fn() => event::create(JOB_COMPLETED, ['objectid' => 1, 'contextid' => 999]), moodle_exception::class);
expect_throw(fn() => event::create_from_job(JOB_COMPLETED, fixtures::job(['status' => '100', 'contextid' => '999'])), moodle_exception::class);
$sink->close();
standin::reset();
moodle_events\reset();
check(standin::$debugging === [], 'no debugging()');
finish();
