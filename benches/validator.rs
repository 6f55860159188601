//! The core validator alone, no PHP: `cargo bench --no-default-features --bench validator`.
//! Standard-library harness: median of interleaved rounds, ns per validation.

use moodle_events::catalogue::resolve;
use moodle_events::validate::{validate_other, Limits};
use serde_json::{json, Value};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(200_000);
    let cases: Vec<(&str, Value)> = vec![
        (
            "\\local_archiving\\event\\archive_job_failed",
            json!({"cause": "The storage was full", "status": 240}),
        ),
        (
            "\\archivingmod_quiz\\event\\task_created",
            json!({"jobid": 12, "activity": {"cmid": 9, "modname": "quiz", "instanceid": 3},
                   "settings": {"paper": "A4", "attempts": [1, 2, 3], "feedback": true, "grades": false,
                                "pdf": {"dpi": 300, "compress": true}, "filename": "quiz-attempts", "keepdays": 30,
                                "sections": ["intro", "questions", "answers"]}}),
        ),
        (
            "\\archivingevent_apistub\\event\\transmission_completed",
            json!({"eventname": "\\local_archiving\\event\\archive_job_completed",
                   "metadata": {"httpstatus": 200, "requestid": "r1", "service": {"name": "apistub", "version": "1.2",
                                "endpoint": {"host": "archive.example", "port": 443}}}}),
        ),
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for _ in 0..7 {
        for (i, (name, other)) in cases.iter().enumerate() {
            let ev = resolve(name).expect("a catalogue event");
            let objectid = (!name.contains("transmission")).then_some(1);
            let start = Instant::now();
            for _ in 0..n {
                let r = validate_other(black_box(&ev), Some(black_box(other)), objectid, Limits::default());
                assert!(black_box(r).is_ok());
            }
            times[i].push(start.elapsed().as_nanos() as f64 / n as f64);
        }
    }
    println!(
        "{:<56} {:>12}",
        "validate_other (serde_json value), median of 7", "ns/event"
    );
    for ((name, _), mut t) in cases.iter().zip(times) {
        t.sort_by(f64::total_cmp);
        println!("{name:<56} {:>12.1}", t[t.len() / 2]);
    }
}
