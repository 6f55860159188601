<?php
// Bounded, seeded fuzzing of the moodle_events extension at the PHP level.
//
//   php -d extension=target/release/libmoodle_events.so tests/fuzz/fuzz.php [iterations] [seed]
//
// Every iteration takes a valid input for a catalogue event (tests/php/fixtures.php), mutates
// it with hostile values (deep nesting, huge strings, invalid UTF-8 in values and keys, NaN/INF,
// integer edges, non-canonical numeric strings, objects, closures, resources, enums,
// generators, PHP references, recursive arrays, secret-named keys holding a marker...) and
// calls event::create(), a create_from_*() factory or add_record_snapshot(). The call must end
// with an event (which must then survive get_data(), json_encode() and trigger() into a sink)
// or with a moodle_events\validation_exception that changed nothing; see check_*() below for
// every invariant. Inputs are generated from the seed alone (never from results), so
//   FUZZ_ONLY=<iteration> php ... fuzz.php <iterations> <seed>
// replays a single iteration, and FUZZ_TRACE=1 prints each input before its call (to find
// the input of a crash; FUZZ_FROM=<iteration> skips the calls before it, to bisect a crash that
// needs earlier calls). FUZZ_KEEP_GOING=1 collects every distinct violation instead of
// stopping at the first one; FUZZ_SLOW=<seconds> names the iterations slower than that.
// Exit status: 0 when every invariant held, 1 on a violation, 2 on a usage error.

declare(strict_types=1);

use moodle_events\catalogue;
use moodle_events\event;
use moodle_events\tests\fixtures;
use moodle_events\validation_exception;

if (!extension_loaded('moodle_events')) {
    fwrite(STDERR, "fuzz.php: the moodle_events extension is not loaded (php -d extension=.../libmoodle_events.so)\n");
    exit(2);
}
require_once __DIR__ . '/../php/fixtures.php';

$ITERATIONS = (int)($argv[1] ?? 3000);
$SEED = (int)($argv[2] ?? 1);
if ($ITERATIONS < 1 || !preg_match('/^-?\d+$/', (string)($argv[2] ?? '1'))) {
    fwrite(STDERR, "usage: php -d extension=... fuzz.php [iterations>=1] [integer seed]\n");
    exit(2);
}
$ONLY = getenv('FUZZ_ONLY') === false ? null : (int)getenv('FUZZ_ONLY');
$FROM = (int)(getenv('FUZZ_FROM') ?: 0);             // run only iterations FROM..ITERATIONS-1 (bisecting)
$TRACE = (bool)getenv('FUZZ_TRACE');
$KEEP_GOING = (bool)getenv('FUZZ_KEEP_GOING');
$SLOW = getenv('FUZZ_SLOW') === false ? null : (float)getenv('FUZZ_SLOW');   // report iterations slower than this (s)
// Exploration only: violations whose message matches this PCRE are counted, not fatal.
$IGNORE = getenv('FUZZ_IGNORE') ?: null;

const SECRET = 'S3CR3T-MARKER-4f1d9c2e';      // only ever stored under secret-named keys/columns
const VALMARK = 'VALMARK-e81b';                // in string values of `other`: never in a message
const HUGEMARK = 'HUGEMARK-77aa';              // in huge strings: never in a message
const MAX_MESSAGE = 2000;
const SECRET_KEYS = ['wstoken', 'password', 'PassWord', 'client_secret', 'API_KEY', 'apikey', 'api_key',
    'sesskey', 'privatekey', 'privkey', 'accesskey', 'Authorization', 'cookie', 'key', 'ssh_key', 'db_password',
    'credentials', 'passphrase', 'passwd', 'refresh_token', 'AWS_SECRET_ACCESS_KEY'];

// ---------------------------------------------------------------------------------------------
// Hostile PHP values.

enum fuzz_pure { case Alpha; case Beta; }
enum fuzz_backed: string { case Quiz = 'quiz'; case Twelve = '12'; case Secret = SECRET; }
enum fuzz_backed_int: int { case One = 1; case Big = PHP_INT_MAX; }

final class fuzz_stringable implements Stringable {
    public function __construct(public string $s) {}
    public function __toString(): string { return $this->s; }
}

/** A record class with hidden members: what is not public must never reach an event. */
#[AllowDynamicProperties]
final class fuzz_row {
    private $hidden = SECRET;
    protected $prot = SECRET;
    public function hidden(): string { return $this->hidden . $this->prot; }
}

/** Every property read answers (no exception): a context or record with magic. */
final class fuzz_magic {
    public function __construct(private mixed $answer) {}
    public function __get($name) { return $this->answer; }
    public function __isset($name) { return true; }
}

/** A context object whose course context is whatever the fuzzer chose. */
#[AllowDynamicProperties]
final class fuzz_context {
    public $course = null;
    public function get_course_context($strict = true) { return $this->course; }
}

function rnd(int $n): int { return mt_rand(0, $n - 1); }
function pick(array $a): mixed { return $a[array_keys($a)[rnd(count($a))]]; }
function chance(float $p): bool { return mt_rand() / mt_getrandmax() < $p; }

/** Cached big values (made once; copy-on-write keeps them cheap). */
final class big {
    public static ?string $str = null;
    public static ?string $bad = null;
    public static ?array $deep = null;
    public static ?array $wide = null;
    public static ?string $key = null;
    public static ?string $name = null;
    public static ?string $badname = null;

    public static function init(): void {
        self::$str = HUGEMARK . str_repeat('A', 4 * 1024 * 1024);                // 4 MB
        self::$bad = HUGEMARK . str_repeat("\xff\xfe\xc3", 1024 * 1024);          // 3 MB invalid UTF-8
        $d = 1;
        for ($i = 0; $i < 10000; $i++) {
            $d = [$d];
        }
        self::$deep = $d;                                                            // 10,000 levels
        self::$wide = range(1, 100000);
        // Event names are echoed cut at 255 characters: no HUGEMARK in them.
        self::$name = '\\archivingmod_' . str_repeat('q', 4 * 1024 * 1024) . '\\event\\task_created';
        self::$badname = '\\archivingmod_quiz\\event\\' . str_repeat("\xe9", 3 * 1024 * 1024);
        self::$key = 'HUGEKEY-' . str_repeat('k', 1024 * 1024);                   // 1 MB key (a key may be echoed, cut)
    }
}

function nested(int $levels, mixed $leaf = 1, bool $assoc = false): array {
    $d = $leaf;
    for ($i = 0; $i < $levels; $i++) {
        $d = $assoc ? ['n' => $d] : [$d];
    }
    return $d;
}

/** Strings that look numeric, or almost. */
function numeric_string(): string {
    return pick(['012', ' 1', '1 ', '1e3', '0x1A', '-0', '+1', '1.0', '99999999999999999999', '-99999999999999999999',
        '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '', ' ', '0',
        '12', '1', '-1', '34', '5', '501', '77', '220', '240', '250', '100', '1_000', "12\0", "\u{FF11}\u{FF12}", '١٢',
        '0b11', '0o17', '1e', '.5', '5.', 'NaN', 'INF', '-INF', 'true', 'null', '1e400', "\t12", "12\n", '00',
        '0.0', '1,5', '+0', '--1', '0012', '12abc', str_repeat('9', 400)]);
}

function bad_utf8(): string {
    return pick(["\xff", "\xc3\x28", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "a\x80b", "\xe2\x82",
        "caf\xe9", "\xef\xbf\xbe", "ok\xf0\x9f\x98", "\xfe\xff\x00\x00"]);
}

function odd_string(): string {
    return pick(["a\0b", "\0", "\u{202E}evil", "\u{1F4A9}", "\r\n", "<script>alert(1)</script>", '%s%n%x', '{userid}',
        '{other.jobid}', '{objectid}', "'; DROP TABLE mdl_user; --", '../../../../etc/passwd', 'quiz', 'Quiz', 'assign',
        'localdir', 's3', 'apistub', '\\local_archiving\\event\\archive_job_completed', '\\core\\event\\user_loggedin',
        '\\archivingmod_<name>\\event\\task_created', 'status', 'progress', 'wstoken', str_repeat('x', 1024),
        str_repeat('x', 1025), str_repeat('é', 1024), str_repeat('é', 1025), str_repeat('y', 255), str_repeat('y', 256),
        str_repeat('ab', 32), strtoupper(str_repeat('ab', 32)), 'manual', "tab\there", VALMARK . ' plain',
        VALMARK . "\xff bad", 'ümlaut', "e\u{0301}", str_repeat("\u{10FFFF}", 300)]);
}

function odd_float(): float {
    return pick([NAN, INF, -INF, -0.0, 0.0, 1.0, 1.5, 12.0, PHP_FLOAT_MAX, PHP_FLOAT_MAX * 2, -PHP_FLOAT_MAX * 10,
        PHP_FLOAT_EPSILON, PHP_FLOAT_MIN, 1e308 * 10, (float)PHP_INT_MAX, (float)PHP_INT_MIN, 9.2233720368547758E+18,
        -9.3e18, 1e-320, 0.1 + 0.2, 100.0, 220.0]);
}

function odd_int(): int {
    return pick([0, 1, -1, 12, 34, 100, 101, 220, 240, 250, 255, 256, PHP_INT_MAX, PHP_INT_MIN, PHP_INT_MAX - 1,
        PHP_INT_MIN + 1, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53 + 1]);
}

function hostile_key(): int|string {
    return match (rnd(9)) {
        0 => pick(SECRET_KEYS),
        1 => bad_utf8(),
        2 => 'k' . bad_utf8(),
        3 => pick(['', ' ', '0', '012', '-0', "a\0b", '__proto__', 'self', 'other', 'jobid', 'cause', 'eventname',
            'crud', 'timecreated', 'id', 'status', 'progress', 'path', 'filehandleid', 'sha256sum', 'cmid', 'modname',
            "\u{1F4A9}", 'ÜBER', 'api-key', 'x_token_y', 'keys', 'monkey', 'donkey_key']),
        4 => odd_int(),
        5 => chance(0.2) ? big::$key : str_repeat('K', pick([255, 256, 4096])),
        6 => str_replace(VALMARK, 'VALKEY', odd_string()),   // keys may be echoed; values must not
        7 => numeric_string(),
        default => 'x' . rnd(1000),
    };
}

/** Generators need a fresh instance each time. */
function gen(): Generator {
    yield 1;
    yield 'a' => 2;
}

/** A valid event, for positions that take an object (and to be refused as a value). */
function some_event(): event {
    static $e = null;
    return $e ??= event::create_from_job('\local_archiving\event\archive_job_completed', fixtures::job(['status' => '100']));
}

function hostile_object(): object {
    return match (rnd(16)) {
        0 => new stdClass(),
        1 => (object)['id' => 34, 'contextlevel' => 50, 'instanceid' => 4],
        2 => new ArrayObject(['id' => 12, 'a' => [1, 2]]),
        3 => fn() => 1,
        4 => function () { return SECRET; },
        5 => gen(),
        6 => new fuzz_stringable(pick(['12', 'quiz', SECRET, "\xff", '', VALMARK])),
        7 => pick([fuzz_pure::Alpha, fuzz_pure::Beta]),
        8 => pick([fuzz_backed::Quiz, fuzz_backed::Twelve, fuzz_backed::Secret]),
        9 => pick([fuzz_backed_int::One, fuzz_backed_int::Big]),
        10 => some_event(),
        11 => new DateTimeImmutable('@1700000000'),
        12 => new SplFixedArray(3),
        13 => new fuzz_magic(pick([12, '12', NAN, [1], null, 'magic'])),
        14 => new fuzz_row(),
        default => new RuntimeException('object value'),
    };
}

function hostile_resource() {
    $r = fopen('php://memory', 'w+');
    if (chance(0.3)) {
        fclose($r);                      // "resource (closed)"
    }
    return $r;
}

/** Registry of PHP references handed to the extension, to be changed after a create(). */
final class refs {
    public static array $slots = [];
}

/** A hostile value; $light avoids the multi-megabyte ones. */
function hostile(bool $light = false): mixed {
    $k = rnd($light ? 17 : 22);
    switch ($k) {
        case 0: return null;
        case 1: return pick([true, false]);
        case 2: case 3: return odd_int();
        case 4: case 5: return odd_float();
        case 6: case 7: return numeric_string();
        case 8: return bad_utf8();
        case 9: return odd_string();
        case 10: return hostile_object();
        case 11: return hostile_resource();
        case 12: // a small array of hostile things, with hostile keys
            $a = [];
            for ($i = rnd(4); $i >= 0; $i--) {
                $a[hostile_key()] = chance(0.5) ? hostile(true) : rnd(100);
            }
            return $a;
        case 13: return pick([[], [1, 2, 3], ['a' => 1], [0 => 'a', 2 => 'b'], [1 => 'x'], ['path' => '/tmp/a'],
            ['filehandleid' => 501, 'sha256sum' => str_repeat('ab', 32)], ['cmid' => 9, 'modname' => 'quiz', 'instanceid' => 3],
            ['status'], ['progress', 'status'], ['colour'], [['nested']], [null], [NAN], ['x' => INF]]);
        case 14: return nested(pick([31, 32, 33, 40, 64]), pick([1, 'leaf', null, [], NAN]), chance(0.5));
        case 15: // a recursive array
            $a = ['x' => 1];
            $a['self'] = &$a;
            return $a;
        case 16: // an array holding a reference to something that changes later
            $v = pick([1, 'ref', [1, 2]]);
            refs::$slots[] = &$v;
            return ['r' => &$v, 'n' => 2];
        case 17: return big::$str;
        case 18: return big::$bad;
        case 19: return big::$deep;
        case 20: return big::$wide;
        default: return [big::$key => 1];
    }
}

/** Short printable description of a value (for reports). */
function describe(mixed $v, int $depth = 0): string {
    if (is_string($v)) {
        $s = strlen($v) > 40 ? substr($v, 0, 40) . '…' : $v;
        return 'string(' . strlen($v) . ') "' . addcslashes(mb_check_encoding($s, 'UTF-8') ? $s : bin2hex($s), "\0..\37\"\177..\377") . '"';
    }
    if (is_float($v)) {
        return 'float(' . var_export($v, true) . ')';
    }
    if (is_array($v)) {
        if ($depth > 2) {
            return 'array(' . count($v) . ')';
        }
        $parts = [];
        $n = 0;
        foreach ($v as $k => $x) {
            if (++$n > 4) {
                $parts[] = '…';
                break;
            }
            $parts[] = (is_int($k) ? $k : describe($k, 3)) . ' => ' . describe($x, $depth + 1);
        }
        return 'array(' . count($v) . ') [' . implode(', ', $parts) . ']';
    }
    if (is_object($v)) {
        return 'object(' . get_class($v) . ')';
    }
    if (is_resource($v) || gettype($v) === 'resource (closed)') {
        return gettype($v);
    }
    return var_export($v, true);
}

// ---------------------------------------------------------------------------------------------
// Valid inputs, from the fixtures.

final class base {
    /** @var array<int, array{class: string, name: string, factory: string}> */
    public static array $events = [];
    public static array $defs = [];

    public static function init(): void {
        $all = fixtures::all_events([
            'archivingmod' => ['quiz', 'assign', 'forum_x', 'a1'],
            'archivingstore' => ['localdir', 'moodle', 's3'],
            'archivingevent' => ['apistub', 'webhook_2'],
        ]);
        foreach ($all as [$class, $name, $factory]) {
            self::$events[] = ['class' => $class, 'name' => $name, 'factory' => $factory];
            self::$defs[$class] = catalogue::definition($class);
        }
    }

    public static function plugin(string $class): string {
        $component = explode('\\', ltrim($class, '\\'))[0];
        return substr($component, strpos($component, '_') + 1);
    }

    /** The natural record of a factory event. */
    public static function record(array $ev): object {
        return match ($ev['factory']) {
            'create_from_job' => fixtures::job_for($ev['name']),
            'create_from_task' => fixtures::task_for($ev['name'], self::plugin($ev['class'])),
            'create_from_file' => fixtures::file(self::plugin($ev['class'])),
            default => some_event(),
        };
    }

    /** create() data equivalent to the factory's event. */
    public static function create_data(array $ev): array {
        $made = self::factory_event($ev);
        $d = $made->get_data();
        $data = ['contextid' => $d['contextid']];
        foreach (['objectid', 'userid', 'relateduserid', 'courseid', 'anonymous', 'other'] as $k) {
            if ($d[$k] !== null && ($k !== 'userid' || chance(0.5)) && ($k !== 'courseid' || chance(0.5))
                    && ($k !== 'anonymous' || chance(0.5))) {
                $data[$k] = $d[$k];
            }
        }
        return $data;
    }

    public static function factory_event(array $ev): event {
        $f = $ev['factory'];
        return event::$f($ev['class'], self::record($ev), fixtures::caller_other($ev['name']));
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations. Each returns a description; int-typed targets are remembered for the coercion check.

final class trail {
    public static array $desc = [];
    /** [path in get_data() as a list of keys, the value given] for int-typed targets */
    public static array $ints = [];
    /** whether a VALMARK/HUGEMARK string value was put into `other` */
    public static bool $marked_other = false;

    public static function reset(): void {
        self::$desc = [];
        self::$ints = [];
        self::$marked_other = false;
    }
}

function is_ref(array $a, int|string $k): bool {
    return ReflectionReference::fromArrayElement($a, $k) !== null;
}

function contains_marker(mixed $v, int $depth = 0): bool {
    if (is_string($v)) {
        return str_contains($v, VALMARK) || str_contains($v, HUGEMARK);
    }
    if (is_array($v) && $depth < 3) {
        $n = 0;
        foreach ($v as $k => $x) {
            if (++$n > 20) {
                break;
            }
            if ((!is_ref($v, $k) && contains_marker($x, $depth + 1))) {
                return true;
            }
        }
    }
    return false;
}

/**
 * Mutates one position of $arr (descending into nested arrays) with a hostile value, a hostile
 * key, a secret pair or a removal. $path is the position in the event's data ([] when the array
 * is not mirrored there, e.g. a record); $in_other whether we are inside `other`.
 */
function mutate_array(array &$arr, ?array $path, bool $in_other, int $depth = 0): void {
    $keys = array_keys($arr);
    $action = rnd(100);
    if ($keys && $action < 62) {
        $k = $keys[rnd(count($keys))];
        $p = $path === null ? null : array_merge($path, [$k]);
        $inside = $in_other || ($p !== null && $p[0] === 'other');
        if (is_array($arr[$k]) && !is_ref($arr, $k) && $depth < 5 && chance(0.45) && count($arr[$k]) < 1000) {
            mutate_array($arr[$k], $p, $inside, $depth + 1);
            return;
        }
        put($arr, $k, $p, $inside);
        return;
    }
    if ($action < 78) {
        $k = hostile_key();
        put($arr, $k, $path === null ? null : array_merge($path, [$k]), $in_other || $path === [] && $k === 'other');
        return;
    }
    if ($action < 92) {
        $k = pick(SECRET_KEYS);
        $arr[$k] = chance(0.7) ? SECRET : [pick(['value', 'v', 0]) => SECRET];
        trail::$desc[] = 'secret ' . describe($k) . ' at depth ' . $depth;
        $path === null || trail::$ints[] = [array_merge($path, [$k]), null, 'gone'];
        return;
    }
    if ($keys) {
        $k = $keys[rnd(count($keys))];
        unset($arr[$k]);
        trail::$desc[] = 'unset ' . describe($k) . ' at depth ' . $depth;
        $path === null || trail::$ints[] = [array_merge($path, [$k]), null, 'gone'];
    }
}

function put(array &$arr, int|string $k, ?array $path, bool $in_other): void {
    $v = hostile();
    if ($in_other && contains_marker($v)) {
        trail::$marked_other = true;
    }
    if ($path) {
        trail::$ints[] = [$path, $v, 'set'];
    }
    if (chance(0.15)) {                 // by reference, changed after create()
        $holder = $v;
        refs::$slots[] = &$holder;
        $arr[$k] = &$holder;
        trail::$desc[] = 'set &' . describe($k) . ' = ' . describe($v);
    } else {
        $arr[$k] = $v;
        trail::$desc[] = 'set ' . describe($k) . ' = ' . describe($v);
    }
}

/** A record's columns changed: column values, new columns, secret columns, removals. */
function mutate_record(object $record, int $n): object {
    $cols = (array)$record;
    for ($i = 0; $i < $n; $i++) {
        $r = rnd(100);
        if ($r < 55 && $cols) {
            $k = array_keys($cols)[rnd(count($cols))];
            put($cols, $k, null, false);
            trail::$desc[count(trail::$desc) - 1] = 'record.' . trail::$desc[count(trail::$desc) - 1];
        } elseif ($r < 70) {
            put($cols, hostile_key(), null, false);
            trail::$desc[count(trail::$desc) - 1] = 'record.' . trail::$desc[count(trail::$desc) - 1];
        } elseif ($r < 85) {
            $k = pick(SECRET_KEYS);
            $cols[$k] = SECRET;
            trail::$desc[] = "record secret column $k";
        } elseif ($cols) {
            $k = array_keys($cols)[rnd(count($cols))];
            unset($cols[$k]);
            trail::$desc[] = 'record unset ' . describe($k);
        }
    }
    if (chance(0.15)) {
        $row = new fuzz_row();
        foreach ($cols as $k => $v) {
            if ((string)$k !== '' && !str_starts_with((string)$k, "\0")) {
                $row->{(string)$k} = $v;
            }
        }
        trail::$desc[] = 'record as fuzz_row';
        return $row;
    }
    if (chance(0.05)) {
        trail::$desc[] = 'record with magic __get';
        return new fuzz_magic(hostile(true));
    }
    return (object)$cols;
}

function hostile_eventname(string $valid): string {
    $component = explode('\\', ltrim($valid, '\\'))[0];
    $name = substr($valid, strrpos($valid, '\\') + 1);
    return match (rnd(14)) {
        0 => ltrim($valid, '\\'),
        1 => strtoupper($valid),
        2 => $valid . "\0",
        3 => str_replace($component, preg_replace('/_.*/', '_', $component) . str_repeat('a', 300), $valid),
        4 => str_replace($component, preg_replace('/_.*/', '_', $component) . bad_utf8(), $valid),
        5 => str_replace($component, preg_replace('/_.*/', '_', $component) . '<name>', $valid),
        6 => "\\$component\\event\\" . $name . bad_utf8(),
        7 => big::$name,
        8 => big::$badname,
        9 => '',
        10 => '\\' . $component . '\\event\\' . strtoupper($name),
        11 => str_replace('\\event\\', '\\' . str_repeat('event\\', 100), $valid),
        12 => pick(['\\core\\event\\user_loggedin', '\\\\\\', '\\archivingmod_quiz\\event\\', 'archivingmod_',
            '\\archivingmod_quiz_\\event\\task_created', '\\archivingmod_9quiz\\event\\task_created',
            '\\archivingmod_quiz__x\\event\\task_created', '\\archivingstore_s3\\event\\task_created',
            '\\local_archiving\\event\\archive_job_completed\\x', "\\local_archiving\u{200B}\\event\\archive_job_completed"]),
        default => $valid . str_repeat('é', 200),
    };
}

/** A string for a name argument (event name, table, property). */
function hostile_name(): string {
    return match (rnd(10)) {
        0 => bad_utf8(),
        1 => pick(['local_archiving_job', 'eventname', 'other', '\\local_archiving\\event\\archive_job_deleted', 'objectid']) . bad_utf8(),
        2 => odd_string(),
        3 => numeric_string(),
        4 => pick(FIELDS),
        5 => pick(array_column(base::$events, 'class')),
        6 => pick([big::$name, big::$badname, str_repeat('x', 300)]),
        7 => pick(['*', '\\archivingmod_<name>\\event\\task_created', 'archivingmod_quiz\\event\\task_created',
            'local_archiving_job', 'local_archiving_activity_task', 'local_archiving_file', 'user', 'data', 'triggered']),
        8 => pick(SECRET_KEYS),
        default => hostile_key() . '',
    };
}

// ---------------------------------------------------------------------------------------------
// Invariants.

final class stats {
    public static int $events = 0;
    public static int $validation = 0;
    public static int $snapshots = 0;
    public static int $triggered = 0;
    public static array $violations = [];
    public static int $ignored = 0;
}

final class warn {
    public static array $list = [];
}

set_error_handler(function (int $no, string $str, string $file, int $line): bool {
    warn::$list[] = "PHP error $no: $str ($file:$line)";
    return true;
});

final class violation extends Exception {}

function fail(string $what): void {
    throw new violation($what);
}

function is_secret_name(string $name): bool {
    $l = strtolower($name);
    foreach (['token', 'password', 'passwd', 'passphrase', 'secret', 'apikey', 'api_key', 'privatekey', 'privkey',
            'sesskey', 'accesskey', 'credential', 'authorization', 'cookie'] as $w) {
        if (str_contains($l, $w)) {
            return true;
        }
    }
    return $l === 'key' || str_ends_with($l, '_key');
}

/** Only null, bool, int, finite float, valid UTF-8 strings and arrays of these, no references. */
function check_compatible(mixed $v, string $where, int $depth, int $maxdepth, bool $binary = false): void {
    if ($v === null || is_bool($v) || is_int($v)) {
        return;
    }
    if (is_float($v)) {
        is_finite($v) || fail("$where: non-finite float kept");
        return;
    }
    if (is_string($v)) {
        $binary || mb_check_encoding($v, 'UTF-8') || fail("$where: invalid UTF-8 string kept");
        return;
    }
    if (is_array($v)) {
        $depth + 1 <= $maxdepth || fail("$where: nests deeper than $maxdepth levels");
        foreach ($v as $k => $x) {
            is_string($k) && !$binary && !mb_check_encoding($k, 'UTF-8') && fail("$where: invalid UTF-8 key kept");
            is_ref($v, $k) && fail("$where." . substr((string)$k, 0, 40) . ': a PHP reference kept in the event');
            check_compatible($x, "$where." . substr((string)$k, 0, 40), $depth + 1, $maxdepth, $binary);
        }
        return;
    }
    fail("$where: " . get_debug_type($v) . ' kept in the event');
}

function json_or_fail(mixed $v, string $what): string {
    $json = json_encode($v);
    ($json === false || json_last_error() !== 0) && fail("json_encode($what) failed: " . json_last_error_msg());
    return $json;
}

function check_exception(validation_exception $e, string $eventname): void {
    $msg = $e->getMessage();
    strlen($msg) < MAX_MESSAGE || fail('exception message of ' . strlen($msg) . ' bytes: ' . substr($msg, 0, 200));
    str_contains($msg, SECRET) && fail("secret echoed in the exception message: $msg");
    str_contains($msg, HUGEMARK) && fail('huge string content echoed in the exception message: ' . substr($msg, 0, 200));
    trail::$marked_other && str_contains($msg, VALMARK) && fail("a string value of other echoed: $msg");
    mb_check_encoding($msg, 'UTF-8') || fail('exception message is not valid UTF-8: ' . bin2hex(substr($msg, 0, 120)));
    is_string($e->field) || fail('validation_exception::$field is ' . get_debug_type($e->field));
    is_string($e->eventname) || fail('validation_exception::$eventname is ' . get_debug_type($e->eventname));
    str_contains($e->field, SECRET) && fail('secret in validation_exception::$field');
    strlen($e->field) < MAX_MESSAGE || fail('validation_exception::$field of ' . strlen($e->field) . ' bytes');
    str_contains((string)$e->eventname, SECRET) && fail('secret in validation_exception::$eventname');
    $e instanceof InvalidArgumentException || fail('validation_exception is not an InvalidArgumentException');
    if (strlen($eventname) <= 255 && mb_check_encoding($eventname, 'UTF-8') && !str_contains($eventname, "\0")) {
        // The name as given, or with its leading backslash added.
        in_array($e->eventname, [$eventname, '\\' . ltrim($eventname, '\\')], true)
            || fail("validation_exception::\$eventname is \"{$e->eventname}\" for \"$eventname\"");
        str_starts_with($msg, "{$e->eventname}: {$e->field}: ") || fail("message not \"<eventname>: <field>: <rule>\": $msg");
    }
}

/** Fingerprint of a caller's input, to prove a call did not modify it. */
function fp(mixed $v, int $depth = 0, ?int &$budget = null): string {
    $budget ??= 3000;
    if (--$budget < 0 || $depth > 14) {
        return '…';
    }
    if (is_array($v)) {
        $s = 'a' . count($v) . '{';
        $n = 0;
        foreach ($v as $k => $x) {
            if (++$n > 40) {
                $s .= '+';
                break;
            }
            $s .= (is_int($k) ? "i$k" : 's' . md5($k)) . (is_ref($v, $k) ? '&' : '=') . fp($x, $depth + 1, $budget) . ';';
        }
        return "$s}";
    }
    if (is_object($v)) {
        $s = 'o' . get_class($v) . '#' . spl_object_id($v);
        if ($v instanceof stdClass || $v instanceof fuzz_row) {
            $s .= fp((array)$v, $depth + 1, $budget);
        }
        return $s;
    }
    if (is_string($v)) {
        return strlen($v) <= 64 ? 's' . bin2hex($v) : 'S' . strlen($v) . md5($v);
    }
    if (is_float($v)) {
        return 'f' . bin2hex(pack('e', $v));
    }
    if (is_resource($v) || gettype($v) === 'resource (closed)') {
        return 'r' . (int)$v . gettype($v);
    }
    return gettype($v) . var_export($v, true);
}

const FIELDS = ['eventname', 'component', 'action', 'target', 'objecttable', 'objectid', 'crud', 'edulevel', 'contextid',
    'contextlevel', 'contextinstanceid', 'userid', 'courseid', 'relateduserid', 'anonymous', 'other', 'timecreated'];

function get_path(array $a, array $path): array {
    foreach ($path as $k) {
        if (!is_array($a) || !array_key_exists($k, $a)) {
            return [false, null];
        }
        $a = $a[$k];
    }
    return [true, $a];
}

/** Every int-typed position given a value: that value, or its canonical numeric string, or no event. */
function check_coercions(array $data, string $class): void {
    $def = base::$defs[$class] ?? null;
    // The last write to a position wins; a write to a position replaces what was below it.
    $final = [];
    foreach (trail::$ints as [$path, $given, $op]) {
        foreach ($final as $i => [$p]) {
            if (array_slice($p, 0, count($path)) === $path) {
                unset($final[$i]);
            }
        }
        $op === 'set' && $final[] = [$path, $given];
    }
    foreach ($final as [$path, $given]) {
        [$found, $kept] = get_path($data, $path);
        if (!$found || !is_int($kept)) {
            continue;
        }
        $inttyped = in_array($path[0], ['objectid', 'contextid', 'userid', 'relateduserid', 'courseid'], true);
        if ($path[0] === 'other' && $def !== null && count($path) >= 2) {
            $spec = $def['other'][$path[1]] ?? null;
            for ($i = 2; $spec !== null && $i < count($path); $i++) {
                $spec = $spec['fields'][$path[$i]] ?? null;
            }
            $inttyped = ($spec['type'] ?? null) === 'int';
        }
        if (!$inttyped) {
            continue;
        }
        // null is "not given" (Moodle's isset()): the default applies.
        if ($given === null || is_int($given) || (is_string($given) && (string)$kept === $given)) {
            continue;
        }
        fail(implode('.', $path) . ': ' . describe($given) . " accepted as int $kept (not a canonical numeric string)");
    }
}

function check_event(event $ev, string $class, ?string $expectclass): array {
    $data = $ev->get_data();
    is_array($data) || fail('get_data() is not an array');
    array_keys($data) === FIELDS || fail('get_data() keys: ' . implode(',', array_keys($data)));
    $expectclass === null || $data['eventname'] === $expectclass || fail("eventname {$data['eventname']} for $expectclass");
    foreach (['objectid', 'contextlevel', 'contextinstanceid', 'relateduserid'] as $k) {
        $data[$k] === null || is_int($data[$k]) || fail("$k is " . get_debug_type($data[$k]));
    }
    foreach (['contextid', 'userid', 'courseid', 'timecreated', 'edulevel'] as $k) {
        is_int($data[$k]) || fail("$k is " . get_debug_type($data[$k]));
    }
    $data['contextid'] >= 1 || fail("contextid {$data['contextid']} accepted");
    in_array($data['anonymous'], [0, 1], true) || fail('anonymous is ' . describe($data['anonymous']));
    $data['other'] === null || is_array($data['other']) || fail('other is ' . get_debug_type($data['other']));
    foreach (['eventname', 'component', 'action', 'target', 'crud'] as $k) {
        is_string($data[$k]) && mb_check_encoding($data[$k], 'UTF-8') || fail("$k is not a UTF-8 string");
    }
    check_compatible($data['other'], 'other', 0, 32);
    foreach (FIELDS as $k) {
        if ($k !== 'other') {
            check_compatible($data[$k], $k, 0, 0);
        }
    }
    $json = json_or_fail($ev, 'event');
    $json === json_or_fail($data, 'get_data()') || fail('json_encode(event) differs from json_encode(get_data())');
    str_contains($json, SECRET) && fail('secret marker in the event data: ' . substr($json, 0, 300));
    if ($data['other'] !== null) {
        foreach (new RecursiveIteratorIterator(new RecursiveArrayIterator($data['other']), RecursiveIteratorIterator::SELF_FIRST) as $k => $x) {
            is_string($k) && is_secret_name($k) && fail("secret-named key other...$k kept");
        }
    }
    iterator_to_array($ev) === $data || fail('iterating the event differs from get_data()');
    foreach (FIELDS as $k) {
        $ev->$k === $data[$k] || fail("\$event->$k differs from get_data()");
        isset($ev->$k) === ($data[$k] !== null) || fail("isset(\$event->$k) wrong");
    }
    $name = $ev->get_name();
    $desc = $ev->get_description();
    is_string($name) && is_string($desc) || fail('get_name()/get_description() not strings');
    mb_check_encoding($desc, 'UTF-8') || fail('get_description() is not valid UTF-8');
    str_contains($desc, SECRET) && fail('secret in get_description()');
    str_contains(print_r($ev, true), SECRET) && fail('secret in print_r($event)');
    try {
        $ev->objectid = 5;
        fail('writing a property did not throw');
    } catch (validation_exception $e) {
        check_exception($e, $data['eventname']);
    }
    // Snapshot of the objecttable: database values only, secret columns null, no hidden members.
    if ($data['objecttable'] !== null && $data['objectid'] !== null) {
        $snap = $ev->get_record_snapshot($data['objecttable'], $data['objectid']);
        if ($snap !== null) {
            stats::$snapshots++;
            $snap instanceof stdClass || fail('get_record_snapshot() returned ' . get_debug_type($snap));
            $snap2 = $ev->get_record_snapshot($data['objecttable'], $data['objectid']);
            $snap2 !== $snap || fail('get_record_snapshot() returned the same instance twice');
            foreach ((array)$snap as $col => $v) {
                is_string($col) && str_starts_with($col, "\0") && fail('non-public member in a snapshot');
                // A database value may be a binary string (README: objects, resources, non-finite
                // floats and nesting deeper than 32 are what is refused).
                check_compatible($v, 'snapshot.' . substr((string)$col, 0, 40), 0, 32, true);
                is_secret_name((string)$col) && $v !== null && fail("secret-named snapshot column $col is not null");
                $v === SECRET && fail("secret marker in snapshot column $col");
            }
            $json = json_encode($snap, JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR);
            str_contains((string)$json, SECRET) && fail('secret marker in the snapshot: ' . substr((string)$json, 0, 300));
            str_contains(print_r($snap, true), SECRET) && fail('secret marker in print_r(snapshot)');
        }
    }
    return $data;
}

/** A created event: detached from the caller's references, and triggered exactly once into the sink. */
function check_trigger(event $ev, array $data, moodle_events\sink $sink): void {
    // Change everything the caller passed by reference: the event must not change.
    $before = json_encode($data);
    foreach (refs::$slots as $i => &$slot) {
        $slot = ['changed' => SECRET, 'wstoken' => SECRET, 'o' => new stdClass()];
    }
    unset($slot);
    json_or_fail($ev->get_data(), 'get_data() after reference change') === $before
        || fail('the event changed when a reference passed to it changed');
    $n = $sink->count();
    $ev->trigger();
    stats::$triggered++;
    $ev->is_triggered() && $ev->is_dispatched() || fail('triggered event not triggered/dispatched');
    $sink->count() === $n + 1 || fail('the sink did not capture exactly one event');
    $events = $sink->get_events();
    end($events) === $ev || fail('the sink did not capture the same instance');
    json_or_fail($events, 'sink events');
    try {
        $ev->trigger();
        fail('a second trigger() did not throw');
    } catch (validation_exception $e) {
        check_exception($e, $data['eventname']);
    }
    $sink->count() === $n + 1 || fail('a second trigger reached the sink');
}

// ---------------------------------------------------------------------------------------------
// One iteration: generate (from the RNG only), then run and check.

function generate(int $iteration): array {
    trail::reset();
    refs::$slots = [];
    $ev = base::$events[rnd(count(base::$events))];
    $r = rnd(100);
    $mode = $r < 40 ? 'create' : ($r < 78 ? 'factory' : ($r < 92 ? 'snapshot' : 'api'));
    $nmut = chance(0.1) ? 0 : 1 + rnd(3);
    $eventname = chance(0.06) && in_array($mode, ['create', 'factory'], true) ? hostile_eventname($ev['class']) : $ev['class'];
    if ($eventname !== $ev['class']) {
        trail::$desc[] = 'eventname ' . describe($eventname);
    }
    $case = ['iteration' => $iteration, 'mode' => $mode, 'event' => $ev, 'eventname' => $eventname];
    if (in_array($mode, ['create', 'factory'], true) && chance(0.03)) {   // $USER only matters to create
        $case['user'] = chance(0.5) ? (object)['id' => hostile(true)] : hostile(true);
        trail::$desc[] = '$USER = ' . describe($case['user']);
    }
    switch ($mode) {
        case 'api':
            $case['op'] = pick(['definition', 'static_info', 'first_event', 'event_position', 'observe',
                'get_record_snapshot', 'add_record_snapshot', 'isset', 'get', 'set', 'unset']);
            $case['arg'] = hostile_name();
            $case['int'] = odd_int();
            trail::$desc[] = $case['op'] . '(' . describe($case['arg']) . ', ' . $case['int'] . ')';
            break;
        case 'create':
            $data = base::create_data($ev);
            if (chance(0.15)) {
                unset($data['contextid']);
                $ctx = chance(0.5) ? new fuzz_context() : new stdClass();
                $ctx->id = chance(0.6) ? 34 : hostile(true);
                $ctx->contextlevel = chance(0.6) ? pick([10, 30, 50, 70]) : hostile(true);
                $ctx->instanceid = chance(0.6) ? pick([1, 8, 9]) : hostile(true);
                if ($ctx instanceof fuzz_context) {
                    $ctx->course = chance(0.5) ? (object)['id' => 20, 'contextlevel' => 50, 'instanceid' => 4] : hostile(true);
                }
                $data['context'] = $ctx;
                trail::$desc[] = 'context object ' . describe([$ctx->id, $ctx->contextlevel, $ctx->instanceid]);
            }
            for ($i = 0; $i < $nmut; $i++) {
                if (isset($data['other']) && is_array($data['other']) && chance(0.6)) {
                    mutate_array($data['other'], ['other'], true);
                } else {
                    mutate_array($data, [], false);
                }
            }
            $case['data'] = $data;
            break;
        case 'factory':
        case 'snapshot':
            $other = fixtures::caller_other($ev['name']);
            $record = base::record($ev);
            if ($mode === 'snapshot') {
                $case['table'] = chance(0.85) ? (base::$defs[$ev['class']]['objecttable'] ?? 'local_archiving_job')
                    : pick(['user', '', 'local_archiving_file', 'local_archiving_job', big::$str, bad_utf8(), "local_archiving_job\0"]);
                if ($ev['factory'] === 'create_from_event' && chance(0.7)) {
                    $case['table'] = 'local_archiving_job';
                }
                $record = $ev['factory'] === 'create_from_event' ? fixtures::job() : $record;
                $case['record'] = $nmut ? mutate_record($record, $nmut) : $record;
                if (chance(0.05)) {
                    $case['record'] = hostile_object();
                    trail::$desc[] = 'snapshot record ' . describe($case['record']);
                }
                break;
            }
            $split = $nmut ? rnd($nmut + 1) : 0;      // mutations on the record, the rest on other
            if ($ev['factory'] === 'create_from_event') {
                $record = chance(0.8) ? ($split ? base::factory_event(base::$events[rnd(count(base::$events))]) : some_event())
                    : hostile_object();
                $record === some_event() || trail::$desc[] = 'forwarded ' . describe($record);
                $split = 0;
            } elseif ($split) {
                $record = mutate_record($record, $split);
            }
            for ($i = $split; $i < $nmut; $i++) {
                $o = ['other' => $other];
                mutate_array($o['other'], ['other'], true);
                $other = $o['other'];
            }
            $case['record'] = $record;
            $case['other'] = $other;
            break;
    }
    // An event object where a record, a context or $USER is read: its own __get() warns about
    // the unknown property read (as `$record->id` in PHP would), which is not the extension's doing.
    $case['event_read'] = ($mode === 'snapshot' || ($mode === 'factory' && $ev['factory'] !== 'create_from_event'))
            && ($case['record'] ?? null) instanceof event
        || ($case['user'] ?? null) instanceof event || ($case['data']['context'] ?? null) instanceof event
        || (($case['data']['context'] ?? null) instanceof fuzz_context && $case['data']['context']->course instanceof event);
    $case['desc'] = trail::$desc;
    $case['ints'] = trail::$ints;
    $case['marked_other'] = trail::$marked_other;
    return $case;
}

function run_case(array $case, moodle_events\sink $sink): void {
    trail::$desc = $case['desc'];
    trail::$ints = $case['ints'];
    trail::$marked_other = $case['marked_other'];
    $ev = $case['event'];
    $name = $case['eventname'];
    warn::$list = [];
    if (array_key_exists('user', $case)) {
        $GLOBALS['USER'] = $case['user'];
    }
    try {
        $count = $sink->count();
        $made = null;
        $snapshot_event = null;
        switch ($case['mode']) {
            case 'create':
                $in = fp($case['data']);
                $call = fn() => event::create($name, $case['data']);
                break;
            case 'factory':
                $in = fp([$case['record'], $case['other']]);
                $f = $ev['factory'];
                $call = fn() => event::$f($name, $case['record'], $case['other']);
                break;
            case 'api':
                run_api($case, $sink);
                return;
            default:
                // A fresh valid event of that kind; the snapshot call is what is fuzzed.
                $snapshot_event = event::create($ev['class'], base_create_data_cached($ev));
                $in = fp($case['record']);
                $before = json_encode($snapshot_event->get_data());
                $call = function () use ($snapshot_event, $case) {
                    $snapshot_event->add_record_snapshot($case['table'], $case['record']);
                    return $snapshot_event;
                };
        }
        try {
            $made = $call();
        } catch (validation_exception $e) {
            stats::$validation++;
            check_exception($e, $name);
            $sink->count() === $count || fail('a failed call reached the sink');
            if ($snapshot_event !== null) {
                json_encode($snapshot_event->get_data()) === $before || fail('a refused snapshot changed the event');
                $snap = $snapshot_event->get_record_snapshot((string)$snapshot_event->objecttable, (int)$snapshot_event->objectid);
                $snap === null || fail('a refused snapshot was kept');
            }
        } catch (violation $v) {
            throw $v;
        } catch (Throwable $t) {
            fail('unexpected ' . get_class($t) . ' (not a validation_exception): ' . substr($t->getMessage(), 0, 500)
                . ' at ' . $t->getFile() . ':' . $t->getLine());
        }
        $warnings = warn::$list;
        if ($case['event_read']) {
            $warnings = preg_grep('/Undefined property: moodle_events\\\\event::\\$/', $warnings, PREG_GREP_INVERT);
        }
        $warnings && fail('PHP warning/notice during the call: ' . implode(' | ', $warnings));
        warn::$list = [];
        // The caller's input is never modified.
        $after = match ($case['mode']) {
            'create' => fp($case['data']),
            'factory' => fp([$case['record'], $case['other']]),
            default => fp($case['record']),
        };
        $after === $in || fail("the caller's input was modified by the call");
        if ($made !== null) {
            $made instanceof event || fail('the call returned ' . get_debug_type($made));
            stats::$events++;
            $expect = (mb_check_encoding($name, 'UTF-8') && str_starts_with($name, '\\')) ? $name : null;
            $data = check_event($made, $ev['class'], $expect === $ev['class'] ? $expect : null);
            $case['mode'] === 'snapshot' || check_coercions($data, $ev['class']);
            check_trigger($made, $data, $sink);
            if ($case['mode'] !== 'snapshot' && $data['objecttable'] !== null) {
                try {
                    $made->add_record_snapshot($data['objecttable'], fixtures::job(['id' => (string)$data['objectid']]));
                    fail('a snapshot after trigger() did not throw');
                } catch (validation_exception $e) {
                    check_exception($e, $data['eventname']);
                }
            }
        }
        warn::$list && fail('PHP warning/notice while checking the event: ' . implode(' | ', warn::$list));
    } finally {
        unset($GLOBALS['USER']);
    }
}

/** The other entry points, with a hostile name: a result, a validation_exception, or PHP's own warning. */
function run_api(array $case, moodle_events\sink $sink): void {
    $class = $case['event']['class'];
    $ev = event::create($class, base_create_data_cached($case['event']));
    $arg = $case['arg'];
    $op = $case['op'];
    $property = in_array($op, ['isset', 'get', 'set', 'unset'], true);
    if ($property && ($arg === '' || $arg[0] === "\0")) {
        return;                              // PHP's own "Cannot access property" Error
    }
    $count = $sink->count();
    warn::$list = [];
    try {
        $r = match ($op) {
            'definition' => catalogue::definition($arg),
            'static_info' => catalogue::static_info($arg),
            'first_event' => $sink->first_event($arg),
            'event_position' => $sink->event_position($arg),
            'observe' => moodle_events\observe($arg, fn() => null, $case['int']),
            'get_record_snapshot' => $ev->get_record_snapshot($arg, $case['int']),
            'add_record_snapshot' => $ev->add_record_snapshot($arg, fixtures::job()),
            'isset' => isset($ev->$arg),
            'get' => $ev->$arg,
            'set' => $ev->$arg = 1,
            'unset' => (function () use ($ev, $arg) { unset($ev->$arg); })(),
        };
    } catch (validation_exception $e) {
        stats::$validation++;
        check_exception($e, in_array($op, ['definition', 'static_info', 'first_event', 'event_position', 'observe'], true) ? $arg : $class);
        $sink->count() === $count || fail('a failed call reached the sink');
        warn::$list && fail('PHP warning/notice: ' . implode(' | ', warn::$list));
        return;
    } catch (Throwable $t) {
        fail("$op(): unexpected " . get_class($t) . ' (not a validation_exception): ' . substr($t->getMessage(), 0, 300));
    }
    in_array($op, ['set', 'unset'], true) && fail("$op of property " . describe($arg) . ' did not throw');
    $data = $ev->get_data();
    $known = array_key_exists($arg, $data);
    match ($op) {
        'definition', 'static_info' => is_array($r) && json_or_fail($r, $op) !== '' || fail("$op() returned " . get_debug_type($r)),
        'first_event' => $r === null || $r instanceof event || fail('first_event() returned ' . get_debug_type($r)),
        'event_position' => $r === null || is_int($r) || fail('event_position() returned ' . get_debug_type($r)),
        'get_record_snapshot' => $r === null || $r instanceof stdClass || fail('get_record_snapshot() returned ' . get_debug_type($r)),
        'isset' => $r === ($known && $data[$arg] !== null) || fail('isset($event->' . describe($arg) . ') is ' . var_export($r, true)),
        'get' => $known ? ($r === $data[$arg] || fail('$event->' . describe($arg) . ' differs from get_data()'))
            : ($r === null || fail('$event->' . describe($arg) . ' is ' . get_debug_type($r))),
        default => null,
    };
    $warnings = warn::$list;
    if ($op === 'get' && !$known) {
        count($warnings) === 1 && str_contains($warnings[0], 'Undefined property')
            || fail('reading an unknown property: expected one "Undefined property" warning, got: ' . implode(' | ', $warnings));
        $warnings = [];
    }
    $warnings && fail('PHP warning/notice: ' . implode(' | ', $warnings));
}

/** create() data per event kind, made once (so the snapshot mode does not use the RNG). */
final class cache {
    public static array $data = [];
}
function base_create_data_cached(array $ev): array {
    if (!isset(cache::$data[$ev['class']])) {
        $d = base::factory_event($ev)->get_data();
        $data = ['contextid' => $d['contextid']];
        foreach (['objectid', 'relateduserid', 'other'] as $k) {
            if ($d[$k] !== null) {
                $data[$k] = $d[$k];
            }
        }
        cache::$data[$ev['class']] = $data;
    }
    return cache::$data[$ev['class']];
}

// ---------------------------------------------------------------------------------------------

function report(string $message, array $case): void {
    global $IGNORE, $KEEP_GOING, $SEED, $ITERATIONS, $argv;
    if ($IGNORE !== null && preg_match($IGNORE, $message)) {
        stats::$ignored++;
        return;
    }
    $i = $case['iteration'];
    $message = strlen($message) > 2000 ? substr($message, 0, 2000) . '…' : $message;
    $report = sprintf("FUZZ VIOLATION (seed %d, iteration %d, %s %s): %s\n  input: %s\n  replay: FUZZ_ONLY=%d php -d extension=... %s %d %d\n",
        $SEED, $i, $case['mode'], $case['event']['class'], $message,
        $case['desc'] ? implode('; ', $case['desc']) : '(the valid input)', $i, $argv[0], $ITERATIONS, $SEED);
    if (!$KEEP_GOING) {
        fwrite(STDERR, $report);
        exit(1);
    }
    $key = preg_replace('/\d+/', 'N', substr($message, 0, 80));
    stats::$violations[$key] ??= $report;
}

mt_srand($SEED);
big::init();
base::init();
moodle_events\reset();
$sink = moodle_events\redirect_events();
$started = microtime(true);

for ($i = 0; $i < $ITERATIONS; $i++) {
    $case = generate($i);
    if (($ONLY !== null && $ONLY !== $i) || $i < $FROM) {
        continue;
    }
    if ($TRACE) {
        fwrite(STDERR, "#$i {$case['mode']} {$case['event']['class']} " . implode('; ', $case['desc']) . "\n");
    }
    $t0 = microtime(true);
    try {
        run_case($case, $sink);
        moodle_events\is_redirecting() || fail('redirection stopped: the sink no longer captures');
    } catch (violation $v) {
        report($v->getMessage(), $case);
        moodle_events\is_redirecting() || $sink = moodle_events\redirect_events();
    }
    if ($SLOW !== null && microtime(true) - $t0 > $SLOW) {
        fprintf(STDERR, "slow: #%d %.2fs %s %s %s\n", $i, microtime(true) - $t0, $case['mode'], $case['event']['class'],
            implode('; ', $case['desc']));
    }
    refs::$slots = [];
    if ($i % 20 === 19) {
        $sink->clear();
    }
    if ($i % 500 === 499) {
        moodle_events\reset();
        moodle_events\is_redirecting() && report('still redirecting after reset()', $case);
        $sink = moodle_events\redirect_events();
    }
}
$sink->close();
moodle_events\reset();

printf("fuzz: %d iterations, %d events created (%d triggered, %d snapshots checked), %d validation_exceptions, seed %d, %.1fs, peak %d MB\n",
    $ITERATIONS, stats::$events, stats::$triggered, stats::$snapshots, stats::$validation, $SEED,
    microtime(true) - $started, intdiv(memory_get_peak_usage(true), 1024 * 1024));
stats::$ignored && fwrite(STDERR, stats::$ignored . " violations ignored (FUZZ_IGNORE)\n");
if (stats::$violations) {
    fwrite(STDERR, count(stats::$violations) . " distinct violations:\n" . implode('', stats::$violations));
    exit(1);
}
exit(0);
