//! What calling into PHP needs besides ext-php-rs: telling an `exit()` (which PHP 8
//! unwinds as a special non-Throwable "exception") from a real exception, catching a fatal
//! error's bailout long enough to tidy up, and checking that a callable works from
//! anywhere.

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
    let result = try_catch(AssertUnwindSafe(|| callback.try_call(vec![event]).is_ok()));
    match result {
        Err(_) => Called::Bailout,
        Ok(_) if exiting() => Called::Exit,
        Ok(ok) => match ExecutorGlobals::take_exception() {
            Some(ex) => Called::Failed(describe(&ex)),
            None if ok => Called::Ok,
            None => Called::Failed("the call failed".into()),
        },
    }
}

/// Continues a bailout caught by [`call`].
pub fn resume_bailout() -> ! {
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
    let mut fcc = zend_fcall_info_cache {
        function_handler: std::ptr::null_mut(),
        calling_scope: std::ptr::null_mut(),
        called_scope: std::ptr::null_mut(),
        object: std::ptr::null_mut(),
    };
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
        // ZEND_ACC_PUBLIC is bit 0; only methods (a scope) carry visibility.
        let hidden = ok && !fcc.function_handler.is_null() && {
            let f = &(*fcc.function_handler).common;
            !f.scope.is_null() && f.fn_flags & 1 == 0
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
