//! Reading and writing the unified cache JSON document.
//!
//! The document is one object with five known sections. Entries that parse as the section's
//! entity are typed; entries that do not (junk such as `"an-entry": {"foo": "bar"}`) are kept as
//! raw JSON, and so are unknown top-level members. Writing emits all of it again, entries
//! sorted by key, with four-space indentation as MSAL Python does.

use msal_core::{Error, ErrorKind, Result};
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::entity::AccessToken;
use crate::section::Section;
use crate::store::Store;
use crate::{fastjson, json};

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
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Ok(());
    }
    // Caches written by MSALs are strict JSON: parse them as they are, and clean trailing
    // commas (MSAL .NET test files) only when the strict parse fails.
    match serde_json::from_str::<Top<'_>>(text) {
        Ok(top) => fill(store, top),
        Err(strict) => {
            let cleaned = json::clean(text);
            if matches!(cleaned, std::borrow::Cow::Borrowed(_)) {
                return Err(not_json(strict));
            }
            let top = serde_json::from_str::<Top<'_>>(&cleaned).map_err(not_json)?;
            fill(store, top)
        }
    }
}

fn not_json(e: serde_json::Error) -> Error {
    Error::with_source(ErrorKind::Cache, "the cache is not a JSON object", e)
}

fn fill(store: &mut Store, top: Top<'_>) -> Result<()> {
    for (name, member) in top.0 {
        let pos = SECTIONS.iter().position(|s| *s == name);
        let (pos, entries) = match (pos, member) {
            (Some(pos), Member::Entries(entries)) => (pos, entries),
            (_, Member::Entries(entries)) => {
                let mut map = Map::new();
                for (key, raw) in entries {
                    map.insert(key, to_value(raw)?);
                }
                store.unknown.insert(name, Value::Object(map));
                continue;
            }
            (_, Member::Other(value)) => {
                store.unknown.insert(name, value);
                continue;
            }
        };
        if let Some(present) = store.present.get_mut(pos) {
            *present = true;
        }
        let raw_section = match pos {
            0 => typed(&mut store.access_tokens, entries)?,
            1 => typed(&mut store.refresh_tokens, entries)?,
            2 => typed(&mut store.id_tokens, entries)?,
            3 => typed(&mut store.accounts, entries)?,
            _ => typed(&mut store.app_metadata, entries)?,
        };
        if let Some(raw) = store.raw.get_mut(pos) {
            *raw = raw_section;
        }
    }
    Ok(())
}

/// The top-level object, read in one pass: objects keep their members as raw JSON (parsed
/// once more, typed, when they are entries), anything else becomes a `Value`.
struct Top<'a>(Vec<(String, Member<'a>)>);

enum Member<'a> {
    Entries(Vec<(String, &'a RawValue)>),
    Other(Value),
}

impl<'de> Deserialize<'de> for Top<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Top<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Top<'de>, A::Error> {
                let mut members = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    members.push((key, map.next_value::<Member<'de>>()?));
                }
                Ok(Top(members))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for Member<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Member<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Member<'de>, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    entries.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(Member::Entries(entries))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Member<'de>, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Value>()? {
                    items.push(item);
                }
                Ok(Member::Other(Value::Array(items)))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Member<'de>, E> {
                Ok(Member::Other(Value::Null))
            }
            fn visit_none<E: de::Error>(self) -> std::result::Result<Member<'de>, E> {
                Ok(Member::Other(Value::Null))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Member<'de>, E> {
                Ok(Member::Other(Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Member<'de>, E> {
                Ok(Member::Other(Value::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Member<'de>, E> {
                Ok(Member::Other(Value::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Member<'de>, E> {
                Ok(Member::Other(Value::from(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Member<'de>, E> {
                Ok(Member::Other(Value::String(v.to_owned())))
            }
        }
        d.deserialize_any(V)
    }
}

fn to_value(raw: &RawValue) -> Result<Value> {
    serde_json::from_str(raw.get())
        .map_err(|e| Error::with_source(ErrorKind::Cache, "the cache JSON is malformed", e))
}

/// Stores the entries that parse as `T` in `section`; returns the others, kept raw.
fn typed<T: DeserializeOwned + Send + 'static>(
    section: &mut Section<T>,
    entries: Vec<(String, &RawValue)>,
) -> Result<Map<String, Value>> {
    let mut unparsed = Map::new();
    for (key, raw, entry) in parse_all::<T>(entries)? {
        match entry {
            Some(entry) => {
                section.insert(&key, std::sync::Arc::new(entry));
            }
            None => {
                unparsed.insert(key, to_value(raw)?);
            }
        }
    }
    Ok(unparsed)
}

/// Below this many entries a section is parsed on the calling thread.
const PARALLEL_MIN: usize = 8192;

type Parsed<'a, T> = (String, &'a RawValue, Option<T>);

/// Parses each entry as `T` (`None` when it is not a valid entry). Large sections are split
/// over the available cores.
fn parse_all<'a, T: DeserializeOwned + Send>(
    entries: Vec<(String, &'a RawValue)>,
) -> Result<Vec<Parsed<'a, T>>> {
    fn parse<'a, T: DeserializeOwned>((key, raw): (String, &'a RawValue)) -> Parsed<'a, T> {
        let entry = serde_json::from_str::<T>(raw.get()).ok();
        (key, raw, entry)
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    if entries.len() < PARALLEL_MIN || threads < 2 {
        return Ok(entries.into_iter().map(parse::<T>).collect());
    }
    let chunk = entries.len().div_ceil(threads);
    let mut chunks = Vec::with_capacity(threads);
    let mut rest = entries;
    while rest.len() > chunk {
        let tail = rest.split_off(chunk);
        chunks.push(rest);
        rest = tail;
    }
    chunks.push(rest);
    std::thread::scope(|scope| {
        let workers: Vec<_> = chunks
            .into_iter()
            .map(|c| scope.spawn(move || c.into_iter().map(parse::<T>).collect::<Vec<_>>()))
            .collect();
        let mut all = Vec::new();
        for worker in workers {
            let parsed = worker
                .join()
                .map_err(|_| Error::new(ErrorKind::Cache, "a cache parsing thread failed"))?;
            all.extend(parsed);
        }
        Ok(all)
    })
}

/// Serializes `store` as the cache document: compact, as MSAL .NET writes it (a third
/// smaller and faster than indented output), entries sorted by key.
pub(crate) fn write(store: &Store) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(size_hint(store));
    write_document(&mut out, store)
        .map_err(|e| Error::with_source(ErrorKind::Cache, "could not serialize the cache", e))?;
    Ok(out)
}

/// Roughly the serialized size, so the output buffer is allocated once.
fn size_hint(store: &Store) -> usize {
    let secrets: usize = store
        .access_tokens
        .iter()
        .map(|(k, at)| k.len() + at.secret.len() + 400)
        .sum();
    secrets + (store.refresh_tokens.len() + store.id_tokens.len()) * 2048 + 4096
}

fn section_len(s: &Store, pos: usize) -> usize {
    match pos {
        0 => s.access_tokens.len(),
        1 => s.refresh_tokens.len(),
        2 => s.id_tokens.len(),
        3 => s.accounts.len(),
        _ => s.app_metadata.len(),
    }
}

fn write_document(out: &mut Vec<u8>, s: &Store) -> std::io::Result<()> {
    let empty = Map::new();
    let mut doc = fastjson::Object::new(out);
    let mut written = [false; 5];
    for (pos, name) in SECTIONS.iter().enumerate() {
        let raw = s.raw.get(pos).unwrap_or(&empty);
        let present = s.present.get(pos).copied().unwrap_or(false);
        if !present && section_len(s, pos) == 0 && raw.is_empty() {
            continue;
        }
        if let Some(w) = written.get_mut(pos) {
            *w = true;
        }
        let out = doc.key(name)?;
        match pos {
            0 => access_token_section(out, &s.access_tokens, raw)?,
            1 => fastjson::value(
                out,
                &SectionEntries {
                    section: &s.refresh_tokens,
                    raw,
                },
            )?,
            2 => fastjson::value(
                out,
                &SectionEntries {
                    section: &s.id_tokens,
                    raw,
                },
            )?,
            3 => fastjson::value(
                out,
                &SectionEntries {
                    section: &s.accounts,
                    raw,
                },
            )?,
            _ => fastjson::value(
                out,
                &SectionEntries {
                    section: &s.app_metadata,
                    raw,
                },
            )?,
        }
    }
    for (name, value) in &s.unknown {
        let pos = SECTIONS.iter().position(|n| n == name);
        if pos.is_some_and(|p| written.get(p).copied().unwrap_or(false)) {
            // A known section that was not an object, now replaced by real entries.
            continue;
        }
        fastjson::value(doc.key(name)?, value)?;
    }
    doc.end();
    Ok(())
}

fn sorted_items<'a, T>(
    section: &'a Section<T>,
    raw: &'a Map<String, Value>,
) -> Vec<(&'a str, Item<'a, T>)> {
    let mut items: Vec<(&str, Item<'_, T>)> = section
        .iter()
        .map(|(k, v)| (&**k, Item::Typed(&**v)))
        .chain(raw.iter().map(|(k, v)| (k.as_str(), Item::Raw(v))))
        .collect();
    items.sort_unstable_by(|a, b| a.0.cmp(b.0));
    items
}

fn access_token_section(
    out: &mut Vec<u8>,
    section: &Section<AccessToken>,
    raw: &Map<String, Value>,
) -> std::io::Result<()> {
    let mut object = fastjson::Object::new(out);
    for (key, item) in sorted_items(section, raw) {
        let out = object.key(key)?;
        match item {
            Item::Typed(at) => fastjson::access_token(out, at)?,
            Item::Raw(v) => fastjson::value(out, v)?,
        }
    }
    object.end();
    Ok(())
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
        let items = sorted_items(self.section, self.raw);
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
