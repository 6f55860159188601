<?php
// What cannot happen inside the test process: exit() and fatal errors in observers, run
// in a PHP subprocess with the same extension loaded.

use PHPUnit\Framework\TestCase;

final class ProcessTest extends TestCase {
    /** Runs $code in a fresh PHP process with the extension; returns [exit code, output]. */
    private function run_php(string $code): array {
        $ext = MOODLE_EVENTS_EXT;
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

    /**
     * Moodle's PHPUnit with an autoloader that counts what it is asked for and declares
     * a minimal phpunit_util (not redirecting) under the names in $declares. step() prints
     * and clears what was asked for since the last step.
     */
    private const COUNTING_AUTOLOADER = <<<'PHP'
        define('PHPUNIT_TEST', true);
        $asked = [];
        function declare_util(string $class): void {
            $pos = strrpos($class, '\\');
            $ns = $pos === false ? '' : substr($class, 0, $pos);
            $short = $pos === false ? $class : substr($class, $pos + 1);
            eval("namespace $ns { class $short {
                public static function start_event_redirection() { return null; }
                public static function stop_event_redirection() {}
                public static function is_redirecting_events() { return false; }
                public static function event_triggered(\$event) {}
            } }");
        }
        spl_autoload_register(function (string $class) {
            global $asked, $declares;
            $asked[$class] = ($asked[$class] ?? 0) + 1;
            if (in_array($class, $declares, true)) {
                declare_util($class);
            }
        });
        function step(string $label): void {
            global $asked;
            echo $label, ': ', json_encode($asked), "\n";
            $asked = [];
        }
        PHP;

    /** Runs the counting autoloader with the classes it declares, then $code. */
    private function run_counting(array $declares, string $code): array {
        return $this->run_php('$declares = ' . var_export($declares, true) . ";\n"
            . self::COUNTING_AUTOLOADER . "\n" . $code);
    }

    public function test_the_global_phpunit_util_is_looked_up_once_per_request(): void {
        [$rc, $out] = $this->run_counting(['phpunit_util'], <<<'PHP'
            var_export(moodle_events\is_redirecting());
            echo "\n";
            step('first');
            for ($i = 0; $i < 5; $i++) {
                moodle_events\is_redirecting();
            }
            step('later');
            PHP);
        $this->assertSame(0, $rc, $out);
        // Asked for the global name once, found: the namespaced name is never asked for.
        $this->assertSame("false\nfirst: {\"phpunit_util\":1}\nlater: []", $out);
    }

    public function test_the_namespaced_phpunit_util_of_moodle_5_2_is_found_after_the_global_name(): void {
        [$rc, $out] = $this->run_counting(['core\test\phpunit\phpunit_util'], <<<'PHP'
            var_export(moodle_events\is_redirecting());
            echo "\n";
            step('first');
            for ($i = 0; $i < 5; $i++) {
                moodle_events\is_redirecting();
            }
            step('later');
            PHP);
        $this->assertSame(0, $rc, $out);
        $this->assertSame("false\nfirst: {\"phpunit_util\":1,\"core\\\\test\\\\phpunit\\\\phpunit_util\":1}\nlater: []", $out);
    }

    public function test_a_missing_phpunit_util_is_looked_up_again_until_found(): void {
        [$rc, $out] = $this->run_counting([], <<<'PHP'
            var_export(moodle_events\is_redirecting());
            echo "\n";
            step('first');
            moodle_events\is_redirecting();
            step('second');
            $declares = ['phpunit_util'];
            moodle_events\is_redirecting();
            step('found');
            moodle_events\is_redirecting();
            moodle_events\is_redirecting();
            step('later');
            PHP);
        $this->assertSame(0, $rc, $out);
        $both = '{"phpunit_util":1,"core\\\\test\\\\phpunit\\\\phpunit_util":1}';
        $this->assertSame("false\nfirst: $both\nsecond: $both\nfound: {\"phpunit_util\":1}\nlater: []", $out);
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
