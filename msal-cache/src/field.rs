//! Field types that keep exactly what a cache file said: absent, `null`, or a value.
//!
//! Every MSAL writes scalars as JSON strings, but files in the wild also hold `null`
//! (MSAL Python's app-only `home_account_id`, MSAL Java's `family_id`) and numbers (early MSAL
//! Python wrote float times). Reading treats `null` as absent; writing gives back what was read,
//! so a load and save changes nothing.

use std::fmt;

use msal_core::Secret;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// An optional string field of a cache entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Text {
    /// The member is not in the entry.
    #[default]
    Absent,
    /// The member is present with the value `null` (read as absent).
    Null,
    /// The member has this value.
    Value(String),
}

impl Text {
    /// The value, when the member has one (`null` and absent give `None`).
    pub fn get(&self) -> Option<&str> {
        match self {
            Text::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value, or the empty string when the member is absent or `null`.
    pub fn or_empty(&self) -> &str {
        self.get().unwrap_or("")
    }

    /// Whether the member is absent (not written back).
    pub fn is_absent(&self) -> bool {
        matches!(self, Text::Absent)
    }

    /// A field holding `value`, or absent when `value` is `None`.
    pub fn from_option(value: Option<String>) -> Self {
        value.map_or(Text::Absent, Text::Value)
    }
}

impl From<String> for Text {
    fn from(value: String) -> Self {
        Text::Value(value)
    }
}

impl From<&str> for Text {
    fn from(value: &str) -> Self {
        Text::Value(value.to_owned())
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Text::Value(v) => serializer.serialize_str(v),
            _ => serializer.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<String>::deserialize(deserializer)?.map_or(Text::Null, Text::Value))
    }
}

/// An optional time field: Unix epoch seconds, written as a decimal string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Time {
    /// The member is not in the entry.
    #[default]
    Absent,
    /// The member is present with the value `null` (read as absent).
    Null,
    /// Seconds since the Unix epoch (negative values occur in ADFS caches).
    Value(i64),
}

impl Time {
    /// The seconds, when the member has a value.
    pub fn get(self) -> Option<i64> {
        match self {
            Time::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the member is absent (not written back).
    pub fn is_absent(&self) -> bool {
        matches!(self, Time::Absent)
    }
}

impl From<i64> for Time {
    fn from(value: i64) -> Self {
        Time::Value(value)
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Time::Value(v) => {
                let mut buf = [0u8; 24];
                serializer.serialize_str(format_int(*v, &mut buf))
            }
            _ => serializer.serialize_none(),
        }
    }
}

/// Formats `v` in decimal into `buf` without going through `fmt`.
pub(crate) fn format_int(v: i64, buf: &mut [u8; 24]) -> &str {
    let mut n = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(slot) = buf.get_mut(i) {
            // `n % 10` is below 10, so the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation)]
            let digit = (n % 10) as u8;
            *slot = b'0' + digit;
        }
        n /= 10;
        if n == 0 || i == 1 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        if let Some(slot) = buf.get_mut(i) {
            *slot = b'-';
        }
    }
    std::str::from_utf8(buf.get(i..).unwrap_or_default()).unwrap_or("0")
}

struct TimeVisitor;

impl<'de> Visitor<'de> for TimeVisitor {
    type Value = Time;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("seconds as a string or a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Time, E> {
        let v = v.trim();
        if let Ok(n) = v.parse::<i64>() {
            return Ok(Time::Value(n));
        }
        match v.parse::<f64>() {
            Ok(f) => self.visit_f64(f),
            Err(_) => Err(E::custom("a time is not a number")),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Time, E> {
        Ok(Time::Value(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Time, E> {
        i64::try_from(v)
            .map(Time::Value)
            .map_err(|_| E::custom("a time is out of range"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Time, E> {
        if v.is_finite() && v.abs() < 9.0e15 {
            // Early MSAL Python wrote fractional seconds; whole seconds are what every MSAL reads.
            #[allow(clippy::cast_possible_truncation)]
            Ok(Time::Value(v.floor() as i64))
        } else {
            Err(E::custom("a time is out of range"))
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<Time, E> {
        Ok(Time::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Time, E> {
        Ok(Time::Null)
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TimeVisitor)
    }
}

/// Reads `target` as a space-separated string or, as early MSAL Python wrote it, an array.
pub(crate) fn target<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Text, D::Error> {
    struct TargetVisitor;
    impl<'de> Visitor<'de> for TargetVisitor {
        type Value = Text;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("scopes as a string or an array of strings")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
            Ok(Text::Value(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
            Ok(Text::Value(v))
        }
        fn visit_none<E: de::Error>(self) -> Result<Text, E> {
            Ok(Text::Null)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
            Ok(Text::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
            let mut joined = String::new();
            while let Some(scope) = seq.next_element::<String>()? {
                if !joined.is_empty() {
                    joined.push(' ');
                }
                joined.push_str(&scope);
            }
            Ok(Text::Value(joined))
        }
    }
    deserializer.deserialize_any(TargetVisitor)
}

/// Writes a secret as its plain value: the one place a token leaves its wrapper on the way to
/// the cache file.
pub(crate) fn secret<S: Serializer>(value: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(value.expose())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Serialize)]
    struct Probe {
        #[serde(default, skip_serializing_if = "Time::is_absent")]
        t: Time,
        #[serde(default, skip_serializing_if = "Text::is_absent")]
        s: Text,
        #[serde(
            default,
            deserialize_with = "target",
            skip_serializing_if = "Text::is_absent"
        )]
        target: Text,
    }

    #[test]
    fn times_accept_strings_integers_and_floats_and_write_strings() {
        for (json, want) in [
            (r#"{"t": "123"}"#, 123),
            (r#"{"t": 123}"#, 123),
            (r#"{"t": 1548847834.0556107}"#, 1_548_847_834),
            (r#"{"t": "-5"}"#, -5),
        ] {
            let p: Probe = serde_json::from_str(json).unwrap();
            assert_eq!(p.t, Time::Value(want), "{json}");
        }
        let p: Probe = serde_json::from_str(r#"{"t": 7}"#).unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"t":"7"}"#);
        assert!(serde_json::from_str::<Probe>(r#"{"t": "soon"}"#).is_err());
        for v in [0i64, 9, 10, -1, 1_700_000_000, i64::MIN, i64::MAX] {
            let mut buf = [0u8; 24];
            assert_eq!(format_int(v, &mut buf), v.to_string());
        }
    }

    #[test]
    fn null_is_kept_apart_from_absent() {
        let p: Probe = serde_json::from_str(r#"{"s": null, "t": null}"#).unwrap();
        assert_eq!(p.s, Text::Null);
        assert_eq!(p.s.get(), None);
        assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"t":null,"s":null}"#);
        let p: Probe = serde_json::from_str("{}").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "{}");
    }

    #[test]
    fn target_accepts_an_array_of_scopes() {
        let p: Probe = serde_json::from_str(r#"{"target": ["a", "B"]}"#).unwrap();
        assert_eq!(p.target.get(), Some("a B"));
    }
}
