//! What calling into PHP needs besides ext-php-rs: telling an `exit()` (which PHP 8
//! unwinds as a special non-Throwable "exception") from a real exception, catching a fatal
//! error's bailout long enough to tidy up, and checking that a callable works from
//! anywhere.
#![allow(unsafe_code, reason = "the FFI fence: calls into the engine and its bailouts")]

use super::exception::throw;
use crate::catalogue::shown_name;
use crate::error::{Rule, ValidationError};
use ext_php_rs::exception::{PhpException, PhpResult};
use ext_php_rs::ffi::{zend_fcall_info_cache, zend_object};
use ext_php_rs::flags::DataType;
use ext_php_rs::types::{ZendStr, Zval};
use ext_php_rs::zend::{try_catch, ExecutorGlobals};
use std::panic::AssertUnwindSafe;

unsafe extern "C" {
    fn zend_is_unwind_exit(ex: *const zend_object) -> bool;
    fn zend_is_graceful_exit(ex: *const zend_object) -> bool;
    fn zend_release_fcall_info_cache(fcc: *mut zend_fcall_info_cache);
}

/// Is the engine unwinding for `exit()` (or a graceful timeout)? Then no PHP code may
/// run any more: leave it pending and return.
pub fn exiting() -> bool {
    let eg = ExecutorGlobals::get();
    let ex = eg.exception;
    drop(eg);
    // SAFETY: a non-null EG(exception) is a live object while it is pending.
    !ex.is_null() && unsafe { zend_is_unwind_exit(ex) || zend_is_graceful_exit(ex) }
}

/// After a call into PHP: a thrown exception comes back as Err, to be rethrown; an exit
/// stays pending (the Err is then dropped by the engine, which never replaces an exit).
pub fn after_call() -> PhpResult<()> {
    if exiting() {
        return Err(PhpException::new("exit".into(), 0, ext_php_rs::zend::ce::exception()));
    }
    ExecutorGlobals::throw_if_exception()
}

/// How an observer call ended.
pub enum Called {
    Ok,
    /// It threw (or failed): the exception was taken; here described.
    Failed(String),
    /// `exit()`: still pending.
    Exit,
    /// A fatal error: the engine must go on bailing out once we tidied up.
    Bailout,
}

pub fn call(callback: &Zval, event: &Zval, describe: impl FnOnce(&ext_php_rs::types::ZendObject) -> String) -> Called {
    match call_callable(callback, &[event]) {
        Err(_) if bailed() => Called::Bailout,
        _ if exiting() => Called::Exit,
        result => match ExecutorGlobals::take_exception() {
            Some(ex) => Called::Failed(describe(&ex)),
            None if result.is_ok() => Called::Ok,
            None => Called::Failed("the call failed".into()),
        },
    }
}

thread_local! {
    /// A fatal error's bailout was caught in a call into PHP and waits for [`boundary`].
    static BAILED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Has a bailout been caught that is not yet resumed?
pub fn bailed() -> bool {
    BAILED.get()
}

/// Runs `f` (a call into PHP, which may end in a fatal error's bailout: a longjmp that
/// would skip every Rust frame in between, and leak what they own). A bailout is caught
/// and recorded, and comes back as an Err: the caller's frames then return and drop their
/// values, and the method's [`boundary`] lets the bailout go on. `f` must own nothing
/// (capture references only): a frame the bailout leaves is never dropped.
fn protect(f: impl FnOnce() -> bool) -> PhpResult<()> {
    match try_catch(AssertUnwindSafe(f)) {
        Ok(true) => Ok(()),
        Ok(false) => Err("the call into PHP failed".into()),
        Err(ext_php_rs::zend::CatchError::Bailout) => {
            BAILED.set(true);
            Err("a fatal error ended the request".into())
        }
        Err(e) => Err(format!("{e}").into()),
    }
}

/// Calls a PHP callable with `args`. The argument array and the return value live in
/// this frame, outside the engine's try block, so a bailout loses nothing of ours. A
/// thrown exception stays pending (see [`after_call`]).
pub fn call_callable(callable: &Zval, args: &[&Zval]) -> PhpResult<Zval> {
    let mut params: Vec<Zval> = args.iter().map(|a| a.shallow_clone()).collect();
    let mut function = callable.shallow_clone();
    let mut retval = Zval::new();
    let count = u32::try_from(params.len()).unwrap_or(0);
    let (f, r, p) = (&raw mut function, &raw mut retval, params.as_mut_ptr());
    protect(|| {
        // SAFETY: every pointer is to a live zval of this frame; the engine copies what
        // it keeps.
        unsafe {
            ext_php_rs::ffi::_call_user_function_impl(std::ptr::null_mut(), f, r, count, p, std::ptr::null_mut()) == 0
        }
    })?;
    Ok(retval)
}

/// After [`call_callable`] or [`call_method`]: a caught bailout, a thrown exception or an
/// `exit()` comes back as the outer Err (to be passed on); inside is the call's own
/// result (Err when the call could not be made).
pub fn settle(result: PhpResult<Zval>) -> PhpResult<PhpResult<Zval>> {
    if bailed() {
        return Err(result.err().unwrap_or_else(|| "a fatal error ended the request".into()));
    }
    after_call()?;
    Ok(result)
}

/// Calls the method `name` of `obj` with `args`, like [`call_callable`]. Err when it has
/// no such method.
pub fn call_method(obj: &ext_php_rs::types::ZendObject, name: &str, args: &[&Zval]) -> PhpResult<Zval> {
    call_known(obj.get_class_entry(), Some(obj), name, args)
}

/// Calls the static method `name` of `class` with `args` (the class as `static::`), like
/// [`call_callable`], without parsing a callable. Err when it has no such method.
pub fn call_static(class: &ext_php_rs::zend::ClassEntry, name: &str, args: &[&Zval]) -> PhpResult<Zval> {
    call_known(class, None, name, args)
}

use ext_php_rs::flags::MethodFlags;

fn call_known(
    ce: &ext_php_rs::zend::ClassEntry,
    obj: Option<&ext_php_rs::types::ZendObject>,
    name: &str,
    args: &[&Zval],
) -> PhpResult<Zval> {
    // SAFETY: the class's own function table, valid while the class is declared (the
    // request, or the object's life).
    let func = unsafe {
        ext_php_rs::ffi::zend_hash_str_find_ptr_lc(&raw const ce.function_table, name.as_ptr().cast(), name.len())
            .cast::<ext_php_rs::ffi::zend_function>()
    };
    if func.is_null() {
        return Err(format!("no method {name}()").into());
    }
    // SAFETY: a function of the table just read; `common` is the part every kind shares.
    let flags = unsafe { (*func).common.fn_flags };
    let needed = if obj.is_some() {
        MethodFlags::Public
    } else {
        MethodFlags::Public | MethodFlags::Static
    };
    if !MethodFlags::from_bits_truncate(flags).contains(needed) {
        return Err(format!("{name}() is not public{}", if obj.is_some() { "" } else { " static" }).into());
    }
    let mut params: Vec<Zval> = args.iter().map(|a| a.shallow_clone()).collect();
    let mut retval = Zval::new();
    let count = u32::try_from(params.len()).unwrap_or(0);
    let object = obj.map_or(std::ptr::null_mut(), |o| std::ptr::from_ref(o).cast_mut());
    let scope = std::ptr::from_ref(ce).cast_mut();
    let (r, p) = (&raw mut retval, params.as_mut_ptr());
    protect(|| {
        // SAFETY: a method of the class itself, called on a live object of it or
        // statically with the class as its scope; the argument zvals live in this frame.
        unsafe { ext_php_rs::ffi::zend_call_known_function(func, object, scope, r, count, p, std::ptr::null_mut()) };
        true
    })?;
    Ok(retval)
}

/// `ClassEntry::try_find()` (which autoloads: user code), protected like a call.
pub fn find_class(name: &str) -> PhpResult<Option<&'static ext_php_rs::zend::ClassEntry>> {
    let mut found = None;
    let slot = &mut found;
    protect(|| {
        *slot = ext_php_rs::zend::ClassEntry::try_find(name);
        true
    })?;
    Ok(found)
}

/// A PHP warning (which a user error handler may turn into anything, a fatal error
/// included: that is caught like a call's).
pub fn warn(message: &str) -> PhpResult<()> {
    // The C string is made here, outside the engine's try block (as ext-php-rs's
    // php_error() would make it inside, where a bailout would lose it).
    let Ok(text) = std::ffi::CString::new(message.replace('\0', "\\0")) else {
        return Ok(());
    };
    let text = text.as_ptr();
    protect(|| {
        // SAFETY: the message is passed as the argument of a "%s" format, never as the
        // format itself; both strings are NUL-terminated and outlive the call.
        unsafe {
            ext_php_rs::ffi::php_error_docref(std::ptr::null(), ext_php_rs::ffi::E_WARNING as _, c"%s".as_ptr(), text);
        }
        true
    })
}

/// Where an exported function or method returns to the engine: a bailout caught below
/// goes on now that our frames have dropped their values.
pub fn boundary<R>(result: PhpResult<R>) -> PhpResult<R> {
    if BAILED.replace(false) {
        drop(result);
        resume_bailout();
    }
    result
}

/// The body of a PHP-facing function or method that may run PHP code: `f` runs, every
/// value it made is dropped when it returns, and then a fatal error's bailout caught
/// meanwhile goes on ([`boundary`]). Nothing of ours may be alive across the bailout (a
/// longjmp skips destructors), which this shape ensures.
pub fn entry<R>(f: impl FnOnce() -> PhpResult<R>) -> PhpResult<R> {
    let outcome = f();
    boundary(outcome)
}

/// At request start-up: a bailout caught in the last request is not this one's.
pub fn forget_bailout() {
    BAILED.set(false);
}

/// Continues a caught bailout.
pub fn resume_bailout() -> ! {
    BAILED.set(false);
    // SAFETY: called right after a caught bailout, from the request it belongs to, with
    // our state already tidied up; the engine's own handler takes over.
    unsafe { ext_php_rs::zend::bailout() }
}

/// A callable must work from wherever events are triggered: a private or protected
/// method, or `self::`/`parent::`/`static::`, works only inside its class.
pub fn check_callable_anywhere(callback: &Zval) -> PhpResult<()> {
    if callback.object().is_some() {
        return Ok(()); // a Closure (or an invokable object) is callable from anywhere
    }
    let scoped = match callback.get_type() {
        DataType::String => callback.str().is_some_and(|s| {
            let lower = s.to_ascii_lowercase();
            ["self::", "parent::", "static::"].iter().any(|p| lower.contains(p))
        }),
        DataType::Array => callback.array().is_some_and(|a| {
            a.values().any(|v| {
                v.str().is_some_and(|s| {
                    let lower = s.to_ascii_lowercase();
                    ["self", "parent", "static"].contains(&lower.as_str()) || lower.contains("::")
                })
            })
        }),
        _ => false,
    };
    // SAFETY: every field of zend_fcall_info_cache is a raw pointer (PHP 8.3 added
    // `closure`), for which all-zero is null: an empty cache on every PHP version.
    let mut fcc: zend_fcall_info_cache = unsafe { std::mem::zeroed() };
    // SAFETY: zend_is_callable_ex only reads the callable and fills `fcc`, which we release
    // (a no-op unless it made a trampoline for __call).
    let hidden = unsafe {
        let ok = ext_php_rs::ffi::zend_is_callable_ex(
            std::ptr::from_ref(callback).cast_mut(),
            std::ptr::null_mut(),
            0,
            std::ptr::null_mut(),
            &raw mut fcc,
            std::ptr::null_mut(),
        );
        // Only methods (a scope) carry visibility.
        let hidden = ok && !fcc.function_handler.is_null() && {
            let f = &(*fcc.function_handler).common;
            !f.scope.is_null() && !MethodFlags::from_bits_truncate(f.fn_flags).contains(MethodFlags::Public)
        };
        zend_release_fcall_info_cache(&raw mut fcc);
        hidden
    };
    if scoped || hidden {
        return Err(PhpException::new(
            "moodle_events\\observe(): Argument #2 ($callback) must be callable from anywhere: a private or \
             protected method, or self::/parent::/static::, only works inside its class; pass a closure, \
             e.g. $this->handler(...)"
                .into(),
            0,
            ext_php_rs::zend::ce::type_error(),
        ));
    }
    Ok(())
}

/// A string argument that may hold any bytes (PHP strings need not be UTF-8): an event
/// name that is not UTF-8 becomes a validation_exception, not a TypeError.
pub struct NameArg<'a>(pub &'a ZendStr);

impl<'a> ext_php_rs::convert::FromZval<'a> for NameArg<'a> {
    const TYPE: DataType = DataType::String;

    fn from_zval(zval: &'a Zval) -> Option<Self> {
        zval.zend_str().map(NameArg)
    }
}

impl<'a> NameArg<'a> {
    /// For names that are only looked up or shown (a property, a table): invalid UTF-8 is
    /// shown replaced, at most 255 characters.
    pub fn lossy(&self) -> String {
        shown_name(&String::from_utf8_lossy(self.0.as_bytes()))
    }

    pub fn utf8(&self) -> PhpResult<&'a str> {
        let bytes: &'a [u8] = self.0.as_bytes();
        std::str::from_utf8(bytes).map_err(|_| {
            throw(ValidationError::new(
                shown_name(&String::from_utf8_lossy(bytes)),
                "eventname",
                Rule::InvalidUtf8,
            ))
        })
    }
}

/// The engine's name of a callable (`function`, `Class::method`), if it has one.
pub fn callable_name(cb: &Zval) -> Option<String> {
    let mut name: *mut ext_php_rs::ffi::zend_string = std::ptr::null_mut();
    // SAFETY: zend_is_callable_ex only reads the callable and writes a new string to `name`,
    // which is owned here and released by the ZBox.
    unsafe {
        ext_php_rs::ffi::zend_is_callable_ex(
            std::ptr::from_ref(cb).cast_mut(),
            std::ptr::null_mut(),
            0,
            &raw mut name,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        if name.is_null() {
            return None;
        }
        let zs: ext_php_rs::boxed::ZBox<ZendStr> = ext_php_rs::boxed::ZBox::from_raw(name.cast());
        Some(String::from_utf8_lossy(zs.as_bytes()).into_owned())
    }
}
