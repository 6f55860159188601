//! Typed validation errors. Every error names the event, the field and the rule broken;
//! none echoes a string value taken from `other` (it could be a secret).

use thiserror::Error;

/// A broken rule. The message never contains a string value taken from event data.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Rule {
    #[error("not a Moodle event class name (\\component\\event\\name); catalogue families: {families}")]
    NotAnEventName { families: String },
    #[error("unknown component; catalogue families: {families}")]
    UnknownComponent { families: String },
    #[error("'{plugin}' is not a valid frankenstyle plugin name ([a-z][a-z0-9_]*[a-z0-9], no '__')")]
    InvalidPluginName { plugin: String },
    #[error("no such event in this component; it has: {names}")]
    UnknownEventOfComponent { names: String },
    #[error("is required")]
    Required,
    #[error("is required: context (or contextid) is a required event property")]
    ContextRequired,
    #[error("must not be set: {why}")]
    NotAllowed { why: &'static str },
    #[error("is set by Moodle itself and must not be passed to create()")]
    Reserved,
    #[error("is not a create() key (allowed: objectid, context, contextid, userid, relateduserid, courseid, anonymous, other)")]
    UnknownCreateKey,
    #[error("is not documented for this event (other keys: {allowed})")]
    UnknownOtherKey { allowed: String },
    #[error("must be {expected}, got {got}")]
    WrongType { expected: &'static str, got: &'static str },
    #[error("must be {expected}")]
    Invalid { expected: String },
    #[error("must be at least {min}, got {got}")]
    TooSmall { min: i64, got: i64 },
    #[error("must be at most {max}, got {got}")]
    TooLarge { max: i64, got: i64 },
    #[error("must be one of {allowed}; got {got}")]
    NotInSet { allowed: String, got: i64 },
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters, got {len}")]
    TooLong { max: usize, len: usize },
    #[error("must be {what}")]
    BadFormat { what: &'static str },
    #[error("must be a column of {table}")]
    NotAColumn { table: &'static str },
    #[error("must be a list (keys 0, 1, 2, …)")]
    NotAList,
    #[error("must be a finite number, got NAN or INF")]
    NotFinite,
    #[error("must be valid UTF-8")]
    InvalidUtf8,
    #[error("nests deeper than {max} levels (moodle_events.max_depth)")]
    TooDeep { max: usize },
    #[error("is larger than {max} bytes as JSON (moodle_events.max_other_bytes)")]
    TooBig { max: usize },
    #[error(
        "looks like a secret (token, password, secret, key…); secrets are never allowed in events (value not shown)"
    )]
    Secret,
    #[error("must be JSON-compatible (null, bool, int, float, string or array), got {got}")]
    NotJsonCompatible { got: &'static str },
    #[error("Can not trigger event twice")]
    TriggeredTwice,
    #[error("It is not possible to add snapshots after triggering of events")]
    SnapshotAfterTrigger,
    #[error("snapshots are only for table {expected}")]
    SnapshotTable { expected: String },
    #[error("this event has no object table, so it takes no snapshots")]
    NoSnapshots,
    #[error("the record's id {got} is not the event's objectid {expected}")]
    SnapshotId { expected: i64, got: i64 },
    #[error("the record belongs to {got}, not to this event's component {expected}")]
    RecordMismatch { expected: String, got: String },
    #[error("must be the event's objectid {objectid}, got {got}")]
    NotObjectid { objectid: i64, got: i64 },
    #[error("comes from the record's {column}, so it must not be passed")]
    Derived { column: &'static str },
    #[error("{method}() cannot make this event; use {right}()")]
    WrongFactory { method: &'static str, right: &'static str },
    #[error("Event properties must not be modified.")]
    Modified,
}

/// A rule broken by one field of one event.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{eventname}: {field}: {rule}")]
pub struct ValidationError {
    /// The event class name as given (or resolved), e.g. `\local_archiving\event\archive_job_failed`.
    pub eventname: String,
    /// The field: `eventname`, `objectid`, `other`, `other.cause`, `other.activity.cmid`, …
    pub field: String,
    pub rule: Rule,
}

impl ValidationError {
    pub fn new(eventname: impl Into<String>, field: impl Into<String>, rule: Rule) -> Self {
        ValidationError {
            eventname: eventname.into(),
            field: field.into(),
            rule,
        }
    }
}

pub type Result<T, E = ValidationError> = std::result::Result<T, E>;
