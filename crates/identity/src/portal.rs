//! The AWS access portal (aws-sdk-sso): accounts, roles and role credentials for the signed-in
//! user. A 401 ends the session.

use aws_sdk_sso::config::http::HttpResponse;
use aws_sdk_sso::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::clients::describe;
use crate::error::{IdentityError, Result};
use crate::session::Session;

const PORTAL: &str = "the AWS access portal (SSO)";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub account_id: String,
    pub name: Option<String>,
}

impl Session {
    /// Every account the user may use (all pages).
    pub async fn list_accounts(&self) -> Result<Vec<Account>> {
        let token = self.access_token().await?;
        let mut pages = self
            .portal
            .list_accounts()
            .access_token(token.expose())
            .into_paginator()
            .send();
        let mut accounts = Vec::new();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(e) => return Err(self.portal_error("ListAccounts", e).await),
            };
            for a in page.account_list.unwrap_or_default() {
                if let Some(account_id) = a.account_id {
                    accounts.push(Account {
                        account_id,
                        name: a.account_name,
                    });
                }
            }
        }
        Ok(accounts)
    }

    /// Every role the user may take in `account_id` (all pages).
    pub async fn list_roles(&self, account_id: &str) -> Result<Vec<String>> {
        let token = self.access_token().await?;
        let mut pages = self
            .portal
            .list_account_roles()
            .access_token(token.expose())
            .account_id(account_id)
            .into_paginator()
            .send();
        let mut roles = Vec::new();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(e) => return Err(self.portal_error("ListAccountRoles", e).await),
            };
            roles.extend(
                page.role_list
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|r| r.role_name),
            );
        }
        Ok(roles)
    }

    /// Maps a portal error; a 401 means the token is no longer accepted, which ends the
    /// session.
    pub(crate) async fn portal_error<E>(
        &self,
        what: &str,
        e: SdkError<E, HttpResponse>,
    ) -> IdentityError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let unauthorized = e.raw_response().map(|r| r.status().as_u16()) == Some(401)
            || e.as_service_error().and_then(|s| s.code()) == Some("UnauthorizedException");
        let err = describe(PORTAL, what, e);
        if !unauthorized {
            return err;
        }
        self.forget().await;
        match self.end(format!("the access portal refused the token: {err}")) {
            Ok(ended) => ended,
            Err(keyring) => keyring,
        }
    }
}
