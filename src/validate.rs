//! Validation of Moodle `create()` data and of `other` against the catalogue. Generic
//! over [`Value`], so PHP arrays are checked in place. Errors never echo a string value.

use crate::catalogue::{EventName, KeySpec, Type};
use crate::error::{Result, Rule, ValidationError};
use crate::value::{canonical_int, Key, Kind, Value};

/// Bounds on what an event may hold (the extension's php.ini settings, [`SETTINGS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Nesting levels of arrays, `other` itself being level 1.
    pub max_depth: usize,
    /// Size of `other` as JSON, in bytes (strings counted by their bytes, escapes not
    /// counted; a float as 24 characters).
    pub max_other_bytes: usize,
    /// Events one sink may hold.
    pub max_sink_events: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::from_values(SETTINGS.map(|s| s.default))
    }
}

/// One limit as a php.ini setting (SECURITY.md documents each; a test keeps it true).
#[derive(Debug)]
pub struct Setting {
    /// `moodle_events.<name>`.
    pub name: &'static str,
    pub default: usize,
    pub min: usize,
    pub max: usize,
}

/// The limits, in the order of [`Limits`]' fields. `max_depth` stays within what
/// `json_encode()` accepts by default (512) with room for the two levels around `other`
/// (the data array, a list of events), so every event can be written as JSON.
pub const SETTINGS: [Setting; 3] = [
    Setting {
        name: "moodle_events.max_depth",
        default: 32,
        min: 1,
        max: 510,
    },
    Setting {
        name: "moodle_events.max_other_bytes",
        default: 65_536,
        min: 256,
        max: 64 << 20,
    },
    Setting {
        name: "moodle_events.max_sink_events",
        default: 1_000_000,
        min: 1,
        max: 1_000_000_000,
    },
];

impl Limits {
    /// The limits from their values, in the order of [`SETTINGS`].
    pub fn from_values([max_depth, max_other_bytes, max_sink_events]: [usize; 3]) -> Self {
        Limits {
            max_depth,
            max_other_bytes,
            max_sink_events,
        }
    }

    /// The values, in the order of [`SETTINGS`].
    pub fn values(&self) -> [usize; 3] {
        [self.max_depth, self.max_other_bytes, self.max_sink_events]
    }

    /// Sets the limit named `name` (a [`SETTINGS`] name) from its php.ini text: a decimal
    /// integer within the setting's range.
    pub fn set(&mut self, name: &str, value: &[u8]) -> std::result::Result<(), String> {
        let (i, setting) = SETTINGS
            .iter()
            .enumerate()
            .find(|(_, s)| s.name == name)
            .ok_or_else(|| format!("{name} is not a moodle_events setting"))?;
        let n = utf8(value)
            .map(str::trim)
            .and_then(|t| t.parse::<usize>().ok())
            .filter(|n| (setting.min..=setting.max).contains(n))
            .ok_or_else(|| format!("{name} must be an integer from {} to {}", setting.min, setting.max))?;
        let mut values = self.values();
        values[i] = n;
        *self = Limits::from_values(values);
        Ok(())
    }
}

/// Characters of a scalar in JSON (arrays: their brackets), for the size limit.
#[inline]
fn json_size(kind: &Kind<'_>) -> usize {
    match kind {
        Kind::Null | Kind::Bool(true) => 4,
        Kind::Bool(false) => 5,
        Kind::Int(i) => usize::from(*i < 0) + i.unsigned_abs().checked_ilog10().map_or(1, |d| d as usize + 1),
        Kind::Float(_) => 24,
        Kind::Str(s) => s.len() + 2,
        Kind::Array => 2,
        Kind::Object | Kind::Other(_) => 0,
    }
}

/// Characters of an array key in JSON, with its quotes, colon and comma.
#[inline]
fn key_size(key: &Key<'_>) -> usize {
    match key {
        Key::Str(s) => s.len() + 4,
        Key::Int(i) => json_size(&Kind::Int(*i)) + 4,
    }
}

/// Keys that Moodle sets itself (or that belong to `init()`), rejected in `create()`.
pub const RESERVED_KEYS: &[&str] = &[
    "eventname",
    "component",
    "action",
    "target",
    "crud",
    "edulevel",
    "objecttable",
    "contextlevel",
    "contextinstanceid",
    "timecreated",
];

/// Fragments of key names that mark a secret, compared case-insensitively (README and
/// SECURITY.md list them; a test keeps both true). Besides these, a key that is `key` or
/// ends in `_key` is a secret too.
pub const SECRET_MARKERS: &[&str] = &[
    "token",
    "password",
    "passwd",
    "passphrase",
    "secret",
    "apikey",
    "api_key",
    "privatekey",
    "private_key",
    "privkey",
    "sesskey",
    "accesskey",
    "credential",
    "authorization",
    "cookie",
];

/// Does this key name look like it holds a secret (`wstoken`, `password`, `client_secret`…)?
/// No allocation, one pass: every key of every free-form array goes through here, so each
/// position is compared only with the markers that start with its letter (a table).
pub fn is_secret_key(key: &[u8]) -> bool {
    if key.eq_ignore_ascii_case(b"key") || key.len() >= 4 && key[key.len() - 4..].eq_ignore_ascii_case(b"_key") {
        return true;
    }
    if key.len() < SHORTEST_MARKER {
        return false;
    }
    (0..=key.len() - SHORTEST_MARKER).any(|at| {
        let mut markers = MARKERS_BY_FIRST_BYTE[usize::from(key[at])];
        while markers != 0 {
            let m = SECRET_MARKERS[markers.trailing_zeros() as usize].as_bytes();
            let rest = &key[at..];
            if rest.len() >= m.len() && rest[..m.len()].eq_ignore_ascii_case(m) {
                return true;
            }
            markers &= markers - 1;
        }
        false
    })
}

const SHORTEST_MARKER: usize = 5;

/// For each byte, the markers (bit i: `SECRET_MARKERS[i]`) it starts, in either case.
static MARKERS_BY_FIRST_BYTE: [u16; 256] = {
    assert!(SECRET_MARKERS.len() <= 16);
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < SECRET_MARKERS.len() {
        let b = SECRET_MARKERS[i].as_bytes()[0];
        t[b as usize] |= 1 << i;
        t[b.to_ascii_uppercase() as usize] |= 1 << i;
        i += 1;
    }
    t
};

/// `b` as UTF-8 text (the common all-ASCII case without the general decoder).
pub fn utf8(b: &[u8]) -> Option<&str> {
    if b.is_ascii() {
        // SAFETY: ASCII is valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(b) })
    } else {
        std::str::from_utf8(b).ok()
    }
}

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

/// What a record snapshot does with one property of the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotColumn {
    /// A public column: copied.
    Keep,
    /// A secret-named column (`wstoken`): kept as null, so the snapshot still has every
    /// column of its table (Moodle's developer check of snapshots expects them all).
    Redact,
    /// Not a column: a private or protected property (PHP mangles their names with a
    /// leading NUL byte).
    Drop,
}

pub fn snapshot_column(property: &[u8]) -> SnapshotColumn {
    if property.first() == Some(&0) {
        SnapshotColumn::Drop
    } else if is_secret_key(property) {
        SnapshotColumn::Redact
    } else {
        SnapshotColumn::Keep
    }
}

/// A snapshot column must hold a database value: null, bool, int, finite float, string
/// (any bytes: a column may be binary) or an array of these, not too deep. An object or a
/// resource would tie the event to live PHP state.
pub fn check_snapshot_value<V: Value + ?Sized>(ev: &EventName, column: &[u8], v: &V, limits: Limits) -> Result<()> {
    fn walk<V: Value + ?Sized>(v: &V, depth: usize, max: usize) -> std::result::Result<(), Rule> {
        match v.kind() {
            Kind::Null | Kind::Bool(_) | Kind::Int(_) | Kind::Str(_) => Ok(()),
            Kind::Float(f) if f.is_finite() => Ok(()),
            Kind::Float(_) => Err(Rule::NotFinite),
            Kind::Array if depth >= max => Err(Rule::TooDeep { max }),
            Kind::Array => v.for_each_entry(&mut |_, item| walk(item, depth + 1, max)),
            k @ (Kind::Object | Kind::Other(_)) => Err(Rule::NotJsonCompatible { got: k.type_name() }),
        }
    }
    let field = || format!("snapshot.{}", Key::Str(column).display());
    if std::str::from_utf8(column).is_err() {
        return Err(ValidationError::new(&*ev.eventname, field(), Rule::InvalidUtf8));
    }
    walk(v, 0, limits.max_depth).map_err(|rule| ValidationError::new(&*ev.eventname, field(), rule))
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

/// Checks the header fields. `context` is the context already read by the caller (from a
/// context object or a contextid); `current_userid` is `$USER->id` (or 0).
pub fn check_header<V: Value + ?Sized>(
    ev: &EventName,
    input: &CreateInput<'_, V>,
    context: Option<ContextInfo>,
    current_userid: i64,
) -> Result<Header> {
    let err = |field: &str, rule: Rule| ValidationError::new(&*ev.eventname, field, rule);
    let objectid = int_field(ev, "objectid", input.objectid)?;
    match (ev.def.objecttable(), objectid) {
        (Some(_), None) => return Err(err("objectid", Rule::Required)),
        (Some(_), Some(id)) if id <= 0 => return Err(err("objectid", Rule::TooSmall { min: 1, got: id })),
        (None, Some(_)) => {
            return Err(err(
                "objectid",
                Rule::NotAllowed {
                    why: "this event has no objecttable, so no objectid",
                },
            ))
        }
        _ => {}
    }
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
    let given = int_field(ev, "courseid", input.courseid)?;
    if let (Some(given), Some(known)) = (given, context.courseid) {
        if given != known {
            return Err(err(
                "courseid",
                Rule::Invalid {
                    expected: format!("the context's course {known}, got {given}"),
                },
            ));
        }
    }
    let courseid = given.or(context.courseid).unwrap_or(0);
    if courseid < 0 {
        return Err(err("courseid", Rule::TooSmall { min: 0, got: courseid }));
    }
    let anonymous = match input.anonymous.map(|v| v.kind()) {
        None | Some(Kind::Null) => false,
        Some(Kind::Bool(b)) => b,
        Some(Kind::Int(i)) if i == 0 || i == 1 => i == 1,
        Some(Kind::Str(b"0")) | Some(Kind::Str(b"")) => false,
        Some(Kind::Str(b"1")) => true,
        Some(k) => {
            return Err(err(
                "anonymous",
                Rule::WrongType {
                    expected: "bool or 0/1",
                    got: k.type_name(),
                },
            ));
        }
    };
    Ok(Header {
        objectid,
        context,
        userid,
        courseid,
        relateduserid,
        anonymous,
    })
}

/// An int in `other` given as a canonical numeric string: the binding writes `value` at
/// `path` (keys below `other`) so the stored event holds a real int.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixup {
    pub path: Vec<&'static str>,
    pub value: i64,
}

/// Where a value sits below `other`, as a chain of stack frames: nothing is allocated
/// unless an error (or a fix-up) needs it.
#[derive(Clone, Copy)]
enum Path<'p> {
    Other,
    /// A documented key (of `other` or of an array's `fields`).
    Field(&'p Path<'p>, &'static str),
    /// A key of free-form data.
    Key(&'p Path<'p>, Key<'p>),
    /// A list item.
    Item(&'p Path<'p>, Key<'p>),
}

impl Path<'_> {
    fn render(&self) -> String {
        match self {
            Path::Other => "other".into(),
            Path::Field(p, k) => format!("{}.{k}", p.render()),
            Path::Key(p, k) => format!("{}.{}", p.render(), k.display()),
            Path::Item(p, k) => format!("{}[{}]", p.render(), k.display()),
        }
    }

    /// The top-level `other.<key>` this path is under.
    fn root(&self) -> Path<'_> {
        let mut p = self;
        loop {
            match p {
                Path::Field(Path::Other, _) | Path::Key(Path::Other, _) | Path::Item(Path::Other, _) | Path::Other => {
                    return *p
                }
                Path::Field(up, _) | Path::Key(up, _) | Path::Item(up, _) => p = up,
            }
        }
    }

    /// The documented keys leading here, when every step is one (fix-ups apply there only).
    fn fields(&self) -> Option<Vec<&'static str>> {
        match self {
            Path::Other => Some(Vec::new()),
            Path::Field(up, k) => {
                let mut v = up.fields()?;
                v.push(k);
                Some(v)
            }
            Path::Key(..) | Path::Item(..) => None,
        }
    }
}

struct Walker<'e> {
    ev: &'e EventName,
    limits: Limits,
    fixups: Vec<Fixup>,
    /// JSON size of `other` counted so far.
    bytes: std::cell::Cell<usize>,
    /// Above 0 while checking fields of an array already counted whole.
    counted: std::cell::Cell<u32>,
}

impl Walker<'_> {
    /// Counts `n` more bytes of JSON (unless this part was counted already).
    #[inline]
    fn add(&self, n: usize) -> Result<()> {
        if self.counted.get() > 0 {
            return Ok(());
        }
        let total = self.bytes.get() + n;
        self.bytes.set(total);
        if total > self.limits.max_other_bytes {
            return Err(self.too_big());
        }
        Ok(())
    }

    #[cold]
    fn too_big(&self) -> ValidationError {
        self.err(
            &Path::Other,
            Rule::TooBig {
                max: self.limits.max_other_bytes,
            },
        )
    }

    fn err(&self, at: &Path<'_>, rule: Rule) -> ValidationError {
        ValidationError::new(&*self.ev.eventname, at.render(), rule)
    }

    /// A nesting error names the top-level key, not a path as long as the nesting.
    fn too_deep(&self, at: &Path<'_>) -> ValidationError {
        self.err(
            &at.root(),
            Rule::TooDeep {
                max: self.limits.max_depth,
            },
        )
    }

    /// JSON-compatibility, UTF-8, finiteness, depth and secret checks for free-form data.
    fn check_free<V: Value + ?Sized>(&self, at: &Path<'_>, v: &V, depth: usize) -> Result<()> {
        let kind = v.kind();
        self.add(json_size(&kind))?;
        match kind {
            Kind::Null | Kind::Bool(_) | Kind::Int(_) => Ok(()),
            Kind::Float(f) if f.is_finite() => Ok(()),
            Kind::Float(_) => Err(self.err(at, Rule::NotFinite)),
            Kind::Str(s) if utf8(s).is_some() => Ok(()),
            Kind::Str(_) => Err(self.err(at, Rule::InvalidUtf8)),
            Kind::Array => {
                if depth >= self.limits.max_depth {
                    return Err(self.too_deep(at));
                }
                v.for_each_entry(&mut |k, item| {
                    let here = Path::Key(at, k);
                    self.add(key_size(&k))?;
                    if let Key::Str(name) = k {
                        if is_secret_key(name) {
                            return Err(self.err(&here, Rule::Secret));
                        }
                        if utf8(name).is_none() {
                            return Err(self.err(&here, Rule::InvalidUtf8));
                        }
                    }
                    self.check_free(&here, item, depth + 1)
                })
            }
            k @ (Kind::Object | Kind::Other(_)) => Err(self.err(at, Rule::NotJsonCompatible { got: k.type_name() })),
        }
    }

    fn check_typed<V: Value + ?Sized>(&mut self, at: &Path<'_>, ty: &'static Type, v: &V, depth: usize) -> Result<()> {
        let kind = v.kind();
        if !matches!(ty, Type::Array { .. }) {
            // A list's brackets, or a scalar (an array is counted by check_free).
            self.add(json_size(&kind))?;
        }
        let wrong = |w: &Self| {
            w.err(
                at,
                Rule::WrongType {
                    expected: ty.name(),
                    got: kind.type_name(),
                },
            )
        };
        match ty {
            Type::Int { min, max, values } => {
                let i = match kind {
                    Kind::Int(i) => i,
                    Kind::Str(s) => match (canonical_int(s), at.fields()) {
                        (Some(i), Some(path)) => {
                            self.fixups.push(Fixup { path, value: i });
                            i
                        }
                        _ => return Err(wrong(self)),
                    },
                    _ => return Err(wrong(self)),
                };
                if let Some(set) = values {
                    if !set.contains(i) {
                        return Err(self.err(
                            at,
                            Rule::NotInSet {
                                allowed: set.describe(),
                                got: i,
                            },
                        ));
                    }
                }
                if let Some(min) = *min {
                    if i < min {
                        return Err(self.err(at, Rule::TooSmall { min, got: i }));
                    }
                }
                if let Some(max) = *max {
                    if i > max {
                        return Err(self.err(at, Rule::TooLarge { max, got: i }));
                    }
                }
                Ok(())
            }
            Type::Str {
                maxlength,
                format,
                table,
            } => {
                let Kind::Str(b) = kind else { return Err(wrong(self)) };
                let Some(s) = utf8(b) else {
                    return Err(self.err(at, Rule::InvalidUtf8));
                };
                if s.is_empty() {
                    return Err(self.err(at, Rule::Empty));
                }
                if let Some(max) = *maxlength {
                    // Bytes bound characters from above: count only when it may matter.
                    let len = if s.len() > max { s.chars().count() } else { s.len() };
                    if len > max {
                        return Err(self.err(at, Rule::TooLong { max, len }));
                    }
                }
                if let Some(f) = format {
                    if !f.check(s) {
                        return Err(self.err(at, Rule::BadFormat { what: f.describe() }));
                    }
                }
                if let Some(t) = table {
                    if !t.columns.contains(&s) {
                        return Err(self.err(at, Rule::NotAColumn { table: t.name }));
                    }
                }
                Ok(())
            }
            Type::Bool => match kind {
                Kind::Bool(_) => Ok(()),
                _ => Err(wrong(self)),
            },
            Type::Float => match kind {
                Kind::Float(f) if f.is_finite() => Ok(()),
                Kind::Float(_) => Err(self.err(at, Rule::NotFinite)),
                Kind::Int(_) => Ok(()),
                _ => Err(wrong(self)),
            },
            Type::List { items } => {
                if kind != Kind::Array {
                    return Err(wrong(self));
                }
                if !v.is_list() {
                    return Err(self.err(at, Rule::NotAList));
                }
                if v.is_empty() {
                    return Err(self.err(at, Rule::Empty));
                }
                if depth >= self.limits.max_depth {
                    return Err(self.too_deep(at));
                }
                // Items are not fixed up: a list's items must have their type already.
                v.for_each_entry(&mut |k, item| {
                    self.add(1)?;
                    self.check_typed(&Path::Item(at, k), items, item, depth + 1)
                })
            }
            Type::Array { fields } => {
                if kind != Kind::Array {
                    return Err(wrong(self));
                }
                self.check_free(at, v, depth)?;
                self.counted.set(self.counted.get() + 1);
                let fields = self.check_fields(at, fields, v, depth);
                self.counted.set(self.counted.get() - 1);
                fields
            }
        }
    }

    /// Checks the documented `fields` of an array (unknown keys are allowed here).
    fn check_fields<V: Value + ?Sized>(
        &mut self,
        at: &Path<'_>,
        fields: &'static [KeySpec],
        v: &V,
        depth: usize,
    ) -> Result<()> {
        for spec in fields {
            let here = Path::Field(at, spec.key);
            match v.get(spec.key) {
                Some(item) if item.kind() != Kind::Null => self.check_typed(&here, &spec.ty, item, depth + 1)?,
                _ if spec.required => return Err(self.err(&here, Rule::Required)),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Validates `other` against the event's schema (and, for keys that must equal it, the
/// event's `objectid`). Returns the canonical-int fix-ups to apply (usually none).
/// `other` may be absent or null only when no key is required.
pub fn validate_other<V: Value + ?Sized>(
    ev: &EventName,
    other: Option<&V>,
    objectid: Option<i64>,
    limits: Limits,
) -> Result<Vec<Fixup>> {
    let mut w = Walker {
        ev,
        limits,
        fixups: Vec::new(),
        bytes: std::cell::Cell::new(2),
        counted: std::cell::Cell::new(0),
    };
    let schema = ev.def.other;
    let top = Path::Other;
    let other = match other.map(|o| (o, o.kind())) {
        None | Some((_, Kind::Null)) => {
            if let Some(k) = schema.iter().find(|k| k.required) {
                return Err(w.err(&Path::Field(&top, k.key), Rule::Required));
            }
            return Ok(Vec::new());
        }
        Some((o, Kind::Array)) => o,
        Some((_, k)) => {
            return Err(w.err(
                &top,
                Rule::WrongType {
                    expected: "array",
                    got: k.type_name(),
                },
            ))
        }
    };
    // Unknown keys first (a secret-looking key is reported as such, not as unknown).
    other.for_each_entry(&mut |k, v| match k {
        Key::Str(name) if is_secret_key(name) => Err(w.err(&Path::Key(&top, k), Rule::Secret)),
        Key::Str(name) if schema.iter().any(|s| s.key.as_bytes() == name) => {
            // Keys, and null values (which check_fields skips).
            w.add(key_size(&k) + if v.kind() == Kind::Null { 4 } else { 0 })
        }
        _ => Err(w.err(
            &Path::Key(&top, k),
            Rule::UnknownOtherKey {
                allowed: ev.def.other_keys(),
            },
        )),
    })?;
    // A null optional key is "not given"; every other value is checked whole.
    w.check_fields(&top, schema, other, 0)?;
    for spec in schema.iter().filter(|k| k.same_as_objectid) {
        let got = match other.get(spec.key).map(|v| v.kind()) {
            Some(Kind::Int(i)) => Some(i),
            Some(Kind::Str(s)) => canonical_int(s),
            _ => None,
        };
        if let (Some(got), Some(objectid)) = (got, objectid) {
            if got != objectid {
                return Err(w.err(&Path::Field(&top, spec.key), Rule::NotObjectid { objectid, got }));
            }
        }
    }
    Ok(w.fixups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::resolve;
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
}
