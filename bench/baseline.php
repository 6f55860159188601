<?php
// The baseline: the same rules as the extension, for the three benchmarked events, in
// plain PHP the way a careful Moodle plugin would write them (a create() that checks the
// data keys, the header fields and the documented `other` schema, rejects secrets,
// objects, non-finite floats and invalid UTF-8, then keeps Moodle's 17 fields), and a sink.

namespace moodle_events_bench;

final class baseline_exception extends \InvalidArgumentException {
}

final class baseline_event implements \JsonSerializable {
    private const SECRET = '/token|passw|secret|api_?key|private_?key|privkey|sesskey|accesskey|credential|authorization|cookie|^key$|_key$/i';

    /** [crud, objecttable, other schema] per event; a schema entry: [type, required, extra]. */
    private const EVENTS = [
        '\local_archiving\event\archive_job_failed' => ['u', 'local_archiving_job', [
            'cause' => ['string', true, ['maxlength' => 1024]],
            'status' => ['int', false, ['values' => [200, 210, 220, 230, 240]]],
        ]],
        '\archivingmod_quiz\event\task_created' => ['c', 'local_archiving_activity_task', [
            'jobid' => ['int', true, ['min' => 1]],
            'activity' => ['array', true, ['fields' => [
                'cmid' => ['int', true, ['min' => 1]],
                'modname' => ['string', true, ['format' => '/^[a-z][a-z0-9_]*$/']],
                'instanceid' => ['int', true, ['min' => 1]],
            ]]],
            'settings' => ['array', true, []],
        ]],
        '\archivingevent_apistub\event\transmission_completed' => ['u', null, [
            'eventname' => ['string', true, ['format' => '/^\\\\[a-z][a-z0-9_]*\\\\event\\\\[a-z][a-z0-9_]*$/']],
            'metadata' => ['array', false, []],
        ]],
    ];

    private array $data;
    private bool $triggered = false;

    private function __construct(array $data) {
        $this->data = $data;
    }

    public static function create(string $eventname, array $data): self {
        global $USER;
        [$crud, $table, $schema] = self::EVENTS[$eventname]
            ?? throw new baseline_exception("$eventname: eventname: unknown event");
        foreach ($data as $key => $value) {
            if (!in_array($key, ['objectid', 'context', 'contextid', 'userid', 'relateduserid', 'courseid',
                    'anonymous', 'other'], true)) {
                throw new baseline_exception("$eventname: $key: is not a create() key");
            }
        }
        $objectid = self::int($eventname, 'objectid', $data['objectid'] ?? null);
        if (($table === null) !== ($objectid === null)) {
            throw new baseline_exception("$eventname: objectid: objecttable and objectid both or none");
        }
        $contextid = self::int($eventname, 'contextid', $data['contextid'] ?? null)
            ?? throw new baseline_exception("$eventname: context: is required");
        $other = $data['other'] ?? null;
        if ($schema || $other !== null) {
            if (!is_array($other)) {
                throw new baseline_exception("$eventname: other: must be an array");
            }
            $other = self::check_fields($eventname, 'other', $other, $schema);
        }
        return new self([
            'eventname' => $eventname,
            'component' => substr($eventname, 1, strpos($eventname, '\\', 1) - 1),
            'action' => substr($eventname, strrpos($eventname, '_') + 1),
            'target' => substr($eventname, strrpos($eventname, '\\') + 1, strrpos($eventname, '_') - strrpos($eventname, '\\') - 1),
            'objecttable' => $table,
            'objectid' => $objectid,
            'crud' => $crud,
            'edulevel' => 0,
            'contextid' => $contextid,
            'contextlevel' => null,
            'contextinstanceid' => null,
            'userid' => self::int($eventname, 'userid', $data['userid'] ?? null) ?? ($USER->id ?? 0),
            'courseid' => self::int($eventname, 'courseid', $data['courseid'] ?? null) ?? 0,
            'relateduserid' => self::int($eventname, 'relateduserid', $data['relateduserid'] ?? null),
            'anonymous' => (int)(bool)($data['anonymous'] ?? 0),
            'other' => $other,
            'timecreated' => time(),
        ]);
    }

    private static function int(string $ev, string $field, $v): ?int {
        if ($v === null || is_int($v)) {
            return $v;
        }
        if (is_string($v) && preg_match('/^-?(0|[1-9][0-9]{0,18})$/', $v)) {
            return (int)$v;
        }
        throw new baseline_exception("$ev: $field: must be an integer");
    }

    private static function check_fields(string $ev, string $path, array $value, array $schema): array {
        foreach ($schema as $key => [$type, $required, $extra]) {
            if (!array_key_exists($key, $value) || $value[$key] === null) {
                if ($required) {
                    throw new baseline_exception("$ev: $path.$key: is required");
                }
                continue;
            }
            $v = $value[$key];
            switch ($type) {
                case 'int':
                    $v = $value[$key] = self::int($ev, "$path.$key", $v);
                    if (isset($extra['min']) && $v < $extra['min']) {
                        throw new baseline_exception("$ev: $path.$key: is too small");
                    }
                    if (isset($extra['values']) && !in_array($v, $extra['values'], true)) {
                        throw new baseline_exception("$ev: $path.$key: is not an allowed value");
                    }
                    break;
                case 'string':
                    if (!is_string($v) || $v === '' || !preg_match('//u', $v)) {
                        throw new baseline_exception("$ev: $path.$key: must be a non-empty UTF-8 string");
                    }
                    if (isset($extra['maxlength']) && mb_strlen($v) > $extra['maxlength']) {
                        throw new baseline_exception("$ev: $path.$key: is too long");
                    }
                    if (isset($extra['format']) && !preg_match($extra['format'], $v)) {
                        throw new baseline_exception("$ev: $path.$key: has the wrong format");
                    }
                    break;
                case 'array':
                    if (!is_array($v)) {
                        throw new baseline_exception("$ev: $path.$key: must be an array");
                    }
                    if (isset($extra['fields'])) {
                        $v = $value[$key] = self::check_fields($ev, "$path.$key", $v, $extra['fields']);
                    }
                    break;
            }
        }
        foreach ($value as $key => $v) {
            if ($path === 'other' && !isset($schema[$key])) {
                throw new baseline_exception("$ev: other.$key: is not a documented key");
            }
        }
        self::free_form($ev, $path, $value, 1);
        return $value;
    }

    /** JSON-compatible, UTF-8, finite, not too deep, no secret-named keys. */
    private static function free_form(string $ev, string $path, array $value, int $depth): void {
        if ($depth > 32) {
            throw new baseline_exception("$ev: $path: is deeper than 32 levels");
        }
        foreach ($value as $key => $v) {
            if (is_string($key) && (preg_match(self::SECRET, $key) || !preg_match('//u', $key))) {
                throw new baseline_exception("$ev: $path.$key: is a secret or not UTF-8");
            }
            if (is_array($v)) {
                self::free_form($ev, "$path.$key", $v, $depth + 1);
            } else if (is_object($v) || is_resource($v) || (is_float($v) && !is_finite($v))
                    || (is_string($v) && !preg_match('//u', $v))) {
                throw new baseline_exception("$ev: $path.$key: is not JSON-compatible");
            }
        }
    }

    public function trigger(): void {
        if ($this->triggered) {
            throw new baseline_exception("{$this->data['eventname']}: trigger: Can not trigger event twice");
        }
        $this->triggered = true;
        baseline_sink::$events[] = $this;
    }

    public function get_data(): array {
        return $this->data;
    }

    public function jsonSerialize(): array {
        return $this->data;
    }
}

final class baseline_sink {
    public static array $events = [];
}
