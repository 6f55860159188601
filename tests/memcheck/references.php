<?php
// PHP references and recursive arrays in `other`, in create() data and in records;
// resources and objects in other and in records; values changed through references after
// create(); INDIRECT slots (object property tables, $GLOBALS).

require __DIR__ . '/common.php';

use moodle_events\event;
use moodle_events\tests\fixtures;
use moodle_events\validation_exception;

// References at every level of `other`, changed after validation.
$cause = 'disk full';
$event = event::create(JOB_FAILED, ['objectid' => 12, 'contextid' => 34, 'other' => ['cause' => &$cause]]);
$cause = ['wstoken' => 'abc123'];
check($event->other === ['cause' => 'disk full'], 'ref cause');
$source = ['path' => '/tmp/a', 'list' => [1, 2]];
$dest = ['path' => 'b'];
$item = 'x';
$source['list'][] = &$item;
$other = ['source' => &$source, 'destination' => &$dest];
$write = event::create_from_job('\archivingstore_s3\event\write_task_created', fixtures::job(), $other);
$source['password'] = 'abc123';
$source['object'] = new stdClass();
$item = new stdClass();
$dest = null;
check($write->other['source'] === ['path' => '/tmp/a', 'list' => [1, 2, 'x']], 'ref source');
check($write->other['destination'] === ['path' => 'b'], 'ref destination');
check(!str_contains(json_encode([$event, $write]), 'abc123'), 'no secret');
// The whole `other` and the whole data array by reference; numeric strings fixed up.
$o = ['jobid' => '12', 'activity' => ['cmid' => '9', 'modname' => 'quiz', 'instanceid' => '3'], 'settings' => []];
$refo = &$o;
$cmid = '9';
$o['activity']['cmid'] = &$cmid;
$data = ['objectid' => '7', 'contextid' => '1', 'other' => &$refo];
$refdata = &$data;
$e = event::create(TASK_CREATED, $refdata);
$cmid = 'changed';
check($e->other['activity']['cmid'] === 9 && $e->other['jobid'] === 12, 'fixups through refs');
check($o['jobid'] === '12', 'caller untouched');
unset($refo, $refdata);

// Recursive arrays: through a reference to itself (too deep, no hang, no crash).
$rec = ['a' => 1];
$rec['self'] = &$rec;
$task = fixtures::caller_other('task_created');
$t = $task;
$t['settings'] = ['loop' => &$rec];
expect_throw(fn() => event::create_from_task(TASK_CREATED, fixtures::task('quiz'), $t), validation_exception::class, null, 'deeper than');
$t = $task;
$t['settings'] = &$rec;
expect_throw(fn() => event::create_from_task(TASK_CREATED, fixtures::task('quiz'), $t), validation_exception::class);
$loop = [];
$loop[0] = &$loop;
expect_throw(fn() => event::create(JOB_FAILED, ['objectid' => 1, 'contextid' => 1, 'other' => $loop]), validation_exception::class);
$d = ['objectid' => 1, 'contextid' => 1];
$d['other'] = &$d;
expect_throw(fn() => event::create(JOB_FAILED, $d), validation_exception::class);
// `other` that is exactly 32 deep through references is accepted and detached.
$leaf = 'leaf';
$settings = ['v' => &$leaf];
for ($i = 0; $i < 29; $i++) {
    $settings = ['n' => $settings];
}
$t = $task;
$t['settings'] = $settings;
$e = event::create_from_task(TASK_CREATED, fixtures::task('quiz'), $t);
$leaf = 'changed';
$walk = $e->other['settings'];
while (isset($walk['n'])) {
    $walk = $walk['n'];
}
check($walk['v'] === 'leaf', 'deep detach');
check(json_encode($e) !== false, 'json');
$t['settings'] = ['n' => $settings];
$r = null;
try {
    event::create_from_task(TASK_CREATED, fixtures::task('quiz'), ['settings' => ['n' => $t['settings']]] + $task);
} catch (validation_exception $ex) {
    $r = $ex->field;
}
check($r === 'other.settings', 'one too deep: ' . var_export($r, true));

// Records: references in properties, recursive arrays, objects, resources.
$status = '100';
$job = fixtures::job();
$job->status = &$status;
$settings = ['a' => 1];
$job->settings = &$settings;
$e = event::create_from_job(JOB_COMPLETED, $job);
$status = '200';
$settings['b'] = 2;
check($e->get_record_snapshot('local_archiving_job', 12)->settings === ['a' => 1], 'snapshot detached');
$job = fixtures::job(['status' => '100']);
$job->loop = &$rec;
expect_throw(fn() => event::create_from_job(JOB_COMPLETED, $job), validation_exception::class, 'snapshot.loop');
$job = fixtures::job(['status' => '100']);
$job->me = $job;
expect_throw(fn() => event::create_from_job(JOB_COMPLETED, $job), validation_exception::class, 'snapshot.me');
$fh = fopen('php://memory', 'r');
expect_throw(fn() => event::create_from_job(JOB_COMPLETED, fixtures::job(['status' => '100', 'fh' => $fh])), validation_exception::class, 'snapshot.fh');
expect_throw(fn() => event::create_from_job(JOB_COMPLETED, fixtures::job(['status' => '100', 'fh' => [[$fh]]])), validation_exception::class, 'snapshot.fh');
$closed = fopen('php://memory', 'r');
fclose($closed);
expect_throw(fn() => event::create_from_job(JOB_COMPLETED, fixtures::job(['status' => '100', 'fh' => $closed])), validation_exception::class);
// Typed properties (INDIRECT slots in the property table), references to them.
class typed_job {
    public int $id = 12;
    public int $contextid = 34;
    public ?int $userid = 5;
    public string $status = '100';
    public array $settings = [];
    public ?stdClass $obj = null;
    public int $uninitialised;
}
$tj = new typed_job();
$ref = &$tj->settings;
$ref = ['x' => [1]];
$e = event::create_from_job(JOB_COMPLETED, $tj);
$ref['x'][] = 2;
check($e->get_record_snapshot('local_archiving_job', 12)->settings === ['x' => [1]], 'typed ref');
unset($ref);
$tj->obj = new stdClass();
expect_throw(fn() => event::create_from_job(JOB_COMPLETED, $tj), validation_exception::class, 'snapshot.obj');
// Dynamic properties added after typed ones, unset ones.
$tj = new typed_job();
unset($tj->userid);
$e = event::create_from_job(JOB_COMPLETED, $tj);
check($e->relateduserid === null, 'unset userid');

// Objects, closures, enums, resources in other.
enum colour: string {
    case red = 'r';
}
foreach ([new stdClass(), fn() => 1, colour::red, $fh, new ArrayObject([1]), (function () { yield 1; })()] as $bad) {
    $t = $task;
    $t['settings'] = ['x' => ['y' => $bad]];
    expect_throw(fn() => event::create_from_task(TASK_CREATED, fixtures::task('quiz'), $t), validation_exception::class, 'other.settings.x.y');
    $t['settings'] = ['x' => ['y' => &$bad]];
    expect_throw(fn() => event::create_from_task(TASK_CREATED, fixtures::task('quiz'), $t), validation_exception::class, 'other.settings.x.y');
}
expect_throw(fn() => event::create(JOB_FAILED, ['objectid' => 1, 'contextid' => 1, 'other' => ['cause' => $fh]]), validation_exception::class, 'other.cause');
expect_throw(fn() => event::create(JOB_FAILED, ['objectid' => 1, 'contextid' => 1, 'other' => ['cause' => new stdClass()]]), validation_exception::class, 'other.cause');
expect_throw(fn() => event::create(JOB_FAILED, ['objectid' => $fh, 'contextid' => 1, 'other' => ['cause' => 'x']]), validation_exception::class, 'objectid');
expect_throw(fn() => event::create(JOB_FAILED, ['objectid' => 1, 'context' => $fh, 'other' => ['cause' => 'x']]), validation_exception::class, 'context');

// $GLOBALS and arrays with holes, packed and hash layouts.
expect_throw(fn() => event::create(JOB_FAILED, ['objectid' => 1, 'contextid' => 1, 'other' => $GLOBALS]), validation_exception::class);
$t = $task;
$holes = [1, 2, 3, 4];
unset($holes[1]);
$mixed = ['a' => 1, 5 => 2, 'b' => [3]];
unset($mixed['a']);
$t['settings'] = ['holes' => $holes, 'mixed' => $mixed, 'neg' => [-5 => 'x'], 'big' => [PHP_INT_MAX => 1]];
$e = event::create_from_task(TASK_CREATED, fixtures::task('quiz'), $t);
check($e->other['settings']['holes'] === [0 => 1, 2 => 3, 3 => 4], 'holes');
$t['settings'] = ['holes' => &$holes];
$e = event::create_from_task(TASK_CREATED, fixtures::task('quiz'), $t);
$holes[] = 9;
check(count($e->other['settings']['holes']) === 3, 'holes detached');
// Integer keys in a caller's `other` passed by reference (int-key copy path).
$t = $task;
$x = 1;
$t[7] = &$x;
expect_throw(fn() => event::create_from_task(TASK_CREATED, fixtures::task('quiz'), $t), validation_exception::class, 'other.7');
// Strings: interned, long, binary-safe, shared between events.
$long = str_repeat('ü', 500);
$events = [];
for ($i = 0; $i < 20; $i++) {
    $events[] = event::create(JOB_FAILED, ['objectid' => 1, 'contextid' => 1, 'other' => ['cause' => $long]]);
}
unset($long);
check(strlen($events[19]->other['cause']) === 1000, 'shared strings');
fclose($fh);
finish();
