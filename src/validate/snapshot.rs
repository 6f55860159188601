//! Record snapshots: which columns are copied, redacted or dropped, and which values may
//! be kept.

use super::limits::Limits;
use super::secrets::is_secret_key;
use crate::catalogue::EventName;
use crate::error::{Result, Rule, ValidationError};
use crate::value::{Key, Kind, Value};

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
