//! The tolerant JSON pre-pass: a UTF-8 byte order mark and trailing commas are accepted.
//!
//! MSAL .NET parses caches with trailing commas allowed, and its test caches start with a BOM.
//! Rather than a second JSON parser, the input is cleaned (only when needed) and handed to
//! `serde_json`.

use std::borrow::Cow;

const BOM: &str = "\u{feff}";

/// Removes a leading BOM and every comma that is followed (after whitespace) by `}` or `]`,
/// outside strings. Returns the input unchanged (borrowed) when there is nothing to remove.
pub(crate) fn clean(text: &str) -> Cow<'_, str> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    match first_trailing_comma(text.as_bytes()) {
        None => Cow::Borrowed(text),
        Some(_) => Cow::Owned(remove_trailing_commas(text)),
    }
}

/// The byte offset of the first trailing comma outside strings, if any.
fn first_trailing_comma(bytes: &[u8]) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    let mut pending_comma: Option<usize> = None;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                pending_comma = None;
            }
            b',' => pending_comma = Some(i),
            b'}' | b']' => {
                if pending_comma.is_some() {
                    return pending_comma;
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => pending_comma = None,
        }
    }
    None
}

fn remove_trailing_commas(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = first_trailing_comma(rest.as_bytes()) {
        // `pos` is the offset of an ASCII comma, so both slices are on char boundaries.
        out.push_str(rest.get(..pos).unwrap_or_default());
        rest = rest.get(pos + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_json_is_borrowed_unchanged() {
        let text = r#"{"a": [1, 2], "b": "x,}"}"#;
        assert!(matches!(clean(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn trailing_commas_outside_strings_are_removed() {
        let text = "\u{feff}{\"a\": [1, 2,], \"b\": {\"c\": \"x,}\",\n },}";
        let cleaned = clean(text);
        let value: serde_json::Value = serde_json::from_str(&cleaned).unwrap();
        assert_eq!(value["a"], serde_json::json!([1, 2]));
        assert_eq!(value["b"]["c"], "x,}");
    }

    #[test]
    fn escaped_quotes_do_not_end_strings() {
        let text = r#"{"a": "q\",]", }"#;
        let value: serde_json::Value = serde_json::from_str(&clean(text)).unwrap();
        assert_eq!(value["a"], "q\",]");
    }
}
