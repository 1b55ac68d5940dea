//! A stored login in use: access tokens on demand, renewed before they expire (or when an
//! API refused one) by the login's own method, and logout.
//!
//! ```text
//!  access_token(resource) --lock--> reload secrets (another process may have refreshed)
//!    cached and fresh for 60 s more -> it
//!    else browser/device: refresh (resource) -> store rotated RT atomically -> new AT
//!         token: exchange the PAT (RFC 8693) | client credentials: new grant
//!    refresh refused (invalid_grant) -> SessionExpired ("run login again")
//! ```

use crate::oauth::{Client, ClientAuth, Provider, TokenSet};
use crate::store::{Login, LoginMethod, Secrets, Store};
use crate::{Error, Secret};
use std::time::Duration;

/// Renew tokens that expire within this margin.
const FRESHNESS: Duration = Duration::from_secs(60);

/// The subject token type of a Gatehouse personal access token (RFC 8693 exchange).
pub(crate) const PAT_TOKEN_TYPE: &str =
    "urn:gatehouse:params:oauth:token-type:personal_access_token";

/// A stored login, ready to hand out access tokens.
#[derive(Debug)]
pub struct Session<'a> {
    client: &'a Client,
    store: &'a Store,
    provider: Provider,
    login: Login,
}

impl<'a> Session<'a> {
    /// The login of `user` on `server` (either may be left open: the default login), with
    /// its provider discovered.
    pub async fn open(
        client: &'a Client,
        store: &'a Store,
        server: Option<&str>,
        user: Option<&str>,
    ) -> Result<Self, Error> {
        let login = store.find(server, user)?.ok_or(Error::NotLoggedIn)?;
        Self::for_login(client, store, login).await
    }

    /// A session for a login already picked from the store.
    pub async fn for_login(
        client: &'a Client,
        store: &'a Store,
        login: Login,
    ) -> Result<Self, Error> {
        let provider = client.discover(&login.server).await?;
        Ok(Self {
            client,
            store,
            provider,
            login,
        })
    }

    /// The login.
    pub fn login(&self) -> &Login {
        &self.login
    }

    /// The provider.
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    async fn client_auth(&self, secrets: &Secrets) -> Result<ClientAuth, Error> {
        Ok(match self.login.method {
            LoginMethod::ClientCredentials => ClientAuth::Secret {
                client_id: self.login.client_id.clone(),
                client_secret: secrets.client_secret.clone().ok_or(Error::NotLoggedIn)?,
            },
            _ => ClientAuth::None {
                client_id: self.login.client_id.clone(),
            },
        })
    }

    /// A valid access token for `resource` (RFC 8707), or for the login itself when `None`,
    /// renewing it first when it expires within a minute, or always with `force` (after an
    /// API answered 401 to it).
    pub async fn access_token(
        &mut self,
        resource: Option<&str>,
        force: bool,
    ) -> Result<Secret, Error> {
        let _guard = self.store.lock().await?;
        // Under the lock: another process may have renewed (and rotated), logged in again or
        // logged out since we looked.
        self.login = self
            .store
            .by_key(&self.login.key())?
            .ok_or(Error::NotLoggedIn)?;
        let mut secrets = self.store.secrets(&self.login).await?;
        let cached = match resource {
            None => secrets.tokens.as_ref(),
            Some(resource) => secrets.resource_tokens.get(resource),
        };
        if let Some(tokens) = cached
            && !force
            && tokens.is_fresh(FRESHNESS)
        {
            return Ok(tokens.access_token.clone());
        }
        let auth = self.client_auth(&secrets).await?;
        let target = resource.or(self.login.own_resource.as_deref());
        let renewed = match self.login.method {
            LoginMethod::Browser | LoginMethod::Device => {
                let refresh_token = secrets
                    .tokens
                    .as_ref()
                    .and_then(|t| t.refresh_token.clone())
                    .ok_or(Error::SessionExpired)?;
                let mut renewed = self
                    .client
                    .refresh(&self.provider, &auth, &refresh_token, target)
                    .await?;
                // Keep the (rotated) refresh token with the login's own tokens.
                let rotated = renewed.refresh_token.take().unwrap_or(refresh_token);
                match (resource, secrets.tokens.as_mut()) {
                    (Some(_), Some(own)) => own.refresh_token = Some(rotated),
                    _ => renewed.refresh_token = Some(rotated),
                }
                renewed
            }
            LoginMethod::Token => {
                let pat = secrets
                    .personal_access_token
                    .clone()
                    .ok_or(Error::NotLoggedIn)?;
                self.client
                    .exchange(&self.provider, &auth, &pat, PAT_TOKEN_TYPE, target)
                    .await
                    .map_err(expired_on_invalid_subject)?
            }
            LoginMethod::ClientCredentials => self
                .client
                .client_credentials(&self.provider, &auth, target, None)
                .await
                .map_err(expired_on_invalid_client)?,
        };
        let token = renewed.access_token.clone();
        match resource {
            None => secrets.tokens = Some(renewed),
            Some(resource) => {
                let TokenSet {
                    access_token,
                    expires_at,
                    scope,
                    ..
                } = renewed;
                secrets.resource_tokens.insert(
                    resource.to_owned(),
                    TokenSet {
                        access_token,
                        refresh_token: None,
                        id_token: None,
                        expires_at,
                        scope,
                    },
                );
            }
        }
        self.store.update_secrets(&self.login, &secrets).await?;
        Ok(token)
    }

    /// Logs out: revokes the refresh token (and cached access tokens) at the server, then
    /// deletes every local copy, even when the server could not revoke.
    pub async fn logout(self) -> Result<Logout, Error> {
        let _guard = self.store.lock().await?;
        let Some(login) = self.store.by_key(&self.login.key())? else {
            return Err(Error::NotLoggedIn);
        };
        let outcome = match self.store.secrets(&login).await {
            Ok(secrets) => self.revoke_all(&login, &secrets).await,
            Err(_) => Logout::Failed("the stored credentials could not be read".to_owned()),
        };
        self.store.remove_locked(&login).await?;
        Ok(outcome)
    }

    async fn revoke_all(&self, login: &Login, secrets: &Secrets) -> Logout {
        let Ok(auth) = self.client_auth(secrets).await else {
            return Logout::Failed("the client credentials are missing".to_owned());
        };
        let mut targets: Vec<(&Secret, &str)> = Vec::new();
        if let Some(tokens) = &secrets.tokens {
            if let Some(refresh) = &tokens.refresh_token {
                targets.push((refresh, "refresh_token"));
            }
            targets.push((&tokens.access_token, "access_token"));
        }
        for tokens in secrets.resource_tokens.values() {
            targets.push((&tokens.access_token, "access_token"));
        }
        for (token, hint) in targets {
            match self.client.revoke(&self.provider, &auth, token, hint).await {
                Ok(()) => {}
                Err(Error::Unsupported(_)) => return Logout::NotRevocable,
                Err(error) => return Logout::Failed(error.to_string()),
            }
        }
        if login.method == LoginMethod::Token {
            return Logout::TokenStaysValid;
        }
        Logout::Revoked
    }
}

/// What logging out did at the server (the local copies are always deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logout {
    /// Every token was revoked.
    Revoked,
    /// The access tokens were revoked; the personal access token of the login stays valid
    /// (it was made by the person, who revokes it in their account).
    TokenStaysValid,
    /// The server has no revocation endpoint: the tokens stay valid until they expire.
    NotRevocable,
    /// Revocation failed (the reason); the tokens may stay valid until they expire.
    Failed(String),
}

fn expired_on_invalid_subject(error: Error) -> Error {
    match error {
        // RFC 8693 §2.2.2: an invalid subject token is invalid_request; a revoked or expired
        // PAT is a login that ended.
        Error::OAuth {
            ref error,
            ref description,
            ..
        } if error == "invalid_request"
            && description
                .as_deref()
                .is_some_and(|d| d.contains("subject_token")) =>
        {
            Error::SessionExpired
        }
        other => other,
    }
}

fn expired_on_invalid_client(error: Error) -> Error {
    match error {
        Error::OAuth { ref error, .. } if error == "invalid_client" => Error::SessionExpired,
        other => other,
    }
}
