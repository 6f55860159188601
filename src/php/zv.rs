//! Zval plumbing: the core's `Value` view over zvals (raw hash-table walk, no copies),
//! and small conversions. No event logic here.
#![allow(unsafe_code, reason = "the FFI fence: raw zval and hash-table access")]

use crate::value::{Key, Kind, Value};
use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::PhpResult;
use ext_php_rs::ffi::Bucket;
use ext_php_rs::flags::DataType;
use ext_php_rs::types::{ZendHashTable, ZendObject, ZendStr, Zval};
use ext_php_rs::zend::{ClassEntry, ExecutorGlobals};

/// The raw hash-table walk below reads the engine's array layout: from PHP 8.2 (cfg
/// `php82`), packed arrays hold bare zvals in `arPacked`; in PHP 8.1 they are Buckets in
/// `arData` like every other array. Older headers are refused.
const _: () = assert!(
    ext_php_rs::ffi::ZEND_MODULE_API_NO >= 20210902,
    "PHP 8.1 or newer headers are required"
);

#[cfg(php82)]
const HASH_FLAG_PACKED: u32 = 1 << 2;
use ext_php_rs::ffi::{
    IS_ARRAY, IS_DOUBLE, IS_FALSE, IS_INDIRECT, IS_LONG, IS_NULL, IS_OBJECT, IS_REFERENCE, IS_RESOURCE, IS_STRING,
    IS_TRUE, IS_UNDEF,
};

/// The zval's type byte (`Z_TYPE`), read directly: the hot path of every walk.
#[inline]
fn type_byte(zv: &Zval) -> u32 {
    // SAFETY: u1.type_info is always initialised; its low byte is the type.
    unsafe { zv.u1.type_info & 0xff }
}

/// The PHP type name of a value (`get_debug_type()`'s for scalars and arrays).
pub fn type_name(zv: &Zval) -> &'static str {
    match deref(zv).map_or(IS_NULL, type_byte) {
        IS_NULL => "null",
        IS_FALSE | IS_TRUE => "bool",
        IS_LONG => "int",
        IS_DOUBLE => "float",
        IS_STRING => "string",
        IS_ARRAY => "array",
        IS_OBJECT => "object",
        IS_RESOURCE => "resource",
        _ => "mixed",
    }
}

/// Follows references and INDIRECT slots; None for UNDEF.
#[inline]
pub fn deref(zv: &Zval) -> Option<&Zval> {
    let mut zv = zv;
    // SAFETY: a REFERENCE zval points to a live zend_reference and an INDIRECT one to a
    // live zval slot (the engine's invariants); both outlive the borrow of `zv`. An
    // INDIRECT slot may hold a reference, a reference never holds an INDIRECT.
    unsafe {
        if type_byte(zv) == IS_INDIRECT {
            zv = &*zv.value.zv;
        }
        if type_byte(zv) == IS_REFERENCE {
            zv = &(*zv.value.ref_).val;
        }
    }
    (type_byte(zv) != IS_UNDEF).then_some(zv)
}

/// Calls `f(key, slot)` for each element of `ht` in order, reading the engine's layout
/// directly (no engine call, no key copy). Slots are raw: references are not followed.
///
/// # Safety
/// `f` must not run PHP code or otherwise change `ht` (or any array it borrows from it)
/// while the walk goes on: the walk reads the table's slots by raw pointer.
pub unsafe fn ht_walk_raw<'a, E>(
    ht: &'a ZendHashTable,
    mut f: impl FnMut(Key<'a>, &'a Zval) -> Result<(), E>,
) -> Result<(), E> {
    // SAFETY: reads the zend_array as the engine lays it out: nNumUsed slots of bare
    // zvals (packed, PHP 8.2+) or Buckets; UNDEF slots are holes. The table is borrowed
    // for 'a and not modified meanwhile (no PHP code runs in `f`).
    unsafe {
        let used = ht.nNumUsed as usize;
        #[cfg(php82)]
        if ht.u.flags & HASH_FLAG_PACKED != 0 {
            let base = ht.__bindgen_anon_1.arPacked as *const Zval;
            for i in 0..used {
                let zv = &*base.add(i);
                if type_byte(zv) != IS_UNDEF {
                    f(Key::Int(i as i64), zv)?;
                }
            }
            return Ok(());
        }
        #[cfg(php82)]
        let base = ht.__bindgen_anon_1.arData as *const Bucket;
        #[cfg(not(php82))]
        let base = ht.arData as *const Bucket;
        for i in 0..used {
            let b = &*base.add(i);
            let zv: &Zval = &*(&raw const b.val).cast::<Zval>();
            if type_byte(zv) == IS_UNDEF {
                continue;
            }
            if b.key.is_null() {
                f(Key::Int(b.h as i64), zv)?;
            } else {
                f(Key::Str((*b.key.cast::<ZendStr>()).as_bytes()), zv)?;
            }
        }
    }
    Ok(())
}

/// Like [`ht_walk_raw`], with values dereferenced (UNDEF and dangling slots skipped).
///
/// # Safety
/// As [`ht_walk_raw`]: `f` must not run PHP code or change `ht`.
pub unsafe fn ht_for_each<'a, E>(
    ht: &'a ZendHashTable,
    mut f: impl FnMut(Key<'a>, &'a Zval) -> Result<(), E>,
) -> Result<(), E> {
    // SAFETY: the caller keeps ht_walk_raw's promise for `f`; deref runs no PHP code.
    unsafe {
        ht_walk_raw(ht, |k, zv| match deref(zv) {
            Some(v) => f(k, v),
            None => Ok(()),
        })
    }
}

/// A snapshot of `record`: a stdClass copy of its public columns, secret-named ones set
/// to null (a task row carries its web service token) and values detached from the
/// caller (down to `depth`). A column that is no database value (an object, a resource)
/// is refused: none may tie the event to live PHP state or into a reference cycle.
pub fn snapshot_copy(
    ev: &crate::catalogue::EventName,
    record: &ZendObject,
    limits: crate::validate::Limits,
    depth: usize,
) -> Result<ext_php_rs::boxed::ZBox<ZendObject>, crate::error::ValidationError> {
    use crate::validate::{check_snapshot_value, snapshot_column, SnapshotColumn};
    let mut copy = ZendObject::new_stdclass();
    let Ok(props) = record.get_properties() else {
        return Ok(copy);
    };
    // SAFETY: the closure checks values in plain Rust and copies them into a new
    // stdClass (standard handlers: no __set, no user code); the record's properties are
    // not changed.
    unsafe {
        ht_for_each(props, |k, v| {
            let (name, value) = match k {
                Key::Int(i) => {
                    // An int-keyed "column" (an SplFixedArray subclass lists its elements
                    // so) is checked like any other: no object may get into an event.
                    let name = i.to_string();
                    check_snapshot_value(ev, name.as_bytes(), v, limits)?;
                    (name, detach(v, depth))
                }
                Key::Str(s) => match snapshot_column(s) {
                    SnapshotColumn::Drop => return Ok(()),
                    SnapshotColumn::Redact => (String::from_utf8_lossy(s).into_owned(), Zval::null()),
                    SnapshotColumn::Keep => {
                        check_snapshot_value(ev, s, v, limits)?;
                        (String::from_utf8_lossy(s).into_owned(), detach(v, depth))
                    }
                },
            };
            let _ = copy.set_property(&name, value);
            Ok(())
        })
    }?;
    Ok(copy)
}

/// Marks a new object `GC_NOT_COLLECTABLE` (zend_types.h): the cycle collector never
/// buffers it as a possible root.
pub fn mark_not_collectable(obj: &mut ZendObject) {
    const GC_NOT_COLLECTABLE: u32 = 1 << 4;
    // SAFETY: a flag bit of the object's own header; the exclusive borrow means nothing
    // else reads or writes it meanwhile.
    unsafe { obj.gc.u.type_info |= GC_NOT_COLLECTABLE };
}

/// A class entry registered at start-up (stored in `slot` then); None if its
/// registration failed or has not run.
pub fn registered(
    slot: &std::sync::atomic::AtomicPtr<ext_php_rs::zend::ClassEntry>,
) -> Option<&'static ext_php_rs::zend::ClassEntry> {
    // SAFETY: the pointer is null or was stored by the class's registration at module
    // start-up; class entries of internal classes live until module shutdown.
    unsafe { slot.load(std::sync::atomic::Ordering::Acquire).as_ref() }
}

unsafe extern "C" {
    fn zend_get_constant_str(name: *const std::ffi::c_char, len: usize) -> *mut Zval;
}

/// A constant's value, if it is defined.
pub fn constant(name: &str) -> Option<&'static Zval> {
    // SAFETY: zend_get_constant_str only reads the name; the returned zval (if any) is
    // owned by the constant table, which outlives the request.
    unsafe { zend_get_constant_str(name.as_ptr().cast(), name.len()).as_ref() }
}

/// Does `ht` hold a PHP reference anywhere (down to `depth` levels)?
fn has_refs(ht: &ZendHashTable, depth: usize) -> bool {
    // SAFETY: the closure only reads type bytes and nested tables; no PHP code runs.
    let walked = unsafe {
        ht_walk_raw(ht, |_, zv| {
            let nested = depth > 0
                && deref(zv)
                    .filter(|v| type_byte(v) == IS_ARRAY)
                    .and_then(Zval::array)
                    .is_some_and(|inner| has_refs(inner, depth - 1));
            if matches!(type_byte(zv), IS_REFERENCE | IS_INDIRECT) || nested {
                Err(())
            } else {
                Ok(())
            }
        })
    };
    walked.is_err()
}

/// `v` without PHP references: values are read through them, so nobody can change the
/// copy later through a reference the caller kept. Arrays holding no reference are
/// shared, not copied (the common case costs one walk). Deeper than `depth` levels the
/// value is kept as it is (validation rejects such nesting anyway).
pub fn detach(v: &Zval, depth: usize) -> Zval {
    let Some(v) = deref(v) else { return Zval::null() };
    let Some(ht) = v.array() else { return v.shallow_clone() };
    if depth == 0 || !has_refs(ht, depth) {
        return v.shallow_clone();
    }
    let mut copy = ZendHashTable::with_capacity(ht.len() as u32);
    // SAFETY: the closure copies values into another, new table; no PHP code runs and
    // `ht` is not changed.
    let _ = unsafe {
        ht_for_each(ht, |k, item| {
            let item = detach(item, depth - 1);
            match k {
                Key::Int(i) => copy.insert_at_index(i, item),
                Key::Str(s) => copy.insert(String::from_utf8_lossy(s).as_ref(), item),
            }
        })
    };
    copy.into_zval(false).unwrap_or_default()
}

impl Value for Zval {
    fn kind(&self) -> Kind<'_> {
        let Some(zv) = deref(self) else { return Kind::Null };
        // SAFETY: each union member is read only under the type byte that selects it.
        unsafe {
            match type_byte(zv) {
                IS_NULL => Kind::Null,
                IS_FALSE => Kind::Bool(false),
                IS_TRUE => Kind::Bool(true),
                IS_LONG => Kind::Int(zv.value.lval),
                IS_DOUBLE => Kind::Float(zv.value.dval),
                IS_STRING => Kind::Str((*zv.value.str_.cast::<ZendStr>()).as_bytes()),
                IS_ARRAY => Kind::Array,
                IS_OBJECT => Kind::Object,
                IS_RESOURCE => Kind::Other("resource"),
                _ => Kind::Other("value"),
            }
        }
    }

    fn for_each_entry<'s, E>(&'s self, f: &mut dyn FnMut(Key<'s>, &'s Self) -> Result<(), E>) -> Result<(), E> {
        match deref(self).and_then(Zval::array) {
            // SAFETY: the core's walkers (validation, JSON size) are plain Rust: they run
            // no PHP code and change nothing.
            Some(ht) => unsafe { ht_for_each(ht, f) },
            None => Ok(()),
        }
    }

    fn get(&self, key: &str) -> Option<&Self> {
        named(deref(self)?.array()?, key)
    }

    fn len(&self) -> usize {
        deref(self).and_then(Zval::array).map_or(0, ZendHashTable::len)
    }
}

pub fn string(s: &str) -> Zval {
    let mut zv = Zval::new();
    let _ = zv.set_string(s, false);
    zv
}

pub fn long(i: i64) -> Zval {
    let mut zv = Zval::new();
    zv.set_long(i);
    zv
}

/// A property of an object: from its property table, else through `__get` (Moodle's
/// context objects expose id, contextlevel and instanceid that way). An exception thrown
/// by `__get` is passed on.
pub fn read_prop(obj: &ZendObject, name: &str) -> PhpResult<Option<Zval>> {
    if let Some(v) = obj.get_properties().ok().and_then(|t| t.get(name)).and_then(deref) {
        return Ok(Some(v.shallow_clone()));
    }
    if has_method(obj, "__get") {
        let v = super::engine::settle(super::engine::call_method(obj, "__get", &[&string(name)]))?;
        return Ok(v.ok().filter(|v| !v.is_null()));
    }
    Ok(None)
}

pub fn has_method(obj: &ZendObject, name: &str) -> bool {
    let ce = obj.get_class_entry();
    // SAFETY: function_table is the class's own, valid while the class lives.
    unsafe {
        !ext_php_rs::ffi::zend_hash_str_find_ptr_lc(&raw const ce.function_table, name.as_ptr().cast(), name.len())
            .is_null()
    }
}

/// A class already declared (never autoloads: cheap and side-effect free outside Moodle).
/// Works during module start-up too.
pub fn loaded_class(name: &str) -> Option<&'static ClassEntry> {
    // SAFETY: the compiler globals' class table lives for the whole process.
    unsafe {
        let cg = ext_php_rs::ffi::ext_php_rs_compiler_globals().as_ref()?;
        if cg.class_table.is_null() {
            return None;
        }
        ext_php_rs::ffi::zend_hash_str_find_ptr_lc(cg.class_table, name.as_ptr().cast(), name.len())
            .cast::<ClassEntry>()
            .as_ref()
    }
}

/// How many classes are declared (it only grows during a request).
pub fn class_table_size() -> u32 {
    // SAFETY: as in `loaded_class`.
    unsafe {
        ext_php_rs::ffi::ext_php_rs_compiler_globals()
            .as_ref()
            .and_then(|cg| cg.class_table.as_ref())
            .map_or(0, |t| t.nNumOfElements)
    }
}

/// `$GLOBALS[name]`, dereferenced. Request-scoped: do not keep it.
pub fn global(name: &str) -> Option<Zval> {
    let eg = ExecutorGlobals::get();
    let v = eg.symbol_table.get(name).and_then(deref).map(Zval::shallow_clone);
    drop(eg);
    v
}

/// A zval returned with a declared PHP type (reflection and stubs show the real type
/// instead of `mixed`).
macro_rules! typed_return {
    ($(#[$doc:meta])* $name:ident = $ty:expr) => {
        $(#[$doc])*
        pub struct $name(pub Zval);

        impl IntoZval for $name {
            const TYPE: DataType = $ty;
            const NULLABLE: bool = false;

            fn set_zval(self, zv: &mut Zval, _persistent: bool) -> ext_php_rs::error::Result<()> {
                *zv = self.0;
                Ok(())
            }
        }
    };
}

typed_return!(
    /// A `moodle_events\event` instance.
    EventObject = DataType::object("moodle_events\\event")
);
typed_return!(
    /// An array (shared, copy-on-write).
    ArrayValue = DataType::Array
);
typed_return!(
    /// Any object.
    AnyObject = DataType::ANY_OBJECT
);
typed_return!(
    /// A Moodle event (`\core\event\base`).
    MoodleEventObject = DataType::object("core\\event\\base")
);
typed_return!(
    /// An `\Iterator`.
    IteratorObject = DataType::object("Iterator")
);

/// An optional array argument declared `array $name = []` (an omitted one is `None`).
pub struct ArrayArg<'a>(pub Option<&'a Zval>);

impl<'a> ext_php_rs::convert::FromZval<'a> for ArrayArg<'a> {
    const TYPE: DataType = DataType::Array;

    fn from_zval(zval: &'a Zval) -> Option<Self> {
        zval.array().map(|_| ArrayArg(Some(zval)))
    }
}

/// A required `array` parameter, kept as the argument's own zval: the core reads it in
/// place through [`Value`], with no zval made around its table.
pub struct ArrayIn<'a>(pub &'a Zval);

impl<'a> ext_php_rs::convert::FromZval<'a> for ArrayIn<'a> {
    const TYPE: DataType = DataType::Array;

    fn from_zval(zval: &'a Zval) -> Option<Self> {
        zval.array().map(|_| ArrayIn(zval))
    }
}

impl ext_php_rs::convert::StubLiteral for ArrayArg<'_> {
    fn stub_literal(&self) -> String {
        "[]".into()
    }
}

impl ArrayArg<'_> {
    pub const EMPTY: Self = ArrayArg(None);
}

/// The shared keys of one static list of names.
type SharedKeys = (usize, Vec<ext_php_rs::boxed::ZBox<ZendStr>>);

thread_local! {
    /// The keys of the arrays made by [`keyed_array`] (an event's 17 data fields, the
    /// data handed to Moodle's create()), made once per request: each array shares them
    /// (refcounted, hash computed once) instead of copying the names. Each set remembered
    /// with the address of the list it was made from.
    static SHARED_KEYS: std::cell::RefCell<Vec<SharedKeys>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Forgets the request's shared keys (at request start and end; arrays that still hold
/// them keep their own reference).
pub fn drop_shared_keys() {
    drop(SHARED_KEYS.take());
}

/// The set of shared keys for `names` (a list whose address was not seen yet): one with the
/// same names, else a new one. At most a few lists are in use; more are forgotten.
fn shared_set(sets: &mut Vec<SharedKeys>, names: &'static [&'static str]) -> usize {
    let list = names.as_ptr() as usize;
    let same = |keys: &[ext_php_rs::boxed::ZBox<ZendStr>]| {
        keys.len() == names.len() && keys.iter().zip(names).all(|(k, n)| k.as_bytes() == n.as_bytes())
    };
    if let Some(at) = sets.iter().position(|(_, keys)| same(keys)) {
        sets[at].0 = list;
        return at;
    }
    if sets.len() >= 8 {
        sets.clear();
    }
    sets.push((list, names.iter().map(|n| ZendStr::new(n, false)).collect()));
    sets.len() - 1
}

/// A new array of `names` (a static list) and their values (a name whose value is None is
/// left out), the keys made once per request and shared.
pub fn keyed_array(
    names: &'static [&'static str],
    mut value: impl FnMut(usize) -> Option<Zval>,
) -> ext_php_rs::boxed::ZBox<ZendHashTable> {
    let mut ht = ZendHashTable::with_capacity(u32::try_from(names.len()).unwrap_or(u32::MAX));
    let list = names.as_ptr() as usize;
    SHARED_KEYS.with_borrow_mut(|sets| {
        let at = match sets
            .iter()
            .position(|(from, keys)| *from == list && keys.len() == names.len())
        {
            Some(at) => at,
            None => shared_set(sets, names),
        };
        for (i, key) in sets[at].1.iter_mut().enumerate() {
            let Some(mut v) = value(i) else { continue };
            // SAFETY: `ht` is a live array we own and `key` a live string of this request;
            // zend_hash_update takes a reference to a non-interned key and moves the zval's
            // value in, so the Rust zval is forgotten, not dropped.
            unsafe {
                ext_php_rs::ffi::zend_hash_update(&raw mut *ht, &raw mut **key, &raw mut v);
            }
            std::mem::forget(v);
        }
    });
    ht
}

/// The value under a name key of `ht` (references followed): a plain lookup, without
/// ext-php-rs's parsing of the key as a number.
pub fn named<'a>(ht: &'a ZendHashTable, key: &str) -> Option<&'a Zval> {
    // SAFETY: a lookup in a live table; the slot found lives as long as the table.
    // (A numeric-string key would be stored under an int key: the keys looked up here are
    // names, never numbers.)
    let found = unsafe { ext_php_rs::ffi::zend_hash_str_find(ht, key.as_ptr().cast(), key.len()).as_ref()? };
    deref(found)
}
