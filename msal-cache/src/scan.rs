//! A minimal JSON scanner for the cache document's structure.
//!
//! It finds where values start and end (strings by a vectorised search for `"` and `\`), so
//! the bulk of a cache file, the token secrets, is looked at once at memory speed. It does not
//! validate the inside of values it skips: every skipped value is either handed to `serde_json`
//! (which validates it) or copied verbatim from a document that parsed.

use std::borrow::Cow;

/// Nesting deeper than this is rejected (no recursion without bound on input).
const MAX_DEPTH: usize = 128;

/// Why a document could not be scanned; the offset is where the problem was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScanError {
    pub(crate) offset: usize,
    pub(crate) what: &'static str,
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.what, self.offset)
    }
}

impl std::error::Error for ScanError {}

pub(crate) type Scan<T> = std::result::Result<T, ScanError>;

/// A cursor over JSON text.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self { text, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn error(&self, what: &'static str) -> ScanError {
        ScanError {
            offset: self.pos,
            what,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// Skips whitespace; returns the next byte, if any.
    pub(crate) fn peek(&mut self) -> Option<u8> {
        let bytes = self.bytes();
        while let Some(&b) = bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Consumes `b` (after whitespace) or fails.
    pub(crate) fn expect(&mut self, b: u8, what: &'static str) -> Scan<()> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    /// Whether the input ends here (after whitespace).
    pub(crate) fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// How many bytes are left after the cursor.
    pub(crate) fn remaining(&self) -> usize {
        self.text.len().saturating_sub(self.pos)
    }

    /// The text between `start` and `end`.
    pub(crate) fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or_default()
    }

    /// Reads a string (at the cursor, after whitespace). Returns the text between the quotes
    /// and whether it contains escapes.
    pub(crate) fn raw_string(&mut self) -> Scan<(&'a str, bool)> {
        self.expect(b'"', "a string was expected")?;
        let start = self.pos;
        let bytes = self.bytes();
        let mut escaped = false;
        loop {
            let rest = bytes.get(self.pos..).unwrap_or_default();
            let Some(i) = memchr::memchr2(b'"', b'\\', rest) else {
                return Err(self.error("a string is not terminated"));
            };
            self.pos += i;
            if bytes.get(self.pos) == Some(&b'"') {
                let s = self.slice(start, self.pos);
                self.pos += 1;
                return Ok((s, escaped));
            }
            escaped = true;
            self.pos += 2;
        }
    }

    /// Reads a string and unescapes it when needed.
    pub(crate) fn string(&mut self) -> Scan<Cow<'a, str>> {
        let at = self.pos;
        let (s, escaped) = self.raw_string()?;
        if !escaped {
            return Ok(Cow::Borrowed(s));
        }
        let quoted = self.slice(at, self.pos);
        let quoted = quoted.trim_start();
        serde_json::from_str::<String>(quoted)
            .map(Cow::Owned)
            .map_err(|_| ScanError {
                offset: at,
                what: "a string has an invalid escape",
            })
    }

    /// Skips one value; returns where it started and ended.
    pub(crate) fn skip_value(&mut self) -> Scan<(usize, usize)> {
        self.peek();
        let start = self.pos;
        self.skip(0)?;
        Ok((start, self.pos))
    }

    fn skip(&mut self, depth: usize) -> Scan<()> {
        if depth > MAX_DEPTH {
            return Err(self.error("the JSON nests too deeply"));
        }
        match self.peek() {
            Some(b'"') => self.raw_string().map(|_| ()),
            Some(b'{') => {
                self.pos += 1;
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.raw_string()?;
                    self.expect(b':', "':' was expected")?;
                    self.skip(depth + 1)?;
                    if !self.comma_or_end(b'}')? {
                        return Ok(());
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip(depth + 1)?;
                    if !self.comma_or_end(b']')? {
                        return Ok(());
                    }
                }
            }
            Some(b) if b == b'-' || b.is_ascii_alphanumeric() => {
                let bytes = self.bytes();
                while bytes
                    .get(self.pos)
                    .is_some_and(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
                {
                    self.pos += 1;
                }
                Ok(())
            }
            _ => Err(self.error("a value was expected")),
        }
    }

    /// After a member or element: `true` after a comma (more follow), `false` after `close`.
    pub(crate) fn comma_or_end(&mut self, close: u8) -> Scan<bool> {
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.error("',' or the end of an object or array was expected")),
        }
    }

    /// Opens an object: consumes `{`; returns `false` when it is empty (`}` consumed too).
    pub(crate) fn open_object(&mut self) -> Scan<bool> {
        self.expect(b'{', "an object was expected")?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(false);
        }
        Ok(true)
    }

    /// Reads a member name and the `:` after it.
    pub(crate) fn member_name(&mut self) -> Scan<Cow<'a, str>> {
        let name = self.string()?;
        self.expect(b':', "':' was expected")?;
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_with_escapes_are_unescaped_and_plain_ones_borrowed() {
        let mut s = Scanner::new(r#" "plain" "a\"b\\c\u00e9" "#);
        assert!(matches!(s.string().unwrap(), Cow::Borrowed("plain")));
        assert_eq!(s.string().unwrap(), "a\"b\\c\u{e9}");
        assert!(s.at_end());
    }

    #[test]
    fn values_are_skipped_whole() {
        let text = r#"{"a": [1, {"b": "x}\"]"}, null, -2.5e3], "c": true} rest"#;
        let mut s = Scanner::new(text);
        let (start, end) = s.skip_value().unwrap();
        assert_eq!(&text[start..end], &text[..text.len() - 5]);
    }

    #[test]
    fn truncated_and_malformed_input_is_an_error() {
        for text in [r#"{"a": "x"#, r#"{"a" 1}"#, "[1 2]", "{", "", r#""\"#] {
            assert!(Scanner::new(text).skip_value().is_err(), "{text}");
        }
        let deep = "[".repeat(MAX_DEPTH + 5);
        assert!(Scanner::new(&deep).skip_value().is_err());
    }
}
