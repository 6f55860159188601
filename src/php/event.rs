//! `moodle_events\event`: converts PHP arguments for the core (catalogue, validation,
//! record), holds the record, and converts it back. Arrays stay PHP arrays.

use super::exception::throw;
use super::zv::{self, deref, read_prop};
use crate::catalogue::{EventName, Factory};
use crate::error::{Rule, ValidationError};
use crate::factory;
use crate::record::{Field, Record, FIELDS};
use crate::validate::{self, ContextInfo, CreateInput, Fixup};
use crate::value::{canonical_int, Key, Kind, Value};
use ext_php_rs::boxed::ZBox;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::{PhpException, PhpResult};
use ext_php_rs::flags::ClassFlags;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendClassObject, ZendHashTable, ZendObject, Zval};
use ext_php_rs::zend::{ce, ClassEntry, ExecutorGlobals};

fn json_serializable() -> &'static ClassEntry {
    zv::loaded_class("JsonSerializable").expect("ext/json's JsonSerializable")
}

fn fail(ev: &str, field: &str, rule: Rule) -> PhpException {
    throw(ValidationError::new(ev, field, rule))
}

/// A validated archiving event. Made only by the factories; read-only.
#[php_class]
#[php(name = "moodle_events\\event")]
#[php(flags = ClassFlags::Final)]
#[php(implements(ce = ce::aggregate, stub = "\\IteratorAggregate"))]
#[php(implements(ce = json_serializable, stub = "\\JsonSerializable"))]
pub struct Event {
    pub(crate) rec: Record<Zval>,
}

impl Event {
    fn field_zval(&self, name: &str) -> Option<Zval> {
        Some(match self.rec.field(name)? {
            Field::Str(s) => zv::string(s),
            Field::Int(i) => zv::long(i),
            Field::Null | Field::Other(None) => Zval::null(),
            Field::Other(Some(v)) => v.shallow_clone(),
        })
    }

    fn data(&self) -> ZBox<ZendHashTable> {
        let mut ht = ZendHashTable::with_capacity(FIELDS.len() as u32);
        for f in FIELDS {
            let _ = ht.insert(f, self.field_zval(f).unwrap_or_default());
        }
        ht
    }

    pub(crate) fn eventname(&self) -> &str {
        &self.rec.name.eventname
    }
}

/// Sorts the create() data and reads the context, then validates everything.
fn build(ev: EventName, input: &CreateInput<'_, Zval>, other: Option<Zval>) -> PhpResult<Event> {
    let context = context_of(&ev, input)?;
    let header = validate::check_header(&ev, input, context, current_userid()).map_err(throw)?;
    let fixups = validate::validate_other(&ev, other.as_ref(), super::limits()).map_err(throw)?;
    let other = match other {
        Some(mut o) if !fixups.is_empty() => {
            apply_fixups(&mut o, &fixups);
            Some(o)
        }
        o => o,
    };
    Ok(Event {
        rec: Record::new(ev, header, other, now()),
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Writes canonical ints into a copy of `other` (the caller's array is never changed).
fn apply_fixups(other: &mut Zval, fixups: &[Fixup]) {
    fn set(zv: &mut Zval, path: &[&str], value: i64) {
        let Some(ht) = deref(zv).and_then(Zval::array) else {
            return;
        };
        let mut copy = ht.to_owned();
        match path {
            [key] => {
                let _ = copy.insert(*key, zv::long(value));
            }
            [key, rest @ ..] => {
                let mut child = copy
                    .get(*key)
                    .and_then(deref)
                    .map(Zval::shallow_clone)
                    .unwrap_or_default();
                set(&mut child, rest, value);
                let _ = copy.insert(*key, child);
            }
            [] => return,
        }
        zv.set_hashtable(copy);
    }
    for f in fixups {
        set(other, &f.path, f.value);
    }
}

fn current_userid() -> i64 {
    let Some(user) = zv::global("USER") else { return 0 };
    let Some(id) = user.object().and_then(|u| read_prop(u, "id")) else {
        return 0;
    };
    match id.kind() {
        Kind::Int(i) => i,
        Kind::Str(s) => canonical_int(s).unwrap_or(0),
        _ => 0,
    }
}

fn context_of(ev: &EventName, input: &CreateInput<'_, Zval>) -> PhpResult<Option<ContextInfo>> {
    fn given(v: Option<&Zval>) -> Option<&Zval> {
        v.filter(|v| v.kind() != Kind::Null)
    }
    match (given(input.context), given(input.contextid)) {
        (Some(_), Some(_)) => Err(fail(
            &ev.eventname,
            "context",
            Rule::NotAllowed {
                why: "give context or contextid, not both",
            },
        )),
        (Some(c), None) => match deref(c).and_then(Zval::object) {
            Some(obj) => context_from_object(ev, obj).map(Some),
            None => Err(fail(
                &ev.eventname,
                "context",
                Rule::WrongType {
                    expected: "a context object (or pass contextid)",
                    got: c.kind().type_name(),
                },
            )),
        },
        (None, Some(id)) => {
            let id = validate::int_field(ev, "contextid", Some(id))
                .map_err(throw)?
                .unwrap_or_default();
            Ok(Some(context_by_id(ev, id)))
        }
        (None, None) => Ok(None),
    }
}

/// id, contextlevel, instanceid (and the course, when the object can tell) of a Moodle
/// context object.
fn context_from_object(ev: &EventName, obj: &ZendObject) -> PhpResult<ContextInfo> {
    let int = |name: &str, field: &str| -> PhpResult<Option<i64>> {
        let v = read_prop(obj, name);
        validate::int_field(ev, field, v.as_ref()).map_err(throw)
    };
    let id = int("id", "context.id")?.ok_or_else(|| fail(&ev.eventname, "context.id", Rule::Required))?;
    let level = int("contextlevel", "context.contextlevel")?;
    let instanceid = int("instanceid", "context.instanceid")?;
    let mut courseid = None;
    if zv::has_method(obj, "get_course_context") {
        if let Ok(course) = obj.try_call_method("get_course_context", vec![&false]) {
            if ExecutorGlobals::take_exception().is_none() {
                courseid = course
                    .object()
                    .and_then(|c| read_prop(c, "instanceid"))
                    .and_then(|v| v.long());
            }
        }
    }
    Ok(ContextInfo {
        id,
        level,
        instanceid,
        courseid,
    })
}

/// Inside Moodle (its context class already loaded), a contextid is looked up for its
/// level and instance; elsewhere only the id is known.
fn context_by_id(ev: &EventName, id: i64) -> ContextInfo {
    let bare = ContextInfo {
        id,
        ..ContextInfo::default()
    };
    let Some(class) = ["core\\context", "context"]
        .into_iter()
        .find(|c| zv::loaded_class(c).is_some())
    else {
        return bare;
    };
    if id <= 0 {
        return bare;
    }
    let callable = zv::string(&format!("{class}::instance_by_id"));
    // IGNORE_MISSING = 0: an unknown id keeps the bare context.
    let found = callable.try_call(vec![&id, &0i64]);
    if ExecutorGlobals::take_exception().is_some() {
        return bare;
    }
    match found.ok().as_ref().and_then(|c| deref(c)).and_then(Zval::object) {
        Some(obj) => context_from_object(ev, obj).unwrap_or(bare),
        None => bare,
    }
}

/// Strips secret-named properties from a record before it becomes a snapshot (a task
/// row carries its web service token). A record without any is kept as it is.
fn snapshot_of(record: &mut ZendObject) -> Zval {
    let secret = record.get_properties().ok().is_some_and(|props| {
        zv::ht_for_each(props, |k, _| match k {
            Key::Str(name) if validate::is_secret_key(name) => Err(()),
            _ => Ok(()),
        })
        .is_err()
    });
    if !secret {
        let mut z = Zval::new();
        z.set_object(record);
        return z;
    }
    let mut clean = ZendObject::new_stdclass();
    if let Ok(props) = record.get_properties() {
        let _ = zv::ht_for_each(props, |k, v| -> Result<(), ()> {
            if let Key::Str(name) = k {
                if !validate::is_secret_key(name) {
                    let _ = clean.set_property(&String::from_utf8_lossy(name), v.shallow_clone());
                }
            }
            Ok(())
        });
    }
    clean.into_zval(false).unwrap_or_default()
}

/// What a factory read from its record.
struct FromRecord {
    objectid: Option<Zval>,
    contextid: Option<Zval>,
    context: Option<Zval>,
    relateduserid: Option<Zval>,
    courseid: Option<Zval>,
    snapshot: Option<Zval>,
}

fn create_from(
    eventname: &str,
    used: Factory,
    record: &mut ZendObject,
    caller: Option<&ZendHashTable>,
) -> PhpResult<Event> {
    let ev = super::resolve(eventname)?;
    factory::check_factory(&ev, used).map_err(throw)?;
    if let Some(field) = ev.def.family.record_component_field {
        let got = read_prop(record, field);
        let bytes = got
            .as_ref()
            .and_then(|g| if let Kind::Str(b) = g.kind() { Some(b) } else { None });
        factory::check_record_component(&ev, bytes).map_err(throw)?;
    }
    // The other keys the record provides; the caller's win over them.
    let mut derived = ZendHashTable::new();
    let mut from = FromRecord {
        objectid: None,
        contextid: None,
        context: None,
        relateduserid: None,
        courseid: None,
        snapshot: None,
    };
    if used == Factory::Event {
        forwarded(&ev, record, &mut derived, &mut from)?;
    } else {
        for spec in factory::derived_keys(&ev) {
            let Some(v) = spec.from.and_then(|f| read_prop(record, f)) else {
                continue;
            };
            if v.kind() == Kind::Null {
                continue;
            }
            let v = if spec.decode_json {
                decode_json(&ev, spec.key, &v)?
            } else {
                v
            };
            let _ = derived.insert(spec.key, v);
        }
        from.objectid = read_prop(record, "id");
        from.contextid = read_prop(record, "contextid");
        if used != Factory::File {
            from.relateduserid = read_prop(record, "userid");
        }
        from.snapshot = Some(snapshot_of(record));
    }
    let other = merge_other(&ev, &derived, caller);
    if from.contextid.as_ref().is_none_or(|c| c.kind() == Kind::Null) && from.context.is_none() {
        return Err(fail(&ev.eventname, "contextid", Rule::Required));
    }
    let input = CreateInput {
        objectid: from.objectid.as_ref(),
        contextid: from.contextid.as_ref(),
        context: from.context.as_ref(),
        relateduserid: from.relateduserid.as_ref(),
        courseid: from.courseid.as_ref(),
        ..CreateInput::default()
    };
    let mut event = build(ev, &input, other)?;
    if let Some(snapshot) = from.snapshot {
        let table = event.rec.name.def.objecttable().unwrap_or_default();
        let id = event
            .rec
            .check_snapshot(table, event.rec.header.objectid)
            .map_err(throw)?;
        event.rec.put_snapshot(id, snapshot);
    }
    Ok(event)
}

/// `other` in schema order: the caller's value, else the record's; then any key the
/// schema does not know (which validation reports). Null when the event has no keys and
/// none was given, as in Moodle.
fn merge_other(ev: &EventName, derived: &ZendHashTable, caller: Option<&ZendHashTable>) -> Option<Zval> {
    let mut other = ZendHashTable::with_capacity(ev.def.other.len() as u32);
    for spec in ev.def.other {
        let given = caller.and_then(|c| c.get(spec.key)).or_else(|| derived.get(spec.key));
        if let Some(v) = given.and_then(deref) {
            let _ = other.insert(spec.key, v.shallow_clone());
        }
    }
    if let Some(caller) = caller {
        let _ = zv::ht_for_each(caller, |k, v| -> Result<(), ()> {
            let _ = match k {
                Key::Int(i) => other.insert_at_index(i, v.shallow_clone()),
                Key::Str(s) if ev.def.other.iter().any(|spec| spec.key.as_bytes() == s) => Ok(()),
                Key::Str(s) => other.insert(String::from_utf8_lossy(s).as_ref(), v.shallow_clone()),
            };
            Ok(())
        });
    }
    (!(other.is_empty() && ev.def.other.is_empty())).then(|| other.into_zval(false).unwrap_or_default())
}

fn decode_json(ev: &EventName, key: &str, v: &Zval) -> PhpResult<Zval> {
    let bad = || {
        fail(
            &ev.eventname,
            &format!("other.{key}"),
            Rule::Invalid {
                expected: "valid JSON text in the record's column".into(),
            },
        )
    };
    let Kind::Str(text) = v.kind() else {
        return Ok(v.shallow_clone());
    };
    let json: serde_json::Value = serde_json::from_slice(text).map_err(|_| bad())?;
    Ok(zv::from_json(&json))
}

/// create_from_event: the forwarded event's name, context and user.
fn forwarded(ev: &EventName, obj: &mut ZendObject, other: &mut ZendHashTable, from: &mut FromRecord) -> PhpResult<()> {
    let data: Zval = if let Some(ours) = ZendClassObject::<Event>::from_zend_obj(obj) {
        ours.data().into_zval(false)?
    } else if zv::has_method(obj, "get_data") {
        let d = obj.try_call_method("get_data", vec![])?;
        ExecutorGlobals::throw_if_exception()?;
        d
    } else {
        Zval::null()
    };
    if data.array().is_none() {
        return Err(fail(
            &ev.eventname,
            "forwarded",
            Rule::Invalid {
                expected: "a moodle_events\\event or a Moodle event (\\core\\event\\base)".into(),
            },
        ));
    }
    let get = |k: &str| data.get(k).map(Zval::shallow_clone);
    if let Some(name) = get("eventname") {
        let _ = other.insert("eventname", name);
    }
    from.contextid = get("contextid");
    let context = ContextInfo {
        id: get("contextid").and_then(|v| v.long()).unwrap_or_default(),
        level: get("contextlevel").and_then(|v| v.long()),
        instanceid: get("contextinstanceid").and_then(|v| v.long()),
        courseid: None,
    };
    // Keep the forwarded event's context as it was, without a lookup.
    if context.level.is_some() {
        let mut ctx = ZendObject::new_stdclass();
        let _ = ctx.set_property("id", context.id);
        let _ = ctx.set_property("contextlevel", context.level);
        let _ = ctx.set_property("instanceid", context.instanceid);
        from.context = Some(ctx.into_zval(false)?);
        from.contextid = None;
    }
    from.courseid = get("courseid");
    // The user the forwarded event is about: its related user, else its actor.
    from.relateduserid = get("relateduserid").filter(|v| !v.is_null()).or_else(|| get("userid"));
    Ok(())
}

#[php_impl]
#[php(change_method_case = "snake_case")]
impl Event {
    /// Moodle's `create()`: keys objectid, context|contextid, userid, relateduserid,
    /// courseid, anonymous, other.
    pub fn create(eventname: &str, data: &ZendHashTable) -> PhpResult<Self> {
        let ev = super::resolve(eventname)?;
        let data = zv::array_view(data);
        let input = validate::split_create_data(&ev, &*data).map_err(throw)?;
        let other = input.other.map(Zval::shallow_clone);
        build(ev, &input, other)
    }

    /// archive_job_* and write_task_* from a local_archiving_job row.
    pub fn create_from_job(eventname: &str, job: &mut ZendObject, other: Option<&ZendHashTable>) -> PhpResult<Self> {
        create_from(eventname, Factory::Job, job, other)
    }

    /// task_* from a local_archiving_activity_task row.
    pub fn create_from_task(eventname: &str, task: &mut ZendObject, other: Option<&ZendHashTable>) -> PhpResult<Self> {
        create_from(eventname, Factory::Task, task, other)
    }

    /// read_task_* from a local_archiving_file row (with its job's contextid).
    pub fn create_from_file(eventname: &str, file: &mut ZendObject, other: Option<&ZendHashTable>) -> PhpResult<Self> {
        create_from(eventname, Factory::File, file, other)
    }

    /// transmission_* from the forwarded event (ours or a Moodle event).
    pub fn create_from_event(
        eventname: &str,
        forwarded: &mut ZendObject,
        other: Option<&ZendHashTable>,
    ) -> PhpResult<Self> {
        create_from(eventname, Factory::Event, forwarded, other)
    }

    /// The 17 Moodle fields, in Moodle's order.
    pub fn get_data(&self) -> ZBox<ZendHashTable> {
        self.data()
    }

    pub fn __get(&self, name: &str) -> Zval {
        self.field_zval(name).unwrap_or_default()
    }

    pub fn __isset(&self, name: &str) -> bool {
        self.field_zval(name).is_some_and(|v| !v.is_null())
    }

    #[allow(unused_variables)]
    pub fn __set(&self, name: &str, value: &Zval) -> PhpResult<()> {
        Err(fail(self.eventname(), name, Rule::Modified))
    }

    #[allow(unused_variables)]
    pub fn __unset(&self, name: &str) -> PhpResult<()> {
        Err(fail(self.eventname(), name, Rule::Modified))
    }

    pub fn get_name(&self) -> &'static str {
        self.rec.name.def.title
    }

    pub fn get_description(&self) -> String {
        self.rec.description()
    }

    pub fn trigger(self_: &mut ZendClassObject<Event>) -> PhpResult<()> {
        super::sink::trigger(self_)
    }

    pub fn is_triggered(&self) -> bool {
        self.rec.is_triggered()
    }

    pub fn is_dispatched(&self) -> bool {
        self.rec.is_dispatched()
    }

    pub fn add_record_snapshot(&mut self, table: &str, record: &mut ZendObject) -> PhpResult<()> {
        let id = read_prop(record, "id");
        let id = validate::int_field(&self.rec.name, "snapshot.id", id.as_ref()).map_err(throw)?;
        let id = self.rec.check_snapshot(table, id).map_err(throw)?;
        let snapshot = snapshot_of(record);
        self.rec.put_snapshot(id, snapshot);
        Ok(())
    }

    pub fn get_record_snapshot(&self, table: &str, id: i64) -> Option<zv::AnyObject> {
        self.rec.snapshot(table, id).map(|s| zv::AnyObject(s.shallow_clone()))
    }

    #[php(name = "getIterator")]
    pub fn get_iterator(&self) -> PhpResult<zv::IteratorObject> {
        super::array_iterator(self.data().into_zval(false)?)
    }

    #[php(name = "jsonSerialize")]
    pub fn json_serialize(&self) -> ZBox<ZendHashTable> {
        self.data()
    }
}
