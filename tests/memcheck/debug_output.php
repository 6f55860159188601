<?php
// How PHP code looks at events and sinks: var_dump, print_r, var_export, debug_zval_dump,
// json_encode, (array) casts, ==/!=/<=>, foreach, iterator_to_array, get_object_vars,
// reflection, clone/serialize (refused), unknown properties, property reads in loops.

require __DIR__ . '/common.php';

use moodle_events\event;
use moodle_events\tests\fixtures;

$e = failed_event();
$task = event::create_from_task(TASK_CREATED, fixtures::task('quiz'), fixtures::caller_other('task_created'));
ob_start();
var_dump($e, $task);
print_r($e);
print_r($task, false);
echo print_r($e, true);
var_export($e->get_data());
debug_zval_dump($e);
debug_zval_dump($e->get_data());
debug_zval_dump($e->other);
$dump = ob_get_clean();
check(str_contains($dump, '[cause] => disk full') && str_contains($dump, '["triggered"]=>'), 'dumps');
$e->trigger();
ob_start();
var_dump($e);
check(str_contains(ob_get_clean(), '["dispatched"]=>' . "\n  bool(true)"), 'dump after trigger');
ob_start();
var_export($e);
check(str_contains(ob_get_clean(), "'data' =>"), 'var_export');

// JSON.
check(json_encode($e) === json_encode($e->get_data()), 'json');
check(json_decode(json_encode([$e, $task, 'x' => [$e]]), true)[1]['other']['activity']['cmid'] === 9, 'json nested');
check(json_encode($e, JSON_PRETTY_PRINT | JSON_THROW_ON_ERROR) !== false, 'pretty');
check($e->jsonSerialize() === $e->get_data(), 'jsonSerialize');

// Casts and comparisons.
$arr = (array)$e;
check(count($arr) === 1 && reset($arr) === $e->get_data(), '(array)');
$a = event::create(JOB_COMPLETED, ['objectid' => 1, 'contextid' => 2]);
$b = event::create(JOB_COMPLETED, ['objectid' => 1, 'contextid' => 2]);
$c = event::create(JOB_COMPLETED, ['objectid' => 2, 'contextid' => 2]);
$d = event::create(JOB_DELETED, ['objectid' => 1, 'contextid' => 2]);
check($a == $b || $a->timecreated !== $b->timecreated, '==');
check(!($a == $c), 'not equal');
check($a != $c && $a != $d && $a !== $b, '!=');
$cmp = $a <=> $c;
check(is_int($cmp), '<=>');
check([$a] == [$b] || $a->timecreated !== $b->timecreated, 'arrays of events');
check(in_array($a, [$c, $d], true) === false, 'in_array strict');
in_array($a, [$c, $d]);
array_search($b, [$c, $a]);
$sorted = [$c, $a, $d];
usort($sorted, fn($x, $y) => $x->objectid <=> $y->objectid);
sort($sorted);
check((bool)$e === true, 'bool cast');
check(get_object_vars($e) === [], 'get_object_vars');
check(spl_object_id($e) > 0 && is_object($e) && $e instanceof IteratorAggregate && $e instanceof JsonSerializable, 'object');
try {
    echo (string)$e;
} catch (Error $err) {
}
try {
    $x = $e + 1;
} catch (Error $err) {
}

// Iteration and properties.
$n = 0;
foreach ($e as $k => $v) {
    $n++;
}
check($n === 17, 'foreach');
check(iterator_to_array($e->getIterator()) === $e->get_data(), 'getIterator');
foreach ($e as $k => &$v) { // by reference: a copy is iterated
    $v = 'changed';
}
unset($v);
check($e->other === ['cause' => 'disk full'], 'by-ref foreach');
for ($i = 0; $i < 100; $i++) {
    $e->objectid;
    $e->other;
    $e->eventname;
    isset($e->relateduserid);
    $e->get_data();
}
collect_warnings();
$x = $e->nope;
$y = $e->{'other '};
restore_error_handler();
check($x === null && count($GLOBALS['WARN']) === 2 && str_contains($GLOBALS['WARN'][0], 'Undefined property'), 'unknown');
check(property_exists($e, 'data') && !isset($e->nope) && !empty($e->other), 'property_exists/isset/empty');
$r = new ReflectionObject($e);
$r->getProperties();
$r->getMethods();
$r->getName();
try {
    $p = new ReflectionProperty($e, 'data');
    $p->setAccessible(true);
    $p->getValue($e);
} catch (Throwable $t) {
}
$inside = @Closure::bind(fn() => $this->data, $e, event::class); // refused for internal classes
try {
    check($inside() === $e->get_data(), 'protected data from inside');
} catch (Throwable $t) {
}
$m = new ReflectionMethod(event::class, 'create');
$made = $m->invoke(null, JOB_COMPLETED, ['objectid' => 1, 'contextid' => 2]);
check($made instanceof event, 'reflection invoke');
$made = call_user_func_array([event::class, 'create_from_job'], [JOB_COMPLETED, fixtures::job(['status' => '100'])]);
$made = event::create(...['eventname' => JOB_COMPLETED, 'data' => ['objectid' => 1, 'contextid' => 2]]);
$f = $e->get_data(...);
check($f() === $e->get_data(), 'first-class callable');

// Refused operations.
expect_throw(fn() => clone $e, Error::class);
expect_throw(fn() => serialize($e), Exception::class);
expect_throw(fn() => unserialize('O:19:"moodle_events\event":0:{}'), Exception::class);
expect_throw(fn() => unserialize('C:19:"moodle_events\event":0:{}'), Throwable::class);
expect_throw(fn() => (new ReflectionClass(event::class))->newInstanceWithoutConstructor(), ReflectionException::class);
expect_throw(fn() => (new ReflectionClass(event::class))->newInstance(), Exception::class);
expect_throw(fn() => new moodle_events\catalogue(), Exception::class);
expect_throw(fn() => var_export($e, true) && throw new Exception('x'), Throwable::class);
check(@unserialize(serialize([1])) === [1], 'unserialize ok');

// Weak references and maps.
$w = event::create(JOB_COMPLETED, ['objectid' => 1, 'contextid' => 2]);
$wr = WeakReference::create($w);
$map = new WeakMap();
$map[$w] = 'x';
unset($w);
check($wr->get() === null && count($map) === 0, 'weak');
$sink = moodle_events\redirect_events();
$t = failed_event();
$wr = WeakReference::create($t);
$t->trigger();
unset($t);
check($wr->get() instanceof event, 'held by the sink');
$sink->clear();
check($wr->get() === null, 'released by clear');
$sink->close();

// Exceptions: dump and compare them too.
try {
    event::create(JOB_FAILED, ['objectid' => 1, 'contextid' => 1]);
} catch (moodle_events\validation_exception $ex) {
    ob_start();
    var_dump($ex);
    print_r($ex);
    ob_end_clean();
    check($ex->eventname === JOB_FAILED && $ex->field === 'other.cause', 'exception props');
    json_encode($ex);
    expect_throw(fn() => clone $ex, Error::class); // exceptions are never cloneable
    $ex->field = 'changed';
}
finish();
