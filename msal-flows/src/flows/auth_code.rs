//! Authorization code with PKCE: build the authorize URL and the flow state, then redeem
//! the redirect's code after checking its `state`, and check the id token's nonce and
//! audience before anything is cached.

use std::collections::HashMap;
use std::fmt;

use msal_core::crypto::{Nonce, PkceCodeVerifier, State};
use msal_core::endpoint::authorize::{AuthorizeParams, Prompt, ResponseMode, authorize_url};
use msal_core::oauth2::{AnchorMailbox, Grant, GrantType, Scopes, TokenRequest};
use msal_core::token::{ClientInfo, IdTokenClaims};
use msal_core::{Error, ErrorKind, Result, Secret};
use serde::{Deserialize, Serialize, Serializer};

use crate::app::{AppCore, StoreParams};
use crate::call::CallContext;
use crate::result::AuthenticationResult;

/// Options of [`initiate_auth_code_flow`](crate::PublicClientApplication::initiate_auth_code_flow).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthCodeOptions {
    /// The `state` to send; a random one when `None`.
    pub state: Option<String>,
    /// `prompt`.
    pub prompt: Option<Prompt>,
    /// `login_hint`: the user's UPN.
    pub login_hint: Option<String>,
    /// `domain_hint`: `consumers`, `organizations` or a domain.
    pub domain_hint: Option<String>,
    /// `response_mode` (`query` when `None`).
    pub response_mode: Option<ResponseMode>,
    /// `max_age` in seconds.
    pub max_age: Option<u64>,
    /// A claims challenge (merged with the client capabilities).
    pub claims: Option<String>,
    /// Extra query parameters of the authorize URL.
    pub extra_query: Vec<(String, String)>,
}

impl AuthCodeOptions {
    /// No option set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `prompt`.
    #[must_use]
    pub fn prompt(mut self, prompt: Prompt) -> Self {
        self.prompt = Some(prompt);
        self
    }

    /// Sets `login_hint`.
    #[must_use]
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }

    /// Sets `domain_hint`.
    #[must_use]
    pub fn domain_hint(mut self, hint: impl Into<String>) -> Self {
        self.domain_hint = Some(hint.into());
        self
    }

    /// Sets `response_mode`.
    #[must_use]
    pub fn response_mode(mut self, mode: ResponseMode) -> Self {
        self.response_mode = Some(mode);
        self
    }

    /// Sets `max_age`.
    #[must_use]
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Sets the `state` instead of a random one.
    #[must_use]
    pub fn state(mut self, state: impl Into<String>) -> Self {
        self.state = Some(state.into());
        self
    }

    /// Sets the claims challenge.
    #[must_use]
    pub fn claims(mut self, claims: impl Into<String>) -> Self {
        self.claims = Some(claims.into()).filter(|c: &String| !c.trim().is_empty());
        self
    }

    /// Adds an extra query parameter.
    #[must_use]
    pub fn extra_query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_query.push((name.into(), value.into()));
        self
    }
}

/// A started authorization code flow: send the user to [`auth_uri`](Self::auth_uri), keep
/// this value (in the web session), and hand it back with the redirect's parameters.
///
/// **Sensitive**: the serialised form carries the PKCE `code_verifier` and the raw nonce;
/// keep it server-side (an encrypted or server-side session), never in a URL or a log.
/// `Debug` shows neither.
///
/// ```no_run
/// use std::collections::HashMap;
/// use msal_flows::{AuthCodeFlow, AuthCodeOptions, CallOptions, ConfidentialClientApplication};
///
/// # async fn run(redirect_query: &str) -> msal_core::Result<()> {
/// let app = ConfidentialClientApplication::builder("22222222-2222-2222-2222-222222222222")
///     .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")
///     .client_secret(msal_core::Secret::new("the-secret"))
///     .build()?;
/// // Sign-in route: keep the flow in the (server-side) session, redirect to auth_uri.
/// let flow = app
///     .initiate_auth_code_flow(&["User.Read"], "https://app.example/callback", &AuthCodeOptions::new())
///     .await?;
/// let session = serde_json::to_string(&flow).expect("serialisable");
/// // Callback route: the redirect's query parameters and the flow from the session.
/// let flow: AuthCodeFlow = serde_json::from_str(&session).expect("the stored flow");
/// let params: HashMap<String, String> =
///     url::form_urlencoded::parse(redirect_query.as_bytes()).into_owned().collect();
/// let result = app.acquire_token_by_auth_code_flow(&flow, &params, &CallOptions::new()).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthCodeFlow {
    /// The URL to open in the browser.
    pub auth_uri: String,
    /// The `state` sent; the redirect must return it.
    pub state: String,
    /// The redirect URI, sent again on redemption.
    pub redirect_uri: String,
    /// The scopes sent (reserved scopes included).
    pub scopes: Vec<String>,
    /// The claims sent, if any.
    pub claims: Option<String>,
    /// The raw nonce (its hex SHA-256 was sent).
    pub nonce: String,
    /// The PKCE verifier (secret).
    #[serde(serialize_with = "serialize_secret")]
    pub code_verifier: Secret,
}

impl fmt::Debug for AuthCodeFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthCodeFlow")
            .field("auth_uri", &self.auth_uri)
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// Runs a step that returns no token (initiation, one poll) with the call's correlation id
/// on its requests and on its error.
pub(crate) async fn with_context<T, F, Fut>(options: &crate::CallOptions, run: F) -> Result<T>
where
    F: FnOnce(CallContext) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let id = options
        .correlation_id
        .clone()
        .filter(|id| !id.trim().is_empty())
        .unwrap_or_else(crate::call::new_correlation_id);
    let ctx = CallContext {
        request: msal_core::http::RequestContext::new(id.clone()),
        options: options.clone(),
    };
    run(ctx).await.map_err(|e| e.correlation_id(id))
}

/// Serialises a secret's value (for values the caller must store, such as flow state).
pub(crate) fn serialize_secret<S: Serializer>(
    secret: &Secret,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose())
}

impl AppCore {
    /// Builds the authorize URL and the flow state.
    pub(crate) async fn initiate_auth_code_flow(
        &self,
        scopes: &[&str],
        redirect_uri: &str,
        options: &AuthCodeOptions,
        ctx: &CallContext,
    ) -> Result<AuthCodeFlow> {
        if redirect_uri.trim().is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the redirect URI must not be empty",
            ));
        }
        let scopes = Scopes::for_user(scopes, false)?;
        let claims = self.claims(options.claims.as_deref())?;
        let resolved = self.resolve(ctx).await?;
        let verifier = PkceCodeVerifier::generate()?;
        let state = match options.state.as_deref().filter(|s| !s.is_empty()) {
            Some(given) => State::new(given),
            None => State::generate()?,
        };
        let nonce = Nonce::generate()?;
        let mut params = AuthorizeParams::new(
            resolved.authorization_endpoint.clone(),
            self.config.client_id.clone(),
            redirect_uri,
            scopes.clone(),
            state.as_str(),
            verifier.challenge().as_str(),
        );
        params.nonce = Some(nonce.wire_value().to_owned());
        params.prompt = options.prompt;
        params.login_hint = options.login_hint.clone();
        params.domain_hint = options.domain_hint.clone();
        params.claims = claims;
        params.max_age = options.max_age;
        params.response_mode = options.response_mode;
        params.extra_query = options.extra_query.clone();
        Ok(AuthCodeFlow {
            auth_uri: authorize_url(&params).into(),
            state: state.as_str().to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            scopes: scopes.as_slice().to_vec(),
            claims: options.claims.clone(),
            nonce: nonce.raw().to_owned(),
            code_verifier: verifier.secret().clone(),
        })
    }

    /// Checks the redirect's parameters against the flow and redeems the code.
    pub(crate) async fn redeem_auth_code_flow(
        &self,
        flow: &AuthCodeFlow,
        response: &HashMap<String, String>,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        let code = check_auth_response(flow, response)?;
        // A challenge given now wins over the one the flow started with.
        let challenge = ctx.options.claims.clone().or_else(|| flow.claims.clone());
        let resolved = self.resolve(ctx).await?;
        let grant = Grant::AuthorizationCode {
            code,
            redirect_uri: flow.redirect_uri.clone(),
            code_verifier: Some(flow.code_verifier.clone()),
        };
        let scopes = Scopes::from_wire(&flow.scopes.join(" "));
        let mut request = TokenRequest::new(self.config.client_id.clone(), grant)
            .scopes(scopes.clone())
            .claims(self.claims(challenge.as_deref())?);
        if let Some(anchor) = anchor_of(response) {
            request = request.anchor_mailbox(anchor);
        }
        let token = self.redeem(request, &resolved.token_endpoint, ctx).await?;
        if let Some(id_token) = &token.id_token {
            check_id_token(id_token.expose(), &flow.nonce, &self.config.client_id)?;
        }
        let params = StoreParams {
            scopes: scopes.without_reserved().as_slice().to_vec(),
            grant_type: Some(GrantType::AuthorizationCode.as_str().to_owned()),
            requested_claims: challenge,
            ..StoreParams::default()
        };
        self.store(token, &resolved, params, ctx).await
    }
}

impl AppCore {
    /// Redeems a code obtained outside [`AuthCodeFlow`] (azure-identity's
    /// `AuthorizationCodeCredential`): no state or nonce to check (the caller's redirect
    /// handling did that), the PKCE verifier only when the code was requested with one. The
    /// id token's audience is still checked.
    pub(crate) async fn redeem_code(
        &self,
        scopes: &[&str],
        code: Secret,
        redirect_uri: &str,
        code_verifier: Option<Secret>,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        let challenge = ctx.options.claims.clone();
        let resolved = self.resolve(ctx).await?;
        let grant = Grant::AuthorizationCode {
            code,
            redirect_uri: redirect_uri.to_owned(),
            code_verifier,
        };
        let scopes = Scopes::for_user(scopes, false)?;
        let request = TokenRequest::new(self.config.client_id.clone(), grant)
            .scopes(scopes.clone())
            .claims(self.claims(challenge.as_deref())?);
        let token = self.redeem(request, &resolved.token_endpoint, ctx).await?;
        if let Some(id_token) = &token.id_token {
            IdTokenClaims::decode(id_token.expose())?.check_audience(&self.config.client_id)?;
        }
        let params = StoreParams {
            scopes: scopes.without_reserved().as_slice().to_vec(),
            grant_type: Some(GrantType::AuthorizationCode.as_str().to_owned()),
            requested_claims: challenge,
            ..StoreParams::default()
        };
        self.store(token, &resolved, params, ctx).await
    }
}

/// The code of a redirect whose `state` matches; the redirect's error as a typed error.
pub(crate) fn check_auth_response(
    flow: &AuthCodeFlow,
    response: &HashMap<String, String>,
) -> Result<Secret> {
    let returned = response.get("state").map(String::as_str).unwrap_or("");
    if !State::new(flow.state.as_str()).matches(returned) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "state mismatch: the redirect does not answer this authorization code flow",
        ));
    }
    if let Some(error) = response.get("error") {
        let kind = match error.as_str() {
            "access_denied" | "authorization_declined" => ErrorKind::AuthorizationDeclined,
            "login_required"
            | "interaction_required"
            | "consent_required"
            | "account_selection_required" => ErrorKind::InteractionRequired,
            _ => ErrorKind::Service,
        };
        let description: String = response
            .get("error_description")
            .map(|d| d.chars().take(500).collect())
            .unwrap_or_default();
        let error: String = error.chars().take(100).collect();
        return Err(Error::new(
            kind,
            format!("the authorization request failed with {error}: {description}"),
        ));
    }
    match response.get("code").filter(|c| !c.is_empty()) {
        Some(code) => Ok(Secret::new(code.clone())),
        None => Err(Error::new(
            ErrorKind::InvalidArgument,
            "the redirect has neither a code nor an error",
        )),
    }
}

/// `Oid:{uid}@{utid}` from the redirect's `client_info`, when it has a usable one.
fn anchor_of(response: &HashMap<String, String>) -> Option<AnchorMailbox> {
    let info = ClientInfo::decode(response.get("client_info")?).ok()?;
    AnchorMailbox::from_home_account_id(&info.home_account_id()?)
}

/// The id token must carry the flow's nonce and name this client as its audience.
pub(crate) fn check_id_token(id_token: &str, raw_nonce: &str, client_id: &str) -> Result<()> {
    let claims = IdTokenClaims::decode(id_token)?;
    claims.check_nonce(raw_nonce)?;
    claims.check_audience(client_id)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CallOptions;
    use crate::test_support::*;
    use serde_json::Value;

    const USER_READ: &str = "https://graph.microsoft.com/User.Read";

    fn recorded_flow(name: &str) -> (AuthCodeFlow, HashMap<String, String>) {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/reference/wire")
            .join(format!("{name}.json"));
        let path = if path.exists() {
            path
        } else {
            std::path::PathBuf::from(format!("/work/shared/reference/wire/{name}.json"))
        };
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let f = &doc["auth_code_flow"];
        let auth_uri = f["auth_uri"].as_str().unwrap().to_owned();
        let uri = url::Url::parse(&auth_uri).unwrap();
        let scope = uri
            .query_pairs()
            .find(|(k, _)| k == "scope")
            .unwrap()
            .1
            .into_owned();
        let flow = AuthCodeFlow {
            auth_uri,
            state: f["state"].as_str().unwrap().into(),
            redirect_uri: f["redirect_uri"].as_str().unwrap().into(),
            scopes: scope.split(' ').map(str::to_owned).collect(),
            claims: None,
            nonce: f["nonce"].as_str().unwrap().into(),
            code_verifier: Secret::new(f["code_verifier"].as_str().unwrap()),
        };
        let response = doc["auth_response"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        (flow, response)
    }

    fn query(url: &str) -> Vec<(String, String)> {
        let mut pairs: Vec<_> = url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        pairs.sort();
        pairs
    }

    #[tokio::test]
    async fn authorize_url_has_the_recorded_parameters() {
        let fake = FakeHttp::from_recording("msal_auth_code_public");
        let flow = public_app(&fake)
            .initiate_auth_code_flow(
                &[USER_READ],
                "http://localhost:8400",
                &AuthCodeOptions::new(),
            )
            .await
            .unwrap();
        let (recorded, _) = recorded_flow("msal_auth_code_public");
        let names = |u: &str| query(u).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert_eq!(names(&flow.auth_uri), names(&recorded.auth_uri));
        let ours = query(&flow.auth_uri);
        let theirs = query(&recorded.auth_uri);
        for name in [
            "client_id",
            "response_type",
            "redirect_uri",
            "scope",
            "code_challenge_method",
            "client_info",
        ] {
            let get = |q: &[(String, String)]| q.iter().find(|(k, _)| k == name).cloned();
            assert_eq!(get(&ours), get(&theirs), "{name}");
        }
        let nonce = ours.iter().find(|(k, _)| k == "nonce").unwrap();
        assert_eq!(nonce.1, msal_core::crypto::random::hash_nonce(&flow.nonce));
        let challenge = ours.iter().find(|(k, _)| k == "code_challenge").unwrap();
        let verifier = PkceCodeVerifier::new(flow.code_verifier.expose()).unwrap();
        assert_eq!(challenge.1, verifier.challenge().as_str());
        assert!(!format!("{flow:?}").contains(flow.code_verifier.expose()));
    }

    async fn redeem_recorded(
        name: &str,
        confidential: bool,
    ) -> (FakeHttp, Result<AuthenticationResult>) {
        let fake = FakeHttp::from_recording(name);
        let (flow, response) = recorded_flow(name);
        let result = if confidential {
            confidential_app(&fake)
                .acquire_token_by_auth_code_flow(&flow, &response, &CallOptions::new())
                .await
        } else {
            public_app(&fake)
                .acquire_token_by_auth_code_flow(&flow, &response, &CallOptions::new())
                .await
        };
        (fake, result)
    }

    #[tokio::test]
    async fn public_redemption_sends_the_recorded_body_and_anchor() {
        let (fake, result) = redeem_recorded("msal_auth_code_public", false).await;
        let result = result.unwrap();
        assert!(result.account.is_some());
        let sent = fake.sent_to("/oauth2/v2.0/token");
        let r = recorded("msal_auth_code_public", "POST", "/oauth2/v2.0/token");
        assert_eq!(
            form(&sent[0].body),
            form(r["body"].as_str().unwrap().as_bytes())
        );
        assert_eq!(
            sent[0].header_value("X-AnchorMailbox"),
            r["headers"]["X-AnchorMailbox"].as_str()
        );
    }

    #[tokio::test]
    async fn confidential_redemption_sends_the_recorded_body_with_the_secret() {
        let (fake, result) = redeem_recorded("msal_auth_code_confidential", true).await;
        result.unwrap();
        let sent = fake.sent_to("/oauth2/v2.0/token");
        let r = recorded("msal_auth_code_confidential", "POST", "/oauth2/v2.0/token");
        assert_eq!(
            form(&sent[0].body),
            form(r["body"].as_str().unwrap().as_bytes())
        );
    }

    #[tokio::test]
    async fn nonce_mismatch_is_refused_and_nothing_is_cached() {
        let fake = FakeHttp::from_recording("msal_auth_code_public");
        let (mut flow, response) = recorded_flow("msal_auth_code_public");
        flow.nonce = "another-nonce".into();
        let app = public_app(&fake);
        let err = app
            .acquire_token_by_auth_code_flow(&flow, &response, &CallOptions::new())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
        assert!(err.to_string().contains("nonce"), "{err}");
        assert!(app.get_accounts().await.unwrap().is_empty());
    }

    #[test]
    fn id_token_for_another_client_or_nonce_is_refused() {
        let (flow, _) = recorded_flow("msal_auth_code_public");
        let r = recorded("msal_auth_code_public", "POST", "/oauth2/v2.0/token");
        let body: Value = serde_json::from_str(r["response"].as_str().unwrap()).unwrap();
        let id_token = body["id_token"].as_str().unwrap();
        check_id_token(id_token, &flow.nonce, PUBLIC_APP).unwrap();
        let err = check_id_token(id_token, &flow.nonce, CONFIDENTIAL_APP).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
        assert!(err.to_string().contains("audience"), "{err}");
        let err = check_id_token(id_token, "not-the-nonce", PUBLIC_APP).unwrap_err();
        assert!(err.to_string().contains("nonce"), "{err}");
    }

    #[test]
    fn wrong_state_is_a_state_mismatch_before_anything_else() {
        let (flow, mut response) = recorded_flow("msal_auth_code_public");
        response.insert("state".into(), "other".into());
        response.insert("error".into(), "access_denied".into());
        let err = check_auth_response(&flow, &response).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.to_string().contains("state mismatch"));
        response.remove("state");
        assert!(check_auth_response(&flow, &response).is_err());
    }

    #[test]
    fn redirect_errors_become_typed_errors() {
        let (flow, _) = recorded_flow("msal_auth_code_public");
        let with = |error: &str| {
            let map: HashMap<String, String> = [
                ("state".to_owned(), flow.state.clone()),
                ("error".to_owned(), error.to_owned()),
            ]
            .into();
            check_auth_response(&flow, &map).unwrap_err().kind()
        };
        assert_eq!(with("access_denied"), ErrorKind::AuthorizationDeclined);
        assert_eq!(with("login_required"), ErrorKind::InteractionRequired);
        assert_eq!(with("interaction_required"), ErrorKind::InteractionRequired);
        assert_eq!(with("server_error"), ErrorKind::Service);
    }

    #[test]
    fn flow_round_trips_through_json_with_its_verifier() {
        let (flow, _) = recorded_flow("msal_auth_code_public");
        let text = serde_json::to_string(&flow).unwrap();
        let back: AuthCodeFlow = serde_json::from_str(&text).unwrap();
        assert_eq!(back.code_verifier.expose(), flow.code_verifier.expose());
        assert_eq!(back.nonce, flow.nonce);
        assert_eq!(back.state, flow.state);
    }
}
