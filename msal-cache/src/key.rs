//! Map keys of cache entries, spelled the way MSAL Python writes them.
//!
//! Keys are a convenience of the file format: this crate never finds an entry by its key, only
//! by its fields, so caches written with any library's key spelling are found.

use crate::entity::{AccessToken, Account, AppMetadata, IdToken, RefreshToken};

fn lower_join(parts: &[&str]) -> String {
    parts.join("-").to_lowercase()
}

/// `home-env-accesstoken-client-realm-target`, lower-cased.
pub fn access_token(at: &AccessToken) -> String {
    lower_join(&[
        at.home_account_id(),
        &at.environment,
        "AccessToken",
        &at.client_id,
        at.realm.or_empty(),
        at.target.or_empty(),
    ])
}

/// `home-env-refreshtoken-client--target`, lower-cased (refresh tokens have no realm).
pub fn refresh_token(rt: &RefreshToken) -> String {
    lower_join(&[
        rt.home_account_id(),
        &rt.environment,
        "RefreshToken",
        &rt.client_id,
        "",
        rt.target.or_empty(),
    ])
}

/// `home-env-idtoken-client-realm-`, lower-cased.
pub fn id_token(idt: &IdToken) -> String {
    lower_join(&[
        idt.home_account_id(),
        &idt.environment,
        "IdToken",
        &idt.client_id,
        idt.realm.or_empty(),
        "",
    ])
}

/// `home-env-realm`, lower-cased.
pub fn account(account: &Account) -> String {
    lower_join(&[
        &account.home_account_id,
        &account.environment,
        account.realm.or_empty(),
    ])
}

/// `appmetadata-env-client`.
pub fn app_metadata(app: &AppMetadata) -> String {
    format!("appmetadata-{}-{}", app.environment, app.client_id)
}
