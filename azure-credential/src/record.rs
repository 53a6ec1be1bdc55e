//! `AuthenticationRecord`: which account a user credential signed in, without any secret, in
//! azure-identity's JSON so records move between Python, .NET and Rust apps.

use std::fmt::Write as _;

use msal_core::{Error, ErrorKind, Result};
use msal_flows::AuthenticationResult;
use serde::{Deserialize, Serialize};

/// The only record version azure-identity writes and reads.
pub const RECORD_VERSION: &str = "1.0";

/// The account a user credential signed in: enough to find it again in a persistent cache
/// and sign in silently. It holds no token and no password.
///
/// ```
/// use azure_credential::AuthenticationRecord;
///
/// let json = r#"{"authority": "login.microsoftonline.com", "clientId": "c", "homeAccountId": "u.t", "tenantId": "t", "username": "a@contoso.com", "version": "1.0"}"#;
/// let record = AuthenticationRecord::deserialize(json)?;
/// assert_eq!(record.username, "a@contoso.com");
/// assert_eq!(record.serialize(), json);
/// # Ok::<(), msal_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuthenticationRecord {
    /// The authority host the account signed in with (`login.microsoftonline.com`, or
    /// `host:port`).
    pub authority: String,
    /// The application (client) id.
    pub client_id: String,
    /// `{uid}.{utid}`: the account's key in the token cache.
    pub home_account_id: String,
    /// The tenant the account signed in to.
    pub tenant_id: String,
    /// The username (UPN or email).
    pub username: String,
    /// The record format version, `1.0` (absent in .NET's records; read as `1.0`).
    #[serde(default = "default_version")]
    pub version: String,
}

fn default_version() -> String {
    RECORD_VERSION.to_owned()
}

impl AuthenticationRecord {
    /// A record of version `1.0`.
    pub fn new(
        authority: impl Into<String>,
        client_id: impl Into<String>,
        home_account_id: impl Into<String>,
        tenant_id: impl Into<String>,
        username: impl Into<String>,
    ) -> Self {
        Self {
            authority: authority.into(),
            client_id: client_id.into(),
            home_account_id: home_account_id.into(),
            tenant_id: tenant_id.into(),
            username: username.into(),
            version: default_version(),
        }
    }

    /// Reads a record written by azure-identity (Python, JS, Java) or Azure.Identity (.NET,
    /// without `version`). Errors: [`ErrorKind::InvalidArgument`] for malformed JSON, a
    /// missing member or a version other than `1.0`.
    pub fn deserialize(json: &str) -> Result<Self> {
        let record: Self = serde_json::from_str(json).map_err(|e| {
            Error::with_source(
                ErrorKind::InvalidArgument,
                "the authentication record is not valid JSON of the expected shape",
                e,
            )
        })?;
        if record.version != RECORD_VERSION {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "unsupported authentication record version {:?} (supported: {RECORD_VERSION})",
                    record.version
                ),
            ));
        }
        Ok(record)
    }

    /// The record as azure-identity (Python) writes it: the same members in the same order,
    /// `", "` and `": "` separators, non-ASCII escaped, so Python reads it back unchanged.
    pub fn serialize(&self) -> String {
        let members = [
            ("authority", &self.authority),
            ("clientId", &self.client_id),
            ("homeAccountId", &self.home_account_id),
            ("tenantId", &self.tenant_id),
            ("username", &self.username),
            ("version", &self.version),
        ];
        let mut out = String::from("{");
        for (i, (name, value)) in members.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "\"{name}\": ");
            python_string(&mut out, value);
        }
        out.push('}');
        out
    }

    /// The record of a sign-in: the issuer's host, the token's audience, the account's key,
    /// the tenant and the username, as azure-identity builds it.
    pub(crate) fn from_result(result: &AuthenticationResult, client_id: &str) -> Result<Self> {
        let missing = |what: &str| {
            Error::new(
                ErrorKind::MalformedResponse,
                format!(
                    "the sign-in answer has no {what}, so no authentication record can be made"
                ),
            )
        };
        let account = result.account.as_ref().ok_or_else(|| missing("account"))?;
        let claims = result.id_token_claims.as_ref();
        let authority = claims
            .and_then(|c| c.iss.as_deref())
            .and_then(|iss| url::Url::parse(iss).ok())
            .and_then(|u| {
                u.host_str()
                    .map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
            })
            .unwrap_or_else(|| account.environment.clone());
        let tenant_id = claims
            .and_then(|c| c.tid.clone())
            .or_else(|| result.tenant_id.clone())
            .or_else(|| account.tenant_id.clone())
            .ok_or_else(|| missing("tenant id"))?;
        let username = claims
            .and_then(|c| c.username().map(str::to_owned))
            .or_else(|| account.username.clone())
            .ok_or_else(|| missing("username"))?;
        let client_id = claims
            .and_then(|c| c.aud.first().cloned())
            .unwrap_or_else(|| client_id.to_owned());
        Ok(Self::new(
            authority,
            client_id,
            account.home_account_id.clone(),
            tenant_id,
            username,
        ))
    }
}

/// Appends `value` as Python's `json.dumps` (with `ensure_ascii`) writes a string.
fn python_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written by azure-identity 1.27 (`record.serialize()`).
    const PYTHON: &str = r#"{"authority": "login.microsoftonline.com", "clientId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "homeAccountId": "00000000-0000-0000-0000-00000000a11c.aaaabbbb-0000-cccc-1111-dddd2222eeee", "tenantId": "aaaabbbb-0000-cccc-1111-dddd2222eeee", "username": "alice@managed.test", "version": "1.0"}"#;

    /// Written by Azure.Identity (.NET): another member order, no version.
    const DOTNET: &str = r#"{"username":"alice@managed.test","authority":"login.microsoftonline.com","homeAccountId":"00000000-0000-0000-0000-00000000a11c.aaaabbbb-0000-cccc-1111-dddd2222eeee","tenantId":"aaaabbbb-0000-cccc-1111-dddd2222eeee","clientId":"04b07795-8ddb-461a-bbee-02f9e1bf7b46"}"#;

    #[test]
    fn python_record_round_trips_byte_for_byte() {
        let record = AuthenticationRecord::deserialize(PYTHON).unwrap();
        assert_eq!(record.client_id, "04b07795-8ddb-461a-bbee-02f9e1bf7b46");
        assert_eq!(record.serialize(), PYTHON);
    }

    #[test]
    fn dotnet_record_without_version_reads_as_version_1() {
        let record = AuthenticationRecord::deserialize(DOTNET).unwrap();
        assert_eq!(record, AuthenticationRecord::deserialize(PYTHON).unwrap());
        assert_eq!(record.serialize(), PYTHON);
    }

    #[test]
    fn unknown_version_and_missing_members_are_refused() {
        let v2 = PYTHON.replace("\"1.0\"", "\"2.0\"");
        let err = AuthenticationRecord::deserialize(&v2).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        let err = AuthenticationRecord::deserialize(r#"{"authority": "x"}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn non_ascii_is_escaped_as_python_does() {
        let record = AuthenticationRecord::new("h", "c", "u.t", "t", "zoë\"😀\u{7f}");
        let json = record.serialize();
        assert!(
            json.contains(r#""username": "zo\u00eb\"\ud83d\ude00\u007f""#),
            "{json}"
        );
        assert_eq!(AuthenticationRecord::deserialize(&json).unwrap(), record);
    }
}
