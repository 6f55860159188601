<?php
// The bridge benchmark's comparison class (bench/bridge.php), loaded once core\event\base exists.

namespace local_benchmark\event;

/** archive_job_failed with its rules in PHP: what a plugin would write without the extension. */
class archive_job_failed extends \core\event\base {
    protected function init() {
        $this->data['crud'] = 'u';
        $this->data['edulevel'] = self::LEVEL_OTHER;
        $this->data['objecttable'] = 'local_archiving_job';
    }

    protected function validate_data() {
        try {
            \moodle_events_bench\baseline_event::create('\local_archiving\event\archive_job_failed', [
                'objectid' => $this->data['objectid'], 'contextid' => $this->data['contextid'],
                'userid' => $this->data['userid'], 'relateduserid' => $this->data['relateduserid'],
                'courseid' => $this->data['courseid'], 'anonymous' => $this->data['anonymous'],
                'other' => $this->data['other'],
            ]);
        } catch (\InvalidArgumentException $e) {
            throw new \coding_exception($e->getMessage());
        }
    }
}
