//! One section of the cache: entries by map key, plus hash indexes over their fields.

use std::collections::HashMap;
use std::sync::Arc;

use crate::hash::BuildPassThrough;

/// How an index derives its key from an entry (`None`: the entry is not in this index).
pub(crate) type Indexer<T> = fn(&T) -> Option<u64>;

/// An entry with the map key it is stored under.
pub(crate) type Slot<T> = (Arc<str>, Arc<T>);

/// Entries of one kind, by map key, with secondary indexes.
pub(crate) struct Section<T: 'static> {
    entries: HashMap<Arc<str>, Arc<T>>,
    indexers: &'static [Indexer<T>],
    indexes: Vec<HashMap<u64, Vec<Slot<T>>, BuildPassThrough>>,
}

impl<T: 'static> Clone for Section<T> {
    fn clone(&self) -> Self {
        Self {
            entries: self.entries.clone(),
            indexers: self.indexers,
            indexes: self.indexes.clone(),
        }
    }
}

impl<T: 'static> Section<T> {
    pub(crate) fn new(indexers: &'static [Indexer<T>]) -> Self {
        Self {
            entries: HashMap::new(),
            indexers,
            indexes: indexers.iter().map(|_| HashMap::default()).collect(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Arc<T>> {
        self.entries.get(key)
    }

    /// Every entry with its key, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &Arc<T>)> {
        self.entries.iter()
    }

    /// The candidates of index `index` under `hash` (to be checked field by field).
    pub(crate) fn bucket(&self, index: usize, hash: u64) -> &[Slot<T>] {
        self.indexes
            .get(index)
            .and_then(|m| m.get(&hash))
            .map_or(&[], Vec::as_slice)
    }

    /// Stores `entry` under `key`, replacing (and unindexing) what was there.
    pub(crate) fn insert(&mut self, key: &str, entry: Arc<T>) -> Option<Arc<T>> {
        let old = self.remove(key);
        let key: Arc<str> = Arc::from(key);
        for (indexer, index) in self.indexers.iter().zip(self.indexes.iter_mut()) {
            if let Some(hash) = indexer(&entry) {
                index
                    .entry(hash)
                    .or_default()
                    .push((key.clone(), entry.clone()));
            }
        }
        self.entries.insert(key, entry);
        old
    }

    /// Removes the entry under `key` from the map and every index.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Arc<T>> {
        let (_, old) = self.entries.remove_entry(key)?;
        for (indexer, index) in self.indexers.iter().zip(self.indexes.iter_mut()) {
            let Some(hash) = indexer(&old) else { continue };
            if let Some(bucket) = index.get_mut(&hash) {
                bucket.retain(|(k, _)| &**k != key);
                if bucket.is_empty() {
                    index.remove(&hash);
                }
            }
        }
        Some(old)
    }
}
