<?php
// Sinks: get_events, count, first_event, event_position, clear, close, reading after
// close, one sink at a time, iterating a sink while closing/clearing it and triggering,
// a dropped sink still capturing, reset() dropping the sink, many events.

require __DIR__ . '/common.php';

use moodle_events\event;
use moodle_events\sink;
use moodle_events\tests\fixtures;

check(!moodle_events\is_redirecting(), 'not redirecting');
$sink = moodle_events\redirect_events();
check($sink instanceof sink && moodle_events\is_redirecting(), 'redirecting');
$ran = false;
moodle_events\observe('*', function () use (&$ran) { $ran = true; });
$a = job_event();
$b = event::create_from_task('\archivingmod_quiz\event\task_completed', fixtures::task_for('task_completed', 'quiz'));
$a->trigger();
$b->trigger();
check(!$ran && $a->is_dispatched(), 'captured, no observer');
check($sink->count() === 2 && count($sink) === 2, 'count');
$events = $sink->get_events();
check($events === [$a, $b], 'same instances');
check(iterator_to_array($sink) === $events, 'iterator');
check($sink->first_event() === $a, 'first');
check($sink->first_event(null) === $a, 'first null');
check($sink->first_event('\archivingmod_quiz\event\task_completed') === $b, 'first by name');
check($sink->first_event('archivingmod_quiz\event\task_completed') === $b, 'first without backslash');
check($sink->first_event('\archivingmod_assign\event\task_completed') === null, 'first none');
check($sink->event_position('\archivingmod_quiz\event\task_completed') === 1, 'position');
check($sink->event_position(JOB_DELETED) === null, 'position none');
foreach (range(1, 600) as $i) { // many names: the resolved-name cache is bounded
    check($sink->event_position("\\archivingstore_n$i\\event\\write_task_failed") === null, 'pos n');
}

// clear keeps redirecting; close stops it; events stay readable after close.
$sink->clear();
check($sink->count() === 0 && $sink->first_event() === null && moodle_events\is_redirecting(), 'clear');
$kept = job_event();
$kept->trigger();
$sink->close();
$sink->close();
check(!moodle_events\is_redirecting() && $sink->get_events() === [$kept], 'close keeps events');
$after = job_event();
$after->trigger();
check($after->is_dispatched() && $ran && $sink->count() === 1, 'after close');
check($sink->first_event(JOB_COMPLETED) === $kept && $sink->event_position(JOB_COMPLETED) === 0, 'read after close');
$sink->clear();
check($sink->get_events() === [], 'clear after close');
$ran = false;

// One sink at a time; close() on any sink stops redirection.
$first = moodle_events\redirect_events();
$second = moodle_events\redirect_events();
$e = job_event();
$e->trigger();
check($first->count() === 0 && $second->get_events() === [$e], 'second sink');
$first->close();
check(!moodle_events\is_redirecting(), 'closing the first stops');
unset($first, $second);

// Iterating a sink while closing it, clearing it, triggering into it, starting another.
$sink = moodle_events\redirect_events();
for ($i = 1; $i <= 5; $i++) {
    failed_event("e$i", $i)->trigger();
}
$seen = 0;
foreach ($sink as $k => $ev) {
    $seen++;
    if ($k === 1) {
        $sink->clear();
        failed_event('during iteration')->trigger(); // goes in (the iterator has a copy)
    }
    if ($k === 2) {
        $sink->close();
        job_event()->trigger(); // to observers
    }
    if ($k === 3) {
        $other = moodle_events\redirect_events();
        failed_event('into other')->trigger();
        moodle_events\reset();
    }
    check($ev instanceof event, 'iterated an event');
}
check($seen === 5 && $sink->count() === 1, "iterated $seen, left {$sink->count()}");
$it = $sink->getIterator();
$sink->clear();
check(iterator_count($it) === 1, 'iterator is a copy');

// get_events() array owned by the caller: modify it, nothing changes in the sink.
$sink = moodle_events\redirect_events();
job_event()->trigger();
$list = $sink->get_events();
$list[] = 'x';
unset($list[0]);
check($sink->count() === 1, 'copy');

// A dropped sink still captures until closed; reset() drops it.
unset($sink, $list);
$ran = false;
$e = job_event();
$e->trigger();
check(moodle_events\is_redirecting() && !$ran, 'dropped sink captures');
moodle_events\reset();
check(!moodle_events\is_redirecting(), 'reset stops');
$sink = moodle_events\redirect_events();
moodle_events\reset();
$e = job_event();
$e->trigger();
check($sink->count() === 0 && $e->is_dispatched(), 'reset sink gets nothing');

// The only reference to an event is the sink's; the sink dies with events inside.
$sink = moodle_events\redirect_events();
for ($i = 1; $i <= 200; $i++) {
    event::create(JOB_FAILED, ['objectid' => $i, 'contextid' => 1, 'other' => ['cause' => "c$i", 'status' => 240]])->trigger();
}
check($sink->count() === 200, '200');
check($sink->event_position(JOB_FAILED) === 0, 'pos');
$sink->close();
unset($sink);
$sink = moodle_events\redirect_events();
for ($i = 1; $i <= 50; $i++) {
    failed_event("x$i", $i)->trigger();
}
$sink = moodle_events\redirect_events(); // replaces (and drops) the previous one
check($sink->count() === 0, 'replaced');

// Sinks cannot be made, cloned or serialized.
expect_throw(fn() => new sink(), Exception::class, null, 'You cannot instantiate');
expect_throw(fn() => clone $sink, Error::class);
expect_throw(fn() => serialize($sink), Exception::class);
expect_throw(fn() => unserialize('O:18:"moodle_events\sink":0:{}'), Exception::class);
expect_throw(fn() => $sink->nope(), Error::class);
collect_warnings();
$sink->dynamic = 1; // deprecated dynamic property (or an error): no crash either way
restore_error_handler();
check($sink instanceof Countable, "Countable");
ob_start();
var_dump($sink);
print_r($sink);
ob_end_clean();
moodle_events\reset();
finish();
