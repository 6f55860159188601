<?php
// Shared helpers for the memcheck scripts (no PHPUnit: under valgrind PHPUnit itself shows
// PHP-internal leaks). A failed check prints "FAIL: ..." and exits 1; every script ends by
// echoing "OK" (run.sh requires it as the last line of the script's output).

declare(strict_types=1);

require_once dirname(__DIR__) . '/php/fixtures.php';

use moodle_events\event;
use moodle_events\validation_exception;

error_reporting(E_ALL);
ini_set('display_errors', '1');

if (!extension_loaded('moodle_events')) {
    echo "FAIL: moodle_events is not loaded\n";
    exit(1);
}

function check(bool $ok, string $what): void {
    if (!$ok) {
        $where = debug_backtrace(DEBUG_BACKTRACE_IGNORE_ARGS, 1)[0];
        echo "FAIL: $what (line {$where['line']})\n";
        exit(1);
    }
}

/** Runs $f, which must throw $class (with field $field when a validation_exception). */
function expect_throw(callable $f, string $class = validation_exception::class, ?string $field = null,
        ?string $fragment = null): Throwable {
    try {
        $f();
    } catch (Throwable $e) {
        check($e instanceof $class, "expected $class, got " . get_class($e) . ': ' . $e->getMessage());
        if ($field !== null) {
            check($e->field === $field, "expected field $field, got {$e->field}: {$e->getMessage()}");
        }
        if ($fragment !== null) {
            check(str_contains($e->getMessage(), $fragment), "expected '$fragment' in: {$e->getMessage()}");
        }
        check(!str_contains($e->getMessage(), 'abc123'), 'a secret value was echoed');
        return $e;
    }
    check(false, "no $class thrown" . ($field !== null ? " for $field" : ''));
    throw new LogicException('unreachable');
}

/** Collects warnings into $GLOBALS['WARN'] instead of printing them. */
function collect_warnings(): void {
    $GLOBALS['WARN'] = [];
    set_error_handler(function (int $no, string $msg) {
        $GLOBALS['WARN'][] = $msg;
        return true;
    });
}

const JOB_FAILED = '\local_archiving\event\archive_job_failed';
const JOB_COMPLETED = '\local_archiving\event\archive_job_completed';
const JOB_DELETED = '\local_archiving\event\archive_job_deleted';
const TASK_CREATED = '\archivingmod_quiz\event\task_created';

function failed_event(string $cause = 'disk full', int $id = 12): event {
    return event::create(JOB_FAILED, ['objectid' => $id, 'contextid' => 34, 'other' => ['cause' => $cause]]);
}

function job_event(string $name = 'archive_job_completed'): event {
    return event::create_from_job("\\local_archiving\\event\\$name",
        moodle_events\tests\fixtures::job(['status' => '100']),
        $name === 'archive_job_aborted' ? ['cause' => 'user asked'] : []);
}

/**
 * Ends a script: drops its global variables and collects garbage cycles, then echoes "OK".
 * PHP never collects garbage cycles at request shutdown (with the Zend allocator they go
 * with the heap; under USE_ZEND_ALLOC=0 valgrind reports a cycle the script itself made,
 * such as `$a['self'] = &$a`, as definitely lost, with or without the extension). A cycle
 * kept alive by a reference the extension failed to release is not garbage, so the
 * collection cannot hide an extension leak.
 */
function finish(): void {
    foreach (array_keys($GLOBALS) as $name) {
        if (!in_array($name, ['GLOBALS', '_GET', '_POST', '_COOKIE', '_FILES', '_SERVER', '_ENV', '_REQUEST',
                'argv', 'argc'], true)) {
            unset($GLOBALS[$name]);
        }
    }
    gc_collect_cycles();
    echo "OK\n";
}
