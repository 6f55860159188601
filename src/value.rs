//! A read-only view of a dynamic value. The validator is written against this trait, so
//! it checks PHP arrays in place (the binding implements it for zvals, with no copy) and
//! `serde_json::Value` in plain Rust tests.

/// What a value is, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Raw bytes: PHP strings need not be UTF-8, the validator checks.
    Str(&'a [u8]),
    Array,
    /// A PHP object (including closures and enums).
    Object,
    /// Anything else (a resource, …), by its PHP type name.
    Other(&'static str),
}

impl Kind<'_> {
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool(_) => "bool",
            Kind::Int(_) => "int",
            Kind::Float(_) => "float",
            Kind::Str(_) => "string",
            Kind::Array => "array",
            Kind::Object => "object",
            Kind::Other(t) => t,
        }
    }
}

/// An array key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Key<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl Key<'_> {
    /// For field paths in error messages: lossy, at most 64 characters.
    pub fn display(&self) -> String {
        match self {
            Key::Int(i) => i.to_string(),
            Key::Str(b) => {
                let s = String::from_utf8_lossy(b);
                if s.chars().count() > 64 {
                    format!("{}…", s.chars().take(64).collect::<String>())
                } else {
                    s.into_owned()
                }
            }
        }
    }
}

pub trait Value {
    fn kind(&self) -> Kind<'_>;
    /// Calls `f` for every entry of an array, in order; stops at the first error.
    /// Does nothing for a non-array.
    fn for_each_entry<'s, E>(&'s self, f: &mut dyn FnMut(Key<'s>, &'s Self) -> Result<(), E>) -> Result<(), E>;
    /// The entry with string key `key` of an array.
    fn get(&self, key: &str) -> Option<&Self>;
    /// Number of entries of an array (0 otherwise).
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Is this a PHP list (keys 0..n-1 in order)?
    fn is_list(&self) -> bool {
        let mut next = 0i64;
        let r: Result<(), ()> = self.for_each_entry(&mut |k, _| match k {
            Key::Int(i) if i == next => {
                next += 1;
                Ok(())
            }
            _ => Err(()),
        });
        r.is_ok()
    }
}

/// A canonical decimal integer string ("12", "-3", not "012", " 1", "1.0", "+1").
pub fn canonical_int(b: &[u8]) -> Option<i64> {
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) || (digits[0] == b'0' && b.len() > 1) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

impl Value for serde_json::Value {
    fn kind(&self) -> Kind<'_> {
        use serde_json::Value as J;
        match self {
            J::Null => Kind::Null,
            J::Bool(b) => Kind::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Kind::Int(i),
                None => Kind::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            J::String(s) => Kind::Str(s.as_bytes()),
            J::Array(_) | J::Object(_) => Kind::Array,
        }
    }

    fn for_each_entry<'s, E>(&'s self, f: &mut dyn FnMut(Key<'s>, &'s Self) -> Result<(), E>) -> Result<(), E> {
        match self {
            serde_json::Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    f(Key::Int(i as i64), v)?;
                }
            }
            serde_json::Value::Object(o) => {
                for (k, v) in o {
                    // PHP turns canonical numeric string keys into int keys.
                    match canonical_int(k.as_bytes()) {
                        Some(i) => f(Key::Int(i), v)?,
                        None => f(Key::Str(k.as_bytes()), v)?,
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn get(&self, key: &str) -> Option<&Self> {
        self.as_object()?.get(key)
    }

    fn len(&self) -> usize {
        match self {
            serde_json::Value::Array(a) => a.len(),
            serde_json::Value::Object(o) => o.len(),
            _ => 0,
        }
    }
}

/// Values for tests that serde_json cannot hold: floats that are not finite, bytes that
/// are not UTF-8, PHP objects.
#[cfg(test)]
pub mod test_value {
    use super::{Key, Kind, Value};

    /// A value serde_json cannot hold: floats that are not finite, in arrays.
    #[derive(Debug)]
    pub enum Raw {
        Null,
        Bool(bool),
        Int(i64),
        F(f64),
        /// A PHP object (a context object).
        Obj,
        S(&'static str),
        /// A string that need not be UTF-8.
        B(&'static [u8]),
        A(Vec<Raw>),
        O(Vec<(&'static str, Raw)>),
    }

    impl Value for Raw {
        fn kind(&self) -> Kind<'_> {
            match self {
                Raw::Null => Kind::Null,
                Raw::Bool(b) => Kind::Bool(*b),
                Raw::Int(i) => Kind::Int(*i),
                Raw::F(f) => Kind::Float(*f),
                Raw::Obj => Kind::Object,
                Raw::S(s) => Kind::Str(s.as_bytes()),
                Raw::B(b) => Kind::Str(b),
                Raw::A(_) | Raw::O(_) => Kind::Array,
            }
        }
        fn for_each_entry<'s, E>(&'s self, f: &mut dyn FnMut(Key<'s>, &'s Self) -> Result<(), E>) -> Result<(), E> {
            match self {
                Raw::A(items) => items.iter().enumerate().try_for_each(|(i, v)| f(Key::Int(i as i64), v)),
                Raw::O(entries) => entries.iter().try_for_each(|(k, v)| f(Key::Str(k.as_bytes()), v)),
                _ => Ok(()),
            }
        }
        fn get(&self, key: &str) -> Option<&Self> {
            match self {
                Raw::O(entries) => entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
                _ => None,
            }
        }
        fn len(&self) -> usize {
            match self {
                Raw::A(items) => items.len(),
                Raw::O(entries) => entries.len(),
                _ => 0,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_ints() {
        assert_eq!(canonical_int(b"12"), Some(12));
        assert_eq!(canonical_int(b"-3"), Some(-3));
        assert_eq!(canonical_int(b"0"), Some(0));
        for bad in [
            &b""[..],
            b"012",
            b" 1",
            b"1.0",
            b"+1",
            b"-",
            b"1e3",
            b"99999999999999999999",
            b"-0",
        ] {
            assert_eq!(canonical_int(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn lists_and_maps() {
        assert!(json!([1, 2]).is_list());
        assert!(json!([]).is_list());
        assert!(!json!({"a": 1}).is_list());
        assert!(json!({"0": 1, "1": 2}).is_list());
        assert!(!json!({"1": 1}).is_list());
        assert_eq!(
            (json!({"a": 1, "b": 2}).len(), json!([1]).len(), json!("ab").len()),
            (2, 1, 0)
        );
        assert!(json!({}).is_empty() && !json!({"a": 1}).is_empty());
    }

    #[test]
    fn keys_are_shown_cut_at_64_characters() {
        assert_eq!(Key::Int(-7).display(), "-7");
        let k64 = "é".repeat(64);
        assert_eq!(Key::Str(k64.as_bytes()).display(), k64, "64 characters are shown whole");
        let k65 = "é".repeat(65);
        assert_eq!(Key::Str(k65.as_bytes()).display(), format!("{k64}…"));
        assert_eq!(Key::Str(b"a\xffb").display(), "a\u{fffd}b");
    }
}
