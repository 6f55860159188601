//! The walk of `other` against the event's documented keys: types, constraints, value
//! sets, formats, secrets, JSON compatibility and size.

use super::limits::{json_size, key_size, Limits};
use super::secrets::is_secret_key;
use super::{is_utf8, utf8};
use crate::catalogue::{EventName, Format, KeySpec, Table, Type, ValueSet};
use crate::error::{Result, Rule, ValidationError};
use crate::value::{canonical_int, Key, Kind, Value};

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
            Kind::Str(s) if is_utf8(s) => Ok(()),
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
                        if !is_utf8(name) {
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
        match ty {
            Type::Int { min, max, values } => self.check_int(at, ty, kind, (*min, *max), *values),
            Type::Str {
                maxlength,
                format,
                table,
            } => self.check_str(at, ty, kind, *maxlength, *format, *table),
            Type::Bool => match kind {
                Kind::Bool(_) => Ok(()),
                _ => Err(self.wrong(at, ty, kind)),
            },
            Type::Float => match kind {
                Kind::Float(f) if f.is_finite() => Ok(()),
                Kind::Float(_) => Err(self.err(at, Rule::NotFinite)),
                Kind::Int(_) => Ok(()),
                _ => Err(self.wrong(at, ty, kind)),
            },
            Type::List { items } => self.check_list(at, ty, items, v, depth),
            Type::Array { fields } => {
                if kind != Kind::Array {
                    return Err(self.wrong(at, ty, kind));
                }
                self.check_free(at, v, depth)?;
                self.counted.set(self.counted.get() + 1);
                let fields = self.check_fields(at, fields, v, depth);
                self.counted.set(self.counted.get() - 1);
                fields
            }
        }
    }

    /// The value's type is not the key's.
    fn wrong(&self, at: &Path<'_>, ty: &Type, kind: Kind<'_>) -> ValidationError {
        self.err(
            at,
            Rule::WrongType {
                expected: ty.name(),
                got: kind.type_name(),
            },
        )
    }

    /// An int (or a canonical numeric string, fixed up to an int) in its value set and
    /// range.
    fn check_int(
        &mut self,
        at: &Path<'_>,
        ty: &Type,
        kind: Kind<'_>,
        (min, max): (Option<i64>, Option<i64>),
        values: Option<&ValueSet>,
    ) -> Result<()> {
        let i = match kind {
            Kind::Int(i) => i,
            Kind::Str(s) => match (canonical_int(s), at.fields()) {
                (Some(i), Some(path)) => {
                    self.fixups.push(Fixup { path, value: i });
                    i
                }
                _ => return Err(self.wrong(at, ty, kind)),
            },
            _ => return Err(self.wrong(at, ty, kind)),
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
        match (min, max) {
            (Some(min), _) if i < min => Err(self.err(at, Rule::TooSmall { min, got: i })),
            (_, Some(max)) if i > max => Err(self.err(at, Rule::TooLarge { max, got: i })),
            _ => Ok(()),
        }
    }

    /// A non-empty UTF-8 string within its length, format and table's columns.
    fn check_str(
        &self,
        at: &Path<'_>,
        ty: &Type,
        kind: Kind<'_>,
        maxlength: Option<usize>,
        format: Option<Format>,
        table: Option<&Table>,
    ) -> Result<()> {
        let Kind::Str(b) = kind else {
            return Err(self.wrong(at, ty, kind));
        };
        let Some(s) = utf8(b) else {
            return Err(self.err(at, Rule::InvalidUtf8));
        };
        if s.is_empty() {
            return Err(self.err(at, Rule::Empty));
        }
        if let Some(max) = maxlength {
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

    /// A non-empty PHP list whose items have the item type (not fixed up: a list's items
    /// must have their type already).
    fn check_list<V: Value + ?Sized>(
        &mut self,
        at: &Path<'_>,
        ty: &Type,
        items: &'static Type,
        v: &V,
        depth: usize,
    ) -> Result<()> {
        let kind = v.kind();
        if kind != Kind::Array {
            return Err(self.wrong(at, ty, kind));
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
        v.for_each_entry(&mut |k, item| {
            self.add(1)?;
            self.check_typed(&Path::Item(at, k), items, item, depth + 1)
        })
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
    use crate::value::test_value::Raw;

    /// Checks `v` against a type no catalogue key has today (bool, float, nesting).
    fn typed(ty: &'static Type, v: &Raw) -> Result<()> {
        typed_within(ty, v, Limits::default())
    }

    fn typed_within(ty: &'static Type, v: &Raw, limits: Limits) -> Result<()> {
        let ev = resolve("\\local_archiving\\event\\archive_job_failed").unwrap();
        let mut w = Walker {
            ev: &ev,
            limits,
            fixups: Vec::new(),
            bytes: std::cell::Cell::new(0),
            counted: std::cell::Cell::new(0),
        };
        w.check_typed(&Path::Field(&Path::Other, "x"), ty, v, 1)
    }

    #[test]
    fn bools_and_floats() {
        static BOOL: Type = Type::Bool;
        static FLOAT: Type = Type::Float;
        assert_eq!(typed(&BOOL, &Raw::Bool(true)), Ok(()));
        let e = typed(&BOOL, &Raw::F(1.0)).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.rule),
            (
                "other.x",
                Rule::WrongType {
                    expected: "bool",
                    got: "float"
                }
            )
        );
        assert_eq!(typed(&FLOAT, &Raw::F(1.5)), Ok(()));
        assert_eq!(typed(&FLOAT, &Raw::Int(2)), Ok(()), "an int is a float");
        for bad in [f64::NAN, f64::INFINITY] {
            assert_eq!(typed(&FLOAT, &Raw::F(bad)).unwrap_err().rule, Rule::NotFinite);
        }
        let e = typed(&FLOAT, &Raw::S("1.5")).unwrap_err();
        assert_eq!(
            e.rule,
            Rule::WrongType {
                expected: "float",
                got: "string"
            }
        );
    }

    fn key(key: &'static str, required: bool, ty: Type) -> KeySpec {
        KeySpec {
            key,
            required,
            doc: "",
            from: None,
            refers: None,
            same_as_objectid: false,
            ty,
        }
    }

    #[test]
    fn nesting_counts_each_level_once() {
        static LISTS: Type = Type::List {
            items: &Type::List {
                items: &Type::List { items: &Type::Bool },
            },
        };
        let three = Raw::A(vec![Raw::A(vec![Raw::A(vec![Raw::Bool(true)])])]);
        let limits = |max_depth| Limits {
            max_depth,
            ..Limits::default()
        };
        assert_eq!(typed_within(&LISTS, &three, limits(4)), Ok(()));
        assert!(matches!(
            typed_within(&LISTS, &three, limits(3)).unwrap_err().rule,
            Rule::TooDeep { max: 3 }
        ));
        static FIELDS: std::sync::LazyLock<Type> = std::sync::LazyLock::new(|| {
            let inner: &'static [KeySpec] = Box::leak(Box::new([key("b", true, Type::Array { fields: &[] })]));
            let outer: &'static [KeySpec] = Box::leak(Box::new([key("a", true, Type::Array { fields: inner })]));
            Type::Array { fields: outer }
        });
        let nested = Raw::O(vec![("a", Raw::O(vec![("b", Raw::O(vec![("c", Raw::Int(1))]))]))]);
        assert_eq!(typed_within(&FIELDS, &nested, limits(4)), Ok(()));
        assert!(matches!(
            typed_within(&FIELDS, &nested, limits(3)).unwrap_err().rule,
            Rule::TooDeep { .. }
        ));
    }

    #[test]
    fn a_null_optional_field_is_not_given() {
        static OPTIONAL: std::sync::LazyLock<Type> = std::sync::LazyLock::new(|| {
            let fields: &'static [KeySpec] = Box::leak(Box::new([key("n", false, Type::Bool)]));
            Type::Array { fields }
        });
        assert_eq!(typed(&OPTIONAL, &Raw::O(vec![("n", Raw::Null)])), Ok(()));
        assert_eq!(typed(&OPTIONAL, &Raw::O(vec![])), Ok(()));
        let e = typed(&OPTIONAL, &Raw::O(vec![("n", Raw::Int(1))])).unwrap_err();
        assert_eq!(e.field, "other.x.n");
    }
}
