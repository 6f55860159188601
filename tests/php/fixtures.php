<?php
// Records shaped like the rows $DB->get_record() returns: every column a string.

namespace moodle_events\tests;

use moodle_events\catalogue;

final class fixtures {
    public const SHA = 'aa11bb22cc33dd44ee55ff6677889900aa11bb22cc33dd44ee55ff6677889900';

    public static function job(array $o = []): \stdClass {
        return (object)($o + [
            'id' => '12', 'contextid' => '34', 'userid' => '5', 'origin' => 'manual', 'status' => '30',
            'settings' => '{"attempts":true}', 'timecreated' => '1700000000', 'timemodified' => '1700000100',
        ]);
    }

    public static function task(string $mod, array $o = []): \stdClass {
        return (object)($o + [
            'id' => '77', 'jobid' => '12', 'archivingmod' => $mod, 'contextid' => '34',
            'fingerprint' => str_repeat('ab', 32), 'userid' => '5', 'status' => '100', 'progress' => '40',
            'wstoken' => 'f00dfeedf00dfeedf00dfeedf00dfeed', 'settings' => '{"paper":"A4","attempts":[1,2]}',
            'timecreated' => '1700000000', 'timemodified' => '1700000100',
        ]);
    }

    /** A file handle row, joined with its job's contextid (the file table has none). */
    public static function file(string $store, array $o = []): \stdClass {
        return (object)($o + [
            'id' => '501', 'jobid' => '12', 'archivingstore' => $store, 'deleted' => '0',
            'filename' => 'archive.tar.gz', 'filepath' => '/', 'filekey' => 'k1', 'filesize' => '1024',
            'sha256sum' => self::SHA, 'mimetype' => 'application/gzip', 'timecreated' => '1700000000',
            'timemodified' => '1700000100', 'retentiontime' => null, 'contextid' => '34',
        ]);
    }

    /** What callers pass that a record cannot know, per event short name. */
    public static function caller_other(string $name): array {
        return match ($name) {
            'archive_job_updated' => ['updatedfields' => ['status'], 'oldstatus' => 20],
            'archive_job_failed', 'archive_job_aborted', 'task_failed', 'task_aborted',
            'write_task_failed', 'write_task_aborted', 'read_task_failed', 'read_task_aborted',
            'transmission_failed' => ['cause' => 'The storage was full'],
            'task_created' => ['activity' => ['cmid' => 9, 'modname' => 'quiz', 'instanceid' => 3],
                'settings' => ['paper' => 'A4', 'attempts' => [1, 2]]],
            'task_updated' => ['updatedfields' => ['progress', 'status']],
            'write_task_created', 'read_task_created', 'read_task_completed' =>
                ['source' => ['path' => '/tmp/a.tar.gz'], 'destination' => ['path' => 'archives/a.tar.gz']],
            'write_task_completed' => ['source' => ['path' => '/tmp/a.tar.gz'],
                'destination' => ['filehandleid' => 501, 'sha256sum' => self::SHA]],
            'write_task_updated', 'read_task_updated' => ['updatedfields' => ['progress']],
            'transmission_completed' => ['metadata' => ['httpstatus' => 200]],
            default => [],
        };
    }

    /** A task row whose status fits the event (the row after the change). */
    public static function task_for(string $name, string $mod): \stdClass {
        return self::task($mod, ['status' => match ($name) {
            'task_completed' => '220', 'task_failed' => '250', 'task_aborted' => '240', default => '100',
        }]);
    }

    /** The job status that fits an event (the row after the change). */
    public static function job_for(string $name): \stdClass {
        return self::job(['status' => match ($name) {
            'archive_job_failed' => '240', 'archive_job_completed' => '100', default => '30',
        }]);
    }

    /**
     * Every catalogue event, subplugin families with each of the given names per plugin
     * type: [class name, short name, factory], keyed by class name.
     * @param array<string, string[]> $plugins plugin type => names
     * @return array<string, array{string, string, string}>
     */
    public static function all_events(array $plugins): array {
        $out = [];
        foreach (catalogue::names() as $pattern) {
            $def = catalogue::definition($pattern);
            $type = strstr($def['component'], '_<name>', true);
            foreach ($type === false ? [null] : $plugins[$type] as $plugin) {
                $class = $plugin === null ? $pattern : str_replace('<name>', $plugin, $pattern);
                $out[$class] = [$class, $def['name'], $def['factory']];
            }
        }
        return $out;
    }
}
