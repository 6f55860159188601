//! The rules of the `create_from_*` factories: which factory makes which event, which
//! `other` keys a record provides, and that a record belongs to the event's component.

use crate::catalogue::{EventName, Factory, KeySpec};
use crate::error::{Result, Rule, ValidationError};
use crate::value::{canonical_int, Kind, Value};

/// The factory used must be the event family's.
pub fn check_factory(ev: &EventName, used: Factory) -> Result<()> {
    let right = ev.def.family.factory;
    if used == right {
        return Ok(());
    }
    Err(ValidationError::new(
        &*ev.eventname,
        "eventname",
        Rule::WrongFactory {
            method: used.method(),
            right: right.method(),
        },
    ))
}

/// A record naming its subplugin (`$task->archivingmod`, `$file->archivingstore`) must
/// name the event's. `got` is the record's value, None when absent. The record's field is
/// named like the plugin type (`archivingmod`), so `{field}_{got}` is its component.
pub fn check_record_component(ev: &EventName, got: Option<&[u8]>) -> Result<()> {
    let Some(field) = ev.def.family.record_component_field else {
        return Ok(());
    };
    let want = ev.plugin().unwrap_or_default();
    match got {
        Some(g) if g == want.as_bytes() => Ok(()),
        Some(g) => {
            let shown = std::str::from_utf8(g)
                .ok()
                .filter(|s| crate::catalogue::is_valid_plugin_name(s))
                .map_or_else(|| format!("{field} (an invalid name)"), |s| format!("{field}_{s}"));
            Err(ValidationError::new(
                &*ev.eventname,
                field,
                Rule::RecordMismatch {
                    expected: ev.component().to_string(),
                    got: shown,
                },
            ))
        }
        None => Err(ValidationError::new(&*ev.eventname, field, Rule::Required)),
    }
}

/// A record's `status` must be one the event allows (a job is COMPLETED when
/// archive_job_completed is triggered). `status` is the record's value, None when absent.
pub fn check_record_status<V: Value + ?Sized>(ev: &EventName, status: Option<&V>) -> Result<()> {
    let Some(set) = ev.def.record_status else { return Ok(()) };
    let err = |rule| ValidationError::new(&*ev.eventname, "status", rule);
    let got = match status.map(|v| v.kind()) {
        None | Some(Kind::Null) => return Err(err(Rule::Required)),
        Some(Kind::Int(i)) => Some(i),
        Some(Kind::Str(s)) => canonical_int(s),
        Some(_) => None,
    };
    match got {
        Some(i) if set.contains(i) => Ok(()),
        Some(i) => Err(err(Rule::NotInSet {
            allowed: set.describe(),
            got: i,
        })),
        None => Err(err(Rule::Invalid {
            expected: "an integer status".into(),
        })),
    }
}

/// A key the record provides cannot also be passed by the caller: the record is the truth.
/// `derived` and `caller` are the two `other` arrays before they are merged.
pub fn check_caller_keys<V: Value + ?Sized>(ev: &EventName, derived: &V, caller: Option<&V>) -> Result<()> {
    let given = |v: &V, key: &str| v.get(key).is_some_and(|x| x.kind() != Kind::Null);
    for spec in ev.def.other {
        if given(derived, spec.key) && caller.is_some_and(|c| given(c, spec.key)) {
            let column = spec.from.unwrap_or("forwarded event");
            return Err(ValidationError::new(
                &*ev.eventname,
                format!("other.{}", spec.key),
                Rule::Derived { column },
            ));
        }
    }
    Ok(())
}

/// create_from_event: the user a transmission is about is the forwarded event's related
/// user, else its actor.
pub fn forwarded_user<'v, V: Value + ?Sized>(relateduserid: Option<&'v V>, userid: Option<&'v V>) -> Option<&'v V> {
    relateduserid.filter(|v| v.kind() != Kind::Null).or(userid)
}

/// The `other` keys a factory fills from the record.
pub fn derived_keys(ev: &EventName) -> impl Iterator<Item = &'static KeySpec> {
    ev.def.other.iter().filter(|k| k.from.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::resolve;

    #[test]
    fn factory_must_fit_the_family() {
        let ev = resolve("\\archivingmod_quiz\\event\\task_completed").unwrap();
        assert!(check_factory(&ev, Factory::Task).is_ok());
        let e = check_factory(&ev, Factory::Job).unwrap_err();
        assert_eq!(e.to_string(), "\\archivingmod_quiz\\event\\task_completed: eventname: create_from_job() cannot make this event; use create_from_task()");
    }

    #[test]
    fn record_must_name_the_events_subplugin() {
        let ev = resolve("\\archivingmod_assign\\event\\task_completed").unwrap();
        assert!(check_record_component(&ev, Some(b"assign")).is_ok());
        let e = check_record_component(&ev, Some(b"quiz")).unwrap_err();
        assert_eq!(e.field, "archivingmod");
        assert!(
            e.to_string().ends_with(
                "the record belongs to archivingmod_quiz, not to this event's component archivingmod_assign"
            ),
            "{e}"
        );
        let e = check_record_component(&ev, Some(b"Bad Name")).unwrap_err();
        assert!(e.to_string().contains("archivingmod (an invalid name)"), "{e}");
        assert_eq!(check_record_component(&ev, None).unwrap_err().rule, Rule::Required);
        // Job records name no subplugin.
        let ev = resolve("\\archivingstore_s3\\event\\write_task_completed").unwrap();
        assert!(check_record_component(&ev, None).is_ok());
        let ev = resolve("\\archivingstore_s3\\event\\read_task_completed").unwrap();
        assert!(check_record_component(&ev, Some(b"localdir"))
            .unwrap_err()
            .to_string()
            .contains("archivingstore_localdir"));
        let keys: Vec<&str> = derived_keys(&resolve("\\archivingmod_quiz\\event\\task_updated").unwrap())
            .map(|k| k.key)
            .collect();
        assert_eq!(keys, ["jobid", "progress", "status"]);
    }

    #[test]
    fn the_caller_cannot_contradict_the_record() {
        use serde_json::json;
        let ev = resolve("\\local_archiving\\event\\archive_job_failed").unwrap();
        let derived = json!({"status": 240});
        assert!(check_caller_keys(&ev, &derived, Some(&json!({"cause": "x"}))).is_ok());
        assert!(check_caller_keys(&ev, &json!({}), Some(&json!({"status": 240}))).is_ok());
        let e = check_caller_keys(&ev, &derived, Some(&json!({"status": 200}))).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: other.status: comes from the record's status, so it must not be passed",
                ev.eventname
            )
        );
    }

    #[test]
    fn record_status_must_fit_the_event() {
        use serde_json::json;
        let ev = resolve("\\archivingmod_quiz\\event\\task_completed").unwrap();
        assert!(check_record_status(&ev, Some(&json!("220"))).is_ok());
        let e = check_record_status(&ev, Some(&json!(100))).unwrap_err();
        assert_eq!(e.field, "status");
        assert!(e.to_string().ends_with("must be one of 220 (FINISHED); got 100"), "{e}");
        assert_eq!(
            check_record_status(&ev, None::<&serde_json::Value>).unwrap_err().rule,
            Rule::Required
        );
        let created = resolve("\\archivingmod_quiz\\event\\task_created").unwrap();
        assert!(check_record_status(&created, None::<&serde_json::Value>).is_ok());
    }
}
