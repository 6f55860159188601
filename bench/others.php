<?php
// The `other` of the benchmarked events, the same for every benchmark (make bench, make
// bench-moodle): the rules each one exercises are the catalogue's, these are the inputs.
return [
    'archive_job_failed' => ['cause' => 'The storage was full', 'status' => 240],
    'task_created' => [
        'jobid' => 12,
        'activity' => ['cmid' => 9, 'modname' => 'quiz', 'instanceid' => 3],
        'settings' => ['paper' => 'A4', 'attempts' => [1, 2, 3], 'feedback' => true, 'grades' => false,
            'pdf' => ['dpi' => 300, 'compress' => true], 'filename' => 'quiz-attempts', 'keepdays' => 30,
            'sections' => ['intro', 'questions', 'answers']],
    ],
];
