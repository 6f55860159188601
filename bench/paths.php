<?php
// Instructions per event of the extension's own creation paths, counted with callgrind by
// `make bench-paths`: create() of task_created (the largest other), create_from_job() of
// archive_job_failed (a row read, a snapshot copied, other merged) and create_from_event()
// of transmission_completed (a forwarded event's data read). Each event goes to the
// extension's sink. Usage: php -d extension=… bench/paths.php create|job|event N

use moodle_events\event;

[$which, $n] = [$argv[1] ?? 'create', (int)($argv[2] ?? 1000)];
$others = require __DIR__ . '/others.php';
$USER = (object)['id' => 2];
$job = (object)['id' => 7, 'contextid' => 34, 'userid' => 5, 'origin' => 'manual', 'status' => 240,
    'settings' => '{}', 'timecreated' => 1, 'timemodified' => 2];
$forwarded = event::create('\local_archiving\event\archive_job_completed', ['objectid' => 3, 'contextid' => 34]);
$sink = moodle_events\redirect_events();
$make = match ($which) {
    'create' => fn(int $i) => event::create('\archivingmod_quiz\event\task_created', ['objectid' => $i + 1,
        'contextid' => 34, 'relateduserid' => 5, 'other' => $others['task_created']]),
    'job' => fn(int $i) => event::create_from_job('\local_archiving\event\archive_job_failed', $job,
        ['cause' => 'Disk full']),
    'event' => fn(int $i) => event::create_from_event('\archivingevent_apistub\event\transmission_completed',
        $forwarded),
};
for ($i = 0; $i < $n; $i++) {
    $make($i)->trigger();
}
$sink->close();
