<?php
// memcheck-exit: 6
// exit() inside PHP code the extension calls while it builds an event (a record's __get,
// with half-read values held by the extension): the exit is honoured, nothing leaks.

require __DIR__ . '/common.php';

ob_start(); // what the script printed before it ended, checked by the shutdown function

use moodle_events\event;
use moodle_events\tests\fixtures;

register_shutdown_function(function () {
    $before = ob_get_clean();
    check($before === "reading userid\n", 'output before the end: ' . json_encode($before));
    // The extension still works after the interrupted create().
    $e = event::create_from_job(JOB_COMPLETED, fixtures::job(['status' => '100']));
    check($e->objectid === 12, 'after exit');
    finish();
});
$job = new class {
    public $id = '12';
    public $contextid = '34';
    public $settings = ['a' => [1, 2, 3]];
    public $origin = 'manual';
    public function __get($name) {
        if ($name === 'status') {
            return '100';
        }
        echo "reading $name\n";
        exit(6);
    }
};
event::create_from_job('\local_archiving\event\archive_job_created', $job, []);
echo "not reached\n";
