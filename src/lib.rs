//! moodle_events: validated, Rust-backed Moodle events for the archiving system.
//!
//! The core modules (catalogue, validation, record, dispatch) are plain Rust with no PHP
//! types; [`php`] (feature `php`, on by default) is the ext-php-rs binding that converts
//! between PHP and the core. `cargo test --no-default-features` tests the core alone.

// No panic reachable from PHP input: outside tests, the library neither unwraps nor
// panics (the generator's and the fuzz harness's checks are allowed where they are).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
// No unsafe code but behind the binding's FFI fence (src/php/mod.rs names the modules
// that opt in); there, every unsafe operation in its own block, each with the reason it
// is sound.
#![deny(unsafe_code, unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

/// The breaking-change check between two catalogues: for tests and the generator only.
#[cfg(any(test, feature = "gen"))]
pub mod bccheck;
/// The Moodle bridge generator and its installer: for tests and the generator only, never
/// the extension.
#[cfg(any(test, feature = "gen"))]
pub mod bridge;
pub mod catalogue;
pub mod dispatch;
/// The README's generated table: for tests and the generator only.
#[cfg(any(test, feature = "gen"))]
pub mod docs;
pub mod error;
pub mod expect;
pub mod factory;
/// The fuzz body and seeds: for tests, the generator and the fuzz target, never the
/// extension.
#[cfg(any(test, feature = "gen", feature = "fuzzing"))]
pub mod fuzzing;
#[cfg(any(test, feature = "gen"))]
pub mod install;
pub mod kinds;
/// The typed model of catalogue/events.json (build.rs reads it too).
#[cfg(any(test, feature = "gen"))]
pub mod model;
pub mod record;
pub mod schema;
pub mod validate;
pub mod value;

#[cfg(feature = "php")]
pub mod php;

pub use catalogue::{resolve, EventDef, EventName};
pub use error::{Rule, ValidationError};
