<?php
// bench-moodle's report (scripts/bench-moodle.sh): one table per Moodle version and the
// targets of issue 12, from the callgrind segments (bench.php callgrind) and the timing
// run (bench.php time). Either may be missing ("-"): then its columns are left empty.
//   php report.php <version> <callgrind dir with plan and cg.out* | -> <timing json | -> <events>
[, $version, $dir, $timingfile, $n] = $argv;
$n = (int)$n;

/** Instructions of a callgrind dump file (its "totals:" line). */
function totals(string $file): int {
    foreach (file($file) as $line) {
        if (preg_match('/^(?:totals|summary): (\d+)/', $line, $m)) {
            return (int)$m[1];
        }
    }
    throw new RuntimeException("no totals in $file");
}

// Instructions per event: (segment of n events - segment of 0 events) / n. The segment after
// the k-th marker is dump k+1; the last one is the final dump (no suffix).
$instr = [];
$release = '';
if ($dir !== '-') {
    $plan = file("$dir/plan", FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES);
    $seg = [];
    foreach ($plan as $k => $label) {
        $seg[$label] = totals($k + 1 === count($plan) ? "$dir/cg.out" : "$dir/cg.out." . ($k + 2));
    }
    foreach ($seg as $label => $count) {
        if (preg_match('/^(.*)\|(\d+)$/', $label, $m) && (int)$m[2] > 0) {
            $instr[$m[1]] = ($count - $seg["$m[1]|0"]) / (int)$m[2];
        }
    }
}
$us = [];
if ($timingfile !== '-') {
    $timing = json_decode(file_get_contents($timingfile), true);
    $release = $timing['release'];
    foreach ($timing['ns'] as $label => $ns) {
        $us[$label] = $ns / 1000;
    }
}
$labels = array_keys($instr ?: $us);
$paths = array_unique(array_map(fn($l) => substr($l, strpos($l, ':') + 1), $labels));

/** Ratio of a path to its reference (hand-validated class; core event for the log store). */
function ratio(array $v, string $mode, string $path): string {
    if (!isset($v["$mode:$path"])) {
        return '';
    }
    [$ref, $name] = str_starts_with($path, 'log: ')
        ? ['log: core course_viewed', 'core'] : [strtok($path, ' ') . ' hand', 'hand'];
    return sprintf('%.2f× %s', $v["$mode:$path"] / $v["$mode:$ref"], $name);
}
$num = fn(array $v, string $k, int $dec = 0) => isset($v[$k]) ? number_format($v[$k], $dec) : '';

printf("\nMoodle %s %s: create()+trigger(); instructions per event (callgrind, %d events) and µs per event (median of rounds)\n",
    $version, $release ? "($release)" : '', $n);
printf("%-32s | %-38s | %-38s\n", '', 'PHPUnit (debugdeveloper on, as the issue)', 'debugging off (a production site)');
printf("%-32s | %10s %13s %12s | %10s %13s %12s\n", 'path', 'instr/ev', 'ratio', 'µs/ev', 'instr/ev', 'ratio', 'µs/ev');
foreach ($paths as $path) {
    printf("%-32s", $path);
    foreach (['dev', 'prod'] as $mode) {
        printf(" | %10s %13s %12s", $num($instr, "$mode:$path"), ratio($instr, $mode, $path), $num($us, "$mode:$path", 1));
    }
    echo "\n";
}
if (!$instr) {
    exit(0);
}

printf("\nTargets of issue 12 (instruction ratios), Moodle %s\n  %-62s %-34s %s\n", $version, '', 'PHPUnit (as the issue)', 'debugging off');
$line = function (string $what, float $limit, callable $value) {
    printf("  %-62s", $what);
    foreach (['dev', 'prod'] as $mode) {
        [$r, $text] = $value($mode);
        printf(" %-27s %-6s", $text, $r <= $limit ? 'met' : 'MISSED');
    }
    echo "\n";
};
$i = fn($mode, $path) => $instr["$mode:$path"];
$line('archive_job_failed: bridge ≤ 1.0× hand-validated', 1.0, function ($m) use ($i) {
    $r = $i($m, 'archive_job_failed bridge') / $i($m, 'archive_job_failed hand');
    return [$r, sprintf('%.2f×', $r)];
});
$line('task_created: bridge above floor ≤ 0.5× hand above floor', 0.5, function ($m) use ($i) {
    $b = $i($m, 'task_created bridge') - $i($m, 'task_created floor');
    $h = $i($m, 'task_created hand') - $i($m, 'task_created floor');
    $r = $h > 0 ? $b / $h : INF;
    return [$r, sprintf('%.2f× (%s / %s)', $r, number_format($b), number_format($h))];
});
foreach (['archive_job_failed', 'task_created'] as $e) {
    $line("$e: native ≤ 1.1× bridge", 1.1, function ($m) use ($i, $e) {
        $r = $i($m, "$e native") / $i($m, "$e bridge");
        return [$r, sprintf('%.2f×', $r)];
    });
}
foreach (['archive_job_failed', 'task_created'] as $e) {
    $line("end to end: $e bridge ≤ 1.05× course_viewed", 1.05, function ($m) use ($i, $e, $us) {
        $r = $i($m, "log: $e bridge") / $i($m, 'log: core course_viewed');
        $t = isset($us["$m:log: $e bridge"]) ? sprintf(' (time %.2f×)', $us["$m:log: $e bridge"] / $us["$m:log: core course_viewed"]) : '';
        return [$r, sprintf('%.2f×%s', $r, $t)];
    });
}
