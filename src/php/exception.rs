//! `moodle_events\validation_exception extends \InvalidArgumentException` and
//! `moodle_events\assertion_failed extends \AssertionError`, registered with ClassBuilder
//! so they keep PHP's file, line and trace.

use crate::error::ValidationError;
use ext_php_rs::boxed::ZBox;
use ext_php_rs::builders::{ClassBuilder, ClassProperty};
use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::PhpException;
use ext_php_rs::flags::PropertyFlags;
use ext_php_rs::types::{ZendObject, Zval};
use ext_php_rs::zend::ClassEntry;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

pub const CLASS: &str = "moodle_events\\validation_exception";

static CE: AtomicPtr<ClassEntry> = AtomicPtr::new(ptr::null_mut());

pub const ASSERTION_CLASS: &str = "moodle_events\\assertion_failed";

static ASSERTION_CE: AtomicPtr<ClassEntry> = AtomicPtr::new(ptr::null_mut());

#[allow(
    clippy::expect_used,
    reason = "AssertionError is part of every PHP 8 build; read once at start-up"
)]
fn assertion_error() -> &'static ClassEntry {
    super::zv::loaded_class("AssertionError").expect("PHP's AssertionError")
}

#[allow(
    clippy::expect_used,
    reason = "SPL is part of every PHP build; read once at start-up"
)]
fn invalid_argument_exception() -> &'static ClassEntry {
    super::zv::loaded_class("InvalidArgumentException").expect("SPL's InvalidArgumentException")
}

fn public_string_prop(name: &str) -> ClassProperty {
    ClassProperty {
        name: name.into(),
        flags: PropertyFlags::Public,
        default: Some(Box::new(|| Ok(super::zv::string("")))),
        docs: &[],
        ty: None,
        nullable: false,
        readonly: false,
        default_stub: Some("''".into()),
    }
}

/// Registers the class; called once at module start-up.
pub fn register() -> ext_php_rs::error::Result<()> {
    ClassBuilder::new(CLASS)
        .extends((invalid_argument_exception, "\\InvalidArgumentException"))
        .property(public_string_prop("eventname"))
        .property(public_string_prop("field"))
        .registration(|ce, _| CE.store(ce, Ordering::Release))
        .register()?;
    ClassBuilder::new(ASSERTION_CLASS)
        .extends((assertion_error, "\\AssertionError"))
        .registration(|ce, _| ASSERTION_CE.store(ce, Ordering::Release))
        .register()
}

/// An exception of one of PHP's own classes (`TypeError`, `LogicException`, …), or a plain
/// `\Exception` should that class be missing.
pub fn of_class(class: &str, message: String) -> PhpException {
    match super::zv::loaded_class(class) {
        Some(ce) => PhpException::new(message, 0, ce),
        None => PhpException::from_message(message),
    }
}

/// A failed sink assertion outside PHPUnit.
pub fn assertion_failed(message: String) -> PhpException {
    match super::zv::registered(&ASSERTION_CE) {
        Some(ce) => PhpException::new(message, 0, ce),
        None => PhpException::new(message, 0, assertion_error()),
    }
}

/// `?` on a core result inside a PHP-facing function.
impl From<ValidationError> for PhpException {
    fn from(e: ValidationError) -> Self {
        throw(e)
    }
}

/// The PHP exception for a validation error, with `$eventname` and `$field` set.
pub fn throw(e: ValidationError) -> PhpException {
    let msg = e.to_string();
    let Some(ce) = super::zv::registered(&CE) else {
        return PhpException::from_message(msg);
    };
    let mut obj: ZBox<ZendObject> = ce.new();
    let _ = obj.try_call_method("__construct", vec![&msg.as_str()]);
    let _ = obj.set_property("eventname", e.eventname.as_str());
    let _ = obj.set_property("field", e.field.as_str());
    let mut zv = Zval::new();
    let _ = obj.set_zval(&mut zv, false);
    PhpException::new(msg, 0, ce).with_object(zv)
}
