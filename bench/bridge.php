<?php
// The bridge benchmark (make bench): inside the Moodle stand-in (tests/moodle/standin.php),
// a bridge class validated by the extension against the same Moodle event class validated
// in plain PHP (bench/baseline.php's rules in validate_data()), both create()+trigger()
// into Moodle's PHPUnit sink. Usage: php -d extension=… bench/bridge.php [events] [rounds]

namespace {
    require dirname(__DIR__) . '/tests/moodle/standin.php';
    require __DIR__ . '/baseline.php';
    require __DIR__ . '/php_validated.php';

    $n = (int)($argv[1] ?? 20000);
    $rounds = (int)($argv[2] ?? 7);
    $data = fn(int $i) => ['objectid' => $i + 1, 'contextid' => 34, 'relateduserid' => 5,
        'other' => ['cause' => 'The storage was full', 'status' => 240]];
    $inputs = array_map($data, range(0, $n - 1));
    $job = (object)['id' => '12', 'contextid' => '34', 'userid' => '5', 'origin' => 'manual', 'status' => '240',
        'settings' => '{}', 'timecreated' => '1700000000', 'timemodified' => '1700000100'];

    $impls = [
        'bridge create()' => function () use ($inputs) {
            foreach ($inputs as $d) {
                \local_archiving\event\archive_job_failed::create($d)->trigger();
            }
        },
        'bridge create_from_job()' => function () use ($inputs, $job) {
            foreach ($inputs as $d) {
                \local_archiving\event\archive_job_failed::create_from_job($job, 'The storage was full')->trigger();
            }
        },
        'PHP-validated create()' => function () use ($inputs) {
            foreach ($inputs as $d) {
                \local_benchmark\event\archive_job_failed::create($d)->trigger();
            }
        },
    ];
    $times = [];
    for ($r = 0; $r < $rounds; $r++) {
        foreach ($impls as $label => $f) {
            $sink = \phpunit_util::start_event_redirection();
            $t = hrtime(true);
            $f();
            $times[$label][] = (hrtime(true) - $t) / $n;
            $sink->close();
        }
    }
    printf("\n%-40s %10s\n", "bridge: archive_job_failed, Moodle sink", 'ns/ev');
    foreach ($times as $label => $t) {
        sort($t);
        printf("%-40s %10.0f\n", $label, $t[intdiv(count($t), 2)]);
    }
}
