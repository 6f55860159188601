<?php
// The comparison classes of bench-moodle (bench/moodle/bench.php), loaded once Moodle's
// core\event\base exists. Same init() as the generated bridge classes of
// \local_archiving\event\archive_job_failed and \archivingmod_quiz\event\task_created:
//  - local_benchfloor: no validation at all (the floor);
//  - local_benchhand: the event's rules checked by hand in plain PHP, as a careful Moodle
//    developer writes validate_data() without the extension.

namespace local_benchfloor\event {
    /** archive_job_failed without validation. */
    class archive_job_failed extends \core\event\base {
        protected function init() {
            $this->data['crud'] = 'u';
            $this->data['edulevel'] = self::LEVEL_OTHER;
            $this->data['objecttable'] = 'local_archiving_job';
        }
    }

    /** task_created without validation. */
    class task_created extends \core\event\base {
        protected function init() {
            $this->data['crud'] = 'c';
            $this->data['edulevel'] = self::LEVEL_OTHER;
            $this->data['objecttable'] = 'local_archiving_activity_task';
        }
    }
}

namespace local_benchhand\event {
    /** archive_job_failed validated by hand: cause 1..1024 characters, status one of the job's error statuses. */
    class archive_job_failed extends \core\event\base {
        /** @var int[] The error statuses of an archive job (job_error_status). */
        const ERROR_STATUSES = [200, 210, 220, 230, 240];

        protected function init() {
            $this->data['crud'] = 'u';
            $this->data['edulevel'] = self::LEVEL_OTHER;
            $this->data['objecttable'] = 'local_archiving_job';
        }

        protected function validate_data() {
            parent::validate_data();
            if (!isset($this->objectid)) {
                throw new \coding_exception('The \'objectid\' must be set.');
            }
            $other = $this->other;
            if (!is_array($other)) {
                throw new \coding_exception('The \'other\' value must be an array.');
            }
            if (!isset($other['cause']) || !is_string($other['cause']) || $other['cause'] === '') {
                throw new \coding_exception('The \'cause\' value must be set in other as a non-empty string.');
            }
            if (\core_text::strlen($other['cause']) > 1024) {
                throw new \coding_exception('The \'cause\' value in other must be at most 1024 characters.');
            }
            if (array_key_exists('status', $other) &&
                    (!is_int($other['status']) || !in_array($other['status'], self::ERROR_STATUSES, true))) {
                throw new \coding_exception('The \'status\' value in other must be an archive job error status.');
            }
            if ($unknown = array_diff_key($other, ['cause' => 1, 'status' => 1])) {
                throw new \coding_exception('Unknown keys in other: ' . implode(', ', array_keys($unknown)));
            }
        }
    }

    /** task_created validated by hand: jobid, the activity's cmid, modname and instanceid, settings. */
    class task_created extends \core\event\base {
        protected function init() {
            $this->data['crud'] = 'c';
            $this->data['edulevel'] = self::LEVEL_OTHER;
            $this->data['objecttable'] = 'local_archiving_activity_task';
        }

        protected function validate_data() {
            parent::validate_data();
            if (!isset($this->objectid)) {
                throw new \coding_exception('The \'objectid\' must be set.');
            }
            $other = $this->other;
            if (!is_array($other)) {
                throw new \coding_exception('The \'other\' value must be an array.');
            }
            if (!isset($other['jobid']) || !is_int($other['jobid']) || $other['jobid'] < 1) {
                throw new \coding_exception('The \'jobid\' value must be set in other as a positive integer.');
            }
            if (!isset($other['activity']) || !is_array($other['activity'])) {
                throw new \coding_exception('The \'activity\' value must be set in other as an array.');
            }
            $activity = $other['activity'];
            foreach (['cmid', 'instanceid'] as $key) {
                if (!isset($activity[$key]) || !is_int($activity[$key]) || $activity[$key] < 1) {
                    throw new \coding_exception("The '$key' value must be set in other['activity'] as a positive integer.");
                }
            }
            if (!isset($activity['modname']) || !is_string($activity['modname']) ||
                    !\core_component::is_valid_plugin_name('mod', $activity['modname'])) {
                throw new \coding_exception('The \'modname\' value must be set in other[\'activity\'] as a module name.');
            }
            if ($unknown = array_diff_key($activity, ['cmid' => 1, 'modname' => 1, 'instanceid' => 1])) {
                throw new \coding_exception('Unknown keys in other[\'activity\']: ' . implode(', ', array_keys($unknown)));
            }
            if (!isset($other['settings']) || !is_array($other['settings'])) {
                throw new \coding_exception('The \'settings\' value must be set in other as an array.');
            }
            if ($unknown = array_diff_key($other, ['jobid' => 1, 'activity' => 1, 'settings' => 1])) {
                throw new \coding_exception('Unknown keys in other: ' . implode(', ', array_keys($unknown)));
            }
        }
    }
}
