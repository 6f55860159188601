//! The typed model of `catalogue/events.json`: serde structs with `deny_unknown_fields`
//! and real enums, so that a misspelt key (`"maxlenght"`) is an error that names it.
//! `build.rs` reads the catalogue through it (a typo fails the build), and
//! `moodle-events-gen bc-check` resolves two catalogues with it into their contracts
//! ([`Contract`]) to compare. Depends on serde alone (build.rs includes this file).

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;

pub use crate::kinds::{Crud, Factory, Format};

/// A JSON object read in its file order (the tables built from it keep that order); a
/// `$comment` entry is a note for the catalogue's editors and is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<T> Ordered<T> {
    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &T)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered<T>, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    if k == "$comment" {
                        // A note for the catalogue's editors, not data.
                        map.next_value::<serde::de::IgnoredAny>()?;
                        continue;
                    }
                    if out.iter().any(|(seen, _): &(String, T)| *seen == k) {
                        return Err(serde::de::Error::custom(format!("duplicate key `{k}`")));
                    }
                    let v = map.next_value::<T>()?;
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    #[serde(rename = "$comment", default)]
    pub comment: Option<String>,
    pub version: String,
    pub locations: Ordered<String>,
    pub families: Vec<FamilyDef>,
    /// What each factory reads; absent before catalogue 1.1 (1.0.0 had it in code).
    pub factories: Option<Ordered<RecordDef>>,
    pub tables: Ordered<Vec<String>>,
    pub valuesets: Ordered<Ordered<i64>>,
    pub keys: BTreeMap<String, KeyDef>,
    pub events: Vec<EventDefJson>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TypeName {
    Int,
    String,
    Bool,
    Float,
    List,
    Array,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlDef {
    pub path: String,
    pub params: Ordered<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyDef {
    pub id: String,
    pub url: Option<UrlDef>,
    /// A fixed component (local_archiving) …
    pub component: Option<String>,
    /// … or a subplugin type (archivingmod).
    pub plugintype: Option<String>,
    pub title: String,
    pub doc: String,
    #[serde(default)]
    pub known: Vec<String>,
    pub factory: Factory,
    pub record_component_field: Option<String>,
    pub objecttable: Option<String>,
}

/// What a `create_from_*` factory reads from its record (the catalogue's `factories`,
/// keyed by factory): a row of the family's objecttable (kept as the event's snapshot),
/// or, for a family without one, the forwarded event's data (`get_data()`). Each header
/// field names the record column it comes from; an `other` key names its column with
/// `from`.
#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct RecordDef {
    /// What the record is, for the factory's PHP documentation.
    pub doc: String,
    pub objectid: Option<String>,
    pub contextid: Option<String>,
    /// With `contextid` and `contextinstanceid`: the record knows its context in full,
    /// so none is looked up (a forwarded event's).
    pub contextlevel: Option<String>,
    pub contextinstanceid: Option<String>,
    /// The first of these columns that is set (not null).
    #[serde(default)]
    pub relateduserid: Vec<String>,
    pub courseid: Option<String>,
    /// The column an event's `record_status` is checked against.
    pub status: Option<String>,
}

/// A key of `other` (or a nested field, or a list's items), possibly `{"ref": …}` to a
/// shared key with overrides.
#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct KeyDef {
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub key: Option<String>,
    #[serde(rename = "type")]
    pub ty: Option<TypeName>,
    pub required: Option<bool>,
    pub doc: Option<String>,
    pub from: Option<String>,
    pub refers: Option<String>,
    pub same_as: Option<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub values: Option<String>,
    pub maxlength: Option<u64>,
    pub format: Option<Format>,
    pub table: Option<String>,
    pub items: Option<Box<KeyDef>>,
    pub fields: Option<Vec<KeyDef>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventDefJson {
    pub family: String,
    pub name: String,
    pub crud: Crud,
    #[serde(default)]
    pub edulevel: i64,
    pub record_status: Option<String>,
    pub title: String,
    pub trigger: String,
    pub description: String,
    pub url: Option<UrlDef>,
    pub other: Vec<KeyDef>,
}

impl KeyDef {
    /// This key with its `ref` resolved: the shared key's definition, then this entry's
    /// own values over it (an `items` override merges into the shared items).
    pub fn resolved(&self, keys: &BTreeMap<String, KeyDef>) -> Result<KeyDef, String> {
        let Some(name) = &self.reference else {
            return Ok(self.clone());
        };
        let base = keys.get(name).ok_or_else(|| format!("unknown key ref `{name}`"))?;
        let items = match (&base.items, &self.items) {
            (Some(b), Some(o)) => Some(Box::new(o.over(b))),
            (b, o) => o.clone().or_else(|| b.clone()),
        };
        let mut merged = self.over(base);
        merged.key = Some(self.key.clone().unwrap_or_else(|| name.clone()));
        merged.reference = None;
        merged.items = items;
        Ok(merged)
    }

    /// This entry's values over `base`'s.
    fn over(&self, base: &KeyDef) -> KeyDef {
        KeyDef {
            reference: self.reference.clone(),
            key: self.key.clone().or_else(|| base.key.clone()),
            ty: self.ty.or(base.ty),
            required: self.required.or(base.required),
            doc: self.doc.clone().or_else(|| base.doc.clone()),
            from: self.from.clone().or_else(|| base.from.clone()),
            refers: self.refers.clone().or_else(|| base.refers.clone()),
            same_as: self.same_as.clone().or_else(|| base.same_as.clone()),
            min: self.min.or(base.min),
            max: self.max.or(base.max),
            values: self.values.clone().or_else(|| base.values.clone()),
            maxlength: self.maxlength.or(base.maxlength),
            format: self.format.or(base.format),
            table: self.table.clone().or_else(|| base.table.clone()),
            items: self.items.clone().or_else(|| base.items.clone()),
            fields: self.fields.clone().or_else(|| base.fields.clone()),
        }
    }
}

/// What a catalogue promises to observers, log readers and the plugins that create its
/// events: each event (by class pattern) with its header and its `other` in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    pub version: String,
    pub events: BTreeMap<String, EventContract>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventContract {
    pub crud: &'static str,
    pub edulevel: i64,
    pub objecttable: Option<String>,
    pub factory: Factory,
    pub record_status: Option<Vec<i64>>,
    pub title: String,
    pub other: BTreeMap<String, KeyContract>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyContract {
    pub required: bool,
    pub from: Option<String>,
    pub doc: String,
    pub ty: TypeContract,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeContract {
    Int {
        min: Option<i64>,
        max: Option<i64>,
        values: Option<Vec<i64>>,
    },
    Str {
        maxlength: Option<u64>,
        format: Option<Format>,
        /// The column names, for a string that names a column.
        columns: Option<Vec<String>>,
    },
    Bool,
    Float,
    List(Box<TypeContract>),
    Array(BTreeMap<String, KeyContract>),
}

impl Catalogue {
    /// Reads a catalogue, naming the key that is wrong.
    pub fn parse(text: &str) -> Result<Catalogue, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The catalogue's contract, every `ref`, value set and table resolved.
    pub fn contract(&self) -> Result<Contract, String> {
        let mut events = BTreeMap::new();
        for e in &self.events {
            let what = format!("event {}", e.name);
            let family = self
                .families
                .iter()
                .find(|f| f.id == e.family)
                .ok_or_else(|| format!("{what}: unknown family `{}`", e.family))?;
            let component = match (&family.component, &family.plugintype) {
                (Some(c), None) => c.clone(),
                (None, Some(t)) => format!("{t}_<name>"),
                _ => return Err(format!("family {}: exactly one of component and plugintype", family.id)),
            };
            let record_status = match &e.record_status {
                Some(set) => Some(self.values_of(set, &what)?),
                None => None,
            };
            let mut other = self.keys(&e.other, &what)?;
            if self.factories.is_none() && family.factory == Factory::Event {
                // Catalogue 1.0.0 declared no records: its transmissions took
                // other.eventname from the forwarded event all the same.
                if let Some(k) = other.get_mut("eventname") {
                    k.from.get_or_insert_with(|| "eventname".into());
                }
            }
            let contract = EventContract {
                crud: e.crud.letter(),
                edulevel: e.edulevel,
                objecttable: family.objecttable.clone(),
                factory: family.factory,
                record_status,
                title: e.title.clone(),
                other,
            };
            events.insert(format!("\\{component}\\event\\{}", e.name), contract);
        }
        Ok(Contract {
            version: self.version.clone(),
            events,
        })
    }

    fn values_of(&self, set: &str, what: &str) -> Result<Vec<i64>, String> {
        let values = self
            .valuesets
            .get(set)
            .ok_or_else(|| format!("{what}: unknown valueset `{set}`"))?;
        let mut v: Vec<i64> = values.iter().map(|(_, v)| *v).collect();
        v.sort_unstable();
        Ok(v)
    }

    fn keys(&self, specs: &[KeyDef], what: &str) -> Result<BTreeMap<String, KeyContract>, String> {
        let mut out = BTreeMap::new();
        for spec in specs {
            let k = spec.resolved(&self.keys).map_err(|e| format!("{what}: {e}"))?;
            let key = k.key.clone().ok_or_else(|| format!("{what}: a key without a name"))?;
            let here = format!("{what}: other key `{key}`");
            let contract = KeyContract {
                required: k.required.unwrap_or(true),
                from: k.from.clone(),
                doc: k.doc.clone().ok_or_else(|| format!("{here}: no doc"))?,
                ty: self.ty(&k, &here)?,
            };
            out.insert(key, contract);
        }
        Ok(out)
    }

    fn ty(&self, k: &KeyDef, what: &str) -> Result<TypeContract, String> {
        Ok(match k.ty.ok_or_else(|| format!("{what}: no type"))? {
            TypeName::Int => TypeContract::Int {
                min: k.min,
                max: k.max,
                values: match &k.values {
                    Some(set) => Some(self.values_of(set, what)?),
                    None => None,
                },
            },
            TypeName::String => TypeContract::Str {
                maxlength: k.maxlength,
                format: k.format,
                columns: match &k.table {
                    Some(t) => Some(
                        self.tables
                            .get(t)
                            .ok_or_else(|| format!("{what}: unknown table `{t}`"))?
                            .clone(),
                    ),
                    None => None,
                },
            },
            TypeName::Bool => TypeContract::Bool,
            TypeName::Float => TypeContract::Float,
            TypeName::List => {
                let items = k
                    .items
                    .as_ref()
                    .ok_or_else(|| format!("{what}: a list without items"))?;
                TypeContract::List(Box::new(self.ty(items, what)?))
            }
            TypeName::Array => TypeContract::Array(match &k.fields {
                Some(f) => self.keys(f, what)?,
                None => BTreeMap::new(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELEASED: &str = include_str!("../catalogue/released/1.0.0.json");

    #[test]
    fn an_object_is_expected_where_one_is_declared() {
        let mut v: serde_json::Value = serde_json::from_str(RELEASED).unwrap();
        v["locations"] = serde_json::json!([]);
        let e = Catalogue::parse(&v.to_string()).unwrap_err();
        assert!(e.contains("expected an object"), "{e}");
    }

    #[test]
    fn catalogue_1_0_0_derives_only_a_transmissions_eventname() {
        let mut v: serde_json::Value = serde_json::from_str(RELEASED).unwrap();
        let created = v["events"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|e| e["name"] == "archive_job_created")
            .unwrap();
        created["other"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"key": "eventname", "type": "string", "required": false, "doc": "a name"}));
        let contract = Catalogue::parse(&v.to_string()).unwrap().contract().unwrap();
        let from = |class: &str| contract.events[class].other["eventname"].from.clone();
        assert_eq!(from("\\local_archiving\\event\\archive_job_created"), None);
        assert_eq!(
            from("\\archivingevent_<name>\\event\\transmission_completed").as_deref(),
            Some("eventname")
        );
    }
}
