<?php
// Every catalogue event through its natural factory (one known and one third-party plugin
// name per family), read back every way, snapshots, create() with every Moodle key and
// context objects, then triggered into a sink and to observers.

require __DIR__ . '/common.php';

use moodle_events\catalogue;
use moodle_events\event;
use moodle_events\tests\fixtures;

$all = fixtures::all_events([
    'archivingmod' => ['quiz', 'forum_x'],
    'archivingstore' => ['localdir', 's3'],
    'archivingevent' => ['apistub', 'webhook'],
]);
check(count($all) === 40, 'catalogue size');

$made = [];
foreach ($all as [$class, $name, $factory]) {
    $component = explode('\\', ltrim($class, '\\'))[0];
    $plugin = substr($component, strpos($component, '_') + 1);
    $other = fixtures::caller_other($name);
    switch ($factory) {
        case 'create_from_job':
            $record = fixtures::job_for($name);
            $event = event::create_from_job($class, $record, $other);
            break;
        case 'create_from_task':
            $record = fixtures::task_for($name, $plugin);
            $event = event::create_from_task($class, $record, $other);
            break;
        case 'create_from_file':
            $record = fixtures::file($plugin);
            $event = event::create_from_file($class, $record, $other);
            break;
        default:
            $record = job_event();
            $event = event::create_from_event($class, $record, $other);
    }
    $def = catalogue::definition($class);
    $data = $event->get_data();
    check(count($data) === 17 && $data['eventname'] === $class, "$class data");
    foreach ($data as $k => $v) {
        check($event->$k === $v, "$class ->$k");
        check(isset($event->$k) === ($v !== null), "$class isset $k");
    }
    check(!isset($event->nosuchfield), 'isset unknown');
    check(iterator_to_array($event) === $data, 'iterator');
    check(json_encode($event) === json_encode($data), 'json');
    check($event->get_name() === $def['title'], 'name');
    check($event->get_description() !== '', 'description');
    check(!$event->is_triggered() && !$event->is_dispatched(), 'fresh');
    if ($def['objecttable'] !== null) {
        $snap = $event->get_record_snapshot($def['objecttable'], (int)$record->id);
        check(is_object($snap) && $snap->id == $record->id, "$class snapshot");
        if (property_exists($record, 'wstoken')) {
            check($snap->wstoken === null, 'wstoken redacted');
        }
        check($event->get_record_snapshot($def['objecttable'], 999) === null, 'no snapshot 999');
        check($event->get_record_snapshot('user', (int)$record->id) === null, 'no user snapshot');
    }
    $made[] = $event;
}

// Half into a sink, half to observers.
$seen = 0;
moodle_events\observe('*', function (event $e) use (&$seen) {
    $seen++;
    $e->get_data();
});
$sink = moodle_events\redirect_events();
foreach (array_slice($made, 0, 20) as $e) {
    $e->trigger();
}
$sink->close();
foreach (array_slice($made, 20) as $e) {
    $e->trigger();
}
check($sink->count() === 20 && $seen === 20, 'sink and observers');
foreach ($made as $e) {
    check($e->is_triggered() && $e->is_dispatched(), 'triggered');
}

// create() with every Moodle key, canonical strings normalised, caller's array untouched.
$data = ['objectid' => '12', 'contextid' => '34', 'userid' => '2', 'relateduserid' => 5, 'courseid' => '3',
    'anonymous' => true, 'other' => ['cause' => 'disk full', 'status' => '240']];
$copy = $data;
$e = event::create(JOB_FAILED, $data);
check($e->other === ['cause' => 'disk full', 'status' => 240] && $e->anonymous === 1, 'normalised');
check($data === $copy, 'caller untouched');
$nested = ['jobid' => '12', 'activity' => ['cmid' => '9', 'modname' => 'quiz', 'instanceid' => '3'], 'settings' => ['n' => '5']];
$e = event::create(TASK_CREATED, ['objectid' => 7, 'contextid' => 1, 'other' => $nested]);
check($e->other['activity']['cmid'] === 9 && $nested['activity']['cmid'] === '9', 'nested normalised');
check(event::create(JOB_COMPLETED, ['objectid' => 1, 'contextid' => 1, 'anonymous' => false])->anonymous === 0, 'anon');

// Context objects: plain, a user context, with get_course_context(), through __get.
$ctx = (object)['id' => 35, 'contextlevel' => 30, 'instanceid' => 8];
check(event::create(JOB_COMPLETED, ['objectid' => 1, 'context' => $ctx])->relateduserid === 8, 'user context');
$modctx = new class {
    public $id = 36;
    public $contextlevel = 70;
    public $instanceid = 9;
    public function get_course_context($strict = true) {
        return (object)['id' => 20, 'contextlevel' => 50, 'instanceid' => 4];
    }
};
check(event::create(JOB_COMPLETED, ['objectid' => 1, 'context' => $modctx])->courseid === 4, 'course context');
$magic = new class {
    public function __get($name) {
        return ['id' => 40, 'contextlevel' => 50, 'instanceid' => 6][$name] ?? null;
    }
    public function get_course_context($strict = true) {
        return false;
    }
};
$e = event::create(JOB_COMPLETED, ['objectid' => 1, 'context' => $magic]);
check([$e->contextid, $e->contextlevel, $e->contextinstanceid] === [40, 50, 6], 'context via __get');

// $USER is the default userid (plain object, and through __get).
$GLOBALS['USER'] = (object)['id' => '42'];
check(job_event('archive_job_deleted')->userid === 42, 'USER');
$GLOBALS['USER'] = new class {
    public function __get($n) {
        return $n === 'id' ? 43 : null;
    }
};
check(job_event('archive_job_deleted')->userid === 43, 'USER __get');
unset($GLOBALS['USER']);

// Records read through __get (a record class with magic columns).
$magicjob = new class {
    private array $cols = ['id' => '12', 'contextid' => '34', 'userid' => '5', 'status' => '100'];
    public function __get($n) {
        return $this->cols[$n] ?? null;
    }
};
check(event::create_from_job(JOB_COMPLETED, $magicjob)->objectid === 12, 'magic record');

// Snapshots: add, read copies, typed records with hidden columns, secrets redacted.
$e = event::create('\local_archiving\event\archive_job_created', ['objectid' => 12, 'contextid' => 1]);
$job = fixtures::job(['wstoken' => 'abc123', 'nested' => ['a' => [1, 2, ['b' => 'c']]], 'f' => 1.5, 'n' => null]);
$e->add_record_snapshot('local_archiving_job', $job);
$e->add_record_snapshot('local_archiving_job', $job); // replaces
$s1 = $e->get_record_snapshot('local_archiving_job', 12);
$s1->status = 'changed';
$job->id = '99';
$s2 = $e->get_record_snapshot('local_archiving_job', 12);
check($s2->status === '30' && $s2->id === '12' && $s2->wstoken === null && $s1 !== $s2, 'snapshot copies');
check($s2->nested === ['a' => [1, 2, ['b' => 'c']]], 'nested snapshot');
$typed = new class {
    public $id = 1;
    public $status = 10;
    public $wstoken = 'secret';
    protected $hidden = 'h';
    private $private = 'p';
};
$e = event::create('\local_archiving\event\archive_job_created', ['objectid' => 1, 'contextid' => 1]);
$e->add_record_snapshot('local_archiving_job', $typed);
check($e->get_record_snapshot('local_archiving_job', 1) == (object)['id' => 1, 'status' => 10, 'wstoken' => null], 'typed');
// A record with numeric (int) property names.
$numeric = (object)['id' => 1, 5 => 'five', '7' => 'seven'];
$e->add_record_snapshot('local_archiving_job', $numeric);
check(count((array)$e->get_record_snapshot('local_archiving_job', 1)) === 3, 'numeric columns');
// A record whose __get is used for the id.
$e->add_record_snapshot('local_archiving_job', new class {
    public function __get($n) {
        return $n === 'id' ? 1 : null;
    }
});

// Forwarding: a Moodle-like event object with get_data(), and one of ours.
$moodleish = new class {
    public function get_data() {
        return ['eventname' => '\core\event\course_viewed', 'contextid' => 2, 'contextlevel' => 50,
            'contextinstanceid' => 2, 'courseid' => 2, 'userid' => 3, 'relateduserid' => null];
    }
};
$e = event::create_from_event('\archivingevent_apistub\event\transmission_completed', $moodleish);
check($e->other === ['eventname' => '\core\event\course_viewed'] && $e->relateduserid === 3, 'forwarded');
$e = event::create_from_event('\archivingevent_webhook\event\transmission_failed', failed_event(),
    ['cause' => 'HTTP 503', 'metadata' => ['httpstatus' => 503, 'h' => ['x' => [1.5, true, null]]]]);
check($e->other['metadata']['h']['x'] === [1.5, true, null], 'metadata');

// Loop a little (caches: last name, name table).
$sink = moodle_events\redirect_events();
for ($i = 0; $i < 50; $i++) {
    event::create(JOB_FAILED, ['objectid' => $i + 1, 'contextid' => 1, 'other' => ['cause' => "c$i", 'status' => 240]])->trigger();
    event::create($i % 2 ? '\archivingstore_s3\event\write_task_failed' : "\\archivingstore_p$i\\event\\write_task_failed",
        ['objectid' => 3, 'contextid' => 1, 'other' => ['jobid' => 3, 'cause' => 'x']])->trigger();
}
check($sink->count() === 100, 'loop');
$sink->clear();
moodle_events\reset();
finish();
