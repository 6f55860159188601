<?php
// moodle_events demo: one archive job through its whole life, captured in a sink.
// Run with `make demo` (builds the extension and loads it with -d extension=...).

use moodle_events\event;
use moodle_events\validation_exception;

if (!extension_loaded('moodle_events')) {
    fwrite(STDERR, "moodle_events extension is not loaded: run `make demo`\n");
    exit(1);
}

// Rows as $DB->get_record() returns them (strings).
$job = (object)['id' => '12', 'contextid' => '340', 'userid' => '5', 'origin' => 'manual', 'status' => '10',
    'settings' => '{}', 'timecreated' => '1700000000', 'timemodified' => '1700000000'];
$task = fn(string $id, string $mod, string $status, string $progress) => (object)['id' => $id, 'jobid' => '12',
    'archivingmod' => $mod, 'contextid' => '340', 'fingerprint' => str_repeat('ab', 32), 'userid' => '5',
    'status' => $status, 'progress' => $progress, 'wstoken' => 'f00dfeedf00dfeedf00dfeedf00dfeed',
    'settings' => '{"paper":"A4"}', 'timecreated' => '1700000000', 'timemodified' => '1700000100'];
$sha = hash('sha256', 'archive.tar.gz');

$sink = moodle_events\redirect_events();

// The job is created and starts archiving its activities.
event::create_from_job('\local_archiving\event\archive_job_created', $job)->trigger();
$job->status = '30';
event::create_from_job('\local_archiving\event\archive_job_updated', $job,
    ['updatedfields' => ['status'], 'oldstatus' => 10])->trigger();

// Two activity tasks: a quiz and an assignment.
foreach ([['77', 'quiz', 9, 3], ['78', 'assign', 10, 4]] as [$id, $mod, $cmid, $instance]) {
    event::create_from_task("\\archivingmod_$mod\\event\\task_created", $task($id, $mod, '20', '0'),
        ['activity' => ['cmid' => $cmid, 'modname' => $mod, 'instanceid' => $instance], 'settings' => ['attempts' => true]])
        ->trigger();
}
event::create_from_task('\archivingmod_quiz\event\task_updated', $task('77', 'quiz', '100', '50'),
    ['updatedfields' => ['progress', 'status']])->trigger();
event::create_from_task('\archivingmod_quiz\event\task_completed', $task('77', 'quiz', '220', '100'))->trigger();
event::create_from_task('\archivingmod_assign\event\task_completed', $task('78', 'assign', '220', '100'))->trigger();

// The artifact is written to the local directory store, and the write is forwarded.
$source = ['path' => '/tmp/archive.tar.gz'];
event::create_from_job('\archivingstore_localdir\event\write_task_created', $job,
    ['source' => $source, 'destination' => ['path' => 'archives/archive.tar.gz']])->trigger();
$written = event::create_from_job('\archivingstore_localdir\event\write_task_completed', $job,
    ['source' => $source, 'destination' => ['filehandleid' => 501, 'sha256sum' => $sha]]);
$written->trigger();
event::create_from_event('\archivingevent_apistub\event\transmission_completed', $written,
    ['metadata' => ['httpstatus' => 200]])->trigger();

// The copy to the Moodle file store fails, and so does the job.
event::create_from_job('\archivingstore_moodle\event\write_task_failed', $job,
    ['cause' => 'The file storage quota is exceeded'])->trigger();
$job->status = '240';
event::create_from_job('\local_archiving\event\archive_job_failed', $job,
    ['cause' => 'Storing the archive failed'])->trigger();
$sink->close();

// A readable table of what was captured.
$rows = [['#', 'event', 'objectid', 'crud', 'other']];
foreach ($sink->get_events() as $i => $e) {
    $other = $e->other === null ? '' : json_encode($e->other, JSON_UNESCAPED_SLASHES);
    $rows[] = [(string)($i + 1), $e->eventname, (string)$e->objectid, $e->crud,
        strlen($other) > 70 ? substr($other, 0, 67) . '...' : $other];
}
$widths = array_map(fn($c) => max(array_map(fn($r) => strlen($r[$c]), $rows)), array_keys($rows[0]));
foreach ($rows as $n => $row) {
    echo implode(' | ', array_map(fn($cell, $w) => str_pad($cell, $w), $row, $widths)), "\n";
    if ($n === 0) {
        echo implode('-+-', array_map(fn($w) => str_repeat('-', $w), $widths)), "\n";
    }
}
printf("\n%d events captured; last: %s\n", $sink->count(), $sink->get_events()[$sink->count() - 1]->get_description());

// Three bad inputs: each a validation_exception naming the event, the field and the rule.
echo "\nBad inputs:\n";
$bad = [
    'an event that does not exist' => fn() => event::create('\local_archiving\event\archive_job_exploded', []),
    "a quiz task for the assign driver" => fn() => event::create_from_task('\archivingmod_assign\event\task_completed',
        $task('77', 'quiz', '220', '100')),
    'a secret in other (never echoed)' => fn() => event::create_from_job('\local_archiving\event\archive_job_aborted',
        $job, ['cause' => 'stopped', 'wstoken' => 'f00dfeedf00dfeedf00dfeedf00dfeed']),
];
foreach ($bad as $what => $call) {
    try {
        $call();
        echo "- $what: accepted?!\n";
    } catch (validation_exception $e) {
        echo "- $what:\n    {$e->getMessage()}\n";
    }
}
