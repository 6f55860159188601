<?php
// Every validation error path once: create() keys, every `other` rule (wrong type, unknown
// key, secret key, too deep, invalid UTF-8, NaN/INF, not a list, bad format, required
// missing, ...), factories, snapshots, trigger twice, writes, bad names, and user code
// throwing while the extension reads records, contexts and $USER.

require __DIR__ . '/common.php';

use moodle_events\catalogue;
use moodle_events\event;
use moodle_events\tests\fixtures;
use moodle_events\validation_exception;

const UPDATED = '\archivingmod_quiz\event\task_updated';

function job_data(array $o = []): array {
    return $o + ['objectid' => 12, 'contextid' => 34, 'other' => ['cause' => 'disk full']];
}

$ok = ['cause' => 'x'];
$task = ['jobid' => 1, 'activity' => ['cmid' => 1, 'modname' => 'quiz', 'instanceid' => 1], 'settings' => []];
$deep = 1;
for ($i = 0; $i < 40; $i++) {
    $deep = [$deep];
}
$deepkeys = 'x';
for ($i = 0; $i < 40; $i++) {
    $deepkeys = ['k' => $deepkeys];
}
$fh = fopen('php://memory', 'r');
$T = fn(array $o) => ['objectid' => 1, 'contextid' => 1, 'other' => $o + $task];
$cases = [
    ['\local_archiving\event\archive_job_exploded', job_data(), 'eventname'],
    ['\local_foo\event\archive_job_failed', job_data(), 'eventname'],
    ['archive_job_failed', job_data(), 'eventname'],
    ['', job_data(), 'eventname'],
    ['\archivingmod_Quiz\event\task_created', [], 'eventname'],
    ['\archivingmod_a__b\event\task_created', [], 'eventname'],
    ['\local_archiving\event\\' . str_repeat('x', 600), [], 'eventname'],
    ["\\local_archiving\\event\\archive_job_failed\xff", [], 'eventname'], // not UTF-8
    [JOB_FAILED, ['objectid' => 1, 'other' => $ok], 'context'],
    [JOB_FAILED, job_data(['contextid' => 0]), 'contextid'],
    [JOB_FAILED, job_data(['contextid' => 'abc']), 'contextid'],
    [JOB_FAILED, ['objectid' => 1, 'context' => 34, 'other' => $ok], 'context'],
    [JOB_FAILED, ['objectid' => 1, 'context' => (object)['x' => 1], 'other' => $ok], 'context.id'],
    [JOB_FAILED, ['objectid' => 1, 'context' => (object)['id' => 'x'], 'other' => $ok], 'context.id'],
    [JOB_FAILED, ['objectid' => 1, 'context' => (object)['id' => 1, 'contextlevel' => [1]], 'other' => $ok], 'context.contextlevel'],
    [JOB_FAILED, job_data(['context' => (object)['id' => 34]]), 'context'],
    [JOB_FAILED, ['contextid' => 1, 'other' => $ok], 'objectid'],
    ['\archivingevent_apistub\event\transmission_completed', ['objectid' => 1, 'contextid' => 1, 'other' => ['eventname' => JOB_FAILED]], 'objectid'],
    [JOB_FAILED, job_data(['objectid' => '12abc']), 'objectid'],
    [JOB_FAILED, job_data(['objectid' => 1.5]), 'objectid'],
    [JOB_FAILED, job_data(['objectid' => 0]), 'objectid'],
    [JOB_FAILED, job_data(['objectid' => new stdClass()]), 'objectid'],
    [JOB_FAILED, job_data(['userid' => [1]]), 'userid'],
    [JOB_FAILED, job_data(['userid' => -5]), 'userid'],
    [JOB_FAILED, job_data(['courseid' => -4]), 'courseid'],
    [JOB_FAILED, job_data(['relateduserid' => 'bob']), 'relateduserid'],
    [JOB_FAILED, job_data(['anonymous' => 2]), 'anonymous'],
    [JOB_FAILED, job_data(['anonymous' => 'yes']), 'anonymous'],
    [JOB_FAILED, job_data(['colour' => 'red']), 'colour'],
    [JOB_FAILED, job_data([7 => 'red']), '7'],
    [JOB_FAILED, job_data(['other' => 'disk full']), 'other'],
    [JOB_FAILED, job_data(['other' => new ArrayObject(['cause' => 'x'])]), 'other'],
    [JOB_FAILED, job_data(['other' => []]), 'other.cause'],
    [JOB_FAILED, ['objectid' => 1, 'contextid' => 1], 'other.cause'],
    [JOB_FAILED, job_data(['other' => null]), 'other.cause'],
    [JOB_FAILED, job_data(['other' => ['cause' => 42]]), 'other.cause'],
    [JOB_FAILED, job_data(['other' => ['cause' => ['x']]]), 'other.cause'],
    [JOB_FAILED, job_data(['other' => ['cause' => '']]), 'other.cause'],
    [JOB_FAILED, job_data(['other' => ['cause' => str_repeat('é', 1025)]]), 'other.cause'],
    [JOB_FAILED, job_data(['other' => ['cause' => "\xc3\x28"]]), 'other.cause'],
    [JOB_FAILED, job_data(['other' => ['cause' => 'x', 'status' => 100]]), 'other.status'],
    [JOB_FAILED, job_data(['other' => ['cause' => 'x', 'status' => '2x']]), 'other.status'],
    [JOB_FAILED, job_data(['other' => ['cause' => 'x', 'status' => 1.0]]), 'other.status'],
    [JOB_FAILED, job_data(['other' => ['cause' => 'x', 'colour' => 1]]), 'other.colour'],
    [JOB_FAILED, job_data(['other' => ['cause' => 'x', 0 => 1]]), 'other.0'],
    [JOB_FAILED, job_data(['other' => ['cause' => 'x', 'wstoken' => 'abc123']]), 'other.wstoken'],
    [JOB_FAILED, job_data(['other' => ['cause' => 'x', 'api_key' => 'abc123']]), 'other.api_key'],
    [JOB_FAILED, job_data(['other' => ['cause' => 'x', "k\xffey" => 'abc123']]), null],
    [TASK_CREATED, $T(['settings' => ['db' => ['PassWord' => 'abc123']]]), 'other.settings.db.PassWord'],
    [TASK_CREATED, $T(['settings' => ['a' => ['b' => ['Client_Secret' => ['abc123']]]]]), 'other.settings.a.b.Client_Secret'],
    [TASK_CREATED, $T(['settings' => ['x' => new stdClass()]]), 'other.settings.x'],
    [TASK_CREATED, $T(['settings' => [fn() => 1]]), 'other.settings.0'],
    [TASK_CREATED, $T(['settings' => ['x' => $fh]]), 'other.settings.x'],
    [TASK_CREATED, $T(['settings' => [INF]]), 'other.settings.0'],
    [TASK_CREATED, $T(['settings' => [-INF]]), 'other.settings.0'],
    [TASK_CREATED, $T(['settings' => ['x' => NAN]]), 'other.settings.x'],
    [TASK_CREATED, $T(['settings' => ["\xff" => 1]]), "other.settings.\u{fffd}"],
    [TASK_CREATED, $T(['settings' => ['x' => "\xff\xfe"]]), 'other.settings.x'],
    [TASK_CREATED, $T(['settings' => ['x' => ['y' => "ok\xed\xa0\x80"]]]), 'other.settings.x.y'],
    [TASK_CREATED, $T(['settings' => $deep]), 'other.settings'],
    [TASK_CREATED, $T(['settings' => $deepkeys]), null],
    [TASK_CREATED, $T(['activity' => ['cmid' => 1, 'modname' => 'quiz']]), 'other.activity.instanceid'],
    [TASK_CREATED, $T(['activity' => 'quiz']), 'other.activity'],
    [TASK_CREATED, $T(['jobid' => 0]), 'other.jobid'],
    [UPDATED, ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'updatedfields' => ['progress'], 'progress' => 101]], 'other.progress'],
    [UPDATED, ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'updatedfields' => ['progress'], 'progress' => -1]], 'other.progress'],
    [UPDATED, ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'updatedfields' => ['colour']]], 'other.updatedfields[0]'],
    [UPDATED, ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'updatedfields' => []]], 'other.updatedfields'],
    [UPDATED, ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'updatedfields' => ['a' => 'status']]], 'other.updatedfields'],
    [UPDATED, ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'updatedfields' => [1 => 'status']]], 'other.updatedfields'],
    [UPDATED, ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'updatedfields' => [5]]], 'other.updatedfields[0]'],
    [UPDATED, ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'updatedfields' => 'status']], 'other.updatedfields'],
    [UPDATED, ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'updatedfields' => ['status'], 'status' => 7]], 'other.status'],
    ['\archivingstore_s3\event\write_task_updated', ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'updatedfields' => ['Bad-Name']]], 'other.updatedfields[0]'],
    ['\archivingstore_s3\event\write_task_completed', ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'source' => [], 'destination' => ['filehandleid' => 1, 'sha256sum' => 'abc']]], 'other.destination.sha256sum'],
    ['\archivingstore_s3\event\write_task_completed', ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'source' => [], 'destination' => ['filehandleid' => 1]]], 'other.destination.sha256sum'],
    ['\archivingstore_s3\event\write_task_failed', ['objectid' => 12, 'contextid' => 1, 'other' => ['jobid' => 13, 'cause' => 'x']], 'other.jobid'],
    ['\archivingevent_apistub\event\transmission_completed', ['contextid' => 1, 'other' => ['eventname' => 'nope']], 'other.eventname'],
    ['\archivingevent_apistub\event\transmission_completed', ['contextid' => 1, 'other' => ['eventname' => JOB_FAILED, 'metadata' => 'x']], 'other.metadata'],
    ['\local_archiving\event\archive_job_created', ['objectid' => 1, 'contextid' => 1, 'other' => ['origin' => str_repeat('o', 256)]], 'other.origin'],
];
foreach (['eventname', 'component', 'action', 'target', 'crud', 'edulevel', 'objecttable', 'contextlevel',
        'contextinstanceid', 'timecreated'] as $key) {
    $cases[] = [JOB_FAILED, job_data([$key => 1]), $key];
}
$sink = moodle_events\redirect_events();
foreach ($cases as $i => [$name, $data, $field]) {
    $copy = $data;
    expect_throw(fn() => event::create($name, $data), validation_exception::class, $field);
    check($data === $copy, "case $i: caller's data changed");
}
check($sink->count() === 0, 'nothing half-built reached the sink');

// Factories: the record must fit the event.
$factory_cases = [
    [fn() => event::create_from_task('\archivingmod_assign\event\task_completed', fixtures::task('quiz')), 'archivingmod'],
    [fn() => event::create_from_task('\archivingmod_quiz\event\task_completed', (object)['archivingmod' => 5]), 'archivingmod'],
    [fn() => event::create_from_file('\archivingstore_s3\event\read_task_completed', fixtures::file('localdir'), fixtures::caller_other('read_task_completed')), 'archivingstore'],
    [fn() => event::create_from_job('\archivingmod_quiz\event\task_completed', fixtures::job()), 'eventname'],
    [fn() => event::create_from_task(JOB_COMPLETED, fixtures::task('quiz')), 'eventname'],
    [fn() => event::create_from_file(JOB_COMPLETED, fixtures::file('s3')), 'eventname'],
    [fn() => event::create_from_event(JOB_COMPLETED, failed_event()), 'eventname'],
    [fn() => event::create_from_file('\archivingstore_s3\event\read_task_completed', fixtures::file('s3', ['contextid' => null]), fixtures::caller_other('read_task_completed')), 'context'],
    [fn() => event::create_from_job(JOB_FAILED, fixtures::job(['status' => '100']), ['cause' => 'x']), 'status'],
    [fn() => event::create_from_job(JOB_FAILED, fixtures::job(['status' => [240]]), ['cause' => 'x']), 'status'],
    [fn() => event::create_from_task('\archivingmod_quiz\event\task_completed', fixtures::task('quiz', ['status' => '100'])), 'status'],
    [fn() => event::create_from_task('\archivingmod_quiz\event\task_aborted', fixtures::task('quiz', ['status' => null]), ['cause' => 'x']), 'status'],
    [fn() => event::create_from_job(JOB_FAILED, fixtures::job(['status' => '240']), ['cause' => 'x', 'status' => 200]), 'other.status'],
    [fn() => event::create_from_event('\archivingevent_apistub\event\transmission_completed', failed_event(), ['eventname' => '\x_y\event\z_created']), 'other.eventname'],
    [fn() => event::create_from_event('\archivingevent_apistub\event\transmission_failed', new stdClass(), ['cause' => 'x']), 'forwarded'],
    [fn() => event::create_from_event('\archivingevent_apistub\event\transmission_failed', new class {
        public function get_data() { return 'nope'; }
    }, ['cause' => 'x']), 'forwarded'],
    [fn() => event::create_from_event('\archivingevent_apistub\event\transmission_failed', new class {
        public function get_data() { return ['eventname' => JOB_FAILED, 'contextid' => 'x', 'contextlevel' => 50]; }
    }, ['cause' => 'x']), 'forwarded.contextid'],
    [fn() => event::create_from_job(JOB_COMPLETED, fixtures::job(['id' => 'x', 'status' => '100'])), 'objectid'],
    [fn() => event::create_from_job(JOB_COMPLETED, fixtures::job(['id' => null, 'status' => '100'])), 'objectid'],
    [fn() => event::create_from_task('\archivingmod_quiz\event\task_failed', fixtures::task_for('task_failed', 'quiz'), ['cause' => 'x', 'wstoken' => 'abc123']), 'other.wstoken'],
    [fn() => event::create_from_task('\archivingmod_quiz\event\task_failed', fixtures::task_for('task_failed', 'quiz'), ['cause' => 'x', 3 => 'y']), 'other.3'],
    [fn() => event::create_from_job(JOB_DELETED, fixtures::job(['extra' => new stdClass()])), 'snapshot.extra'],
    [fn() => event::create_from_job(JOB_DELETED, fixtures::job(['extra' => ['deep' => [fopen('php://memory', 'r')]]])), 'snapshot.extra'],
    [fn() => event::create_from_job(JOB_DELETED, fixtures::job(['extra' => NAN])), 'snapshot.extra'],
    [fn() => event::create_from_job(JOB_DELETED, fixtures::job(['extra' => $GLOBALS['deep']])), 'snapshot.extra'],
    [fn() => event::create_from_job('\local_archiving\event\archive_job_updated', fixtures::job(), ['updatedfields' => ['nope']]), 'other.updatedfields[0]'],
];
foreach ($factory_cases as $i => [$call, $field]) {
    expect_throw($call, validation_exception::class, $field);
}

// Snapshot rules, trigger twice, snapshot after trigger.
$event = failed_event();
expect_throw(fn() => $event->add_record_snapshot('user', fixtures::job()), validation_exception::class, 'snapshot');
expect_throw(fn() => $event->add_record_snapshot('local_archiving_job', fixtures::job(['id' => '13'])), validation_exception::class, 'snapshot.id');
expect_throw(fn() => $event->add_record_snapshot('local_archiving_job', (object)['name' => 'x']), validation_exception::class, 'snapshot.id');
expect_throw(fn() => $event->add_record_snapshot('local_archiving_job', fixtures::job(['o' => $event])), validation_exception::class, 'snapshot.o');
check($event->get_record_snapshot('local_archiving_job', 12) === null, 'nothing half-stored');
$tr = event::create('\archivingevent_apistub\event\transmission_completed', ['contextid' => 1, 'other' => ['eventname' => JOB_FAILED]]);
expect_throw(fn() => $tr->add_record_snapshot('local_archiving_job', fixtures::job()), validation_exception::class);
$event->trigger();
expect_throw(fn() => $event->trigger(), validation_exception::class, 'trigger', 'Can not trigger event twice');
expect_throw(fn() => $event->add_record_snapshot('local_archiving_job', fixtures::job()), validation_exception::class, null, 'after triggering');
check($sink->count() === 1, 'one in sink');

// Writes, unset, new, bad names elsewhere.
expect_throw(function () use ($event) { $event->objectid = 5; }, validation_exception::class, 'objectid');
expect_throw(function () use ($event) { $event->newprop = [1, 2]; }, validation_exception::class, 'newprop');
expect_throw(function () use ($event) { unset($event->other); }, validation_exception::class, 'other');
collect_warnings();
$event->other['cause'] = 'y'; // "Indirect modification of overloaded property": no effect
restore_error_handler();
check(count($GLOBALS['WARN']) === 1 && $event->other['cause'] === 'disk full', 'indirect modification');
expect_throw(fn() => new event(), Exception::class);
expect_throw(fn() => moodle_events\observe('not an event', fn() => null), validation_exception::class, 'eventname');
expect_throw(fn() => moodle_events\observe("\xff", fn() => null), validation_exception::class, 'eventname');
expect_throw(fn() => moodle_events\observe('*', 'no_such_function_anywhere'), TypeError::class);
expect_throw(fn() => $sink->first_event('\nope\event\x_y'), validation_exception::class);
expect_throw(fn() => $sink->event_position("\xfe"), validation_exception::class);
expect_throw(fn() => catalogue::definition('\archivingstore_s3\event\task_created'), validation_exception::class);
expect_throw(fn() => catalogue::static_info('\archivingmod_<name>\event\task_created'), validation_exception::class);
expect_throw(fn() => event::create(JOB_FAILED, 'x'), TypeError::class);
expect_throw(fn() => event::create_from_job(JOB_FAILED, 'x'), TypeError::class);
expect_throw(fn() => event::create_from_job(JOB_FAILED, fixtures::job(), 'x'), TypeError::class);
expect_throw(fn() => $event->get_record_snapshot('local_archiving_job', 'x'), TypeError::class);
expect_throw(fn() => event::create(), ArgumentCountError::class);

// User code throwing while the extension reads: record columns, contexts, $USER, get_data().
class thrower {
    public function __construct(private string $at) {}
    public function __get($n) {
        if ($n === $this->at) {
            throw new RuntimeException("no $n");
        }
        return ['id' => '12', 'contextid' => '34', 'userid' => '5', 'status' => '100', 'archivingmod' => 'quiz',
            'jobid' => '12', 'archivingstore' => 's3'][$n] ?? null;
    }
    public function get_course_context($s = true) {
        throw new DomainException('no course');
    }
    public function get_data() {
        throw new LengthException('no data');
    }
}
foreach (['id', 'contextid', 'userid', 'status'] as $col) {
    expect_throw(fn() => event::create_from_job(JOB_COMPLETED, new thrower($col)), RuntimeException::class);
}
expect_throw(fn() => event::create_from_task('\archivingmod_quiz\event\task_created', new thrower('archivingmod'), fixtures::caller_other('task_created')), RuntimeException::class);
expect_throw(fn() => event::create_from_task('\archivingmod_quiz\event\task_created', new thrower('jobid'), fixtures::caller_other('task_created')), RuntimeException::class);
expect_throw(fn() => event::create(JOB_COMPLETED, ['objectid' => 1, 'context' => new thrower('id')]), RuntimeException::class);
expect_throw(fn() => event::create(JOB_COMPLETED, ['objectid' => 1, 'context' => new thrower('instanceid')]), RuntimeException::class);
expect_throw(fn() => event::create(JOB_COMPLETED, ['objectid' => 1, 'context' => new thrower('none')]), DomainException::class);
expect_throw(fn() => event::create_from_event('\archivingevent_apistub\event\transmission_completed', new thrower('x')), LengthException::class);
$e = event::create('\local_archiving\event\archive_job_created', ['objectid' => 12, 'contextid' => 1]);
expect_throw(fn() => $e->add_record_snapshot('local_archiving_job', new thrower('id')), RuntimeException::class);
$GLOBALS['USER'] = new thrower('id');
expect_throw(fn() => failed_event(), RuntimeException::class);
$GLOBALS['USER'] = 'not an object';
failed_event();
unset($GLOBALS['USER']);
// A snapshot record whose __get triggers and snapshots the event being built on.
$e = event::create('\local_archiving\event\archive_job_created', ['objectid' => 12, 'contextid' => 1]);
$sneaky = new class($e) {
    public function __construct(private $e) {}
    public function __get($n) {
        $this->e->add_record_snapshot('local_archiving_job', (object)['id' => 12, 'x' => 'inner']);
        $this->e->trigger();
        return 12;
    }
};
expect_throw(fn() => $e->add_record_snapshot('local_archiving_job', $sneaky), validation_exception::class, null, 'after triggering');
check($e->get_record_snapshot('local_archiving_job', 12)->x === 'inner', 'inner snapshot kept');

// Exceptions are ordinary objects: chain them, keep them, rethrow them.
$kept = [];
foreach (array_slice($cases, 0, 10) as [$name, $data]) {
    try {
        event::create($name, $data);
    } catch (validation_exception $ex) {
        $kept[] = new RuntimeException('wrapped', 0, $ex);
        $ex->getTraceAsString();
        (string)$ex;
    }
}
check(count($kept) === 10, 'kept exceptions');
fclose($fh);
moodle_events\reset();
finish();
