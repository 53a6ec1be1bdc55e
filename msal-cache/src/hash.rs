//! Index keys: a 64-bit hash of ASCII-lower-cased fields, computed without allocating.
//!
//! Buckets are verified field by field, so a collision costs a comparison, never a wrong hit.

use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0xcbf2_9ce4_8422_2325;
const K: u64 = 0x9e37_79b9_7f4a_7c15;
/// Setting bit 5 of every byte folds ASCII upper case onto lower case (and a few punctuation
/// pairs onto each other, which only costs a field comparison on a collision).
const FOLD: u64 = 0x2020_2020_2020_2020;

/// Hashes the parts case-insensitively, eight bytes at a time, with each part's length mixed
/// in so part boundaries count.
pub(crate) fn parts(parts: &[&str]) -> u64 {
    mix(fold(SEED, parts))
}

/// The key of `part` within the group whose key is `group` (a [`parts`] hash): one scope of
/// an access token partition. Case-insensitive like [`parts`].
pub(crate) fn within(group: u64, part: &str) -> u64 {
    mix(fold(group ^ K, &[part]))
}

fn fold(seed: u64, parts: &[&str]) -> u64 {
    let mut h = seed;
    for part in parts {
        let bytes = part.as_bytes();
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            h = step(h, u64::from_le_bytes(word) | FOLD);
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        if let Some(dst) = tail.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        h = step(h, u64::from_le_bytes(tail) | FOLD);
        h = step(h, bytes.len() as u64);
    }
    h
}

fn step(h: u64, word: u64) -> u64 {
    (h ^ word).wrapping_mul(K).rotate_left(29)
}

/// The murmur3 finaliser, so every bit of the key depends on every input byte.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The `BuildHasher` of index maps.
pub(crate) type BuildPassThrough = BuildHasherDefault<PassThrough>;

/// A fast hasher for map keys (long lower-case strings from cache files): the word-at-a-time
/// hash above. Equality of keys stays exact; only bucketing uses the hash.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let text = std::str::from_utf8(bytes).unwrap_or_default();
        self.0 ^= if text.len() == bytes.len() {
            parts(&[text])
        } else {
            bytes.len() as u64
        };
    }

    fn write_u8(&mut self, n: u8) {
        self.0 = self.0.rotate_left(8) ^ u64::from(n);
    }
}

/// The `BuildHasher` of entry maps.
pub(crate) type BuildKeyHasher = BuildHasherDefault<KeyHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_ignores_ascii_case_but_not_part_boundaries() {
        assert_eq!(parts(&["Ab", "c"]), parts(&["aB", "C"]));
        assert_ne!(parts(&["ab", "c"]), parts(&["a", "bc"]));
    }

    #[test]
    fn key_within_a_group_ignores_ascii_case_and_depends_on_the_group() {
        let group = parts(&["client", "realm"]);
        assert_eq!(within(group, "User.Read"), within(group, "user.read"));
        assert_ne!(within(group, "user.read"), within(group, "mail.read"));
        assert_ne!(
            within(group, "user.read"),
            within(parts(&["other"]), "user.read")
        );
    }
}
