//! The event record: Moodle's 17 data fields, trigger state and record snapshots.
//! Generic over the value type `V` that holds `other` and snapshots (a zval in PHP).

use crate::catalogue::EventName;
use crate::error::{Result, Rule, ValidationError};
use crate::validate::Header;
use crate::value::{Kind, Value};

/// Moodle's data fields, in `get_data()` order.
pub const FIELDS: [&str; 17] = [
    "eventname",
    "component",
    "action",
    "target",
    "objecttable",
    "objectid",
    "crud",
    "edulevel",
    "contextid",
    "contextlevel",
    "contextinstanceid",
    "userid",
    "courseid",
    "relateduserid",
    "anonymous",
    "other",
    "timecreated",
];

/// One field's value, borrowed from the record (`Other` is the `other` value itself).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field<'a, V> {
    Str(&'a str),
    Int(i64),
    Null,
    Other(Option<&'a V>),
}

/// Moodle's trigger states: `triggered` is set before the event goes anywhere,
/// `dispatched` once it was handed over (to the sink, or to observers once they ran).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum State {
    #[default]
    Created,
    Triggered,
    Dispatched,
}

#[derive(Debug)]
pub struct Record<V> {
    pub name: EventName,
    pub header: Header,
    pub other: Option<V>,
    pub timecreated: i64,
    pub state: State,
    snapshots: Vec<(i64, V)>,
}

impl<V> Record<V> {
    pub fn new(name: EventName, header: Header, other: Option<V>, timecreated: i64) -> Self {
        Record {
            name,
            header,
            other,
            timecreated,
            state: State::Created,
            snapshots: Vec::new(),
        }
    }

    fn err(&self, field: &str, rule: Rule) -> ValidationError {
        ValidationError::new(&*self.name.eventname, field, rule)
    }

    /// A field by name, None for a name that is not one of the 17.
    pub fn field(&self, name: &str) -> Option<Field<'_, V>> {
        let h = &self.header;
        let d = self.name.def;
        let opt = |v: Option<i64>| v.map_or(Field::Null, Field::Int);
        Some(match name {
            "eventname" => Field::Str(&self.name.eventname),
            "component" => Field::Str(self.name.component()),
            "action" => Field::Str(d.action()),
            "target" => Field::Str(d.target()),
            "objecttable" => d.objecttable().map_or(Field::Null, Field::Str),
            "objectid" => opt(h.objectid),
            "crud" => Field::Str(d.crud.letter()),
            "edulevel" => Field::Int(d.edulevel.into()),
            "contextid" => Field::Int(h.context.id),
            "contextlevel" => opt(h.context.level),
            "contextinstanceid" => opt(h.context.instanceid),
            "userid" => Field::Int(h.userid),
            "courseid" => Field::Int(h.courseid),
            "relateduserid" => opt(h.relateduserid),
            "anonymous" => Field::Int(h.anonymous.into()),
            "other" => Field::Other(self.other.as_ref()),
            "timecreated" => Field::Int(self.timecreated),
            _ => return None,
        })
    }

    pub fn is_triggered(&self) -> bool {
        self.state != State::Created
    }

    pub fn is_dispatched(&self) -> bool {
        self.state == State::Dispatched
    }

    /// Marks the event triggered; an event is triggered once.
    pub fn mark_triggered(&mut self) -> Result<()> {
        if self.is_triggered() {
            return Err(self.err("trigger", Rule::TriggeredTwice));
        }
        self.state = State::Triggered;
        Ok(())
    }

    /// Marks a triggered event handed over.
    pub fn mark_dispatched(&mut self) {
        if self.state == State::Triggered {
            self.state = State::Dispatched;
        }
    }

    /// Checks that a snapshot of `table` with record id `id` may be added.
    pub fn check_snapshot(&self, table: &str, id: Option<i64>) -> Result<i64> {
        if self.is_triggered() {
            return Err(self.err("snapshot", Rule::SnapshotAfterTrigger));
        }
        let Some(expected) = self.name.def.objecttable() else {
            return Err(self.err("snapshot", Rule::NoSnapshots));
        };
        if table != expected {
            return Err(self.err(
                "snapshot",
                Rule::SnapshotTable {
                    expected: expected.into(),
                },
            ));
        }
        let want = self.header.objectid.unwrap_or_default();
        match id {
            Some(id) if id == want => Ok(id),
            Some(id) => Err(self.err(
                "snapshot.id",
                Rule::SnapshotId {
                    expected: want,
                    got: id,
                },
            )),
            None => Err(self.err("snapshot.id", Rule::Required)),
        }
    }

    /// Adds (or replaces) the snapshot; call [`Record::check_snapshot`] first.
    pub fn put_snapshot(&mut self, id: i64, record: V) {
        self.snapshots.retain(|(i, _)| *i != id);
        self.snapshots.push((id, record));
    }

    /// The snapshots added, by id (all of the objecttable).
    pub fn snapshots(&self) -> impl Iterator<Item = (i64, &V)> {
        self.snapshots.iter().map(|(i, v)| (*i, v))
    }

    pub fn snapshot(&self, table: &str, id: i64) -> Option<&V> {
        if Some(table) != self.name.def.objecttable() {
            return None;
        }
        self.snapshots.iter().find(|(i, _)| *i == id).map(|(_, v)| v)
    }
}

impl<V: Value> Record<V> {
    /// `get_description()`: the catalogue template with the record's values. Uses no
    /// context lookups (Moodle's `assertEventContextNotUsed()`).
    pub fn description(&self) -> String {
        render(self.name.def.description, |ph| match ph.strip_prefix("other.") {
            Some(path) => {
                let mut v = self.other.as_ref()?;
                for key in path.split('.') {
                    v = v.get(key)?;
                }
                match v.kind() {
                    Kind::Int(i) => Some(i.to_string()),
                    Kind::Str(s) => Some(String::from_utf8_lossy(s).into_owned()),
                    _ => None,
                }
            }
            None => match self.field(ph)? {
                Field::Str(s) => Some(s.to_string()),
                Field::Int(i) => Some(i.to_string()),
                _ => None,
            },
        })
    }
}

/// One piece of a description template: text, or the name inside a `{placeholder}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// The pieces of a description template, in order: the one parser of templates (the
/// runtime's `get_description()` and the bridge's generated PHP both read them so). A
/// `{` without its `}` is text.
pub fn pieces(template: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = template;
    let mut pending: Option<Piece<'_>> = None;
    std::iter::from_fn(move || {
        if let Some(p) = pending.take() {
            return Some(p);
        }
        if rest.is_empty() {
            return None;
        }
        let Some((start, len)) = rest.find('{').and_then(|s| rest[s..].find('}').map(|e| (s, e))) else {
            return Some(Piece::Text(std::mem::take(&mut rest)));
        };
        let placeholder = Piece::Placeholder(&rest[start + 1..start + len]);
        let text = &rest[..start];
        rest = &rest[start + len + 1..];
        if text.is_empty() {
            Some(placeholder)
        } else {
            pending = Some(placeholder);
            Some(Piece::Text(text))
        }
    })
}

/// Fills `{placeholder}`s; an unknown or missing one renders as an empty string.
pub fn render(template: &str, mut lookup: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    for piece in pieces(template) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Placeholder(ph) => out.push_str(&lookup(ph).unwrap_or_default()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::resolve;
    use crate::validate::ContextInfo;
    use serde_json::{json, Value as J};

    fn record(name: &str, objectid: Option<i64>, other: J) -> Record<J> {
        let header = Header {
            objectid,
            context: ContextInfo {
                id: 12,
                level: Some(70),
                instanceid: Some(4),
                courseid: Some(2),
            },
            userid: 3,
            courseid: 2,
            relateduserid: None,
            anonymous: false,
        };
        Record::new(resolve(name).unwrap(), header, Some(other), 1_700_000_000)
    }

    #[test]
    fn fields_in_moodle_order() {
        let r = record(
            "\\archivingmod_quiz\\event\\task_completed",
            Some(8),
            json!({"jobid": 5}),
        );
        let got: Vec<String> = FIELDS
            .iter()
            .map(|f| match r.field(f).unwrap() {
                Field::Str(s) => s.to_string(),
                Field::Int(i) => i.to_string(),
                Field::Null => "null".into(),
                Field::Other(o) => o.unwrap().to_string(),
            })
            .collect();
        assert_eq!(
            got,
            [
                "\\archivingmod_quiz\\event\\task_completed",
                "archivingmod_quiz",
                "completed",
                "task",
                "local_archiving_activity_task",
                "8",
                "u",
                "0",
                "12",
                "70",
                "4",
                "3",
                "2",
                "null",
                "0",
                "{\"jobid\":5}",
                "1700000000"
            ]
        );
        assert!(r.field("nope").is_none());
    }

    #[test]
    fn trigger_once_and_snapshots_before() {
        let mut r = record("\\local_archiving\\event\\archive_job_created", Some(8), json!({}));
        assert_eq!(r.check_snapshot("local_archiving_job", Some(8)), Ok(8));
        r.put_snapshot(8, json!({"id": 8}));
        assert_eq!(r.snapshot("local_archiving_job", 8), Some(&json!({"id": 8})));
        assert_eq!(r.snapshot("local_archiving_job", 9), None);
        // A second snapshot of the same id replaces the first.
        r.put_snapshot(8, json!({"id": 8, "status": 240}));
        assert_eq!(
            r.snapshots().collect::<Vec<_>>(),
            [(8, &json!({"id": 8, "status": 240}))]
        );
        assert_eq!(
            r.snapshot("local_archiving_job", 8),
            Some(&json!({"id": 8, "status": 240}))
        );
        assert_eq!(r.snapshot("local_archiving_activity_task", 8), None, "another table");
        assert!(matches!(
            r.check_snapshot("user", Some(8)).unwrap_err().rule,
            Rule::SnapshotTable { .. }
        ));
        assert!(matches!(
            r.check_snapshot("local_archiving_job", Some(9)).unwrap_err().rule,
            Rule::SnapshotId { .. }
        ));
        r.mark_triggered().unwrap();
        assert!(r.is_triggered() && !r.is_dispatched());
        r.mark_dispatched();
        assert!(r.is_dispatched());
        let e = r.mark_triggered().unwrap_err();
        assert_eq!(
            e.to_string(),
            "\\local_archiving\\event\\archive_job_created: trigger: Can not trigger event twice"
        );
        let e = r.check_snapshot("local_archiving_job", Some(8)).unwrap_err();
        assert!(e
            .to_string()
            .ends_with("It is not possible to add snapshots after triggering of events"));
        let mut t = record(
            "\\archivingevent_apistub\\event\\transmission_completed",
            None,
            json!({}),
        );
        assert_eq!(
            t.check_snapshot("local_archiving_job", Some(1)).unwrap_err().rule,
            Rule::NoSnapshots
        );
        t.mark_dispatched();
        assert!(!t.is_dispatched(), "only a triggered event is dispatched");
    }

    #[test]
    fn descriptions_fill_the_template() {
        let r = record(
            "\\archivingstore_s3\\event\\write_task_completed",
            Some(8),
            json!({"jobid": 8, "source": {}, "destination": {"filehandleid": 77, "sha256sum": "x"}}),
        );
        assert_eq!(
            r.description(),
            "An artifact of the archive job with id '8' was written to 'archivingstore_s3' as file handle '77'."
        );
        assert_eq!(render("a {x} {y", |p| Some(p.to_uppercase())), "a X {y");
        // A string from other, and a missing or non-scalar value left empty.
        let sent = record(
            "\\archivingevent_apistub\\event\\transmission_completed",
            None,
            json!({"eventname": "\\core\\event\\course_viewed"}),
        );
        assert_eq!(
            sent.description(),
            "The event '\\core\\event\\course_viewed' was transmitted successfully through 'archivingevent_apistub'."
        );
        let odd = record(
            "\\archivingmod_quiz\\event\\task_completed",
            Some(8),
            json!({"jobid": [1]}),
        );
        assert!(
            odd.description().contains("of archive job '' completed"),
            "{}",
            odd.description()
        );
    }

    #[test]
    fn templates_are_read_into_pieces() {
        use Piece::{Placeholder as P, Text as T};
        let all = |t| pieces(t).collect::<Vec<_>>();
        assert_eq!(all(""), []);
        assert_eq!(all("plain"), [T("plain")]);
        assert_eq!(all("{a}"), [P("a")]);
        assert_eq!(all("x {a}{other.b.c} y"), [T("x "), P("a"), P("other.b.c"), T(" y")]);
        assert_eq!(all("open { and {a}"), [T("open "), P(" and {a")]);
        assert_eq!(all("no close {a"), [T("no close {a")]);
        assert_eq!(all("{}"), [P("")]);
        assert_eq!(
            render("a {x} b {y} {z", |ph| (ph == "x").then(|| "1".into())),
            "a 1 b  {z"
        );
    }
}
