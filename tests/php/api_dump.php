<?php
// Dumps the moodle_events API as sorted canonical lines, for comparing the stub with the
// built extension. Run as a script (`php -n api_dump.php STUB`) it includes the stub file
// first and dumps what the stub declares.

function moodle_events_api_dump(): string {
    $type = fn(?ReflectionType $t): string => $t === null ? '' : (string)$t;
    $params = function (ReflectionFunctionAbstract $f) use ($type): string {
        $out = [];
        foreach ($f->getParameters() as $p) {
            $s = trim($type($p->getType()) . ' $' . $p->getName());
            if ($p->isOptional()) {
                $s .= ' = ' . ($p->isDefaultValueAvailable() ? var_export($p->getDefaultValue(), true) : '?');
            }
            $out[] = $s;
        }
        return implode(', ', $out);
    };
    $lines = [];
    $functions = get_defined_functions();
    foreach (array_merge($functions['internal'], $functions['user']) as $fn) {
        if (str_starts_with($fn, 'moodle_events\\')) {
            $r = new ReflectionFunction($fn);
            $lines[] = "function {$r->getName()}({$params($r)}): {$type($r->getReturnType())}";
        }
    }
    foreach (get_declared_classes() as $c) {
        if (!str_starts_with($c, 'moodle_events\\') || str_starts_with($c, 'moodle_events\\tests\\')) {
            continue;
        }
        $r = new ReflectionClass($c);
        $interfaces = array_diff($r->getInterfaceNames(), ['Traversable', 'Stringable', 'Throwable']);
        sort($interfaces);
        $lines[] = ($r->isFinal() ? 'final ' : '') . "class $c extends "
            . ($r->getParentClass() ? $r->getParentClass()->getName() : '-') . ' implements ' . implode(',', $interfaces);
        foreach ($r->getMethods() as $m) {
            if ($m->getDeclaringClass()->getName() !== $c || $m->getName() === '__construct') {
                continue;
            }
            $lines[] = "$c::" . ($m->isStatic() ? 'static ' : '') . "{$m->getName()}({$params($m)}): {$type($m->getReturnType())}";
        }
        foreach ($r->getProperties() as $p) {
            if ($p->getDeclaringClass()->getName() === $c) {
                $lines[] = "$c::\${$p->getName()} " . ($p->isPublic() ? 'public' : 'non-public');
            }
        }
    }
    foreach (get_defined_constants() as $name => $value) {
        if (str_starts_with($name, 'moodle_events\\')) {
            $lines[] = "const $name: " . get_debug_type($value);
        }
    }
    sort($lines);
    return implode("\n", $lines) . "\n";
}

if (realpath($_SERVER['SCRIPT_FILENAME'] ?? '') === __FILE__) {
    require $argv[1];
    echo moodle_events_api_dump();
}
