//! Moodle's `create()` data outside `other`: sorting the keys, the context, the ids and
//! flags of the event header.

use super::secrets::RESERVED_KEYS;
use crate::catalogue::EventName;
use crate::error::{Result, Rule, ValidationError};
use crate::value::{canonical_int, Key, Kind, Value};

/// The keys of Moodle's `create()` data, sorted out.
#[derive(Debug)]
pub struct CreateInput<'a, V: ?Sized> {
    pub objectid: Option<&'a V>,
    pub context: Option<&'a V>,
    pub contextid: Option<&'a V>,
    pub userid: Option<&'a V>,
    pub relateduserid: Option<&'a V>,
    pub courseid: Option<&'a V>,
    pub anonymous: Option<&'a V>,
    pub other: Option<&'a V>,
}

impl<V: ?Sized> Default for CreateInput<'_, V> {
    fn default() -> Self {
        CreateInput {
            objectid: None,
            context: None,
            contextid: None,
            userid: None,
            relateduserid: None,
            courseid: None,
            anonymous: None,
            other: None,
        }
    }
}

/// Sorts `create()` data into its keys; reserved and unknown keys are errors.
pub fn split_create_data<'a, V: Value>(ev: &EventName, data: &'a V) -> Result<CreateInput<'a, V>> {
    let mut input = CreateInput::default();
    data.for_each_entry(&mut |k, v| {
        let Key::Str(k) = k else {
            return Err(ValidationError::new(
                &*ev.eventname,
                k.display(),
                Rule::UnknownCreateKey,
            ));
        };
        let slot = match k {
            b"objectid" => &mut input.objectid,
            b"context" => &mut input.context,
            b"contextid" => &mut input.contextid,
            b"userid" => &mut input.userid,
            b"relateduserid" => &mut input.relateduserid,
            b"courseid" => &mut input.courseid,
            b"anonymous" => &mut input.anonymous,
            b"other" => &mut input.other,
            _ => {
                let rule = if RESERVED_KEYS.iter().any(|r| r.as_bytes() == k) {
                    Rule::Reserved
                } else {
                    Rule::UnknownCreateKey
                };
                return Err(ValidationError::new(&*ev.eventname, Key::Str(k).display(), rule));
            }
        };
        *slot = Some(v);
        Ok(())
    })?;
    Ok(input)
}

/// An integer field: an int, or a canonical numeric string (normalised). Null is None.
pub fn int_field<V: Value + ?Sized>(ev: &EventName, field: &str, v: Option<&V>) -> Result<Option<i64>> {
    let Some(v) = v else { return Ok(None) };
    match v.kind() {
        Kind::Null => Ok(None),
        Kind::Int(i) => Ok(Some(i)),
        Kind::Str(s) => match canonical_int(s) {
            Some(i) => Ok(Some(i)),
            None => Err(ValidationError::new(
                &*ev.eventname,
                field,
                Rule::Invalid {
                    expected: "an integer (a canonical numeric string is accepted)".into(),
                },
            )),
        },
        k => Err(ValidationError::new(
            &*ev.eventname,
            field,
            Rule::WrongType {
                expected: "int",
                got: k.type_name(),
            },
        )),
    }
}

/// How create() data names its context.
#[derive(Debug)]
pub enum ContextArg<'a, V: ?Sized> {
    /// A context object (read by the caller: id, contextlevel, instanceid).
    Object(&'a V),
    Id(i64),
    Missing,
}

/// The context key of create() data: a context object or a contextid, not both.
pub fn context_arg<'a, V: Value + ?Sized>(ev: &EventName, input: &CreateInput<'a, V>) -> Result<ContextArg<'a, V>> {
    let given = |v: Option<&'a V>| v.filter(|v| v.kind() != Kind::Null);
    let err = |field: &str, rule| ValidationError::new(&*ev.eventname, field, rule);
    match (given(input.context), given(input.contextid)) {
        (Some(_), Some(_)) => Err(err(
            "context",
            Rule::NotAllowed {
                why: "give context or contextid, not both",
            },
        )),
        (Some(c), None) if c.kind() == Kind::Object => Ok(ContextArg::Object(c)),
        (Some(c), None) => Err(err(
            "context",
            Rule::WrongType {
                expected: "a context object (or pass contextid)",
                got: c.kind().type_name(),
            },
        )),
        (None, Some(id)) => Ok(ContextArg::Id(
            int_field(ev, "contextid", Some(id))?.unwrap_or_default(),
        )),
        (None, None) => Ok(ContextArg::Missing),
    }
}

/// `$USER->id` as the default userid: an int or a canonical numeric string; 0 when there
/// is none (null). Anything else is refused rather than silently attributed to nobody.
pub fn userid_from<V: Value + ?Sized>(ev: &EventName, id: Option<&V>) -> Result<i64> {
    match id.map(|v| v.kind()) {
        None | Some(Kind::Null) => Ok(0),
        Some(Kind::Int(i)) => Ok(i),
        Some(Kind::Str(s)) if canonical_int(s).is_some() => Ok(canonical_int(s).unwrap_or_default()),
        Some(k) => Err(ValidationError::new(
            &*ev.eventname,
            "userid",
            Rule::WrongType {
                expected: "an int (the default userid is $USER->id)",
                got: k.type_name(),
            },
        )),
    }
}

/// Moodle's `CONTEXT_USER` context level.
pub const CONTEXT_USER: i64 = 30;

/// A context as read from a Moodle context object or looked up from a contextid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ContextInfo {
    pub id: i64,
    pub level: Option<i64>,
    pub instanceid: Option<i64>,
    /// The course the context belongs to, where known.
    pub courseid: Option<i64>,
}

/// The validated Moodle header fields of an event (everything but `other`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub objectid: Option<i64>,
    pub context: ContextInfo,
    pub userid: i64,
    pub courseid: i64,
    pub relateduserid: Option<i64>,
    pub anonymous: bool,
}

/// objectid: required (at least 1) when the event has an objecttable, else refused.
fn check_objectid<V: Value + ?Sized>(ev: &EventName, v: Option<&V>) -> Result<Option<i64>> {
    let err = |rule: Rule| ValidationError::new(&*ev.eventname, "objectid", rule);
    let objectid = int_field(ev, "objectid", v)?;
    match (ev.def.objecttable(), objectid) {
        (Some(_), None) => Err(err(Rule::Required)),
        (Some(_), Some(id)) if id <= 0 => Err(err(Rule::TooSmall { min: 1, got: id })),
        (None, Some(_)) => Err(err(Rule::NotAllowed {
            why: "this event has no objecttable, so no objectid",
        })),
        _ => Ok(objectid),
    }
}

/// courseid: the context's course when known (a different one is refused), else the
/// given one, else 0; never negative.
fn check_courseid<V: Value + ?Sized>(ev: &EventName, v: Option<&V>, known: Option<i64>) -> Result<i64> {
    let err = |rule: Rule| ValidationError::new(&*ev.eventname, "courseid", rule);
    let given = int_field(ev, "courseid", v)?;
    if let (Some(given), Some(known)) = (given, known) {
        if given != known {
            return Err(err(Rule::Invalid {
                expected: format!("the context's course {known}, got {given}"),
            }));
        }
    }
    let courseid = given.or(known).unwrap_or(0);
    if courseid < 0 {
        return Err(err(Rule::TooSmall { min: 0, got: courseid }));
    }
    Ok(courseid)
}

/// anonymous: a bool, 0/1, or "0"/""/"1" as Moodle's forms give it; absent is false.
fn check_anonymous<V: Value + ?Sized>(ev: &EventName, v: Option<&V>) -> Result<bool> {
    match v.map(|v| v.kind()) {
        None | Some(Kind::Null) => Ok(false),
        Some(Kind::Bool(b)) => Ok(b),
        Some(Kind::Int(i)) if i == 0 || i == 1 => Ok(i == 1),
        Some(Kind::Str(b"0")) | Some(Kind::Str(b"")) => Ok(false),
        Some(Kind::Str(b"1")) => Ok(true),
        Some(k) => Err(ValidationError::new(
            &*ev.eventname,
            "anonymous",
            Rule::WrongType {
                expected: "bool or 0/1",
                got: k.type_name(),
            },
        )),
    }
}

/// Checks the header fields. `context` is the context already read by the caller (from a
/// context object or a contextid); `current_userid` is `$USER->id` (or 0).
pub fn check_header<V: Value + ?Sized>(
    ev: &EventName,
    input: &CreateInput<'_, V>,
    context: Option<ContextInfo>,
    current_userid: i64,
) -> Result<Header> {
    let err = |field: &str, rule: Rule| ValidationError::new(&*ev.eventname, field, rule);
    let objectid = check_objectid(ev, input.objectid)?;
    let Some(context) = context else {
        return Err(err("context", Rule::ContextRequired));
    };
    if context.id <= 0 {
        return Err(err(
            "contextid",
            Rule::TooSmall {
                min: 1,
                got: context.id,
            },
        ));
    }
    let userid = int_field(ev, "userid", input.userid)?.unwrap_or(current_userid);
    if userid < -1 {
        return Err(err("userid", Rule::TooSmall { min: -1, got: userid }));
    }
    // As in Moodle: in a user context, the related user defaults to that user.
    let relateduserid = match int_field(ev, "relateduserid", input.relateduserid)? {
        None if context.level == Some(CONTEXT_USER) => context.instanceid,
        r => r,
    };
    if let Some(r) = relateduserid.filter(|r| *r < -1) {
        return Err(err("relateduserid", Rule::TooSmall { min: -1, got: r }));
    }
    let courseid = check_courseid(ev, input.courseid, context.courseid)?;
    let anonymous = check_anonymous(ev, input.anonymous)?;
    Ok(Header {
        objectid,
        context,
        userid,
        courseid,
        relateduserid,
        anonymous,
    })
}
