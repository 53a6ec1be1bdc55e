//! The authorization endpoint (`GET {authority}/oauth2/v2.0/authorize`): the URL the browser
//! opens for the authorization code flow with PKCE.
//!
//! Parameters, in MSAL Python's order: `client_id`, `response_type=code`, `redirect_uri`,
//! `scope`, `state`, `code_challenge`, `code_challenge_method=S256`, `nonce`, `client_info=1`,
//! then `prompt`, `login_hint`, `domain_hint`, `claims`, `max_age`, `response_mode` when set,
//! then the caller's extra parameters. Like MSAL Python, a `login_hint` also adds the
//! `X-AnchorMailbox=UPN:{login_hint}` query parameter (a routing hint the service ignores
//! when it does not need it); [`AuthorizeParams::anchor_mailbox_hint`] turns that off.
//! Parameters already in the endpoint URL are kept.

use std::fmt;

use url::Url;

use crate::oauth2::Scopes;

/// The `prompt` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prompt {
    /// `none`: fail rather than show any page.
    None,
    /// `login`: ask for credentials even with a session.
    Login,
    /// `consent`: show the consent page.
    Consent,
    /// `select_account`: show the account picker.
    SelectAccount,
    /// `create`: offer sign-up.
    Create,
}

impl Prompt {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Prompt::None => "none",
            Prompt::Login => "login",
            Prompt::Consent => "consent",
            Prompt::SelectAccount => "select_account",
            Prompt::Create => "create",
        }
    }
}

/// The `response_mode` parameter: how the code comes back to the redirect URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseMode {
    /// `query`: in the redirect's query string (the default when not sent).
    Query,
    /// `fragment`: in the redirect's fragment.
    Fragment,
    /// `form_post`: in a POSTed form.
    FormPost,
}

impl ResponseMode {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseMode::Query => "query",
            ResponseMode::Fragment => "fragment",
            ResponseMode::FormPost => "form_post",
        }
    }
}

/// Everything that goes into an authorization URL.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizeParams {
    /// The tenant's `authorization_endpoint`.
    pub authorization_endpoint: Url,
    /// The application's client id.
    pub client_id: String,
    /// The redirect URI, exactly as the code redemption will send it.
    pub redirect_uri: String,
    /// The scopes, decorated for a user flow.
    pub scopes: Scopes,
    /// The `state` to check on the redirect.
    pub state: String,
    /// The PKCE `code_challenge` (S256 of the verifier, base64url without padding).
    pub code_challenge: String,
    /// The `nonce` (MSAL Python sends the hex SHA-256 of a random value).
    pub nonce: Option<String>,
    /// `prompt`.
    pub prompt: Option<Prompt>,
    /// `login_hint`: the user's UPN.
    pub login_hint: Option<String>,
    /// `domain_hint`: `consumers`, `organizations` or a domain.
    pub domain_hint: Option<String>,
    /// `claims` (see [`merge_claims`](crate::oauth2::merge_claims)).
    pub claims: Option<String>,
    /// `max_age` in seconds.
    pub max_age: Option<u64>,
    /// `response_mode`.
    pub response_mode: Option<ResponseMode>,
    /// Whether a `login_hint` also adds `X-AnchorMailbox=UPN:{login_hint}` (default true,
    /// as MSAL Python).
    pub anchor_mailbox_hint: bool,
    /// Extra query parameters, appended last.
    pub extra_query: Vec<(String, String)>,
}

impl AuthorizeParams {
    /// Parameters with the required values and nothing optional.
    pub fn new(
        authorization_endpoint: Url,
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
        scopes: Scopes,
        state: impl Into<String>,
        code_challenge: impl Into<String>,
    ) -> Self {
        Self {
            authorization_endpoint,
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            scopes,
            state: state.into(),
            code_challenge: code_challenge.into(),
            nonce: None,
            prompt: None,
            login_hint: None,
            domain_hint: None,
            claims: None,
            max_age: None,
            response_mode: None,
            anchor_mailbox_hint: true,
            extra_query: Vec::new(),
        }
    }
}

impl fmt::Debug for AuthorizeParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The state and nonce guard the redirect: keep them out of logs.
        f.debug_struct("AuthorizeParams")
            .field(
                "authorization_endpoint",
                &self.authorization_endpoint.as_str(),
            )
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("prompt", &self.prompt)
            .field("login_hint", &self.login_hint)
            .field("domain_hint", &self.domain_hint)
            .field("response_mode", &self.response_mode)
            .finish_non_exhaustive()
    }
}

/// Builds the authorization URL.
///
/// ```
/// use msal_core::endpoint::authorize::{authorize_url, AuthorizeParams};
/// use msal_core::oauth2::Scopes;
///
/// let endpoint = url::Url::parse("https://login.microsoftonline.com/common/oauth2/v2.0/authorize").unwrap();
/// let params = AuthorizeParams::new(
///     endpoint, "app-id", "http://localhost:8400",
///     Scopes::for_user(&["User.Read"], false)?, "state123", "challenge",
/// );
/// let url = authorize_url(&params);
/// assert!(url.as_str().contains("response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A8400"));
/// # Ok::<(), msal_core::Error>(())
/// ```
pub fn authorize_url(params: &AuthorizeParams) -> Url {
    let mut url = params.authorization_endpoint.clone();
    let max_age = params.max_age.map(|m| m.to_string());
    let anchor = params
        .login_hint
        .as_ref()
        .filter(|_| params.anchor_mailbox_hint)
        .map(|hint| format!("UPN:{hint}"));
    let scope = params.scopes.to_wire();
    let optional = [
        ("nonce", params.nonce.as_deref()),
        ("client_info", Some("1")),
        ("prompt", params.prompt.map(Prompt::as_str)),
        ("login_hint", params.login_hint.as_deref()),
        ("domain_hint", params.domain_hint.as_deref()),
        ("claims", params.claims.as_deref()),
        ("max_age", max_age.as_deref()),
        (
            "response_mode",
            params.response_mode.map(ResponseMode::as_str),
        ),
        ("X-AnchorMailbox", anchor.as_deref()),
    ];
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("client_id", &params.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &params.redirect_uri)
            .append_pair("scope", &scope)
            .append_pair("state", &params.state)
            .append_pair("code_challenge", &params.code_challenge)
            .append_pair("code_challenge_method", "S256");
        for (name, value) in optional {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                query.append_pair(name, value);
            }
        }
        for (name, value) in &params.extra_query {
            query.append_pair(name, value);
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth2::test_support::recording;

    fn recorded_flow(name: &str) -> (Url, serde_json::Value) {
        let rec = recording(name);
        let flow = rec["auth_code_flow"].clone();
        (
            Url::parse(flow["auth_uri"].as_str().unwrap()).unwrap(),
            flow,
        )
    }

    fn pairs(url: &Url) -> Vec<(String, String)> {
        url.query_pairs()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect()
    }

    fn params_like(recorded: &Url, client_id: &str) -> AuthorizeParams {
        let get = |name: &str| {
            recorded
                .query_pairs()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.into_owned())
                .unwrap()
        };
        let mut endpoint = recorded.clone();
        endpoint.set_query(None);
        let mut p = AuthorizeParams::new(
            endpoint,
            client_id,
            get("redirect_uri"),
            Scopes::for_user(&["https://graph.microsoft.com/User.Read"], false).unwrap(),
            get("state"),
            get("code_challenge"),
        );
        p.nonce = Some(get("nonce"));
        p
    }

    #[test]
    fn public_client_url_equals_the_recorded_auth_uri() {
        let (recorded, _) = recorded_flow("msal_auth_code_public");
        let ours = authorize_url(&params_like(
            &recorded,
            "11111111-1111-1111-1111-111111111111",
        ));
        assert_eq!(ours.as_str(), recorded.as_str());
    }

    #[test]
    fn login_hint_adds_the_anchor_mailbox_query_parameter_as_recorded() {
        let (recorded, _) = recorded_flow("msal_auth_code_confidential");
        let mut p = params_like(&recorded, "22222222-2222-2222-2222-222222222222");
        p.login_hint = Some("alice@managed.test".into());
        assert_eq!(pairs(&authorize_url(&p)), pairs(&recorded));
        p.anchor_mailbox_hint = false;
        assert!(!authorize_url(&p).as_str().contains("X-AnchorMailbox"));
    }

    #[test]
    fn optional_parameters_and_extras_are_appended_and_endpoint_query_is_kept() {
        let endpoint = Url::parse("https://login.example/t/oauth2/v2.0/authorize?slice=x").unwrap();
        let mut p = AuthorizeParams::new(
            endpoint,
            "app",
            "http://localhost",
            Scopes::for_user(&["a"], true).unwrap(),
            "st",
            "ch",
        );
        p.prompt = Some(Prompt::SelectAccount);
        p.domain_hint = Some("organizations".into());
        p.claims = Some(r#"{"access_token":{"xms_cc":{"values":["CP1"]}}}"#.into());
        p.max_age = Some(300);
        p.response_mode = Some(ResponseMode::FormPost);
        p.extra_query = vec![("dc".into(), "ESTS-PUB-WUS2".into())];
        let q = pairs(&authorize_url(&p));
        let names: Vec<&str> = q.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "slice",
                "client_id",
                "response_type",
                "redirect_uri",
                "scope",
                "state",
                "code_challenge",
                "code_challenge_method",
                "client_info",
                "prompt",
                "domain_hint",
                "claims",
                "max_age",
                "response_mode",
                "dc"
            ]
        );
        let get = |n: &str| q.iter().find(|(k, _)| k == n).unwrap().1.clone();
        assert_eq!(get("scope"), "a openid profile");
        assert_eq!(get("prompt"), "select_account");
        assert_eq!(get("response_mode"), "form_post");
        assert_eq!(
            get("claims"),
            r#"{"access_token":{"xms_cc":{"values":["CP1"]}}}"#
        );
        assert!(!format!("{p:?}").contains("\"st\""));
    }
}
