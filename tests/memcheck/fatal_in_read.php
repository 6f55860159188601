<?php
// memcheck-exit: 255
// memcheck-bailout (PHP itself leaks what bailed-out frames held: see run.sh)
// A fatal error inside PHP code the extension calls while it builds an event (a record's
// __get, after other columns, the derived `other` keys and the caller's array were read):
// the engine bails out through the extension's frames; shutdown functions still work.

require __DIR__ . '/common.php';

ob_start(); // what the script printed before it ended, checked by the shutdown function

use moodle_events\event;
use moodle_events\tests\fixtures;

register_shutdown_function(function () {
    $before = ob_get_clean();
    check(str_contains($before, 'Fatal error: fatal while reading') && !str_contains($before, 'not reached'), 'output before the end: ' . json_encode($before));
    $e = event::create_from_task('\archivingmod_quiz\event\task_failed', fixtures::task_for('task_failed', 'quiz'),
        ['cause' => 'after the fatal error']);
    check($e->other['jobid'] === 12, 'after fatal');
    finish();
});
$task = new class {
    public $id = '77';
    public $jobid = '12';
    public $archivingmod = 'quiz';
    public $contextid = '34';
    public $status = '250';
    public $settings = ['paper' => 'A4', 'attempts' => [1, 2]];
    public function __get($name) {
        echo "reading $name\n";
        trigger_error('fatal while reading', E_USER_ERROR);
    }
};
event::create_from_task('\archivingmod_quiz\event\task_failed', $task, ['cause' => str_repeat('c', 100)]);
echo "not reached\n";
