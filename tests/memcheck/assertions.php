<?php
// The sink's assertions and capture(): passing and failing assertions (their messages),
// a where condition that throws or returns no bool, redirect_events($only), capture()
// when the code throws, and the JSON Schemas, without PHPUnit.

require __DIR__ . '/common.php';

use moodle_events\event;
use moodle_events\tests\fixtures;

const FAILED = '\local_archiving\event\archive_job_failed';
const CREATED = '\local_archiving\event\archive_job_created';

$fails = function () {
    event::create_from_job(CREATED, fixtures::job())->trigger();
    foreach (['The storage was full', 'Timeout'] as $cause) {
        event::create_from_job(FAILED, fixtures::job_for('archive_job_failed'), ['cause' => $cause])->trigger();
    }
};
$sink = moodle_events\capture($fails);
check(!moodle_events\is_redirecting() && count($sink) === 3, 'captured three');
$sink->assert_triggered(FAILED, fn($e) => $e->other['cause'] === 'Timeout', 1);
$sink->assert_not_triggered('\local_archiving\event\archive_job_completed');
$sink->assert_order(CREATED, FAILED);
check(count($sink->get_events(FAILED)) === 2, 'get_events by class');

foreach ([
    fn() => $sink->assert_triggered(FAILED, fn($e) => $e->other['cause'] === 'Timeout', 2),
    fn() => $sink->assert_triggered(FAILED, fn($e) => false),
    fn() => $sink->assert_not_triggered(FAILED),
    fn() => $sink->assert_nothing_triggered(),
    fn() => $sink->assert_order(FAILED, CREATED),
] as $i => $assertion) {
    try {
        $assertion();
        check(false, "assertion $i passed");
    } catch (moodle_events\assertion_failed $e) {
        check(str_starts_with($e->getMessage(), 'Expected '), "assertion $i message");
    }
}
foreach ([fn($e) => 1, fn($e) => throw new RuntimeException('in where')] as $i => $where) {
    try {
        $sink->assert_triggered(FAILED, $where);
        check(false, "where $i accepted");
    } catch (Throwable $e) {
        check($e instanceof TypeError || $e->getMessage() === 'in where', "where $i: " . $e->getMessage());
    }
}

$observed = 0;
moodle_events\observe(CREATED, function () use (&$observed) {
    $observed++;
});
$only = moodle_events\capture($fails, [FAILED]);
check($observed === 1 && count($only) === 2, 'only the classes asked for');
try {
    moodle_events\capture(function () use ($fails) {
        $fails();
        throw new RuntimeException('broke');
    });
} catch (RuntimeException $e) {
    check(!moodle_events\is_redirecting(), 'stopped after a throw');
}
try {
    moodle_events\redirect_events([FAILED, 12]);
    check(false, 'a non-string name');
} catch (TypeError $e) {
    check(!moodle_events\is_redirecting(), 'nothing started');
}

foreach (moodle_events\catalogue::names() as $name) {
    check(moodle_events\catalogue::json_schema($name)['type'] === 'object', "schema of $name");
}
finish();
