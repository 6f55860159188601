<?php
// The limits (php.ini settings moodle_events.max_depth, max_other_bytes, max_sink_events):
// shown by phpinfo(), changed only to values in range, and each exceeded with a clear
// exception that changes nothing. Memory: a sink's events count against memory_limit.

use moodle_events\event;
use moodle_events\validation_exception;
use PHPUnit\Framework\TestCase;

final class LimitsTest extends TestCase {
    private const TASK = '\archivingmod_quiz\event\task_created';
    private const SETTINGS = [
        'moodle_events.max_depth' => '32',
        'moodle_events.max_other_bytes' => '65536',
        'moodle_events.max_sink_events' => '1000000',
    ];

    protected function tearDown(): void {
        foreach (self::SETTINGS as $name => $default) {
            ini_restore($name);
        }
        \moodle_events\reset();
    }

    private static function task(array $settings): event {
        return event::create(self::TASK, ['objectid' => 1, 'contextid' => 34, 'other' => [
            'jobid' => 1, 'activity' => ['cmid' => 2, 'modname' => 'quiz', 'instanceid' => 3],
            'settings' => $settings]]);
    }

    private static function nested(int $levels): array {
        $a = ['leaf' => 1];
        for ($i = 1; $i < $levels; $i++) {
            $a = ['n' => $a];
        }
        return $a;
    }

    private function assertRefused(callable $f, string $message): void {
        try {
            $f();
            $this->fail("accepted; expected: $message");
        } catch (validation_exception $e) {
            $this->assertSame($message, $e->getMessage());
        }
    }

    public function test_phpinfo_shows_every_setting_with_its_default(): void {
        ob_start();
        phpinfo(INFO_MODULES);
        $info = ob_get_clean();
        foreach (self::SETTINGS as $name => $default) {
            $this->assertSame($default, ini_get($name));
            $this->assertMatchesRegularExpression('/' . preg_quote($name) . ' => ' . $default . ' => ' . $default . '/', $info);
        }
    }

    public function test_only_values_in_range_are_accepted(): void {
        $warnings = [];
        set_error_handler(function (int $no, string $msg) use (&$warnings) {
            $warnings[] = $msg;
            return true;
        });
        try {
            foreach (['0', '511', '-1', 'lots', '1e3', ''] as $bad) {
                $this->assertFalse(ini_set('moodle_events.max_depth', $bad), $bad);
            }
            $this->assertFalse(ini_set('moodle_events.max_other_bytes', '100'));
            $this->assertFalse(ini_set('moodle_events.max_sink_events', '0'));
        } finally {
            restore_error_handler();
        }
        $this->assertSame('32', ini_get('moodle_events.max_depth'));
        $this->assertCount(8, $warnings);
        $this->assertStringContainsString('moodle_events.max_depth must be an integer from 1 to 510', $warnings[0]);
        $this->assertSame('32', ini_set('moodle_events.max_depth', '8'));
        $this->assertSame('8', ini_get('moodle_events.max_depth'));
    }

    public function test_depth_limit(): void {
        ini_set('moodle_events.max_depth', '8');
        // other (level 1) > settings, nested(7) itself (2) > 6 more arrays: 8 levels in all.
        $this->assertInstanceOf(event::class, self::task(self::nested(7)));
        $this->assertRefused(fn() => self::task(self::nested(8)),
            self::TASK . ': other.settings: nests deeper than 8 levels (moodle_events.max_depth)');
        ini_restore('moodle_events.max_depth');
        $this->assertInstanceOf(event::class, self::task(self::nested(8)));
        // 10,000 levels: refused at the limit, without walking (or recursing) further.
        $this->assertRefused(fn() => self::task(self::nested(10000)),
            self::TASK . ': other.settings: nests deeper than 32 levels (moodle_events.max_depth)');
    }

    public function test_at_the_deepest_setting_events_and_lists_of_them_still_encode_as_json(): void {
        ini_set('moodle_events.max_depth', '510');
        $e = self::task(self::nested(509));   // other (1) > settings (2) > … 510 levels
        $sink = \moodle_events\redirect_events();
        $e->trigger();
        foreach ([$e->other, $e->get_data(), $e, $sink->get_events()] as $value) {
            $this->assertNotFalse(json_encode($value), json_last_error_msg());
        }
    }

    public function test_size_limit_names_the_setting_and_never_echoes_the_value(): void {
        $this->assertInstanceOf(event::class, self::task(['note' => str_repeat('a', 60000)]));
        $this->assertRefused(fn() => self::task(['note' => str_repeat('a', 70000)]),
            self::TASK . ': other: is larger than 65536 bytes as JSON (moodle_events.max_other_bytes)');
        ini_set('moodle_events.max_other_bytes', '1024');
        $many = array_fill(0, 200, 12345);
        $this->assertRefused(fn() => self::task(['list' => $many]),
            self::TASK . ': other: is larger than 1024 bytes as JSON (moodle_events.max_other_bytes)');
        $this->assertInstanceOf(event::class, self::task(['list' => array_slice($many, 0, 50)]));
    }

    public function test_a_full_sink_refuses_the_trigger_and_leaves_the_event_untriggered(): void {
        ini_set('moodle_events.max_sink_events', '3');
        $sink = \moodle_events\redirect_events();
        for ($i = 0; $i < 3; $i++) {
            self::task([])->trigger();
        }
        $e = self::task([]);
        try {
            $e->trigger();
            $this->fail('a fourth event was captured');
        } catch (\OverflowException $x) {
            $this->assertSame(self::TASK . ': trigger: the sink already holds 3 events '
                . '(moodle_events.max_sink_events); clear() or close() it, or raise the setting', $x->getMessage());
        }
        $this->assertFalse($e->is_triggered());
        $this->assertSame(3, $sink->count());
        $sink->clear();
        $e->trigger();
        $this->assertSame([$e], $sink->get_events());
    }

    public function test_a_sink_filled_past_memory_limit_ends_in_php_own_fatal_error(): void {
        $ext = MOODLE_EVENTS_EXT;
        $code = '$s = moodle_events\redirect_events(); for ($i = 1; ; $i++) { moodle_events\event::create('
            . var_export(self::TASK, true) . ', ["objectid" => $i, "contextid" => 34, "other" => ["jobid" => 1,'
            . ' "activity" => ["cmid" => 2, "modname" => "quiz", "instanceid" => 3], "settings" => ["i" => "x$i"]]])'
            . '->trigger(); }';
        $cmd = escapeshellarg(PHP_BINARY) . ' -n -d memory_limit=16M -d extension=' . escapeshellarg($ext)
            . ' -r ' . escapeshellarg($code) . ' 2>&1';
        exec($cmd, $out, $rc);
        $out = implode("\n", $out);
        $this->assertSame(255, $rc, $out);
        $this->assertStringContainsString('Allowed memory size of 16777216 bytes exhausted', $out);
    }
}
