//! The limits as php.ini settings (`moodle_events.max_depth`, …), shown by `phpinfo()`.
//! Names, defaults and ranges come from the core's [`SETTINGS`]; this only registers them
//! and keeps the current values where the hot path reads them without a lookup.
#![allow(
    unsafe_code,
    reason = "the FFI fence: the engine's php.ini entry table and phpinfo()"
)]

use crate::validate::{Limits, SETTINGS};
use ext_php_rs::ffi::{zend_ini_entry, zend_string};
use ext_php_rs::flags::IniEntryPermission;
use ext_php_rs::types::ZendStr;
use ext_php_rs::zend::{IniEntryDef, IniEntryDefs};
use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The current values, in the order of [`SETTINGS`] (a php.ini value, or an `ini_set()`
/// of this request: PHP restores the php.ini value through [`on_modify`] at its end).
static CURRENT: [AtomicUsize; SETTINGS.len()] = defaults();

const fn defaults() -> [AtomicUsize; SETTINGS.len()] {
    let mut values = [const { AtomicUsize::new(0) }; SETTINGS.len()];
    let mut i = 0;
    while i < SETTINGS.len() {
        values[i] = AtomicUsize::new(SETTINGS[i].default);
        i += 1;
    }
    values
}

pub fn limits() -> Limits {
    Limits::from_values(CURRENT.each_ref().map(|c| c.load(Ordering::Relaxed)))
}

const SUCCESS: c_int = 0;
const FAILURE: c_int = -1;
/// `ZEND_INI_STAGE_RUNTIME`: an `ini_set()` from a script.
const STAGE_RUNTIME: c_int = 1 << 4;

/// A `'static` C string of `s`, for the engine's table (made at module start-up, kept for
/// the process's life).
fn leaked(s: String) -> &'static std::ffi::CStr {
    match std::ffi::CString::new(s) {
        Ok(c) => Box::leak(c.into_boxed_c_str()),
        Err(_) => c"",
    }
}

type Entries = IniEntryDefs<{ SETTINGS.len() + 1 }>;

/// The table made, kept for the process's life (and so reachable, not leaked).
static ENTRIES: std::sync::atomic::AtomicPtr<Entries> = std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());

/// The engine's table of [`SETTINGS`]: names and defaults as the C strings it needs, then
/// the end marker. Made from them once (at module start-up) and kept.
fn entries() -> &'static Entries {
    let made = ENTRIES.load(Ordering::Acquire);
    // SAFETY: a non-null pointer is a table leaked below, never freed or changed.
    if let Some(table) = unsafe { made.as_ref() } {
        return table;
    }
    let table: &'static mut Entries = Box::leak(Box::new(make_entries()));
    match ENTRIES.compare_exchange(std::ptr::null_mut(), table, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => table,
        // SAFETY: as above; another thread made it first (ours stays unused).
        Err(other) => unsafe { &*other },
    }
}

fn make_entries() -> Entries {
    IniEntryDefs::new(std::array::from_fn(|i| match SETTINGS.get(i) {
        Some(setting) => {
            let mut def = IniEntryDef::new(
                leaked(setting.name.to_string()),
                leaked(setting.default.to_string()),
                IniEntryPermission::All,
            );
            def.on_modify = Some(on_modify);
            def
        }
        None => IniEntryDef::end(),
    }))
}

/// Registers the settings; called once at module start-up (PHP then calls [`on_modify`]
/// with each php.ini value or default).
pub fn register(module_number: i32) {
    IniEntryDef::register(entries().as_slice(), module_number);
}

/// PHP's `on_modify` handler: accepts a value within the setting's range, refuses (and,
/// for `ini_set()`, warns about) anything else. Never unwinds into the engine.
unsafe extern "C" fn on_modify(
    entry: *mut zend_ini_entry,
    new_value: *mut zend_string,
    _: *mut c_void,
    _: *mut c_void,
    _: *mut c_void,
    stage: c_int,
) -> c_int {
    let applied = std::panic::catch_unwind(|| {
        // SAFETY: the engine passes its live entry and the new value's string.
        let (name, value) = unsafe {
            let name = entry.as_ref().and_then(|e| e.name.cast::<ZendStr>().as_ref());
            let value = new_value.cast::<ZendStr>().as_ref();
            (
                name.map(ZendStr::as_bytes),
                value.map(ZendStr::as_bytes).unwrap_or_default(),
            )
        };
        let name = name.and_then(|n| std::str::from_utf8(n).ok()).unwrap_or_default();
        let mut limits = limits();
        limits.set(name, value).map(|()| {
            for (current, v) in CURRENT.iter().zip(limits.values()) {
                current.store(v, Ordering::Relaxed);
            }
        })
    });
    match applied {
        Ok(Ok(())) => SUCCESS,
        Ok(Err(msg)) => {
            if stage == STAGE_RUNTIME {
                let warned = super::engine::warn(&msg);
                if super::engine::bailed() {
                    drop((warned, msg));
                    super::engine::resume_bailout();
                }
            }
            FAILURE
        }
        Err(_) => FAILURE,
    }
}

extern "C" {
    /// ext/standard's `display_ini_entries()`: the module's settings table in phpinfo().
    fn display_ini_entries(module: *mut ext_php_rs::zend::ModuleEntry);
}

/// The module's phpinfo() function: the extension's rows, then its settings (name, local
/// and master value).
pub extern "C" fn info(module: *mut ext_php_rs::zend::ModuleEntry) {
    let module = std::panic::AssertUnwindSafe(module);
    super::hook((), move || {
        super::info_rows();
        // SAFETY: the engine passes this extension's module entry to its info function;
        // its ini entries were registered at start-up.
        unsafe { display_ini_entries(*module) };
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_the_settings() {
        let entries = entries().as_slice();
        assert_eq!(entries.len(), SETTINGS.len() + 1);
        for (e, s) in entries.iter().zip(&SETTINGS) {
            // SAFETY: the table's strings are 'static C strings.
            let (name, value) = unsafe { (std::ffi::CStr::from_ptr(e.name), std::ffi::CStr::from_ptr(e.value)) };
            assert_eq!(name.to_str(), Ok(s.name));
            assert_eq!(value.to_str(), Ok(s.default.to_string().as_str()), "{}", s.name);
        }
        assert!(entries[SETTINGS.len()].name.is_null());
    }
}
