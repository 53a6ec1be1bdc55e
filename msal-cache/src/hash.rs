//! Index keys: a 64-bit hash of ASCII-lower-cased fields, computed without allocating.
//!
//! Buckets are verified field by field, so a collision costs a comparison, never a wrong hit.

use std::hash::{BuildHasherDefault, Hasher};

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// Hashes the parts case-insensitively, with a separator between parts.
pub(crate) fn parts(parts: &[&str]) -> u64 {
    let mut h = OFFSET;
    for part in parts {
        for &b in part.as_bytes() {
            h ^= u64::from(b.to_ascii_lowercase());
            h = h.wrapping_mul(PRIME);
        }
        h ^= 0xff;
        h = h.wrapping_mul(PRIME);
    }
    mix(h)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_ignores_ascii_case_but_not_part_boundaries() {
        assert_eq!(parts(&["Ab", "c"]), parts(&["aB", "C"]));
        assert_ne!(parts(&["ab", "c"]), parts(&["a", "bc"]));
    }
}
