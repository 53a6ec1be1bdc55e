//! Reading and writing the unified cache JSON document.
//!
//! The document is one object with five known sections. Entries that parse as the section's
//! entity are typed; entries that do not (junk such as `"an-entry": {"foo": "bar"}`) are kept as
//! raw JSON, and so are unknown top-level members. Writing emits all of it again, entries
//! sorted by key, with four-space indentation as MSAL Python does.

use std::collections::BTreeMap;

use msal_core::{Error, ErrorKind, Result};
use serde::ser::{SerializeMap, Serializer};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::json;
use crate::section::Section;
use crate::store::Store;

/// The five section names, in the order they are written.
pub(crate) const SECTIONS: [&str; 5] = [
    "AccessToken",
    "RefreshToken",
    "IdToken",
    "Account",
    "AppMetadata",
];

/// Parses a cache document (BOM and trailing commas tolerated) into `store`, which must be
/// empty. An empty or blank input is an empty cache.
pub(crate) fn parse_into(bytes: &[u8], store: &mut Store) -> Result<()> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::with_source(ErrorKind::Cache, "the cache is not UTF-8 text", e))?;
    let text = json::clean(text);
    if text.trim().is_empty() {
        return Ok(());
    }
    let top: BTreeMap<String, &RawValue> = serde_json::from_str(&text)
        .map_err(|e| Error::with_source(ErrorKind::Cache, "the cache is not a JSON object", e))?;
    for (name, raw) in top {
        let Some(pos) = SECTIONS.iter().position(|s| *s == name) else {
            store.unknown.insert(name, to_value(raw)?);
            continue;
        };
        let Ok(entries) = serde_json::from_str::<BTreeMap<String, &RawValue>>(raw.get()) else {
            // A known section that is not an object: keep it as it was.
            store.unknown.insert(name, to_value(raw)?);
            continue;
        };
        if let Some(present) = store.present.get_mut(pos) {
            *present = true;
        }
        for (key, entry) in entries {
            let unparsed = match pos {
                0 => typed(&mut store.access_tokens, &key, entry),
                1 => typed(&mut store.refresh_tokens, &key, entry),
                2 => typed(&mut store.id_tokens, &key, entry),
                3 => typed(&mut store.accounts, &key, entry),
                _ => typed(&mut store.app_metadata, &key, entry),
            };
            if !unparsed {
                continue;
            }
            if let Some(raw_section) = store.raw.get_mut(pos) {
                raw_section.insert(key, to_value(entry)?);
            }
        }
    }
    Ok(())
}

fn to_value(raw: &RawValue) -> Result<Value> {
    serde_json::from_str(raw.get())
        .map_err(|e| Error::with_source(ErrorKind::Cache, "the cache JSON is malformed", e))
}

/// Stores `raw` typed in `section`; returns `true` when it is not a valid entry.
fn typed<T: DeserializeOwned + 'static>(
    section: &mut Section<T>,
    key: &str,
    raw: &RawValue,
) -> bool {
    match serde_json::from_str::<T>(raw.get()) {
        Ok(entry) => {
            section.insert(key, std::sync::Arc::new(entry));
            false
        }
        Err(_) => true,
    }
}

/// Serializes `store` as the cache document.
pub(crate) fn write(store: &Store) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(4096);
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    Document(store)
        .serialize(&mut ser)
        .map_err(|e| Error::with_source(ErrorKind::Cache, "could not serialize the cache", e))?;
    Ok(out)
}

struct Document<'a>(&'a Store);

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let s = self.0;
        let mut map = serializer.serialize_map(None)?;
        let empty = Map::new();
        for (pos, name) in SECTIONS.iter().enumerate() {
            let raw = s.raw.get(pos).unwrap_or(&empty);
            let present = s.present.get(pos).copied().unwrap_or(false);
            match pos {
                0 => entry_section(&mut map, name, present, &s.access_tokens, raw)?,
                1 => entry_section(&mut map, name, present, &s.refresh_tokens, raw)?,
                2 => entry_section(&mut map, name, present, &s.id_tokens, raw)?,
                3 => entry_section(&mut map, name, present, &s.accounts, raw)?,
                _ => entry_section(&mut map, name, present, &s.app_metadata, raw)?,
            }
        }
        for (name, value) in &s.unknown {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

fn entry_section<M: SerializeMap, T: Serialize + 'static>(
    map: &mut M,
    name: &str,
    present: bool,
    section: &Section<T>,
    raw: &Map<String, Value>,
) -> std::result::Result<(), M::Error> {
    if !present && section.len() == 0 && raw.is_empty() {
        return Ok(());
    }
    map.serialize_entry(name, &SectionEntries { section, raw })
}

struct SectionEntries<'a, T: 'static> {
    section: &'a Section<T>,
    raw: &'a Map<String, Value>,
}

enum Item<'a, T> {
    Typed(&'a T),
    Raw(&'a Value),
}

impl<T: Serialize + 'static> Serialize for SectionEntries<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut items: Vec<(&str, Item<'_, T>)> = self
            .section
            .iter()
            .map(|(k, v)| (&**k, Item::Typed(&**v)))
            .chain(self.raw.iter().map(|(k, v)| (k.as_str(), Item::Raw(v))))
            .collect();
        items.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut map = serializer.serialize_map(Some(items.len()))?;
        for (key, item) in items {
            match item {
                Item::Typed(v) => map.serialize_entry(key, v)?,
                Item::Raw(v) => map.serialize_entry(key, v)?,
            }
        }
        map.end()
    }
}
