//! `moodle_events\sink`: the captured events, and the assertions over them (the checks
//! and messages are the core's, `crate::expect`). Redirection itself is `trigger.rs`.

use super::engine::{self, NameArg};
use super::event::Event;
use super::moodle;
use super::trigger::with;
use super::zv;
use crate::dispatch;
use crate::expect::{self, Expect, Seen};
use ext_php_rs::boxed::ZBox;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::PhpResult;
use ext_php_rs::flags::ClassFlags;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendClassObject, ZendHashTable, Zval};
use ext_php_rs::zend::ce;
use std::rc::Rc;

/// Events captured while redirecting (Moodle's phpunit_event_sink).
#[php_class]
#[php(name = "moodle_events\\sink")]
#[php(flags = ClassFlags::Final)]
#[php(implements(ce = ce::countable, stub = "\\Countable"))]
#[php(implements(ce = ce::aggregate, stub = "\\IteratorAggregate"))]
pub struct Sink {
    pub(super) inner: Inner,
    /// The classes this sink shows (leading backslash), when redirect_events() or
    /// capture() named them: the extension's own sink captures only those; Moodle's
    /// captures every event, and this sink shows only those of it.
    pub(super) only: Option<Vec<String>>,
}

/// Outside Moodle the extension's own sink; inside Moodle's PHPUnit, Moodle's
/// `phpunit_event_sink`, whose events are the bridge classes' (real Moodle events).
pub(super) enum Inner {
    Native(Rc<dispatch::Sink<Zval>>),
    Moodle(Zval),
}

pub(super) fn event_of(zv: &Zval) -> Option<&Event> {
    zv.object()
        .and_then(ZendClassObject::<Event>::from_zend_obj)
        .map(|o| &**o)
}

fn same_name(event: &Zval, name: &str) -> bool {
    event_of(event).is_some_and(|e| e.eventname() == name)
}

/// Does this captured event's class have that name (leading backslash optional; PHP
/// class names ignore case)?
fn class_is(event: &Zval, name: &str) -> bool {
    match event_of(event) {
        Some(e) => expect::same_class(e.eventname(), name),
        None => event
            .object()
            .and_then(|o| o.get_class_name().ok())
            .is_some_and(|c| expect::same_class(&c, name)),
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
        super::engine::entry(|| self.triggered(&eventname.lossy(), r#where, times))
    }

    /// Asserts that no event of that class was triggered (with `$where`: none it accepts).
    #[php(optional = r#where)]
    pub fn assert_not_triggered(&self, eventname: NameArg<'_>, r#where: Option<super::Callback>) -> PhpResult<()> {
        super::engine::entry(|| self.not_triggered(&eventname.lossy(), r#where))
    }

    /// Asserts that no event was captured.
    pub fn assert_nothing_triggered(&self) -> PhpResult<()> {
        super::engine::entry(|| self.assert(&Expect::Nothing, None, None))
    }

    /// Asserts that events of these classes were triggered in this relative order (other
    /// events may come between them).
    pub fn assert_order(&self, eventnames: &[String]) -> PhpResult<()> {
        super::engine::entry(|| {
            let names: Vec<&str> = eventnames.iter().map(String::as_str).collect();
            self.assert(&Expect::Order(&names), None, None)
        })
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
    fn triggered(&self, eventname: &str, condition: Option<super::Callback>, times: Option<i64>) -> PhpResult<()> {
        let class = expect::canonical(eventname);
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

    fn not_triggered(&self, eventname: &str, condition: Option<super::Callback>) -> PhpResult<()> {
        let class = expect::canonical(eventname);
        let expectation = Expect::NotTriggered {
            class: &class,
            condition: condition.is_some(),
        };
        self.assert(&expectation, Some(&class), condition.as_ref())
    }

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
        super::exception::of_class("TypeError", msg)
    })
}

/// An event's `other` as JSON (for failure messages), read as Moodle code would; only of
/// catalogue events (validated: no secret can be in them), not of other plugins' events
/// that Moodle's sink holds too.
fn other_json(event: &Zval) -> String {
    let other = match event_of(event) {
        Some(e) => e.rec.other.as_ref().map_or_else(Zval::null, Zval::shallow_clone),
        None if crate::catalogue::resolve(&class_name(event)).is_err() => {
            return "(not shown: not a catalogue event)".into();
        }
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
