//! The `create_from_*` factories as one pure function over a record: which factory makes
//! which event, which columns it reads (declared per factory in the catalogue's
//! `factories`, and per `other` key with `from`), that a record belongs to the event's
//! component and has a status the event allows, and how the record's `other` keys and
//! the caller's merge. The binding only hands in a column reader and converts.

use crate::catalogue::{EventName, Factory, KeySpec};
use crate::error::{Result, Rule, ValidationError};
use crate::validate::{int_field, ContextInfo};
use crate::value::{canonical_int, Key, Kind, Value};

/// What a factory read from its record, in values of the record's own kind.
#[derive(Debug)]
pub struct FromRecord<V> {
    pub objectid: Option<V>,
    pub contextid: Option<V>,
    /// The context in full, when the record declares and has it: used without a lookup.
    pub context: Option<ContextInfo>,
    pub relateduserid: Option<V>,
    pub courseid: Option<V>,
    /// The `other` keys the record gives (null ones left out), in the schema's order.
    pub derived: Vec<(&'static KeySpec, V)>,
    /// The record is a row of the objecttable, kept as the event's snapshot.
    pub snapshot: bool,
}

/// The extension's name for a factory's record parameter, as error fields name it
/// (`forwarded.contextid`).
pub fn record_param(factory: Factory) -> &'static str {
    match factory {
        Factory::Event => "forwarded",
        f => f.name(),
    }
}

/// Runs factory `used` for `ev` over a record whose columns `column` reads: the factory
/// must be the family's, the record must name the event's component and have a status
/// the event allows; then the columns the catalogue declares are read. A column that
/// is absent reads as None.
pub fn read_record<V, E>(
    ev: &EventName,
    used: Factory,
    mut column: impl FnMut(&str) -> std::result::Result<Option<V>, E>,
) -> std::result::Result<FromRecord<V>, E>
where
    V: Value,
    E: From<ValidationError>,
{
    check_factory(ev, used)?;
    let family = ev.def.family;
    let record = family.record;
    if let Some(field) = family.record_component_field {
        let got = column(field)?;
        check_record_component(ev, got.as_ref().and_then(str_bytes))?;
    }
    if let (Some(_), Some(col)) = (ev.def.record_status, record.status) {
        check_record_status(ev, col, column(col)?.as_ref())?;
    }
    let mut derived = Vec::with_capacity(ev.def.other.len());
    for spec in derived_keys(ev) {
        if let Some(v) = column(spec.from.unwrap_or_default())?.filter(|v| is_set(v)) {
            derived.push((spec, v));
        }
    }
    let mut read = |col: Option<&str>| col.map_or(Ok(None), &mut column);
    let objectid = read(record.objectid)?;
    let (contextid, context) = read_context(ev, used, &mut read)?;
    let courseid = read(record.courseid)?;
    // The first column that is set; else the last one as it was.
    let mut relateduserid = None;
    for col in record.relateduserid {
        relateduserid = read(Some(col))?;
        if relateduserid.as_ref().is_some_and(|v| is_set(v)) {
            break;
        }
    }
    Ok(FromRecord {
        objectid,
        contextid,
        context,
        relateduserid,
        courseid,
        derived,
        snapshot: family.reads_row(),
    })
}

/// The record's context: in full (id, level, instance) when the record declares and has
/// it, so none is looked up; else its contextid as it is.
fn read_context<V, E>(
    ev: &EventName,
    used: Factory,
    read: &mut impl FnMut(Option<&str>) -> std::result::Result<Option<V>, E>,
) -> std::result::Result<(Option<V>, Option<ContextInfo>), E>
where
    V: Value,
    E: From<ValidationError>,
{
    let record = ev.def.family.record;
    let (Some(id), Some(level), Some(instance)) = (record.contextid, record.contextlevel, record.contextinstanceid)
    else {
        return Ok((read(record.contextid)?, None));
    };
    let param = record_param(used);
    let mut int = |col: &str| -> std::result::Result<Option<i64>, E> {
        let v = read(Some(col))?;
        match v.as_ref().map(Value::kind) {
            None | Some(Kind::Null) => Ok(None),
            Some(Kind::Int(i)) => Ok(Some(i)),
            // The field's name is made only for what may fail (or be a numeric string).
            Some(_) => Ok(int_field(ev, &format!("{param}.{col}"), v.as_ref())?),
        }
    };
    Ok(match (int(id)?, int(level)?) {
        (Some(id), Some(level)) => {
            let context = ContextInfo {
                id,
                level: Some(level),
                instanceid: int(instance)?,
                courseid: None,
            };
            (None, Some(context))
        }
        _ => (read(Some(id))?, None),
    })
}

fn is_set<V: Value + ?Sized>(v: &V) -> bool {
    v.kind() != Kind::Null
}

fn str_bytes<V: Value + ?Sized>(v: &V) -> Option<&[u8]> {
    match v.kind() {
        Kind::Str(b) => Some(b),
        _ => None,
    }
}

/// `other` as a factory makes it: every schema key in the schema's order, the record's
/// value else the caller's; then the caller's keys the schema does not know (which
/// validation reports), in their order. A key the record gives cannot also be passed
/// by the caller: the record is the truth.
#[derive(Debug)]
pub struct Merged<'a, V: ?Sized> {
    pub known: Vec<(&'static str, &'a V)>,
    pub unknown: Vec<(Key<'a>, &'a V)>,
}

impl<V: ?Sized> Merged<'_, V> {
    /// Nothing given: `other` stays null, as in Moodle.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty() && self.unknown.is_empty()
    }
}

pub fn merge_other<'a, V: Value>(
    ev: &EventName,
    derived: &'a [(&'static KeySpec, V)],
    caller: Option<&'a V>,
) -> Result<Merged<'a, V>> {
    let given = |key: &str| caller.and_then(|c| c.get(key)).filter(|v| v.kind() != Kind::Null);
    if let Some((spec, _)) = derived.iter().find(|(spec, _)| given(spec.key).is_some()) {
        return Err(ValidationError::new(
            &*ev.eventname,
            format!("other.{}", spec.key),
            Rule::Derived {
                column: spec.from.unwrap_or_default(),
            },
        ));
    }
    let mut known = Vec::with_capacity(ev.def.other.len());
    for spec in ev.def.other {
        let mine = derived.iter().find(|(d, _)| std::ptr::eq(*d, spec)).map(|(_, v)| v);
        let theirs = caller.and_then(|c| c.get(spec.key)).filter(|v| v.kind() != Kind::Null);
        if let Some(v) = mine.or(theirs) {
            known.push((spec.key, v));
        }
    }
    let mut unknown = Vec::new();
    if let Some(caller) = caller {
        let _ = caller.for_each_entry(&mut |k, v| -> std::result::Result<(), ()> {
            let schema = matches!(k, Key::Str(s) if ev.def.other.iter().any(|spec| spec.key.as_bytes() == s));
            if !schema {
                unknown.push((k, v));
            }
            Ok(())
        });
    }
    Ok(Merged { known, unknown })
}

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

/// A record's status must be one the event allows (a job is COMPLETED when
/// archive_job_completed is triggered). `status` is the value of the record's `column`,
/// None when absent.
pub fn check_record_status<V: Value + ?Sized>(ev: &EventName, column: &str, status: Option<&V>) -> Result<()> {
    let Some(set) = ev.def.record_status else { return Ok(()) };
    let err = |rule| ValidationError::new(&*ev.eventname, column, rule);
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

    use serde_json::{json, Value as J};

    /// Runs a factory over a JSON record, counting the columns it reads.
    fn run(name: &str, used: Factory, record: &J) -> (Result<FromRecord<J>>, Vec<String>) {
        let ev = resolve(name).unwrap();
        let mut asked = Vec::new();
        let got = read_record(&ev, used, |col| {
            asked.push(col.to_string());
            Ok::<_, ValidationError>(record.get(col).cloned())
        });
        (got, asked)
    }

    fn keys(read: &FromRecord<J>) -> Vec<(&'static str, J)> {
        read.derived.iter().map(|(k, v)| (k.key, v.clone())).collect()
    }

    #[test]
    fn a_job_row_gives_object_context_user_and_its_columns() {
        let job = json!({"id": 7, "contextid": 11, "userid": 5, "origin": "manual", "status": 240, "settings": "{}"});
        let (read, asked) = run("\\local_archiving\\event\\archive_job_failed", Factory::Job, &job);
        let read = read.unwrap();
        assert_eq!(
            (&read.objectid, &read.contextid, &read.relateduserid),
            (&Some(json!(7)), &Some(json!(11)), &Some(json!(5)))
        );
        assert_eq!(
            (&read.courseid, read.context.is_none(), read.snapshot),
            (&None, true, true)
        );
        assert_eq!(keys(&read), [("status", json!(240))]);
        // The status first (checked), then the derived keys, then the header columns.
        assert_eq!(asked, ["status", "status", "id", "contextid", "userid"]);
        // A write task's object is the job; its jobid is the job's id.
        let (read, _) = run("\\archivingstore_moodle\\event\\write_task_failed", Factory::Job, &job);
        assert_eq!(keys(&read.unwrap()), [("jobid", json!(7))]);
        // A null or absent column gives no key.
        let bare = json!({"id": 7, "contextid": 11, "userid": null, "origin": null});
        let (read, asked) = run("\\local_archiving\\event\\archive_job_created", Factory::Job, &bare);
        let read = read.unwrap();
        assert_eq!((keys(&read), read.relateduserid), (vec![], Some(J::Null)));
        assert!(
            !asked.contains(&"status".to_string()),
            "no record_status, no status read: {asked:?}"
        );
    }

    #[test]
    fn a_task_row_names_its_driver_and_gives_its_progress() {
        let task = json!({"id": 3, "jobid": 7, "archivingmod": "quiz", "contextid": 12, "userid": 5,
            "status": 100, "progress": 40, "wstoken": "secret"});
        let (read, asked) = run("\\archivingmod_quiz\\event\\task_updated", Factory::Task, &task);
        let read = read.unwrap();
        assert_eq!(
            keys(&read),
            [("jobid", json!(7)), ("progress", json!(40)), ("status", json!(100))]
        );
        assert_eq!(
            (&read.objectid, &read.contextid, &read.relateduserid),
            (&Some(json!(3)), &Some(json!(12)), &Some(json!(5)))
        );
        assert_eq!(asked[0], "archivingmod");
        assert!(!asked.contains(&"wstoken".to_string()));
        let (err, _) = run("\\archivingmod_assign\\event\\task_updated", Factory::Task, &task);
        assert_eq!(err.unwrap_err().field, "archivingmod");
        let (err, _) = run("\\archivingmod_quiz\\event\\task_completed", Factory::Task, &task);
        let err = err.unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.to_string().ends_with("got 100")),
            ("status", true),
            "{err}"
        );
    }

    #[test]
    fn a_file_row_has_no_user() {
        let file = json!({"id": 9, "jobid": 7, "archivingstore": "localdir", "contextid": 11, "userid": 5});
        let (read, asked) = run(
            "\\archivingstore_localdir\\event\\read_task_created",
            Factory::File,
            &file,
        );
        let read = read.unwrap();
        assert_eq!(
            (&read.objectid, &read.contextid, &read.relateduserid),
            (&Some(json!(9)), &Some(json!(11)), &None)
        );
        assert_eq!(keys(&read), [("jobid", json!(7))]);
        assert!(!asked.contains(&"userid".to_string()));
    }

    #[test]
    fn a_forwarded_event_gives_its_name_context_course_and_user() {
        let name = "\\archivingevent_apistub\\event\\transmission_completed";
        let data = json!({"eventname": "\\core\\event\\course_viewed", "contextid": 30, "contextlevel": 50,
            "contextinstanceid": 4, "courseid": 4, "userid": 5, "relateduserid": null});
        let (read, _) = run(name, Factory::Event, &data);
        let read = read.unwrap();
        assert_eq!(keys(&read), [("eventname", json!("\\core\\event\\course_viewed"))]);
        let context = read.context.unwrap();
        assert_eq!(
            (context.id, context.level, context.instanceid, context.courseid),
            (30, Some(50), Some(4), None)
        );
        assert_eq!(
            (read.contextid, read.courseid, read.relateduserid),
            (None, Some(json!(4)), Some(json!(5)))
        );
        assert_eq!((read.objectid, read.snapshot), (None, false));
        // The related user wins over the actor.
        let mut about = data.clone();
        about["relateduserid"] = json!(8);
        assert_eq!(
            run(name, Factory::Event, &about).0.unwrap().relateduserid,
            Some(json!(8))
        );
        // Without a level the context is looked up by its id.
        let mut bare = data.clone();
        bare.as_object_mut().unwrap().remove("contextlevel");
        let read = run(name, Factory::Event, &bare).0.unwrap();
        assert_eq!((read.context.is_none(), read.contextid), (true, Some(json!(30))));
        let mut bad = data.clone();
        bad["contextinstanceid"] = json!("four");
        let e = run(name, Factory::Event, &bad).0.unwrap_err();
        assert_eq!(e.field, "forwarded.contextinstanceid");
        bad["contextlevel"] = json!(1.5);
        assert_eq!(
            run(name, Factory::Event, &bad).0.unwrap_err().field,
            "forwarded.contextlevel"
        );
    }

    #[test]
    fn the_wrong_factory_reads_nothing() {
        let (err, asked) = run(
            "\\local_archiving\\event\\archive_job_created",
            Factory::Event,
            &json!({}),
        );
        assert_eq!(
            err.unwrap_err().rule,
            Rule::WrongFactory {
                method: "create_from_event",
                right: "create_from_job"
            }
        );
        assert!(asked.is_empty());
    }

    #[test]
    fn every_event_is_made_by_its_factory_from_a_full_record() {
        for def in crate::catalogue::EVENTS {
            let family = def.family;
            let name = match family.component {
                crate::catalogue::ComponentRule::Fixed(c) => format!("\\{c}\\event\\{}", def.name),
                crate::catalogue::ComponentRule::Subplugin(t) => format!("\\{t}_xy\\event\\{}", def.name),
            };
            let mut record = serde_json::Map::new();
            for col in family.objecttable.map_or(&[][..], |t| t.columns) {
                record.insert(col.to_string(), json!(1));
            }
            for col in [
                family.record.contextid,
                family.record.contextlevel,
                family.record.contextinstanceid,
            ] {
                col.map(|c| record.insert(c.to_string(), json!(1)));
            }
            if let Some(f) = family.record_component_field {
                record.insert(f.to_string(), json!("xy"));
            }
            if let (Some(set), Some(col)) = (def.record_status, family.record.status) {
                record.insert(col.to_string(), json!(set.entries[0].1));
            }
            for k in def.other.iter().filter(|k| k.from.is_some()) {
                record.entry(k.from.unwrap().to_string()).or_insert(json!("v"));
            }
            let read = run(&name, family.factory, &J::Object(record))
                .0
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let want: Vec<&str> = def.other.iter().filter(|k| k.from.is_some()).map(|k| k.key).collect();
            assert_eq!(
                read.derived.iter().map(|(k, _)| k.key).collect::<Vec<_>>(),
                want,
                "{name}"
            );
            assert_eq!(read.snapshot, family.objecttable.is_some(), "{name}");
            assert_eq!(read.objectid.is_some(), family.record.objectid.is_some(), "{name}");
        }
    }

    #[test]
    fn the_caller_cannot_contradict_the_record() {
        let ev = resolve("\\local_archiving\\event\\archive_job_failed").unwrap();
        let status = &ev.def.other[1];
        let derived = [(status, json!(240))];
        let caller = json!({"cause": "x", "status": null});
        let merged = merge_other(&ev, &derived, Some(&caller)).unwrap();
        assert_eq!(merged.known, [("cause", &json!("x")), ("status", &json!(240))]);
        let caller = json!({"status": 240});
        let merged = merge_other(&ev, &[], Some(&caller)).unwrap();
        assert_eq!(merged.known, [("status", &json!(240))]);
        let e = merge_other(&ev, &derived, Some(&json!({"status": 200}))).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: other.status: comes from the record's status, so it must not be passed",
                ev.eventname
            )
        );
    }

    #[test]
    fn unknown_caller_keys_follow_in_their_order() {
        let ev = resolve("\\local_archiving\\event\\archive_job_aborted").unwrap();
        let caller = json!({"zeta": 1, "cause": "c", "0": "int key", "alpha": 2});
        let merged = merge_other(&ev, &[], Some(&caller)).unwrap();
        assert_eq!(merged.known, [("cause", &json!("c"))]);
        let unknown: Vec<(Key, &J)> = merged.unknown;
        assert_eq!(
            unknown,
            [
                (Key::Str(b"zeta"), &json!(1)),
                (Key::Int(0), &json!("int key")),
                (Key::Str(b"alpha"), &json!(2))
            ]
        );
        let none = merge_other::<J>(&ev, &[], None).unwrap();
        assert!(none.is_empty());
        assert!(!merge_other(&ev, &[], Some(&json!({"x": 1}))).unwrap().is_empty());
        assert!(merge_other(&ev, &[], Some(&json!({}))).unwrap().is_empty());
    }

    #[test]
    fn record_status_must_fit_the_event() {
        let ev = resolve("\\archivingmod_quiz\\event\\task_completed").unwrap();
        assert!(check_record_status(&ev, "status", Some(&json!("220"))).is_ok());
        let e = check_record_status(&ev, "status", Some(&json!(100))).unwrap_err();
        assert_eq!(e.field, "status");
        assert!(e.to_string().ends_with("must be one of 220 (FINISHED); got 100"), "{e}");
        assert_eq!(
            check_record_status(&ev, "status", None::<&serde_json::Value>)
                .unwrap_err()
                .rule,
            Rule::Required
        );
        let created = resolve("\\archivingmod_quiz\\event\\task_created").unwrap();
        assert!(check_record_status(&created, "status", None::<&serde_json::Value>).is_ok());
        assert!(check_record_status(&ev, "status", Some(&json!(1.5)))
            .unwrap_err()
            .to_string()
            .contains("an integer status"));
        assert!(check_record_status(&ev, "status", Some(&json!("0220"))).is_err());
    }
}
