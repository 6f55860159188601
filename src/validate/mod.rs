//! Validation of Moodle `create()` data and of `other` against the catalogue. Generic
//! over [`Value`], so PHP arrays are checked in place. Errors never echo a string value.
//! Cut by responsibility: [`limits`], [`secrets`], [`header`], [`snapshot`], [`other`].

mod header;
mod limits;
mod other;
mod secrets;
mod snapshot;

pub use header::*;
pub use limits::*;
pub use other::*;
pub use secrets::*;
pub use snapshot::*;

/// `b` as UTF-8 text.
pub fn utf8(b: &[u8]) -> Option<&str> {
    std::str::from_utf8(b).ok()
}

/// Is `b` UTF-8? The common all-ASCII case is answered inline, without the decoder.
#[inline]
pub fn is_utf8(b: &[u8]) -> bool {
    b.is_ascii() || std::str::from_utf8(b).is_ok()
}

#[cfg(test)]
mod tests {
    use super::secrets::SHORTEST_MARKER;
    use super::*;
    use crate::catalogue::resolve;
    use crate::catalogue::EventName;
    use crate::error::{Rule, ValidationError};
    use serde_json::{json, Value as J};

    fn ev(name: &str) -> EventName {
        resolve(name).unwrap()
    }

    fn other_err(name: &str, other: J) -> ValidationError {
        validate_other(&ev(name), Some(&other), None, Limits::default()).unwrap_err()
    }

    const FAILED: &str = "\\local_archiving\\event\\archive_job_failed";
    const TASK: &str = "\\archivingmod_quiz\\event\\task_created";

    #[test]
    fn context_keys() {
        let e = ev(FAILED);
        let arg = |data: J| {
            let input = split_create_data(&e, &data).map(|i| context_arg(&e, &i).map(|a| format!("{a:?}")));
            input.and_then(|r| r).map_err(|err| (err.field, err.rule))
        };
        assert_eq!(arg(json!({"contextid": "5"})), Ok("Id(5)".into()));
        assert_eq!(arg(json!({"contextid": null})), Ok("Missing".into()));
        assert!(matches!(arg(json!({"context": 5})), Err((f, Rule::WrongType { .. })) if f == "context"));
        assert!(
            matches!(arg(json!({"context": {}, "contextid": 5})), Err((f, Rule::NotAllowed { .. })) if f == "context")
        );
        assert!(matches!(arg(json!({"contextid": "x"})), Err((f, Rule::Invalid { .. })) if f == "contextid"));
    }

    #[test]
    fn snapshot_values() {
        let e = ev(FAILED);
        let ok = |v: J| check_snapshot_value(&e, b"c", &v, Limits::default());
        assert!(ok(json!({"a": [1, "x", null, 1.5]})).is_ok());
        let mut deep = json!(1);
        for _ in 0..40 {
            deep = json!([deep]);
        }
        assert!(matches!(ok(deep).unwrap_err().rule, Rule::TooDeep { .. }));
        let e2 = check_snapshot_value(&e, b"\xff", &json!(1), Limits::default()).unwrap_err();
        assert_eq!(e2.rule, Rule::InvalidUtf8);
    }

    #[test]
    fn snapshot_columns() {
        assert_eq!(snapshot_column(b"status"), SnapshotColumn::Keep);
        assert_eq!(snapshot_column(b"wstoken"), SnapshotColumn::Redact);
        assert_eq!(snapshot_column(b"\0*\0hidden"), SnapshotColumn::Drop);
    }

    #[test]
    fn secret_keys() {
        for k in [
            "wstoken",
            "token",
            "Password",
            "client_secret",
            "APIKEY",
            "db_passwd",
            "api_key",
            "x_PRIVATEKEY",
            "Private_Key_2",
            "credentials",
            "secret",
            "key",
            "ssh_KEY",
            "_key",
            "user_passphrase",
            "Authorization",
            "sessionCookie",
            "MoodleSessKey",
            "aws_accesskey",
            "privkey",
        ] {
            assert!(is_secret_key(k.as_bytes()), "{k}");
        }
        // Every marker, in any case, anywhere in a key.
        assert!(SECRET_MARKERS.iter().any(|m| m.len() == SHORTEST_MARKER));

        for m in SECRET_MARKERS {
            assert!(m.len() >= SHORTEST_MARKER, "{m}");
            for k in [m.to_string(), m.to_uppercase(), format!("my_{m}_1")] {
                assert!(is_secret_key(k.as_bytes()), "{k}");
            }
        }
        for k in [
            "cause", "jobid", "status", "settings", "pass", "filekey", "keyword", "monkey",
        ] {
            assert!(!is_secret_key(k.as_bytes()), "{k}");
        }
    }

    #[test]
    fn accepts_a_valid_other() {
        let fx = validate_other(
            &ev(FAILED),
            Some(&json!({"cause": "disk full", "status": 240})),
            None,
            Limits::default(),
        );
        assert_eq!(fx, Ok(vec![]));
        let task = json!({"jobid": 3, "activity": {"cmid": 5, "modname": "quiz", "instanceid": 9, "name": "Q1"},
                          "settings": {"attempts": [1, 2], "paper": "A4", "x": null}});
        assert_eq!(
            validate_other(&ev(TASK), Some(&task), None, Limits::default()),
            Ok(vec![])
        );
    }

    #[test]
    fn other_is_bounded_by_its_json_size_never_undercounted() {
        let cases = [
            (FAILED, json!({"cause": "disk full", "status": 240})),
            (FAILED, json!({"cause": "disk full", "status": null})),
            (
                TASK,
                json!({"jobid": 3, "activity": {"cmid": 5, "modname": "quiz", "instanceid": 9, "name": "Q1"},
                       "settings": {"attempts": [1, 2], "paper": "A4", "x": null, "y": [[true, false], {"z": -1}]}}),
            ),
            (
                "\\archivingevent_apistub\\event\\transmission_completed",
                json!({"eventname": "\\local_archiving\\event\\archive_job_completed",
                       "metadata": {"ok": true, "n": null, "list": ["a", "b"], "deep": {"k": {"j": 12345}}}}),
            ),
        ];
        for (name, other) in cases {
            // Escapes are not counted: the JSON text with `\\` read as one byte.
            let exact = serde_json::to_string(&other).unwrap().replace("\\\\", "\\").len();
            let limits = |max| Limits {
                max_other_bytes: max,
                ..Limits::default()
            };
            assert_eq!(
                validate_other(&ev(name), Some(&other), None, limits(exact * 2)),
                Ok(vec![]),
                "{name}"
            );
            // The estimate is that JSON with every free-form list written as an object
            // (PHP's int keys) plus one byte per non-empty array (a comma after its last
            // entry): the smallest limit that passes is exactly that, so nothing is counted
            // twice and a size equal to the limit is allowed.
            fn containers(v: &J) -> usize {
                match v {
                    J::Object(m) => usize::from(!m.is_empty()) + m.values().map(containers).sum::<usize>(),
                    J::Array(a) => usize::from(!a.is_empty()) + a.iter().map(containers).sum::<usize>(),
                    _ => 0,
                }
            }
            fn keyed(v: &J) -> J {
                match v {
                    J::Array(a) => J::Object(a.iter().enumerate().map(|(i, x)| (i.to_string(), keyed(x))).collect()),
                    J::Object(m) => J::Object(m.iter().map(|(k, x)| (k.clone(), keyed(x))).collect()),
                    x => x.clone(),
                }
            }
            let estimate = serde_json::to_string(&keyed(&other))
                .unwrap()
                .replace("\\\\", "\\")
                .len()
                + containers(&other);
            let smallest =
                (exact..=exact * 2).find(|&max| validate_other(&ev(name), Some(&other), None, limits(max)).is_ok());
            assert_eq!(smallest, Some(estimate), "{name}");
            let e = validate_other(&ev(name), Some(&other), None, limits(exact - 1)).unwrap_err();
            assert_eq!(
                (e.field.as_str(), &e.rule),
                ("other", &Rule::TooBig { max: exact - 1 }),
                "{name}"
            );
            assert!(e.to_string().ends_with(&format!(
                "other: is larger than {} bytes as JSON (moodle_events.max_other_bytes)",
                exact - 1
            )));
        }
        // The default: 64 KiB. A long string in free-form settings is refused, not echoed.
        let big = json!({"jobid": 3, "activity": {"cmid": 5, "modname": "quiz", "instanceid": 9},
                         "settings": {"note": "x".repeat(70_000)}});
        let e = validate_other(&ev(TASK), Some(&big), None, Limits::default()).unwrap_err();
        assert_eq!(e.rule, Rule::TooBig { max: 65_536 });
        assert!(!e.to_string().contains("xxxx"));
    }

    #[test]
    fn limits_are_set_from_ini_text_within_their_range() {
        let mut l = Limits::default();
        assert_eq!(
            (l.max_depth, l.max_other_bytes, l.max_sink_events),
            (32, 65_536, 1_000_000)
        );
        l.set("moodle_events.max_depth", b" 64 ").unwrap();
        l.set("moodle_events.max_other_bytes", b"1024").unwrap();
        l.set("moodle_events.max_sink_events", b"10").unwrap();
        assert_eq!((l.max_depth, l.max_other_bytes, l.max_sink_events), (64, 1024, 10));
        for (name, bad) in [
            ("moodle_events.max_depth", &b"0"[..]),
            ("moodle_events.max_depth", b"513"),
            ("moodle_events.max_depth", b"-1"),
            ("moodle_events.max_depth", b"1e3"),
            ("moodle_events.max_depth", b""),
            ("moodle_events.max_other_bytes", b"255"),
            ("moodle_events.max_sink_events", b"99999999999999999999999"),
            ("moodle_events.max_sink_events", b"\xff"),
        ] {
            let e = l.set(name, bad).unwrap_err();
            assert!(e.starts_with(&format!("{name} must be an integer from ")), "{e}");
        }
        assert_eq!(
            (l.max_depth, l.max_other_bytes, l.max_sink_events),
            (64, 1024, 10),
            "unchanged"
        );
        assert!(l.set("moodle_events.nope", b"1").is_err());
        // Every setting's default lies in its range, and max_depth stays within json_encode()'s.
        for s in &SETTINGS {
            assert!((s.min..=s.max).contains(&s.default), "{}", s.name);
        }
        assert!(
            SETTINGS[0].max + 2 <= 512,
            "json_encode() of a list of events must work"
        );
    }

    #[test]
    fn readme_and_security_md_list_every_secret_marker() {
        for file in ["README.md", "SECURITY.md"] {
            let doc = std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
            for m in SECRET_MARKERS.iter().chain(&["key", "…_key"]) {
                assert!(doc.contains(&format!("`{m}`")), "{file} does not list `{m}`");
            }
        }
    }

    #[test]
    fn the_default_userid_is_an_int_or_nothing() {
        let e = ev(FAILED);
        assert_eq!(userid_from(&e, None::<&J>), Ok(0));
        assert_eq!(userid_from(&e, Some(&J::Null)), Ok(0));
        assert_eq!(userid_from(&e, Some(&json!(5))), Ok(5));
        assert_eq!(userid_from(&e, Some(&json!("12"))), Ok(12));
        for bad in [
            json!("012"),
            json!("1.0"),
            json!(" 7"),
            json!(1.0),
            json!(true),
            json!([1]),
            json!("abc"),
        ] {
            let err = userid_from(&e, Some(&bad)).unwrap_err();
            assert_eq!(err.field, "userid", "{bad}");
            assert!(err
                .to_string()
                .contains("must be an int (the default userid is $USER->id), got "));
        }
    }

    #[test]
    fn security_md_documents_every_setting_as_it_is() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/SECURITY.md")).unwrap();
        for s in &SETTINGS {
            let row = format!("| `{}` | {} | {}–{} |", s.name, s.default, s.min, s.max);
            assert!(doc.contains(&row), "SECURITY.md lacks the row {row}");
        }
    }

    #[test]
    fn normalises_canonical_int_strings_in_other() {
        let task = json!({"jobid": "3", "activity": {"cmid": "5", "modname": "quiz", "instanceid": 9}, "settings": []});
        let fx = validate_other(&ev(TASK), Some(&task), None, Limits::default()).unwrap();
        assert_eq!(
            fx,
            vec![
                Fixup {
                    path: vec!["jobid"],
                    value: 3
                },
                Fixup {
                    path: vec!["activity", "cmid"],
                    value: 5
                }
            ]
        );
        let e = other_err(
            TASK,
            json!({"jobid": "03", "activity": {"cmid": 5, "modname": "quiz", "instanceid": 9}, "settings": []}),
        );
        assert_eq!(e.field, "other.jobid");
    }

    #[test]
    fn every_other_rule_breaks_with_a_named_field() {
        type Case = (&'static str, J, &'static str, fn(&Rule) -> bool);
        let cases: Vec<Case> = vec![
            (FAILED, json!({}), "other.cause", |r| *r == Rule::Required),
            (FAILED, json!({"cause": ""}), "other.cause", |r| *r == Rule::Empty),
            (FAILED, json!({"cause": 5}), "other.cause", |r| {
                matches!(r, Rule::WrongType { got: "int", .. })
            }),
            (FAILED, json!({"cause": "x".repeat(1025)}), "other.cause", |r| {
                matches!(r, Rule::TooLong { .. })
            }),
            (FAILED, json!({"cause": "x", "status": 100}), "other.status", |r| {
                matches!(r, Rule::NotInSet { got: 100, .. })
            }),
            (FAILED, json!({"cause": "x", "colour": 1}), "other.colour", |r| {
                matches!(r, Rule::UnknownOtherKey { .. })
            }),
            (FAILED, json!({"cause": "x", "wstoken": "abc"}), "other.wstoken", |r| {
                *r == Rule::Secret
            }),
            (FAILED, json!({"cause": "x", "0": 1}), "other.0", |r| {
                matches!(r, Rule::UnknownOtherKey { .. })
            }),
            (
                TASK,
                json!({"jobid": 0, "activity": {}, "settings": {}}),
                "other.jobid",
                |r| matches!(r, Rule::TooSmall { .. }),
            ),
            (
                TASK,
                json!({"jobid": 1, "activity": {"cmid": 1, "modname": "quiz"}, "settings": {}}),
                "other.activity.instanceid",
                |r| *r == Rule::Required,
            ),
            (
                TASK,
                json!({"jobid": 1, "activity": {"cmid": 1, "modname": "Quiz!", "instanceid": 1}, "settings": {}}),
                "other.activity.modname",
                |r| matches!(r, Rule::BadFormat { .. }),
            ),
            (
                TASK,
                json!({"jobid": 1, "activity": "quiz", "settings": {}}),
                "other.activity",
                |r| matches!(r, Rule::WrongType { .. }),
            ),
            (
                TASK,
                json!({"jobid": 1, "activity": {"cmid": 1, "modname": "quiz", "instanceid": 1}, "settings": {"a": {"Token": "s3cr3t"}}}),
                "other.settings.a.Token",
                |r| *r == Rule::Secret,
            ),
            (
                "\\archivingmod_quiz\\event\\task_updated",
                json!({"jobid": 1, "updatedfields": []}),
                "other.updatedfields",
                |r| *r == Rule::Empty,
            ),
            (
                "\\archivingmod_quiz\\event\\task_updated",
                json!({"jobid": 1, "updatedfields": ["nope"]}),
                "other.updatedfields[0]",
                |r| matches!(r, Rule::NotAColumn { .. }),
            ),
            (
                "\\archivingmod_quiz\\event\\task_updated",
                json!({"jobid": 1, "updatedfields": {"a": "status"}}),
                "other.updatedfields",
                |r| *r == Rule::NotAList,
            ),
            (
                "\\archivingmod_quiz\\event\\task_updated",
                json!({"jobid": 1, "updatedfields": ["status"], "progress": 101}),
                "other.progress",
                |r| matches!(r, Rule::TooLarge { max: 100, .. }),
            ),
            (
                "\\archivingstore_s3\\event\\write_task_completed",
                json!({"jobid": 1, "source": {}, "destination": {"filehandleid": 2, "sha256sum": "xyz"}}),
                "other.destination.sha256sum",
                |r| matches!(r, Rule::BadFormat { .. }),
            ),
            (
                "\\archivingevent_apistub\\event\\transmission_completed",
                json!({"eventname": "not a class"}),
                "other.eventname",
                |r| matches!(r, Rule::BadFormat { .. }),
            ),
        ];
        for (name, other, field, rule) in cases {
            let e = other_err(name, other.clone());
            assert_eq!(e.field, field, "{name} {other}: {e}");
            assert!(rule(&e.rule), "{name} {other}: {e}");
            assert_eq!(e.eventname, name);
        }
    }

    #[test]
    fn other_must_be_an_array_and_required_keys_need_it() {
        let e = validate_other(&ev(FAILED), None::<&J>, None, Limits::default()).unwrap_err();
        assert_eq!(e.field, "other.cause");
        let e = other_err(FAILED, json!("cause"));
        assert_eq!(
            (e.field.as_str(), &e.rule),
            (
                "other",
                &Rule::WrongType {
                    expected: "array",
                    got: "string"
                }
            )
        );
        let done = ev("\\local_archiving\\event\\archive_job_completed");
        assert_eq!(validate_other(&done, None::<&J>, None, Limits::default()), Ok(vec![]));
        assert_eq!(
            validate_other(&done, Some(&J::Null), None, Limits::default()),
            Ok(vec![])
        );
    }

    #[test]
    fn write_task_jobid_is_its_objectid() {
        let w = ev("\\archivingstore_s3\\event\\write_task_failed");
        let other = json!({"jobid": "12", "cause": "x"});
        assert!(validate_other(&w, Some(&other), Some(12), Limits::default()).is_ok());
        let e = validate_other(&w, Some(&other), Some(13), Limits::default()).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.rule),
            ("other.jobid", Rule::NotObjectid { objectid: 13, got: 12 })
        );
        // An int is compared the same way.
        let int = json!({"jobid": 12, "cause": "x"});
        assert!(validate_other(&w, Some(&int), Some(12), Limits::default()).is_ok());
        let e = validate_other(&w, Some(&int), Some(13), Limits::default()).unwrap_err();
        assert_eq!(e.rule, Rule::NotObjectid { objectid: 13, got: 12 });
    }

    #[test]
    fn ints_and_strings_at_their_bounds() {
        let updated = "\\archivingmod_quiz\\event\\task_updated";
        let progress = |p: J| {
            validate_other(
                &ev(updated),
                Some(&json!({"jobid": 1, "updatedfields": ["status"], "progress": p})),
                None,
                Limits::default(),
            )
        };
        assert_eq!(progress(json!(100)), Ok(vec![]), "the maximum itself");
        assert_eq!(progress(json!(0)), Ok(vec![]), "the minimum itself");
        assert_eq!(
            progress(json!(101)).unwrap_err().rule,
            Rule::TooLarge { max: 100, got: 101 }
        );
        assert_eq!(
            progress(json!(-1)).unwrap_err().rule,
            Rule::TooSmall { min: 0, got: -1 }
        );
        let cause = |c: String| validate_other(&ev(FAILED), Some(&json!({"cause": c})), None, Limits::default());
        assert_eq!(cause("x".repeat(1024)), Ok(vec![]), "1024 characters");
        assert_eq!(cause("é".repeat(1024)), Ok(vec![]), "1024 characters of 2 bytes each");
        assert_eq!(
            cause("x".repeat(1025)).unwrap_err().rule,
            Rule::TooLong { max: 1024, len: 1025 }
        );
        assert_eq!(
            cause("é".repeat(1025)).unwrap_err().rule,
            Rule::TooLong { max: 1024, len: 1025 }
        );
        assert_eq!(cause("é".repeat(600)), Ok(vec![]), "1200 bytes, 600 characters");
    }

    #[test]
    fn depth_is_bounded_and_secrets_are_never_echoed() {
        let mut deep = json!(1);
        for _ in 0..40 {
            deep = json!([deep]);
        }
        let e = other_err(
            "\\archivingevent_apistub\\event\\transmission_completed",
            json!({"eventname": "\\a_b\\event\\c_d", "metadata": deep}),
        );
        assert!(matches!(e.rule, Rule::TooDeep { max: 32 }), "{e}");
        assert_eq!(e.field, "other.metadata");
        let e = other_err(FAILED, json!({"cause": "x", "password": "hunter2"}));
        assert!(!e.to_string().contains("hunter2"));
        let e = other_err(FAILED, json!({"cause": ["hunter2"]}));
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn create_data_keys() {
        let e = ev(FAILED);
        let data = json!({"objectid": "7", "contextid": 5, "other": {"cause": "x"}, "anonymous": 1});
        let input = split_create_data(&e, &data).unwrap();
        let ctx = ContextInfo {
            id: 5,
            ..Default::default()
        };
        let h = check_header(&e, &input, Some(ctx), 42).unwrap();
        assert_eq!(h.objectid, Some(7));
        assert_eq!(h.userid, 42);
        assert!(h.anonymous);
        assert_eq!(h.courseid, 0);
        assert_eq!(h.relateduserid, None);
        let in_course = ContextInfo {
            id: 5,
            level: Some(70),
            instanceid: Some(3),
            courseid: Some(4),
        };
        let data = json!({"objectid": 7, "courseid": 9});
        let e9 = check_header(&e, &split_create_data(&e, &data).unwrap(), Some(in_course), 0).unwrap_err();
        assert_eq!(
            e9.to_string(),
            format!("{}: courseid: must be the context's course 4, got 9", e.eventname)
        );
        let data = json!({"objectid": 7, "courseid": "4"});
        assert_eq!(
            check_header(&e, &split_create_data(&e, &data).unwrap(), Some(in_course), 0)
                .unwrap()
                .courseid,
            4
        );
        let user_ctx = ContextInfo {
            id: 5,
            level: Some(CONTEXT_USER),
            instanceid: Some(77),
            courseid: None,
        };
        assert_eq!(
            check_header(&e, &input, Some(user_ctx), 42).unwrap().relateduserid,
            Some(77)
        );
        for (data, field, rule) in [
            (json!({"crud": "c"}), "crud", Rule::Reserved),
            (json!({"timecreated": 1}), "timecreated", Rule::Reserved),
            (json!({"colour": 1}), "colour", Rule::UnknownCreateKey),
            (json!({"0": 1}), "0", Rule::UnknownCreateKey),
        ] {
            let err = split_create_data(&e, &data).unwrap_err();
            assert_eq!((err.field.as_str(), err.rule), (field, rule));
        }
        let check = |data: J, ctx: Option<ContextInfo>| {
            let input = split_create_data(&e, &data).unwrap();
            check_header(&e, &input, ctx, 0).unwrap_err()
        };
        assert_eq!(check(json!({}), Some(ctx)).field, "objectid");
        assert_eq!(check(json!({"objectid": 1}), None).rule, Rule::ContextRequired);
        assert_eq!(
            check(json!({"objectid": 1}), Some(ContextInfo { id: 0, ..ctx })).field,
            "contextid"
        );
        assert_eq!(check(json!({"objectid": "1.5"}), Some(ctx)).field, "objectid");
        assert_eq!(
            check(json!({"objectid": 1, "userid": "bob"}), Some(ctx)).field,
            "userid"
        );
        assert_eq!(
            check(json!({"objectid": 1, "anonymous": 2}), Some(ctx)).field,
            "anonymous"
        );
        assert_eq!(
            check(json!({"objectid": 1, "courseid": [1]}), Some(ctx)).field,
            "courseid"
        );
        let t = ev("\\archivingevent_apistub\\event\\transmission_failed");
        let data = json!({"objectid": 1});
        let input = split_create_data(&t, &data).unwrap();
        assert!(matches!(
            check_header(&t, &input, Some(ctx), 0).unwrap_err().rule,
            Rule::NotAllowed { .. }
        ));
    }

    use crate::value::test_value::Raw;
    use crate::value::{Key, Kind};

    #[test]
    fn a_snapshot_keeps_no_float_that_is_not_finite() {
        let e = ev(FAILED);
        let limits = Limits::default();
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let err = check_snapshot_value(&e, b"size", &Raw::F(bad), limits).unwrap_err();
            assert_eq!(
                (err.field.as_str(), err.rule),
                ("snapshot.size", Rule::NotFinite),
                "{bad}"
            );
            let nested = Raw::A(vec![Raw::F(1.0), Raw::A(vec![Raw::F(bad)])]);
            assert_eq!(
                check_snapshot_value(&e, b"size", &nested, limits).unwrap_err().rule,
                Rule::NotFinite
            );
        }
        for fine in [0.0, -1.5, f64::MAX, f64::MIN_POSITIVE] {
            assert_eq!(
                check_snapshot_value(&e, b"size", &Raw::F(fine), limits),
                Ok(()),
                "{fine}"
            );
        }
        // Nor in other's free-form arrays.
        let t = ev("\\archivingevent_apistub\\event\\transmission_completed");
        let other = |v| {
            Raw::O(vec![
                ("eventname", Raw::S("\\core\\event\\course_viewed")),
                ("metadata", Raw::O(vec![("ratio", v)])),
            ])
        };
        assert_eq!(validate_other(&t, Some(&other(Raw::F(0.5))), None, limits), Ok(vec![]));
        let err = validate_other(&t, Some(&other(Raw::F(f64::INFINITY))), None, limits).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.rule),
            ("other.metadata.ratio", Rule::NotFinite)
        );
    }

    #[test]
    fn ids_at_their_boundaries() {
        let e = ev(FAILED);
        let ctx = ContextInfo {
            id: 5,
            ..Default::default()
        };
        let header = |data: J| check_header(&e, &split_create_data(&e, &data).unwrap(), Some(ctx), 0);
        for (data, field, rule) in [
            (json!({"objectid": 0}), "objectid", Rule::TooSmall { min: 1, got: 0 }),
            (json!({"objectid": -5}), "objectid", Rule::TooSmall { min: 1, got: -5 }),
            (
                json!({"objectid": 1, "userid": -2}),
                "userid",
                Rule::TooSmall { min: -1, got: -2 },
            ),
            (
                json!({"objectid": 1, "relateduserid": -2}),
                "relateduserid",
                Rule::TooSmall { min: -1, got: -2 },
            ),
            (
                json!({"objectid": 1, "courseid": -1}),
                "courseid",
                Rule::TooSmall { min: 0, got: -1 },
            ),
        ] {
            let err = header(data).unwrap_err();
            assert_eq!((err.field.as_str(), err.rule), (field, rule));
        }
        let h = header(json!({"objectid": 1, "userid": -1, "relateduserid": -1, "courseid": 0})).unwrap();
        assert_eq!(
            (h.objectid, h.userid, h.relateduserid, h.courseid),
            (Some(1), -1, Some(-1), 0)
        );
        assert_eq!(
            check_header(
                &e,
                &split_create_data(&e, &json!({"objectid": 1})).unwrap(),
                Some(ContextInfo { id: -3, ..ctx }),
                0
            )
            .unwrap_err()
            .rule,
            Rule::TooSmall { min: 1, got: -3 }
        );
    }

    #[test]
    fn the_json_size_of_an_int_is_its_digits() {
        for i in [
            0,
            1,
            9,
            10,
            99,
            100,
            999,
            1000,
            -1,
            -9,
            -10,
            -100,
            i64::MAX,
            i64::MIN,
            1 << 40,
        ] {
            assert_eq!(limits::json_size(&Kind::Int(i)), i.to_string().len(), "{i}");
            assert_eq!(limits::key_size(&Key::Int(i)), i.to_string().len() + 4, "{i}");
        }
        for (kind, len) in [
            (Kind::Null, 4),
            (Kind::Bool(true), 4),
            (Kind::Bool(false), 5),
            (Kind::Str(b"abc"), 5),
            (Kind::Array, 2),
            (Kind::Float(1.5), 24),
        ] {
            assert_eq!(limits::json_size(&kind), len, "{kind:?}");
        }
        assert_eq!(limits::key_size(&Key::Str(b"cause")), 9);
    }

    #[test]
    fn a_context_is_an_object_or_an_id() {
        let e = ev(FAILED);
        let arg = |data: &Raw| context_arg(&e, &split_create_data(&e, data).unwrap()).map(|a| format!("{a:?}"));
        assert!(arg(&Raw::O(vec![("context", Raw::Obj)]))
            .unwrap()
            .starts_with("Object("));
        let err = arg(&Raw::O(vec![("context", Raw::S("5"))])).unwrap_err();
        assert_eq!(err.field, "context");
        assert!(
            err.to_string()
                .ends_with("must be a context object (or pass contextid), got string"),
            "{err}"
        );
        let both = arg(&Raw::O(vec![("context", Raw::Obj), ("contextid", Raw::S("5"))])).unwrap_err();
        assert!(matches!(both.rule, Rule::NotAllowed { .. }));
        assert_eq!(arg(&Raw::O(vec![("contextid", Raw::S("5"))])), Ok("Id(5)".into()));
        assert_eq!(arg(&Raw::O(vec![])), Ok("Missing".into()));
    }

    #[test]
    fn free_form_strings_and_keys_are_utf8() {
        let t = ev("\\archivingevent_apistub\\event\\transmission_completed");
        let other = |metadata| {
            Raw::O(vec![
                ("eventname", Raw::S("\\core\\event\\course_viewed")),
                ("metadata", metadata),
            ])
        };
        let limits = Limits::default();
        assert_eq!(
            validate_other(
                &t,
                Some(&other(Raw::O(vec![("note", Raw::B(b"caf\xc3\xa9"))]))),
                None,
                limits
            ),
            Ok(vec![])
        );
        let err = validate_other(
            &t,
            Some(&other(Raw::O(vec![("note", Raw::B(b"caf\xe9"))]))),
            None,
            limits,
        )
        .unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.rule),
            ("other.metadata.note", Rule::InvalidUtf8)
        );
        let err = validate_other(&t, Some(&other(Raw::A(vec![Raw::B(b"\xff")]))), None, limits).unwrap_err();
        assert_eq!((err.field.as_str(), err.rule), ("other.metadata.0", Rule::InvalidUtf8));
    }

    #[test]
    fn the_related_user_defaults_to_a_user_contexts_user_only() {
        let e = ev(FAILED);
        let data = json!({"objectid": 1});
        let input = split_create_data(&e, &data).unwrap();
        let at = |level| ContextInfo {
            id: 5,
            level: Some(level),
            instanceid: Some(77),
            courseid: None,
        };
        assert_eq!(
            check_header(&e, &input, Some(at(CONTEXT_USER)), 0)
                .unwrap()
                .relateduserid,
            Some(77)
        );
        for level in [10, 40, 50, 70] {
            assert_eq!(
                check_header(&e, &input, Some(at(level)), 0).unwrap().relateduserid,
                None,
                "{level}"
            );
        }
    }
}
