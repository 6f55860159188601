//! The ext-php-rs binding: PHP classes and functions that convert arguments, call the
//! core and convert results back. No event rules live here.
//!
//! The FFI fence: `unsafe` is denied in this module and its children, except in the four
//! that own the raw engine access and opt in: `engine.rs` (calls into PHP, bailouts),
//! `zv.rs` (zvals and hash tables), `ini.rs` (php.ini entries, phpinfo()) and
//! `handlers.rs` (the event's property handlers); the embedded tests too.
#![deny(unsafe_code)]

pub mod catalogue;
pub mod engine;
pub mod event;
pub mod exception;
pub mod handlers;
pub mod ini;
pub mod moodle;
pub mod sink;
pub mod trigger;
pub mod zv;

use crate::validate::Limits;
use ext_php_rs::exception::PhpResult;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use ext_php_rs::zend::{ClassEntry, ExecutorGlobals};
use ext_php_rs::{info_table_end, info_table_row, info_table_start};

thread_local! {
    /// Resolved event names (no PHP values: safe across requests). Bounded, so that
    /// callers passing ever new names cannot grow it.
    static NAMES: std::cell::RefCell<std::collections::HashMap<Box<str>, crate::catalogue::EventName>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
    /// The name resolved last, as given, and its entry of `NAMES`.
    static LAST_NAME: std::cell::RefCell<Option<(Box<str>, crate::catalogue::EventName)>> =
        const { std::cell::RefCell::new(None) };
}

const NAME_CACHE_MAX: usize = 512;

/// `catalogue::resolve`, cached: events of one class share one name string.
pub fn resolve(eventname: &str) -> PhpResult<crate::catalogue::EventName> {
    // Loops trigger one event class many times: the last name is checked first.
    if let Some(hit) = LAST_NAME.with(|l| {
        l.borrow()
            .as_ref()
            .filter(|(name, _)| &**name == eventname)
            .map(|(_, ev)| ev.clone())
    }) {
        return Ok(hit);
    }
    let hit = NAMES.with(|n| n.borrow().get(eventname).cloned());
    if let Some(hit) = hit {
        LAST_NAME.with(|l| *l.borrow_mut() = Some((eventname.into(), hit.clone())));
        return Ok(hit);
    }
    let ev = crate::catalogue::resolve(eventname).map_err(exception::throw)?;
    NAMES.with(|n| {
        let mut n = n.borrow_mut();
        if n.len() < NAME_CACHE_MAX {
            n.insert(eventname.into(), ev.clone());
        }
    });
    Ok(ev)
}

pub fn limits() -> Limits {
    ini::limits()
}

/// `new \ArrayIterator($array)`.
pub fn array_iterator(array: Zval) -> PhpResult<zv::IteratorObject> {
    let ce = ClassEntry::try_find("ArrayIterator").ok_or("ArrayIterator is missing")?;
    let it = ce.new();
    it.try_call_method("__construct", vec![&array])?;
    ExecutorGlobals::throw_if_exception()?;
    Ok(zv::IteratorObject(ext_php_rs::convert::IntoZval::into_zval(it, false)?))
}

/// The event class names of an `?array $only` argument.
fn class_names(only: Option<&ZendHashTable>) -> PhpResult<Option<Vec<String>>> {
    let Some(only) = only else { return Ok(None) };
    let mut names = Vec::with_capacity(only.len());
    for v in only.values() {
        match zv::deref(v).and_then(Zval::str) {
            Some(name) => names.push(name.to_string()),
            None => {
                let msg = format!("only: event class names (strings) expected, got {}", zv::type_name(v));
                return Err(exception::of_class("TypeError", msg));
            }
        }
    }
    Ok(Some(names))
}

/// Starts redirecting triggered events into a new sink (stopping any other); with
/// `$only`, just those classes.
#[php_function]
#[php(name = "moodle_events\\redirect_events")]
#[php(optional = only)]
pub fn redirect_events(only: Option<&ZendHashTable>) -> PhpResult<sink::Sink> {
    trigger::redirect_events(class_names(only)?.as_deref())
}

/// Redirects, runs `$fn`, stops redirecting even when it throws, and returns the sink.
#[php_function]
#[php(name = "moodle_events\\capture")]
#[php(optional = only)]
pub fn capture(r#fn: Callback, only: Option<&ZendHashTable>) -> PhpResult<sink::Sink> {
    engine::entry(|| {
        let names = class_names(only)?;
        trigger::capture(&r#fn.0, names.as_deref())
    })
}

/// Is a sink capturing triggered events now?
#[php_function]
#[php(name = "moodle_events\\is_redirecting")]
pub fn is_redirecting() -> PhpResult<bool> {
    trigger::is_redirecting()
}

/// A PHP callable argument (declared `callable`), kept as its zval.
pub struct Callback(pub Zval);

impl<'a> ext_php_rs::convert::FromZval<'a> for Callback {
    const TYPE: ext_php_rs::flags::DataType = ext_php_rs::flags::DataType::Callable;

    fn from_zval(zval: &'a Zval) -> Option<Self> {
        zval.is_callable().then(|| Callback(zval.shallow_clone()))
    }
}

/// Registers an observer for a catalogue event class name, or '*' for all.
#[php_function]
#[php(name = "moodle_events\\observe")]
#[php(defaults(priority = 0))]
pub fn observe(eventname: engine::NameArg<'_>, callback: Callback, priority: i64) -> PhpResult<()> {
    trigger::observe(eventname.utf8()?, callback.0, priority)
}

/// Drops every observer and sink, and anything queued (tests).
#[php_function]
#[php(name = "moodle_events\\reset")]
pub fn reset() -> PhpResult<()> {
    trigger::reset()
}

/// Runs a hook of the extension's own (start-up, request start and end, phpinfo()): a
/// panic inside it must never unwind into the engine, so it becomes `failed`.
fn hook<R>(failed: R, f: impl FnOnce() -> R + std::panic::UnwindSafe) -> R {
    std::panic::catch_unwind(f).unwrap_or(failed)
}

fn startup(_ty: i32, module_number: i32) -> i32 {
    hook(-1, || {
        ini::register(module_number);
        handlers::install();
        match exception::register() {
            Ok(()) => 0,
            Err(_) => -1,
        }
    })
}

extern "C" fn request_startup(_ty: i32, _module_number: i32) -> i32 {
    hook(-1, || {
        trigger::request_startup();
        event::request_boundary();
        moodle::request_boundary();
        zv::drop_shared_keys();
        0
    })
}

extern "C" fn request_shutdown(_ty: i32, _module_number: i32) -> i32 {
    hook(-1, || {
        trigger::request_shutdown();
        event::request_boundary();
        moodle::request_boundary();
        zv::drop_shared_keys();
        0
    })
}

/// phpinfo()'s rows of the extension (its settings follow: `ini::info`).
fn info_rows() {
    info_table_start!();
    info_table_row!("moodle_events support", "enabled");
    info_table_row!("version", env!("CARGO_PKG_VERSION"));
    info_table_row!("catalogue version", crate::catalogue::version());
    info_table_row!("catalogue events", crate::catalogue::definitions().len().to_string());
    info_table_end!();
}

#[php_module]
#[php(startup = "startup")]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    module
        .class::<event::Event>()
        .class::<sink::Sink>()
        .class::<catalogue::Catalogue>()
        .constant(("moodle_events\\VERSION", env!("CARGO_PKG_VERSION"), &[]))
        .constant(("moodle_events\\CATALOGUE_VERSION", crate::catalogue::version(), &[]))
        .function(wrap_function!(redirect_events))
        .function(wrap_function!(capture))
        .function(wrap_function!(is_redirecting))
        .function(wrap_function!(observe))
        .function(wrap_function!(reset))
        .request_startup_function(request_startup)
        .request_shutdown_function(request_shutdown)
        .info_function(ini::info)
}

#[cfg(all(test, feature = "embed"))]
mod tests;
