//! Trigger, sink and observer semantics, generic over the event handle `E` and the
//! callback handle `C` (both zvals in PHP). The binding calls observers itself, one at a
//! time, through [`Dispatcher::next_call`], so that an observer may trigger events,
//! redirect, close a sink or reset without the dispatcher being borrowed meanwhile.
//!
//! Values that leave the dispatcher are returned to the caller rather than dropped
//! inside it: dropping a PHP value can run PHP code, which may call back in here.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use crate::catalogue::with_backslash;

/// A handle that can be shared cheaply (a refcount increment for a zval).
pub trait Share {
    fn share(&self) -> Self;
}

impl Share for &'static str {
    fn share(&self) -> Self {
        self
    }
}

/// Events captured while redirecting. One sink is active at a time.
#[derive(Debug)]
pub struct Sink<E> {
    events: RefCell<Vec<E>>,
    open: Cell<bool>,
    /// The event names it captures (leading backslash); None: every event.
    only: Option<Vec<String>>,
}

impl<E> Sink<E> {
    fn new(only: Option<Vec<String>>) -> Self {
        Sink {
            events: RefCell::new(Vec::new()),
            open: Cell::new(true),
            only,
        }
    }

    /// A sink that never receives anything.
    pub fn closed() -> Self {
        Sink {
            events: RefCell::new(Vec::new()),
            open: Cell::new(false),
            only: None,
        }
    }

    /// Does this sink capture events of that name (with leading backslash)?
    pub fn captures(&self, eventname: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|n| n == eventname))
    }
}

impl<E: Share> Sink<E> {
    /// The captured events, in trigger order.
    pub fn events(&self) -> Vec<E> {
        self.events.borrow().iter().map(Share::share).collect()
    }

    pub fn len(&self) -> usize {
        self.events.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<E> {
        self.events.borrow().get(i).map(Share::share)
    }

    /// Position of the first event that `pred` accepts.
    pub fn position(&self, pred: impl FnMut(&E) -> bool) -> Option<usize> {
        self.events.borrow().iter().position(pred)
    }

    /// Forgets the captured events (redirection goes on); returns them for dropping.
    #[must_use]
    pub fn clear(&self) -> Vec<E> {
        std::mem::take(&mut *self.events.borrow_mut())
    }

    /// Is this the sink events go to now?
    pub fn is_open(&self) -> bool {
        self.open.get()
    }
}

#[derive(Debug)]
struct Observer<C> {
    eventname: String,
    callback: C,
    priority: i64,
}

/// What `trigger` did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Went to the active sink; no observer runs.
    Captured,
    /// Queued behind the event being dispatched now (triggered inside an observer).
    Queued,
    /// Queued, and the caller must now drain [`Dispatcher::next_call`].
    Dispatch,
}

/// Values removed from the dispatcher, for the caller to drop.
pub struct Leftovers<E, C> {
    pub events: Vec<E>,
    pub callbacks: Vec<C>,
    /// The sink that stopped being active (its events go when its last handle goes).
    pub sink: Option<Rc<Sink<E>>>,
}

/// Per-request trigger state.
#[derive(Debug)]
pub struct Dispatcher<E, C> {
    /// Sorted: higher priority first, then registration order.
    observers: Vec<Observer<C>>,
    active: Option<Rc<Sink<E>>>,
    queue: VecDeque<(E, String)>,
    current: Option<(E, VecDeque<C>)>,
    dispatching: bool,
}

impl<E, C> Default for Dispatcher<E, C> {
    fn default() -> Self {
        Dispatcher {
            observers: Vec::new(),
            active: None,
            queue: VecDeque::new(),
            current: None,
            dispatching: false,
        }
    }
}

impl<E: Share, C: Share> Dispatcher<E, C> {
    /// Registers an observer for an event class name (leading backslash optional) or `*`.
    pub fn observe(&mut self, eventname: &str, callback: C, priority: i64) {
        let eventname = if eventname == "*" {
            eventname.to_string()
        } else {
            with_backslash(eventname).into_owned()
        };
        let at = self
            .observers
            .iter()
            .position(|o| o.priority < priority)
            .unwrap_or(self.observers.len());
        self.observers.insert(
            at,
            Observer {
                eventname,
                callback,
                priority,
            },
        );
    }

    pub fn observer_count(&self) -> usize {
        self.observers.len()
    }

    /// Starts redirection into a new sink; the previous sink stops receiving and is
    /// returned (second) for the caller to drop.
    pub fn redirect(&mut self) -> (Rc<Sink<E>>, Option<Rc<Sink<E>>>) {
        self.redirect_only(None)
    }

    /// Like [`Dispatcher::redirect`], capturing only the events named in `only` (with
    /// leading backslash); every other event is dispatched as usual.
    pub fn redirect_only(&mut self, only: Option<Vec<String>>) -> (Rc<Sink<E>>, Option<Rc<Sink<E>>>) {
        let old = self.stop();
        let sink = Rc::new(Sink::new(only));
        self.active = Some(Rc::clone(&sink));
        (sink, old)
    }

    /// Stops redirection (a Moodle sink takes over); returns the sink that was active.
    #[must_use]
    pub fn stop_redirecting(&mut self) -> Option<Rc<Sink<E>>> {
        self.stop()
    }

    fn stop(&mut self) -> Option<Rc<Sink<E>>> {
        let old = self.active.take();
        if let Some(old) = &old {
            old.open.set(false);
        }
        old
    }

    pub fn is_redirecting(&self) -> bool {
        self.active.is_some()
    }

    /// `close()` on any sink stops redirection (Moodle's semantics); its events stay
    /// readable. Returns the sink that was active, for the caller to drop.
    #[must_use]
    pub fn close(&mut self, sink: &Sink<E>) -> Option<Rc<Sink<E>>> {
        sink.open.set(false);
        self.stop()
    }

    /// Does the active sink already hold `max` events (so that a trigger now must be
    /// refused)?
    pub fn sink_is_full(&self, max: usize, eventname: &str) -> bool {
        self.active
            .as_ref()
            .is_some_and(|s| s.captures(eventname) && s.len() >= max)
    }

    /// Would `trigger` capture an event of that name now?
    pub fn captures(&self, eventname: &str) -> bool {
        self.active.as_ref().is_some_and(|s| s.captures(eventname))
    }

    /// Triggers `event` named `eventname` (with leading backslash).
    pub fn trigger(&mut self, event: E, eventname: &str) -> Outcome {
        if let Some(sink) = self.active.as_ref().filter(|s| s.captures(eventname)) {
            sink.events.borrow_mut().push(event);
            return Outcome::Captured;
        }
        self.queue.push_back((event, eventname.to_string()));
        if self.dispatching {
            Outcome::Queued
        } else {
            self.dispatching = true;
            Outcome::Dispatch
        }
    }

    fn matching(&self, eventname: &str) -> VecDeque<C> {
        self.observers
            .iter()
            .filter(|o| o.eventname == "*" || o.eventname == eventname)
            .map(|o| o.callback.share())
            .collect()
    }

    /// The next observer call to make: the current event's observers by priority, then
    /// the queued events in trigger order. None when all is delivered. Also returns the
    /// events whose delivery just finished, for the caller to drop.
    pub fn next_call(&mut self) -> (Option<(C, E)>, Vec<E>) {
        let mut finished = Vec::new();
        loop {
            if let Some((event, callbacks)) = &mut self.current {
                if let Some(cb) = callbacks.pop_front() {
                    return (Some((cb, event.share())), finished);
                }
                finished.extend(self.current.take().map(|(e, _)| e));
                continue;
            }
            match self.queue.pop_front() {
                Some((event, name)) => {
                    let callbacks = self.matching(&name);
                    self.current = Some((event, callbacks));
                }
                None => {
                    self.dispatching = false;
                    return (None, finished);
                }
            }
        }
    }

    /// Gives up the delivery under way (the script is exiting, or an observer hit a fatal
    /// error): pending deliveries are dropped, observers and the sink stay, and the next
    /// trigger dispatches again.
    #[must_use]
    pub fn abandon(&mut self) -> Leftovers<E, C> {
        let mut left = Leftovers {
            events: Vec::new(),
            callbacks: Vec::new(),
            sink: None,
        };
        left.events.extend(self.queue.drain(..).map(|(e, _)| e));
        if let Some((e, cbs)) = self.current.take() {
            left.events.push(e);
            left.callbacks.extend(cbs);
        }
        self.dispatching = false;
        left
    }

    pub fn is_empty(&self) -> bool {
        self.observers.is_empty() && self.active.is_none() && self.queue.is_empty() && self.current.is_none()
    }

    /// Drops observers, sinks and queued deliveries (tests; request shutdown).
    #[must_use]
    pub fn reset(&mut self) -> Leftovers<E, C> {
        let mut left = self.abandon();
        left.sink = self.stop();
        left.callbacks.extend(self.observers.drain(..).map(|o| o.callback));
        left
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type D = Dispatcher<&'static str, &'static str>;

    /// Drains like the binding does; `act` plays the observer (may trigger more events).
    fn drain(d: &RefCell<D>, mut act: impl FnMut(&RefCell<D>, &str, &str)) -> Vec<String> {
        let mut calls = Vec::new();
        loop {
            let (next, _) = d.borrow_mut().next_call();
            let Some((cb, ev)) = next else { break };
            calls.push(format!("{cb}:{ev}"));
            act(d, cb, ev);
        }
        calls
    }

    #[test]
    fn observers_run_by_priority_and_wildcard() {
        let d = RefCell::new(D::default());
        d.borrow_mut().observe("\\a_b\\event\\x_created", "low", 0);
        d.borrow_mut().observe("*", "all", 5);
        d.borrow_mut().observe("a_b\\event\\x_created", "high", 10);
        d.borrow_mut().observe("\\a_b\\event\\x_created", "low2", 0);
        d.borrow_mut().observe("\\a_b\\event\\y_created", "other", 99);
        assert_eq!(
            d.borrow_mut().trigger("e1", "\\a_b\\event\\x_created"),
            Outcome::Dispatch
        );
        assert_eq!(drain(&d, |_, _, _| {}), ["high:e1", "all:e1", "low:e1", "low2:e1"]);
    }

    #[test]
    fn events_triggered_in_observers_run_after_the_current_ones_observers() {
        let d = RefCell::new(D::default());
        d.borrow_mut().observe("*", "first", 1);
        d.borrow_mut().observe("*", "second", 0);
        assert_eq!(
            d.borrow_mut().trigger("outer", "\\a_b\\event\\x_created"),
            Outcome::Dispatch
        );
        let calls = drain(&d, |d, cb, ev| {
            if cb == "first" && ev == "outer" {
                assert_eq!(
                    d.borrow_mut().trigger("inner", "\\a_b\\event\\y_created"),
                    Outcome::Queued
                );
            }
        });
        assert_eq!(calls, ["first:outer", "second:outer", "first:inner", "second:inner"]);
        // After draining, the next trigger dispatches again.
        assert_eq!(
            d.borrow_mut().trigger("later", "\\a_b\\event\\x_created"),
            Outcome::Dispatch
        );
    }

    #[test]
    fn one_sink_at_a_time_and_close_stops_redirection() {
        let mut d = D::default();
        d.observe("*", "obs", 0);
        let (s1, none) = d.redirect();
        assert!(none.is_none());
        assert_eq!(d.trigger("a", "\\x_y\\event\\a_b"), Outcome::Captured);
        let (s2, old) = d.redirect();
        assert!(
            Rc::ptr_eq(&old.unwrap(), &s1),
            "the replaced sink comes back for dropping"
        );
        assert!(!s1.is_open() && s2.is_open());
        assert_eq!(d.trigger("b", "\\x_y\\event\\a_b"), Outcome::Captured);
        assert_eq!((s1.events(), s2.events()), (vec!["a"], vec!["b"]));
        assert_eq!(s2.position(|e| *e == "b"), Some(0));
        let _ = s2.clear();
        assert!(s2.is_empty() && d.is_redirecting());
        // close() on the old sink stops redirection too.
        let active = d.close(&s1);
        assert!(Rc::ptr_eq(&active.unwrap(), &s2));
        assert!(!d.is_redirecting() && !s2.is_open());
        assert_eq!(d.trigger("c", "\\x_y\\event\\a_b"), Outcome::Dispatch);
        assert_eq!(s1.events(), vec!["a"]);
    }

    #[test]
    fn reset_inside_an_observer_ends_the_delivery() {
        let d = RefCell::new(D::default());
        d.borrow_mut().observe("*", "resetter", 1);
        d.borrow_mut().observe("*", "never", 0);
        d.borrow_mut().trigger("e", "\\x_y\\event\\a_b");
        d.borrow_mut().trigger("queued", "\\x_y\\event\\a_b");
        let calls = drain(&d, |d, cb, _| {
            if cb == "resetter" {
                let left = d.borrow_mut().reset();
                assert_eq!(
                    left.callbacks,
                    ["never", "resetter", "never"],
                    "pending calls, then every observer"
                );
            }
        });
        assert_eq!(calls, ["resetter:e"]);
        assert_eq!(d.borrow().observer_count(), 0);
        assert_eq!(d.borrow_mut().trigger("x", "\\x_y\\event\\a_b"), Outcome::Dispatch);
    }

    #[test]
    fn finished_events_all_come_back_and_abandon_unsticks_dispatch() {
        let mut d = D::default();
        d.observe("\\x_y\\event\\a_b", "obs", 0);
        assert_eq!(d.trigger("a", "\\x_y\\event\\a_b"), Outcome::Dispatch);
        d.queue.push_back(("unobserved", "\\x_y\\event\\c_d".into()));
        d.queue.push_back(("also", "\\x_y\\event\\c_d".into()));
        let (call, done) = d.next_call();
        assert_eq!((call, done), (Some(("obs", "a")), vec![]));
        let (call, done) = d.next_call();
        assert_eq!(
            (call, done),
            (None, vec!["a", "unobserved", "also"]),
            "none is dropped inside"
        );
        // A delivery broken off (exit, fatal error) leaves dispatching stuck until abandoned.
        assert_eq!(d.trigger("b", "\\x_y\\event\\a_b"), Outcome::Dispatch);
        let _ = d.next_call();
        assert_eq!(d.trigger("c", "\\x_y\\event\\a_b"), Outcome::Queued);
        let left = d.abandon();
        assert_eq!((left.events, left.callbacks), (vec!["c", "b"], vec![]));
        assert_eq!(d.observer_count(), 1);
        assert_eq!(d.trigger("d", "\\x_y\\event\\a_b"), Outcome::Dispatch);
        assert!(!d.is_empty());
        let _ = d.reset();
        assert!(d.is_empty());
    }

    #[test]
    fn a_dispatcher_is_empty_only_with_nothing_in_it() {
        let empty = || -> Dispatcher<&'static str, &'static str> { Dispatcher::default() };
        assert!(empty().is_empty());
        let mut observed = empty();
        observed.observe("\\a", "obs", 0);
        assert!(!observed.is_empty(), "an observer");
        let mut redirected = empty();
        let _sink = redirected.redirect();
        assert!(!redirected.is_empty(), "an active sink");
        let mut queued = empty();
        assert_eq!(queued.trigger("e", "\\a"), Outcome::Dispatch);
        assert!(!queued.is_empty(), "an event being delivered");
    }

    #[test]
    fn a_sink_reads_back_what_it_captured() {
        let mut d: Dispatcher<&'static str, &'static str> = Dispatcher::default();
        let (sink, _) = d.redirect();
        assert!(sink.is_empty() && sink.get(0).is_none() && sink.position(|_| true).is_none());
        assert_eq!(d.trigger("e1", "\\a"), Outcome::Captured);
        assert_eq!(d.trigger("e2", "\\b"), Outcome::Captured);
        assert!(!sink.is_empty());
        assert_eq!((sink.get(0), sink.get(1), sink.get(2)), (Some("e1"), Some("e2"), None));
        assert_eq!(sink.position(|e| *e == "e2"), Some(1));
        assert_eq!(sink.position(|e| *e == "e3"), None);
    }

    #[test]
    fn moodle_taking_over_stops_the_extensions_sink() {
        let mut d: Dispatcher<&'static str, &'static str> = Dispatcher::default();
        let (sink, _) = d.redirect();
        let stopped = d.stop_redirecting().expect("the active sink is handed back");
        assert!(Rc::ptr_eq(&stopped, &sink) && !sink.is_open() && !d.is_redirecting());
        assert!(d.stop_redirecting().is_none(), "nothing is active any more");
        assert_eq!(d.trigger("e", "\\a"), Outcome::Dispatch, "no longer captured");
        assert!(sink.is_empty());
    }

    #[test]
    fn a_sink_for_some_events_lets_the_others_dispatch() {
        let mut d: Dispatcher<&'static str, &'static str> = Dispatcher::default();
        d.observe("\\b", "obs", 0);
        let (sink, _) = d.redirect_only(Some(vec!["\\a".into()]));
        assert!(d.captures("\\a") && !d.captures("\\b"));
        assert_eq!(d.trigger("e1", "\\a"), Outcome::Captured);
        assert_eq!(d.trigger("e2", "\\b"), Outcome::Dispatch);
        assert_eq!(d.next_call().0, Some(("obs", "e2")));
        assert_eq!(sink.events(), vec!["e1"]);
        assert!(!d.sink_is_full(1, "\\b") && d.sink_is_full(1, "\\a"));
    }

    #[test]
    fn redirect_inside_an_observer_captures_later_triggers() {
        let d = RefCell::new(D::default());
        d.borrow_mut().observe("*", "obs", 0);
        d.borrow_mut().trigger("e", "\\x_y\\event\\a_b");
        let mut sink = None;
        let calls = drain(&d, |d, _, ev| {
            if ev == "e" {
                let (s, _) = d.borrow_mut().redirect();
                assert_eq!(d.borrow_mut().trigger("inner", "\\x_y\\event\\a_b"), Outcome::Captured);
                sink = Some(s);
            }
        });
        assert_eq!(calls, ["obs:e"]);
        assert_eq!(sink.unwrap().events(), ["inner"]);
    }
}
