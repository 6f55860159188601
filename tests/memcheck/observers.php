<?php
// Observers: priorities and wildcard, every callable form, failures (Exception, Error,
// engine error), an error handler that throws, re-entrancy, the same event triggered from
// its own observer, redirect/close/reset during dispatch, observers added during dispatch,
// destructors calling back in while state is dropped, reference cycles through callbacks.

require __DIR__ . '/common.php';

use moodle_events\event;

function observer_function($e): void {
    $GLOBALS['calls'][] = 'function';
}
function observer_that_errors($e): void {
    intdiv(1, 0);
}
final class observer_object {
    public function handle($e): void {
        $GLOBALS['calls'][] = 'method';
    }
    public static function static_handle($e): void {
        $GLOBALS['calls'][] = 'static';
    }
    public function __invoke($e): void {
        $GLOBALS['calls'][] = 'invoke';
    }
    private function hidden($e): void {
    }
    public function register_hidden(): void {
        expect_throw(fn() => moodle_events\observe('*', [$this, 'hidden']), TypeError::class);
        $level = error_reporting(E_ALL & ~E_DEPRECATED); // "self" in callables is deprecated in 8.2
        expect_throw(fn() => moodle_events\observe('*', 'self::static_handle'), TypeError::class);
        expect_throw(fn() => moodle_events\observe('*', ['self', 'static_handle']), TypeError::class);
        error_reporting($level);
        moodle_events\observe('*', $this->hidden(...));
    }
    public function __call($name, $args) {
        if (str_starts_with($name, 'fail')) {
            throw new LogicException("__call $name failed");
        }
        $GLOBALS['calls'][] = "__call:$name";
    }
    public static function __callStatic($name, $args) {
        if (str_starts_with($name, 'fail')) {
            throw new LogicException("__callStatic $name failed");
        }
        $GLOBALS['calls'][] = "__callStatic:$name";
    }
    public function fails($e): void {
        throw new UnexpectedValueException('method failed');
    }
}
final class reentrant_probe {
    public static array $seen = [];
    public function __destruct() {
        self::$seen[] = moodle_events\is_redirecting();
        moodle_events\observe('*', fn() => null);   // registers while the dispatcher drops values
        $s = moodle_events\redirect_events();
        failed_event('from destructor')->trigger();
        $s->close();
    }
}

// Priority, wildcard, callable forms.
$log = [];
$GLOBALS['calls'] = [];
moodle_events\observe(JOB_COMPLETED, function ($e) use (&$log) { $log[] = 'low'; });
moodle_events\observe('*', function ($e) use (&$log) { $log[] = 'all:' . $e->action; }, 5);
moodle_events\observe(ltrim(JOB_COMPLETED, '\\'), function ($e) use (&$log) { $log[] = 'high'; }, 10);
moodle_events\observe(JOB_DELETED, function () use (&$log) { $log[] = 'never'; }, 99);
moodle_events\observe('*', 'observer_function', -1);
moodle_events\observe('*', [new observer_object(), 'handle'], -2);
moodle_events\observe('*', observer_object::class . '::static_handle', -3);
moodle_events\observe('*', [observer_object::class, 'static_handle'], -4);
moodle_events\observe('*', new observer_object(), -5);
moodle_events\observe('*', [new observer_object(), 'magic'], -6);
moodle_events\observe('*', [observer_object::class, 'magicStatic'], -7);
moodle_events\observe('*', 'observer_object::magicStatic2', -8);
moodle_events\observe('*', 'strlen', -9); // an internal function: TypeError inside, reported
(new observer_object())->register_hidden();
collect_warnings();
$event = job_event();
$event->trigger();
restore_error_handler();
check($log === ['high', 'all:completed', 'low'], 'priority order: ' . json_encode($log));
check($GLOBALS['calls'] === ['function', 'method', 'static', 'static', 'invoke', '__call:magic', '__callStatic:magicStatic',
    '__callStatic:magicStatic2'], json_encode($GLOBALS['calls']));
check(count($GLOBALS['WARN']) === 1 && str_contains($GLOBALS['WARN'][0], 'strlen'), 'strlen warning');
check($event->is_dispatched(), 'dispatched');
moodle_events\reset();

// Failures: Exception, Error, engine error; the rest still run; warnings name them.
$log = [];
moodle_events\observe('*', function () { throw new RuntimeException('observer broke'); }, 3);
moodle_events\observe('*', function () { throw new TypeError('observer type error'); }, 2);
moodle_events\observe('*', 'observer_that_errors', 1);
moodle_events\observe('*', function () { undefined_function_here(); }, 1);
moodle_events\observe('*', function () { $x = null; $x->method(); }, 1);
moodle_events\observe('*', function () { throw new Exception('chained', 1, new LogicException('inner')); }, 1);
moodle_events\observe('*', [new observer_object(), 'fails'], 1);
moodle_events\observe('*', [new observer_object(), 'failMagic'], 1);
moodle_events\observe('*', [observer_object::class, 'failStatic'], 1);
moodle_events\observe('*', 'observer_object::failStatic2', 1);
moodle_events\observe('*', function ($e) use (&$log) { $log[] = $e->action; });
collect_warnings();
job_event()->trigger();
job_event('archive_job_deleted')->trigger();
restore_error_handler();
check($log === ['completed', 'deleted'], 'later observers still run');
check(count($GLOBALS['WARN']) === 20, 'warnings: ' . count($GLOBALS['WARN']));
check(str_contains(implode("\n", $GLOBALS['WARN']), 'observer_object::failMagic'), 'trampoline named');
check(str_contains($GLOBALS['WARN'][0], 'RuntimeException: observer broke'), $GLOBALS['WARN'][0]);
check(str_contains($GLOBALS['WARN'][2], 'DivisionByZeroError'), $GLOBALS['WARN'][2]);
// Printed (not collected) once, with no handler.
ob_start();
job_event()->trigger();
$printed = ob_get_clean();
check(substr_count($printed, 'Warning') === 10, 'printed warnings');
moodle_events\reset();

// An error handler that throws: its first exception comes out of trigger(), after delivery.
set_error_handler(function (int $no, string $msg) { throw new ErrorException($msg, 0, $no); });
$log = [];
moodle_events\observe('*', function () { throw new RuntimeException('first'); }, 2);
moodle_events\observe('*', function () { throw new RuntimeException('second'); }, 1);
moodle_events\observe('*', function ($e) use (&$log) { $log[] = $e->action; });
$event = job_event();
$ex = expect_throw(fn() => $event->trigger(), Exception::class);
check(str_contains($ex->getMessage(), 'RuntimeException: first'), 'first rethrown: ' . $ex->getMessage());
check($log === ['completed'] && $event->is_dispatched(), 'delivery finished');
expect_throw(fn() => job_event('archive_job_deleted')->trigger(), Exception::class);
check($log === ['completed', 'deleted'], 'later events dispatch');
// An observer whose failure is an exception thrown by the handler inside the observer.
moodle_events\reset();
moodle_events\observe('*', function () { echo $undefined_variable; });
moodle_events\observe('*', function ($e) use (&$log) { $log[] = 'after-notice'; });
expect_throw(fn() => job_event()->trigger(), ErrorException::class, null, 'Undefined variable');
check(end($log) === 'after-notice', 'after notice');
restore_error_handler();
moodle_events\reset();

// Re-entrancy: an event triggered inside an observer runs after the current observers.
$log = [];
moodle_events\observe(JOB_COMPLETED, function ($e) use (&$log) {
    $log[] = 'first:' . $e->action;
    job_event('archive_job_deleted')->trigger();
    job_event('archive_job_aborted')->trigger();
    $log[] = 'first:end';
}, 1);
moodle_events\observe('*', function ($e) use (&$log) { $log[] = 'second:' . $e->action; });
job_event()->trigger();
check($log === ['first:completed', 'first:end', 'second:completed', 'second:deleted', 'second:aborted'], json_encode($log));
moodle_events\reset();

// Deep re-entrancy: each observer triggers the next event (a chain of 20).
$n = 0;
moodle_events\observe('*', function ($e) use (&$n) {
    if (++$n < 20) {
        failed_event("chain $n", $n)->trigger();
    }
});
failed_event('chain 0')->trigger();
check($n === 20, 'chain');
moodle_events\reset();

// The same event triggered from its own observer: an error, once per instance.
$count = 0;
moodle_events\observe('*', function ($e) use (&$count) {
    $count++;
    $e->trigger();
});
collect_warnings();
job_event()->trigger();
restore_error_handler();
check($count === 1 && count($GLOBALS['WARN']) === 1 && str_contains($GLOBALS['WARN'][0], 'Can not trigger event twice'), 'twice');
moodle_events\reset();

// Redirect inside an observer: later events go to the sink; close it inside another.
$sink = null;
moodle_events\observe(JOB_COMPLETED, function () use (&$sink) {
    $sink = moodle_events\redirect_events();
    job_event('archive_job_deleted')->trigger();
});
job_event()->trigger();
check($sink->count() === 1, 'inner event went to the sink');
moodle_events\reset();
$outer = moodle_events\redirect_events();
$outer->close();
$seen = [];
moodle_events\observe('*', function ($e) use ($outer, &$seen) {
    $seen[] = $e->action;
    $s = moodle_events\redirect_events();
    $s->close();
    $outer->close();
    $outer->clear();
    $outer->get_events();
}, 1);
moodle_events\observe('*', function ($e) use (&$seen) { $seen[] = 'second'; });
job_event()->trigger();
check($seen === ['completed', 'second'], 'close during dispatch');
moodle_events\reset();

// reset() inside an observer ends the current delivery and drops queued events.
$log = [];
moodle_events\observe('*', function ($e) use (&$log) {
    $log[] = 'resetter';
    job_event('archive_job_deleted')->trigger(); // queued, then dropped
    moodle_events\reset();
}, 1);
moodle_events\observe('*', function () use (&$log) { $log[] = 'dropped'; });
job_event()->trigger();
job_event()->trigger();
check($log === ['resetter'], 'reset in observer: ' . json_encode($log));
// reset() and new observers in the same observer.
moodle_events\observe('*', function ($e) use (&$log) {
    moodle_events\reset();
    moodle_events\observe('*', function ($e) use (&$log) { $log[] = 'new:' . $e->action; });
    job_event('archive_job_deleted')->trigger();
});
job_event()->trigger();
check(end($log) === 'new:deleted', 'new observer after reset: ' . json_encode($log));
moodle_events\reset();

// An observer added during dispatch sees only the next events.
$log = [];
moodle_events\observe(JOB_COMPLETED, function () use (&$log) {
    moodle_events\observe('*', function ($e) use (&$log) { $log[] = 'late:' . $e->action; });
    job_event('archive_job_deleted')->trigger();
});
job_event()->trigger();
check($log === ['late:deleted'], 'late observer');
moodle_events\reset();

// is_triggered/is_dispatched while observers run; observers keep the event.
$kept = [];
moodle_events\observe('*', function ($e) use (&$kept) { $kept[] = [$e, $e->is_triggered(), $e->is_dispatched()]; });
$event = job_event();
$event->trigger();
check($kept[0][0] === $event && $kept[0][1] && !$kept[0][2] && $event->is_dispatched(), 'state in observer');
moodle_events\reset();

// Destructors calling back in while the dispatcher drops its values (reset, close).
$probe = new reentrant_probe();
moodle_events\observe('*', function () use ($probe) {});
moodle_events\redirect_events();
unset($probe);
moodle_events\reset();
check(reentrant_probe::$seen === [false], 'destructor ran after reset: ' . json_encode(reentrant_probe::$seen));
moodle_events\reset();
// The destructor of an observer's captured object runs when reset() inside dispatch drops it.
$probe = new reentrant_probe();
moodle_events\observe('*', function () use (&$probe) { $probe = null; moodle_events\reset(); });
moodle_events\observe('*', function () use ($probe) {});
unset($probe);
job_event()->trigger();
check(count(reentrant_probe::$seen) === 2, 'destructor during dispatch');
moodle_events\reset();

// A destructor that throws while reset() drops the observer holding it: the exception
// comes out of reset(), and the extension's state is consistent afterwards.
$bomb = new class {
    public function __destruct() {
        throw new RuntimeException('destructor threw');
    }
};
moodle_events\observe('*', function () use ($bomb) {});
unset($bomb);
expect_throw(fn() => moodle_events\reset(), RuntimeException::class, null, 'destructor threw');
$e = job_event();
$e->trigger();
check($e->is_dispatched() && !moodle_events\is_redirecting(), 'after a throwing destructor');
// The same inside dispatch: dropped by reset() inside an observer (reported as that
// observer's failure), or by the delivery loop once the observer holding it returned
// (thrown from trigger()).
$bomb = new class {
    public function __destruct() {
        throw new RuntimeException('destructor threw in dispatch');
    }
};
moodle_events\observe('*', function () { moodle_events\reset(); }, 2);
moodle_events\observe('*', function () use ($bomb) {}, 1);
unset($bomb);
collect_warnings();
job_event()->trigger();
restore_error_handler();
check(count($GLOBALS['WARN']) === 1 && str_contains($GLOBALS['WARN'][0], 'destructor threw in dispatch'), 'reported: ' . json_encode($GLOBALS['WARN']));
$bomb = new class {
    public function __destruct() {
        throw new RuntimeException('destructor threw after the observer');
    }
};
moodle_events\observe('*', function () use (&$bomb) { moodle_events\reset(); }, 2);
unset($bomb);
$e = job_event();
expect_throw(fn() => $e->trigger(), RuntimeException::class, null, 'destructor threw after the observer');
check($e->is_dispatched(), 'dispatched');
moodle_events\reset();

// Reference cycles through callbacks: a closure capturing an object that holds it.
$holder = new stdClass();
$holder->cb = function ($e) use ($holder) { $holder->last = $e->action; };
$holder->self = $holder;
moodle_events\observe('*', $holder->cb);
$arr = [];
$arr['me'] = &$arr;
moodle_events\observe('*', function () use ($arr) {});
unset($arr);
job_event()->trigger();
check($holder->last === 'completed', 'cycle observer');
unset($holder);
gc_collect_cycles();
moodle_events\reset();
gc_collect_cycles();

// Observers created by generators and bound closures.
$gen = (function () { while (true) { $e = yield; $GLOBALS['calls'][] = 'gen:' . $e->action; } })();
$gen->current();
moodle_events\observe('*', [$gen, 'send']);
$bound = Closure::bind(function ($e) { $GLOBALS['calls'][] = 'bound:' . get_class($this); }, new observer_object(), observer_object::class);
moodle_events\observe('*', $bound);
$GLOBALS['calls'] = [];
job_event()->trigger();
check($GLOBALS['calls'] === ['gen:completed', 'bound:observer_object'], json_encode($GLOBALS['calls']));
moodle_events\reset();
finish();
