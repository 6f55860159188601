<?php
// A small stand-in for the parts of Moodle the bridge touches, written from
// ../shared/reference/moodle-events-contract.md (not copied from Moodle): core\event\base,
// the event manager, PHPUnit's event redirection, contexts, get_string(), moodle_url and a
// log store. It is what the project's tests run the bridge against; the bridge is also
// checked by hand against real Moodle 4.5 core files (see php/README.md).

namespace {
    define('MOODLE_INTERNAL', true);
    define('PHPUNIT_TEST', true);
    define('CONTEXT_SYSTEM', 10);
    define('CONTEXT_USER', 30);
    define('CONTEXT_COURSE', 50);
    define('CONTEXT_MODULE', 70);
    define('IGNORE_MISSING', 0);
    define('MUST_EXIST', 2);

    // Globals through $GLOBALS: PHPUnit 10 and later include the bootstrap in a function.
    $GLOBALS['CFG'] = (object)['debugdeveloper' => true, 'wwwroot' => 'https://moodle.example'];
    $GLOBALS['USER'] = (object)['id' => 2];

    /** Directories the autoloader and get_string() search: Moodle roots holding php/'s layout. */
    $GLOBALS['STANDIN_ROOTS'] = [dirname(__DIR__, 2) . '/php'];

    class moodle_exception extends \Exception {
        public function __construct(public string $errorcode, public string $module = '', $link = '', $a = null,
                public ?string $debuginfo = null) {
            parent::__construct($module === 'debug' && $errorcode === 'codingerror'
                ? 'Coding error detected, it must be fixed by a programmer: ' . $a : "$module/$errorcode");
        }
    }

    class coding_exception extends moodle_exception {
        public function __construct($hint, $debuginfo = null) {
            parent::__construct('codingerror', 'debug', '', $hint, $debuginfo);
        }
    }

    /** Every debugging() call, for tests to assert on (Moodle's PHPUnit fails on unexpected ones). */
    function debugging(string $message = '', int $level = 0): bool {
        \standin::$debugging[] = $message;
        return true;
    }

    /** The directory of a plugin component in the roots, as core_component knows it. */
    function standin_component_dir(string $component): ?string {
        global $STANDIN_ROOTS;
        $dirs = [
            'local_' => 'local/', 'archivingmod_' => 'local/archiving/driver/mod/',
            'archivingstore_' => 'local/archiving/driver/store/', 'archivingevent_' => 'local/archiving/driver/event/',
        ];
        foreach ($dirs as $prefix => $dir) {
            if (str_starts_with($component, $prefix)) {
                foreach ($STANDIN_ROOTS as $root) {
                    $path = $root . '/' . $dir . substr($component, strlen($prefix));
                    if (is_dir($path)) {
                        return $path;
                    }
                }
            }
        }
        return null;
    }

    function get_string(string $identifier, string $component = 'moodle', $a = null): string {
        static $loaded = [];
        if (!isset($loaded[$component])) {
            $string = [];
            $dir = standin_component_dir($component);
            if ($dir !== null && is_file("$dir/lang/en/$component.php")) {
                include("$dir/lang/en/$component.php");
            }
            $loaded[$component] = $string;
        }
        if (!isset($loaded[$component][$identifier])) {
            debugging("Invalid get_string() identifier: '$identifier' or component '$component'.");
            return "[[$identifier]]";
        }
        return $loaded[$component][$identifier];
    }

    class moodle_url {
        public function __construct(private string $path, private array $params = []) {
            if ($path[0] !== '/') {
                throw new coding_exception('moodle_url: a path starts with /');
            }
        }

        public function out(): string {
            global $CFG;
            return $CFG->wwwroot . $this->path . ($this->params ? '?' . http_build_query($this->params) : '');
        }
    }

    /** Contexts by id: system 1, course 2 (course 2), module 34 (cm 9 in course 2), user 50 (user 5). */
    class context {
        private const KNOWN = [
            1 => [CONTEXT_SYSTEM, 0, null], 2 => [CONTEXT_COURSE, 2, 2], 34 => [CONTEXT_MODULE, 9, 2],
            50 => [CONTEXT_USER, 5, null],
        ];

        private function __construct(private int $id, private int $contextlevel, private int $instanceid,
                private ?int $course) {
        }

        public static function instance_by_id($id, $strictness = MUST_EXIST) {
            if (isset(self::KNOWN[(int)$id])) {
                return new self((int)$id, ...self::KNOWN[(int)$id]);
            }
            if ($strictness === MUST_EXIST) {
                throw new moodle_exception('invalidrecord', 'error');
            }
            return false;
        }

        public function __get($name) {
            return in_array($name, ['id', 'contextlevel', 'instanceid'], true) ? $this->$name : null;
        }

        public function get_course_context($strict = true) {
            if ($this->course === null) {
                if ($strict) {
                    throw new coding_exception('Context does not belong to any course.');
                }
                return false;
            }
            return self::instance_by_id($this->course);
        }
    }
    class_alias(context::class, 'core\context');

    final class standin {
        /** @var string[] debugging() messages */
        public static array $debugging = [];

        /** Forgets everything a test left behind (Moodle's reset_all_data()). */
        public static function reset(): void {
            self::$debugging = [];
            phpunit_util::stop_event_redirection();
            \core\event\manager::$observers = [];
            logstore::$rows = [];
        }
    }

    class phpunit_event_sink {
        private array $events = [];

        public function close(): void {
            phpunit_util::stop_event_redirection();
        }

        public function add_event(\core\event\base $event): void {
            $this->events[] = $event;
        }

        public function get_events(): array {
            return $this->events;
        }

        public function count(): int {
            return count($this->events);
        }

        public function clear(): void {
            $this->events = [];
        }
    }

    class phpunit_util {
        private static ?phpunit_event_sink $eventsink = null;

        public static function start_event_redirection(): phpunit_event_sink {
            return self::$eventsink = new phpunit_event_sink();
        }

        public static function stop_event_redirection(): void {
            self::$eventsink = null;
        }

        public static function is_redirecting_events(): bool {
            return self::$eventsink !== null;
        }

        public static function event_triggered(\core\event\base $event): void {
            self::$eventsink?->add_event($event);
        }
    }

    /** The standard log store's shape: get_data() with other JSON-encoded; restore() reads it back. */
    final class logstore {
        public static array $rows = [];

        public static function observe(\core\event\base $event): void {
            $row = $event->get_data();
            $row['other'] = json_encode($row['other']);
            self::$rows[] = $row;
        }

        public static function restore(array $row): \core\event\base|false {
            $row['other'] = json_decode($row['other'], true);
            return \core\event\base::restore($row, ['origin' => 'cli', 'ip' => null, 'realuserid' => null]);
        }
    }

    spl_autoload_register(function (string $class): void {
        $parts = explode('\\', $class);
        if (count($parts) === 3 && $parts[1] === 'event' && ($dir = standin_component_dir($parts[0])) !== null
                && is_file("$dir/classes/event/{$parts[2]}.php")) {
            require("$dir/classes/event/{$parts[2]}.php");
        }
    });
}

namespace core\event {
    abstract class base implements \IteratorAggregate {
        public const LEVEL_OTHER = 0;
        public const LEVEL_TEACHING = 1;
        public const LEVEL_PARTICIPATING = 2;
        public const NOT_MAPPED = -31337;
        public const NOT_FOUND = -31338;
        public const USER_NOTLOGGEDIN = 0;
        public const USER_OTHER = -1;

        private const FIELDS = ['eventname', 'component', 'action', 'target', 'objecttable', 'objectid', 'crud',
            'edulevel', 'contextid', 'contextlevel', 'contextinstanceid', 'userid', 'courseid', 'relateduserid',
            'anonymous', 'other', 'timecreated'];

        protected array $data;
        protected $context = null;
        protected array $recordsnapshots = [];
        private bool $triggered = false;
        private bool $dispatched = false;
        private bool $restored = false;
        protected array $logextra = [];

        final private function __construct() {
            $parts = explode('\\', static::class);
            if (count($parts) !== 3 || $parts[1] !== 'event' || !str_contains($parts[2], '_')) {
                throw new \coding_exception('Invalid event class name: ' . static::class);
            }
            $this->data = array_fill_keys(self::FIELDS, null);
            $this->data['eventname'] = '\\' . static::class;
            $this->data['component'] = $parts[0];
            $cut = strrpos($parts[2], '_');
            $this->data['target'] = substr($parts[2], 0, $cut);
            $this->data['action'] = substr($parts[2], $cut + 1);
        }

        abstract protected function init();

        final public static function create(?array $data = null) {
            global $USER;
            $data = (array)$data;
            $event = new static();
            $event->data['anonymous'] = 0;
            $event->init();
            $event->data['timecreated'] = time();
            foreach (['objectid', 'courseid', 'other', 'relateduserid'] as $key) {
                $event->data[$key] = $data[$key] ?? null;
            }
            $event->data['userid'] = $data['userid'] ?? $USER->id;
            $event->data['anonymous'] = (int)(bool)($data['anonymous'] ?? 0);
            if (!empty($data['context'])) {
                $event->context = $data['context'];
            } else if (!empty($data['contextid'])) {
                $event->context = \context::instance_by_id($data['contextid'], MUST_EXIST);
            } else {
                throw new \coding_exception('context (or contextid) is a required event property, system context may be hardcoded in init() method.');
            }
            $event->data['contextid'] = $event->context->id;
            $event->data['contextlevel'] = $event->context->contextlevel;
            $event->data['contextinstanceid'] = $event->context->instanceid;
            if (!isset($event->data['courseid'])) {
                $course = $event->context->get_course_context(false);
                $event->data['courseid'] = $course ? $course->instanceid : 0;
            }
            if (!array_key_exists('relateduserid', $data) && $event->context->contextlevel == CONTEXT_USER) {
                $event->data['relateduserid'] = $event->context->instanceid;
            }
            foreach (array_keys($data) as $key) {
                if ($key !== 'context' && $key !== 'contextid' && !in_array($key,
                        ['objectid', 'userid', 'courseid', 'relateduserid', 'anonymous', 'other'], true)) {
                    debugging("Data key '$key' is not allowed in \\core\\event\\base::create() method");
                }
            }
            $event->validate_data();
            return $event;
        }

        protected function validate_data() {
        }

        protected function validate_before_trigger() {
            if (empty($this->data['crud'])) {
                throw new \coding_exception('crud must be specified in init() method of each method');
            }
            if (!isset($this->data['edulevel'])) {
                throw new \coding_exception('edulevel must be specified in init() method of each method');
            }
            if (!empty($this->data['objectid']) && empty($this->data['objecttable'])) {
                throw new \coding_exception('objecttable must be specified in init() method if objectid present');
            }
            if (json_encode($this->data['other']) === false) {
                debugging('other event data must be compatible with json encoding');
            }
        }

        final public function trigger() {
            if ($this->restored) {
                throw new \coding_exception('Can not trigger restored event');
            }
            if ($this->triggered || $this->dispatched) {
                throw new \coding_exception('Can not trigger event twice');
            }
            $this->validate_before_trigger();
            $this->triggered = true;
            if (PHPUNIT_TEST && \phpunit_util::is_redirecting_events()) {
                $this->dispatched = true;
                \phpunit_util::event_triggered($this);
                return;
            }
            manager::dispatch($this);
            $this->dispatched = true;
        }

        final public static function restore(array $data, array $logextra) {
            if ($data['eventname'] !== "\\{$data['component']}\\event\\{$data['target']}_{$data['action']}"
                    || !class_exists($data['eventname'])) {
                return false;
            }
            $event = new $data['eventname']();
            $event->init();
            $event->restored = $event->triggered = $event->dispatched = true;
            $event->logextra = $logextra;
            $event->data = array_merge(array_fill_keys(self::FIELDS, null), array_intersect_key($data, array_flip(self::FIELDS)));
            return $event;
        }

        final public function get_data() {
            return $this->data;
        }

        public function __get($name) {
            if (array_key_exists($name, $this->data)) {
                return $this->data[$name];
            }
            debugging("Accessing non-existent event property '$name'");
            return null;
        }

        public function __isset($name) {
            return isset($this->data[$name]);
        }

        public function __set($name, $value) {
            throw new \coding_exception('Event properties must not be modified.');
        }

        public function getIterator(): \Traversable {
            return new \ArrayIterator($this->data);
        }

        public function get_context() {
            return $this->context ??= \context::instance_by_id($this->data['contextid'], IGNORE_MISSING);
        }

        public static function get_name() {
            $parts = explode('\\', static::class);
            return str_replace('_', ' ', ucfirst(end($parts)));
        }

        public static function get_name_with_info() {
            return static::get_name();
        }

        public function get_description() {
            return null;
        }

        public function get_url() {
            return null;
        }

        public static function get_objectid_mapping() {
            debugging('In order to restore course logs accurately the event "' . static::class . '" must define the function get_objectid_mapping().');
            return false;
        }

        public static function get_other_mapping() {
            debugging('In order to restore course logs accurately the event "' . static::class . '" must define the function get_other_mapping().');
        }

        final public static function get_static_info() {
            $event = new static();
            $event->init();
            $info = [];
            foreach (['eventname', 'component', 'target', 'action', 'crud', 'edulevel', 'objecttable'] as $key) {
                $info[$key] = $event->data[$key];
            }
            return $info;
        }

        /** The class docblock up to the first line that starts with @ or holds a /. */
        public static function get_explanation() {
            $doc = (new \ReflectionClass(static::class))->getDocComment();
            $lines = [];
            foreach (explode("\n", (string)$doc) as $line) {
                $line = rtrim(preg_replace('/(^\s*\/\*\*|^\s+\*\s|^\s+\*)/', '', $line));
                if (preg_match('/^@|\//', $line)) {
                    break;
                }
                if ($line !== '') {
                    $lines[] = $line;
                }
            }
            return implode("\n", $lines);
        }

        final public function add_record_snapshot($tablename, $record) {
            if ($this->triggered) {
                throw new \coding_exception('It is not possible to add snapshots after triggering of events');
            }
            if (!($record instanceof \stdClass)) {
                debugging('Argument $record must be an instance of stdClass.');
            }
            $this->recordsnapshots[$tablename][$record->id] = $record;
        }

        final public function get_record_snapshot($tablename, $id) {
            return isset($this->recordsnapshots[$tablename][$id]) ? clone($this->recordsnapshots[$tablename][$id]) : false;
        }

        public function is_triggered() {
            return $this->triggered;
        }

        public function is_dispatched() {
            return $this->dispatched;
        }

        public function is_restored() {
            return $this->restored;
        }
    }

    /** Observers as db/events.php declares them; an event triggered inside one is queued. */
    class manager {
        /** @var array[] ['eventname' => ..., 'callback' => ..., 'priority' => ...] */
        public static array $observers = [];
        private static array $queue = [];
        private static bool $dispatching = false;

        public static function dispatch(base $event): void {
            self::$queue[] = $event;
            if (self::$dispatching) {
                return;
            }
            self::$dispatching = true;
            try {
                while ($next = array_shift(self::$queue)) {
                    $observers = self::$observers;
                    usort($observers, fn($a, $b) => ($b['priority'] ?? 0) <=> ($a['priority'] ?? 0));
                    foreach ($observers as $o) {
                        if ($o['eventname'] === '*' || $o['eventname'] === $next->eventname) {
                            try {
                                call_user_func($o['callback'], $next);
                            } catch (\Exception $e) {
                                debugging('Exception encountered in event observer: ' . $e->getMessage());
                            }
                        }
                    }
                }
            } finally {
                self::$dispatching = false;
            }
        }
    }
}
