//! Small XML helpers shared by the federation modules: escaping, exclusive canonicalization
//! (without comments) of a parsed element, namespace-aware child lookup and xs:dateTime
//! formatting.

use roxmltree::{Node, NodeId, NodeType};
use std::collections::BTreeMap;
use std::time::SystemTime;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Deepest element nesting the canonicalizer accepts (our assertions nest 6 levels).
const MAX_DEPTH: usize = 32;

/// Escapes a value for use in element content or in a double- or single-quoted attribute of
/// a document we write by hand (not canonical form).
pub(crate) fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text content the way canonical XML writes it.
pub(crate) fn c14n_text(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}

/// Escapes an attribute value the way canonical XML writes it (inside double quotes).
pub(crate) fn c14n_attr(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}

/// Exclusive XML canonicalization (`http://www.w3.org/2001/10/xml-exc-c14n#`, no comments,
/// no InclusiveNamespaces prefix list) of `element`, leaving out the subtree `skip` (the
/// enveloped-signature transform). Processing instructions are refused.
pub(crate) fn canonicalize(element: Node<'_, '_>, skip: Option<NodeId>) -> Result<String, String> {
    let mut out = String::new();
    write_element(element, skip, &BTreeMap::new(), 0, &mut out)?;
    Ok(out)
}

fn write_element(
    node: Node<'_, '_>,
    skip: Option<NodeId>,
    rendered: &BTreeMap<String, String>,
    depth: usize,
    out: &mut String,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("the XML is nested too deeply".to_owned());
    }
    let qname = element_qname(node).ok_or("cannot read an element name")?;
    let prefix = qname.split_once(':').map_or("", |(p, _)| p);
    // Namespaces visibly used by this element and its attributes, sorted by prefix
    // ("" = default namespace sorts first, as canonical XML wants).
    let mut used: BTreeMap<&str, &str> = BTreeMap::new();
    used.insert(prefix, node.tag_name().namespace().unwrap_or(""));
    let mut attrs = Vec::new();
    for attr in node.attributes() {
        let attr_qname = node
            .document()
            .input_text()
            .get(attr.range_qname())
            .ok_or("cannot read an attribute name")?;
        if let Some((attr_prefix, _)) = attr_qname.split_once(':')
            && attr_prefix != "xml"
        {
            used.insert(attr_prefix, attr.namespace().unwrap_or(""));
        }
        attrs.push((
            attr.namespace().unwrap_or(""),
            attr.name(),
            attr_qname,
            attr.value(),
        ));
    }
    attrs.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));

    let mut scope = rendered.clone();
    out.push('<');
    out.push_str(qname);
    for (ns_prefix, uri) in used {
        let current = scope.get(ns_prefix).map_or("", String::as_str);
        if current == uri {
            continue;
        }
        if ns_prefix.is_empty() {
            out.push_str(" xmlns=\"");
        } else {
            out.push_str(" xmlns:");
            out.push_str(ns_prefix);
            out.push_str("=\"");
        }
        c14n_attr(uri, out);
        out.push('"');
        scope.insert(ns_prefix.to_owned(), uri.to_owned());
    }
    for (_, _, attr_qname, value) in attrs {
        out.push(' ');
        out.push_str(attr_qname);
        out.push_str("=\"");
        c14n_attr(value, out);
        out.push('"');
    }
    out.push('>');
    for child in node.children() {
        if Some(child.id()) == skip {
            continue;
        }
        match child.node_type() {
            NodeType::Element => write_element(child, skip, &scope, depth + 1, out)?,
            NodeType::Text => c14n_text(child.text().unwrap_or(""), out),
            NodeType::Comment => {}
            NodeType::PI | NodeType::Root => {
                return Err("processing instructions are not supported".to_owned());
            }
        }
    }
    out.push_str("</");
    out.push_str(qname);
    out.push('>');
    Ok(())
}

/// The element's qualified name exactly as written in the source (roxmltree keeps only the
/// namespace URI, but canonical form needs the prefix).
fn element_qname<'a>(node: Node<'_, 'a>) -> Option<&'a str> {
    let text: &'a str = node.document().input_text();
    let rest = text.get(node.range().start.checked_add(1)?..)?;
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(rest.len());
    rest.get(..end).filter(|name| !name.is_empty())
}

/// True when `node` is an element whose namespace is one of `namespaces` and whose local name
/// equals `local` ignoring ASCII case (clients differ in casing, e.g. `MessageID`/`messageID`).
pub(crate) fn is_element(node: Node<'_, '_>, namespaces: &[&str], local: &str) -> bool {
    node.is_element()
        && node.tag_name().name().eq_ignore_ascii_case(local)
        && namespaces.contains(&node.tag_name().namespace().unwrap_or(""))
}

/// The first child element matching [`is_element`].
pub(crate) fn child<'a, 'i>(
    node: Node<'a, 'i>,
    namespaces: &[&str],
    local: &str,
) -> Option<Node<'a, 'i>> {
    node.children().find(|c| is_element(*c, namespaces, local))
}

/// All child elements matching [`is_element`].
#[cfg(test)]
pub(crate) fn children<'a, 'i>(
    node: Node<'a, 'i>,
    namespaces: &'a [&'a str],
    local: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children()
        .filter(move |c| is_element(*c, namespaces, local))
}

/// The concatenated text content of an element with no child elements; `None` when it has
/// child elements.
pub(crate) fn simple_text(node: Node<'_, '_>) -> Option<String> {
    let mut text = String::new();
    for child in node.children() {
        match child.node_type() {
            NodeType::Text => text.push_str(child.text().unwrap_or("")),
            NodeType::Comment => {}
            _ => return None,
        }
    }
    Some(text)
}

/// Formats an instant as `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form ADFS writes.
pub(crate) fn format_instant(instant: SystemTime) -> String {
    let t = OffsetDateTime::from(instant);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Parses an xs:dateTime with a zone (`Z` or an offset), fractional seconds optional.
pub(crate) fn parse_instant(value: &str) -> Option<SystemTime> {
    OffsetDateTime::parse(value.trim(), &Rfc3339)
        .ok()
        .map(SystemTime::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn c14n_of(xml: &str) -> String {
        let doc = roxmltree::Document::parse(xml).unwrap();
        canonicalize(doc.root_element(), None).unwrap()
    }

    #[test]
    fn canonicalize_sorts_attributes_and_expands_empty_elements() {
        let got = c14n_of(r#"<a b='2' a="1"><c/></a>"#);
        assert_eq!(got, r#"<a a="1" b="2"><c></c></a>"#);
    }

    #[test]
    fn canonicalize_renders_only_visibly_used_namespaces_once() {
        let got = c14n_of(
            r#"<p:a xmlns:p="urn:p" xmlns:q="urn:q" xmlns:unused="urn:u"><p:b q:x="1"/><p:c/></p:a>"#,
        );
        assert_eq!(
            got,
            r#"<p:a xmlns:p="urn:p"><p:b xmlns:q="urn:q" q:x="1"></p:b><p:c></p:c></p:a>"#
        );
    }

    #[test]
    fn canonicalize_escapes_text_and_attributes_and_drops_comments() {
        let got = c14n_of("<a v='x&quot;&lt;&#10;'>1 &lt; 2 &amp; \"q\" <!-- c --></a>");
        assert_eq!(got, "<a v=\"x&quot;&lt;&#xA;\">1 &lt; 2 &amp; \"q\" </a>");
    }

    #[test]
    fn canonicalize_skips_the_given_subtree() {
        let doc = roxmltree::Document::parse("<a><b>1</b><sig>2</sig></a>").unwrap();
        let sig = doc.descendants().find(|n| n.has_tag_name("sig")).unwrap();
        let got = canonicalize(doc.root_element(), Some(sig.id())).unwrap();
        assert_eq!(got, "<a><b>1</b></a>");
    }

    #[test]
    fn canonicalize_refuses_processing_instructions_and_deep_nesting() {
        let doc = roxmltree::Document::parse("<a><?pi x?></a>").unwrap();
        assert!(canonicalize(doc.root_element(), None).is_err());
        let deep = format!("{}{}", "<a>".repeat(40), "</a>".repeat(40));
        let doc = roxmltree::Document::parse(&deep).unwrap();
        assert!(canonicalize(doc.root_element(), None).is_err());
    }

    #[test]
    fn escape_escapes_all_markup_characters() {
        assert_eq!(escape(r#"<a&'">"#), "&lt;a&amp;&apos;&quot;&gt;");
    }

    #[test]
    fn instants_format_with_milliseconds_and_parse_back() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_312_177_000);
        let text = format_instant(t);
        assert_eq!(text, "2026-11-22T01:49:37.000Z");
        assert_eq!(parse_instant(&text), Some(t));
        assert_eq!(parse_instant("2026-11-22T01:49:37Z"), Some(t));
        assert_eq!(parse_instant("yesterday"), None);
    }

    #[test]
    fn child_lookup_ignores_case_but_not_namespace() {
        let doc = roxmltree::Document::parse(
            r#"<r xmlns:a="urn:a" xmlns:b="urn:b"><b:x/><a:MessageId/></r>"#,
        )
        .unwrap();
        let root = doc.root_element();
        assert!(child(root, &["urn:a"], "messageID").is_some());
        assert!(child(root, &["urn:a"], "x").is_none());
    }
}
