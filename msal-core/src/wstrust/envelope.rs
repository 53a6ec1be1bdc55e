//! The WS-Trust issue request (RST): a SOAP 1.2 envelope carrying the user's name and
//! password in a WS-Security username token.

use std::fmt;

use time::OffsetDateTime;
use time::macros::format_description;
use uuid::Uuid;

use super::{WsTrustEndpoint, ns, push_escaped};
use crate::Secret;
use crate::http::{HttpRequest, Method};

/// How long the identity provider may accept the request after it was made.
const VALIDITY: time::Duration = time::Duration::minutes(10);

/// The content type of a SOAP 1.2 request.
pub const SOAP_CONTENT_TYPE: &str = "application/soap+xml; charset=utf-8";

/// A WS-Trust request for a SAML token, for one user at one endpoint.
///
/// `Debug` never shows the password. The envelope text exists only inside the
/// [`HttpRequest`] built by [`to_request`](Self::to_request).
///
/// ```
/// use msal_core::Secret;
/// use msal_core::wstrust::{RstEnvelope, WsTrustEndpoint};
///
/// let endpoint = WsTrustEndpoint::from_active_auth_url(
///     "https://sts.contoso.com/adfs/services/trust/13/usernamemixed",
/// )?;
/// let envelope = RstEnvelope::new(endpoint, "user@contoso.com", &Secret::new("p@ss"), None);
/// assert!(!format!("{envelope:?}").contains("p@ss"));
/// let request = envelope.to_request();
/// assert_eq!(
///     request.header_value("SOAPAction"),
///     Some("http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue")
/// );
/// # Ok::<(), msal_core::Error>(())
/// ```
#[derive(Clone)]
pub struct RstEnvelope {
    endpoint: WsTrustEndpoint,
    username: String,
    password: Secret,
    cloud_audience_urn: String,
    message_id: Uuid,
    created: OffsetDateTime,
}

impl RstEnvelope {
    /// A request made now, with a fresh message id. `cloud_audience_urn` is the audience that
    /// user realm discovery named; `None` or an empty value means
    /// [`DEFAULT_CLOUD_AUDIENCE_URN`](super::DEFAULT_CLOUD_AUDIENCE_URN).
    pub fn new(
        endpoint: WsTrustEndpoint,
        username: impl Into<String>,
        password: &Secret,
        cloud_audience_urn: Option<&str>,
    ) -> Self {
        let audience = cloud_audience_urn
            .filter(|urn| !urn.is_empty())
            .unwrap_or(super::DEFAULT_CLOUD_AUDIENCE_URN);
        Self {
            endpoint,
            username: username.into(),
            password: password.clone(),
            cloud_audience_urn: audience.to_owned(),
            message_id: Uuid::new_v4(),
            created: OffsetDateTime::now_utc(),
        }
    }

    /// Sets the creation time of the security timestamp (for reproducible requests).
    #[must_use]
    pub fn created_at(mut self, created: OffsetDateTime) -> Self {
        self.created = created;
        self
    }

    /// Sets the `wsa:MessageID` (for reproducible requests).
    #[must_use]
    pub fn with_message_id(mut self, id: Uuid) -> Self {
        self.message_id = id;
        self
    }

    /// The endpoint the request is for.
    pub fn endpoint(&self) -> &WsTrustEndpoint {
        &self.endpoint
    }

    /// The `POST` to the endpoint: the envelope as body, with the `SOAPAction` and SOAP 1.2
    /// `Content-Type` headers.
    pub fn to_request(&self) -> HttpRequest {
        HttpRequest {
            method: Method::Post,
            url: self.endpoint.url.clone(),
            headers: vec![
                ("Content-Type".to_owned(), SOAP_CONTENT_TYPE.to_owned()),
                (
                    "SOAPAction".to_owned(),
                    self.endpoint.version.soap_action().to_owned(),
                ),
            ],
            body: self.body(),
        }
    }

    /// The envelope text. Sized up front so that the buffer holding the password is never
    /// reallocated (which would leave copies behind in freed memory).
    pub(crate) fn body(&self) -> Vec<u8> {
        let version = self.endpoint.version;
        let values = [
            self.endpoint.url.as_str(),
            self.username.as_str(),
            self.password.expose(),
            self.cloud_audience_urn.as_str(),
        ];
        // Escaping grows a character at most six-fold (`'` becomes `&apos;`).
        let capacity = 2048 + 6 * values.iter().map(|v| v.len()).sum::<usize>();
        let mut xml = String::with_capacity(capacity);
        let initial_capacity = xml.capacity();
        let mut push = |parts: &[&str]| parts.iter().for_each(|p| xml.push_str(p));

        push(&[
            r#"<s:Envelope xmlns:s=""#,
            ns::SOAP12_ENV,
            r#"" xmlns:wsa=""#,
            ns::WSA10,
            r#"" xmlns:wsu=""#,
            ns::WSU,
            r#""><s:Header><wsa:Action s:mustUnderstand="1">"#,
            version.soap_action(),
            "</wsa:Action><wsa:MessageID>urn:uuid:",
            &self.message_id.hyphenated().to_string(),
            "</wsa:MessageID><wsa:ReplyTo><wsa:Address>",
            "http://www.w3.org/2005/08/addressing/anonymous",
            r#"</wsa:Address></wsa:ReplyTo><wsa:To s:mustUnderstand="1">"#,
        ]);
        push_escaped(&mut xml, self.endpoint.url.as_str());
        xml.push_str("</wsa:To>");
        self.push_security(&mut xml);
        xml.push_str("</s:Header><s:Body><wst:RequestSecurityToken xmlns:wst=\"");
        xml.push_str(version.namespace());
        xml.push_str("\"><wsp:AppliesTo xmlns:wsp=\"");
        xml.push_str(ns::WSP);
        xml.push_str("\"><wsa:EndpointReference><wsa:Address>");
        push_escaped(&mut xml, &self.cloud_audience_urn);
        xml.push_str("</wsa:Address></wsa:EndpointReference></wsp:AppliesTo><wst:KeyType>");
        xml.push_str(version.key_type());
        xml.push_str("</wst:KeyType><wst:RequestType>");
        xml.push_str(version.request_type());
        xml.push_str("</wst:RequestType></wst:RequestSecurityToken></s:Body></s:Envelope>");
        debug_assert_eq!(xml.capacity(), initial_capacity, "the envelope buffer grew");
        xml.into_bytes()
    }

    /// Appends the `wsse:Security` header: timestamp and username token.
    fn push_security(&self, xml: &mut String) {
        xml.push_str(r#"<wsse:Security s:mustUnderstand="1" xmlns:wsse=""#);
        xml.push_str(ns::WSSE);
        xml.push_str(r#""><wsu:Timestamp wsu:Id="_0"><wsu:Created>"#);
        xml.push_str(&timestamp(self.created));
        xml.push_str("</wsu:Created><wsu:Expires>");
        let expires = self.created.checked_add(VALIDITY).unwrap_or(self.created);
        xml.push_str(&timestamp(expires));
        xml.push_str(r#"</wsu:Expires></wsu:Timestamp><wsse:UsernameToken wsu:Id="ADALUsernameToken"><wsse:Username>"#);
        push_escaped(xml, &self.username);
        xml.push_str("</wsse:Username><wsse:Password>");
        push_escaped(xml, self.password.expose());
        xml.push_str("</wsse:Password></wsse:UsernameToken></wsse:Security>");
    }
}

/// A UTC time as WS-Security writes it: `2026-11-22T01:49:37Z`.
fn timestamp(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    // Formatting a UTC time with only numeric components cannot fail; fall back to RFC 3339
    // rather than panic if it ever did.
    let utc = at.to_offset(time::UtcOffset::UTC);
    utc.format(format)
        .or_else(|_| utc.format(&time::format_description::well_known::Rfc3339))
        .unwrap_or_default()
}

impl fmt::Debug for RstEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RstEnvelope")
            .field("endpoint", &self.endpoint.url.as_str())
            .field("version", &self.endpoint.version)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("cloud_audience_urn", &self.cloud_audience_urn)
            .field("message_id", &self.message_id)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wstrust::{WsTrustVersion, fixtures};
    use time::macros::datetime;

    const TRICKY: &str = r#"p<a&s>s"w'o]]>rd"#;

    fn endpoint(version: WsTrustVersion) -> WsTrustEndpoint {
        let path = match version {
            WsTrustVersion::WsTrust13 => "13",
            WsTrustVersion::WsTrust2005 => "2005",
        };
        WsTrustEndpoint {
            url: format!("https://127.0.0.1:8443/adfs/services/trust/{path}/usernamemixed")
                .parse()
                .unwrap(),
            version,
        }
    }

    fn envelope(version: WsTrustVersion, username: &str, password: &str) -> RstEnvelope {
        RstEnvelope::new(endpoint(version), username, &Secret::new(password), None)
            .created_at(datetime!(2026-11-22 01:49:37 UTC))
            .with_message_id(Uuid::nil())
    }

    fn text_at(doc: &roxmltree::Document<'_>, namespace: &str, name: &str) -> String {
        doc.descendants()
            .find(|n| n.has_tag_name((namespace, name)))
            .unwrap_or_else(|| panic!("no {name}"))
            .text()
            .unwrap_or_default()
            .to_owned()
    }

    /// The element tree as (namespace, local name, depth), in document order.
    fn structure(doc: &roxmltree::Document<'_>) -> Vec<(String, String, usize)> {
        doc.descendants()
            .filter(|n| n.is_element())
            .map(|n| {
                let name = n.tag_name();
                (
                    name.namespace().unwrap_or_default().to_owned(),
                    name.name().to_owned(),
                    n.ancestors().count(),
                )
            })
            .collect()
    }

    #[test]
    fn envelope_values_round_trip_through_an_xml_parser() {
        for version in [WsTrustVersion::WsTrust13, WsTrustVersion::WsTrust2005] {
            let body = envelope(version, "o'brien&co<x>@contoso.com", TRICKY).body();
            let text = String::from_utf8(body).unwrap();
            let doc = roxmltree::Document::parse(&text).unwrap();
            assert_eq!(text_at(&doc, ns::WSA10, "Action"), version.soap_action());
            assert_eq!(
                text_at(&doc, ns::WSA10, "MessageID"),
                "urn:uuid:00000000-0000-0000-0000-000000000000"
            );
            assert_eq!(
                text_at(&doc, ns::WSA10, "To"),
                endpoint(version).url.as_str()
            );
            assert_eq!(
                text_at(&doc, ns::WSSE, "Username"),
                "o'brien&co<x>@contoso.com"
            );
            assert_eq!(text_at(&doc, ns::WSSE, "Password"), TRICKY);
            assert_eq!(text_at(&doc, ns::WSU, "Created"), "2026-11-22T01:49:37Z");
            assert_eq!(text_at(&doc, ns::WSU, "Expires"), "2026-11-22T01:59:37Z");
            assert_eq!(
                text_at(&doc, version.namespace(), "KeyType"),
                version.key_type()
            );
            assert_eq!(
                text_at(&doc, version.namespace(), "RequestType"),
                version.request_type()
            );
            let applies_to = doc
                .descendants()
                .find(|n| n.has_tag_name((ns::WSP, "AppliesTo")))
                .unwrap();
            let address = applies_to
                .descendants()
                .find(|n| n.has_tag_name((ns::WSA10, "Address")))
                .unwrap();
            assert_eq!(address.text(), Some("urn:federation:MicrosoftOnline"));
            assert!(!text.contains(TRICKY), "the password must be escaped");
        }
    }

    #[test]
    fn custom_cloud_audience_is_used_and_escaped() {
        let body = RstEnvelope::new(
            endpoint(WsTrustVersion::WsTrust13),
            "u",
            &Secret::new("p"),
            Some("urn:federation:<usgov>"),
        )
        .body();
        let text = String::from_utf8(body).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap();
        let addresses: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name((ns::WSA10, "Address")))
            .filter_map(|n| n.text())
            .collect();
        assert!(addresses.contains(&"urn:federation:<usgov>"));
    }

    #[test]
    fn element_structure_matches_what_msal_python_sent() {
        for (recording, path, version) in [
            (
                "msal_ropc_federated",
                "/trust/13/usernamemixed",
                WsTrustVersion::WsTrust13,
            ),
            (
                "msal_ropc_federated_wstrust2005",
                "/trust/2005/usernamemixed",
                WsTrustVersion::WsTrust2005,
            ),
        ] {
            let sent = fixtures::exchange(recording, "POST", path);
            let theirs = roxmltree::Document::parse(&sent.body).unwrap();
            let ours_text = String::from_utf8(envelope(version, "bob", "pw").body()).unwrap();
            let ours = roxmltree::Document::parse(&ours_text).unwrap();
            assert_eq!(structure(&ours), structure(&theirs), "{recording}");
            // Same mustUnderstand marks and ids on the same elements.
            let marked = |doc: &roxmltree::Document<'_>| {
                doc.descendants()
                    .filter_map(|n| {
                        let must = n.attribute((ns::SOAP12_ENV, "mustUnderstand"))?;
                        Some((n.tag_name().name().to_owned(), must.to_owned()))
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(marked(&ours), marked(&theirs));
            let ids = |doc: &roxmltree::Document<'_>| {
                doc.descendants()
                    .filter_map(|n| n.attribute((ns::WSU, "Id")).map(str::to_owned))
                    .collect::<Vec<_>>()
            };
            assert_eq!(ids(&ours), ids(&theirs));
            // And the same header values as the recorded request.
            let request = envelope(version, "bob", "pw").to_request();
            assert_eq!(
                request.header_value("SOAPAction"),
                sent.headers["SOAPAction"].as_str()
            );
            assert_eq!(
                request.header_value("Content-Type"),
                sent.headers["Content-type"].as_str()
            );
        }
    }

    #[test]
    fn request_posts_the_envelope_to_the_endpoint() {
        let request = envelope(WsTrustVersion::WsTrust2005, "bob", "pw").to_request();
        assert_eq!(request.method, crate::http::Method::Post);
        assert_eq!(request.url, endpoint(WsTrustVersion::WsTrust2005).url);
        assert_eq!(
            request.header_value("SOAPAction"),
            Some("http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue")
        );
        assert!(request.body.starts_with(b"<s:Envelope"));
    }

    #[test]
    fn worst_case_escaping_fits_the_preallocated_buffer() {
        // The body's debug assertion fails if the buffer holding the password was reallocated.
        let quotes = "'".repeat(5000);
        let body = envelope(WsTrustVersion::WsTrust13, &quotes, &quotes).body();
        let text = String::from_utf8(body).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert_eq!(text_at(&doc, ns::WSSE, "Password"), quotes);
    }

    #[test]
    fn debug_never_shows_the_password() {
        let envelope = envelope(WsTrustVersion::WsTrust13, "bob", "hunter2-secret");
        let debug = format!("{envelope:?} {:?}", envelope.to_request());
        assert!(!debug.contains("hunter2-secret"), "{debug}");
        assert!(debug.contains("bob"));
    }

    #[test]
    fn timestamps_are_utc_even_from_an_offset_time() {
        let t = datetime!(2026-11-22 03:49:37 +02:00);
        assert_eq!(timestamp(t), "2026-11-22T01:49:37Z");
    }
}
