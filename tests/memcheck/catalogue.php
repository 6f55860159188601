<?php
// The moodle_events\catalogue class: names(), definition() of every pattern and of concrete
// names, static_info(), their errors, phpinfo()'s module section, reflection of the API.

require __DIR__ . '/common.php';

use moodle_events\catalogue;
use moodle_events\validation_exception;

$names = catalogue::names();
check(count($names) === 23, 'names');
$total = 0;
foreach ($names as $pattern) {
    $def = catalogue::definition($pattern);
    check($def['eventname'] === $pattern, "definition $pattern");
    foreach ($def['other'] as $key => $spec) {
        check(isset($spec['type'], $spec['required'], $spec['doc']), "$pattern other.$key");
        $total++;
    }
    $concrete = str_replace('<name>', 'zz_plugin', $pattern);
    check(catalogue::definition($concrete)['name'] === $def['name'], 'concrete');
    check(catalogue::definition(ltrim($concrete, '\\'))['name'] === $def['name'], 'no backslash');
    $info = catalogue::static_info($concrete);
    check(count($info) === 7 && $info['eventname'] === $concrete, "static_info $concrete");
}
check($total > 30, 'other keys');
$def = catalogue::definition(JOB_FAILED);
check(array_values($def['other']['status']['values']) === [200, 210, 220, 230, 240], 'value set');
check(catalogue::definition('\archivingmod_<name>\event\task_updated')['other']['updatedfields']['items']['table']
    === 'local_archiving_activity_task', 'list items');
check(catalogue::definition('\archivingstore_<name>\event\write_task_completed')['other']['destination']['fields']['sha256sum']['format']
    === 'sha256', 'fields');
// Repeated calls: the results are fresh arrays each time.
for ($i = 0; $i < 30; $i++) {
    $d = catalogue::definition($names[$i % 23]);
    $d['other'] = null;
    catalogue::static_info(str_replace('<name>', "p$i", $names[$i % 23]));
}
foreach ([
    '\archivingstore_s3\event\task_created', '\nope\event\x', 'nope', '', "\xff\xfe", str_repeat('\\a', 300),
    '\archivingmod_<name>\event\nope', '\archivingmod_Bad\event\task_created',
] as $bad) {
    expect_throw(fn() => catalogue::definition($bad), validation_exception::class, 'eventname');
    expect_throw(fn() => catalogue::static_info($bad), validation_exception::class, 'eventname');
}
expect_throw(fn() => catalogue::static_info('\archivingmod_<name>\event\task_created'), validation_exception::class);
expect_throw(fn() => catalogue::definition([]), TypeError::class);
expect_throw(fn() => catalogue::names(1), ArgumentCountError::class);

// phpinfo() section, reflection of every class and function.
ob_start();
phpinfo(INFO_MODULES);
$info = ob_get_clean();
check(str_contains($info, 'moodle_events support'), 'phpinfo');
$ext = new ReflectionExtension('moodle_events');
ob_start();
$ext->info();
ob_end_clean();
foreach ($ext->getClasses() as $class) {
    foreach ($class->getMethods() as $m) {
        $m->getParameters();
        (string)$m->getReturnType();
    }
    $class->getInterfaceNames();
    $class->getProperties();
    $class->getDefaultProperties();
    $class->getConstants();
}
foreach ($ext->getFunctions() as $f) {
    foreach ($f->getParameters() as $p) {
        $p->getType();
        $p->isDefaultValueAvailable() && $p->getDefaultValue();
    }
}
// As many classes and functions as the stub declares (StubTest compares them in full).
$stub = file_get_contents(dirname(__DIR__, 2) . '/stubs/moodle_events.stub.php');
$classes = preg_match_all('/^    (?:final )?class \w+/m', $stub);
$functions = preg_match_all('/^    function \w+\(/m', $stub);
check($classes > 0 && count($ext->getClasses()) === $classes && count($ext->getFunctions()) === $functions,
    'reflection: ' . count($ext->getClasses()) . " classes (stub: $classes), " . count($ext->getFunctions())
    . " functions (stub: $functions)");
(string)$ext;
finish();
