<?php
// The sink's assertions and the capture helpers, written the way a test author uses them:
// capture what the code under test triggers, then say what should have happened.

use moodle_events\event;
use moodle_events\tests\fixtures;
use PHPUnit\Framework\Assert;
use PHPUnit\Framework\AssertionFailedError;
use PHPUnit\Framework\TestCase;

final class AssertionsTest extends TestCase {
    private const FAILED = '\local_archiving\event\archive_job_failed';
    private const CREATED = '\local_archiving\event\archive_job_created';
    private const COMPLETED = '\local_archiving\event\archive_job_completed';

    protected function tearDown(): void {
        \moodle_events\reset();
    }

    /** What a job's life triggers: created, then failed twice with different causes. */
    private static function archive_job_fails(): void {
        event::create_from_job(self::CREATED, fixtures::job())->trigger();
        foreach (['The storage was full', 'Timeout'] as $cause) {
            event::create_from_job(self::FAILED, fixtures::job_for('archive_job_failed'), ['cause' => $cause])->trigger();
        }
    }

    /** The message of the PHPUnit failure that $assertion raises. */
    private function failure_of(callable $assertion): string {
        try {
            $assertion();
        } catch (AssertionFailedError $e) {
            return $e->getMessage();
        }
        $this->fail('the assertion passed');
    }

    public function test_a_job_that_failed_twice(): void {
        $sink = \moodle_events\capture(fn() => self::archive_job_fails());

        $before = Assert::getCount();
        $sink->assert_triggered(self::FAILED);
        $sink->assert_triggered('local_archiving\event\archive_job_failed', null, 2);
        $sink->assert_triggered(self::FAILED, fn(event $e) => $e->other['cause'] === 'Timeout', 1);
        $sink->assert_not_triggered(self::COMPLETED);
        $sink->assert_not_triggered(self::FAILED, fn(event $e) => $e->other['cause'] === 'Disk full');
        $sink->assert_order(self::CREATED, self::FAILED);
        $sink->assert_order(self::FAILED, self::FAILED);
        $this->assertSame($before + 7, Assert::getCount(), 'each passing assertion counts as one');

        $this->assertCount(2, $sink->get_events(self::FAILED));
        $this->assertCount(1, $sink->get_events('local_archiving\event\archive_job_created'));
        $this->assertSame([], $sink->get_events(self::COMPLETED));
        $this->assertFalse(\moodle_events\is_redirecting(), 'capture() stopped redirecting');
    }

    public function test_failures_say_what_was_expected_and_what_was_triggered(): void {
        $sink = \moodle_events\capture(fn() => self::archive_job_fails());
        $list = "\nTriggered (3 events):\n  " . self::CREATED . " x1\n  " . self::FAILED . ' x2';
        $other = fn(string $cause) => '{"cause":"' . $cause . '","status":240}';

        $this->assertSame('Expected ' . self::FAILED . ' to be triggered matching the condition; it was not.' . $list
            . "\nNear misses (" . self::FAILED . " not matching the condition):\n  #2 other: " . $other('The storage was full')
            . "\n  #3 other: " . $other('Timeout'),
            $this->failure_of(fn() => $sink->assert_triggered(self::FAILED, fn(event $e) => $e->other['cause'] === 'Disk full')));
        $this->assertSame('Expected ' . self::FAILED . ' to be triggered exactly 2 times matching the condition; it was 1 time.'
            . $list . "\nNear misses (" . self::FAILED . " not matching the condition):\n"
            . '  #2 other: {"cause":"The storage was full"} (#3 has the rest)',
            $this->failure_of(fn() => $sink->assert_triggered(self::FAILED, fn(event $e) => $e->other['cause'] === 'Timeout', 2)));
        $this->assertSame('Expected ' . self::FAILED . ' to be triggered exactly 1 time; it was 2 times.' . $list,
            $this->failure_of(fn() => $sink->assert_triggered(self::FAILED, null, 1)));
        $this->assertSame('Expected ' . self::COMPLETED . ' to be triggered; it was not.' . $list,
            $this->failure_of(fn() => $sink->assert_triggered(self::COMPLETED)));
        $this->assertSame('Expected ' . self::FAILED . ' not to be triggered matching the condition; it was 1 time.' . $list
            . "\nTriggered " . self::FAILED . " matching the condition:\n  #3 other: " . $other('Timeout'),
            $this->failure_of(fn() => $sink->assert_not_triggered(self::FAILED, fn(event $e) => $e->other['cause'] === 'Timeout')));
        $this->assertSame('Expected nothing to be triggered; 3 events were.' . $list,
            $this->failure_of(fn() => $sink->assert_nothing_triggered()));
        $this->assertSame('Expected ' . self::FAILED . ', ' . self::CREATED . ' to be triggered in this order; '
            . self::CREATED . ' was not triggered after ' . self::FAILED . ".\nTrigger order:\n  #1 " . self::CREATED
            . "\n  #2 " . self::FAILED . "\n  #3 " . self::FAILED,
            $this->failure_of(fn() => $sink->assert_order(self::FAILED, self::CREATED)));
    }

    public function test_nothing_triggered_and_a_condition_that_is_no_bool(): void {
        $sink = \moodle_events\capture(function () {
        });
        $sink->assert_nothing_triggered();
        $this->assertSame('Expected ' . self::FAILED . " to be triggered; it was not.\nNothing was triggered.",
            $this->failure_of(fn() => $sink->assert_triggered(self::FAILED)));

        $sink = \moodle_events\capture(fn() => self::archive_job_fails());
        $this->expectException(\TypeError::class);
        $this->expectExceptionMessage('the where condition must return bool, int returned');
        $sink->assert_triggered(self::FAILED, fn() => 1);
    }

    public function test_times_must_not_be_negative(): void {
        $sink = \moodle_events\capture(fn() => self::archive_job_fails());
        $this->expectExceptionMessage('assert_triggered(): times must be 0 or more, got -1');
        $sink->assert_triggered(self::FAILED, null, -1);
    }

    public function test_only_the_classes_asked_for_are_captured(): void {
        $observed = [];
        \moodle_events\observe('*', function (event $e) use (&$observed) {
            $observed[] = $e->eventname;
        });
        $sink = \moodle_events\redirect_events([ltrim(self::FAILED, '\\')]);
        self::archive_job_fails();
        $sink->close();
        $this->assertSame([self::CREATED], $observed, 'the others dispatch as usual');
        $this->assertCount(2, $sink);
        $sink->assert_triggered(self::FAILED, null, 2);
        $sink->assert_not_triggered(self::CREATED);

        $this->expectException(\moodle_events\validation_exception::class);
        $this->expectExceptionMessage('\local_archiving\event\archive_job_exploded: eventname:');
        \moodle_events\redirect_events(['\local_archiving\event\archive_job_exploded']);
    }

    public function test_capture_stops_redirecting_when_the_code_throws(): void {
        $inner = null;
        try {
            \moodle_events\capture(function () use (&$inner) {
                self::archive_job_fails();
                $inner = \moodle_events\is_redirecting();
                throw new \RuntimeException('the code under test broke');
            });
            $this->fail('the exception goes on');
        } catch (\RuntimeException $e) {
            $this->assertSame('the code under test broke', $e->getMessage());
        }
        $this->assertTrue($inner);
        $this->assertFalse(\moodle_events\is_redirecting());

        $this->expectException(\TypeError::class);
        \moodle_events\redirect_events([12]);
    }

    public function test_without_phpunit_a_failure_is_an_assertion_error(): void {
        $code = <<<'PHP'
            <?php
            $job = (object)['id' => '12', 'contextid' => '34', 'userid' => '5', 'status' => '30'];
            $sink = moodle_events\capture(fn() => moodle_events\event::create_from_job(
                '\local_archiving\event\archive_job_created', $job)->trigger());
            $sink->assert_triggered('\local_archiving\event\archive_job_created');
            try {
                $sink->assert_nothing_triggered();
            } catch (AssertionError $e) {
                echo get_class($e), "\n", $e->getMessage();
            }
            PHP;
        $file = tempnam(sys_get_temp_dir(), 'me');
        file_put_contents($file, $code);
        $out = shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=' . escapeshellarg(MOODLE_EVENTS_EXT) . ' '
            . escapeshellarg($file) . ' 2>&1');
        unlink($file);
        $this->assertSame("moodle_events\\assertion_failed\nExpected nothing to be triggered; 1 event was.\n"
            . "Triggered (1 event):\n  " . self::CREATED . ' x1', $out);
    }
}
