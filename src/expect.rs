//! Assertions over captured events (the sink's `assert_*` methods): what was expected,
//! checked against what was triggered, and the failure message a test author reads. No
//! PHP here: the binding says, for each captured event, its class and whether the
//! caller's condition accepted it, and gives its `other` as JSON when a message needs it.

/// One captured event, as an assertion sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The class name, with leading backslash.
    pub class: String,
    /// Of the expected class and accepted by the condition (or there is none).
    pub matched: bool,
}

/// What a test expects of the captured events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect<'a> {
    /// At least one (or exactly `times`) events of `class` matched.
    Triggered {
        class: &'a str,
        condition: bool,
        times: Option<usize>,
    },
    /// No event of `class` matched.
    NotTriggered { class: &'a str, condition: bool },
    /// No event at all.
    Nothing,
    /// Events of these classes, in this relative order (others may come between).
    Order(&'a [&'a str]),
}

/// The class name as Moodle writes `eventname`: one leading backslash.
pub fn canonical(class: &str) -> String {
    format!("\\{}", class.trim_start_matches('\\'))
}

/// PHP class names compare without case.
pub fn same_class(a: &str, b: &str) -> bool {
    a.trim_start_matches('\\')
        .eq_ignore_ascii_case(b.trim_start_matches('\\'))
}

/// How many near misses (or unwanted matches) a message shows at most.
const SHOWN: usize = 5;

/// Checks `expect` against `seen` (in trigger order). On failure, the message says what
/// was expected and lists what was triggered; `other_json(i)` gives the `other` of
/// `seen[i]` for the events it shows.
pub fn check(expect: &Expect<'_>, seen: &[Seen], other_json: impl Fn(usize) -> String) -> Result<(), String> {
    match *expect {
        Expect::Triggered {
            class,
            condition,
            times,
        } => check_triggered(class, condition, times, seen, &other_json),
        Expect::NotTriggered { class, condition } => {
            let hits: Vec<usize> = (0..seen.len()).filter(|&i| seen[i].matched).collect();
            if hits.is_empty() {
                return Ok(());
            }
            let class = canonical(class);
            let cond = if condition { " matching the condition" } else { "" };
            let mut msg = format!(
                "Expected {class} not to be triggered{cond}; it was {}.",
                count_phrase(hits.len(), false)
            );
            msg.push_str(&triggered_list(seen));
            msg.push_str(&shown(&format!("Triggered {class}{cond}"), &hits, &other_json));
            Err(msg)
        }
        Expect::Nothing => {
            if seen.is_empty() {
                return Ok(());
            }
            let mut msg = format!(
                "Expected nothing to be triggered; {} {}.",
                seen.len(),
                if seen.len() == 1 { "event was" } else { "events were" }
            );
            msg.push_str(&triggered_list(seen));
            Err(msg)
        }
        Expect::Order(classes) => check_order(classes, seen),
    }
}

/// assert_triggered(): with a condition, the message lists the class's near misses, each
/// by what differs from the first match when there is one.
fn check_triggered(
    class: &str,
    condition: bool,
    times: Option<usize>,
    seen: &[Seen],
    other_json: &dyn Fn(usize) -> String,
) -> Result<(), String> {
    let matched = seen.iter().filter(|s| s.matched).count();
    let ok = match times {
        Some(n) => matched == n,
        None => matched > 0,
    };
    if ok {
        return Ok(());
    }
    let class = canonical(class);
    let cond = if condition { " matching the condition" } else { "" };
    let mut msg = match times {
        Some(n) => format!(
            "Expected {class} to be triggered {}{cond}; it was {}.",
            count_phrase(n, true),
            count_phrase(matched, false)
        ),
        None => format!("Expected {class} to be triggered{cond}; it was not."),
    };
    msg.push_str(&triggered_list(seen));
    if condition {
        let misses: Vec<usize> = (0..seen.len())
            .filter(|&i| !seen[i].matched && same_class(&seen[i].class, &class))
            .collect();
        let title = format!("Near misses ({class} not matching the condition)");
        match seen.iter().position(|s| s.matched) {
            Some(first) => msg.push_str(&shown(&title, &misses, &|i| {
                differing(&other_json(i), &other_json(first))
                    .map_or_else(|| other_json(i), |d| format!("{d} (#{} has the rest)", first + 1))
            })),
            None => msg.push_str(&shown(&title, &misses, other_json)),
        }
    }
    Err(msg)
}

/// assert_order(): each class triggered after the one before it.
fn check_order(classes: &[&str], seen: &[Seen]) -> Result<(), String> {
    let mut from = 0;
    for (k, class) in classes.iter().enumerate() {
        match seen[from..].iter().position(|s| same_class(&s.class, class)) {
            Some(p) => from += p + 1,
            None => {
                let wanted: Vec<String> = classes.iter().map(|c| canonical(c)).collect();
                let why = match (k, seen.iter().any(|s| same_class(&s.class, class))) {
                    (_, false) => format!("{} was not triggered", canonical(class)),
                    (0, true) => unreachable!("the first class is found anywhere"),
                    (_, true) => format!(
                        "{} was not triggered after {}",
                        canonical(class),
                        canonical(classes[k - 1])
                    ),
                };
                let mut msg = format!("Expected {} to be triggered in this order; {why}.", wanted.join(", "));
                msg.push_str(&sequence(seen));
                return Err(msg);
            }
        }
    }
    Ok(())
}

/// The keys of `other` (JSON objects) whose values differ from `reference`'s, as JSON
/// (a key `reference` has and `other` lacks shows as null); None when either is not an
/// object.
fn differing(other: &str, reference: &str) -> Option<String> {
    let (serde_json::Value::Object(o), serde_json::Value::Object(r)) =
        (serde_json::from_str(other).ok()?, serde_json::from_str(reference).ok()?)
    else {
        return None;
    };
    let mut diff = serde_json::Map::new();
    for (k, v) in &o {
        if r.get(k) != Some(v) {
            diff.insert(k.clone(), v.clone());
        }
    }
    for k in r.keys().filter(|k| !o.contains_key(*k)) {
        diff.insert(k.clone(), serde_json::Value::Null);
    }
    serde_json::to_string(&serde_json::Value::Object(diff)).ok()
}

fn count_phrase(n: usize, exactly: bool) -> String {
    let times = if n == 1 { "time" } else { "times" };
    if exactly {
        format!("exactly {n} {times}")
    } else {
        format!("{n} {times}")
    }
}

/// "Triggered: …" with each class and its count, in order of first trigger.
fn triggered_list(seen: &[Seen]) -> String {
    if seen.is_empty() {
        return "\nNothing was triggered.".into();
    }
    let mut classes: Vec<(&str, usize)> = Vec::new();
    for s in seen {
        match classes.iter_mut().find(|(c, _)| same_class(c, &s.class)) {
            Some(entry) => entry.1 += 1,
            None => classes.push((&s.class, 1)),
        }
    }
    let mut out = format!(
        "\nTriggered ({} {}):",
        seen.len(),
        if seen.len() == 1 { "event" } else { "events" }
    );
    for (class, n) in classes {
        out.push_str(&format!("\n  {} x{n}", canonical(class)));
    }
    out
}

/// The whole trigger sequence, numbered from 1.
fn sequence(seen: &[Seen]) -> String {
    if seen.is_empty() {
        return "\nNothing was triggered.".into();
    }
    let mut out = String::from("\nTrigger order:");
    for (i, s) in seen.iter().enumerate() {
        out.push_str(&format!("\n  #{} {}", i + 1, canonical(&s.class)));
    }
    out
}

/// A titled list of events (#position and `other`), at most [`SHOWN`].
fn shown(title: &str, at: &[usize], other_json: &dyn Fn(usize) -> String) -> String {
    if at.is_empty() {
        return String::new();
    }
    let mut out = format!("\n{title}:");
    for &i in at.iter().take(SHOWN) {
        out.push_str(&format!("\n  #{} other: {}", i + 1, other_json(i)));
    }
    if at.len() > SHOWN {
        out.push_str(&format!("\n  … and {} more", at.len() - SHOWN));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILED: &str = "\\local_archiving\\event\\archive_job_failed";
    const CREATED: &str = "\\local_archiving\\event\\archive_job_created";

    fn seen(list: &[(&str, bool)]) -> Vec<Seen> {
        list.iter()
            .map(|(c, m)| Seen {
                class: (*c).into(),
                matched: *m,
            })
            .collect()
    }

    fn other(i: usize) -> String {
        format!("{{\"cause\":\"c{i}\"}}")
    }

    #[test]
    fn triggered_with_and_without_a_count() {
        let s = seen(&[(CREATED, false), (FAILED, true), (FAILED, false)]);
        let any = Expect::Triggered {
            class: FAILED,
            condition: true,
            times: None,
        };
        assert_eq!(check(&any, &s, other), Ok(()));
        let twice = Expect::Triggered {
            class: "local_archiving\\event\\archive_job_failed",
            condition: true,
            times: Some(2),
        };
        assert_eq!(
            check(&twice, &s, other).unwrap_err(),
            "Expected \\local_archiving\\event\\archive_job_failed to be triggered exactly 2 times matching the \
             condition; it was 1 time.\nTriggered (3 events):\n  \\local_archiving\\event\\archive_job_created x1\n  \
             \\local_archiving\\event\\archive_job_failed x2\nNear misses (\\local_archiving\\event\\archive_job_failed \
             not matching the condition):\n  #3 other: {\"cause\":\"c2\"} (#2 has the rest)"
        );
        let none = Expect::Triggered {
            class: FAILED,
            condition: false,
            times: None,
        };
        assert_eq!(
            check(&none, &[], other).unwrap_err(),
            "Expected \\local_archiving\\event\\archive_job_failed to be triggered; it was not.\nNothing was triggered."
        );
        let zero = Expect::Triggered {
            class: FAILED,
            condition: false,
            times: Some(0),
        };
        assert_eq!(check(&zero, &[], other), Ok(()));
    }

    #[test]
    fn a_near_miss_shows_what_differs_from_a_match() {
        let s = seen(&[(FAILED, true), (FAILED, false)]);
        let others = |i: usize| {
            [
                "{\"cause\":\"Timeout\",\"status\":240}",
                "{\"cause\":\"Disk full\",\"status\":240}",
            ][i]
                .to_string()
        };
        let twice = Expect::Triggered {
            class: FAILED,
            condition: true,
            times: Some(2),
        };
        let msg = check(&twice, &s, others).unwrap_err();
        assert!(
            msg.ends_with("  #2 other: {\"cause\":\"Disk full\"} (#1 has the rest)"),
            "{msg}"
        );
        assert_eq!(differing("{\"a\":1}", "{\"a\":1,\"b\":2}").unwrap(), "{\"b\":null}");
        assert_eq!(differing("[1]", "{}"), None);
    }

    #[test]
    fn not_triggered_shows_what_matched() {
        let s = seen(&[(FAILED, true)]);
        let not = Expect::NotTriggered {
            class: FAILED,
            condition: false,
        };
        assert_eq!(
            check(&not, &s, other).unwrap_err(),
            "Expected \\local_archiving\\event\\archive_job_failed not to be triggered; it was 1 time.\nTriggered (1 \
             event):\n  \\local_archiving\\event\\archive_job_failed x1\nTriggered \
             \\local_archiving\\event\\archive_job_failed:\n  #1 other: {\"cause\":\"c0\"}"
        );
        assert_eq!(check(&not, &seen(&[(FAILED, false)]), other), Ok(()));
    }

    #[test]
    fn nothing_and_the_list_of_many() {
        assert_eq!(check(&Expect::Nothing, &[], other), Ok(()));
        let s: Vec<Seen> = (0..7)
            .map(|_| Seen {
                class: FAILED.into(),
                matched: false,
            })
            .collect();
        assert_eq!(
            check(&Expect::Nothing, &s, other).unwrap_err(),
            "Expected nothing to be triggered; 7 events were.\nTriggered (7 events):\n  \
             \\local_archiving\\event\\archive_job_failed x7"
        );
        let hits: Vec<Seen> = (0..7)
            .map(|_| Seen {
                class: FAILED.into(),
                matched: true,
            })
            .collect();
        let msg = check(
            &Expect::NotTriggered {
                class: FAILED,
                condition: false,
            },
            &hits,
            other,
        )
        .unwrap_err();
        assert!(
            msg.contains("#5 other") && !msg.contains("#6 other") && msg.ends_with("… and 2 more"),
            "{msg}"
        );
        let msg = check(
            &Expect::NotTriggered {
                class: FAILED,
                condition: false,
            },
            &hits[..5],
            other,
        )
        .unwrap_err();
        assert!(
            msg.ends_with("#5 other: {\"cause\":\"c4\"}"),
            "exactly five, no \"more\" line: {msg}"
        );
    }

    #[test]
    fn order_is_relative_and_says_what_broke_it() {
        let s = seen(&[(CREATED, false), ("\\x\\event\\other_thing", false), (FAILED, false)]);
        assert_eq!(check(&Expect::Order(&[CREATED, FAILED]), &s, other), Ok(()));
        assert_eq!(check(&Expect::Order(&[]), &s, other), Ok(()));
        // Each class is looked for after the one before: one event cannot count twice.
        let twice = check(&Expect::Order(&[FAILED, FAILED]), &s, other).unwrap_err();
        assert!(
            twice.contains(&format!("; {FAILED} was not triggered after {FAILED}.")),
            "{twice}"
        );
        assert_eq!(
            check(
                &Expect::Order(&[FAILED, "local_archiving\\event\\ARCHIVE_JOB_CREATED"]),
                &s,
                other
            )
            .unwrap_err(),
            "Expected \\local_archiving\\event\\archive_job_failed, \\local_archiving\\event\\ARCHIVE_JOB_CREATED to \
             be triggered in this order; \\local_archiving\\event\\ARCHIVE_JOB_CREATED was not triggered after \
             \\local_archiving\\event\\archive_job_failed.\nTrigger order:\n  #1 \
             \\local_archiving\\event\\archive_job_created\n  #2 \\x\\event\\other_thing\n  #3 \
             \\local_archiving\\event\\archive_job_failed"
        );
        assert!(check(&Expect::Order(&["\\a\\event\\b_c"]), &s, other)
            .unwrap_err()
            .contains("; \\a\\event\\b_c was not triggered.\nTrigger order:"));
    }
}
