//! The limits an event is held to (the php.ini settings, declared once in [`SETTINGS`]) and
//! the JSON size estimate they bound.

use super::utf8;
use crate::value::{Key, Kind};

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
pub(super) fn json_size(kind: &Kind<'_>) -> usize {
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
pub(super) fn key_size(key: &Key<'_>) -> usize {
    match key {
        Key::Str(s) => s.len() + 4,
        Key::Int(i) => json_size(&Kind::Int(*i)) + 4,
    }
}
