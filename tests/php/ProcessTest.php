<?php
// What cannot happen inside the test process: exit() and fatal errors in observers, run
// in a PHP subprocess with the same extension loaded.

use PHPUnit\Framework\TestCase;

final class ProcessTest extends TestCase {
    /** Runs $code in a fresh PHP process with the extension; returns [exit code, output]. */
    private function run_php(string $code): array {
        $ext = dirname(__DIR__, 2) . '/target/release/libmoodle_events.so';
        $file = tempnam(sys_get_temp_dir(), 'me');
        file_put_contents($file, "<?php\n" . $code);
        $cmd = escapeshellarg(PHP_BINARY) . ' -n -d extension=' . escapeshellarg($ext) . ' ' . escapeshellarg($file) . ' 2>&1';
        exec($cmd, $out, $rc);
        unlink($file);
        return [$rc, implode("\n", $out)];
    }

    private const FAILED = <<<'PHP'
        function failed(string $cause) {
            return moodle_events\event::create('\local_archiving\event\archive_job_failed',
                ['objectid' => 1, 'contextid' => 2, 'other' => ['cause' => $cause]]);
        }
        PHP;

    public function test_exit_in_an_observer_ends_the_script_with_its_code(): void {
        [$rc, $out] = $this->run_php(self::FAILED . <<<'PHP'
            moodle_events\observe('*', function () { echo "first\n"; exit(3); }, 1);
            moodle_events\observe('*', function () { echo "second\n"; });
            register_shutdown_function(function () {
                moodle_events\reset();
                moodle_events\observe('*', function ($e) { echo "shutdown: {$e->other['cause']}\n"; });
                failed('after exit')->trigger();
            });
            failed('x')->trigger();
            echo "not reached\n";
            PHP);
        $this->assertSame(3, $rc, $out);
        $this->assertSame("first\nshutdown: after exit", $out);
    }

    public function test_a_fatal_error_in_an_observer_does_not_stop_later_dispatch(): void {
        [$rc, $out] = $this->run_php(self::FAILED . <<<'PHP'
            moodle_events\observe('*', fn() => trigger_error('boom', E_USER_ERROR));
            register_shutdown_function(function () {
                moodle_events\reset();
                moodle_events\observe('*', function ($e) { echo "shutdown: {$e->other['cause']}\n"; });
                $e = failed('after fatal');
                $e->trigger();
                var_export($e->is_dispatched());
            });
            failed('x')->trigger();
            PHP);
        $this->assertSame(255, $rc, $out);
        $this->assertStringContainsString('Fatal error: boom', $out);
        $this->assertStringEndsWith("shutdown: after fatal\ntrue", $out);
    }

    public function test_a_fatal_error_in_an_autoloader_ends_the_request_at_once(): void {
        // Under PHPUNIT_TEST the extension looks for Moodle's phpunit_util, autoloading it.
        [$rc, $out] = $this->run_php(<<<'PHP'
            define('PHPUNIT_TEST', true);
            spl_autoload_register(function ($c) { echo "autoload $c\n"; trigger_error("boom", E_USER_ERROR); });
            $s = moodle_events\redirect_events();
            echo "not reached\n";
            PHP);
        $this->assertSame(255, $rc, $out);
        $this->assertSame(1, substr_count($out, 'Fatal error: boom'), $out);
        $this->assertStringNotContainsString('not reached', $out);
    }

    public function test_an_exit_in_an_autoloader_is_honoured(): void {
        [$rc, $out] = $this->run_php(<<<'PHP'
            define('PHPUNIT_TEST', true);
            spl_autoload_register(function ($c) { echo "bye\n"; exit(3); });
            moodle_events\is_redirecting();
            echo "not reached\n";
            PHP);
        $this->assertSame(3, $rc, $out);
        $this->assertSame("bye", $out);
    }

    public function test_exit_inside_a_record_read_is_honoured(): void {
        [$rc, $out] = $this->run_php(<<<'PHP'
            $USER = new class { public function __get($name) { echo "reading\n"; exit(6); } };
            moodle_events\event::create('\local_archiving\event\archive_job_completed', ['objectid' => 1, 'contextid' => 2]);
            echo "not reached\n";
            PHP);
        $this->assertSame([6, 'reading'], [$rc, $out]);
    }
}
