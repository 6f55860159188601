<?php
// stubs/moodle_events.stub.php declares exactly what the built extension exposes.

use PHPUnit\Framework\TestCase;

require_once __DIR__ . '/api_dump.php';

final class StubTest extends TestCase {
    public function test_stub_matches_the_extension(): void {
        $stub = dirname(__DIR__, 2) . '/stubs/moodle_events.stub.php';
        $cmd = escapeshellarg(PHP_BINARY) . ' -n ' . escapeshellarg(__DIR__ . '/api_dump.php') . ' ' . escapeshellarg($stub);
        $fromstub = shell_exec($cmd);
        $this->assertIsString($fromstub);
        $this->assertStringContainsString('moodle_events\event::static create(', $fromstub);
        $this->assertSame(moodle_events_api_dump(), $fromstub, 'stubs/moodle_events.stub.php differs from the extension');
    }

    public function test_every_stub_member_is_documented(): void {
        $text = file_get_contents(dirname(__DIR__, 2) . '/stubs/moodle_events.stub.php');
        preg_match_all('/\n((?: {4})?)(?:final |abstract )?(?:public |private )?(?:static )?(function|class) (\w+)/', $text, $m, PREG_OFFSET_CAPTURE);
        foreach ($m[3] as $i => [$name, $offset]) {
            $before = rtrim(substr($text, 0, $m[0][$i][1]));
            $this->assertStringEndsWith('*/', $before, "$name has no docblock");
        }
    }
}
