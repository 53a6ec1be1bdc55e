//! Accounts in the cache: listing, lookup and sign-out.

use std::collections::HashMap;

use msal_cache::env::same_cloud;
use msal_core::Result;

use crate::app::AppCore;
use crate::result::Account;

impl AppCore {
    /// The signed-in users in this application's cloud, one per `home_account_id`
    /// (the entry of the configured tenant preferred).
    pub(crate) async fn accounts(&self) -> Result<Vec<Account>> {
        self.cache.load().await?;
        let environment = self.config.environment();
        let tenant = self.config.authority.tenant();
        let mut by_home: HashMap<String, Account> = HashMap::new();
        let mut order = Vec::new();
        for entry in self.cache.cache().accounts() {
            if !same_cloud(&entry.environment, environment) {
                continue;
            }
            let account = Account::from_cache(&entry);
            let key = account.home_account_id.to_ascii_lowercase();
            let preferred = account
                .tenant_id
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(tenant));
            match by_home.get(&key) {
                Some(_) if !preferred => {}
                Some(_) => {
                    by_home.insert(key, account);
                }
                None => {
                    order.push(key.clone());
                    by_home.insert(key, account);
                }
            }
        }
        Ok(order
            .into_iter()
            .filter_map(|k| by_home.remove(&k))
            .collect())
    }

    /// The account with this `home_account_id`, if it is in the cache.
    pub(crate) async fn account(&self, home_account_id: &str) -> Result<Option<Account>> {
        Ok(self
            .accounts()
            .await?
            .into_iter()
            .find(|a| a.home_account_id.eq_ignore_ascii_case(home_account_id)))
    }

    /// Signs the account out of this application: its tokens and account entries go.
    pub(crate) async fn remove(&self, account: &Account) -> Result<()> {
        self.cache.load().await?;
        let home = account.home_account_id.clone();
        let environment = account.environment.clone();
        let client_id = self.config.client_id.clone();
        self.cache
            .modify(move |cache| cache.remove_account(&home, &environment, &client_id))
            .await
    }
}
