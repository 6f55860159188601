//! Inside Moodle (its setup defined `MOODLE_INTERNAL`): where events go. A natively
//! triggered event is handed to its bridge class (a real `\core\event\base`, see `php/`),
//! and inside Moodle's PHPUnit a sink is Moodle's own. Outside Moodle (no `MOODLE_INTERNAL`,
//! `core\event\base` not loaded, no `PHPUNIT_TEST`) none of this applies and nothing is
//! autoloaded.

use super::engine;
use super::zv;
use ext_php_rs::exception::PhpResult;
use ext_php_rs::types::{ZendHashTable, Zval};
use ext_php_rs::zend::ClassEntry;
use std::rc::Rc;

/// Inside Moodle: its setup defined `MOODLE_INTERNAL`, or its event base class is loaded.
pub fn inside_moodle() -> bool {
    zv::constant("MOODLE_INTERNAL").is_some() || zv::loaded_class("core\\event\\base").is_some()
}

thread_local! {
    /// The bridge classes found in this request, by event name (a declared class stays
    /// declared until the request ends).
    static BRIDGES: std::cell::RefCell<std::collections::HashMap<Box<str>, &'static ClassEntry>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
    /// The data being handed to Moodle's create(), validated already: the bridge's
    /// validate_data() of exactly that data checks nothing, once.
    static HANDING_OVER: std::cell::RefCell<Option<Validated>> = const { std::cell::RefCell::new(None) };
}

/// The validated data of a hand-over, as Moodle's create() will have put it in
/// `$this->data`: a validate_data() whose data differs in any of these (another event
/// created meanwhile, say by code run from a context's `__get`) is validated as usual.
#[derive(Debug, PartialEq, Eq)]
pub struct Validated {
    pub name: Rc<str>,
    /// objectid, contextid, userid, courseid, relateduserid.
    pub ids: [Option<i64>; 5],
    pub anonymous: bool,
    /// The address of the (shared, never modified) `other` array; 0 for none.
    pub other: usize,
}

/// A native event's hand-over, read from it before any PHP code runs.
pub struct Handover {
    /// Moodle's create() data.
    pub data: Zval,
    pub timecreated: i64,
    /// Copies of the record snapshots, by id.
    pub snapshots: Zval,
    pub validated: Validated,
}

/// A catalogue event's bridge class, inside Moodle: the class of that name, autoloaded
/// (which loads `\core\event\base` too), when it is a `\core\event\base`. Looked up
/// once per request; a class not found is looked for again next time.
pub fn bridge_class(eventname: &str) -> PhpResult<Option<&'static ClassEntry>> {
    if let Some(cached) = BRIDGES.with_borrow(|b| b.get(eventname).copied()) {
        return Ok(Some(cached));
    }
    if !inside_moodle() {
        return Ok(None);
    }
    let found = engine::find_class(eventname.trim_start_matches('\\'))?;
    engine::after_call()?;
    let Some(base) = zv::loaded_class("core\\event\\base") else {
        return Ok(None);
    };
    let Some(class) = found.filter(|ce| ce.instance_of(base) && !std::ptr::eq(*ce, base)) else {
        return Ok(None);
    };
    BRIDGES.with_borrow_mut(|b| b.insert(eventname.into(), class));
    Ok(Some(class))
}

/// The Moodle event of a validated native one, inside Moodle: its bridge class's
/// `create_from_native_data()` (Moodle's create() with the native event's data, told that
/// the extension has validated exactly that data), then the time and record snapshots.
/// None when there is no bridge class.
pub fn hand_over(h: &Handover) -> PhpResult<Option<Zval>> {
    let Some(class) = bridge_class(&h.validated.name)? else {
        return Ok(None);
    };
    let expected = Validated {
        name: Rc::clone(&h.validated.name),
        ..h.validated
    };
    let previous = HANDING_OVER.replace(Some(expected));
    let built = engine::call_static(
        class,
        "create_from_native_data",
        &[&h.data, &zv::long(h.timecreated), &h.snapshots],
    );
    HANDING_OVER.set(previous);
    engine::settle(built)?.map(Some)
}

/// Is this Moodle data exactly the data being handed over (validated already)? Answers
/// yes once.
pub fn handed_over(data: &ZendHashTable) -> bool {
    HANDING_OVER.with_borrow_mut(|h| {
        h.take_if(|v| {
            let int = |key: &str| zv::named(data, key).and_then(Zval::long);
            let name = zv::named(data, "eventname").and_then(Zval::str).unwrap_or_default();
            let other = zv::named(data, "other")
                .and_then(Zval::array)
                .map_or(0, |a| std::ptr::from_ref(a) as usize);
            name.trim_start_matches('\\') == v.name.trim_start_matches('\\')
                && [
                    int("objectid"),
                    int("contextid"),
                    int("userid"),
                    int("courseid"),
                    int("relateduserid"),
                ] == v.ids
                && int("anonymous") == Some(i64::from(v.anonymous))
                && other == v.other
        })
        .is_some()
    })
}

pub fn trigger(event: &Zval) -> PhpResult<()> {
    if let Some(obj) = event.object() {
        // Moodle's own trigger() reports through exceptions; its return value is nothing.
        drop(engine::settle(engine::call_method(obj, "trigger", &[]))?);
        return Ok(());
    }
    engine::after_call()
}

thread_local! {
    /// The phpunit_util class found in this request, once found.
    static PHPUNIT_UTIL: std::cell::Cell<Option<&'static str>> = const { std::cell::Cell::new(None) };
}

/// Forgets the per-request lookup (at request start and end).
pub fn request_boundary() {
    PHPUNIT_UTIL.set(None);
    drop(BRIDGES.take());
    drop(HANDING_OVER.take());
}

/// The names of Moodle's PHPUnit utility class: Moodle 4.5, 5.0 and 5.1 have the global
/// `phpunit_util`; the namespaced `\core\test\phpunit\phpunit_util` first appears in 5.2.
const PHPUNIT_UTILS: [&str; 2] = ["phpunit_util", "core\\test\\phpunit\\phpunit_util"];

/// Moodle's PHPUnit event redirection (`phpunit_util`), when `PHPUNIT_TEST` is true. Found
/// once per request: a class already declared is taken without autoloading (the namespaced
/// one first, which a newer Moodle may alias the global name to), else each name is
/// autoloaded in turn; only a class found is remembered (before Moodle's setup has loaded
/// it, a later call looks again). An autoloader's fatal error or `exit()` goes on; an
/// exception it throws only means the class is not there.
fn phpunit_util() -> PhpResult<Option<&'static str>> {
    if zv::constant("PHPUNIT_TEST").is_none_or(|v| v.bool() != Some(true)) {
        return Ok(None);
    }
    if let Some(found) = PHPUNIT_UTIL.get() {
        return Ok(Some(found));
    }
    let mut found = PHPUNIT_UTILS
        .iter()
        .rev()
        .find(|c| zv::loaded_class(c).is_some())
        .copied();
    if found.is_none() {
        for class in PHPUNIT_UTILS {
            let loaded = engine::find_class(class)?;
            if engine::exiting() {
                return Err("exit".into());
            }
            let _ = ext_php_rs::zend::ExecutorGlobals::take_exception();
            if loaded.is_some() {
                found = Some(class);
                break;
            }
        }
    }
    if found.is_some() {
        PHPUNIT_UTIL.set(found);
    }
    Ok(found)
}

fn call_util(method: &str) -> PhpResult<Option<Zval>> {
    let util = engine::boundary(phpunit_util())?;
    let Some(util) = util else {
        return Ok(None);
    };
    let result = {
        let callable = zv::string(&format!("{util}::{method}"));
        engine::call_callable(&callable, &[])
    };
    // Called from functions whose frames own nothing yet: a bailout goes on from here.
    let result = engine::boundary(result);
    engine::after_call()?;
    Ok(Some(result?))
}

/// Starts Moodle's redirection (inside Moodle's PHPUnit): its `phpunit_event_sink`.
pub fn start_redirection() -> PhpResult<Option<Zval>> {
    call_util("start_event_redirection")
}

/// Whether Moodle is redirecting events (false outside Moodle's PHPUnit).
pub fn is_redirecting() -> PhpResult<bool> {
    Ok(call_util("is_redirecting_events")?.is_some_and(|v| v.bool() == Some(true)))
}

pub fn stop_redirection() -> PhpResult<()> {
    call_util("stop_event_redirection").map(drop)
}

/// Calls a method of Moodle's sink.
pub fn call(sink: &Zval, method: &str) -> PhpResult<Zval> {
    let Some(obj) = sink.object() else {
        return Ok(Zval::null());
    };
    // Called from the sink's methods, whose frames own nothing yet: a bailout goes on
    // from here.
    let result = engine::boundary(engine::call_method(obj, method, &[]));
    engine::after_call()?;
    result
}
