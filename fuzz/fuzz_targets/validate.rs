//! Coverage-guided fuzzing of the core validator: `make fuzz` (see the README). The body,
//! its invariants and the seed inputs are in `moodle_events::fuzzing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| moodle_events::fuzzing::one(data));
