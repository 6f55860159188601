<?php
// This file is part of moodle_events: its tests in a real Moodle site (4.5 and 5.1), run by
// scripts/moodle/run.sh (`make test-moodle`) in Moodle's own PHPUnit (9.6 and 11.5).
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.

namespace local_archiving;

use local_archiving\type\activity_archiving_task_status;
use local_archiving\type\archive_job_status;

/**
 * End to end: every catalogue event, for every installed subplugin of its family, built
 * with its bridge factory from rows made with local_archiving's own API, triggered into
 * the real standard log store, restored, listed by report_eventlist; the native
 * hand-over; validation errors; a timing against a core event (printed, not asserted).
 *
 * No data providers (static in PHPUnit 11, not in 9.6): the tests loop over the events.
 *
 * @package    local_archiving
 * @copyright  2026 The moodle_events authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class moodle_events_real_test extends \advanced_testcase {

    /** @var array Statuses a record must be in for an event (the catalogue's record_status). */
    const RECORD_STATUS = [
        'archive_job_completed' => ['job', 100],
        'archive_job_failed' => ['job', 200],
        'task_completed' => ['task', 220],
        'task_failed' => ['task', 250],
        'task_aborted' => ['task', 240],
    ];

    /** @var string A web service token put on task rows: it must never reach the log. */
    const TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

    /** @var \stdClass|null The course the fixtures live in. */
    private $course = null;

    protected function setUp(): void {
        parent::setUp();
        $this->resetAfterTest();
        $this->setAdminUser();
        if (!extension_loaded('moodle_events')) {
            $this->fail('the moodle_events extension is not loaded');
        }
    }

    /**
     * Sends events to the standard log store, written at once.
     */
    private function enable_logstore(): void {
        $this->preventResetByRollback();
        set_config('enabled_stores', 'logstore_standard', 'tool_log');
        set_config('buffersize', 0, 'logstore_standard');
        set_config('logguests', 1, 'logstore_standard');
        get_log_manager(true);
    }

    /**
     * Every catalogue event as the classes of this site: [class, catalogue name, plugin name].
     *
     * @return array[]
     */
    private function event_classes(): array {
        $classes = [];
        foreach (\moodle_events\catalogue::names() as $name) {
            if (!preg_match('/^\\\\(archiving(?:mod|store|event))_<name>\\\\/', $name, $m)) {
                $classes[] = [$name, $name, null];
                continue;
            }
            $plugins = \core_component::get_plugin_list($m[1]);
            $this->assertNotEmpty($plugins, "no installed $m[1] plugin");
            foreach (array_keys($plugins) as $plugin) {
                $classes[] = [str_replace('<name>', $plugin, $name), $name, $plugin];
            }
        }
        foreach ($classes as [$class]) {
            $this->assertTrue(class_exists($class), "$class is not installed");
        }
        return $classes;
    }

    /**
     * A fresh archive job of the fixture course (local_archiving's generator).
     */
    private function job(): archive_job {
        $generator = $this->getDataGenerator()->get_plugin_generator('local_archiving');
        if ($this->course === null) {
            $this->course = $this->getDataGenerator()->create_course();
        }
        return $generator->create_archive_job([], $this->course);
    }

    /**
     * The record an event is built from, in the status the event requires, and the
     * factory's remaining arguments (by parameter name).
     *
     * @param string $class the event class
     * @param string $catname its catalogue name
     * @param string|null $plugin the subplugin's name
     * @return array [record, factory method, values of the other keys the caller gives]
     */
    private function fixture(string $class, string $catname, ?string $plugin): array {
        global $DB;
        $generator = $this->getDataGenerator()->get_plugin_generator('local_archiving');
        $def = \moodle_events\catalogue::definition($catname);
        $short = $def['name'];
        $factory = $def['factory'];
        $job = $this->job();
        [$kind, $status] = self::RECORD_STATUS[$short] ?? [null, null];
        if ($factory === 'create_from_job') {
            if ($kind === 'job') {
                $job->set_status(archive_job_status::from($status));
            }
            $record = $DB->get_record('local_archiving_job', ['id' => $job->get_id()], '*', MUST_EXIST);
        } else if ($factory === 'create_from_task') {
            $task = $generator->create_activity_archiving_task(['archivingmodname' => $plugin], $job);
            if ($kind === 'task') {
                $task->set_status(activity_archiving_task_status::from($status), false);
            }
            $DB->set_field('local_archiving_activity_task', 'wstoken', self::TOKEN, ['id' => $task->get_id()]);
            $record = $DB->get_record('local_archiving_activity_task', ['id' => $task->get_id()], '*', MUST_EXIST);
        } else if ($factory === 'create_from_file') {
            $file = $generator->create_file_handle(['jobid' => $job->get_id(), 'archivingstorename' => $plugin]);
            $record = $DB->get_record_sql(
                'SELECT f.*, j.contextid FROM {local_archiving_file} f JOIN {local_archiving_job} j ON j.id = f.jobid
                  WHERE f.id = ?', [$file->id], MUST_EXIST);
        } else {
            $this->assertSame('create_from_event', $factory);
            $job->set_status(archive_job_status::COMPLETED);
            $jobrow = $DB->get_record('local_archiving_job', ['id' => $job->get_id()], '*', MUST_EXIST);
            $record = \local_archiving\event\archive_job_completed::create_from_job($jobrow);
        }
        $other = [];
        foreach ($def['other'] as $key => $rule) {
            // Keys the record gives (a forwarded event's class name included) are not passed.
            if (!isset($rule['from']) && !($factory === 'create_from_event' && $key === 'eventname')) {
                $other[$key] = $this->value_for($key, $rule, $record);
            }
        }
        return [$record, $factory, $other];
    }

    /**
     * A valid value of an other key from its catalogue rule.
     */
    private function value_for(string $key, array $rule, $record) {
        switch ($rule['type']) {
            case 'int':
                if (isset($rule['values'])) {
                    return reset($rule['values']);
                }
                return max($rule['min'] ?? 1, 1);
            case 'string':
                switch ($rule['format'] ?? '') {
                    case 'identifier':
                        return 'status';
                    case 'pluginname':
                        return 'quiz';
                    case 'eventname':
                        return '\\local_archiving\\event\\archive_job_completed';
                    case 'sha256':
                        return str_repeat('ab', 32);
                }
                return "the $key of an end-to-end test";
            case 'list':
                return [$this->value_for($key, $rule['items'], $record)];
            case 'array':
                if (!isset($rule['fields'])) {
                    return ['path' => '/tmp/moodle_events/' . $key, 'size' => 3];
                }
                $value = [];
                foreach ($rule['fields'] as $field => $sub) {
                    $value[$field] = $this->value_for($field, $sub, $record);
                }
                return $value;
            case 'bool':
                return true;
        }
        $this->fail("no test value for a {$rule['type']} ($key)");
    }

    /**
     * Calls a bridge class's named factory with the fixture's values, by parameter name.
     */
    private function build(string $class, string $factory, $record, array $other): \core\event\base {
        $args = [$record];
        $method = new \ReflectionMethod($class, $factory);
        foreach (array_slice($method->getParameters(), 1) as $param) {
            if (array_key_exists($param->getName(), $other)) {
                $args[] = $other[$param->getName()];
            } else {
                $this->assertTrue($param->isOptional(), "$class::$factory(): no value for \${$param->getName()}");
                $args[] = $param->getDefaultValue();
            }
        }
        $event = $class::$factory(...$args);
        $this->assertInstanceOf($class, $event);
        return $event;
    }

    /**
     * Runs a callable and fails on any PHP warning or notice it raises.
     */
    private function no_warnings(callable $fn, string $what) {
        $warnings = [];
        set_error_handler(function ($no, $str, $file, $line) use (&$warnings) {
            $warnings[] = "$str at $file:$line";
            return true;
        });
        try {
            $result = $fn();
        } finally {
            restore_error_handler();
        }
        $this->assertSame([], $warnings, "$what raised PHP warnings");
        return $result;
    }

    /**
     * Every event, built with its factory, into the standard log store: one row, every
     * field right, no token; restored equal; read back as its class; name, description,
     * URL without debugging or warnings.
     */
    public function test_every_event_into_the_log_store(): void {
        global $DB, $USER;
        $this->enable_logstore();
        $reader = get_log_manager()->get_readers()['logstore_standard'];
        $classes = $this->event_classes();
        foreach ($classes as [$class, $catname, $plugin]) {
            [$record, $factory, $other] = $this->fixture($class, $catname, $plugin);
            $info = $class::get_static_info();
            $def = \moodle_events\catalogue::definition($catname);
            $native = \moodle_events\event::$factory($class, $record, array_filter($other, fn($v) => $v !== null));
            $event = $this->no_warnings(fn() => $this->build($class, $factory, $record, $other), "$class::$factory");

            $DB->delete_records('logstore_standard_log');
            $this->no_warnings(fn() => $event->trigger(), "$class trigger");
            $rows = $DB->get_records('logstore_standard_log');
            $this->assertCount(1, $rows, "$class: log rows");
            $row = reset($rows);
            $data = $event->get_data();

            // Every field, against the catalogue, the record and the native event.
            $context = \context::instance_by_id($data['contextid']);
            $expectedcontextid = $factory === 'create_from_event' ? $record->contextid : (int)$record->contextid;
            $expectedobjectid = $def['objecttable'] === null ? null : (int)$record->id;
            $this->assertSame($class, $row->eventname, $class);
            $this->assertSame($class, '\\' . get_class($event));
            $this->assertSame($info['component'], $row->component, "$class component");
            $this->assertSame(explode('\\', ltrim($class, '\\'))[0], $row->component, "$class component");
            $this->assertSame($info['action'], $row->action, "$class action");
            $this->assertSame($info['target'], $row->target, "$class target");
            $this->assertSame($def['crud'], $row->crud, "$class crud");
            $this->assertEquals($def['edulevel'], $row->edulevel, "$class edulevel");
            $this->assertEquals($def['objecttable'], $row->objecttable, "$class objecttable");
            $this->assertEquals($expectedobjectid, $row->objectid, "$class objectid");
            $this->assertEquals($expectedcontextid, $row->contextid, "$class contextid");
            $this->assertEquals($context->contextlevel, $row->contextlevel, "$class contextlevel");
            $this->assertEquals($context->instanceid, $row->contextinstanceid, "$class contextinstanceid");
            $this->assertEquals($USER->id, $row->userid, "$class userid");
            $this->assertEquals($this->course->id, $row->courseid, "$class courseid");
            $nativedata = $native->get_data();
            $this->assertEquals($nativedata['relateduserid'], $row->relateduserid, "$class relateduserid");
            foreach (['eventname', 'component', 'action', 'target', 'crud', 'edulevel', 'objecttable', 'objectid',
                    'contextid', 'contextlevel', 'contextinstanceid', 'userid', 'courseid', 'anonymous'] as $field) {
                $this->assertEquals($nativedata[$field], $row->$field, "$class $field (native)");
                $this->assertEquals($data[$field], $row->$field, "$class $field (event)");
            }
            $this->assertEquals($data['timecreated'], $row->timecreated, "$class timecreated");
            $decoded = $row->other === null ? null : json_decode($row->other, true);
            if ($decoded === null && $row->other !== null && $row->other !== 'null') {
                $decoded = unserialize($row->other, ['allowed_classes' => false]);
            }
            $this->assertEquals($nativedata['other'], $decoded, "$class other");
            $this->assertEquals($data['other'], $decoded, "$class other (event)");
            foreach ($other as $key => $value) {
                $this->assertEquals($value, $decoded[$key], "$class other.$key");
            }
            foreach ($def['other'] as $key => $rule) {
                if (!empty($rule['required'])) {
                    $this->assertArrayHasKey($key, $decoded, "$class other.$key");
                }
            }
            $flat = json_encode($row);
            $this->assertStringNotContainsString('wstoken', $flat, "$class: log row");
            $this->assertStringNotContainsString(self::TOKEN, $flat, "$class: log row");
            if ($def['objecttable'] === 'local_archiving_activity_task') {
                $snapshot = $event->get_record_snapshot($def['objecttable'], $data['objectid']);
                $this->assertNull($snapshot->wstoken, "$class: snapshot token");
            }

            // Restored from the row (as the store's reader does) and read back as its class.
            $logdata = (array)$row;
            $extra = ['origin' => $logdata['origin'], 'ip' => $logdata['ip'], 'realuserid' => $logdata['realuserid']];
            $logdata['other'] = $decoded;
            foreach (array_keys($logdata) as $key) {
                if (!array_key_exists($key, $data)) {
                    unset($logdata[$key]);
                }
            }
            $restored = \core\event\base::restore($logdata, $extra);
            $this->assertInstanceOf($class, $restored, "$class restore");
            $this->assertEquals($data, $restored->get_data(), "$class restored data");
            $read = $reader->get_events_select('eventname = :name', ['name' => $class], 'id', 0, 0);
            $this->assertCount(1, $read, "$class read back");
            $read = reset($read);
            $this->assertInstanceOf($class, $read, "$class read back");
            $this->assertEquals($data, $read->get_data(), "$class read back data");

            // Name, description, URL: no debugging, no warnings.
            foreach ([$event, $read] as $e) {
                $name = $this->no_warnings(fn() => $e->get_name(), "$class get_name");
                $this->assertIsString($name);
                $this->assertNotSame('', $name);
                $this->assertStringNotContainsString('[[', $name, "$class: missing lang string");
                $description = $this->no_warnings(fn() => $e->get_description(), "$class get_description");
                $this->assertIsString($description);
                $this->assertNotSame('', $description);
                if ($expectedobjectid !== null) {
                    $this->assertStringContainsString("'$expectedobjectid'", $description, $class);
                }
                $url = $this->no_warnings(fn() => $e->get_url(), "$class get_url");
                $this->assertTrue($url === null || $url instanceof \moodle_url, "$class get_url");
                if ($url !== null) {
                    $this->assertNotSame('', $url->out(false));
                }
                $this->assertDebuggingNotCalled();
            }
        }
        $this->assertGreaterThanOrEqual(count(\moodle_events\catalogue::names()), count($classes));
    }

    /**
     * A native moodle_events\event triggered inside Moodle is handed over to its bridge
     * class: in the log store, in redirectEvents(), in moodle_events\redirect_events().
     */
    public function test_native_events_are_handed_to_the_bridge(): void {
        global $DB;
        $this->enable_logstore();
        $reader = get_log_manager()->get_readers()['logstore_standard'];
        foreach ($this->event_classes() as [$class, $catname, $plugin]) {
            [$record, $factory, $other] = $this->fixture($class, $catname, $plugin);
            $other = array_filter($other, fn($v) => $v !== null);

            // Into the log store.
            $DB->delete_records('logstore_standard_log');
            $native = \moodle_events\event::$factory($class, $record, $other);
            $this->no_warnings(fn() => $native->trigger(), "$class native trigger");
            $this->assertTrue($native->is_triggered());
            $this->assertSame(1, $DB->count_records('logstore_standard_log'), "$class: log rows");
            $read = $reader->get_events_select('eventname = :name', ['name' => $class], 'id', 0, 0);
            $this->assertCount(1, $read, $class);
            $read = reset($read);
            $this->assertInstanceOf($class, $read);
            $this->assertEquals($native->get_data()['other'], $read->get_data()['other'], $class);
            $this->assertEquals($native->get_data()['objectid'], $read->get_data()['objectid'], $class);

            // Into Moodle's redirection.
            $sink = $this->redirectEvents();
            $native = \moodle_events\event::$factory($class, $record, $other);
            $native->trigger();
            $events = $sink->get_events();
            $sink->close();
            $this->assertCount(1, $events, "$class: redirectEvents()");
            $this->assertInstanceOf($class, $events[0]);
            $this->assertEquals($native->get_data(), $events[0]->get_data(), $class);

            // Into the extension's redirection (the same inside Moodle).
            $sink = \moodle_events\redirect_events();
            $native = \moodle_events\event::$factory($class, $record, $other);
            $native->trigger();
            $this->assertSame(1, $sink->count(), "$class: moodle_events\\redirect_events()");
            $events = $sink->get_events();
            $sink->close();
            $this->assertCount(1, $events, $class);
            $this->assertInstanceOf($class, $events[0], "$class: moodle_events\\redirect_events() captured");
            $this->assertEquals($native->get_data()['other'], $events[0]->get_data()['other'], $class);
        }
        $this->assertDebuggingNotCalled();
    }

    /**
     * The sink's assertions inside Moodle's PHPUnit: Moodle's redirection captures every event, $only filters what the sink
     * shows and asserts on, and a failure is a PHPUnit failure listing the events and the other of near misses.
     */
    public function test_sink_assertions_inside_moodle(): void {
        $this->resetAfterTest();
        $class = '\\local_archiving\\event\\archive_job_failed';
        [$record, $factory, $other] = $this->fixture($class, $class, null);
        $course = $this->getDataGenerator()->create_course();
        $trigger = function () use ($class, $record, $other, $course) {
            \core\event\course_viewed::create(['context' => \context_course::instance($course->id)])->trigger();
            $class::create_from_job($record, 'The storage was full')->trigger();
            \moodle_events\event::create_from_job($class, $record, ['cause' => 'Timeout'] + $other)->trigger();
        };

        $all = \moodle_events\capture($trigger);
        $all->assert_order('\\core\\event\\course_viewed', $class, $class);
        $all->assert_triggered($class, fn(\core\event\base $e) => $e->other['cause'] === 'Timeout', 1);
        $this->assertFalse(\moodle_events\is_redirecting());

        $sink = \moodle_events\capture($trigger, [$class]);
        $this->assertCount(2, $sink->get_events());
        $sink->assert_not_triggered('\\core\\event\\course_viewed');
        $sink->assert_triggered($class, null, 2);
        try {
            $sink->assert_triggered($class, fn(\core\event\base $e) => $e->other['cause'] === 'Disk full');
            $this->fail('no event has that cause');
        } catch (\PHPUnit\Framework\AssertionFailedError $e) {
            $this->assertSame("Expected $class to be triggered matching the condition; it was not.\n"
                . "Triggered (2 events):\n  $class x2\n"
                . "Near misses ($class not matching the condition):\n"
                . "  #1 other: {\"cause\":\"The storage was full\",\"status\":{$record->status}}\n"
                . "  #2 other: {\"cause\":\"Timeout\",\"status\":{$record->status}}", $e->getMessage());
        }
    }

    /**
     * The environment check a plugin's environment.xml names (CUSTOM_CHECK), as Moodle's environment page calls it.
     */
    public function test_environment_check(): void {
        global $CFG;
        require_once($CFG->libdir . '/environmentlib.php');
        $function = 'local_archiving\\event\\archiving_event_base::check_environment';
        $this->assertTrue(is_callable($function), 'callable by name, as environment_custom_checks() calls it');
        $result = call_user_func($function, new \environment_results('custom_check'));
        $this->assertTrue($result->getStatus());
        $this->assertSame('moodle_events ' . \moodle_events\VERSION . ', event catalogue ' . \moodle_events\CATALOGUE_VERSION,
            $result->getInfo());
        $this->assertSame(\moodle_events\catalogue::version(), \local_archiving\event\archiving_event_base::CATALOGUE_VERSION);
    }

    /**
     * A bad input is a coding_exception naming the field and the rule.
     */
    public function test_bad_input_names_the_field_and_the_rule(): void {
        foreach ($this->event_classes() as [$class, $catname, $plugin]) {
            [$record, $factory, $other] = $this->fixture($class, $catname, $plugin);
            $event = $this->build($class, $factory, $record, $other);
            $data = $event->get_data();
            $base = ['objectid' => $data['objectid'], 'contextid' => $data['contextid'], 'other' => $data['other']];
            $def = \moodle_events\catalogue::definition($catname);
            $cases = [];
            foreach ($def['other'] as $key => $rule) {
                if (!empty($rule['required'])) {
                    $missing = $base;
                    unset($missing['other'][$key]);
                    $cases[] = [$missing, "other.$key", 'required'];
                    if ($rule['type'] === 'string') {
                        $wrong = $base;
                        $wrong['other'][$key] = ['not', 'a', 'string'];
                        $cases[] = [$wrong, "other.$key", 'string'];
                    }
                    break;
                }
            }
            $unknown = $base;
            $unknown['other']['nosuchkey'] = 1;
            $cases[] = [$unknown, 'other.nosuchkey', ''];
            // A secret-looking key is refused before any other rule, its value never shown.
            $secret = $base;
            $secret['other']['wstoken'] = self::TOKEN;
            $cases[] = [$secret, 'other.wstoken', 'looks like a secret'];
            foreach ($cases as [$input, $field, $rule]) {
                try {
                    $class::create($input);
                    $this->fail("$class: no exception for $field");
                } catch (\coding_exception $e) {
                    $this->assertStringContainsString("$class: $field: ", $e->getMessage(), $class);
                    if ($rule !== '') {
                        $this->assertStringContainsString($rule, $e->getMessage(), $class);
                    }
                    $this->assertStringNotContainsString(self::TOKEN, $e->getMessage(), "$class: a secret echoed");
                }
            }
        }
    }

    /**
     * The factories refuse what a record-based event cannot be: a secret anywhere in other,
     * another plugin's record, a record in the wrong status, a missing nested key. Each is a
     * coding_exception with the extension's message (event, field, rule); a secret's value
     * is never in it.
     */
    public function test_bad_records_and_secrets_name_the_event_the_field_and_the_rule(): void {
        global $DB;
        $prefix = 'Coding error detected, it must be fixed by a programmer: ';
        $secretrule = 'looks like a secret (token, password, secret, key…); secrets are never allowed in events (value not shown)';
        $password = 'hunter2-do-not-echo';
        [$task, , $other] = $this->fixture('\\archivingmod_quiz\\event\\task_created',
            '\\archivingmod_<name>\\event\\task_created', 'quiz');
        $this->assertSame(self::TOKEN, $task->wstoken, 'the task row carries a token');
        $activity = $other['activity'];
        $settings = $other['settings'];
        // The fixture is valid: only the broken part below makes a case fail.
        $this->assertInstanceOf(\archivingmod_quiz\event\task_created::class,
            \archivingmod_quiz\event\task_created::create_from_task($task, $activity, $settings));

        $job = $this->job();
        $job->set_status(archive_job_status::ACTIVITY_ARCHIVING);
        $jobrow = $DB->get_record('local_archiving_job', ['id' => $job->get_id()], '*', MUST_EXIST);
        $context = \context::instance_by_id($jobrow->contextid);

        $othertask = clone $task;
        $othertask->archivingmod = 'assign';
        $noinstance = $activity;
        unset($noinstance['instanceid']);

        $cases = [
            'a token in other' => [
                fn() => \local_archiving\event\archive_job_aborted::create(['objectid' => $jobrow->id,
                    'context' => $context, 'other' => ['cause' => 'Stopped', 'wstoken' => self::TOKEN]]),
                '\\local_archiving\\event\\archive_job_aborted: other.wstoken: ' . $secretrule,
            ],
            'a nested password in a factory\'s other' => [
                fn() => \archivingmod_quiz\event\task_created::create_from_task($task, $activity,
                    $settings + ['login' => ['user' => 'admin', 'password' => $password]]),
                '\\archivingmod_quiz\\event\\task_created: other.settings.login.password: ' . $secretrule,
            ],
            'another plugin\'s task' => [
                fn() => \archivingmod_quiz\event\task_created::create_from_task($othertask, $activity, $settings),
                '\\archivingmod_quiz\\event\\task_created: archivingmod: the record belongs to archivingmod_assign, '
                    . 'not to this event\'s component archivingmod_quiz',
            ],
            'a job not completed' => [
                fn() => \local_archiving\event\archive_job_completed::create_from_job($jobrow),
                '\\local_archiving\\event\\archive_job_completed: status: must be one of 100 (COMPLETED); got 30',
            ],
            'a missing nested key' => [
                fn() => \archivingmod_quiz\event\task_created::create_from_task($task, $noinstance, $settings),
                '\\archivingmod_quiz\\event\\task_created: other.activity.instanceid: is required',
            ],
        ];
        foreach ($cases as $label => [$make, $message]) {
            try {
                $make();
                $this->fail("$label: accepted");
            } catch (\coding_exception $e) {
                $this->assertSame($prefix . $message, $e->getMessage(), $label);
                $this->assertStringNotContainsString(self::TOKEN, $e->getMessage(), "$label: the token echoed");
                $this->assertStringNotContainsString($password, $e->getMessage(), "$label: the password echoed");
            }
        }
    }

    /**
     * report_eventlist lists every event with its name and explanation; the event detail
     * page's pattern (read from report/eventlist/eventdetail.php) captures every
     * documented other key whole.
     */
    public function test_event_list_and_detail(): void {
        global $CFG;
        $list = \report_eventlist_list_generator::get_all_events_list(true);
        $pattern = $this->eventdetail_other_pattern();
        foreach ($this->event_classes() as [$class, $catname]) {
            $def = \moodle_events\catalogue::definition($catname);
            $this->assertArrayHasKey($class, $list, "$class is not in the event list");
            $entry = $list[$class];
            $this->assertStringContainsString(s($class::get_name()), $entry['fulleventname'], $class);
            $this->assertSame($class, $entry['eventname']);
            $explanation = $this->no_warnings(fn() => $class::get_explanation($class), "$class explanation");
            $this->assertNotSame('', trim($explanation), "$class explanation");
            $this->assertStringContainsString(self::squash($def['trigger']), self::squash($explanation),
                "$class explanation");

            // The detail page: every documented "- type key: ..." line of the docblock, whole.
            $file = (new \ReflectionClass($class))->getFileName();
            $contents = file_get_contents($file);
            $doc = (new \ReflectionClass($class))->getDocComment();
            preg_match_all('/^\s*\*\s+-\s+(\S+\s+\w+:.*?)\s*$/m', $doc, $documented);
            // Each key documented (nested fields of documented arrays too).
            $this->assertGreaterThanOrEqual(count($def['other']), count($documented[1]), "$class: documented other keys");
            preg_match_all($pattern, $contents, $captured);
            $shown = array_map('trim', $captured[2] ?? []);
            foreach ($documented[1] as $line) {
                $this->assertContains(trim($line), $shown,
                    "$class: the event detail page does not show this documented other key whole: $line");
            }
        }
    }

    /**
     * The pattern report/eventlist/eventdetail.php applies to an event's file for its
     * other keys, read from that file.
     */
    private function eventdetail_other_pattern(): string {
        global $CFG;
        $source = file_get_contents($CFG->dirroot . '/report/eventlist/eventdetail.php');
        $tokens = token_get_all($source);
        foreach ($tokens as $i => $token) {
            if (is_array($token) && $token[0] === T_VARIABLE && $token[1] === '$otherpattern') {
                for ($j = $i + 1; $j < count($tokens); $j++) {
                    if (is_array($tokens[$j]) && $tokens[$j][0] === T_CONSTANT_ENCAPSED_STRING) {
                        $pattern = eval('return ' . $tokens[$j][1] . ';');
                        $this->assertIsString($pattern);
                        $this->assertNotFalse(@preg_match($pattern, ''), "bad pattern $pattern");
                        return $pattern;
                    }
                    if ($tokens[$j] === ';') {
                        break;
                    }
                }
            }
        }
        $this->fail('no $otherpattern in report/eventlist/eventdetail.php');
    }

    /**
     * Text with whitespace runs as single spaces.
     */
    private static function squash(string $text): string {
        return trim(preg_replace('/\s+/', ' ', $text));
    }

    /**
     * Milliseconds per event into the real log store (buffersize 0): a bridge event
     * against \core\event\course_viewed. Printed, never asserted.
     */
    public function test_timing_against_a_core_event(): void {
        global $DB;
        $this->enable_logstore();
        $job = $this->job();
        $job->set_status(archive_job_status::ERROR);
        $row = $DB->get_record('local_archiving_job', ['id' => $job->get_id()], '*', MUST_EXIST);
        $coursecontext = \context_course::instance($this->course->id);
        $n = 300;
        $runs = [
            'archive_job_failed (bridge)' => function () use ($row) {
                \local_archiving\event\archive_job_failed::create_from_job($row, 'The storage was full')->trigger();
            },
            'archive_job_failed (native)' => function () use ($row) {
                \moodle_events\event::create_from_job('\\local_archiving\\event\\archive_job_failed', $row,
                    ['cause' => 'The storage was full'])->trigger();
            },
            'core course_viewed' => function () use ($coursecontext) {
                \core\event\course_viewed::create(['context' => $coursecontext])->trigger();
            },
        ];
        $results = [];
        foreach ($runs as $label => $run) {
            $run(); // Warm up.
            $before = $DB->count_records('logstore_standard_log');
            $t0 = hrtime(true);
            for ($i = 0; $i < $n; $i++) {
                $run();
            }
            $ms = (hrtime(true) - $t0) / 1e6 / $n;
            $this->assertSame($before + $n, $DB->count_records('logstore_standard_log'), $label);
            $results[] = sprintf('%-30s %.3f ms/event', $label, $ms);
        }
        fwrite(STDERR, "\nmoodle_events timing (Moodle {$GLOBALS['CFG']->release}, $n events each, "
            . "logstore_standard, buffersize 0):\n  " . implode("\n  ", $results) . "\n");
    }
}
