//! `moodle_events\sink` and the trigger path: forwards to the core dispatcher, calls
//! observers one at a time and reports their failures as warnings.

use super::engine::{self, Called, NameArg};
use super::event::Event;
use super::exception::throw;
use super::moodle;
use super::zv;
use crate::dispatch::{self, Dispatcher, Outcome, Share};
use crate::expect::{self, Expect, Seen};
use ext_php_rs::boxed::ZBox;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::{PhpException, PhpResult};
use ext_php_rs::flags::ClassFlags;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendClassObject, ZendHashTable, ZendObject, ZendStr, Zval};
use ext_php_rs::zend::{ce, ExecutorGlobals};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

thread_local! {
    /// Per-request trigger state; emptied at request shutdown.
    static STATE: RefCell<Dispatcher<Zval, Zval>> = RefCell::new(Dispatcher::default());
    /// Set from request shutdown to the next request's start-up.
    static SHUTTING_DOWN: Cell<bool> = const { Cell::new(false) };
}

impl Share for Zval {
    fn share(&self) -> Self {
        self.shallow_clone()
    }
}

fn with<R>(f: impl FnOnce(&mut Dispatcher<Zval, Zval>) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut()))
}

/// Events captured while redirecting (Moodle's phpunit_event_sink).
#[php_class]
#[php(name = "moodle_events\\sink")]
#[php(flags = ClassFlags::Final)]
#[php(implements(ce = ce::countable, stub = "\\Countable"))]
#[php(implements(ce = ce::aggregate, stub = "\\IteratorAggregate"))]
pub struct Sink {
    inner: Inner,
    /// The classes this sink shows (leading backslash), when redirect_events() or
    /// capture() named them: the extension's own sink captures only those; Moodle's
    /// captures every event, and this sink shows only those of it.
    only: Option<Vec<String>>,
}

/// Outside Moodle the extension's own sink; inside Moodle's PHPUnit, Moodle's
/// `phpunit_event_sink`, whose events are the bridge classes' (real Moodle events).
enum Inner {
    Native(Rc<dispatch::Sink<Zval>>),
    Moodle(Zval),
}

fn event_of(zv: &Zval) -> Option<&Event> {
    zv.object()
        .and_then(ZendClassObject::<Event>::from_zend_obj)
        .map(|o| &**o)
}

fn same_name(event: &Zval, name: &str) -> bool {
    event_of(event).is_some_and(|e| e.eventname() == name)
}

/// Does this captured event's class have that name (leading backslash optional)?
fn class_is(event: &Zval, name: &str) -> bool {
    let name = name.trim_start_matches('\\');
    match event_of(event) {
        Some(e) => e.eventname().trim_start_matches('\\') == name,
        None => event
            .object()
            .and_then(|o| o.get_class_name().ok())
            .is_some_and(|c| c.eq_ignore_ascii_case(name)),
    }
}

#[php_impl]
#[php(change_method_case = "snake_case")]
impl Sink {
    /// The captured events, in trigger order (the same instances); with a class name
    /// (leading backslash optional), only the events of that class.
    #[php(optional = eventname)]
    pub fn get_events(&self, eventname: Option<NameArg<'_>>) -> PhpResult<ZBox<ZendHashTable>> {
        let name = eventname.map(|n| n.lossy());
        let events = self.shown()?;
        let mut ht = ZendHashTable::with_capacity(u32::try_from(events.len()).unwrap_or(u32::MAX));
        for e in events {
            if name.as_deref().is_none_or(|n| class_is(&e, n)) {
                let _ = ht.push(e);
            }
        }
        Ok(ht)
    }

    pub fn count(&self) -> PhpResult<i64> {
        match (&self.inner, &self.only) {
            (Inner::Native(sink), _) => Ok(sink.len() as i64),
            (Inner::Moodle(sink), None) => Ok(moodle::call(sink, "count")?.long().unwrap_or_default()),
            (Inner::Moodle(_), Some(_)) => Ok(self.shown()?.len() as i64),
        }
    }

    /// Asserts that an event of that class was triggered: with `$where`, one it accepts
    /// (it gets the event and returns bool); with `$times`, exactly that many. A PHPUnit
    /// assertion when PHPUnit is loaded, else an `assertion_failed` on failure.
    #[php(optional = r#where)]
    pub fn assert_triggered(
        &self,
        eventname: NameArg<'_>,
        r#where: Option<super::Callback>,
        times: Option<i64>,
    ) -> PhpResult<()> {
        let condition = r#where;
        let class = expect::canonical(&eventname.lossy());
        let times = match times {
            Some(t) => {
                Some(usize::try_from(t).map_err(|_| format!("assert_triggered(): times must be 0 or more, got {t}"))?)
            }
            None => None,
        };
        let expectation = Expect::Triggered {
            class: &class,
            condition: condition.is_some(),
            times,
        };
        self.assert(&expectation, Some(&class), condition.as_ref())
    }

    /// Asserts that no event of that class was triggered (with `$where`: none it accepts).
    #[php(optional = r#where)]
    pub fn assert_not_triggered(&self, eventname: NameArg<'_>, r#where: Option<super::Callback>) -> PhpResult<()> {
        let condition = r#where;
        let class = expect::canonical(&eventname.lossy());
        let expectation = Expect::NotTriggered {
            class: &class,
            condition: condition.is_some(),
        };
        self.assert(&expectation, Some(&class), condition.as_ref())
    }

    /// Asserts that no event was captured.
    pub fn assert_nothing_triggered(&self) -> PhpResult<()> {
        self.assert(&Expect::Nothing, None, None)
    }

    /// Asserts that events of these classes were triggered in this relative order (other
    /// events may come between them).
    pub fn assert_order(&self, eventnames: &[String]) -> PhpResult<()> {
        let names: Vec<&str> = eventnames.iter().map(String::as_str).collect();
        self.assert(&Expect::Order(&names), None, None)
    }

    /// The first event, or the first of that class name.
    pub fn first_event(&self, eventname: Option<NameArg<'_>>) -> PhpResult<Option<zv::AnyObject>> {
        let at = match eventname {
            None => Some(0),
            Some(name) => self.event_position(name)?.map(|p| p as usize),
        };
        let Some(at) = at else { return Ok(None) };
        Ok(match (&self.inner, &self.only) {
            (Inner::Native(sink), _) => sink.get(at),
            (Inner::Moodle(_), _) => self.shown()?.into_iter().nth(at),
        }
        .map(zv::AnyObject))
    }

    /// Position of the first event of that class name: a catalogue event (inside
    /// Moodle's PHPUnit, any event class: Moodle's sink captures them all).
    pub fn event_position(&self, eventname: NameArg<'_>) -> PhpResult<Option<i64>> {
        let name = eventname.utf8()?;
        match &self.inner {
            Inner::Native(sink) => {
                let name = super::resolve(name)?.eventname;
                Ok(sink.position(|e| same_name(e, &name)).map(|p| p as i64))
            }
            Inner::Moodle(_) => Ok(self.shown()?.iter().position(|e| class_is(e, name)).map(|p| p as i64)),
        }
    }

    /// Forgets the captured events; redirection goes on.
    pub fn clear(&self) -> PhpResult<()> {
        match &self.inner {
            Inner::Native(sink) => drop(sink.clear()),
            Inner::Moodle(sink) => drop(moodle::call(sink, "clear")?),
        }
        Ok(())
    }

    /// Stops redirection (whichever sink is active); the events stay readable.
    pub fn close(&self) -> PhpResult<()> {
        match &self.inner {
            Inner::Native(sink) => drop(with(|d| d.close(sink))),
            Inner::Moodle(sink) => drop(moodle::call(sink, "close")?),
        }
        Ok(())
    }

    #[php(name = "getIterator")]
    pub fn get_iterator(&self) -> PhpResult<zv::IteratorObject> {
        super::array_iterator(self.get_events(None)?.into_zval(false)?)
    }
}

impl Sink {
    /// The events this sink shows, in trigger order.
    fn shown(&self) -> PhpResult<Vec<Zval>> {
        match &self.inner {
            Inner::Native(sink) => Ok(sink.events()),
            Inner::Moodle(sink) => {
                let all = moodle::call(sink, "get_events")?;
                let events = all
                    .array()
                    .map(|a| a.values().map(Zval::shallow_clone).collect())
                    .unwrap_or_default();
                Ok(match &self.only {
                    None => events,
                    Some(only) => events
                        .into_iter()
                        .filter(|e| only.iter().any(|n| class_is(e, n)))
                        .collect(),
                })
            }
        }
    }

    /// Runs an assertion: `condition` is asked for each shown event of `class`.
    fn assert(
        &self,
        expectation: &Expect<'_>,
        class: Option<&str>,
        condition: Option<&super::Callback>,
    ) -> PhpResult<()> {
        let events = self.shown()?;
        let mut seen = Vec::with_capacity(events.len());
        for e in &events {
            let name = class_name(e);
            let of_class = class.is_some_and(|c| expect::same_class(&name, c));
            let matched = match (of_class, condition) {
                (false, _) => false,
                (true, None) => true,
                (true, Some(cond)) => accepts(cond, e)?,
            };
            seen.push(Seen { class: name, matched });
        }
        let outcome = expect::check(expectation, &seen, |i| other_json(&events[i]));
        report(outcome)
    }
}

/// The class of a captured event as Moodle writes `eventname`.
fn class_name(event: &Zval) -> String {
    match event_of(event) {
        Some(e) => e.eventname().to_string(),
        None => expect::canonical(&event.object().and_then(|o| o.get_class_name().ok()).unwrap_or_default()),
    }
}

/// What the `$where` condition says of an event: it must return a bool.
fn accepts(condition: &super::Callback, event: &Zval) -> PhpResult<bool> {
    let answer = engine::settle(engine::call_callable(&condition.0, &[event]))??;
    answer.bool().ok_or_else(|| {
        let msg = format!(
            "the where condition must return bool, {} returned",
            zv::type_name(&answer)
        );
        match zv::loaded_class("TypeError") {
            Some(ce) => PhpException::new(msg, 0, ce),
            None => PhpException::from_message(msg),
        }
    })
}

/// An event's `other` as JSON (for failure messages), read as Moodle code would.
fn other_json(event: &Zval) -> String {
    let other = match event_of(event) {
        Some(e) => e.rec.other.as_ref().map_or_else(Zval::null, Zval::shallow_clone),
        None => match event.object().map(|o| engine::call_method(o, "get_data", &[])) {
            Some(Ok(data)) => data
                .array()
                .and_then(|d| zv::named(d, "other"))
                .map_or_else(Zval::null, Zval::shallow_clone),
            _ => Zval::null(),
        },
    };
    // JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR
    let flags = zv::long(64 | 256 | 512);
    let json = engine::call_callable(&zv::string("json_encode"), &[&other, &flags]);
    let _ = engine::after_call();
    json.ok()
        .and_then(|j| j.string())
        .unwrap_or_else(|| "(not JSON-encodable)".into())
}

/// A PHPUnit assertion when PHPUnit is loaded (counted on success, its failure on
/// failure); else nothing on success and `moodle_events\assertion_failed` on failure.
fn report(outcome: Result<(), String>) -> PhpResult<()> {
    let phpunit = zv::loaded_class("PHPUnit\\Framework\\Assert");
    match (outcome, phpunit) {
        (Ok(()), None) => Ok(()),
        (Ok(()), Some(assert)) => {
            let mut yes = Zval::new();
            yes.set_bool(true);
            engine::settle(engine::call_static(assert, "assertTrue", &[&yes]))?.map(drop)
        }
        (Err(message), Some(assert)) => {
            engine::settle(engine::call_static(assert, "fail", &[&zv::string(&message)]))??;
            Err(super::exception::assertion_failed(message))
        }
        (Err(message), None) => Err(super::exception::assertion_failed(message)),
    }
}

/// Starts redirecting triggered events into a new sink (stopping any other); with `only`,
/// just those classes (the others dispatch as usual). Once the request is shutting down,
/// the sink is a closed one: nothing may outlive the request. Inside Moodle's PHPUnit it
/// is Moodle's own redirection (`phpunit_util`), as `advanced_testcase::redirectEvents()`
/// starts it: one sink, holding the bridge events, capturing every event; `only` then
/// filters what this sink shows.
pub fn redirect_events(only: Option<&[String]>) -> PhpResult<Sink> {
    if SHUTTING_DOWN.get() {
        return Ok(Sink {
            inner: Inner::Native(Rc::new(dispatch::Sink::closed())),
            only: None,
        });
    }
    if let Some(sink) = moodle::start_redirection()? {
        drop(with(Dispatcher::stop_redirecting));
        return Ok(Sink {
            inner: Inner::Moodle(sink),
            only: only.map(|o| o.iter().map(|n| expect::canonical(n)).collect()),
        });
    }
    let only = match only {
        Some(names) => Some(
            names
                .iter()
                .map(|n| super::resolve(n).map(|ev| ev.eventname.to_string()))
                .collect::<PhpResult<Vec<_>>>()?,
        ),
        None => None,
    };
    let (inner, stopped) = with(|d| d.redirect_only(only.clone()));
    drop(stopped);
    Ok(Sink {
        inner: Inner::Native(inner),
        only,
    })
}

/// Redirects (as [`redirect_events`]), runs `f`, and stops redirecting whatever `f` did
/// (a throw goes on afterwards); returns the sink.
pub fn capture(f: &Zval, only: Option<&[String]>) -> PhpResult<Sink> {
    let sink = redirect_events(only)?;
    let ran = engine::settle(engine::call_callable(f, &[]));
    let closed = sink.close();
    ran??;
    closed?;
    Ok(sink)
}

pub fn is_redirecting() -> PhpResult<bool> {
    Ok(with(|d| d.is_redirecting()) || moodle::is_redirecting()?)
}

/// Registers an observer for a catalogue event class name, or '*' for all.
pub fn observe(eventname: &str, callback: Zval, priority: i64) -> PhpResult<()> {
    let name = if eventname == "*" {
        "*".to_string()
    } else {
        super::resolve(eventname)?.eventname.to_string()
    };
    engine::check_callable_anywhere(&callback)?;
    // Once the request is shutting down, nothing is kept: it would outlive the request.
    if !SHUTTING_DOWN.get() {
        with(|d| d.observe(&name, callback, priority));
    }
    Ok(())
}

/// Drops every observer and sink, and anything queued (tests).
pub fn reset() -> PhpResult<()> {
    drop_outside(with(Dispatcher::reset));
    moodle::stop_redirection()
}

/// Called at request shutdown: nothing survives into the next request. Dropping what is
/// left may run PHP code that registers again, so this empties until nothing is left,
/// and from then on registrations are refused until the next request starts.
pub fn request_shutdown() {
    SHUTTING_DOWN.set(true);
    for _ in 0..16 {
        let left = STATE.try_with(|s| s.try_borrow_mut().map(|mut d| d.reset()));
        match left {
            Ok(Ok(left)) if left.events.is_empty() && left.callbacks.is_empty() && left.sink.is_none() => break,
            Ok(Ok(left)) => drop_outside(left),
            _ => break,
        }
    }
}

/// Called at request start-up.
pub fn request_startup() {
    SHUTTING_DOWN.set(false);
    engine::forget_bailout();
    // Anything still here belongs to a finished request: its values are gone with it, so
    // they are forgotten, never released.
    let _ = STATE.try_with(|s| {
        if let Ok(mut d) = s.try_borrow_mut() {
            if !d.is_empty() {
                std::mem::forget(d.reset());
            }
        }
    });
}

/// Drops PHP values after the dispatcher's borrow ended (a release may run PHP code).
fn drop_outside(left: dispatch::Leftovers<Zval, Zval>) {
    drop(left);
}

/// Triggers: into the active sink, else to the observers. As in Moodle, the event is
/// `triggered` before it goes anywhere and `dispatched` once it was handed over (at
/// once to a sink or a queue, after its observers ran otherwise).
///
/// Inside Moodle (no sink of ours capturing), the event is handed to its bridge class:
/// Moodle's create() builds the real Moodle event from its data (validated once, here)
/// and Moodle's trigger() takes it to Moodle's sink or observers (and the log stores).
pub fn trigger(event: &mut ZendClassObject<Event>) -> PhpResult<()> {
    if !event.rec.is_triggered() && !with(|d| d.captures(&event.rec.name.eventname)) {
        if let Some(bridged) = event.build_moodle_event()? {
            let mut handle = event.into_zval(false)?;
            set_state(&mut handle, |rec| rec.mark_triggered().map_err(throw))?;
            let triggered = moodle::trigger(&bridged);
            set_state(&mut handle, |rec| {
                rec.mark_dispatched();
                Ok(())
            })?;
            return triggered;
        }
    }
    let max = super::limits().max_sink_events;
    if !event.rec.is_triggered() && with(|d| d.sink_is_full(max, &event.rec.name.eventname)) {
        return Err(sink_full(&event.rec.name.eventname, max));
    }
    event.rec.mark_triggered().map_err(throw)?;
    let name = Rc::clone(&event.rec.name.eventname);
    let mut handle = event.into_zval(false)?;
    let outcome = with(|d| d.trigger(handle.shallow_clone(), &name));
    let delivered = if outcome == Outcome::Dispatch {
        deliver()
    } else {
        Ok(())
    };
    // Through the handle, not `event`: observers may have used the object meanwhile.
    if let Some(obj) = handle
        .object_mut()
        .and_then(ZendClassObject::<Event>::from_zend_obj_mut)
    {
        obj.rec.mark_dispatched();
    }
    delivered
}

/// SPL's `OverflowException` for a trigger into a full sink (the event stays untriggered).
fn sink_full(eventname: &str, max: usize) -> ext_php_rs::exception::PhpException {
    let msg = format!(
        "{eventname}: trigger: the sink already holds {max} events (moodle_events.max_sink_events); \
         clear() or close() it, or raise the setting"
    );
    match super::zv::loaded_class("OverflowException") {
        Some(ce) => ext_php_rs::exception::PhpException::new(msg, 0, ce),
        None => ext_php_rs::exception::PhpException::from_message(msg),
    }
}

/// Changes an event's trigger state through its handle (PHP code may have run since the
/// event was borrowed).
fn set_state(handle: &mut Zval, f: impl FnOnce(&mut crate::record::Record<Zval>) -> PhpResult<()>) -> PhpResult<()> {
    match handle
        .object_mut()
        .and_then(ZendClassObject::<Event>::from_zend_obj_mut)
    {
        Some(obj) => f(&mut obj.rec),
        None => Ok(()),
    }
}

/// Calls observers until everything queued is delivered. A failing observer becomes a
/// warning; an exception thrown by the warning's error handler is rethrown at the end.
/// On `exit()` the delivery is given up at once, and on a fatal error it is given up
/// before the engine goes on bailing out: dispatch never stays stuck.
fn deliver() -> PhpResult<()> {
    let mut rethrow: Option<ZBox<ZendObject>> = None;
    loop {
        let (next, finished) = with(|d| d.next_call());
        drop(finished);
        let Some((callback, event)) = next else { break };
        let failure = match engine::call(&callback, &event, describe_exception) {
            Called::Ok => continue,
            Called::Exit => return give_up(),
            Called::Bailout => {
                drop((callback, event, rethrow));
                return abandon_for_bailout();
            }
            Called::Failed(failure) => failure,
        };
        let eventname = event_of(&event).map(Event::eventname).unwrap_or_default().to_string();
        let message = format!("observer {} failed on {eventname}: {failure}", callable_name(&callback));
        let warned = engine::warn(&message);
        if engine::bailed() {
            drop((callback, event, rethrow, message, warned, eventname));
            return abandon_for_bailout();
        }
        if engine::exiting() {
            return give_up();
        }
        if let Some(ex) = ExecutorGlobals::take_exception() {
            rethrow.get_or_insert(ex);
        }
    }
    match rethrow {
        None => Ok(()),
        Some(ex) => {
            let msg = describe_exception(&ex);
            let zv = ex.into_zval(false)?;
            Err(PhpException::new(msg, 0, ce::exception()).with_object(zv))
        }
    }
}

/// Drops what is left to deliver and lets the pending exit unwind.
fn give_up() -> PhpResult<()> {
    drop_outside(with(Dispatcher::abandon));
    Ok(())
}

/// Drops what is left to deliver after a fatal error; the Err goes up to the method's
/// boundary, which lets the bailout go on.
fn abandon_for_bailout() -> PhpResult<()> {
    drop_outside(with(Dispatcher::abandon));
    Err("a fatal error ended the request".into())
}

/// `@file:line` where a closure was defined (ReflectionFunction; failure path only).
fn closure_origin(closure: &Zval) -> Option<String> {
    let ce = ext_php_rs::zend::ClassEntry::try_find("ReflectionFunction")?;
    let reflection = ce.new();
    reflection.try_call_method("__construct", vec![closure]).ok()?;
    let file = reflection.try_call_method("getFileName", vec![]).ok()?.string()?;
    let line = reflection.try_call_method("getStartLine", vec![]).ok()?.long()?;
    let _ = ExecutorGlobals::take_exception();
    Some(format!("@{file}:{line}"))
}

fn describe_exception(ex: &ZendObject) -> String {
    let class = ex.get_class_name().unwrap_or_default();
    let msg = ex
        .try_call_method("getMessage", vec![])
        .ok()
        .and_then(|m| m.string())
        .unwrap_or_default();
    let _ = ExecutorGlobals::take_exception();
    format!("{class}: {msg}")
}

/// A readable name: `function`, `Class::method`, or `{closure}@file:line`.
fn callable_name(cb: &Zval) -> String {
    if cb
        .object()
        .is_some_and(|o| o.get_class_name().is_ok_and(|n| n == "Closure"))
    {
        return format!("{{closure}}{}", closure_origin(cb).unwrap_or_default());
    }
    let mut name: *mut ext_php_rs::ffi::zend_string = std::ptr::null_mut();
    // SAFETY: zend_is_callable_ex only reads the callable and writes a new string to `name`,
    // which we own and release.
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
            return "?".into();
        }
        let zs: ZBox<ZendStr> = ZBox::from_raw(name.cast());
        String::from_utf8_lossy(zs.as_bytes()).into_owned()
    }
}
