//! Property names that are not UTF-8, and `data`. ext-php-rs's property handlers read the
//! name as `&str` first, and on failure its read handler sets the engine's not yet
//! initialised return slot to null through a destructor call, which corrupts the heap.
//! Such a name is never one of the 17 fields, so these wrappers answer for it themselves
//! (as PHP does for an undefined property) and pass every other name on to ext-php-rs's
//! handlers.
//!
//! Part of the FFI fence (see `src/php/mod.rs`): raw engine pointers are handled here.
#![allow(
    unsafe_code,
    reason = "the FFI fence: the engine calls these handlers with raw pointers"
)]

use super::event::{fail, Event};
use crate::error::Rule;
use ext_php_rs::class::RegisteredClass;
use ext_php_rs::ffi::{zend_object, zend_object_handlers, zend_string, zval, BP_VAR_IS, IS_NULL};
use ext_php_rs::types::ZendStr;
use std::os::raw::{c_int, c_void};
use std::sync::OnceLock;

static ORIGINAL: OnceLock<zend_object_handlers> = OnceLock::new();

/// The name, when these wrappers answer for it: a name that is not UTF-8, or `data`
/// (the protected property that `==` and casts read through get_properties(); named
/// from outside, it is no field, as in Moodle's events, rather than a visibility Error).
///
/// # Safety
/// `member` is null or a live zend_string, as the engine passes property names.
unsafe fn invalid(member: *mut zend_string) -> Option<String> {
    // SAFETY: the engine passes a live zend_string (or null) as the property name.
    let name = unsafe { member.cast::<ZendStr>().as_ref()? }.as_bytes();
    (name == b"data" || std::str::from_utf8(name).is_err())
        .then(|| crate::catalogue::shown_name(&String::from_utf8_lossy(name)))
}

fn original() -> Option<&'static zend_object_handlers> {
    ORIGINAL.get()
}

unsafe extern "C" fn read_property(
    object: *mut zend_object,
    member: *mut zend_string,
    type_: c_int,
    cache_slot: *mut *mut c_void,
    rv: *mut zval,
) -> *mut zval {
    // SAFETY: `member` is the engine's property name for this call.
    if let Some(name) = unsafe { invalid(member) } {
        // BP_VAR_IS: a read for isset(), empty() or `??`, which warns about nothing.
        if type_ != BP_VAR_IS as c_int {
            let warned = super::engine::warn(&format!("Undefined property: moodle_events\\event::${name}"));
            if super::engine::bailed() {
                drop((warned, name));
                super::engine::resume_bailout();
            }
        }
        // The slot is not initialised: set its type without releasing anything.
        // SAFETY: `rv` is the engine's return slot for this read (or null).
        if let Some(rv) = unsafe { rv.as_mut() } {
            rv.u1.type_info = IS_NULL;
        }
        return rv;
    }
    match original().and_then(|h| h.read_property) {
        // SAFETY: ext-php-rs's own handler, called with the engine's arguments unchanged.
        Some(f) => unsafe { f(object, member, type_, cache_slot, rv) },
        None => rv,
    }
}

unsafe extern "C" fn has_property(
    object: *mut zend_object,
    member: *mut zend_string,
    has_set_exists: c_int,
    cache_slot: *mut *mut c_void,
) -> c_int {
    // SAFETY: `member` is the engine's property name for this call.
    if unsafe { invalid(member) }.is_some() {
        return 0;
    }
    match original().and_then(|h| h.has_property) {
        // SAFETY: ext-php-rs's own handler, called with the engine's arguments unchanged.
        Some(f) => unsafe { f(object, member, has_set_exists, cache_slot) },
        None => 0,
    }
}

unsafe extern "C" fn write_property(
    object: *mut zend_object,
    member: *mut zend_string,
    value: *mut zval,
    cache_slot: *mut *mut c_void,
) -> *mut zval {
    // SAFETY: `member` is the engine's property name for this call.
    if let Some(name) = unsafe { invalid(member) } {
        modified(object, &name);
        return value;
    }
    match original().and_then(|h| h.write_property) {
        // SAFETY: ext-php-rs's own handler, called with the engine's arguments unchanged.
        Some(f) => unsafe { f(object, member, value, cache_slot) },
        None => value,
    }
}

unsafe extern "C" fn get_property_ptr_ptr(
    object: *mut zend_object,
    member: *mut zend_string,
    type_: c_int,
    cache_slot: *mut *mut c_void,
) -> *mut zval {
    // SAFETY: `member` is the engine's property name for this call.
    if unsafe { invalid(member) }.is_some() {
        // No direct slot: the engine falls back to read_property/write_property.
        return std::ptr::null_mut();
    }
    match original().and_then(|h| h.get_property_ptr_ptr) {
        // SAFETY: ext-php-rs's own handler, called with the engine's arguments unchanged.
        Some(f) => unsafe { f(object, member, type_, cache_slot) },
        None => std::ptr::null_mut(),
    }
}

unsafe extern "C" fn unset_property(object: *mut zend_object, member: *mut zend_string, cache_slot: *mut *mut c_void) {
    // SAFETY: `member` is the engine's property name for this call.
    if let Some(name) = unsafe { invalid(member) } {
        modified(object, &name);
        return;
    }
    if let Some(f) = original().and_then(|h| h.unset_property) {
        // SAFETY: ext-php-rs's own handler, called with the engine's arguments unchanged.
        unsafe { f(object, member, cache_slot) }
    }
}

/// The error `__set()`/`__unset()` give: events are read-only.
fn modified(object: *mut zend_object, name: &str) {
    // SAFETY: the engine passes the live object whose handler this is.
    let event = unsafe { object.as_mut() }.and_then(ext_php_rs::types::ZendClassObject::<Event>::from_zend_obj_mut);
    let eventname = event.map_or_else(|| "moodle_events\\event".to_string(), |e| e.eventname().to_string());
    fail(&eventname, name, Rule::Modified).throw();
}

/// Wraps the class's property handlers; called once at module start-up, before any
/// event exists.
///
/// ext-php-rs keeps the table inside the class's metadata, in a `OnceCell`, and hands
/// out only `&zend_object_handlers`: writing through that reference would be undefined
/// behaviour. The table is written instead through a pointer derived from the
/// metadata itself, whose cell (an `UnsafeCell`) permits writes through a shared
/// reference; no reference into the table is live meanwhile, and every object made
/// afterwards takes a fresh one. `patches/ext-php-rs-handler-hook.patch` proposes the
/// hook upstream that makes this a safe call.
pub fn install() {
    let meta = Event::get_metadata();
    // Initialises the table; only its address is kept.
    let table = std::ptr::from_ref(meta.handlers()).addr();
    let base = std::ptr::from_ref(meta).cast::<u8>();
    let Some(offset) = table
        .checked_sub(base.addr())
        .filter(|o| o + size_of::<zend_object_handlers>() <= size_of_val(meta))
    else {
        // Not inside the metadata: a layout this code does not know; leave it alone.
        return;
    };
    // SAFETY: `offset` places the table inside `*meta` (checked above), so the pointer
    // stays within the metadata's allocation and keeps its provenance. The bytes are
    // the contents of the metadata's OnceCell, an UnsafeCell, so a pointer derived
    // from the shared `&'static ClassMetadata` may write them. It is module start-up:
    // one thread, no object uses the table yet, and no reference into it is live.
    unsafe {
        let handlers = base.add(offset).cast::<zend_object_handlers>().cast_mut();
        if ORIGINAL.set(handlers.read()).is_err() {
            return; // installed already (a second module start-up in one process)
        }
        (*handlers).read_property = Some(read_property);
        (*handlers).has_property = Some(has_property);
        (*handlers).write_property = Some(write_property);
        (*handlers).get_property_ptr_ptr = Some(get_property_ptr_ptr);
        (*handlers).unset_property = Some(unset_property);
    }
}
