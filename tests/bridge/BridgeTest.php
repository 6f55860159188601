<?php
// The Moodle bridge (php/) against the Moodle stand-in, for what a real Moodle cannot show
// (make test-moodle runs every known event in real Moodle 4.5 and 5.1): the classes of
// three subplugins nobody has yet, generated on the spot, and Moodle without the extension.

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

    /** The events of three subplugins nobody has yet (make test-bridge generates them). */
    public static function events(): array {
        $events = fixtures::all_events([
            'archivingmod' => ['forum'],
            'archivingstore' => ['s3'],
            'archivingevent' => ['webhook'],
        ]);
        return array_filter($events, fn($class) => !str_starts_with($class, '\\local_archiving\\'), ARRAY_FILTER_USE_KEY);
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
        $this->assertNotFalse(getenv('BRIDGE_EXTRA'), 'run by make test-bridge, which generates the subplugins');
        // One generated subplugin of each type: every subplugin event once.
        $subplugin = array_filter(catalogue::names(), fn($p) => str_contains($p, '<name>'));
        $this->assertNotEmpty($subplugin);
        $this->assertCount(count($subplugin), self::events());
        foreach (array_keys(self::events()) as $class) {
            $this->assertTrue(class_exists($class), $class);
        }
    }

    /** @dataProvider events */
    #[\PHPUnit\Framework\Attributes\DataProvider('events')]
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
    #[\PHPUnit\Framework\Attributes\DataProvider('events')]
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

    public function test_a_native_event_of_another_class_is_refused(): void {
        $native = event::create_from_job('\local_archiving\event\archive_job_created', fixtures::job());
        $this->expectException(\coding_exception::class);
        $this->expectExceptionMessage('\local_archiving\event\archive_job_created cannot be built as \local_archiving\event\archive_job_deleted');
        \local_archiving\event\archive_job_deleted::create_from_native($native);
    }

    public function test_moodle_event_hands_the_data_over_validated_once(): void {
        $class = '\local_archiving\event\archive_job_failed';
        $native = event::create_from_job($class, fixtures::job_for('archive_job_failed'), fixtures::caller_other('archive_job_failed'));
        $event = $native->moodle_event();
        $this->assertInstanceOf(ltrim($class, '\\'), $event);
        $this->assertSame($native->get_data(), $event->get_data(), 'the same data, timecreated included');
        $this->assertEquals($native->get_record_snapshot('local_archiving_job', $native->objectid),
            $event->get_record_snapshot('local_archiving_job', $native->objectid));
        $this->assertFalse($native->is_triggered());
        $this->assertEquals($event, $class::create_from_native($native), 'create_from_native() is moodle_event()');

        // Validated once: with the size limit tightened after the native create(), the
        // hand-over still goes through (validating again would refuse it), while Moodle's
        // create() of the same data is refused.
        $native = event::create_from_job($class, fixtures::job_for('archive_job_failed'), ['cause' => str_repeat('x', 300)]);
        $old = ini_set('moodle_events.max_other_bytes', '256');
        try {
            $this->assertSame($native->get_data(), $native->moodle_event()->get_data());
            try {
                $class::create(['objectid' => $native->objectid, 'contextid' => 34, 'other' => $native->other]);
                $this->fail('the tightened limit applies to create()');
            } catch (\coding_exception $e) {
                $this->assertStringContainsString($class . ': other:', $e->getMessage());
            }
        } finally {
            ini_set('moodle_events.max_other_bytes', $old);
        }

        // Not validating the data handed over is used up by it: the next create() of the
        // same class validates, and so does create_from_native_data() called from PHP.
        $bad = ['objectid' => 1, 'contextid' => 34, 'other' => ['cause' => '']];
        foreach ([fn() => $class::create($bad), fn() => $class::create_from_native_data($bad, 1, [])] as $i => $create) {
            try {
                $create();
                $this->fail("call $i: an empty cause is refused");
            } catch (\coding_exception $e) {
                $this->assertStringContainsString($class . ': other.cause:', $e->getMessage(), "call $i");
            }
        }
    }

    public function test_classes_from_a_newer_catalogue_say_the_extension_is_too_old(): void {
        $this->assertSame(catalogue::version(), \local_archiving\event\archiving_event_base::CATALOGUE_VERSION);
        [$major, $minor] = array_map('intval', explode('.', catalogue::version()));
        $base = file_get_contents(dirname(__DIR__, 2) . '/php/local/archiving/classes/event/archiving_event_base.php');
        foreach (['newer minor' => "$major." . ($minor + 1) . '.0', 'newer major' => ($major + 1) . '.0.0',
                'older major' => ($major - 1) . '.9.0'] as $case => $needed) {
            $ns = 'local_gen' . str_replace(' ', '', $case);
            $code = str_replace(["namespace local_archiving\\event;", "CATALOGUE_VERSION = '" . catalogue::version() . "'"],
                ["namespace $ns\\event;", "CATALOGUE_VERSION = '$needed'"], substr($base, strlen('<?php')));
            eval($code);
            try {
                ("$ns\\event\\archiving_event_base")::require_extension();
                $this->fail("$case: refused");
            } catch (\RuntimeException $e) {
                $this->assertSame('moodle_events extension ' . \moodle_events\VERSION . ' has event catalogue '
                    . catalogue::version() . ", but these event classes need catalogue $needed or a newer "
                    . (int)$needed . '.x: install the moodle_events extension that goes with this plugin version on this '
                    . 'server (or regenerate the classes for the installed one) and restart PHP.', $e->getMessage(), $case);
            }
        }
    }

    public function test_without_the_extension_the_error_says_how_to_install_it(): void {
        // Through a factory, and through Moodle's create() (validate_data()).
        foreach ([
            '\local_archiving\event\archive_job_created::create_from_job((object)["id" => 1]);',
            '\local_archiving\event\archive_job_deleted::create(["objectid" => 1, "contextid" => 34]);',
        ] as $call) {
            $script = '
                require ' . var_export(dirname(__DIR__) . '/moodle/standin.php', true) . ';
                try {
                    ' . $call . '
                } catch (\Throwable $e) {
                    echo get_class($e), ": ", $e->getMessage();
                }';
            $out = shell_exec(escapeshellarg(PHP_BINARY) . ' -n -r ' . escapeshellarg($script) . ' 2>&1');
            $this->assertStringStartsWith('RuntimeException: moodle_events extension is not loaded: install it', $out, $call);
            $this->assertStringContainsString('extension=moodle_events', $out);
        }
    }
}
