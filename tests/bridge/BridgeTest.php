<?php
// The Moodle bridge (php/) against the Moodle stand-in: every catalogue event as a real
// \core\event\base, built and validated by the extension, seen by observers, the log
// store, the event list and both sinks.

use core\event\base;
use core\event\manager;
use moodle_events\catalogue;
use moodle_events\event;
use moodle_events\tests\fixtures;
use PHPUnit\Framework\TestCase;

final class BridgeTest extends TestCase {
    protected function setUp(): void {
        \standin::reset();
        \moodle_events\reset();
    }

    protected function tearDown(): void {
        $this->assertSame([], \standin::$debugging, 'no debugging() call');
        \standin::reset();
        \moodle_events\reset();
    }

    /** Known subplugins, and (when make test-bridge generated them) three nobody has yet. */
    public static function events(): array {
        $extra = getenv('BRIDGE_EXTRA') ? 1 : 0;
        return fixtures::all_events([
            'archivingmod' => array_slice(['quiz', 'assign', 'forum'], 0, 2 + $extra),
            'archivingstore' => array_slice(['localdir', 'moodle', 's3'], 0, 2 + $extra),
            'archivingevent' => array_slice(['apistub', 'webhook'], 0, 1 + $extra),
        ]);
    }

    private static function plugin(string $class): string {
        $component = explode('\\', ltrim($class, '\\'))[0];
        return substr($component, strpos($component, '_') + 1);
    }

    private static function record(string $class, string $name, string $factory): object {
        return match ($factory) {
            'create_from_job' => fixtures::job_for($name),
            'create_from_task' => fixtures::task_for($name, self::plugin($class)),
            'create_from_file' => fixtures::file(self::plugin($class)),
            default => \local_archiving\event\archive_job_completed::create_from_job(fixtures::job(['status' => '100'])),
        };
    }

    /** The bridge factory, called as a plugin would: the record, then the other keys by name. */
    private static function bridged(string $class, string $name, string $factory): base {
        return $class::$factory(self::record($class, $name, $factory), ...fixtures::caller_other($name));
    }

    private static function native(string $class, string $name, string $factory): event {
        return event::$factory($class, self::record($class, $name, $factory), fixtures::caller_other($name));
    }

    private static function without_time(array $data): array {
        unset($data['timecreated']);
        return $data;
    }

    /** advanced_testcase::assertEventContextNotUsed(): get_url() and get_description() without the context. */
    private function assertEventContextNotUsed(base $event): void {
        $swap = \Closure::bind(function ($context) {
            [$old, $this->context] = [$this->context, $context];
            return $old;
        }, $event, base::class);
        $old = $swap(false);
        $url = $event->get_url();
        $description = $event->get_description();
        $swap($old);
        $this->assertTrue($url === null || $url instanceof \moodle_url);
        $this->assertIsString($description);
        $this->assertStringNotContainsString("''", $description, 'every placeholder is filled');
    }

    public function test_every_event_is_generated(): void {
        $extra = getenv('BRIDGE_EXTRA') ? 1 : 0;
        // 6 job events; 5 task events per archivingmod, 10 per archivingstore, 2 per archivingevent.
        $this->assertCount(6 + 5 * (2 + $extra) + 10 * (2 + $extra) + 2 * (1 + $extra), self::events());
        foreach (array_keys(self::events()) as $class) {
            $this->assertTrue(class_exists($class), $class);
        }
    }

    /** @dataProvider events */
    public function test_event_through_its_factory(string $class, string $name, string $factory): void {
        $event = self::bridged($class, $name, $factory);
        $native = self::native($class, $name, $factory);
        $def = catalogue::definition($class);

        $this->assertInstanceOf(ltrim($class, '\\'), $event);
        $this->assertInstanceOf(base::class, $event);
        $this->assertSame(self::without_time($native->get_data()), self::without_time($event->get_data()),
            'the same data as the extension built');
        $this->assertSame(34, $event->contextid);
        $this->assertSame(CONTEXT_MODULE, $event->contextlevel);
        $this->assertSame(2, $event->courseid, "the module context's course");
        if ($def['objecttable'] !== null) {
            $snapshot = $event->get_record_snapshot($def['objecttable'], $event->objectid);
            $this->assertEquals($native->get_record_snapshot($def['objecttable'], $event->objectid), $snapshot);
            if (property_exists($snapshot, 'wstoken')) {
                $this->assertNull($snapshot->wstoken, 'the web service token never reaches the event');
            }
        }

        // What the admin event list shows.
        $this->assertSame(catalogue::static_info($class), $class::get_static_info());
        $this->assertSame($def['title'], $class::get_name(), 'from the lang string');
        $this->assertStringStartsWith($def['title'] . ".\n", $class::get_explanation());
        $this->assertStringContainsString(rtrim($def['trigger'], '.'), str_replace("\n", ' ', $class::get_explanation()));
        $this->assertSame($def['objecttable'] === null ? false
            : ['db' => $def['objecttable'], 'restore' => base::NOT_MAPPED], $class::get_objectid_mapping());
        $ids = [];
        foreach ($def['other'] as $key => $spec) {
            if (isset($spec['refers'])) {
                $ids[$key] = ['db' => $spec['refers'], 'restore' => base::NOT_MAPPED];
            }
        }
        $this->assertSame($ids ?: false, $class::get_other_mapping(), 'every id in other whose table the catalogue knows');
        $this->assertEventContextNotUsed($event);
        $this->assertSame($native->get_description(), $event->get_description(), 'the catalogue template');

        // Moodle's trigger(): into Moodle's sink, the same instance.
        $sink = \phpunit_util::start_event_redirection();
        $event->trigger();
        $this->assertSame([$event], $sink->get_events());
    }

    /** @dataProvider events */
    public function test_native_trigger_is_handed_to_moodle(string $class, string $name, string $factory): void {
        $seen = [];
        manager::$observers = [
            ['eventname' => '*', 'callback' => [\logstore::class, 'observe'], 'priority' => 1000],
            ['eventname' => $class, 'callback' => function (base $e) use (&$seen) {
                $seen[] = $e;
            }],
        ];
        $native = self::native($class, $name, $factory);
        $native->trigger();

        $this->assertTrue($native->is_triggered());
        $this->assertTrue($native->is_dispatched());
        $this->assertCount(1, $seen, 'a Moodle observer saw it');
        $this->assertInstanceOf(ltrim($class, '\\'), $seen[0]);
        $this->assertSame($native->get_data(), $seen[0]->get_data(), 'one event, one identity');
        $this->assertTrue($seen[0]->is_dispatched());

        // The log store wrote it; restore() of the row gives back an equal event.
        $this->assertCount(1, \logstore::$rows);
        $restored = \logstore::restore(\logstore::$rows[0]);
        $this->assertInstanceOf(ltrim($class, '\\'), $restored);
        $this->assertEquals($seen[0]->get_data(), $restored->get_data());
        $this->assertSame($seen[0]->get_description(), $restored->get_description());

        $this->expectException(\moodle_events\validation_exception::class);
        $this->expectExceptionMessage('Can not trigger event twice');
        $native->trigger();
    }

    public function test_moodle_events_sink_captures_the_moodle_events(): void {
        manager::$observers = [['eventname' => '*', 'callback' => fn() => $this->fail('no observer runs while redirecting')]];
        $sink = \moodle_events\redirect_events();
        $this->assertTrue(\phpunit_util::is_redirecting_events(), "it is Moodle's own redirection");
        $this->assertTrue(\moodle_events\is_redirecting());

        $bridged = \local_archiving\event\archive_job_created::create_from_job(fixtures::job());
        $bridged->trigger();
        event::create_from_task('\archivingmod_quiz\event\task_completed', fixtures::task_for('task_completed', 'quiz'))->trigger();
        // A core event in the same test is captured too, as $this->redirectEvents() would.
        \local_archiving\event\archive_job_deleted::create(['objectid' => 12, 'contextid' => 34])->trigger();

        $this->assertSame(3, $sink->count());
        $this->assertCount(3, $sink);
        $events = $sink->get_events();
        $this->assertSame($bridged, $events[0]);
        $this->assertInstanceOf(\archivingmod_quiz\event\task_completed::class, $events[1]);
        $this->assertSame($events[1], $sink->first_event('\archivingmod_quiz\event\task_completed'));
        $this->assertSame($events[1], $sink->first_event('archivingmod_quiz\event\task_completed'));
        $this->assertSame(2, $sink->event_position(\local_archiving\event\archive_job_deleted::class));
        $this->assertNull($sink->event_position('\core\event\course_viewed'));
        $this->assertSame($bridged, $sink->first_event());
        $this->assertSame($events, iterator_to_array($sink));

        $sink->clear();
        $this->assertSame(0, $sink->count());
        $sink->close();
        $this->assertFalse(\moodle_events\is_redirecting());
        $this->assertFalse(\phpunit_util::is_redirecting_events());
    }

    public function test_redirect_events_of_moodle_captures_native_triggers(): void {
        $ours = \moodle_events\redirect_events();
        $sink = \phpunit_util::start_event_redirection(); // $this->redirectEvents(): the one active sink now
        event::create_from_job('\local_archiving\event\archive_job_failed', fixtures::job_for('archive_job_failed'),
            ['cause' => 'The storage was full'])->trigger();
        $this->assertCount(1, $sink->get_events());
        $this->assertInstanceOf(\local_archiving\event\archive_job_failed::class, $sink->get_events()[0]);
        $this->assertSame('The storage was full', $sink->get_events()[0]->other['cause']);
        $this->assertSame(0, $ours->count(), 'a second redirection stops the first');
        \moodle_events\reset();
        $this->assertFalse(\phpunit_util::is_redirecting_events(), 'reset() stops redirection');
    }

    public function test_validate_data_runs_the_extensions_rules(): void {
        try {
            \local_archiving\event\archive_job_failed::create(['objectid' => 12, 'contextid' => 34, 'other' => ['status' => 240]]);
            $this->fail('no cause');
        } catch (\coding_exception $e) {
            $this->assertSame('Coding error detected, it must be fixed by a programmer: '
                . '\local_archiving\event\archive_job_failed: other.cause: is required', $e->getMessage());
        }
        $event = \local_archiving\event\archive_job_failed::create(['objectid' => 12, 'contextid' => 34,
            'other' => ['cause' => 'disk full', 'status' => 240]]);
        $this->assertSame(2, $event->courseid);
        $this->assertSame(2, $event->userid, '$USER->id');

        $cases = [
            'wrong type' => [fn() => \archivingmod_quiz\event\task_updated::create(['objectid' => 77, 'contextid' => 34,
                'other' => ['jobid' => 12, 'updatedfields' => ['progress'], 'progress' => 101]]), 'other.progress'],
            'secret' => [fn() => \local_archiving\event\archive_job_aborted::create(['objectid' => 12, 'contextid' => 34,
                'other' => ['cause' => 'x', 'wstoken' => 'abc123']]), 'other.wstoken'],
            'no objectid' => [fn() => \local_archiving\event\archive_job_created::create(['contextid' => 34]), 'objectid'],
            'factory: another plugin' => [fn() => \archivingmod_assign\event\task_completed::create_from_task(
                fixtures::task_for('task_completed', 'quiz')), 'archivingmod'],
            'factory: record status' => [fn() => \local_archiving\event\archive_job_completed::create_from_job(
                fixtures::job(['status' => '30'])), 'status'],
            'factory: nested key' => [fn() => \archivingmod_quiz\event\task_created::create_from_task(
                fixtures::task('quiz'), ['cmid' => 9, 'modname' => 'quiz'], []), 'other.activity.instanceid'],
        ];
        foreach ($cases as $label => [$make, $field]) {
            try {
                $make();
                $this->fail("$label: accepted");
            } catch (\coding_exception $e) {
                $this->assertStringContainsString(": $field: ", $e->getMessage(), $label);
                $this->assertStringNotContainsString('abc123', $e->getMessage(), "$label: secrets never echoed");
            }
        }
    }

    public function test_a_native_event_of_another_class_is_refused(): void {
        $native = event::create_from_job('\local_archiving\event\archive_job_created', fixtures::job());
        $this->expectException(\coding_exception::class);
        $this->expectExceptionMessage('\local_archiving\event\archive_job_created cannot be built as \local_archiving\event\archive_job_deleted');
        \local_archiving\event\archive_job_deleted::create_from_native($native);
    }

    public function test_a_moodle_event_is_forwarded_by_a_connector(): void {
        $sink = \moodle_events\redirect_events();
        $job = \local_archiving\event\archive_job_completed::create_from_job(fixtures::job(['status' => '100']));
        $sent = \archivingevent_apistub\event\transmission_failed::create_from_event($job, 'HTTP 503', ['httpstatus' => 503]);
        $sent->trigger();
        $this->assertSame(['eventname' => '\local_archiving\event\archive_job_completed', 'cause' => 'HTTP 503',
            'metadata' => ['httpstatus' => 503]], $sent->other);
        $this->assertSame(5, $sent->relateduserid, "the job's user");
        $this->assertSame([$sent], $sink->get_events());
        $this->assertNull($sent->objectid);
    }

    /** The admin event list: every class file in classes/event, abstract ones skipped. */
    public function test_event_list(): void {
        global $STANDIN_ROOTS;
        $listed = [];
        foreach ($STANDIN_ROOTS as $root) {
            foreach (new RecursiveIteratorIterator(new RecursiveDirectoryIterator($root)) as $file) {
                if (!preg_match('~/([a-z0-9_]+)/classes/event/([a-z0-9_]+)\.php$~', $file->getPathname(), $m)) {
                    continue;
                }
                $component = preg_match('~/driver/(mod|store|event)/~', $file->getPathname(), $t)
                    ? ['mod' => 'archivingmod', 'store' => 'archivingstore', 'event' => 'archivingevent'][$t[1]] . '_' . $m[1]
                    : 'local_' . $m[1];
                $class = "$component\\event\\$m[2]";
                $this->assertTrue(class_exists($class), $class);
                $this->assertTrue(is_a($class, base::class, true), $class);
                if ((new ReflectionClass($class))->isAbstract()) {
                    continue;
                }
                $info = $class::get_static_info();
                $this->assertSame("\\$class", $info['eventname']);
                $this->assertSame(base::LEVEL_OTHER, $info['edulevel']);
                $this->assertStringNotContainsString('[[', $class::get_name_with_info());
                $listed[] = "\\$class";
            }
        }
        sort($listed);
        $expected = array_keys(self::events());
        sort($expected);
        $this->assertSame($expected, $listed);
    }

    public function test_without_the_extension_the_error_says_how_to_install_it(): void {
        $script = '
            require ' . var_export(dirname(__DIR__) . '/moodle/standin.php', true) . ';
            try {
                \local_archiving\event\archive_job_created::create_from_job((object)["id" => 1]);
            } catch (\Throwable $e) {
                echo get_class($e), ": ", $e->getMessage();
            }';
        $out = shell_exec(escapeshellarg(PHP_BINARY) . ' -n -r ' . escapeshellarg($script) . ' 2>&1');
        $this->assertStringStartsWith('RuntimeException: moodle_events extension is not loaded: install it', $out);
        $this->assertStringContainsString('extension=moodle_events', $out);
    }
}
