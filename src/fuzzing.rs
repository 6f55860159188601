//! The fuzz body for the core validator, shared by the coverage-guided `cargo fuzz`
//! target (`fuzz/fuzz_targets/validate.rs`) and the bounded run in `cargo test`
//! (`bounded_run` below, what CI runs). Plain Rust, no PHP.
//!
//! An input is two control bytes (which event, which limits) and JSON `create()` data.
//! Every input must end in `Ok` or a [`ValidationError`]; a panic is a finding. Each input
//! is also checked once more with a secret planted in `other`: it must be refused, and no
//! error message may ever contain the secret's value.

use crate::catalogue::{definitions, resolve, Format, KeySpec, Type};
use crate::error::ValidationError;
use crate::validate::{check_header, check_snapshot_value, context_arg, split_create_data, validate_other};
use crate::validate::{ContextArg, ContextInfo, Limits};
use serde_json::{json, Map, Value};

/// The value planted under a secret-looking key.
pub const PLANTED: &str = "PLANTED-SECRET-4b1d9e";

/// Every event class of the catalogue (each family's known components), and a few names
/// that are not events.
pub fn event_names() -> Vec<String> {
    let mut names: Vec<String> = definitions()
        .iter()
        .flat_map(|d| {
            d.family
                .known_components()
                .into_iter()
                .map(move |c| format!("\\{c}\\event\\{}", d.name))
        })
        .collect();
    names.extend(
        [
            "\\archivingmod_x__y\\event\\task_created",
            "\\core\\event\\course_viewed",
            "local_archiving\\event\\archive_job_created",
            "",
        ]
        .map(String::from),
    );
    names
}

/// Runs one input; panics when an invariant breaks.
pub fn one(data: &[u8]) {
    let [pick, lim, rest @ ..] = data else { return };
    if let Ok(s) = std::str::from_utf8(rest) {
        // Any text as an event name: refused with at most 255 characters of it shown.
        if let Err(e) = resolve(s) {
            assert!(e.to_string().len() <= 4096, "{} bytes", e.to_string().len());
        }
    }
    let Ok(input) = serde_json::from_slice::<Value>(rest) else {
        return;
    };
    let names = event_names();
    let name = &names[usize::from(*pick) % names.len()];
    let limits = Limits {
        max_depth: 1 + usize::from(lim % 48),
        max_other_bytes: 256 << (lim >> 5),
        ..Limits::default()
    };
    let _ = run(name, &input, limits);
}

/// Validates `input` as `create()` data of `name`, then again with a secret planted.
pub fn run(name: &str, input: &Value, limits: Limits) -> Result<(), ValidationError> {
    let outcome = check(name, input, limits);
    clean(outcome.as_ref().err(), input.to_string().as_bytes());
    let mut planted = input.clone();
    if let Some(data) = planted.as_object_mut() {
        let other = data.entry("other").or_insert_with(|| json!({}));
        match other.as_object_mut() {
            Some(o) => {
                o.insert("client_secret".into(), json!(PLANTED));
            }
            None => *other = json!({ "wsToken": PLANTED }),
        }
        let refused = check(name, &planted, limits);
        assert!(refused.is_err(), "{name}: a planted secret was accepted: {planted}");
        clean(refused.as_ref().err(), planted.to_string().as_bytes());
    }
    outcome
}

fn check(name: &str, input: &Value, limits: Limits) -> Result<(), ValidationError> {
    let ev = resolve(name)?;
    let data = split_create_data(&ev, input)?;
    let context = match context_arg(&ev, &data)? {
        ContextArg::Id(id) => Some(ContextInfo {
            id,
            ..ContextInfo::default()
        }),
        ContextArg::Object(_) => Some(ContextInfo {
            id: 34,
            level: Some(70),
            instanceid: Some(9),
            courseid: Some(2),
        }),
        ContextArg::Missing => None,
    };
    let header = check_header(&ev, &data, context, 2)?;
    validate_other(&ev, data.other, header.objectid, limits)?;
    // The same data as a record snapshot column.
    check_snapshot_value(&ev, b"data", input, limits)
}

/// An error message names the event, the field and the rule: never the planted secret,
/// and never more than a bounded amount of the input.
fn clean(e: Option<&ValidationError>, input: &[u8]) {
    let Some(e) = e else { return };
    let msg = e.to_string();
    assert!(!msg.contains(PLANTED), "the secret was echoed: {msg}");
    // Field paths show at most 64 characters a key, and nest at most max_depth (≤ 48
    // here) levels; the rest is the catalogue's own text.
    assert!(
        msg.len() <= 8192 + 66 * 50,
        "a {}-byte message for a {}-byte input",
        msg.len(),
        input.len()
    );
}

/// A valid `other` value for a schema: every key, documented nested fields included.
pub fn sample_other(schema: &[KeySpec], objectid: i64) -> Value {
    let mut o = Map::new();
    for k in schema {
        let v = if k.same_as_objectid {
            json!(objectid)
        } else {
            sample(&k.ty)
        };
        o.insert(k.key.to_string(), v);
    }
    Value::Object(o)
}

/// A valid value of a type (the first of a value set, the least allowed int, a known column…).
pub fn sample(ty: &Type) -> Value {
    match ty {
        Type::Int { min, values, .. } => match values {
            Some(set) => json!(set.entries[0].1),
            None => json!(min.unwrap_or(0).max(1)),
        },
        Type::Str { format, table, .. } => match (format, table) {
            (_, Some(t)) => json!(t.columns[0]),
            (Some(Format::EventName), _) => json!("\\local_archiving\\event\\archive_job_created"),
            (Some(Format::PluginName), _) => json!("quiz"),
            (Some(Format::Sha256), _) => json!("a".repeat(64)),
            (Some(Format::Identifier), _) | (None, _) => json!("abc"),
        },
        Type::Bool => json!(true),
        Type::Float => json!(1.5),
        Type::List { items } => json!([sample(items)]),
        Type::Array { fields } => sample_other(fields, 1),
    }
}

/// Valid `create()` data for every event of [`event_names`] that resolves.
pub fn seeds() -> Vec<(String, Value)> {
    event_names()
        .into_iter()
        .filter_map(|name| {
            let ev = resolve(&name).ok()?;
            let mut data = json!({"contextid": 34, "relateduserid": 5, "other": sample_other(ev.def.other, 7)});
            if ev.def.objecttable().is_some() {
                data["objectid"] = json!(7);
            }
            Some((name, data))
        })
        .collect()
}

/// A small deterministic generator (xorshift), for the bounded run without libFuzzer.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Values that break rules: wrong types, edges, invalid text, deep nesting.
fn hostile(rng: &mut Rng) -> Value {
    let deep = |n: usize| (0..n).fold(json!(1), |v, _| json!([v]));
    match rng.below(16) {
        0 => json!(null),
        1 => json!(i64::MAX),
        2 => json!(i64::MIN),
        3 => json!(u64::MAX),
        4 => json!(1e308),
        5 => json!(-0.0),
        6 => json!(""),
        7 => json!("012"),
        8 => json!("x".repeat(rng.below(100_000))),
        9 => json!("\u{0}\u{202e}\u{fffd}"),
        10 => deep(rng.below(600)),
        11 => json!({"password": PLANTED, "0": [], "": {}}),
        12 => json!([1, "a", null, true, 1.5]),
        13 => json!({"1": 1, "0": 0}),
        14 => json!(rng.next_u64() as i64),
        _ => json!(true),
    }
}

/// Replaces one value somewhere in `v` (or a key's value, or adds a key) with a hostile one.
pub fn mutate(v: &mut Value, rng: &mut Rng) {
    match v {
        Value::Object(o) if !o.is_empty() && rng.below(4) > 0 => {
            let keys: Vec<String> = o.keys().cloned().collect();
            let k = &keys[rng.below(keys.len())];
            if rng.below(3) == 0 {
                o.insert(k.clone(), hostile(rng));
            } else if let Some(child) = o.get_mut(k) {
                mutate(child, rng);
            }
        }
        Value::Object(o) => {
            let key = [
                "other",
                "objectid",
                "contextid",
                "eventname",
                "x",
                "wstoken",
                "cmid",
                "status",
            ][rng.below(8)];
            o.insert(key.into(), hostile(rng));
        }
        Value::Array(a) if !a.is_empty() => {
            let i = rng.below(a.len());
            mutate(&mut a[i], rng);
        }
        _ => *v = hostile(rng),
    }
}

/// `n` mutated inputs from the seeds; returns (accepted, refused).
pub fn bounded_run(n: usize, seed: u64) -> (usize, usize) {
    let seeds = seeds();
    let names = event_names();
    let mut rng = Rng(seed | 1);
    let (mut ok, mut refused) = (0, 0);
    for i in 0..n {
        let (mut name, mut data) = seeds[i % seeds.len()].clone();
        for _ in 0..=rng.below(3) {
            mutate(&mut data, &mut rng);
        }
        if rng.below(20) == 0 {
            name = names[rng.below(names.len())].clone();
        }
        let limits = Limits {
            max_depth: 1 + rng.below(48),
            ..Limits::default()
        };
        match run(&name, &data, limits) {
            Ok(()) => ok += 1,
            Err(_) => refused += 1,
        }
        // And the raw-bytes entry point, with the JSON text cut short now and then.
        let mut bytes = vec![rng.next_u64() as u8, rng.next_u64() as u8];
        let text = data.to_string();
        bytes.extend_from_slice(&text.as_bytes()[..text.len() - rng.below(2) * rng.below(text.len())]);
        one(&bytes);
    }
    (ok, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_is_a_valid_event() {
        let seeds = seeds();
        assert!(seeds.len() >= definitions().len());
        for (name, data) in &seeds {
            assert_eq!(run(name, data, Limits::default()), Ok(()), "{name}: {data}");
        }
    }

    /// The bounded slice CI runs; `FUZZ_ITERATIONS` and `FUZZ_SEED` run it longer.
    #[test]
    fn bounded_fuzz_run_keeps_every_invariant() {
        let n = std::env::var("FUZZ_ITERATIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1500);
        let seed = std::env::var("FUZZ_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0x5eed);
        let (ok, refused) = bounded_run(n, seed);
        assert_eq!(ok + refused, n);
        assert!(
            ok > 0 && refused > 0,
            "both outcomes occur: {ok} accepted, {refused} refused"
        );
    }
}
