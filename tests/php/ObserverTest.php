<?php
// Observers: priority, wildcard, re-entrancy, and failures that never stop the others.

use moodle_events\event;
use moodle_events\tests\fixtures;
use PHPUnit\Framework\TestCase;

final class ObserverTest extends TestCase {
    private array $warnings = [];

    protected function setUp(): void {
        $this->warnings = [];
        set_error_handler(function (int $no, string $msg) {
            $this->warnings[] = [$no, $msg];
            return true;
        }, E_WARNING | E_USER_WARNING);
    }

    protected function tearDown(): void {
        restore_error_handler();
        \moodle_events\reset();
    }

    private static function job_event(string $name = 'archive_job_completed'): event {
        return event::create_from_job("\\local_archiving\\event\\$name", fixtures::job(['status' => '100']),
            $name === 'archive_job_aborted' ? ['cause' => 'user asked'] : []);
    }

    public function test_priority_order_and_wildcard(): void {
        $log = [];
        \moodle_events\observe('\local_archiving\event\archive_job_completed', function ($e) use (&$log) { $log[] = 'low'; });
        \moodle_events\observe('*', function ($e) use (&$log) { $log[] = 'all:' . $e->action; }, 5);
        \moodle_events\observe('\local_archiving\event\archive_job_completed', function ($e) use (&$log) { $log[] = 'high'; }, 10);
        \moodle_events\observe('\local_archiving\event\archive_job_deleted', function () use (&$log) { $log[] = 'never'; }, 99);
        $event = self::job_event();
        $event->trigger();
        $this->assertSame(['high', 'all:completed', 'low'], $log);
        $this->assertTrue($event->is_triggered());
        $this->assertTrue($event->is_dispatched());
    }

    public function test_observers_receive_the_same_instance(): void {
        $seen = null;
        \moodle_events\observe('*', function ($e) use (&$seen) { $seen = $e; });
        $event = self::job_event();
        $event->trigger();
        $this->assertSame($event, $seen);
    }

    public function test_string_and_array_callables(): void {
        $GLOBALS['observer_calls'] = [];
        \moodle_events\observe('*', 'observer_function');
        \moodle_events\observe('*', [new observer_object(), 'handle']);
        \moodle_events\observe('*', observer_object::class . '::static_handle');
        self::job_event()->trigger();
        $this->assertSame(['function', 'method', 'static'], $GLOBALS['observer_calls']);
    }

    public function test_an_event_triggered_inside_an_observer_runs_after_the_current_ones(): void {
        $log = [];
        \moodle_events\observe('\local_archiving\event\archive_job_completed', function ($e) use (&$log) {
            $log[] = 'first:' . $e->action;
            self::job_event('archive_job_deleted')->trigger();
            $log[] = 'first:end';
        }, 1);
        \moodle_events\observe('*', function ($e) use (&$log) { $log[] = 'second:' . $e->action; });
        self::job_event()->trigger();
        $this->assertSame(['first:completed', 'first:end', 'second:completed', 'second:deleted'], $log);
    }

    public function test_an_event_triggered_from_its_own_observer_is_an_error_once_per_instance(): void {
        $count = 0;
        \moodle_events\observe('*', function ($e) use (&$count) {
            $count++;
            $e->trigger();
        });
        self::job_event()->trigger();
        $this->assertSame(1, $count);
        $this->assertCount(1, $this->warnings);
        $this->assertStringContainsString('Can not trigger event twice', $this->warnings[0][1]);
    }

    public function test_throwing_observers_are_reported_and_the_rest_still_run(): void {
        $log = [];
        \moodle_events\observe('*', function () { throw new \RuntimeException('observer broke'); }, 3);
        \moodle_events\observe('*', function () { throw new \TypeError('observer type error'); }, 2);
        \moodle_events\observe('*', 'observer_that_errors', 1);
        \moodle_events\observe('*', function ($e) use (&$log) { $log[] = $e->action; });
        self::job_event()->trigger();
        self::job_event('archive_job_deleted')->trigger();
        $this->assertSame(['completed', 'deleted'], $log, 'later observers and later events still run');
        $this->assertCount(6, $this->warnings);
        [$no, $msg] = $this->warnings[0];
        $this->assertSame(E_WARNING, $no);
        $this->assertStringContainsString('{closure}@' . __FILE__ . ':', $msg);
        $this->assertStringContainsString('\local_archiving\event\archive_job_completed', $msg);
        $this->assertStringContainsString('RuntimeException: observer broke', $msg);
        $this->assertStringContainsString('TypeError: observer type error', $this->warnings[1][1]);
        $this->assertStringContainsString('observer_that_errors', $this->warnings[2][1]);
        $this->assertStringContainsString('\local_archiving\event\archive_job_deleted', $this->warnings[5][1]);
    }

    public function test_observer_may_redirect_close_or_reset(): void {
        $sink = null;
        \moodle_events\observe('\local_archiving\event\archive_job_completed', function () use (&$sink) {
            $sink = \moodle_events\redirect_events();
            self::job_event('archive_job_deleted')->trigger();
        });
        self::job_event()->trigger();
        $this->assertSame(1, $sink->count(), 'the inner event went to the sink');
        $sink->close();

        \moodle_events\reset();
        $log = [];
        \moodle_events\observe('*', function () use (&$log) { $log[] = 'resetter'; \moodle_events\reset(); }, 1);
        \moodle_events\observe('*', function () use (&$log) { $log[] = 'dropped'; });
        self::job_event()->trigger();
        self::job_event()->trigger();
        $this->assertSame(['resetter'], $log, 'reset() inside an observer drops the rest');
    }

    public function test_dispatched_once_the_observers_ran(): void {
        $seen = [];
        \moodle_events\observe('*', function ($e) use (&$seen) { $seen[] = [$e->is_triggered(), $e->is_dispatched()]; });
        $event = self::job_event();
        $event->trigger();
        $this->assertSame([[true, false]], $seen, 'triggered, not yet dispatched, while observers run');
        $this->assertTrue($event->is_dispatched());
    }

    public function test_equal_priorities_run_in_the_order_added(): void {
        $log = [];
        foreach (['a', 'b', 'c'] as $name) {
            \moodle_events\observe('*', function () use (&$log, $name) { $log[] = $name; }, 7);
        }
        self::job_event()->trigger();
        $this->assertSame(['a', 'b', 'c'], $log);
    }

    public function test_an_observer_added_during_dispatch_sees_the_next_events(): void {
        $log = [];
        \moodle_events\observe('\local_archiving\event\archive_job_completed', function () use (&$log) {
            \moodle_events\observe('*', function ($e) use (&$log) { $log[] = 'late:' . $e->action; });
            self::job_event('archive_job_deleted')->trigger();
        });
        self::job_event()->trigger();
        $this->assertSame(['late:deleted'], $log);
    }

    public function test_an_error_handler_that_throws_gets_its_exception_after_delivery(): void {
        restore_error_handler();
        set_error_handler(function (int $no, string $msg) { throw new \ErrorException($msg, 0, $no); });
        $log = [];
        \moodle_events\observe('*', function () { throw new \RuntimeException('first'); }, 1);
        \moodle_events\observe('*', function ($e) use (&$log) { $log[] = $e->action; });
        $event = self::job_event();
        try {
            $event->trigger();
            $this->fail('the handler threw');
        } catch (\ErrorException $e) {
            $this->assertStringContainsString('RuntimeException: first', $e->getMessage());
        }
        $this->assertSame(['completed'], $log, 'the other observers still ran');
        $this->assertTrue($event->is_dispatched());
        try {
            self::job_event('archive_job_deleted')->trigger();
        } catch (\ErrorException $e) {
            $this->assertStringContainsString('archive_job_deleted', $e->getMessage());
        }
        $this->assertSame(['completed', 'deleted'], $log, 'later events dispatch');
    }

    public function test_destructors_may_call_back_while_state_is_dropped(): void {
        $probe = new reentrant_probe();
        \moodle_events\observe('*', function () use ($probe) {});
        \moodle_events\redirect_events();
        unset($probe);
        \moodle_events\reset();
        $this->assertSame([false], reentrant_probe::$seen, 'the destructor ran after reset() and could call in');
    }

    public function test_observe_rejects_a_bad_name(): void {
        $this->expectException(\moodle_events\validation_exception::class);
        \moodle_events\observe('not an event', fn() => null);
    }

    public function test_non_callable_is_a_type_error(): void {
        $this->expectException(\TypeError::class);
        \moodle_events\observe('*', 'no_such_function_anywhere');
    }
}

function observer_function($e): void {
    $GLOBALS['observer_calls'][] = 'function';
}

function observer_that_errors($e): void {
    intdiv(1, 0);
}

final class observer_object {
    public function handle($e): void {
        $GLOBALS['observer_calls'][] = 'method';
    }

    public static function static_handle($e): void {
        $GLOBALS['observer_calls'][] = 'static';
    }
}

final class reentrant_probe {
    public static array $seen = [];

    public function __destruct() {
        self::$seen[] = \moodle_events\is_redirecting();
    }
}
