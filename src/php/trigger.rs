//! The trigger path and the request's dispatch state: redirection (which sink is
//! active), observers, delivery one call at a time with failures reported as warnings,
//! and the request life cycle. Forwards to the core dispatcher (`crate::dispatch`).

use super::engine::{self, Called};
use super::event::Event;
use super::exception::throw;
use super::moodle;
use super::sink::{event_of, Inner, Sink};
use crate::dispatch::{self, Dispatcher, Outcome, Share};
use crate::expect;
use ext_php_rs::boxed::ZBox;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::{PhpException, PhpResult};
use ext_php_rs::types::{ZendClassObject, ZendObject, Zval};
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

pub(super) fn with<R>(f: impl FnOnce(&mut Dispatcher<Zval, Zval>) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut()))
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
    if engine::bailed() {
        // A fatal error: no more PHP code runs (closing Moodle's sink would); the caller's
        // boundary goes on bailing out.
        return Err(ran.err().unwrap_or_else(|| "a fatal error ended the request".into()));
    }
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
    let to_moodle =
        !event.rec.is_triggered() && !with(|d| d.captures(&event.rec.name.eventname)) && moodle::inside_moodle();
    let handover = if to_moodle { Some(event.handover()?) } else { None };
    // From here on PHP code may run (autoloading, Moodle's create(), observers), which may
    // use this event too: it is reached through its handle only.
    let mut handle = event.into_zval(false)?;
    if let Some(handover) = handover {
        if let Some(bridged) = moodle::hand_over(&handover)? {
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
    let name = {
        let event = event_in(&mut handle)?;
        if !event.rec.is_triggered() && with(|d| d.sink_is_full(max, &event.rec.name.eventname)) {
            return Err(sink_full(&event.rec.name.eventname, max));
        }
        event.rec.mark_triggered().map_err(throw)?;
        Rc::clone(&event.rec.name.eventname)
    };
    let outcome = with(|d| d.trigger(handle.shallow_clone(), &name));
    let delivered = if outcome == Outcome::Dispatch {
        deliver()
    } else {
        Ok(())
    };
    // Observers may have used the object meanwhile: borrowed again through the handle.
    event_in(&mut handle)?.rec.mark_dispatched();
    delivered
}

/// The event a handle holds, borrowed for the moment.
fn event_in(handle: &mut Zval) -> PhpResult<&mut ZendClassObject<Event>> {
    handle
        .object_mut()
        .and_then(ZendClassObject::<Event>::from_zend_obj_mut)
        .ok_or_else(|| "the event is gone".into())
}

/// SPL's `OverflowException` for a trigger into a full sink (the event stays untriggered).
fn sink_full(eventname: &str, max: usize) -> ext_php_rs::exception::PhpException {
    let msg = format!(
        "{eventname}: trigger: the sink already holds {max} events (moodle_events.max_sink_events); \
         clear() or close() it, or raise the setting"
    );
    super::exception::of_class("OverflowException", msg)
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
    super::engine::callable_name(cb).unwrap_or_else(|| "?".into())
}
