//! `moodle_events\catalogue`: the catalogue's definitions as PHP arrays.

use super::engine::NameArg;
use super::exception::throw;
use super::zv;
use crate::catalogue::{self, EventDef, KeySpec, Type};
use ext_php_rs::boxed::ZBox;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::PhpResult;
use ext_php_rs::flags::ClassFlags;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};

/// Read-only access to the event catalogue.
#[php_class]
#[php(name = "moodle_events\\catalogue")]
#[php(flags = ClassFlags::Final)]
pub struct Catalogue;

fn arr(ht: ZBox<ZendHashTable>) -> Zval {
    ht.into_zval(false).unwrap_or_default()
}

fn type_spec(ht: &mut ZendHashTable, ty: &Type) {
    let _ = ht.insert("type", ty.name());
    match ty {
        Type::Int { min, max, values } => {
            if let Some(m) = min {
                let _ = ht.insert("min", *m);
            }
            if let Some(m) = max {
                let _ = ht.insert("max", *m);
            }
            if let Some(set) = values {
                let mut v = ZendHashTable::new();
                for (name, value) in set.entries {
                    let _ = v.insert(*name, *value);
                }
                let _ = ht.insert("values", arr(v));
            }
        }
        Type::Str {
            maxlength,
            format,
            table,
        } => {
            if let Some(m) = maxlength {
                let _ = ht.insert("maxlength", *m as i64);
            }
            if let Some(f) = format {
                let _ = ht.insert("format", f.name());
            }
            if let Some(t) = table {
                let _ = ht.insert("table", t.name);
            }
        }
        Type::List { items } => {
            let mut i = ZendHashTable::new();
            type_spec(&mut i, items);
            let _ = ht.insert("items", arr(i));
        }
        Type::Array { fields } if !fields.is_empty() => {
            let _ = ht.insert("fields", arr(keys(fields)));
        }
        Type::Array { .. } | Type::Bool | Type::Float => {}
    }
}

fn keys(specs: &[KeySpec]) -> ZBox<ZendHashTable> {
    let mut out = ZendHashTable::new();
    for k in specs {
        let mut ht = ZendHashTable::new();
        let _ = ht.insert("type", k.ty.name());
        let _ = ht.insert("required", k.required);
        let _ = ht.insert("doc", k.doc);
        if let Some(f) = k.from {
            let _ = ht.insert("from", f);
        }
        if let Some(t) = k.refers {
            let _ = ht.insert("refers", t);
        }
        type_spec(&mut ht, &k.ty);
        let _ = out.insert(k.key, arr(ht));
    }
    out
}

fn definition_array(d: &EventDef) -> ZBox<ZendHashTable> {
    let mut ht = ZendHashTable::new();
    let _ = ht.insert("eventname", d.class_pattern());
    let _ = ht.insert("name", d.name);
    let _ = ht.insert("family", d.family.id);
    let _ = ht.insert("component", d.family.component_pattern());
    let _ = ht.insert("title", d.title);
    let _ = ht.insert("trigger", d.trigger);
    let _ = ht.insert("description", d.description);
    let _ = ht.insert("crud", d.crud.letter());
    let _ = ht.insert("edulevel", i64::from(d.edulevel));
    let _ = ht.insert("objecttable", d.objecttable().map_or_else(Zval::null, zv::string));
    let _ = ht.insert("snapshot", d.objecttable().map_or_else(Zval::null, zv::string));
    let _ = ht.insert("factory", d.family.factory.method());
    let _ = ht.insert("langstring", d.lang_string_id());
    let _ = ht.insert("other", arr(keys(d.other)));
    ht
}

/// A JSON value as PHP's `json_decode($json, true)` gives it (objects as arrays).
fn json_to_zval(v: &serde_json::Value) -> PhpResult<Zval> {
    use serde_json::Value as J;
    Ok(match v {
        J::Null => Zval::null(),
        J::Bool(b) => {
            let mut z = Zval::new();
            z.set_bool(*b);
            z
        }
        J::Number(n) => match n.as_i64() {
            Some(i) => zv::long(i),
            None => {
                let mut z = Zval::new();
                z.set_double(n.as_f64().unwrap_or(f64::NAN));
                z
            }
        },
        J::String(s) => zv::string(s),
        J::Array(items) => {
            let mut ht = ZendHashTable::with_capacity(u32::try_from(items.len()).unwrap_or(u32::MAX));
            for item in items {
                ht.push(json_to_zval(item)?)?;
            }
            ht.into_zval(false)?
        }
        J::Object(map) => {
            let mut ht = ZendHashTable::with_capacity(u32::try_from(map.len()).unwrap_or(u32::MAX));
            for (k, item) in map {
                ht.insert(k.as_str(), json_to_zval(item)?)?;
            }
            ht.into_zval(false)?
        }
    })
}

#[php_impl]
#[php(change_method_case = "snake_case")]
impl Catalogue {
    /// The catalogue's own semantic version, e.g. `1.0.0`.
    pub fn version() -> &'static str {
        catalogue::version()
    }

    /// The 23 event class name patterns, e.g. `\archivingmod_<name>\event\task_created`.
    pub fn names() -> Vec<String> {
        catalogue::definitions().iter().map(|d| d.class_pattern()).collect()
    }

    /// The definition of an event (concrete class name or pattern).
    pub fn definition(eventname: NameArg<'_>) -> PhpResult<ZBox<ZendHashTable>> {
        let def = catalogue::find_definition(eventname.utf8()?).map_err(throw)?;
        Ok(definition_array(def))
    }

    /// The JSON Schema (draft 2020-12) of the event's data (concrete class name or
    /// pattern), as `moodle-events-gen schema` writes it.
    pub fn json_schema(eventname: NameArg<'_>) -> PhpResult<ZBox<ZendHashTable>> {
        let def = catalogue::find_definition(eventname.utf8()?).map_err(throw)?;
        match json_to_zval(&crate::schema::json_schema(def))?.array() {
            Some(ht) => Ok(ht.to_owned()),
            None => Err("the schema is an object".into()),
        }
    }

    /// Moodle's `get_static_info()` for a concrete class name.
    pub fn static_info(eventname: NameArg<'_>) -> PhpResult<ZBox<ZendHashTable>> {
        let ev = super::resolve(eventname.utf8()?)?;
        let d = ev.def;
        let mut ht = ZendHashTable::with_capacity(7);
        let _ = ht.insert("eventname", &*ev.eventname);
        let _ = ht.insert("component", ev.component());
        let _ = ht.insert("target", d.target());
        let _ = ht.insert("action", d.action());
        let _ = ht.insert("crud", d.crud.letter());
        let _ = ht.insert("edulevel", i64::from(d.edulevel));
        let _ = ht.insert("objecttable", d.objecttable().map_or_else(Zval::null, zv::string));
        Ok(ht)
    }
}
