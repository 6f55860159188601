//! The breaking-change check between two versions of the catalogue
//! (`moodle-events-gen bc-check OLD.json NEW.json`): every difference of their contracts,
//! each with the event and the path, sorted into breaking and compatible, and whether the
//! new version's number says so. Breaking is what can fail code written against the old
//! catalogue: an event or documented key removed, a key made required (or a required key
//! added), a type changed, a value set shrunk, a range tightened, a format or length
//! limit added, crud/edulevel/objecttable/factory changed, a derived key moved to another
//! column. Widening (new events, optional keys, wider ranges, larger value sets) and new
//! docs are compatible.

use crate::model::{Contract, KeyContract, TypeContract};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub event: String,
    /// Where in the event: `crud`, `other.activity.cmid`, … (empty for the event itself).
    pub path: String,
    pub what: String,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.event, self.what)
        } else {
            write!(f, "{}: {}: {}", self.event, self.path, self.what)
        }
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub breaking: Vec<Change>,
    pub compatible: Vec<Change>,
}

impl Report {
    /// Is the new version allowed to make these changes? A breaking change needs a greater
    /// major version; any change needs a greater version.
    pub fn verdict(&self, old: &str, new: &str) -> Result<(), String> {
        let (o, n) = (semver(old)?, semver(new)?);
        if !self.breaking.is_empty() && n.0 <= o.0 {
            return Err(format!(
                "{} need{} a new major version: {new} keeps major {} of {old}",
                if self.breaking.len() == 1 {
                    "1 breaking change".to_string()
                } else {
                    format!("{} breaking changes", self.breaking.len())
                },
                if self.breaking.len() == 1 { "s" } else { "" },
                n.0
            ));
        }
        if !(self.breaking.is_empty() && self.compatible.is_empty()) && n <= o {
            return Err(format!(
                "the catalogue changed but its version {new} is not above {old}"
            ));
        }
        Ok(())
    }
}

/// major.minor.patch.
pub fn semver(v: &str) -> Result<(u64, u64, u64), String> {
    let parts: Vec<u64> = v
        .split('.')
        .map(|p| {
            p.parse::<u64>()
                .map_err(|_| format!("version `{v}` is not major.minor.patch"))
        })
        .collect::<Result<_, _>>()?;
    match parts[..] {
        [a, b, c] => Ok((a, b, c)),
        _ => Err(format!("version `{v}` is not major.minor.patch")),
    }
}

struct Diff<'a> {
    report: &'a mut Report,
    event: &'a str,
}

impl Diff<'_> {
    fn breaking(&mut self, path: &str, what: String) {
        self.report.breaking.push(Change {
            event: self.event.to_string(),
            path: path.to_string(),
            what,
        });
    }

    fn compatible(&mut self, path: &str, what: String) {
        self.report.compatible.push(Change {
            event: self.event.to_string(),
            path: path.to_string(),
            what,
        });
    }

    fn keys(&mut self, path: &str, old: &BTreeMap<String, KeyContract>, new: &BTreeMap<String, KeyContract>) {
        for (name, o) in old {
            let here = format!("{path}.{name}");
            match new.get(name) {
                None => self.breaking(&here, "documented key removed".into()),
                Some(n) => self.key(&here, o, n),
            }
        }
        for (name, n) in new.iter().filter(|(k, _)| !old.contains_key(*k)) {
            let here = format!("{path}.{name}");
            if n.required {
                self.breaking(&here, "required key added (callers must now give it)".into());
            } else {
                self.compatible(&here, "optional key added".into());
            }
        }
    }

    fn key(&mut self, path: &str, o: &KeyContract, n: &KeyContract) {
        match (o.required, n.required) {
            (false, true) => self.breaking(path, "optional key made required".into()),
            (true, false) => self.compatible(path, "required key made optional".into()),
            _ => {}
        }
        if o.from != n.from {
            let show = |f: &Option<String>| f.as_deref().map_or("no column".to_string(), |c| format!("column {c}"));
            self.breaking(
                path,
                format!("derived key moved: from {} to {}", show(&o.from), show(&n.from)),
            );
        }
        if o.doc != n.doc {
            self.compatible(path, "doc changed".into());
        }
        self.ty(path, &o.ty, &n.ty);
    }

    fn ty(&mut self, path: &str, o: &TypeContract, n: &TypeContract) {
        use TypeContract as T;
        match (o, n) {
            (
                T::Int {
                    min: omin,
                    max: omax,
                    values: ov,
                },
                T::Int {
                    min: nmin,
                    max: nmax,
                    values: nv,
                },
            ) => {
                self.bound(path, "minimum", *omin, *nmin, |o, n| n > o);
                self.bound(path, "maximum", *omax, *nmax, |o, n| n < o);
                self.value_set(path, ov.as_deref(), nv.as_deref());
            }
            (
                T::Str {
                    maxlength: ol,
                    format: of,
                    columns: oc,
                },
                T::Str {
                    maxlength: nl,
                    format: nf,
                    columns: nc,
                },
            ) => {
                let (ol, nl) = (ol.map(|v| v as i64), nl.map(|v| v as i64));
                self.bound(path, "maximum length", ol, nl, |o, n| n < o);
                match (of, nf) {
                    (o, n) if o == n => {}
                    (Some(_), None) => self.compatible(path, "format removed".into()),
                    (o, n) => self.breaking(path, format!("format changed: {o:?} to {n:?}")),
                }
                self.columns(path, oc.as_deref(), nc.as_deref());
            }
            (T::List(o), T::List(n)) => self.ty(&format!("{path}[]"), o, n),
            (T::Array(o), T::Array(n)) => self.keys(path, o, n),
            (T::Bool, T::Bool) | (T::Float, T::Float) => {}
            (o, n) => self.breaking(path, format!("type changed from {} to {}", name(o), name(n))),
        }
    }

    /// An int's value set: adding one or removing values breaks.
    fn value_set(&mut self, path: &str, old: Option<&[i64]>, new: Option<&[i64]>) {
        match (old, new) {
            (None, Some(_)) => self.breaking(path, "value set added".into()),
            (Some(_), None) => self.compatible(path, "value set removed".into()),
            (Some(o), Some(n)) => {
                let gone: Vec<String> = o.iter().filter(|v| !n.contains(v)).map(i64::to_string).collect();
                let added: Vec<String> = n.iter().filter(|v| !o.contains(v)).map(i64::to_string).collect();
                if !gone.is_empty() {
                    self.breaking(path, format!("value set shrunk: {} removed", gone.join(", ")));
                }
                if !added.is_empty() {
                    self.compatible(path, format!("value set grown: {} added", added.join(", ")));
                }
            }
            (None, None) => {}
        }
    }

    /// A string naming a table's column: restricting it or removing columns breaks.
    fn columns(&mut self, path: &str, old: Option<&[String]>, new: Option<&[String]>) {
        match (old, new) {
            (None, Some(_)) => self.breaking(path, "restricted to a table's columns".into()),
            (Some(_), None) => self.compatible(path, "no longer restricted to a table's columns".into()),
            (Some(o), Some(n)) => {
                let gone: Vec<&str> = o.iter().filter(|c| !n.contains(c)).map(String::as_str).collect();
                if !gone.is_empty() {
                    self.breaking(path, format!("columns removed: {}", gone.join(", ")));
                }
                if n.iter().any(|c| !o.contains(c)) {
                    self.compatible(path, "columns added".into());
                }
            }
            (None, None) => {}
        }
    }

    /// A lower (`tighter(old, new)` false) or upper bound; None is unbounded.
    fn bound(&mut self, path: &str, what: &str, old: Option<i64>, new: Option<i64>, tighter: fn(i64, i64) -> bool) {
        match (old, new) {
            (None, Some(n)) => self.breaking(path, format!("{what} {n} added")),
            (Some(o), None) => self.compatible(path, format!("{what} {o} removed")),
            (Some(o), Some(n)) if tighter(o, n) => self.breaking(path, format!("{what} tightened from {o} to {n}")),
            (Some(o), Some(n)) if o != n => self.compatible(path, format!("{what} widened from {o} to {n}")),
            _ => {}
        }
    }
}

fn name(t: &TypeContract) -> &'static str {
    match t {
        TypeContract::Int { .. } => "int",
        TypeContract::Str { .. } => "string",
        TypeContract::Bool => "bool",
        TypeContract::Float => "float",
        TypeContract::List(_) => "list",
        TypeContract::Array(_) => "array",
    }
}

/// Every difference between two contracts.
pub fn compare(old: &Contract, new: &Contract) -> Report {
    let mut report = Report::default();
    for (event, o) in &old.events {
        let mut d = Diff {
            report: &mut report,
            event,
        };
        let Some(n) = new.events.get(event) else {
            d.breaking("", "event removed".into());
            continue;
        };
        if o.crud != n.crud {
            d.breaking("crud", format!("changed from {} to {}", o.crud, n.crud));
        }
        if o.edulevel != n.edulevel {
            d.breaking("edulevel", format!("changed from {} to {}", o.edulevel, n.edulevel));
        }
        if o.objecttable != n.objecttable {
            d.breaking(
                "objecttable",
                format!("changed from {:?} to {:?}", o.objecttable, n.objecttable),
            );
        }
        if o.factory != n.factory {
            d.breaking("factory", format!("changed from {:?} to {:?}", o.factory, n.factory));
        }
        if o.record_status != n.record_status {
            d.breaking(
                "record_status",
                format!("changed from {:?} to {:?}", o.record_status, n.record_status),
            );
        }
        if o.title != n.title {
            d.compatible("title", "changed".into());
        }
        d.keys("other", &o.other, &n.other);
    }
    for event in new.events.keys().filter(|e| !old.events.contains_key(*e)) {
        report.compatible.push(Change {
            event: event.clone(),
            path: String::new(),
            what: "event added".into(),
        });
    }
    report
}

/// `bc-check`: the report as text, and whether the versions allow it.
pub fn run(old_text: &str, new_text: &str, old_name: &str, new_name: &str) -> Result<(String, bool), String> {
    let read = |text: &str, name: &str| {
        crate::model::Catalogue::parse(text)
            .and_then(|c| c.contract())
            .map_err(|e| format!("{name}: not a moodle_events catalogue: {e}"))
    };
    let (old, new) = (read(old_text, old_name)?, read(new_text, new_name)?);
    let report = compare(&old, &new);
    let mut out = format!(
        "bc-check {old_name} ({}) -> {new_name} ({}): {} breaking, {} compatible\n",
        old.version,
        new.version,
        report.breaking.len(),
        report.compatible.len()
    );
    for c in &report.breaking {
        out.push_str(&format!("BREAKING    {c}\n"));
    }
    for c in &report.compatible {
        out.push_str(&format!("compatible  {c}\n"));
    }
    let verdict = report.verdict(&old.version, &new.version);
    match &verdict {
        Ok(()) => out.push_str("ok: the version allows these changes\n"),
        Err(e) => out.push_str(&format!("FAILED: {e}\n")),
    }
    Ok((out, verdict.is_ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const CURRENT: &str = include_str!("../catalogue/events.json");

    /// The working catalogue, changed by `f` (on its JSON).
    fn changed(f: impl FnOnce(&mut Value)) -> String {
        let mut v: Value = serde_json::from_str(CURRENT).unwrap();
        f(&mut v);
        serde_json::to_string_pretty(&v).unwrap()
    }

    fn event<'a>(v: &'a mut Value, name: &str) -> &'a mut Value {
        v["events"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|e| e["name"] == name)
            .unwrap()
    }

    fn bump(v: &mut Value, to: &str) {
        v["version"] = Value::String(to.into());
    }

    /// The working catalogue's version, and its next minor and next major.
    fn versions() -> (String, String, String) {
        let (major, minor, _) = semver(crate::catalogue::version()).unwrap();
        (
            crate::catalogue::version().to_string(),
            format!("{major}.{}.0", minor + 1),
            format!("{}.0.0", major + 1),
        )
    }

    /// Adds a key to an event's `other` (whatever it holds already).
    fn add_key(v: &mut Value, name: &str, key: Value) {
        event(v, name)["other"].as_array_mut().unwrap().push(key);
    }

    fn run_on(new: &str) -> (String, bool) {
        run(CURRENT, new, "old.json", "new.json").unwrap()
    }

    #[test]
    fn the_working_catalogue_keeps_the_latest_release() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogue/released");
        let mut released: Vec<(u64, u64, u64, std::path::PathBuf)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter_map(|p| {
                let v = semver(p.file_stem()?.to_str()?).ok()?;
                Some((v.0, v.1, v.2, p))
            })
            .collect();
        released.sort();
        let (.., latest) = released.last().expect("a released catalogue in catalogue/released");
        let old = std::fs::read_to_string(latest).unwrap();
        let (out, ok) = run(&old, CURRENT, &latest.display().to_string(), "catalogue/events.json").unwrap();
        assert!(ok, "{out}");
        let version: Value = serde_json::from_str(&old).unwrap();
        assert_eq!(
            format!("{}.json", version["version"].as_str().unwrap()),
            latest.file_name().unwrap().to_str().unwrap(),
            "a released catalogue is named by its version"
        );
    }

    #[test]
    fn no_change_is_compatible() {
        let (out, ok) = run_on(CURRENT);
        assert!(ok);
        assert!(out.contains(": 0 breaking, 0 compatible\n"), "{out}");
    }

    #[test]
    fn a_removed_key_or_a_key_made_required_is_breaking() {
        let new = changed(|v| {
            let e = event(v, "archive_job_failed");
            e["other"].as_array_mut().unwrap().retain(|k| k["ref"] != "cause");
            let status = e["other"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|k| k["key"] == "status")
                .unwrap();
            status["required"] = Value::Bool(true);
            bump(v, &versions().1);
        });
        let (current, minor, major) = versions();
        let (out, ok) = run_on(&new);
        assert!(!ok, "{out}");
        assert!(
            out.contains(
                "BREAKING    \\local_archiving\\event\\archive_job_failed: other.cause: documented key removed\n"
            ),
            "{out}"
        );
        assert!(
            out.contains(
                "BREAKING    \\local_archiving\\event\\archive_job_failed: other.status: optional key made required\n"
            ),
            "{out}"
        );
        assert!(
            out.ends_with(&format!(
                "FAILED: 2 breaking changes need a new major version: {minor} keeps major {} of {current}\n",
                current.split('.').next().unwrap()
            )),
            "{out}"
        );
        // With a major bump they are allowed.
        let (_, ok) = run_on(&new.replace(&format!("\"{minor}\""), &format!("\"{major}\"")));
        assert!(ok);
    }

    #[test]
    fn narrowing_is_breaking_and_widening_compatible() {
        let new = changed(|v| {
            v["keys"]["jobid"]["min"] = Value::from(2);
            v["keys"]["cause"]["maxlength"] = Value::from(2048);
            v["valuesets"]["job_error_status"]
                .as_object_mut()
                .unwrap()
                .remove("TIMEOUT");
            v["valuesets"]["task_failed_status"]["GAVE_UP"] = Value::from(252);
            let created = event(v, "archive_job_created");
            created["crud"] = Value::String("u".into());
            created["other"][0]["from"] = Value::String("status".into());
            let note = serde_json::json!({"key": "note", "type": "string", "required": false, "doc": "a note"});
            add_key(v, "archive_job_completed", note);
            bump(v, &versions().1);
        });
        let (out, ok) = run_on(&new);
        assert!(!ok);
        for line in [
            "BREAKING    \\archivingmod_<name>\\event\\task_created: other.jobid: minimum tightened from 1 to 2",
            "BREAKING    \\local_archiving\\event\\archive_job_failed: other.status: value set shrunk: 230 removed",
            "BREAKING    \\local_archiving\\event\\archive_job_failed: record_status: changed",
            "BREAKING    \\local_archiving\\event\\archive_job_created: crud: changed from c to u",
            "BREAKING    \\local_archiving\\event\\archive_job_created: other.origin: derived key moved: from column origin to column status",
            "compatible  \\local_archiving\\event\\archive_job_failed: other.cause: maximum length widened from 1024 to 2048",
            "compatible  \\local_archiving\\event\\archive_job_completed: other.note: optional key added",
        ] {
            assert!(out.contains(line), "missing {line}\n{out}");
        }
    }

    #[test]
    fn every_kind_of_change_is_named() {
        let new = changed(|v| {
            // Keys: made optional, a bound widened, removed and added, a format changed
            // and removed, a type changed.
            v["keys"]["cause"]["required"] = Value::Bool(false);
            v["keys"]["cause"].as_object_mut().unwrap().remove("maxlength");
            v["keys"]["forwarded"]["maxlength"] = Value::from(200);
            v["keys"]["forwarded"]["format"] = Value::String("identifier".into());
            v["keys"]["updatedfields"]["items"]
                .as_object_mut()
                .unwrap()
                .remove("format");
            v["keys"]["jobid"].as_object_mut().unwrap().remove("min");
            let updated = event(v, "task_updated");
            for k in updated["other"].as_array_mut().unwrap() {
                if k["key"] == "progress" {
                    k["max"] = Value::from(200);
                    k["min"] = Value::from(-1);
                }
                if k["key"] == "status" {
                    k["type"] = Value::String("string".into());
                    k.as_object_mut().unwrap().remove("values");
                }
            }
            // Columns: one removed from a table a key names, one added to another.
            let job = v["tables"]["local_archiving_job"].as_array_mut().unwrap();
            job.retain(|c| c != "origin");
            v["tables"]["local_archiving_activity_task"]
                .as_array_mut()
                .unwrap()
                .push("extra".into());
            bump(v, &versions().2);
        });
        let (out, ok) = run_on(&new);
        assert!(ok, "a major bump allows it all\n{out}");
        for line in [
            "compatible  \\local_archiving\\event\\archive_job_failed: other.cause: required key made optional",
            "compatible  \\local_archiving\\event\\archive_job_failed: other.cause: maximum length 1024 removed",
            "BREAKING    \\archivingevent_<name>\\event\\transmission_completed: other.eventname: maximum length 200 added",
            "BREAKING    \\archivingevent_<name>\\event\\transmission_completed: other.eventname: format changed: Some(EventName) to Some(Identifier)",
            "compatible  \\archivingstore_<name>\\event\\write_task_updated: other.updatedfields[]: format removed",
            "compatible  \\archivingmod_<name>\\event\\task_created: other.jobid: minimum 1 removed",
            "compatible  \\archivingmod_<name>\\event\\task_updated: other.progress: maximum widened from 100 to 200",
            "compatible  \\archivingmod_<name>\\event\\task_updated: other.progress: minimum widened from 0 to -1",
            "BREAKING    \\archivingmod_<name>\\event\\task_updated: other.status: type changed from int to string",
            "BREAKING    \\local_archiving\\event\\archive_job_updated: other.updatedfields[]: columns removed: origin",
            "compatible  \\archivingmod_<name>\\event\\task_updated: other.updatedfields[]: columns added",
        ] {
            assert!(out.contains(line), "missing {line}\n{out}");
        }
        // The other direction: a minimum added, a table restriction added and removed.
        let new = changed(|v| {
            v["keys"]["cause"]["maxlength"] = Value::from(1024);
            v["keys"]["updatedfields"]["items"]["table"] = Value::String("local_archiving_job".into());
            bump(v, &versions().2);
        });
        let (out, _) = run_on(&new);
        let line = "BREAKING    \\archivingstore_<name>\\event\\write_task_updated: other.updatedfields[]: restricted to a table's columns";
        assert!(out.contains(line), "missing {line}\n{out}");
        assert!(!out.contains("other.cause"), "an unchanged bound is no change\n{out}");
        let new = changed(|v| {
            for k in event(v, "archive_job_updated")["other"].as_array_mut().unwrap() {
                if k["ref"] == "updatedfields" {
                    k["items"].as_object_mut().unwrap().remove("table");
                }
            }
            bump(v, &versions().1);
        });
        let (out, ok) = run_on(&new);
        let line = "compatible  \\local_archiving\\event\\archive_job_updated: other.updatedfields[]: no longer restricted to a table's columns";
        assert!(ok && out.contains(line), "missing {line}\n{out}");
    }

    #[test]
    fn a_compatible_change_with_a_minor_bump_passes() {
        let (current, minor, _) = versions();
        let new = changed(|v| {
            let note = serde_json::json!({"key": "note", "type": "string", "required": false, "doc": "a note"});
            add_key(v, "archive_job_completed", note);
            bump(v, &minor);
        });
        let (out, ok) = run_on(&new);
        assert!(ok, "{out}");
        // The same change without a version bump is refused.
        let (out, ok) = run_on(&new.replace(&format!("\"{minor}\""), &format!("\"{current}\"")));
        assert!(
            !ok && out.ends_with(&format!(
                "FAILED: the catalogue changed but its version {current} is not above {current}\n"
            )),
            "{out}"
        );
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let typo = changed(|v| {
            let cause = v["keys"]["cause"].as_object_mut().unwrap();
            let m = cause.remove("maxlength").unwrap();
            cause.insert("maxlenght".into(), m);
        });
        let e = run(CURRENT, &typo, "old.json", "typo.json").unwrap_err();
        assert!(
            e.starts_with("typo.json: not a moodle_events catalogue: unknown field `maxlenght`"),
            "{e}"
        );
        let typo = changed(|v| {
            let job = v["factories"]["job"].as_object_mut().unwrap();
            let m = job.remove("relateduserid").unwrap();
            job.insert("relateduser".into(), m);
        });
        let e = run(CURRENT, &typo, "old.json", "typo.json").unwrap_err();
        assert!(e.contains("unknown field `relateduser`"), "{e}");
        let wrong = changed(|v| v["families"][0]["factory"] = "jobs".into());
        let e = run(CURRENT, &wrong, "old.json", "wrong.json").unwrap_err();
        assert!(
            e.contains("unknown factory `jobs`, expected one of job, task, file, event"),
            "{e}"
        );
        let e = run("{\"hello\": 1}", CURRENT, "other.json", "new.json").unwrap_err();
        assert!(
            e.starts_with("other.json: not a moodle_events catalogue: unknown field `hello`"),
            "{e}"
        );
        let e = run("not json", CURRENT, "x.txt", "new.json").unwrap_err();
        assert!(
            e.starts_with("x.txt: not a moodle_events catalogue: expected ident at line 1"),
            "{e}"
        );
    }

    #[test]
    fn the_model_agrees_with_the_built_tables() {
        let contract = crate::model::Catalogue::parse(CURRENT).unwrap().contract().unwrap();
        let defs = crate::catalogue::definitions();
        assert_eq!(contract.events.len(), defs.len());
        for d in defs {
            let e = &contract.events[&d.class_pattern()];
            assert_eq!(e.crud, d.crud.letter());
            assert_eq!(e.objecttable.as_deref(), d.objecttable());
            let keys: Vec<&str> = d.other.iter().map(|k| k.key).collect();
            assert_eq!(e.other.keys().map(String::as_str).collect::<Vec<_>>(), {
                let mut k = keys.clone();
                k.sort_unstable();
                k
            });
            for k in d.other {
                assert_eq!(e.other[k.key].required, k.required, "{} {}", d.name, k.key);
                assert_eq!(e.other[k.key].from.as_deref(), k.from, "{} {}", d.name, k.key);
            }
        }
    }
}
