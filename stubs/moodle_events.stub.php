<?php
// IDE stub for the moodle_events extension (never loaded at run time).
// tests/php/StubTest.php fails when this file differs from what the built extension exposes.

namespace moodle_events {

    /** The extension's version (also phpversion('moodle_events')), e.g. '0.1.0'. */
    const VERSION = '0.1.0';

    /**
     * The version of the event catalogue built into the extension, e.g. '1.0.0'
     * (catalogue::version()): its minor grows when events or keys are added, its major
     * when one is removed or narrowed. The generated Moodle classes require at least the
     * version they were generated from.
     */
    const CATALOGUE_VERSION = '1.0.0';

    /**
     * A validated event of the Moodle archiving system, with Moodle's 17 data fields.
     *
     * Made only by the factories (`new event()` throws); read-only: writing or unsetting
     * any property throws a validation_exception. Iterating it yields get_data();
     * json_encode() gives get_data() too.
     *
     * @property-read string $eventname Class name with leading backslash, e.g. \local_archiving\event\archive_job_failed.
     * @property-read string $component e.g. local_archiving, archivingmod_quiz.
     * @property-read string $action The name after its last underscore, e.g. failed.
     * @property-read string $target The name before its last underscore, e.g. archive_job.
     * @property-read string|null $objecttable
     * @property-read int|null $objectid
     * @property-read string $crud c, r, u or d.
     * @property-read int $edulevel Always 0 (LEVEL_OTHER) for archiving events.
     * @property-read int $contextid
     * @property-read int|null $contextlevel Null when only a contextid was known outside Moodle.
     * @property-read int|null $contextinstanceid
     * @property-read int $userid
     * @property-read int $courseid
     * @property-read int|null $relateduserid
     * @property-read int $anonymous 0 or 1.
     * @property-read array|null $other Exactly the event's documented keys (see catalogue::definition()).
     * @property-read int $timecreated
     */
    final class event implements \IteratorAggregate, \JsonSerializable {
        /**
         * The 17 fields, as Moodle's events keep them: what `==`, `(array)` casts and
         * PHPUnit's assertEquals() compare.
         */
        protected array $data;

        /**
         * Moodle's create(): validates everything and returns the event.
         *
         * @param string $eventname A catalogue event class name, e.g. '\archivingmod_quiz\event\task_created'.
         * @param array $data Keys: objectid, context (a context object) or contextid, userid,
         *     relateduserid, courseid, anonymous, other.
         * @throws validation_exception naming the event, the field and the rule broken.
         */
        public static function create(string $eventname, array $data): event {}

        /**
         * Validates Moodle's own data of a catalogue event (`$this->data` once Moodle's
         * create() has filled it: eventname, objectid, contextid, contextlevel,
         * contextinstanceid, userid, relateduserid, courseid, anonymous, other) with the rules
         * and messages of create(), building no event: what the bridge's validate_data() calls.
         * The context object is asked for its course once per object and request, to check
         * courseid against it.
         *
         * @param array $data Moodle's event data.
         * @param object $context The event's context.
         * @throws validation_exception naming the event, the field and the rule broken.
         */
        public static function validate_data(array $data, object $context): void {}

        /**
         * An archive_job_* or write_task_* event from a local_archiving_job row: objectid,
         * contextid, relateduserid (the job's user), the snapshot and the other keys the
         * row knows (jobid, status…) are taken from it.
         *
         * @param array $other Only what the record cannot know (cause, updatedfields…).
         * @throws validation_exception
         */
        public static function create_from_job(string $eventname, object $job, array $other = []): event {}

        /**
         * A task_* event from a local_archiving_activity_task row, whose archivingmod must be
         * the event's plugin. other.jobid, progress and status come
         * from the row; its wstoken never reaches the event.
         *
         * @throws validation_exception
         */
        public static function create_from_task(string $eventname, object $task, array $other = []): event {}

        /**
         * A read_task_* event from a local_archiving_file row, whose archivingstore must be
         * the event's plugin. The row needs its job's contextid (select it with the file).
         *
         * @throws validation_exception
         */
        public static function create_from_file(string $eventname, object $file, array $other = []): event {}

        /**
         * A transmission_* event about a forwarded event (a moodle_events\event or a Moodle
         * \core\event\base): other.eventname, the context and course, and the related user
         * come from it.
         *
         * @throws validation_exception
         */
        public static function create_from_event(string $eventname, object $forwarded, array $other = []): event {}

        /**
         * The 17 Moodle fields, in Moodle's order.
         */
        public function get_data(): array {}

        /**
         * Reads a data field; anything else is PHP's "Undefined property" warning and null.
         */
        public function __get(string $name): mixed {}

        /**
         * Whether a data field is set (not null).
         */
        public function __isset(string $name): bool {}

        /**
         * Always throws: event properties must not be modified.
         *
         * @throws validation_exception
         */
        public function __set(string $name, mixed $value): void {}

        /**
         * Always throws: event properties must not be modified.
         *
         * @throws validation_exception
         */
        public function __unset(string $name): void {}

        /**
         * What var_dump() and print_r() show: get_data() plus 'triggered' and 'dispatched'.
         */
        public function __debugInfo(): array {}

        /**
         * The event's human name, e.g. "Archive job failed".
         */
        public function get_name(): string {}

        /**
         * What happened, in a sentence, from the event's data alone (no context lookup).
         */
        public function get_description(): string {}

        /**
         * Inside Moodle: this event as its bridge class, a real \core\event\base subclass
         * (not triggered), made by Moodle's create() from this event's data (not validated
         * a second time), with its timecreated and copies of its record snapshots. It is
         * what the bridge class's create_from_native() returns.
         *
         * @throws \LogicException outside Moodle, or when the event's bridge class is not
         *     installed.
         */
        public function moodle_event(): \core\event\base {}

        /**
         * Hands the event to the active sink, else to the observers. Inside Moodle
         * (MOODLE_INTERNAL defined, and this event's bridge class autoloads), the event is
         * handed to Moodle instead: moodle_event() makes the real Moodle event with the
         * same data, whose trigger() goes to Moodle's sink or to Moodle's observers and
         * log stores.
         *
         * @throws validation_exception when triggered twice ("Can not trigger event twice").
         */
        public function trigger(): void {}

        /**
         * Whether trigger() was called.
         */
        public function is_triggered(): bool {}

        /**
         * Whether the event was handed over: to the sink at once, to observers once they
         * ran (as Moodle's `dispatched`).
         */
        public function is_dispatched(): bool {}

        /**
         * Adds a copy of the record of the event's objecttable whose id is the objectid: its
         * public columns, secret-named ones as null (a column holding an object is refused).
         *
         * @throws validation_exception for another table, another id, an object column, or
         *     after trigger().
         */
        public function add_record_snapshot(string $table, object $record): void {}

        /**
         * A copy of the snapshot added for that table and id (as Moodle returns a clone), or null.
         */
        public function get_record_snapshot(string $table, int $id): ?object {}

        /**
         * Iterates get_data().
         */
        public function getIterator(): \Iterator {}

        /**
         * get_data(), for json_encode().
         */
        public function jsonSerialize(): array {}
    }

    /**
     * Events captured while redirecting (Moodle's phpunit_event_sink). Made by
     * redirect_events() only. Inside Moodle's PHPUnit it is Moodle's own sink, seen through
     * this class: it holds the real Moodle events (the bridge classes of php/) and any
     * other event Moodle triggers meanwhile, as $this->redirectEvents() does.
     */
    final class sink implements \Countable, \IteratorAggregate {
        /**
         * The captured events: the same instances, in trigger order, keys from 0; with a
         * class name (leading backslash optional), only the events of that class.
         *
         * @return event[] (Moodle events inside Moodle's PHPUnit)
         */
        public function get_events(?string $eventname = null): array {}

        /**
         * How many events were captured.
         */
        public function count(): int {}

        /**
         * Asserts that an event of that class (leading backslash optional) was triggered.
         * With $where (it gets the event and returns bool), one that it accepts; with
         * $times, exactly that many. When PHPUnit is loaded this is a PHPUnit assertion
         * (counted like $this->assert…(), a failure is a PHPUnit failure); without it a
         * failure throws assertion_failed. The message says what was expected, lists each
         * class triggered with its count, and shows the other of the events of that class
         * that $where refused (when some matched, only what differs from the first match).
         * Only catalogue events' other is shown: inside Moodle the sink also holds other
         * plugins' events.
         *
         * @param callable(event|\core\event\base): bool|null $where
         * @throws assertion_failed (without PHPUnit)
         * @throws \TypeError when $where returns anything but a bool
         */
        public function assert_triggered(string $eventname, ?callable $where = null, ?int $times = null): void {}

        /**
         * Asserts that no event of that class was triggered (with $where: none it accepts).
         * The failure message shows the other of each one that was.
         *
         * @param callable(event|\core\event\base): bool|null $where
         * @throws assertion_failed (without PHPUnit)
         */
        public function assert_not_triggered(string $eventname, ?callable $where = null): void {}

        /**
         * Asserts that no event was captured.
         *
         * @throws assertion_failed (without PHPUnit)
         */
        public function assert_nothing_triggered(): void {}

        /**
         * Asserts that events of these classes were triggered in this relative order (other
         * events may come between them); the failure message shows the trigger order.
         *
         * @throws assertion_failed (without PHPUnit)
         */
        public function assert_order(string ...$eventnames): void {}

        /**
         * Forgets the captured events; redirection goes on.
         */
        public function clear(): void {}

        /**
         * Stops redirection (whichever sink is active); the events stay readable.
         */
        public function close(): void {}

        /**
         * The first captured event, or the first of that class name (leading backslash optional).
         *
         * @return event|\core\event\base|null (Moodle events inside Moodle's PHPUnit)
         * @throws validation_exception for a name that is not a catalogue event (outside Moodle).
         */
        public function first_event(?string $eventname = null): ?object {}

        /**
         * Position of the first captured event of that class name, or null.
         *
         * @throws validation_exception for a name that is not a catalogue event (outside Moodle).
         */
        public function event_position(string $eventname): ?int {}

        /**
         * Iterates get_events().
         */
        public function getIterator(): \Iterator {}
    }

    /**
     * The event catalogue (declared once in catalogue/events.json).
     */
    final class catalogue {
        /**
         * The catalogue's own semantic version, e.g. '1.0.0' (as CATALOGUE_VERSION).
         */
        public static function version(): string {}

        /**
         * The 23 event class name patterns, e.g. '\archivingmod_<name>\event\task_created'.
         *
         * @return string[]
         */
        public static function names(): array {}

        /**
         * The definition of an event (a concrete class name or a pattern): name, family,
         * component, title, trigger, description, crud, edulevel, objecttable, snapshot,
         * factory, langstring, and other (key => type, required, doc, from, refers (the table of an id), constraints).
         *
         * @throws validation_exception for an unknown event.
         */
        public static function definition(string $eventname): array {}

        /**
         * The JSON Schema (draft 2020-12) of the event's data (a concrete class name or a
         * pattern): the 17 fields, with other in full (types, required keys, ranges, value
         * sets, formats, the docs as descriptions), as moodle-events-gen schema writes it.
         * Rules no JSON Schema can express stay the extension's: secret-looking keys at any
         * depth, the php.ini limits, a key that must equal objectid, the context's course.
         *
         * @throws validation_exception for a name that is not a catalogue event.
         */
        public static function json_schema(string $eventname): array {}

        /**
         * Moodle's get_static_info() for a concrete class name: eventname, component,
         * target, action, crud, edulevel, objecttable.
         *
         * @throws validation_exception for an unknown event.
         */
        public static function static_info(string $eventname): array {}
    }

    /**
     * A broken rule. The message is "<eventname>: <field>: <rule>" and never echoes a
     * string value from `other`.
     */
    class validation_exception extends \InvalidArgumentException {
        /** The event class name as given, e.g. \local_archiving\event\archive_job_failed. */
        public $eventname = '';

        /** The field: eventname, objectid, context, other.cause, other.activity.cmid, … */
        public $field = '';
    }

    /**
     * A failed sink assertion (assert_triggered() and the others) where PHPUnit is not
     * loaded; with PHPUnit, a failure is PHPUnit's own.
     */
    class assertion_failed extends \AssertionError {
    }

    /**
     * Starts redirecting triggered events into a new sink (any earlier sink stops receiving).
     * With $only, just the events of those classes are captured and every other event is
     * dispatched as usual. Inside Moodle's PHPUnit (PHPUNIT_TEST true), this is Moodle's own
     * redirection, as advanced_testcase::redirectEvents() starts it: Moodle captures every
     * event, and $only filters what this sink shows (get_events(), count(), the assertions).
     *
     * @param string[]|null $only event class names (outside Moodle: catalogue events)
     * @throws validation_exception for a name that is not a catalogue event (outside Moodle).
     */
    function redirect_events(?array $only = null): sink {}

    /**
     * Redirects (as redirect_events($only)), runs $fn, and stops redirecting even when $fn
     * throws (the exception then goes on); returns the sink with what $fn triggered.
     *
     * @param string[]|null $only
     */
    function capture(callable $fn, ?array $only = null): sink {}

    /**
     * Whether a sink is capturing triggered events now.
     */
    function is_redirecting(): bool {}

    /**
     * Registers an observer of a catalogue event class name, or '*' for all; higher
     * priority first. A failing observer is reported as a warning; the others still run.
     * The callback must be callable from anywhere (not a private or protected method, not
     * self::/parent::): pass a closure such as $this->handler(...).
     *
     * @throws validation_exception for an unknown event name.
     * @throws \TypeError for a callback that only works inside its class.
     */
    function observe(string $eventname, callable $callback, int $priority = 0): void {}

    /**
     * Drops every observer and sink (tests); inside Moodle's PHPUnit it also stops Moodle's
     * redirection.
     */
    function reset(): void {}
}
