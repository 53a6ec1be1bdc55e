//! The text of a loaded cache document, kept so unchanged entries are written back by copying
//! their bytes. It holds secrets, so it is wiped when the last user drops it and never printed.

use zeroize::Zeroize;

/// A loaded document's text (after the BOM and any trailing commas were removed).
pub(crate) struct Source(String);

impl Source {
    pub(crate) fn new(text: String) -> Self {
        Self(text)
    }

    pub(crate) fn text(&self) -> &str {
        &self.0
    }

    /// The bytes of `span` (empty if the span is not in the text, which cannot happen for
    /// spans recorded while reading this text).
    pub(crate) fn bytes(&self, span: &std::ops::Range<usize>) -> &[u8] {
        self.0.as_bytes().get(span.clone()).unwrap_or_default()
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Source({} bytes)", self.0.len())
    }
}
