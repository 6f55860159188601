<?php
// Every catalogue event, created from its natural record for two subplugin names each
// (one known, one that a third party could add), checked field by field.

use moodle_events\catalogue;
use moodle_events\event;
use moodle_events\tests\fixtures;
use PHPUnit\Framework\TestCase;

final class EventsTest extends TestCase {
    protected function tearDown(): void {
        \moodle_events\reset();
    }

    public static function events(): array {
        return fixtures::all_events([
            'archivingmod' => ['quiz', 'forum_x'],
            'archivingstore' => ['localdir', 's3'],
            'archivingevent' => ['apistub', 'webhook'],
        ]);
    }

    /** Builds the event from its natural record; returns [event, record]. */
    private function make(string $class, string $name, string $factory): array {
        $component = explode('\\', ltrim($class, '\\'))[0];
        $plugin = substr($component, strpos($component, '_') + 1);
        $other = fixtures::caller_other($name);
        switch ($factory) {
            case 'create_from_job':
                $record = fixtures::job_for($name);
                return [event::create_from_job($class, $record, $other), $record];
            case 'create_from_task':
                $record = fixtures::task_for($name, $plugin);
                return [event::create_from_task($class, $record, $other), $record];
            case 'create_from_file':
                $record = fixtures::file($plugin);
                return [event::create_from_file($class, $record, $other), $record];
            default:
                $forwarded = event::create_from_job('\local_archiving\event\archive_job_completed',
                    fixtures::job(['status' => '100']));
                return [event::create_from_event($class, $forwarded, $other), $forwarded];
        }
    }

    public function test_every_catalogue_event_kind_is_known(): void {
        $json = json_decode(file_get_contents(dirname(__DIR__, 2) . '/catalogue/events.json'), true);
        $this->assertCount(count($json['events']), catalogue::names());
        $this->assertContains('\archivingmod_<name>\event\task_created', catalogue::names());
        // Fixed-component events once, subplugin events for two plugin names each.
        $subplugin = count(array_filter(catalogue::names(), fn($p) => str_contains($p, '<name>')));
        $this->assertGreaterThan(0, $subplugin);
        $this->assertCount(count(catalogue::names()) + $subplugin, self::events());
    }

    /** @dataProvider events */
    #[\PHPUnit\Framework\Attributes\DataProvider('events')]
    public function test_event_from_its_record(string $class, string $name, string $factory): void {
        [$event, $record] = $this->make($class, $name, $factory);
        $def = catalogue::definition($class);
        $data = $event->get_data();

        $this->assertSame(['eventname', 'component', 'action', 'target', 'objecttable', 'objectid', 'crud',
            'edulevel', 'contextid', 'contextlevel', 'contextinstanceid', 'userid', 'courseid', 'relateduserid',
            'anonymous', 'other', 'timecreated'], array_keys($data));
        $this->assertSame($class, $data['eventname']);
        $this->assertSame(explode('\\', ltrim($class, '\\'))[0], $data['component']);
        [$target, $action] = [substr($name, 0, strrpos($name, '_')), substr($name, strrpos($name, '_') + 1)];
        $this->assertSame($target, $data['target']);
        $this->assertSame($action, $data['action']);
        $this->assertSame($def['crud'], $data['crud']);
        $this->assertSame(0, $data['edulevel']);
        $this->assertSame(34, $data['contextid']);
        $this->assertSame(0, $data['userid'], 'no $USER outside Moodle');
        $this->assertSame(0, $data['anonymous']);
        $this->assertEqualsWithDelta(time(), $data['timecreated'], 5);
        $this->assertSame($def['objecttable'], $data['objecttable']);

        if ($factory === 'create_from_event') {
            $this->assertNull($data['objectid']);
            $this->assertSame('\local_archiving\event\archive_job_completed', $data['other']['eventname']);
            $this->assertSame(5, $data['relateduserid'], "the forwarded event's user");
        } else {
            $this->assertSame((int)$record->id, $data['objectid']);
            $snapshot = $event->get_record_snapshot($def['objecttable'], (int)$record->id);
            $this->assertIsObject($snapshot);
            $this->assertEquals($record->id, $snapshot->id);
            if (property_exists($record, 'wstoken')) {
                $this->assertTrue(property_exists($snapshot, 'wstoken'), 'every column stays in the snapshot');
                $this->assertNull($snapshot->wstoken, 'secrets never reach a snapshot');
            }
            $this->assertNull($event->get_record_snapshot($def['objecttable'], 999));
        }
        // Every key the record knows is derived; the caller's keys are kept.
        foreach (fixtures::caller_other($name) as $k => $v) {
            $this->assertSame($v, $data['other'][$k], "other.$k");
        }
        foreach ($def['other'] as $key => $spec) {
            if ($spec['required']) {
                $this->assertArrayHasKey($key, $data['other'], "required other.$key");
            }
            if (isset($spec['from']) && $factory !== 'create_from_event') {
                $this->assertArrayHasKey($key, $data['other'], "other.$key derived from {$spec['from']}");
            }
        }
        if (isset($def['other']['jobid'])) {
            $this->assertSame(12, $data['other']['jobid']);
        }
        if ($factory === 'create_from_job' || $factory === 'create_from_task') {
            $this->assertSame(5, $data['relateduserid'], "the record's user");
        }
        // Properties read like Moodle's, and nothing can be written.
        foreach ($data as $k => $v) {
            $this->assertSame($v, $event->$k, "\$event->$k");
            $this->assertSame($v !== null, isset($event->$k));
        }
        $this->assertFalse(isset($event->nosuchfield));
        $this->assertSame($data, iterator_to_array($event));
        $this->assertSame($def['title'], $event->get_name());
        $description = $event->get_description();
        $this->assertNotSame('', $description);
        $this->assertStringNotContainsString('{', $description);
        if ($data['objectid'] !== null) {
            $this->assertStringContainsString("'{$data['objectid']}'", $description);
        }
        $this->assertSame(json_encode($data), json_encode($event));
        $this->assertFalse($event->is_triggered());
        $this->assertFalse($event->is_dispatched());
    }

    public function test_versions_of_the_extension_and_its_catalogue(): void {
        $json = json_decode(file_get_contents(dirname(__DIR__, 2) . '/catalogue/events.json'), true);
        $this->assertMatchesRegularExpression('/^\d+\.\d+\.\d+$/', $json['version']);
        $this->assertSame($json['version'], catalogue::version());
        $this->assertSame($json['version'], \moodle_events\CATALOGUE_VERSION);
        $this->assertSame(phpversion('moodle_events'), \moodle_events\VERSION);
        $cargo = file_get_contents(dirname(__DIR__, 2) . '/Cargo.toml');
        $this->assertMatchesRegularExpression('/^version = "' . preg_quote(\moodle_events\VERSION, '/') . '"$/m', $cargo);
        $info = shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=' . escapeshellarg(MOODLE_EVENTS_EXT)
            . ' --ri moodle_events 2>&1');
        $this->assertStringContainsString("version => " . \moodle_events\VERSION . "\n", $info);
        $this->assertStringContainsString("catalogue version => " . catalogue::version() . "\n", $info);
    }

    public function test_each_event_has_a_json_schema_of_its_data(): void {
        foreach (catalogue::names() as $pattern) {
            $def = catalogue::definition($pattern);
            $schema = catalogue::json_schema($pattern);
            $this->assertSame('https://json-schema.org/draft/2020-12/schema', $schema['$schema']);
            $this->assertSame($def['title'], $schema['title']);
            $this->assertFalse($schema['additionalProperties']);
            $this->assertSame(['eventname', 'component', 'action', 'target', 'objecttable', 'objectid', 'crud', 'edulevel',
                'contextid', 'contextlevel', 'contextinstanceid', 'userid', 'courseid', 'relateduserid', 'anonymous', 'other',
                'timecreated'], $schema['required']);
            $this->assertSame(['const' => $def['crud']], $schema['properties']['crud']);
            $required = array_keys(array_filter($def['other'], fn($spec) => $spec['required']));
            if ($def['other'] === []) {
                $this->assertSame(['type' => 'null'], $schema['properties']['other']);
                continue;
            }
            $this->assertSame($required, $schema['properties']['other']['required'], $pattern);
            $this->assertSame(array_keys($def['other']), array_keys($schema['properties']['other']['properties']));
            foreach ($def['other'] as $key => $spec) {
                $this->assertStringStartsWith($spec['doc'], $schema['properties']['other']['properties'][$key]['description']);
            }
        }
        $this->assertSame(catalogue::json_schema('\archivingmod_<name>\event\task_created'),
            catalogue::json_schema('\archivingmod_quiz\event\task_created'));
        $this->expectException(\moodle_events\validation_exception::class);
        catalogue::json_schema('\local_archiving\event\archive_job_exploded');
    }

    public function test_moodle_event_outside_moodle_says_where_it_works(): void {
        $native = event::create_from_job('\local_archiving\event\archive_job_failed', fixtures::job_for('archive_job_failed'),
            fixtures::caller_other('archive_job_failed'));
        $this->expectException(\LogicException::class);
        $this->expectExceptionMessage('\local_archiving\event\archive_job_failed: moodle_event(): no Moodle event class '
            . '\local_archiving\event\archive_job_failed (only inside Moodle, with the plugin\'s generated event classes installed)');
        $native->moodle_event();
    }

    public function test_var_dump_shows_the_data(): void {
        $event = event::create('\local_archiving\event\archive_job_failed',
            ['objectid' => 12, 'contextid' => 1, 'other' => ['cause' => 'disk full']]);
        $dump = print_r($event, true);
        $this->assertStringContainsString('[objectid] => 12', $dump);
        $this->assertStringContainsString('[cause] => disk full', $dump);
        $this->assertStringContainsString('[triggered] =>', $dump);
    }

    public function test_events_compare_by_their_data(): void {
        $make = fn(string $name, int $id) => event::create("\\local_archiving\\event\\$name", ['objectid' => $id, 'contextid' => 2]);
        $a = $make('archive_job_completed', 1);
        $this->assertEquals($a, $make('archive_job_completed', 1));
        $this->assertNotEquals($a, $make('archive_job_completed', 2));
        $this->assertNotEquals($a, $make('archive_job_deleted', 1));
        $this->assertTrue($a == $make('archive_job_completed', 1));
    }

    public function test_an_unknown_property_warns_like_php(): void {
        $event = event::create('\local_archiving\event\archive_job_completed', ['objectid' => 1, 'contextid' => 1]);
        $warnings = [];
        set_error_handler(function (int $no, string $msg) use (&$warnings) {
            $warnings[] = [$no, $msg];
            return true;
        });
        try {
            $value = $event->nope;
        } finally {
            restore_error_handler();
        }
        $this->assertNull($value);
        $this->assertSame(E_WARNING, $warnings[0][0]);
        $this->assertStringEndsWith('Undefined property: moodle_events\event::$nope', $warnings[0][1]);
    }

    public function test_static_info_and_definition(): void {
        $class = '\archivingstore_s3\event\read_task_completed';
        $this->assertSame(['eventname' => $class, 'component' => 'archivingstore_s3', 'target' => 'read_task',
            'action' => 'completed', 'crud' => 'u', 'edulevel' => 0, 'objecttable' => 'local_archiving_file'],
            catalogue::static_info($class));
        $def = catalogue::definition('\archivingstore_<name>\event\read_task_completed');
        $this->assertSame('read_task_completed', $def['name']);
        $this->assertSame('create_from_file', $def['factory']);
        $this->assertSame('local_archiving_file', $def['snapshot']);
        $this->assertSame(['jobid', 'source', 'destination'], array_keys($def['other']));
        $this->assertSame(['type' => 'int', 'required' => true, 'doc' => $def['other']['jobid']['doc'],
            'from' => 'jobid', 'refers' => 'local_archiving_job', 'min' => 1], $def['other']['jobid']);
        $def = catalogue::definition('\local_archiving\event\archive_job_failed');
        $this->assertSame([200, 210, 220, 230, 240], array_values($def['other']['status']['values']));
        $this->assertSame('FAILURE', array_search(240, $def['other']['status']['values'], true));
        $this->expectException(\moodle_events\validation_exception::class);
        catalogue::definition('\archivingstore_s3\event\task_created');
    }

    public function test_create_with_moodle_keys(): void {
        $event = event::create('\local_archiving\event\archive_job_failed', [
            'objectid' => '12', 'contextid' => '34', 'userid' => '2', 'relateduserid' => 5, 'courseid' => '3',
            'anonymous' => true, 'other' => ['cause' => 'disk full', 'status' => '240'],
        ]);
        $this->assertSame(12, $event->objectid);
        $this->assertSame(2, $event->userid);
        $this->assertSame(3, $event->courseid);
        $this->assertSame(1, $event->anonymous);
        $this->assertSame(['cause' => 'disk full', 'status' => 240], $event->other, 'canonical strings normalised');
        $this->assertNull($event->contextlevel, 'no context lookup outside Moodle');
        $this->assertSame("The archive job with id '12' failed.", $event->get_description());
    }

    public function test_nested_numeric_strings_are_normalised_without_touching_the_callers_array(): void {
        $other = ['jobid' => '12', 'activity' => ['cmid' => '9', 'modname' => 'quiz', 'instanceid' => '3'], 'settings' => ['n' => '5']];
        $event = event::create('\archivingmod_quiz\event\task_created', ['objectid' => 7, 'contextid' => 1, 'other' => $other]);
        $this->assertSame(['jobid' => 12, 'activity' => ['cmid' => 9, 'modname' => 'quiz', 'instanceid' => 3],
            'settings' => ['n' => '5']], $event->other, 'documented ints normalised, free-form data kept');
        $this->assertSame('12', $other['jobid']);
        $this->assertSame('9', $other['activity']['cmid']);
    }

    public function test_a_context_object_gives_level_and_instance(): void {
        $context = new class {
            public $id = 34;
            public $contextlevel = 70;
            public $instanceid = 9;
        };
        $event = event::create('\local_archiving\event\archive_job_completed',
            ['objectid' => 1, 'context' => $context]);
        $this->assertSame([34, 70, 9], [$event->contextid, $event->contextlevel, $event->contextinstanceid]);
        $this->assertNull($event->other);
        $this->assertNull($event->relateduserid);
        // In a user context the related user defaults to that user, as in Moodle.
        $usercontext = (object)['id' => 35, 'contextlevel' => 30, 'instanceid' => 8];
        $event = event::create('\local_archiving\event\archive_job_completed', ['objectid' => 1, 'context' => $usercontext]);
        $this->assertSame(8, $event->relateduserid);
        // A context that knows its course gives the courseid.
        $modcontext = new class {
            public $id = 36;
            public $contextlevel = 70;
            public $instanceid = 9;
            public function get_course_context($strict = true) {
                return (object)['id' => 20, 'contextlevel' => 50, 'instanceid' => 4];
            }
        };
        $event = event::create('\local_archiving\event\archive_job_completed', ['objectid' => 1, 'context' => $modcontext]);
        $this->assertSame(4, $event->courseid);
    }

    public function test_current_user_is_the_default_userid(): void {
        $GLOBALS['USER'] = (object)['id' => '42'];
        try {
            $event = event::create_from_job('\local_archiving\event\archive_job_deleted', fixtures::job());
            $this->assertSame(42, $event->userid);
        } finally {
            unset($GLOBALS['USER']);
        }
    }

    public function test_snapshots_are_detached_copies(): void {
        $event = event::create('\local_archiving\event\archive_job_created', ['objectid' => 12, 'contextid' => 1]);
        $job = fixtures::job(['wstoken' => 'abc123']);
        $event->add_record_snapshot('local_archiving_job', $job);
        $snapshot = $event->get_record_snapshot('local_archiving_job', 12);
        $this->assertInstanceOf(\stdClass::class, $snapshot);
        $this->assertEquals((object)(['wstoken' => null] + (array)$job), $snapshot, 'the columns, secrets as null');
        // Neither the caller's record nor a returned copy can change the stored snapshot.
        $job->id = '99';
        $job->password = 'hunter2';
        $snapshot->status = 'changed';
        $again = $event->get_record_snapshot('local_archiving_job', 12);
        $this->assertSame('12', $again->id);
        $this->assertSame('30', $again->status);
        $this->assertFalse(property_exists($again, 'password'));
        $this->assertNotSame($snapshot, $again, 'each read is a copy, as Moodle returns a clone');
        $this->assertNull($event->get_record_snapshot('user', 12));
        $this->assertNull($event->get_record_snapshot('local_archiving_job', 13));
    }

    public function test_snapshot_of_a_typed_record_keeps_its_public_columns(): void {
        $event = event::create('\local_archiving\event\archive_job_created', ['objectid' => 1, 'contextid' => 1]);
        $record = new typed_job_record();
        $event->add_record_snapshot('local_archiving_job', $record);
        $this->assertEquals((object)['id' => 1, 'status' => 10, 'wstoken' => null], $event->get_record_snapshot('local_archiving_job', 1));
    }

    public function test_a_snapshot_cannot_hold_an_object(): void {
        $event = event::create('\local_archiving\event\archive_job_created', ['objectid' => 1, 'contextid' => 1]);
        $record = (object)['id' => 1, 'nested' => ['event' => $event]];
        try {
            $event->add_record_snapshot('local_archiving_job', $record);
            $this->fail('an object in a snapshot');
        } catch (\moodle_events\validation_exception $e) {
            $this->assertSame('snapshot.nested', $e->field);
        }
        $this->assertNull($event->get_record_snapshot('local_archiving_job', 1), 'nothing half-stored');
    }

    public function test_events_cannot_be_made_with_new_or_modified(): void {
        $event = event::create_from_job('\local_archiving\event\archive_job_completed', fixtures::job(['status' => '100']));
        try {
            $event->objectid = 5;
            $this->fail('property write');
        } catch (\moodle_events\validation_exception $e) {
            $this->assertStringContainsString('Event properties must not be modified.', $e->getMessage());
        }
        $this->assertSame(12, $event->objectid);
        try {
            unset($event->other);
            $this->fail('property unset');
        } catch (\moodle_events\validation_exception $e) {
            $this->assertSame('other', $e->field);
        }
        $this->expectException(\Exception::class);
        $this->expectExceptionMessage('You cannot instantiate this class from PHP.');
        new event();
    }
}

final class typed_job_record {
    public $id = 1;
    public $status = 10;
    public $wstoken = 'secret';
    protected $hidden = 'h';
    private $private = 'p';
}
