//! Each catalogue event as a JSON Schema (draft 2020-12) of its data as Moodle's log store
//! and `get_data()` hold it: the 17 fields, with `other` in full (types, required keys,
//! ranges, value sets, formats, the docs as descriptions). The published contract of an
//! event, for observers, log readers and other languages. No PHP here.
//!
//! What a JSON Schema cannot say, and the extension still checks (`RULES_BEYOND_SCHEMA`):
//! secret-looking key names at any depth, the php.ini limits (JSON size, depth, lengths),
//! a key that must equal the objectid, the context's course, and the record a factory
//! reads.

use crate::catalogue::{self, ComponentRule, EventDef, Format, KeySpec, Type};
use serde_json::{json, Map, Value};

/// The rules the extension enforces that the schemas cannot express.
pub const RULES_BEYOND_SCHEMA: &[&str] = &[
    "no key at any depth of other (documented or free-form) may look like a secret \
     (password, token, secret, wstoken, …)",
    "php.ini limits: moodle_events.max_json_bytes (the JSON size of other), \
     moodle_events.max_depth and the string lengths",
    "a key documented as the objectid's (a write task's jobid) must equal objectid",
    "courseid must be the course of the context",
    "a create_from_ factory reads a record of the family's table with the status the event \
     needs",
];

/// The regular expression of a string format (ECMA-262, as JSON Schema uses).
fn pattern(format: Format) -> &'static str {
    match format {
        Format::Identifier => "^[a-z][a-z0-9_]*$",
        Format::EventName => "^\\\\?[a-z0-9_]+\\\\event\\\\[a-z0-9_]*_[a-z0-9_]*$",
        Format::PluginName => "^[a-z](?!.*__)[a-z0-9_]*[a-z0-9]$",
        Format::Sha256 => "^[0-9a-f]{64}$",
    }
}

/// The schema of one value type.
pub fn type_schema(ty: &Type) -> Value {
    match ty {
        Type::Int { min, max, values } => {
            let mut s = json!({"type": "integer"});
            if let Some(set) = values {
                s["enum"] = set.entries.iter().map(|(_, v)| json!(v)).collect();
                let names: Vec<String> = set.entries.iter().map(|(n, v)| format!("{v} = {n}")).collect();
                s["description"] = json!(format!("{}: {}", set.name, names.join(", ")));
            }
            if let Some(m) = min {
                s["minimum"] = json!(m);
            }
            if let Some(m) = max {
                s["maximum"] = json!(m);
            }
            s
        }
        Type::Str {
            maxlength,
            format,
            table,
        } => {
            let mut s = json!({"type": "string", "minLength": 1});
            if let Some(m) = maxlength {
                s["maxLength"] = json!(m);
            }
            if let Some(f) = format {
                s["pattern"] = json!(pattern(*f));
                if *f == Format::Identifier {
                    s["maxLength"] = json!(maxlength.map_or(100, |m| m.min(100)));
                }
            }
            if let Some(t) = table {
                s["enum"] = t.columns.iter().map(|c| json!(c)).collect();
                s["description"] = json!(format!("a column of {}", t.name));
            }
            s
        }
        Type::Bool => json!({"type": "boolean"}),
        Type::Float => json!({"type": "number"}),
        Type::List { items } => json!({"type": "array", "minItems": 1, "items": type_schema(items)}),
        // A PHP array: a JSON object, or a list when its keys are 0..n-1.
        Type::Array { fields: [] } => json!({"type": ["object", "array"]}),
        Type::Array { fields } => {
            let mut s = object_schema(fields);
            s["additionalProperties"] = json!(true);
            s
        }
    }
}

/// An object with documented keys: each key's schema, the required ones listed.
fn object_schema(keys: &[KeySpec]) -> Value {
    let mut properties = Map::new();
    for k in keys {
        let mut s = type_schema(&k.ty);
        let mut doc = k.doc.to_string();
        if let Some(from) = k.from {
            doc.push_str(&format!(" (from the record's {from})"));
        }
        if let Some(t) = k.refers {
            doc.push_str(&format!(" (an id of {t})"));
        }
        match s.get("description").and_then(Value::as_str) {
            Some(more) => s["description"] = json!(format!("{doc}; {more}")),
            None => s["description"] = json!(doc),
        }
        properties.insert(k.key.to_string(), s);
    }
    let required: Vec<&str> = keys.iter().filter(|k| k.required).map(|k| k.key).collect();
    json!({"type": "object", "properties": properties, "required": required})
}

/// A string that is `value`, or for a subplugin family one of its components.
fn component_schema(def: &EventDef, suffix: &str) -> Value {
    match def.family.component {
        ComponentRule::Fixed(c) => json!({"const": format!("{c}{suffix}")}),
        ComponentRule::Subplugin(t) => {
            let escaped = suffix.replace('\\', "\\\\");
            json!({"type": "string", "pattern": format!("^{t}_[a-z](?!.*__)[a-z0-9_]*[a-z0-9]{escaped}$")})
        }
    }
}

/// The JSON Schema of an event's data (`get_data()`, a log store row's fields).
pub fn json_schema(def: &EventDef) -> Value {
    let int = |min: i64| json!({"type": "integer", "minimum": min});
    let nullable = |s: Value| json!({"anyOf": [s, {"type": "null"}]});
    let eventname = match def.family.component {
        ComponentRule::Fixed(c) => json!({"const": def.class_for(c)}),
        ComponentRule::Subplugin(t) => json!({
            "type": "string",
            "pattern": format!("^\\\\{t}_[a-z](?!.*__)[a-z0-9_]*[a-z0-9]\\\\event\\\\{}$", def.name)
        }),
    };
    let objectid = match def.objecttable() {
        Some(_) => int(1),
        None => json!({"type": "null"}),
    };
    let other = if def.other.is_empty() {
        json!({"type": "null"})
    } else {
        let mut s = object_schema(def.other);
        s["additionalProperties"] = json!(false);
        s
    };
    let mut properties = Map::new();
    for (field, schema) in [
        ("eventname", eventname),
        ("component", component_schema(def, "")),
        ("action", json!({"const": def.action()})),
        ("target", json!({"const": def.target()})),
        ("objecttable", json!({"const": def.objecttable()})),
        ("objectid", objectid),
        ("crud", json!({"const": def.crud.letter()})),
        ("edulevel", json!({"const": def.edulevel})),
        ("contextid", int(1)),
        ("contextlevel", nullable(int(10))),
        ("contextinstanceid", nullable(int(0))),
        ("userid", int(-1)),
        ("courseid", int(0)),
        ("relateduserid", nullable(int(-1))),
        ("anonymous", json!({"enum": [0, 1]})),
        ("other", other),
        ("timecreated", int(0)),
    ] {
        properties.insert(field.to_string(), schema);
    }
    let required: Vec<&str> = crate::record::FIELDS.to_vec();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("urn:moodle-events:{}:{}:{}", catalogue::version(), def.family.id, def.name),
        "title": def.title,
        "description": format!("{} {} (moodle_events catalogue {}.)", def.trigger, def.family.doc, catalogue::version()),
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::resolve;
    use crate::fuzzing::{sample, sample_other};
    use crate::record::{Field, Record, FIELDS};
    use crate::validate::{check_header, split_create_data, validate_other, ContextInfo, Limits};

    /// The event's data as get_data() gives it, from valid create() data.
    fn data_of(name: &str, create: &Value) -> Value {
        let ev = resolve(name).unwrap();
        let input = split_create_data(&ev, create).unwrap();
        let context = ContextInfo {
            id: 34,
            level: Some(70),
            instanceid: Some(9),
            courseid: Some(2),
        };
        let header = check_header(&ev, &input, Some(context), 5).unwrap();
        validate_other(&ev, input.other, header.objectid, Limits::default()).unwrap();
        let record = Record::new(ev, header, create.get("other").cloned(), 1_700_000_000);
        let mut data = Map::new();
        for f in FIELDS {
            let v = match record.field(f).unwrap() {
                Field::Str(s) => json!(s),
                Field::Int(i) => json!(i),
                Field::Null | Field::Other(None) => Value::Null,
                Field::Other(Some(o)) => o.clone(),
            };
            data.insert(f.to_string(), v);
        }
        Value::Object(data)
    }

    /// Every event, for a known component of its family.
    fn events() -> Vec<(String, &'static EventDef)> {
        catalogue::definitions()
            .iter()
            .map(|d| (d.class_for(&d.family.known_components()[0]), *d))
            .collect()
    }

    fn create_data(def: &EventDef, other: Value) -> Value {
        let mut data = json!({"contextid": 34, "relateduserid": 5});
        if !def.other.is_empty() {
            data["other"] = other;
        }
        if def.objecttable().is_some() {
            data["objectid"] = json!(7);
        }
        data
    }

    fn validator(def: &EventDef) -> jsonschema::Validator {
        let schema = json_schema(def);
        assert!(
            jsonschema::meta::is_valid(&schema),
            "{}: not a valid JSON Schema",
            def.name
        );
        jsonschema::draft202012::new(&schema).unwrap()
    }

    #[test]
    fn every_events_valid_data_fits_its_schema() {
        for (class, def) in events() {
            let v = validator(def);
            let data = data_of(&class, &create_data(def, sample_other(def.other, 7)));
            let errors: Vec<String> = v
                .iter_errors(&data)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{class}: {errors:?}\n{data}");
            // Without the optional keys too.
            let required: Map<String, Value> = sample_other(def.other, 7)
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| def.key(k).is_some_and(|s| s.required))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let data = data_of(&class, &create_data(def, Value::Object(required)));
            assert!(v.is_valid(&data), "{class}: required keys only\n{data}");
        }
    }

    /// Broken variants of valid `other` data: what the schema must refuse, as the
    /// extension does.
    fn broken(def: &EventDef) -> Vec<(String, Value)> {
        let good = sample_other(def.other, 7);
        let mut out = Vec::new();
        let mut with = |what: String, f: &dyn Fn(&mut Map<String, Value>)| {
            let mut o = good.as_object().unwrap().clone();
            f(&mut o);
            out.push((what, Value::Object(o)));
        };
        with("an undocumented key".into(), &|o| {
            o.insert("undocumented".into(), json!(1));
        });
        for k in def.other {
            if k.required {
                with(format!("{} left out", k.key), &|o| {
                    o.remove(k.key);
                });
            }
            if k.same_as_objectid {
                continue;
            }
            let wrong = match &k.ty {
                Type::Str { .. } => json!(12),
                _ => json!("text"),
            };
            with(format!("{} of the wrong type", k.key), &|o| {
                o.insert(k.key.into(), wrong.clone());
            });
            match &k.ty {
                Type::Int {
                    min: Some(m),
                    values: None,
                    ..
                } => with(format!("{} below {m}", k.key), &|o| {
                    o.insert(k.key.into(), json!(m - 1));
                }),
                Type::Int { values: Some(_), .. } => with(format!("{} outside its value set", k.key), &|o| {
                    o.insert(k.key.into(), json!(-12345));
                }),
                Type::Str { maxlength: Some(m), .. } => with(format!("{} too long", k.key), &|o| {
                    o.insert(k.key.into(), json!("x".repeat(m + 1)));
                }),
                Type::Str { format: Some(_), .. } | Type::Str { table: Some(_), .. } => {
                    with(format!("{} not in its format", k.key), &|o| {
                        o.insert(k.key.into(), json!("Not Valid!"));
                    })
                }
                Type::Str { .. } => with(format!("{} empty", k.key), &|o| {
                    o.insert(k.key.into(), json!(""));
                }),
                Type::List { items } => with(format!("{} empty", k.key), &|o| {
                    let _ = sample(items);
                    o.insert(k.key.into(), json!([]));
                }),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn the_schema_refuses_what_the_extension_refuses() {
        let mut checked = 0;
        for (class, def) in events() {
            if def.other.is_empty() {
                continue;
            }
            let v = validator(def);
            let good = data_of(&class, &create_data(def, sample_other(def.other, 7)));
            for (what, other) in broken(def) {
                let ev = resolve(&class).unwrap();
                let refused = validate_other(&ev, Some(&other), Some(7), Limits::default());
                assert!(refused.is_err(), "{class}: {what}: the extension accepted {other}");
                let mut data = good.clone();
                data["other"] = other;
                assert!(!v.is_valid(&data), "{class}: {what}: the schema accepted {data}");
                checked += 1;
            }
        }
        let keys: usize = catalogue::definitions().iter().map(|d| d.other.len()).sum();
        assert!(checked > keys, "{checked} broken cases for {keys} keys");
    }

    #[test]
    fn the_header_is_pinned_per_event() {
        for (class, def) in events() {
            let v = validator(def);
            let good = data_of(&class, &create_data(def, sample_other(def.other, 7)));
            for (field, value) in [
                ("crud", json!("x")),
                ("edulevel", json!(9)),
                ("eventname", json!("\\local_archiving\\event\\other_event")),
                ("anonymous", json!(2)),
                ("contextid", json!(0)),
                ("userid", json!(-2)),
                ("relateduserid", json!(-2)),
                ("courseid", json!(-1)),
                ("timecreated", json!("yesterday")),
            ] {
                let mut data = good.clone();
                data[field] = value;
                assert!(!v.is_valid(&data), "{class}: {field} {}", data[field]);
            }
            let mut data = good.clone();
            data.as_object_mut().unwrap().insert("extra".into(), json!(1));
            assert!(!v.is_valid(&data), "{class}: a field beyond the 17");
            // -1 is a user id Moodle uses (the CLI's), as is null for relateduserid.
            for (field, value) in [
                ("userid", json!(-1)),
                ("relateduserid", json!(-1)),
                ("relateduserid", Value::Null),
            ] {
                let mut data = good.clone();
                data[field] = value;
                assert!(v.is_valid(&data), "{class}: {field} {}", data[field]);
            }
        }
    }

    #[test]
    fn only_an_identifier_is_capped_at_100_characters() {
        let of = |name: &str| json_schema(resolve(name).unwrap().def);
        let written = of("\\archivingstore_s3\\event\\write_task_updated");
        let identifier = &written["properties"]["other"]["properties"]["updatedfields"]["items"];
        assert_eq!(identifier["maxLength"], json!(100), "{identifier}");
        let updated = of("\\local_archiving\\event\\archive_job_updated");
        let items = &updated["properties"]["other"]["properties"]["updatedfields"]["items"];
        let sent = of("\\archivingevent_apistub\\event\\transmission_completed");
        let eventname = &sent["properties"]["other"]["properties"]["eventname"];
        assert!(
            eventname["pattern"].is_string() && eventname.get("maxLength").is_none(),
            "{eventname}"
        );
        let failed = of("\\local_archiving\\event\\archive_job_failed");
        assert_eq!(
            failed["properties"]["other"]["properties"]["cause"]["maxLength"],
            json!(1024)
        );
        // A column name (the table's columns) is no identifier-capped string here.
        assert!(items["enum"].is_array(), "{items}");
    }

    #[test]
    fn descriptions_carry_the_docs() {
        let def = resolve("\\archivingmod_quiz\\event\\task_created").unwrap().def;
        let s = json_schema(def);
        assert_eq!(s["title"], json!(def.title));
        let jobid = &s["properties"]["other"]["properties"]["jobid"];
        assert!(jobid["description"]
            .as_str()
            .unwrap()
            .starts_with(def.key("jobid").unwrap().doc));
        assert!(s["properties"]["eventname"]["pattern"]
            .as_str()
            .unwrap()
            .starts_with("^\\\\archivingmod_"));
    }
}
