<?php
// The event-path benchmark (make bench): in one PHP process, interleaved rounds of
//   native   moodle_events\event::create() + trigger() into the extension's sink,
//   baseline the same rules in plain PHP (bench/baseline.php) into a PHP array sink,
//   floor    building the same 17-key data array in plain PHP (no checks at all),
// for three events; then memory per captured event and json_encode() of captured events.
// Prints medians (ns per event) and ratios. Usage:
//   php -d extension=target/release/libmoodle_events.so bench/run.php [events per round] [rounds]

use moodle_events\event;
use moodle_events_bench\baseline_event;
use moodle_events_bench\baseline_sink;

require __DIR__ . '/baseline.php';

$n = (int)($argv[1] ?? 20000);
$rounds = (int)($argv[2] ?? 7);
$USER = (object)['id' => 2];

$others = require __DIR__ . '/others.php';
$cases = [
    'archive_job_failed' => ['\local_archiving\event\archive_job_failed', fn(int $i) => [
        'objectid' => $i + 1, 'contextid' => 34, 'relateduserid' => 5,
        'other' => $others['archive_job_failed']]],
    'task_created' => ['\archivingmod_quiz\event\task_created', fn(int $i) => [
        'objectid' => $i + 1, 'contextid' => 34, 'relateduserid' => 5,
        'other' => $others['task_created']]],
    'transmission_completed' => ['\archivingevent_apistub\event\transmission_completed', fn(int $i) => [
        'contextid' => 34, 'relateduserid' => 5,
        'other' => [
            'eventname' => '\local_archiving\event\archive_job_completed',
            'metadata' => ['httpstatus' => 200, 'requestid' => "r$i", 'service' => ['name' => 'apistub',
                'version' => '1.2', 'endpoint' => ['host' => 'archive.example', 'port' => 443]]],
        ]]],
];

/** The floor: Moodle's 17 fields as a plain array, appended to an array. */
function floor_event(string $eventname, array $d, array &$sink): void {
    $sink[] = [
        'eventname' => $eventname, 'component' => 'x', 'action' => 'y', 'target' => 'z',
        'objecttable' => 'local_archiving_job', 'objectid' => $d['objectid'] ?? null, 'crud' => 'u', 'edulevel' => 0,
        'contextid' => $d['contextid'], 'contextlevel' => null, 'contextinstanceid' => null, 'userid' => 2,
        'courseid' => 0, 'relateduserid' => $d['relateduserid'], 'anonymous' => 0, 'other' => $d['other'],
        'timecreated' => time(),
    ];
}

/** ns per event of one run of $body over $n events (the inputs are built before timing). */
function run(int $n, array $inputs, callable $body): float {
    $t = hrtime(true);
    $body($inputs);
    return (hrtime(true) - $t) / $n;
}

function median(array $xs): float {
    sort($xs);
    return $xs[intdiv(count($xs), 2)];
}

$impls = [
    'native' => fn(string $name) => function (array $inputs) use ($name) {
        $sink = moodle_events\redirect_events();
        foreach ($inputs as $d) {
            event::create($name, $d)->trigger();
        }
        $sink->close();
    },
    'baseline' => fn(string $name) => function (array $inputs) use ($name) {
        baseline_sink::$events = [];
        foreach ($inputs as $d) {
            baseline_event::create($name, $d)->trigger();
        }
        baseline_sink::$events = [];
    },
    'floor' => fn(string $name) => function (array $inputs) use ($name) {
        $sink = [];
        foreach ($inputs as $d) {
            floor_event($name, $d, $sink);
        }
    },
];

$jit = function_exists('opcache_get_status') && is_array($s = opcache_get_status(false)) && ($s['jit']['on'] ?? false);
printf("PHP %s, opcache %s, JIT %s; %d events per round, %d rounds, interleaved\n\n", PHP_VERSION,
    ini_get('opcache.enable_cli') ? 'on' : 'off', $jit ? 'on' : 'off', $n, $rounds);

$times = [];
foreach ($cases as $label => [$name, $make]) {
    $inputs[$label] = array_map($make, range(0, $n - 1));
}
for ($r = 0; $r < $rounds; $r++) {
    foreach ($cases as $label => [$name]) {
        foreach ($impls as $impl => $factory) {
            $times[$label][$impl][] = run($n, $inputs[$label], $factory($name));
        }
    }
}

printf("%-24s %10s %10s %10s %14s %16s\n", 'create+trigger (ns/ev)', 'native', 'baseline', 'floor',
    'native/floor', 'baseline/native');
foreach ($times as $label => $t) {
    [$nat, $base, $flr] = [median($t['native']), median($t['baseline']), median($t['floor'])];
    printf("%-24s %10.0f %10.0f %10.0f %13.2fx %15.2fx\n", $label, $nat, $base, $flr, $nat / $flr, $base / $nat);
}

// Memory held per captured event, as PHP counts it (so memory_limit applies), and JSON export.
$count = max(1000, min(100000, $n * 5));
[$name, $make] = $cases['task_created'];
$data = array_map($make, range(0, $count - 1));
$sinks = [];
gc_collect_cycles();
$before = memory_get_usage();
$sink = moodle_events\redirect_events();
foreach ($data as $d) {
    event::create($name, $d)->trigger();
}
$native_bytes = (memory_get_usage() - $before) / $count;
$native_events = $sink->get_events();
$sink->close();
$before = memory_get_usage();
baseline_sink::$events = [];
foreach ($data as $d) {
    baseline_event::create($name, $d)->trigger();
}
$baseline_bytes = (memory_get_usage() - $before) / $count;
$baseline_events = baseline_sink::$events;

printf("\n%-24s %10s %10s\n", "task_created, $count ev", 'native', 'baseline');
printf("%-24s %10.0f %10.0f\n", 'bytes per captured event', $native_bytes, $baseline_bytes);

$export = [
    'log store (ns/ev)' => function (array $events) {
        $rows = [];
        foreach ($events as $e) {
            $row = $e->get_data();
            $row['other'] = json_encode($row['other']);
            $rows[] = $row;
        }
        return count($rows);
    },
    'connector (ns/ev)' => fn(array $events) => strlen(json_encode($events)),
];
foreach ($export as $label => $f) {
    $nt = $bt = [];
    for ($r = 0; $r < $rounds; $r++) {
        $t = hrtime(true);
        $f($native_events);
        $nt[] = (hrtime(true) - $t) / $count;
        $t = hrtime(true);
        $f($baseline_events);
        $bt[] = (hrtime(true) - $t) / $count;
    }
    printf("%-24s %10.0f %10.0f   (baseline/native %.2fx)\n", "json: $label", median($nt), median($bt),
        median($bt) / median($nt));
}
