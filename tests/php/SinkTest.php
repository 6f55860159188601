<?php
// The redirectable sink: Moodle's phpunit_event_sink semantics.

use moodle_events\event;
use moodle_events\sink;
use moodle_events\tests\fixtures;
use PHPUnit\Framework\TestCase;

final class SinkTest extends TestCase {
    protected function tearDown(): void {
        \moodle_events\reset();
    }

    private static function job_event(string $name = 'archive_job_completed', array $other = []): event {
        return event::create_from_job("\\local_archiving\\event\\$name", fixtures::job(['status' => '100']), $other);
    }

    public function test_captures_the_same_instances_in_trigger_order(): void {
        $this->assertFalse(\moodle_events\is_redirecting());
        $sink = \moodle_events\redirect_events();
        $this->assertInstanceOf(sink::class, $sink);
        $this->assertTrue(\moodle_events\is_redirecting());
        $ran = false;
        \moodle_events\observe('*', function () use (&$ran) { $ran = true; });
        $a = self::job_event();
        $b = event::create_from_task('\archivingmod_quiz\event\task_completed', fixtures::task_for('task_completed', 'quiz'));
        $a->trigger();
        $b->trigger();
        $this->assertFalse($ran, 'no observer runs while redirecting');
        $this->assertTrue($a->is_triggered());
        $this->assertTrue($a->is_dispatched(), 'handed to the sink, as Moodle marks it');
        $this->assertSame(2, $sink->count());
        $this->assertCount(2, $sink);
        $events = $sink->get_events();
        $this->assertSame([0, 1], array_keys($events));
        $this->assertSame($a, $events[0]);
        $this->assertSame($b, $events[1]);
        $this->assertSame($events, iterator_to_array($sink));
        $this->assertSame($b, $sink->first_event('\archivingmod_quiz\event\task_completed'));
        $this->assertSame($b, $sink->first_event('archivingmod_quiz\event\task_completed'));
        $this->assertSame($a, $sink->first_event());
        $this->assertNull($sink->first_event('\archivingmod_assign\event\task_completed'));
        $this->assertSame(1, $sink->event_position('\archivingmod_quiz\event\task_completed'));
        $this->assertNull($sink->event_position('\local_archiving\event\archive_job_deleted'));
    }

    public function test_clear_keeps_redirecting_and_close_stops_it(): void {
        $sink = \moodle_events\redirect_events();
        self::job_event()->trigger();
        $sink->clear();
        $this->assertSame(0, $sink->count());
        $this->assertTrue(\moodle_events\is_redirecting());
        $kept = self::job_event();
        $kept->trigger();
        $sink->close();
        $this->assertFalse(\moodle_events\is_redirecting());
        $this->assertSame([$kept], $sink->get_events(), 'events stay readable after close()');
        $after = self::job_event();
        $after->trigger();
        $this->assertTrue($after->is_dispatched());
        $this->assertSame(1, $sink->count());
    }

    public function test_one_sink_at_a_time(): void {
        $first = \moodle_events\redirect_events();
        $second = \moodle_events\redirect_events();
        $e = self::job_event();
        $e->trigger();
        $this->assertSame(0, $first->count());
        $this->assertSame([$e], $second->get_events());
        // close() on any sink stops redirection.
        $first->close();
        $this->assertFalse(\moodle_events\is_redirecting());
    }

    public function test_sink_cannot_be_made_with_new(): void {
        $this->expectException(\Exception::class);
        $this->expectExceptionMessage('You cannot instantiate this class from PHP.');
        new sink();
    }

    public function test_a_dropped_sink_still_captures_until_closed(): void {
        $ran = false;
        \moodle_events\observe('*', function () use (&$ran) { $ran = true; });
        \moodle_events\redirect_events();
        self::job_event()->trigger();
        $this->assertTrue(\moodle_events\is_redirecting());
        $this->assertFalse($ran);
    }

    public function test_many_events_count_in_php_memory(): void {
        $sink = \moodle_events\redirect_events();
        $before = memory_get_usage();
        for ($i = 0; $i < 2000; $i++) {
            event::create('\local_archiving\event\archive_job_failed',
                ['objectid' => $i + 1, 'contextid' => 1, 'other' => ['cause' => "c$i", 'status' => 240]])->trigger();
        }
        $this->assertSame(2000, $sink->count());
        $this->assertGreaterThan(2000 * 100, memory_get_usage() - $before, 'captured events are PHP memory');
        $sink->clear();
    }

    public function test_reset_drops_the_sink(): void {
        $sink = \moodle_events\redirect_events();
        \moodle_events\reset();
        $this->assertFalse(\moodle_events\is_redirecting());
        $e = self::job_event();
        $e->trigger();
        $this->assertSame(0, $sink->count());
    }
}
