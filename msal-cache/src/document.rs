//! Reading and writing the unified cache JSON document.
//!
//! The document is one object with five known sections. Entries that parse as the section's
//! entity are typed; entries that do not (junk such as `"an-entry": {"foo": "bar"}`) are kept as
//! raw JSON, and so are unknown top-level members. Writing emits all of it again, entries
//! sorted by key, with four-space indentation as MSAL Python does.

use std::borrow::Cow;
use std::sync::Arc;

use msal_core::{Error, ErrorKind, Result};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use zeroize::Zeroize;

use crate::scan::{ScanError, Scanner};
use crate::section::{Section, Span};
use crate::source::Source;
use crate::store::Store;
use crate::{atread, fastjson, json};

/// The five section names, in the order they are written.
pub(crate) const SECTIONS: [&str; 5] = [
    "AccessToken",
    "RefreshToken",
    "IdToken",
    "Account",
    "AppMetadata",
];

/// Parses a cache document (BOM and trailing commas tolerated) into `store`, which must be
/// empty. An empty or blank input is an empty cache. The text is kept (not copied) so
/// unchanged entries are written back by copying their bytes.
pub(crate) fn parse_owned(bytes: Vec<u8>, store: &mut Store) -> Result<()> {
    let mut text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let cause = e.utf8_error();
            e.into_bytes().zeroize();
            let message = "the cache is not UTF-8 text";
            return Err(Error::with_source(ErrorKind::Cache, message, cause));
        }
    };
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    let source = Source::new(text);
    if source.text().trim().is_empty() {
        return Ok(());
    }
    // Caches written by MSALs are strict JSON: parse them as they are, and clean trailing
    // commas (MSAL .NET test files) only when the strict parse fails.
    let strict = match read(source.text(), store) {
        Ok(()) => {
            store.source = Some(Arc::new(source));
            return Ok(());
        }
        Err(e) => e,
    };
    let cleaned = match json::clean(source.text()) {
        Cow::Borrowed(_) => return Err(strict),
        Cow::Owned(cleaned) => Source::new(cleaned),
    };
    drop(source);
    *store = Store::default();
    read(cleaned.text(), store)?;
    store.source = Some(Arc::new(cleaned));
    Ok(())
}

fn not_json(e: ScanError) -> Error {
    Error::with_source(ErrorKind::Cache, "the cache is not a JSON object", e)
}

/// Reads the top-level object in one pass: known sections entry by entry (access tokens by
/// the hand-written reader, other entries by `serde_json`), anything else as a `Value`.
fn read(text: &str, store: &mut Store) -> Result<()> {
    let mut s = Scanner::new(text);
    if s.open_object().map_err(not_json)? {
        loop {
            let name = s.member_name().map_err(not_json)?.into_owned();
            let pos = SECTIONS.iter().position(|x| *x == name);
            match pos {
                Some(pos) if s.peek() == Some(b'{') => {
                    if let Some(present) = store.present.get_mut(pos) {
                        *present = true;
                    }
                    read_section(&mut s, pos, store)?;
                }
                _ => {
                    let (start, end) = s.skip_value().map_err(not_json)?;
                    store.unknown.insert(name, to_value(s.slice(start, end))?);
                }
            }
            if !s.comma_or_end(b'}').map_err(not_json)? {
                break;
            }
        }
    }
    if !s.at_end() {
        return Err(not_json(s.error("text follows the cache object")));
    }
    Ok(())
}

fn read_section(s: &mut Scanner<'_>, pos: usize, store: &mut Store) -> Result<()> {
    if !s.open_object().map_err(not_json)? {
        return Ok(());
    }
    let mut unparsed = Map::new();
    loop {
        let key = s.member_name().map_err(not_json)?;
        s.peek();
        let start = s.pos();
        let typed = match pos {
            0 => {
                let span = Some(start..s.pos());
                match atread::read(s).map_err(not_json)? {
                    Some(at) => {
                        if store.access_tokens.len() == 0 {
                            reserve_like(&mut store.access_tokens, s, start);
                        }
                        let span = span.map(|r| r.start..s.pos());
                        store.access_tokens.insert_loaded(&key, Arc::new(at), span);
                        true
                    }
                    None => false,
                }
            }
            _ => {
                let (start, end) = s.skip_value().map_err(not_json)?;
                let raw = s.slice(start, end);
                let span = Some(start..end);
                match pos {
                    1 => typed(&mut store.refresh_tokens, &key, raw, span),
                    2 => typed(&mut store.id_tokens, &key, raw, span),
                    3 => typed(&mut store.accounts, &key, raw, span),
                    _ => typed(&mut store.app_metadata, &key, raw, span),
                }
            }
        };
        if !typed {
            unparsed.insert(key.into_owned(), to_value(s.slice(start, s.pos()))?);
        }
        if !s.comma_or_end(b'}').map_err(not_json)? {
            break;
        }
    }
    if let Some(raw) = store.raw.get_mut(pos) {
        raw.extend(unparsed);
    }
    Ok(())
}

/// After the first entry of a section: makes room for as many more as would fit in the rest
/// of the document if they were that size (large caches hold many similar entries, and
/// growing the maps step by step costs a tenth of a load). Bounded by one entry per 256
/// bytes, so a small first entry cannot reserve much.
fn reserve_like<T>(section: &mut Section<T>, s: &Scanner<'_>, first_start: usize) {
    let first = s.pos().saturating_sub(first_start).max(256);
    let rest = s.remaining();
    if rest >= 64 * 1024 {
        section.reserve(rest / first);
    }
}

/// Stores `raw` in `section` when it is a valid `T`; returns whether it was.
fn typed<T: DeserializeOwned>(
    section: &mut Section<T>,
    key: &str,
    raw: &str,
    span: Option<Span>,
) -> bool {
    match serde_json::from_str::<T>(raw) {
        Ok(entry) => {
            section.insert_loaded(key, Arc::new(entry), span);
            true
        }
        Err(_) => false,
    }
}

fn to_value(raw: &str) -> Result<Value> {
    serde_json::from_str(raw)
        .map_err(|e| Error::with_source(ErrorKind::Cache, "the cache JSON is malformed", e))
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
    let ats: usize = store
        .access_tokens
        .iter_spans()
        .map(|(k, at, span)| k.len() + span.map_or_else(|| at.secret.len() + 400, |s| s.len() + 8))
        .sum();
    ats + (store.refresh_tokens.len() + store.id_tokens.len()) * 2048 + 4096
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
    let source = s.source.as_deref();
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
            0 => section(out, &s.access_tokens, raw, source, fastjson::access_token)?,
            1 => section(out, &s.refresh_tokens, raw, source, fastjson::value)?,
            2 => section(out, &s.id_tokens, raw, source, fastjson::value)?,
            3 => section(out, &s.accounts, raw, source, fastjson::value)?,
            _ => section(out, &s.app_metadata, raw, source, fastjson::value)?,
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

enum Item<'a, T> {
    /// Changed or new: serialized.
    Typed(&'a T),
    /// Unchanged since loading: its JSON, copied.
    Bytes(&'a [u8]),
    /// Not a valid entry: kept as a value.
    Raw(&'a Value),
}

/// Writes a section's entries sorted by key.
fn section<T>(
    out: &mut Vec<u8>,
    section: &Section<T>,
    raw: &Map<String, Value>,
    source: Option<&Source>,
    typed: fn(&mut Vec<u8>, &T) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut items: Vec<(&str, Item<'_, T>)> = Vec::with_capacity(section.len() + raw.len());
    items.extend(section.iter_spans().map(|(k, v, span)| {
        let item = match (span, source) {
            (Some(span), Some(source)) => Item::Bytes(source.bytes(span)),
            _ => Item::Typed(&**v),
        };
        (&**k, item)
    }));
    items.extend(raw.iter().map(|(k, v)| (k.as_str(), Item::Raw(v))));
    // Sorted by the first eight bytes first (compared in registers), then by the whole key.
    let mut order: Vec<(u64, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, (key, _))| (prefix(key), i))
        .collect();
    order.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0).then_with(|| {
            let key = |i: usize| items.get(i).map_or("", |item| item.0);
            key(a.1).cmp(key(b.1))
        })
    });
    let mut object = fastjson::Object::new(out);
    for (key, item) in order.iter().filter_map(|&(_, i)| items.get(i)) {
        let out = object.key(key)?;
        match item {
            Item::Typed(v) => typed(out, v)?,
            Item::Bytes(b) => out.extend_from_slice(b),
            Item::Raw(v) => fastjson::value(out, v)?,
        }
    }
    object.end();
    Ok(())
}

/// The first eight bytes of `key` as a big-endian number (zero-padded): ordering these is
/// ordering the keys by their first eight bytes.
fn prefix(key: &str) -> u64 {
    let mut word = [0u8; 8];
    for (dst, src) in word.iter_mut().zip(key.bytes()) {
        *dst = src;
    }
    u64::from_be_bytes(word)
}

#[cfg(test)]
mod tests {
    use crate::TokenCache;
    use msal_core::Secret;

    const DOC: &str = r#"{"AccessToken": {
        "k1": {"credential_type": "AccessToken", "secret": "s1", "home_account_id": "u.t",
               "environment": "login.windows.net", "client_id": "c", "realm": "t",
               "target": ["a", "b"], "expires_on": 4000000000.5, "future": [1, {"x": null}]},
        "k2": {"credential_type": "AccessToken", "secret": "s2", "home_account_id": "v.t",
               "environment": "login.windows.net", "client_id": "c", "realm": "t",
               "target": "a", "expires_on": "4000000000"}},
      "RefreshToken": {"r": {"credential_type": "RefreshToken", "secret": "rs",
               "home_account_id": "u.t", "environment": "login.windows.net",
               "client_id": "c", "last_modification_time": 7}}}"#;

    #[test]
    fn unchanged_entries_are_written_back_byte_for_byte() {
        let cache = TokenCache::from_json(DOC.as_bytes()).unwrap();
        let out = String::from_utf8(cache.to_json().unwrap()).unwrap();
        // Spelled as loaded (a float time, an array target, a number), not re-serialised.
        assert!(
            out.contains(r#""target": ["a", "b"], "expires_on": 4000000000.5"#),
            "{out}"
        );
        assert!(out.contains(r#""last_modification_time": 7}"#), "{out}");
        let again = TokenCache::from_json(out.as_bytes()).unwrap();
        assert_eq!(again.to_json().unwrap(), out.as_bytes());
    }

    #[test]
    fn changed_entries_are_serialised_again() {
        let cache = TokenCache::from_json(DOC.as_bytes()).unwrap();
        let rt = cache.refresh_tokens().pop().unwrap();
        assert!(cache.update_refresh_token(&rt, Secret::new("new-rt"), 99));
        let at = cache
            .access_tokens()
            .into_iter()
            .find(|a| a.secret.expose() == "s2");
        assert!(cache.remove_access_token(&at.unwrap()));
        let out = String::from_utf8(cache.to_json().unwrap()).unwrap();
        assert!(out.contains(r#""secret":"new-rt""#), "{out}");
        assert!(out.contains(r#""last_modification_time":"99""#), "{out}");
        assert!(!out.contains("s2"), "{out}");
        assert!(out.contains(r#""expires_on": 4000000000.5"#), "{out}");
    }
}
