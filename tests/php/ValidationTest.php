<?php
// Every rule broken once: a validation_exception naming the event, the field and the rule,
// and nothing half-built escapes (no event, nothing in the sink).

use moodle_events\event;
use moodle_events\tests\fixtures;
use moodle_events\validation_exception;
use PHPUnit\Framework\TestCase;

final class ValidationTest extends TestCase {
    private const FAILED = '\local_archiving\event\archive_job_failed';
    private const TASK = '\archivingmod_quiz\event\task_created';

    protected function tearDown(): void {
        \moodle_events\reset();
    }

    private static function job_data(array $o = []): array {
        return $o + ['objectid' => 12, 'contextid' => 34, 'other' => ['cause' => 'disk full']];
    }

    public static function broken(): array {
        $okother = ['cause' => 'x'];
        $task = ['jobid' => 1, 'activity' => ['cmid' => 1, 'modname' => 'quiz', 'instanceid' => 1], 'settings' => []];
        $deep = 1;
        for ($i = 0; $i < 40; $i++) {
            $deep = [$deep];
        }
        return [
            // [eventname, data, field, message fragment]
            'unknown event' => ['\local_archiving\event\archive_job_exploded', self::job_data(), 'eventname', 'archive_job_created'],
            'unknown component' => ['\local_foo\event\archive_job_failed', self::job_data(), 'eventname', '\archivingmod_<name>\event\{…}'],
            'not a class name' => ['archive_job_failed', self::job_data(), 'eventname', 'not a Moodle event class name'],
            'bad plugin name' => ['\archivingmod_Quiz\event\task_created', [], 'eventname', 'frankenstyle'],
            'no context' => [self::FAILED, ['objectid' => 1, 'other' => $okother], 'context', 'context (or contextid) is a required'],
            'zero contextid' => [self::FAILED, self::job_data(['contextid' => 0]), 'contextid', 'at least 1'],
            'context not an object' => [self::FAILED, ['objectid' => 1, 'context' => 34, 'other' => $okother], 'context', 'context object'],
            'context and contextid' => [self::FAILED, self::job_data(['context' => (object)['id' => 34]]), 'context', 'not both'],
            'no objectid' => [self::FAILED, ['contextid' => 1, 'other' => $okother], 'objectid', 'is required'],
            'objectid without objecttable' => ['\archivingevent_apistub\event\transmission_completed',
                ['objectid' => 1, 'contextid' => 1, 'other' => ['eventname' => self::FAILED]], 'objectid', 'no objecttable'],
            'objectid not numeric' => [self::FAILED, self::job_data(['objectid' => '12abc']), 'objectid', 'integer'],
            'objectid float' => [self::FAILED, self::job_data(['objectid' => 1.5]), 'objectid', 'must be int, got float'],
            'userid array' => [self::FAILED, self::job_data(['userid' => [1]]), 'userid', 'must be int, got array'],
            'courseid negative' => [self::FAILED, self::job_data(['courseid' => -4]), 'courseid', 'at least 0'],
            'relateduserid string' => [self::FAILED, self::job_data(['relateduserid' => 'bob']), 'relateduserid', 'integer'],
            'anonymous 2' => [self::FAILED, self::job_data(['anonymous' => 2]), 'anonymous', 'bool or 0/1'],
            'reserved crud' => [self::FAILED, self::job_data(['crud' => 'd']), 'crud', 'set by Moodle itself'],
            'reserved timecreated' => [self::FAILED, self::job_data(['timecreated' => 1]), 'timecreated', 'set by Moodle itself'],
            'unknown key' => [self::FAILED, self::job_data(['colour' => 'red']), 'colour', 'not a create() key'],
            'other not array' => [self::FAILED, self::job_data(['other' => 'disk full']), 'other', 'must be array, got string'],
            'missing required' => [self::FAILED, self::job_data(['other' => []]), 'other.cause', 'is required'],
            'missing other' => [self::FAILED, ['objectid' => 1, 'contextid' => 1], 'other.cause', 'is required'],
            'wrong type' => [self::FAILED, self::job_data(['other' => ['cause' => 42]]), 'other.cause', 'must be string, got int'],
            'empty string' => [self::FAILED, self::job_data(['other' => ['cause' => '']]), 'other.cause', 'must not be empty'],
            'too long' => [self::FAILED, self::job_data(['other' => ['cause' => str_repeat('x', 1025)]]), 'other.cause', 'at most 1024'],
            'not a status' => [self::FAILED, self::job_data(['other' => ['cause' => 'x', 'status' => 100]]), 'other.status', '240 (FAILURE)'],
            'unknown other key' => [self::FAILED, self::job_data(['other' => ['cause' => 'x', 'colour' => 1]]), 'other.colour', 'other keys: cause, status'],
            'secret key' => [self::FAILED, self::job_data(['other' => ['cause' => 'x', 'wstoken' => 'abc123']]), 'other.wstoken', 'secret'],
            'nested secret' => [self::TASK, ['objectid' => 1, 'contextid' => 1, 'other' => ['settings' => ['db' => ['PassWord' => 'abc123']]] + $task], 'other.settings.db.PassWord', 'secret'],
            'object in other' => [self::TASK, ['objectid' => 1, 'contextid' => 1, 'other' => ['settings' => ['x' => new \stdClass()]] + $task], 'other.settings.x', 'JSON-compatible'],
            'closure in other' => [self::TASK, ['objectid' => 1, 'contextid' => 1, 'other' => ['settings' => [fn() => 1]] + $task], 'other.settings.0', 'got object'],
            'resource in other' => [self::TASK, ['objectid' => 1, 'contextid' => 1, 'other' => ['settings' => ['x' => fopen('php://memory', 'r')]] + $task], 'other.settings.x', 'got resource'],
            'INF in other' => [self::TASK, ['objectid' => 1, 'contextid' => 1, 'other' => ['settings' => [INF]] + $task], 'other.settings.0', 'finite'],
            'invalid UTF-8 key' => [self::TASK, ['objectid' => 1, 'contextid' => 1, 'other' => ['settings' => ["\xff" => 1]] + $task], "other.settings.\u{fffd}", 'UTF-8'],
            'NAN in other' => [self::TASK, ['objectid' => 1, 'contextid' => 1, 'other' => ['settings' => ['x' => NAN]] + $task], 'other.settings.x', 'finite'],
            'invalid UTF-8' => [self::TASK, ['objectid' => 1, 'contextid' => 1, 'other' => ['settings' => ['x' => "\xff\xfe"]] + $task], 'other.settings.x', 'UTF-8'],
            'too deep' => [self::TASK, ['objectid' => 1, 'contextid' => 1, 'other' => ['settings' => $deep] + $task], 'other.settings', 'deeper than 32'],
            'nested required' => [self::TASK, ['objectid' => 1, 'contextid' => 1, 'other' => ['activity' => ['cmid' => 1, 'modname' => 'quiz']] + $task], 'other.activity.instanceid', 'is required'],
            'out of range' => ['\archivingmod_quiz\event\task_updated', ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'updatedfields' => ['progress'], 'progress' => 101]], 'other.progress', 'at most 100'],
            'not a column' => ['\archivingmod_quiz\event\task_updated', ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'updatedfields' => ['colour']]], 'other.updatedfields[0]', 'column of local_archiving_activity_task'],
            'empty list' => ['\archivingmod_quiz\event\task_updated', ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'updatedfields' => []]], 'other.updatedfields', 'must not be empty'],
            'not a list' => ['\archivingmod_quiz\event\task_updated', ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'updatedfields' => ['a' => 'status']]], 'other.updatedfields', 'must be a list'],
            'bad sha256' => ['\archivingstore_s3\event\write_task_completed', ['objectid' => 1, 'contextid' => 1, 'other' => ['jobid' => 1, 'source' => [], 'destination' => ['filehandleid' => 1, 'sha256sum' => 'abc']]], 'other.destination.sha256sum', 'SHA-256'],
            'bad forwarded name' => ['\archivingevent_apistub\event\transmission_completed', ['contextid' => 1, 'other' => ['eventname' => 'nope']], 'other.eventname', 'Moodle event class name'],
        ];
    }

    /** @dataProvider broken */
    #[\PHPUnit\Framework\Attributes\DataProvider('broken')]
    public function test_rule(string $eventname, array $data, string $field, string $fragment): void {
        try {
            event::create($eventname, $data);
            $this->fail("no exception for $field");
        } catch (validation_exception $e) {
            $this->assertInstanceOf(\InvalidArgumentException::class, $e);
            $this->assertSame($field, $e->field);
            $this->assertSame($eventname, $e->eventname);
            $this->assertStringStartsWith("$eventname: $field: ", $e->getMessage());
            $this->assertStringContainsString($fragment, $e->getMessage());
            $this->assertStringNotContainsString('abc123', $e->getMessage(), 'a secret value is never echoed');
            $this->assertSame(__FILE__, $e->getFile());
        }
    }

    public function test_trigger_twice_and_snapshot_after_trigger_use_moodles_wording(): void {
        $sink = \moodle_events\redirect_events();
        $event = event::create(self::FAILED, self::job_data());
        $event->trigger();
        try {
            $event->trigger();
            $this->fail('second trigger');
        } catch (validation_exception $e) {
            $this->assertSame(self::FAILED . ': trigger: Can not trigger event twice', $e->getMessage());
        }
        try {
            $event->add_record_snapshot('local_archiving_job', fixtures::job());
            $this->fail('late snapshot');
        } catch (validation_exception $e) {
            $this->assertStringEndsWith('It is not possible to add snapshots after triggering of events', $e->getMessage());
        }
        $this->assertSame(1, $sink->count());
    }

    public function test_snapshot_rules(): void {
        $event = event::create(self::FAILED, self::job_data());
        foreach ([
            ['user', fixtures::job(), 'snapshot', 'only for table local_archiving_job'],
            ['local_archiving_job', fixtures::job(['id' => '13']), 'snapshot.id', "id 13 is not the event's objectid 12"],
            ['local_archiving_job', (object)['name' => 'x'], 'snapshot.id', 'is required'],
        ] as [$table, $record, $field, $fragment]) {
            try {
                $event->add_record_snapshot($table, $record);
                $this->fail($fragment);
            } catch (validation_exception $e) {
                $this->assertSame($field, $e->field);
                $this->assertStringContainsString($fragment, $e->getMessage());
            }
        }
        $this->assertNull($event->get_record_snapshot('local_archiving_job', 12));
    }

    public function test_factories_check_the_record_fits_the_event(): void {
        $cases = [
            [fn() => event::create_from_task('\archivingmod_assign\event\task_completed', fixtures::task('quiz')),
                'archivingmod', "belongs to archivingmod_quiz, not to this event's component archivingmod_assign"],
            [fn() => event::create_from_file('\archivingstore_s3\event\read_task_completed', fixtures::file('localdir'),
                fixtures::caller_other('read_task_completed')), 'archivingstore', 'archivingstore_localdir'],
            [fn() => event::create_from_job('\archivingmod_quiz\event\task_completed', fixtures::job()),
                'eventname', 'create_from_job() cannot make this event; use create_from_task()'],
            [fn() => event::create_from_task('\local_archiving\event\archive_job_completed', fixtures::task('quiz')),
                'eventname', 'use create_from_job()'],
            [fn() => event::create_from_file('\archivingstore_s3\event\read_task_completed', fixtures::file('s3', ['contextid' => null]),
                fixtures::caller_other('read_task_completed')), 'context', 'context (or contextid) is a required event property'],
            [fn() => event::create_from_job('\local_archiving\event\archive_job_failed', fixtures::job(['status' => '100']), ['cause' => 'x']),
                'status', 'must be one of 200 (ERROR)'],
            [fn() => event::create_from_task('\archivingmod_quiz\event\task_completed', fixtures::task('quiz', ['status' => '100'])),
                'status', 'must be one of 220 (FINISHED); got 100'],
            [fn() => event::create_from_task('\archivingmod_quiz\event\task_aborted', fixtures::task('quiz', ['status' => null]), ['cause' => 'x']),
                'status', 'is required'],
            [fn() => event::create_from_job('\local_archiving\event\archive_job_failed', fixtures::job(['status' => '240']), ['cause' => 'x', 'status' => 200]),
                'other.status', "comes from the record's status, so it must not be passed"],
            [fn() => event::create_from_event('\archivingevent_apistub\event\transmission_completed',
                event::create_from_job('\local_archiving\event\archive_job_deleted', fixtures::job()), ['eventname' => '\x_y\event\z_created']),
                'other.eventname', 'comes from the record'],
            [fn() => event::create('\archivingstore_s3\event\write_task_failed', ['objectid' => 12, 'contextid' => 1, 'other' => ['jobid' => 13, 'cause' => 'x']]),
                'other.jobid', "must be the event's objectid 12, got 13"],
            [fn() => event::create_from_job('\local_archiving\event\archive_job_completed', fixtures::job(['id' => 'x', 'status' => '100'])),
                'objectid', 'integer'],
            [fn() => event::create_from_task('\archivingmod_quiz\event\task_failed', fixtures::task_for('task_failed', 'quiz'), ['cause' => 'x', 'wstoken' => 'abc123']),
                'other.wstoken', 'secret'],
            [fn() => event::create_from_event('\archivingevent_apistub\event\transmission_failed', new \stdClass(), ['cause' => 'x']),
                'forwarded', 'moodle_events\event or a Moodle event'],
        ];
        foreach ($cases as [$call, $field, $fragment]) {
            try {
                $call();
                $this->fail("no exception: $fragment");
            } catch (validation_exception $e) {
                $this->assertSame($field, $e->field, $e->getMessage());
                $this->assertStringContainsString($fragment, $e->getMessage());
                $this->assertStringNotContainsString('abc123', $e->getMessage());
                $this->assertStringNotContainsString('f00dfeed', $e->getMessage());
            }
        }
    }

    public function test_every_key_moodle_sets_itself_is_rejected(): void {
        foreach (['eventname', 'component', 'action', 'target', 'crud', 'edulevel', 'objecttable', 'contextlevel',
                'contextinstanceid', 'timecreated'] as $key) {
            try {
                event::create(self::FAILED, self::job_data([$key => 1]));
                $this->fail("$key accepted");
            } catch (validation_exception $e) {
                $this->assertSame($key, $e->field);
                $this->assertStringContainsString('is set by Moodle itself', $e->getMessage());
            }
        }
    }

    public function test_references_cannot_change_an_event_after_validation(): void {
        $cause = 'disk full';
        $source = ['path' => '/tmp/a'];
        $event = event::create(self::FAILED, self::job_data(['other' => ['cause' => &$cause]]));
        $write = event::create_from_job('\archivingstore_s3\event\write_task_created', fixtures::job(),
            ['source' => &$source, 'destination' => ['path' => 'b']]);
        $cause = ['wstoken' => 'abc123'];
        $source['password'] = 'abc123';
        $source['object'] = new \stdClass();
        $this->assertSame(['cause' => 'disk full'], $event->other);
        $this->assertSame(['path' => '/tmp/a'], $write->other['source']);
        $this->assertStringNotContainsString('abc123', json_encode([$event, $write]));
    }

    public function test_a_failed_create_leaves_the_callers_data_as_it_was(): void {
        $data = ['objectid' => '12', 'contextid' => '34', 'other' => ['cause' => 'x', 'status' => '240', 'colour' => 1]];
        $copy = $data;
        try {
            event::create(self::FAILED, $data);
            $this->fail('unknown key accepted');
        } catch (validation_exception $e) {
            $this->assertSame('other.colour', $e->field);
        }
        $this->assertSame($copy, $data);
    }

    public function test_record_columns_must_be_database_values(): void {
        $this->expectException(validation_exception::class);
        $this->expectExceptionMessage('snapshot.extra: must be JSON-compatible');
        event::create_from_job('\local_archiving\event\archive_job_deleted', fixtures::job(['extra' => new \stdClass()]));
    }

    /** Moodle's data of an event, as create() fills it, from create()'s keys. */
    private static function moodle_data(string $eventname, array $data): array {
        return $data + ['eventname' => $eventname, 'objectid' => null, 'contextid' => null, 'contextlevel' => 70,
            'contextinstanceid' => 5, 'userid' => 2, 'courseid' => 0, 'relateduserid' => null, 'anonymous' => 0,
            'other' => null, 'timecreated' => 1];
    }

    /** validate_data(), the bridge's in-place check, gives create()'s verdict on Moodle's data. */
    public function test_validate_data_checks_moodles_data_as_create_does(): void {
        $checked = 0;
        foreach (self::broken() as $case => [$eventname, $data, $field]) {
            // Keys only create() takes (a context object, reserved or unknown keys) and
            // names that are no catalogue event have no Moodle data to check.
            if (in_array($field, ['eventname', 'context', 'crud', 'timecreated', 'colour'], true)) {
                continue;
            }
            $data = self::moodle_data($eventname, $data);
            try {
                event::validate_data($data, (object)['id' => $data['contextid']]);
                $this->fail("$case: no exception for $field");
            } catch (validation_exception $e) {
                $this->assertSame($field, $e->field, $case);
                try {
                    event::create($eventname, array_intersect_key($data, array_flip(
                        ['objectid', 'contextid', 'userid', 'relateduserid', 'courseid', 'anonymous', 'other'])));
                    $this->fail("$case: create() accepts what validate_data() refused");
                } catch (validation_exception $created) {
                    $this->assertSame($created->getMessage(), $e->getMessage(), "$case: the same message");
                }
            }
            $checked++;
        }
        $this->assertGreaterThan(30, $checked);
        // Valid data passes, and nothing is captured or built.
        $sink = \moodle_events\redirect_events();
        event::validate_data(self::moodle_data(self::FAILED, self::job_data()), (object)['id' => 34]);
        $this->assertSame(0, $sink->count());
    }

    /** The context's course is asked once per context object and request, and checked. */
    public function test_validate_data_checks_the_course_once_per_context(): void {
        $context = new class {
            public int $asked = 0;
            public function get_course_context(bool $strict = true): object {
                $this->asked++;
                return (object)['instanceid' => 2];
            }
        };
        event::validate_data(self::moodle_data(self::FAILED, self::job_data(['courseid' => 2])), $context);
        event::validate_data(self::moodle_data(self::FAILED, self::job_data(['courseid' => 2])), $context);
        $this->assertSame(1, $context->asked, 'asked once');
        try {
            event::validate_data(self::moodle_data(self::FAILED, self::job_data(['courseid' => 3])), $context);
            $this->fail('a courseid that is not the context\'s course');
        } catch (validation_exception $e) {
            $this->assertSame(self::FAILED . ": courseid: must be the context's course 2, got 3", $e->getMessage());
            $this->assertSame(1, $context->asked);
        }
        $other = clone $context;
        event::validate_data(self::moodle_data(self::FAILED, self::job_data(['courseid' => 2])), $other);
        $this->assertSame(2, $other->asked, 'another context object is asked again');
    }
}
