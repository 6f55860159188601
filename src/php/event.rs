//! `moodle_events\event`: converts PHP arguments for the core (catalogue, validation,
//! factory rules, record), holds the record, and converts it back. Arrays stay PHP
//! arrays; what the event keeps is detached from the caller (no PHP references, record
//! snapshots copied), so nothing can change it after validation.

use super::engine::NameArg;
use super::exception::throw;
use super::zv::{self, deref, read_prop};
use crate::catalogue::{EventName, Factory, KeySpec};
use crate::error::{Rule, ValidationError};
use crate::factory;
use crate::record::{Field, Record, FIELDS};
use crate::validate::{self, ContextArg, ContextInfo, CreateInput, Fixup};
use crate::value::{Key, Value};
use ext_php_rs::boxed::ZBox;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::{PhpException, PhpResult};
use ext_php_rs::flags::ClassFlags;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendClassObject, ZendHashTable, ZendObject, Zval};
use ext_php_rs::zend::{ce, ClassEntry};
use std::rc::Rc;

#[allow(
    clippy::expect_used,
    reason = "ext/json is part of every PHP 8 build; read once at start-up"
)]
fn json_serializable() -> &'static ClassEntry {
    zv::loaded_class("JsonSerializable").expect("ext/json's JsonSerializable")
}

pub(super) fn fail(ev: &str, field: &str, rule: Rule) -> PhpException {
    throw(ValidationError::new(ev, field, rule))
}

/// How deep values are detached and checked for objects: past the validator's limit,
/// which rejects anything deeper.
fn detach_depth() -> usize {
    super::limits().max_depth + 2
}

/// Moodle's `MUST_EXIST` strictness for `context::instance_by_id()`.
const MUST_EXIST: i64 = 2;

/// A validated archiving event. Made only by the factories; read-only.
#[php_class]
#[php(name = "moodle_events\\event")]
#[php(flags = ClassFlags::Final)]
#[php(implements(ce = ce::aggregate, stub = "\\IteratorAggregate"))]
#[php(implements(ce = json_serializable, stub = "\\JsonSerializable"))]
pub struct Event {
    pub(crate) rec: Record<Zval>,
    /// get_data() as a PHP array, built on first use and then shared (the fields never
    /// change after create(); callers get a copy-on-write reference).
    data: std::cell::OnceCell<Zval>,
}

/// The keys of Moodle's create() data that a native event hands over: with the context
/// object, or with its id.
static CREATE_KEYS: [[&str; 7]; 2] = [
    [
        "objectid",
        "context",
        "userid",
        "relateduserid",
        "courseid",
        "anonymous",
        "other",
    ],
    [
        "objectid",
        "contextid",
        "userid",
        "relateduserid",
        "courseid",
        "anonymous",
        "other",
    ],
];

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
        zv::keyed_array(&FIELDS, |i| Some(self.field_zval(FIELDS[i]).unwrap_or_default()))
    }

    /// The shared data array.
    fn data_array(&self) -> zv::ArrayValue {
        zv::ArrayValue(
            self.data
                .get_or_init(|| self.data().into_zval(false).unwrap_or_default())
                .shallow_clone(),
        )
    }

    pub(crate) fn eventname(&self) -> &str {
        &self.rec.name.eventname
    }

    /// Moodle's create() data for this event: the context object itself when this request
    /// has read it (create() would look it up), else its id; the keys whose value is
    /// create()'s own default left out (a null relateduserid outside a user context, not
    /// anonymous, no other), as each key given is one more for create() to check.
    fn create_data(&self) -> PhpResult<Zval> {
        let h = &self.rec.header;
        let context = context_object(&h.context);
        let keys: &'static [&'static str] = &CREATE_KEYS[usize::from(context.is_none())];
        let data = zv::keyed_array(keys, |i| match keys[i] {
            "context" => context.as_ref().map(Zval::shallow_clone),
            "relateduserid" if h.relateduserid.is_none() && h.context.level != Some(validate::CONTEXT_USER) => None,
            "anonymous" if !h.anonymous => None,
            "other" if self.rec.other.is_none() => None,
            key => self.field_zval(key),
        });
        Ok(data.into_zval(false)?)
    }

    /// What handing this event to Moodle needs, read now: no PHP code runs here, and the
    /// event is not borrowed once PHP code (autoloading, Moodle's create()) runs.
    pub(crate) fn handover(&self) -> PhpResult<super::moodle::Handover> {
        let mut snapshots = ZendHashTable::new();
        for (id, stored) in self.rec.snapshots() {
            if let Some(record) = stored.object() {
                snapshots.insert_at_index(id, snapshot_copy(&self.rec.name, record)?)?;
            }
        }
        let h = &self.rec.header;
        Ok(super::moodle::Handover {
            data: self.create_data()?,
            timecreated: self.rec.timecreated,
            snapshots: snapshots.into_zval(false)?,
            validated: super::moodle::Validated {
                name: Rc::clone(&self.rec.name.eventname),
                ids: [
                    h.objectid,
                    Some(h.context.id),
                    Some(h.userid),
                    Some(h.courseid),
                    h.relateduserid,
                ],
                anonymous: h.anonymous,
                other: self
                    .rec
                    .other
                    .as_ref()
                    .and_then(Zval::array)
                    .map_or(0, |a| std::ptr::from_ref(a) as usize),
            },
        })
    }
}

/// The PHP object of a new event. An event cannot be part of a reference cycle: it holds
/// scalars, arrays of them and stdClass copies of them, never a caller's object or
/// reference. So it is marked not collectable, and the cycle collector neither buffers it
/// as a root on every release nor scans the events a sink holds.
fn into_object(event: Event) -> ZBox<ZendClassObject<Event>> {
    let mut obj = ZendClassObject::new(event);
    zv::mark_not_collectable(&mut obj.std);
    obj
}

type EventResult = PhpResult<ZBox<ZendClassObject<Event>>>;

/// Reads the context (unless the caller already knows it), then validates the header and
/// `other`.
fn build(
    ev: EventName,
    input: &CreateInput<'_, Zval>,
    other: Option<Zval>,
    known_context: Option<ContextInfo>,
) -> PhpResult<Event> {
    let context = match known_context {
        Some(c) => Some(c),
        None => context_of(&ev, input)?,
    };
    // $USER->id is the default: read only when no userid is given.
    let current = if input.userid.is_some() {
        0
    } else {
        current_userid(&ev)?
    };
    let header = validate::check_header(&ev, input, context, current).map_err(throw)?;
    let fixups = validate::validate_other(&ev, other.as_ref(), header.objectid, super::limits()).map_err(throw)?;
    let other = match other {
        Some(mut o) if !fixups.is_empty() => {
            apply_fixups(&mut o, &fixups);
            Some(o)
        }
        o => o,
    };
    Ok(Event {
        rec: Record::new(ev, header, other, now()),
        data: std::cell::OnceCell::new(),
    })
}

/// SPL's `LogicException` for moodle_event() where there is no bridge class.
fn no_bridge(eventname: &str) -> PhpException {
    let msg = format!(
        "{eventname}: moodle_event(): no Moodle event class {eventname} (only inside Moodle, with the \
         plugin's generated event classes installed)"
    );
    super::exception::of_class("LogicException", msg)
}

/// [`Event::validate_data`].
fn check_moodle_data(data: &ZendHashTable, context: &Zval) -> PhpResult<()> {
    let field = |key: &str| zv::named(data, key);
    let name = field("eventname")
        .and_then(Zval::str)
        .ok_or("eventname: is required in Moodle's event data")?;
    let ev = super::resolve(name)?;
    let input = CreateInput {
        objectid: field("objectid"),
        contextid: field("contextid"),
        userid: field("userid"),
        relateduserid: field("relateduserid"),
        courseid: field("courseid"),
        anonymous: field("anonymous"),
        other: field("other"),
        ..CreateInput::default()
    };
    let int = |key: &str| validate::int_field(&ev, key, field(key)).map_err(throw);
    let id = int("contextid")?.unwrap_or_default();
    let context = ContextInfo {
        id,
        level: int("contextlevel")?,
        instanceid: int("contextinstanceid")?,
        courseid: course_of(&ev, context)?,
    };
    let header = validate::check_header(&ev, &input, Some(context), 0).map_err(throw)?;
    validate::validate_other(&ev, input.other, header.objectid, super::limits()).map_err(throw)?;
    Ok(())
}

thread_local! {
    /// What each context object asked in this request told, by object handle; the object
    /// is held, so its handle names no other object meanwhile.
    static CONTEXTS: std::cell::RefCell<std::collections::HashMap<u32, KnownContext>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// A context object's answers: its course (`get_course_context(false)`) and, once read and
/// found valid, its id, level and instance. Moodle never changes these on a context
/// object (its cache hands out the same object for a context until it is reset; a new
/// object is asked again).
struct KnownContext {
    held: Zval,
    courseid: Option<i64>,
    header: Option<(i64, Option<i64>, Option<i64>)>,
}

/// A context object read in this request with exactly that id, level and instance, if
/// any (else Moodle looks the id up itself).
fn context_object(context: &ContextInfo) -> Option<Zval> {
    let wanted = (context.id, context.level, context.instanceid);
    CONTEXTS.with_borrow(|c| {
        c.values()
            .find(|k| k.header == Some(wanted) && context.level.is_some())
            .map(|k| k.held.shallow_clone())
    })
}

/// Context objects remembered at most, per request.
const CONTEXTS_KEPT: usize = 256;

fn known_context<R>(handle: u32, f: impl FnOnce(&KnownContext) -> R) -> Option<R> {
    CONTEXTS.with_borrow(|c| c.get(&handle).map(f))
}

fn remember_context(handle: u32, known: KnownContext) {
    // Objects let go of are released outside the borrow (a destructor may run PHP code).
    let evicted = CONTEXTS.with_borrow_mut(|c| {
        let evicted = if c.len() >= CONTEXTS_KEPT && !c.contains_key(&handle) {
            std::mem::take(c)
        } else {
            Default::default()
        };
        c.insert(handle, known);
        evicted
    });
    drop(evicted);
}

/// The course a context belongs to (its `get_course_context(false)`), asked once per
/// context object and request.
fn course_of(ev: &EventName, context: &Zval) -> PhpResult<Option<i64>> {
    let Some(obj) = deref(context).and_then(Zval::object) else {
        return Ok(None);
    };
    let handle = obj.handle;
    if let Some(known) = known_context(handle, |k| k.courseid) {
        return Ok(known);
    }
    let mut courseid = None;
    if zv::has_method(obj, "get_course_context") {
        let mut no = Zval::new();
        no.set_bool(false);
        let course = super::engine::settle(super::engine::call_method(obj, "get_course_context", &[&no]))?;
        if let Some(c) = course.ok().as_ref().and_then(|c| deref(c)).and_then(Zval::object) {
            let v = read_prop(c, "instanceid")?;
            courseid = validate::int_field(ev, "context.courseid", v.as_ref()).map_err(throw)?;
        }
    }
    let held = deref(context).map(Zval::shallow_clone).unwrap_or_default();
    remember_context(
        handle,
        KnownContext {
            held,
            courseid,
            header: None,
        },
    );
    Ok(courseid)
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

/// `$USER->id` when Moodle's global user exists, else 0. An exception thrown while
/// reading it is passed on.
fn current_userid(ev: &EventName) -> PhpResult<i64> {
    let Some(user) = zv::global("USER") else { return Ok(0) };
    let id = user.object().map(|u| read_prop(u, "id")).transpose()?.flatten();
    validate::userid_from(ev, id.as_ref()).map_err(throw)
}

fn context_of(ev: &EventName, input: &CreateInput<'_, Zval>) -> PhpResult<Option<ContextInfo>> {
    match validate::context_arg(ev, input).map_err(throw)? {
        ContextArg::Object(c) => match deref(c).and_then(Zval::object) {
            Some(_) => context_from_object(ev, c).map(Some),
            None => Ok(None),
        },
        ContextArg::Id(id) => context_by_id(ev, id).map(Some),
        ContextArg::Missing => Ok(None),
    }
}

/// id, contextlevel, instanceid (and the course, when the object can tell) of a Moodle
/// context object: read once per object and request.
fn context_from_object(ev: &EventName, context: &Zval) -> PhpResult<ContextInfo> {
    let Some(obj) = deref(context).and_then(Zval::object) else {
        return Err(fail(&ev.eventname, "context.id", Rule::Required));
    };
    let handle = obj.handle;
    if let Some(Some((id, level, instanceid, courseid))) =
        known_context(handle, |k| k.header.map(|(id, l, i)| (id, l, i, k.courseid)))
    {
        return Ok(ContextInfo {
            id,
            level,
            instanceid,
            courseid,
        });
    }
    let int = |name: &str, field: &str| -> PhpResult<Option<i64>> {
        let v = read_prop(obj, name)?;
        validate::int_field(ev, field, v.as_ref()).map_err(throw)
    };
    let id = int("id", "context.id")?.ok_or_else(|| fail(&ev.eventname, "context.id", Rule::Required))?;
    let level = int("contextlevel", "context.contextlevel")?;
    let instanceid = int("instanceid", "context.instanceid")?;
    let courseid = course_of(ev, context)?;
    // course_of() has just remembered the object.
    CONTEXTS.with_borrow_mut(|c| {
        if let Some(k) = c.get_mut(&handle) {
            k.header = Some((id, level, instanceid));
        }
    });
    Ok(ContextInfo {
        id,
        level,
        instanceid,
        courseid,
    })
}

thread_local! {
    /// Moodle's context class once found in this request (a declared class stays declared
    /// until the request ends), else the size of the class table when it was last missing.
    static CONTEXT_CLASS: std::cell::Cell<Result<&'static str, u32>> = const { std::cell::Cell::new(Err(u32::MAX)) };
}

/// `core\context` (Moodle 4.2+) or `context`, when declared. Cached for the request: most
/// events are created with a bare contextid, and the class table is only searched again
/// once classes were declared since the last miss.
fn context_class() -> Option<&'static str> {
    let size = zv::class_table_size();
    match CONTEXT_CLASS.get() {
        Ok(class) => return Some(class),
        Err(seen) if seen == size => return None,
        Err(_) => {}
    }
    let found = ["core\\context", "context"]
        .into_iter()
        .find(|c| zv::loaded_class(c).is_some());
    CONTEXT_CLASS.set(found.ok_or(size));
    found
}

/// Forgets what [`context_class`] found: the next request declares its own classes.
pub fn request_boundary() {
    CONTEXT_CLASS.set(Err(u32::MAX));
    drop(CONTEXTS.take());
}

/// Inside Moodle (its context class already loaded), a contextid is looked up like
/// Moodle does (`MUST_EXIST`); elsewhere only the id is known.
fn context_by_id(ev: &EventName, id: i64) -> PhpResult<ContextInfo> {
    let bare = ContextInfo {
        id,
        ..ContextInfo::default()
    };
    let Some(class) = context_class() else {
        return Ok(bare);
    };
    if id <= 0 {
        return Ok(bare);
    }
    let callable = zv::string(&format!("{class}::instance_by_id"));
    let found = super::engine::settle(super::engine::call_callable(
        &callable,
        &[&zv::long(id), &zv::long(MUST_EXIST)],
    ))?;
    match found.ok() {
        Some(c) if deref(&c).and_then(Zval::object).is_some() => context_from_object(ev, &c),
        _ => Ok(bare),
    }
}

/// A snapshot: a stdClass copy of the record's public columns ([`zv::snapshot_copy`]).
fn snapshot_copy(ev: &EventName, record: &ZendObject) -> PhpResult<Zval> {
    let copy = zv::snapshot_copy(ev, record, super::limits(), detach_depth()).map_err(throw)?;
    Ok(copy.into_zval(false)?)
}

/// add_record_snapshot(). Reading the record may run PHP code (__get) that uses this
/// event: it is held by its handle meanwhile, and borrowed again only to store the snapshot.
fn add_snapshot(event: &mut ZendClassObject<Event>, table: &str, record: &mut ZendObject) -> PhpResult<()> {
    let name = event.rec.name.clone();
    let mut handle = event.into_zval(false)?;
    let id = read_prop(record, "id")?;
    let id = validate::int_field(&name, "snapshot.id", id.as_ref()).map_err(throw)?;
    let snapshot = snapshot_copy(&name, record)?;
    let event = handle
        .object_mut()
        .and_then(ZendClassObject::<Event>::from_zend_obj_mut)
        .ok_or("not an event")?;
    let id = event.rec.check_snapshot(table, id).map_err(throw)?;
    event.rec.put_snapshot(id, snapshot);
    Ok(())
}

/// A `create_from_*` factory: the core reads the record (`factory::read_record`) through
/// a column reader over the row's properties or the forwarded event's data, and merges
/// `other`; this only converts.
fn create_from(eventname: &str, used: Factory, record: &mut ZendObject, caller: Option<&Zval>) -> PhpResult<Event> {
    let ev = super::resolve(eventname)?;
    let row = ev.def.family.reads_row();
    let mut forwarded: Option<Zval> = None;
    let read = factory::read_record(&ev, used, |column| -> PhpResult<Option<Zval>> {
        if row {
            return read_prop(record, column);
        }
        if forwarded.is_none() {
            forwarded = Some(forwarded_data(&ev, used, record)?);
        }
        Ok(forwarded.as_ref().and_then(|d| d.get(column)).map(Zval::shallow_clone))
    })?;
    let snapshot = if read.snapshot {
        Some(snapshot_copy(&ev, record)?)
    } else {
        None
    };
    let other = merge_other(&ev, &read.derived, caller)?;
    let input = CreateInput {
        objectid: read.objectid.as_ref(),
        contextid: read.contextid.as_ref(),
        relateduserid: read.relateduserid.as_ref(),
        courseid: read.courseid.as_ref(),
        ..CreateInput::default()
    };
    let mut event = build(ev, &input, other, read.context)?;
    if let Some(snapshot) = snapshot {
        let table = event.rec.name.def.objecttable().unwrap_or_default();
        let id = event
            .rec
            .check_snapshot(table, event.rec.header.objectid)
            .map_err(throw)?;
        event.rec.put_snapshot(id, snapshot);
    }
    Ok(event)
}

/// `other` as the core merges it (`factory::merge_other`), copied into a new array;
/// null when nothing was given, as in Moodle.
fn merge_other(ev: &EventName, derived: &[(&'static KeySpec, Zval)], caller: Option<&Zval>) -> PhpResult<Option<Zval>> {
    let depth = detach_depth();
    let merged = factory::merge_other(ev, derived, caller).map_err(throw)?;
    if merged.is_empty() {
        return Ok(None);
    }
    let mut other = ZendHashTable::with_capacity(merged.known.len() as u32);
    for (key, v) in merged.known {
        let _ = other.insert(key, zv::detach(v, depth));
    }
    for (key, v) in merged.unknown {
        let v = zv::detach(v, depth);
        let _ = match key {
            Key::Int(i) => other.insert_at_index(i, v),
            Key::Str(s) => other.insert(String::from_utf8_lossy(s).as_ref(), v),
        };
    }
    Ok(Some(other.into_zval(false)?))
}

/// create_from_event's record: the forwarded event's data (ours, or a Moodle event's
/// `get_data()`).
fn forwarded_data(ev: &EventName, used: Factory, obj: &mut ZendObject) -> PhpResult<Zval> {
    let data: Zval = if let Some(ours) = ZendClassObject::<Event>::from_zend_obj(obj) {
        ours.data().into_zval(false)?
    } else if zv::has_method(obj, "get_data") {
        super::engine::settle(super::engine::call_method(obj, "get_data", &[]))??
    } else {
        Zval::null()
    };
    if data.array().is_none() {
        return Err(fail(
            &ev.eventname,
            factory::record_param(used),
            Rule::Invalid {
                expected: "a moodle_events\\event or a Moodle event (\\core\\event\\base)".into(),
            },
        ));
    }
    Ok(data)
}

#[php_impl]
#[php(change_method_case = "snake_case")]
impl Event {
    /// Moodle's `create()`: keys objectid, context|contextid, userid, relateduserid,
    /// courseid, anonymous, other.
    pub fn create(eventname: NameArg<'_>, data: zv::ArrayIn<'_>) -> EventResult {
        let ev = super::resolve(eventname.utf8()?)?;
        let input = validate::split_create_data(&ev, data.0).map_err(throw)?;
        let other = input.other.map(|o| zv::detach(o, detach_depth()));
        super::engine::entry(|| build(ev, &input, other, None).map(into_object))
    }

    /// Validates Moodle's own data of a catalogue event (`$this->data` once Moodle's
    /// create() has filled it) with create()'s rules and messages, building nothing: the
    /// bridge's validate_data(). The context is read from the data (contextid,
    /// contextlevel, contextinstanceid); `$context` is asked for its course once per
    /// context and request, to check courseid against it.
    pub fn validate_data(data: &ZendHashTable, context: &mut ZendObject) -> PhpResult<()> {
        if super::moodle::handed_over(data) {
            return Ok(());
        }
        let mut held = Zval::new();
        held.set_object(context);
        super::engine::entry(|| check_moodle_data(data, &held))
    }

    /// archive_job_* and write_task_* from a local_archiving_job row.
    #[php(defaults(other = zv::ArrayArg::EMPTY))]
    pub fn create_from_job(eventname: NameArg<'_>, job: &mut ZendObject, other: zv::ArrayArg<'_>) -> EventResult {
        super::engine::entry(|| create_from(eventname.utf8()?, Factory::Job, job, other.0).map(into_object))
    }

    /// task_* from a local_archiving_activity_task row.
    #[php(defaults(other = zv::ArrayArg::EMPTY))]
    pub fn create_from_task(eventname: NameArg<'_>, task: &mut ZendObject, other: zv::ArrayArg<'_>) -> EventResult {
        super::engine::entry(|| create_from(eventname.utf8()?, Factory::Task, task, other.0).map(into_object))
    }

    /// read_task_* from a local_archiving_file row (with its job's contextid).
    #[php(defaults(other = zv::ArrayArg::EMPTY))]
    pub fn create_from_file(eventname: NameArg<'_>, file: &mut ZendObject, other: zv::ArrayArg<'_>) -> EventResult {
        super::engine::entry(|| create_from(eventname.utf8()?, Factory::File, file, other.0).map(into_object))
    }

    /// transmission_* from the forwarded event (ours or a Moodle event).
    #[php(defaults(other = zv::ArrayArg::EMPTY))]
    pub fn create_from_event(
        eventname: NameArg<'_>,
        forwarded: &mut ZendObject,
        other: zv::ArrayArg<'_>,
    ) -> EventResult {
        super::engine::entry(|| create_from(eventname.utf8()?, Factory::Event, forwarded, other.0).map(into_object))
    }

    /// The 17 Moodle fields, in Moodle's order.
    pub fn get_data(&self) -> zv::ArrayValue {
        self.data_array()
    }

    /// A data field; anything else is PHP's "Undefined property" warning and null.
    /// Property names are taken as any bytes (a name that is not UTF-8 is simply no field).
    pub fn __get(&self, name: NameArg<'_>) -> PhpResult<Zval> {
        super::engine::entry(|| {
            let field = std::str::from_utf8(name.0.as_bytes()).ok();
            match field.and_then(|f| self.field_zval(f)) {
                Some(v) => Ok(v),
                None => super::engine::warn(&format!("Undefined property: moodle_events\\event::${}", name.lossy()))
                    .map(|()| Zval::null()),
            }
        })
    }

    pub fn __isset(&self, name: NameArg<'_>) -> bool {
        let field = std::str::from_utf8(name.0.as_bytes()).ok();
        field.and_then(|f| self.field_zval(f)).is_some_and(|v| !v.is_null())
    }

    #[allow(unused_variables)]
    pub fn __set(&self, name: NameArg<'_>, value: &Zval) -> PhpResult<()> {
        Err(fail(self.eventname(), &name.lossy(), Rule::Modified))
    }

    #[allow(unused_variables)]
    pub fn __unset(&self, name: NameArg<'_>) -> PhpResult<()> {
        Err(fail(self.eventname(), &name.lossy(), Rule::Modified))
    }

    /// `protected array $data`, as in Moodle's events: the 17 fields as a property, so
    /// `==`, `(array)` casts and PHPUnit's assertEquals() compare events by their data.
    /// The shared array: the engine reads it on every comparison, cast and GC scan.
    #[php(getter, vis = "protected", name = "data")]
    pub fn data_property(&self) -> zv::ArrayValue {
        self.data_array()
    }

    /// What var_dump() and print_r() show: the data and the trigger state.
    #[php(name = "__debugInfo")]
    pub fn debug_info(&self) -> ZBox<ZendHashTable> {
        let mut ht = self.data();
        let _ = ht.insert("triggered", self.rec.is_triggered());
        let _ = ht.insert("dispatched", self.rec.is_dispatched());
        ht
    }

    pub fn get_name(&self) -> &'static str {
        self.rec.name.def.title
    }

    pub fn get_description(&self) -> String {
        self.rec.description()
    }

    /// Inside Moodle: this event as its bridge class, a real `\core\event\base` (not
    /// triggered), made by Moodle's create() from this event's data, time and record
    /// snapshots, without validating again.
    pub fn moodle_event(&self) -> PhpResult<zv::MoodleEventObject> {
        super::engine::entry(|| {
            let handover = self.handover()?;
            // PHP code runs from here on: `self` is not used again.
            match super::moodle::hand_over(&handover)? {
                Some(event) => Ok(zv::MoodleEventObject(event)),
                None => Err(no_bridge(&handover.validated.name)),
            }
        })
    }

    pub fn trigger(self_: &mut ZendClassObject<Event>) -> PhpResult<()> {
        super::engine::entry(|| super::trigger::trigger(self_))
    }

    pub fn is_triggered(&self) -> bool {
        self.rec.is_triggered()
    }

    pub fn is_dispatched(&self) -> bool {
        self.rec.is_dispatched()
    }

    pub fn add_record_snapshot(
        self_: &mut ZendClassObject<Event>,
        table: NameArg<'_>,
        record: &mut ZendObject,
    ) -> PhpResult<()> {
        super::engine::entry(|| add_snapshot(self_, &table.lossy(), record))
    }

    /// A copy of the snapshot (changing it changes nothing in the event), or null.
    pub fn get_record_snapshot(&self, table: NameArg<'_>, id: i64) -> PhpResult<Option<zv::AnyObject>> {
        let Some(stored) = self.rec.snapshot(&table.lossy(), id).and_then(Zval::object) else {
            return Ok(None);
        };
        Ok(Some(zv::AnyObject(snapshot_copy(&self.rec.name, stored)?)))
    }

    #[php(name = "getIterator")]
    pub fn get_iterator(&self) -> PhpResult<zv::IteratorObject> {
        super::array_iterator(self.data().into_zval(false)?)
    }

    #[php(name = "jsonSerialize")]
    pub fn json_serialize(&self) -> zv::ArrayValue {
        self.data_array()
    }
}
