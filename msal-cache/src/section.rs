//! One section of the cache: entries by map key, plus hash indexes over their fields.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use crate::hash::{BuildKeyHasher, BuildPassThrough};

/// How an index derives its key from an entry (`None`: the entry is not in this index).
pub(crate) type Indexer<T> = fn(&T) -> Option<u64>;

/// How a multi-key index derives its keys from an entry (any number, passed to the sink).
pub(crate) type MultiIndexer<T> = fn(&T, &mut dyn FnMut(u64));

/// An entry with the map key it is stored under.
pub(crate) type Slot<T> = (Arc<str>, Arc<T>);

/// The entries under one index key: almost always one, stored inline so a lookup touches
/// one cache line fewer.
enum Bucket<T> {
    One(Slot<T>),
    Many(Vec<Slot<T>>),
}

impl<T> Clone for Bucket<T> {
    fn clone(&self) -> Self {
        match self {
            Bucket::One(s) => Bucket::One(s.clone()),
            Bucket::Many(v) => Bucket::Many(v.clone()),
        }
    }
}

impl<T> Bucket<T> {
    fn as_slice(&self) -> &[Slot<T>] {
        match self {
            Bucket::One(s) => std::slice::from_ref(s),
            Bucket::Many(v) => v,
        }
    }

    fn push(&mut self, slot: Slot<T>) {
        match self {
            Bucket::Many(v) => v.push(slot),
            Bucket::One(first) => {
                let first = first.clone();
                *self = Bucket::Many(vec![first, slot]);
            }
        }
    }

    /// Removes the slot of `key`; returns whether the bucket is now empty.
    fn remove(&mut self, key: &str) -> bool {
        match self {
            Bucket::One((k, _)) => &**k == key,
            Bucket::Many(v) => {
                v.retain(|(k, _)| &**k != key);
                v.is_empty()
            }
        }
    }
}

/// Where an unchanged entry's JSON is in the document it was loaded from.
pub(crate) type Span = std::ops::Range<usize>;

/// Entries of one kind, by map key, with secondary indexes. An entry loaded from a document
/// keeps the span of its JSON there, so it is written back by copying those bytes.
pub(crate) struct Section<T: 'static> {
    entries: HashMap<Arc<str>, (Arc<T>, Option<Span>), BuildKeyHasher>,
    indexers: &'static [Indexer<T>],
    indexes: Vec<HashMap<u64, Bucket<T>, BuildPassThrough>>,
    /// An index where an entry has several keys (access tokens: one per scope).
    multi: Option<MultiIndexer<T>>,
    multi_index: HashMap<u64, Bucket<T>, BuildPassThrough>,
}

impl<T: 'static> Clone for Section<T> {
    fn clone(&self) -> Self {
        Self {
            entries: self.entries.clone(),
            indexers: self.indexers,
            indexes: self.indexes.clone(),
            multi: self.multi,
            multi_index: self.multi_index.clone(),
        }
    }
}

impl<T: 'static> Section<T> {
    pub(crate) fn new(indexers: &'static [Indexer<T>]) -> Self {
        Self {
            entries: HashMap::default(),
            indexers,
            indexes: indexers.iter().map(|_| HashMap::default()).collect(),
            multi: None,
            multi_index: HashMap::default(),
        }
    }

    /// A section with the single-key `indexers` and one multi-key index.
    pub(crate) fn with_multi(indexers: &'static [Indexer<T>], multi: MultiIndexer<T>) -> Self {
        Self {
            multi: Some(multi),
            ..Self::new(indexers)
        }
    }

    /// The candidates of the multi-key index under `hash` (to be checked field by field;
    /// an entry may appear twice when two of its keys collide).
    pub(crate) fn multi_bucket(&self, hash: u64) -> &[Slot<T>] {
        self.multi_index.get(&hash).map_or(&[], Bucket::as_slice)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Arc<T>> {
        self.entries.get(key).map(|(e, _)| e)
    }

    /// Every entry with its key, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &Arc<T>)> {
        self.entries.iter().map(|(k, (e, _))| (k, e))
    }

    /// Makes room for `n` more entries in the map and every index.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
        for index in &mut self.indexes {
            index.reserve(n);
        }
        if self.multi.is_some() {
            self.multi_index.reserve(n);
        }
    }

    /// Every entry with its key and, when unchanged since loading, the span of its JSON.
    pub(crate) fn iter_spans(&self) -> impl Iterator<Item = (&Arc<str>, &Arc<T>, Option<&Span>)> {
        self.entries.iter().map(|(k, (e, s))| (k, e, s.as_ref()))
    }

    /// The candidates of index `index` under `hash` (to be checked field by field).
    pub(crate) fn bucket(&self, index: usize, hash: u64) -> &[Slot<T>] {
        self.indexes
            .get(index)
            .and_then(|m| m.get(&hash))
            .map_or(&[], Bucket::as_slice)
    }

    /// Stores `entry` under `key`, replacing (and unindexing) what was there.
    pub(crate) fn insert(&mut self, key: &str, entry: Arc<T>) -> Option<Arc<T>> {
        self.insert_loaded(key, entry, None)
    }

    /// [`insert`](Self::insert) of an entry read from the document at `span`.
    pub(crate) fn insert_loaded(
        &mut self,
        key: &str,
        entry: Arc<T>,
        span: Option<Span>,
    ) -> Option<Arc<T>> {
        let key: Arc<str> = Arc::from(key);
        // One probe of the entry map; a replaced entry is taken out of the indexes first.
        let old = self
            .entries
            .insert(key.clone(), (entry.clone(), span))
            .map(|(old, _)| old);
        if let Some(old) = &old {
            self.unindex(&key, old);
        }
        for (indexer, index) in self.indexers.iter().zip(self.indexes.iter_mut()) {
            if let Some(hash) = indexer(&entry) {
                let slot = (key.clone(), entry.clone());
                match index.entry(hash) {
                    Entry::Occupied(mut bucket) => bucket.get_mut().push(slot),
                    Entry::Vacant(vacant) => {
                        vacant.insert(Bucket::One(slot));
                    }
                }
            }
        }
        if let Some(multi) = self.multi {
            let index = &mut self.multi_index;
            multi(&entry, &mut |hash| {
                let slot = (key.clone(), entry.clone());
                match index.entry(hash) {
                    Entry::Occupied(mut bucket) => bucket.get_mut().push(slot),
                    Entry::Vacant(vacant) => {
                        vacant.insert(Bucket::One(slot));
                    }
                }
            });
        }
        old
    }

    /// Removes the entry under `key` from the map and every index.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Arc<T>> {
        let (_, (old, _)) = self.entries.remove_entry(key)?;
        self.unindex(key, &old);
        Some(old)
    }

    /// Removes the slots of `key` holding `entry`'s index keys.
    fn unindex(&mut self, key: &str, entry: &T) {
        for (indexer, index) in self.indexers.iter().zip(self.indexes.iter_mut()) {
            let Some(hash) = indexer(entry) else { continue };
            if index.get_mut(&hash).is_some_and(|b| b.remove(key)) {
                index.remove(&hash);
            }
        }
        if let Some(multi) = self.multi {
            let index = &mut self.multi_index;
            multi(entry, &mut |hash| {
                if index.get_mut(&hash).is_some_and(|b| b.remove(key)) {
                    index.remove(&hash);
                }
            });
        }
    }
}
