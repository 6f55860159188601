<?php
// bench-moodle (scripts/bench-moodle.sh, make bench-moodle): create()+trigger() of
// \local_archiving\event\archive_job_failed and \archivingmod_quiz\event\task_created on the
// real Moodle code of one site, started by the site's own PHPUnit bootstrap
// (bench/moodle/bootstrap.php):
//   floor   a \core\event\base subclass with the same init() and no validation;
//   hand    the same class with the event's rules checked by hand in validate_data();
//   bridge  the generated bridge class's create() (its validate_data() runs the extension);
//   native  \moodle_events\event::create() inside Moodle (handed over to the bridge class);
// each into Moodle's PHPUnit sink (phpunit_util::start_event_redirection()); then end to
// end into logstore_standard (buffersize 0): the bridge classes against \core\event\course_viewed.
// Only the public API is used (create(), trigger()): nothing here depends on the bridge's internals.
//
//   php bench.php callgrind <events> <warm-up>   segments between calls of convert_uuencode()
//                                                 (valgrind --dump-before=php_uuencode); the
//                                                 segment labels go to $BENCH_PLAN, one a line
//   php bench.php time <events> <rounds>          medians of interleaved rounds, JSON on stdout
// Environment: BENCH_MOODLE_ROOT, the site's root (bench/moodle/bootstrap.php).

[$mode, $n, $extra] = [$argv[1] ?? 'time', (int)($argv[2] ?? 2000), (int)($argv[3] ?? 7)];
ob_start(); // bootstrap_moodle_info() and the test lock's notes: not part of the results.
require __DIR__ . '/bootstrap.php';
require __DIR__ . '/classes.php';
ob_end_clean();

if (!extension_loaded('moodle_events')) {
    fwrite(STDERR, "bench-moodle: the moodle_events extension is not loaded\n");
    exit(1);
}

// Every path runs twice: "dev" as Moodle's PHPUnit runs (developer debugging: Moodle's own
// extra checks in create(), trigger() and add_record_snapshot()), then "prod" as a production
// site (debugging off).
$modes = ['dev' => [E_ALL, true], 'prod' => [DEBUG_NONE, false]];
function bench_mode(string $mode): void {
    global $CFG, $modes;
    [$CFG->debug, $CFG->debugdeveloper] = $modes[$mode];
}
\core\session\manager::set_user(get_admin());
$context = \context_course::instance(SITEID);

$others = require dirname(__DIR__) . '/others.php';
$events = [
    'archive_job_failed' => [
        'bridge' => '\local_archiving\event\archive_job_failed',
        'data' => fn(int $i) => ['objectid' => $i + 1, 'context' => $context, 'other' => $others['archive_job_failed']],
    ],
    'task_created' => [
        'bridge' => '\archivingmod_quiz\event\task_created',
        'data' => fn(int $i) => ['objectid' => $i + 1, 'context' => $context, 'other' => $others['task_created']],
    ],
];

// path label => [kind (sink|log), event, run(inputs)].
$paths = [];
foreach ($events as $name => $e) {
    $floor = "\\local_benchfloor\\event\\$name";
    $hand = "\\local_benchhand\\event\\$name";
    $bridge = $e['bridge'];
    $paths["$name floor"] = ['sink', $name, function (array $inputs) use ($floor) {
        foreach ($inputs as $d) {
            $floor::create($d)->trigger();
        }
    }];
    $paths["$name hand"] = ['sink', $name, function (array $inputs) use ($hand) {
        foreach ($inputs as $d) {
            $hand::create($d)->trigger();
        }
    }];
    $paths["$name bridge"] = ['sink', $name, function (array $inputs) use ($bridge) {
        foreach ($inputs as $d) {
            $bridge::create($d)->trigger();
        }
    }];
    $paths["$name native"] = ['sink', $name, function (array $inputs) use ($bridge) {
        foreach ($inputs as $d) {
            \moodle_events\event::create($bridge, $d)->trigger();
        }
    }];
}
foreach ($events as $name => $e) {
    $bridge = $e['bridge'];
    $paths["log: $name bridge"] = ['log', $name, function (array $inputs) use ($bridge) {
        foreach ($inputs as $d) {
            $bridge::create($d)->trigger();
        }
    }];
}
$paths['log: core course_viewed'] = ['log', 'course_viewed', function (array $inputs) {
    foreach ($inputs as $d) {
        \core\event\course_viewed::create($d)->trigger();
    }
}];

/** The inputs of $count events of a path, built before anything is measured. */
function bench_inputs(string $event, int $count, int $from = 0): array {
    global $events, $context;
    $out = [];
    for ($i = $from; $i < $from + $count; $i++) {
        $out[] = $event === 'course_viewed' ? ['context' => $context] : ($events[$event]['data'])($i);
    }
    return $out;
}

// The log store as tests/moodle/real enables it: logstore_standard alone, written at once.
function bench_logstore(): void {
    set_config('enabled_stores', 'logstore_standard', 'tool_log');
    set_config('buffersize', 0, 'logstore_standard');
    set_config('logguests', 1, 'logstore_standard');
    get_log_manager(true);
}

/** Runs one path into its sink and checks that every event arrived (outside any measurement). */
function bench_run(array $path, array $inputs, ?callable $measure = null) {
    global $DB;
    [$kind, , $run] = $path;
    if ($kind === 'sink') {
        $sink = \phpunit_util::start_event_redirection();
        $result = $measure ? $measure($run, $inputs) : $run($inputs);
        $got = $sink->count();
        $sink->close();
    } else {
        $before = $DB->count_records('logstore_standard_log');
        $result = $measure ? $measure($run, $inputs) : $run($inputs);
        $got = $DB->count_records('logstore_standard_log') - $before;
    }
    if ($got !== count($inputs)) {
        fwrite(STDERR, "bench-moodle: expected " . count($inputs) . " events, the $kind got $got\n");
        exit(1);
    }
    return $result;
}

bench_logstore();
$plan = [];
$marker = function (string $label) use (&$plan) {
    $plan[] = $label;
    convert_uuencode('x'); // valgrind --dump-before=php_uuencode: a new segment starts here.
};

if ($mode === 'callgrind') {
    $warm = $extra;
    foreach ($modes as $mode => $ignored) {
    bench_mode($mode);
    foreach ($paths as $plabel => $path) {
        $label = "$mode:$plabel";
        $warmup = bench_inputs($path[1], $warm);
        $inputs = bench_inputs($path[1], $n, $warm);
        $none = [];
        gc_collect_cycles();
        bench_run($path, array_merge($warmup, $inputs), function ($run, $all) use ($warmup, $inputs, $none, $marker, $label) {
            $run($warmup);
            $marker("$label|0");
            $run($none);
            $marker("$label|$GLOBALS[n]");
            $run($inputs);
            $marker("$label|end");
        });
    }
    }
    file_put_contents(getenv('BENCH_PLAN'), implode("\n", $plan) . "\n");
} else {
    $rounds = $extra;
    $times = [];
    foreach ($paths as $label => $path) { // Warm-up: class loading, caches.
        bench_run($path, bench_inputs($path[1], 20));
    }
    for ($r = 0; $r < $rounds; $r++) {
        foreach (array_keys($modes) as $mode)
        foreach ($paths as $plabel => $path) {
            bench_mode($mode);
            $label = "$mode:$plabel";
            $inputs = bench_inputs($path[1], $n, $r * $n);
            gc_collect_cycles();
            $times[$label][] = bench_run($path, $inputs, function ($run, $inputs) {
                $t = hrtime(true);
                $run($inputs);
                return (hrtime(true) - $t) / count($inputs);
            });
        }
    }
    $median = [];
    foreach ($times as $label => $t) {
        sort($t);
        $median[$label] = $t[intdiv(count($t), 2)];
    }
    echo json_encode(['release' => $CFG->release, 'ns' => $median]), "\n";
}
\phpunit_util::reset_all_data(); // The test site as it was: no log rows, no changed settings.
