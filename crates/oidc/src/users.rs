//! Users: creation, reading, search, change and deletion for the Management API and `gatehouse
//! admin users`, and password verification for the sign-in page.
//!
//! Identifiers are stored only in canonical form (checklist U-20), so `Admin` and `admin ` are
//! one account and lookalikes are refused. Passwords follow the policy of
//! [`gatehouse_core::user::check_password`] (U-01, U-02) and are stored as argon2id PHC strings
//! (U-04); the plaintext is never stored, logged or returned. Every argon2 computation runs on
//! the blocking pool under the engine's semaphore (R-08), and a sign-in for an unknown user, or
//! one without a password, costs one dummy verification (U-05).

use crate::management::{FieldErrors, ListOptions, ManagementError, new_id, next_cursor};
use crate::user_profile::{ProfileClaims, address_view, parse_claim_changes, parse_new_claims};
use crate::{Engine, TenantContext};
use gatehouse_core::user::{
    User, canonical_display_name, canonical_email, canonical_username, check_password,
    normalize_password,
};
use gatehouse_crypto::PasswordHasher;
use gatehouse_store::StoreError;
use gatehouse_types::management as wire;
use std::sync::Arc;
use std::time::Duration;

/// How long a request waits for an argon2 slot before answering "unavailable" (R-08).
const PASSWORD_QUEUE_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest search text, in characters.
pub const MAX_QUERY_LEN: usize = 256;

/// A stored user as a wire body: never the hash, only whether there is one.
pub fn user_view(user: User) -> wire::User {
    let profile = user.profile;
    wire::User {
        has_password: user.password_hash.is_some(),
        id: user.id,
        username: user.username,
        email: user.email,
        email_verified: user.email_verified,
        name: user.name,
        phone_number: user.phone_number,
        phone_number_verified: user.phone_number_verified,
        given_name: profile.given_name,
        family_name: profile.family_name,
        middle_name: profile.middle_name,
        nickname: profile.nickname,
        profile: profile.profile,
        picture: profile.picture,
        website: profile.website,
        gender: profile.gender,
        birthdate: profile.birthdate,
        zoneinfo: profile.zoneinfo,
        locale: profile.locale,
        address: user.address.map(address_view),
        disabled: user.disabled,
        created_at: user.created_at,
        updated_at: user.updated_at,
    }
}

/// A field error for a body.
fn wire_field_error(field: &str, message: &str) -> gatehouse_types::problem::FieldError {
    gatehouse_types::problem::FieldError {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

/// Canonicalizes an optional identifier, recording a refusal under `field`.
fn parse_identifier(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    canonical: fn(&str) -> Result<String, String>,
) -> Option<String> {
    let value = value?;
    match canonical(value) {
        Ok(canonical) => Some(canonical),
        Err(message) => {
            errors.add(field, message);
            None
        }
    }
}

/// Normalizes a new password and checks it against the policy and the user's identifiers
/// (raw and canonical), recording a refusal under `password`.
fn parse_new_password(
    errors: &mut FieldErrors,
    password: &str,
    identifiers: &[&str],
) -> Option<String> {
    let normalized = normalize_password(password);
    match check_password(&normalized, identifiers) {
        Ok(()) => Some(normalized),
        Err(problem) => {
            errors.add("password", problem.message());
            None
        }
    }
}

/// Maps a store error on a user row, naming the user when it is missing.
fn user_store_error(error: StoreError) -> ManagementError {
    match error {
        StoreError::NotFound => ManagementError::NotFound("user"),
        other => other.into(),
    }
}

impl Engine {
    /// Runs `work` with the password hasher on the blocking pool, holding one of the engine's
    /// argon2 permits until it ends (even when the caller goes away first).
    async fn with_password_hasher<T, F>(&self, work: F) -> Result<T, ManagementError>
    where
        F: FnOnce(&PasswordHasher) -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = tokio::time::timeout(
            PASSWORD_QUEUE_TIMEOUT,
            Arc::clone(&self.password_permits).acquire_owned(),
        )
        .await
        .map_err(|_| ManagementError::Unavailable("password hashing is saturated".into()))?
        .map_err(|e| ManagementError::Internal(e.to_string()))?;
        let hasher = Arc::clone(&self.passwords);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(&hasher)
        })
        .await
        .map_err(|e| ManagementError::Internal(format!("password hashing task: {e}")))
    }

    /// Hashes a normalized password.
    async fn hash_password(&self, normalized: String) -> Result<String, ManagementError> {
        self.with_password_hasher(move |hasher| hasher.hash(&normalized))
            .await?
            .map_err(|e| ManagementError::Internal(e.to_string()))
    }

    async fn find_user_record(
        &self,
        tenant: &TenantContext,
        id: &str,
    ) -> Result<User, ManagementError> {
        self.store
            .find_user(tenant.id(), id)
            .await?
            .ok_or(ManagementError::NotFound("user"))
    }

    /// Refuses, before any hashing, a username or email another user of the tenant holds.
    async fn check_identifiers_free(
        &self,
        tenant: &TenantContext,
        user_id: Option<&str>,
        username: Option<&str>,
        email: Option<&str>,
    ) -> Result<(), ManagementError> {
        let other = |found: Option<User>| found.is_some_and(|u| Some(u.id.as_str()) != user_id);
        if let Some(username) = username
            && other(
                self.store
                    .find_user_by_username(tenant.id(), username)
                    .await?,
            )
        {
            return Err(ManagementError::Conflict("username already exists".into()));
        }
        if let Some(email) = email
            && other(self.store.find_user_by_email(tenant.id(), email).await?)
        {
            return Err(ManagementError::Conflict("email already exists".into()));
        }
        Ok(())
    }

    /// Creates a user with a username, an email or both, and optionally a password.
    pub async fn create_user(
        &self,
        tenant: &TenantContext,
        body: wire::CreateUser,
    ) -> Result<wire::User, ManagementError> {
        let user = self.new_user_record(tenant, body).await?;
        self.store.insert_user(tenant.id(), &user).await?;
        Ok(user_view(user))
    }

    /// Creates the tenant's first administrator (`gatehouse admin bootstrap`). It works once
    /// per tenant: afterwards, and even once that administrator is deleted, it answers
    /// `Conflict` (checklist U-18: no default admin, bootstrap never reopens).
    pub async fn bootstrap_admin(
        &self,
        tenant: &TenantContext,
        body: wire::CreateUser,
    ) -> Result<wire::User, ManagementError> {
        if body.password.is_none() {
            return Err(ManagementError::Validation(vec![wire_field_error(
                "password",
                "the first administrator needs a password",
            )]));
        }
        let user = self.new_user_record(tenant, body).await?;
        self.store
            .bootstrap_admin(tenant.id(), &user, self.now())
            .await?;
        Ok(user_view(user))
    }

    /// Checks a new user's fields, that its identifiers are free, and hashes its password.
    async fn new_user_record(
        &self,
        tenant: &TenantContext,
        body: wire::CreateUser,
    ) -> Result<User, ManagementError> {
        let mut errors = FieldErrors::default();
        let username = parse_identifier(
            &mut errors,
            "username",
            body.username.as_deref(),
            canonical_username,
        );
        let email = parse_identifier(&mut errors, "email", body.email.as_deref(), canonical_email);
        if body.username.is_none() && body.email.is_none() {
            errors.add("username", "give a username, an email address, or both");
        }
        let name = parse_identifier(
            &mut errors,
            "name",
            body.name.as_deref(),
            canonical_display_name,
        );
        let password = body.password.as_deref().and_then(|password| {
            let identifiers: Vec<&str> = [&body.username, &body.email, &username, &email]
                .into_iter()
                .filter_map(|value| value.as_deref())
                .collect();
            parse_new_password(&mut errors, password, &identifiers)
        });
        let claims = parse_new_claims(&mut errors, &body);
        errors.into_result()?;
        self.check_identifiers_free(tenant, None, username.as_deref(), email.as_deref())
            .await?;
        let password_hash = match password {
            Some(normalized) => Some(self.hash_password(normalized).await?),
            None => None,
        };
        let now = self.now();
        Ok(User {
            id: new_id(),
            username,
            email,
            email_verified: body.email_verified.unwrap_or(false),
            name,
            phone_number: claims.phone_number,
            phone_number_verified: claims.phone_number_verified,
            profile: claims.profile,
            address: claims.address,
            password_hash,
            disabled: false,
            created_at: now,
            updated_at: now,
        })
    }

    /// Finds one user.
    pub async fn get_user(
        &self,
        tenant: &TenantContext,
        id: &str,
    ) -> Result<wire::User, ManagementError> {
        Ok(user_view(self.find_user_record(tenant, id).await?))
    }

    /// Lists users by id; `query` keeps those whose username, email or name contains it
    /// (case-insensitive, taken literally).
    pub async fn list_users(
        &self,
        tenant: &TenantContext,
        query: Option<&str>,
        options: ListOptions,
    ) -> Result<wire::UserList, ManagementError> {
        let page = crate::management::parse_list_options(options)?;
        let query = query.map(str::trim).filter(|q| !q.is_empty());
        if query.is_some_and(|q| q.chars().count() > MAX_QUERY_LEN) {
            let mut errors = FieldErrors::default();
            errors.add("q", format!("must be at most {MAX_QUERY_LEN} characters"));
            errors.into_result()?;
        }
        let users = self.store.list_users(tenant.id(), &page, query).await?;
        let next_cursor = next_cursor(&users, &page, |user| &user.id);
        Ok(wire::UserList {
            items: users.into_iter().map(user_view).collect(),
            next_cursor,
        })
    }

    /// Changes the provided fields of a user; a new password is checked and hashed like a
    /// first one. `null` removes a profile, phone or address claim.
    pub async fn update_user(
        &self,
        tenant: &TenantContext,
        id: &str,
        body: wire::UpdateUser,
    ) -> Result<wire::User, ManagementError> {
        let mut user = self.find_user_record(tenant, id).await?;
        let mut errors = FieldErrors::default();
        let username = parse_identifier(
            &mut errors,
            "username",
            body.username.as_deref(),
            canonical_username,
        );
        let email = parse_identifier(&mut errors, "email", body.email.as_deref(), canonical_email);
        // Left out: kept; `null`: removed; a value: checked like a new one.
        let name = body.name.as_ref().map(|name| {
            parse_identifier(&mut errors, "name", name.as_deref(), canonical_display_name)
        });
        let new_username = username.clone().or(user.username.clone());
        let new_email = email.clone().or(user.email.clone());
        let password = body.password.as_deref().and_then(|password| {
            let identifiers: Vec<&str> = [&body.username, &body.email, &new_username, &new_email]
                .into_iter()
                .filter_map(|value| value.as_deref())
                .collect();
            parse_new_password(&mut errors, password, &identifiers)
        });
        let claims = parse_claim_changes(&mut errors, &body, ProfileClaims::of(&user));
        errors.into_result()?;
        self.check_identifiers_free(tenant, Some(id), username.as_deref(), email.as_deref())
            .await?;
        let password_changed = password.is_some();
        let newly_disabled = body.disabled == Some(true) && !user.disabled;
        if let Some(normalized) = password {
            user.password_hash = Some(self.hash_password(normalized).await?);
        }
        if email.is_some() && email != user.email {
            // A new address is unproven unless the caller says otherwise.
            user.email_verified = false;
        }
        user.username = new_username;
        user.email = new_email;
        if let Some(name) = name {
            user.name = name;
        }
        user.email_verified = body.email_verified.unwrap_or(user.email_verified);
        user.disabled = body.disabled.unwrap_or(user.disabled);
        claims.apply_to(&mut user);
        user.updated_at = self.now();
        self.store
            .update_user(tenant.id(), &user)
            .await
            .map_err(user_store_error)?;
        if password_changed || newly_disabled {
            self.sign_out_everywhere(tenant, &user.id).await?;
        }
        Ok(user_view(user))
    }

    /// Ends every session of the user and revokes every grant they hold (T-06, S-06): after
    /// a password reset or when the user is disabled, on every replica at once.
    pub async fn sign_out_everywhere(
        &self,
        tenant: &TenantContext,
        user_id: &str,
    ) -> Result<(), ManagementError> {
        let now = self.now();
        self.store
            .delete_sessions_for_user(tenant.id(), user_id)
            .await?;
        self.store
            .revoke_grants_for_user(tenant.id(), user_id, now)
            .await?;
        Ok(())
    }

    /// Deletes a user.
    pub async fn delete_user(
        &self,
        tenant: &TenantContext,
        id: &str,
    ) -> Result<(), ManagementError> {
        self.store
            .delete_user(tenant.id(), id)
            .await
            .map_err(user_store_error)
    }

    /// Checks a sign-in: `identifier` is a username or an email address, compared in canonical
    /// form. Returns the user when the password matches and the user is enabled; `None`
    /// otherwise, after the same argon2 work whether or not the user exists (U-05). A hash
    /// weaker than the current parameters is rebuilt on success (U-04).
    pub async fn verify_password(
        &self,
        tenant: &TenantContext,
        identifier: &str,
        password: &str,
    ) -> Result<Option<User>, ManagementError> {
        let user = if identifier.contains('@') {
            match canonical_email(identifier) {
                Ok(email) => self.store.find_user_by_email(tenant.id(), &email).await?,
                Err(_) => None,
            }
        } else {
            match canonical_username(identifier) {
                Ok(username) => {
                    self.store
                        .find_user_by_username(tenant.id(), &username)
                        .await?
                }
                Err(_) => None,
            }
        };
        let normalized = normalize_password(password);
        let Some((mut user, phc)) = user.and_then(|u| u.password_hash.clone().map(|phc| (u, phc)))
        else {
            self.with_password_hasher(move |hasher| hasher.verify_dummy(&normalized))
                .await?;
            return Ok(None);
        };
        let attempt = normalized.clone();
        let (verified, rehash) = self
            .with_password_hasher(move |hasher| {
                let verified = hasher.verify(&attempt, &phc);
                (verified, hasher.needs_rehash(&phc))
            })
            .await?;
        match verified {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(error) => {
                tracing::warn!(user = %user.id, %error, "stored password hash is unusable");
                return Ok(None);
            }
        }
        if user.disabled {
            return Ok(None);
        }
        if rehash {
            self.rehash_password(tenant, &mut user, normalized).await;
        }
        Ok(Some(user))
    }

    /// Replaces a user's hash with one at the current parameters; a failure is only logged,
    /// since the sign-in itself succeeded.
    async fn rehash_password(&self, tenant: &TenantContext, user: &mut User, normalized: String) {
        let rehashed = match self.hash_password(normalized).await {
            Ok(phc) => phc,
            Err(error) => {
                tracing::warn!(user = %user.id, %error, "could not rehash a password");
                return;
            }
        };
        let mut updated = user.clone();
        updated.password_hash = Some(rehashed);
        updated.updated_at = self.now();
        match self.store.update_user(tenant.id(), &updated).await {
            Ok(()) => *user = updated,
            Err(error) => {
                tracing::warn!(user = %user.id, %error, "could not store a rehashed password")
            }
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::{EngineConfig, FixedClock};
    use base64::Engine as _;
    use gatehouse_core::Tenant;
    use gatehouse_crypto::MasterKey;
    use gatehouse_store::{Store, TenantStore};
    use gatehouse_store_sqlite::testing::{TestDatabase, fresh_database};

    async fn engine() -> (Engine, TenantContext, TestDatabase) {
        let (store, db) = fresh_database().await;
        let tenant = Tenant {
            id: "t1".into(),
            name: "one".into(),
            created_at: 1_700_000_000,
        };
        store.insert_tenant(&tenant).await.unwrap();
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let engine = Engine::new(
            Arc::new(store) as Arc<dyn Store>,
            MasterKey::from_base64(&key).unwrap(),
            Arc::new(FixedClock::new(1_700_000_000)),
            EngineConfig::new("https://id.example"),
        );
        let context = TenantContext {
            tenant,
            issuer: "https://id.example".into(),
        };
        (engine, context, db)
    }

    fn new_user(username: &str, email: &str, password: &str) -> wire::CreateUser {
        wire::CreateUser {
            username: Some(username.into()),
            email: Some(email.into()),
            password: Some(password.into()),
            ..Default::default()
        }
    }

    fn fields(error: ManagementError) -> Vec<String> {
        match error {
            ManagementError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn create_canonicalizes_checks_and_hashes() {
        let (engine, tenant, _db) = engine().await;
        let created = engine
            .create_user(
                &tenant,
                new_user("Alice", " Alice@Example.COM", "correct horse battery"),
            )
            .await
            .unwrap();
        assert_eq!(created.username.as_deref(), Some("alice"));
        assert_eq!(created.email.as_deref(), Some("alice@example.com"));
        assert!(created.has_password && !created.email_verified);
        let stored = engine
            .store
            .find_user("t1", &created.id)
            .await
            .unwrap()
            .unwrap();
        let phc = stored.password_hash.unwrap();
        assert!(phc.starts_with("$argon2id$") && !phc.contains("correct horse"));

        for (username, password, field) in [
            ("bob", "password1", "password"),
            ("bob", "short", "password"),
            ("bobbybobby", "BobbyBobby", "password"),
            ("\u{0430}dmin", "correct horse battery", "username"),
        ] {
            let body = new_user(username, "bob@example.com", password);
            let error = engine.create_user(&tenant, body).await.unwrap_err();
            assert_eq!(fields(error), [field], "{username} / {password}");
        }
        let none = wire::CreateUser::default();
        assert_eq!(
            fields(engine.create_user(&tenant, none).await.unwrap_err()),
            ["username"]
        );
        let same = new_user("ALICE ", "x@example.com", "correct horse battery");
        assert!(matches!(
            engine.create_user(&tenant, same).await,
            Err(ManagementError::Conflict(message)) if message.contains("username")
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn verify_password_finds_by_username_or_email() {
        let (engine, tenant, _db) = engine().await;
        let created = engine
            .create_user(
                &tenant,
                new_user("alice", "alice@example.com", "correct horse battery"),
            )
            .await
            .unwrap();
        for identifier in ["alice", "ALICE ", "Alice@Example.com"] {
            let user = engine
                .verify_password(&tenant, identifier, "correct horse battery")
                .await
                .unwrap();
            assert_eq!(user.map(|u| u.id), Some(created.id.clone()), "{identifier}");
        }
        for (identifier, password) in [
            ("alice", "correct horse batterY"),
            ("alice", ""),
            ("nobody", "correct horse battery"),
            ("nobody@example.com", "correct horse battery"),
            ("\u{0430}lice", "correct horse battery"),
        ] {
            assert!(
                engine
                    .verify_password(&tenant, identifier, password)
                    .await
                    .unwrap()
                    .is_none(),
                "{identifier} / {password}"
            );
        }
        // Users without a password cannot sign in with one.
        let bare = wire::CreateUser {
            username: Some("bare".into()),
            ..Default::default()
        };
        engine.create_user(&tenant, bare).await.unwrap();
        assert!(
            engine
                .verify_password(&tenant, "bare", "anything at all")
                .await
                .unwrap()
                .is_none()
        );
        // Disabled users are refused even with the right password.
        let disable = wire::UpdateUser {
            disabled: Some(true),
            ..Default::default()
        };
        engine
            .update_user(&tenant, &created.id, disable)
            .await
            .unwrap();
        assert!(
            engine
                .verify_password(&tenant, "alice", "correct horse battery")
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn verify_password_rehashes_weak_hashes() {
        let (engine, tenant, _db) = engine().await;
        // A legacy hash below today's parameters (m=8 KiB, t=1).
        let weak = {
            use argon2::password_hash::{PasswordHasher as _, SaltString};
            let params = argon2::Params::new(8, 1, 1, Some(32)).unwrap();
            let argon2 =
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
            let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
            argon2
                .hash_password(b"correct horse battery", &salt)
                .unwrap()
                .to_string()
        };
        let user = User {
            id: "u-1".into(),
            username: Some("old".into()),
            password_hash: Some(weak),
            created_at: 1,
            updated_at: 1,
            ..User::default()
        };
        engine.store.insert_user("t1", &user).await.unwrap();
        let signed_in = engine
            .verify_password(&tenant, "old", "correct horse battery")
            .await
            .unwrap()
            .unwrap();
        let phc = signed_in.password_hash.unwrap();
        assert!(!engine.passwords.needs_rehash(&phc), "{phc}");
        let stored = engine.store.find_user("t1", "u-1").await.unwrap().unwrap();
        assert_eq!(stored.password_hash.as_deref(), Some(phc.as_str()));
        assert!(
            engine
                .verify_password(&tenant, "old", "correct horse battery")
                .await
                .unwrap()
                .is_some()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn update_rechecks_password_and_maps_missing_users() {
        let (engine, tenant, _db) = engine().await;
        let created = engine
            .create_user(
                &tenant,
                new_user("carol", "carol@example.com", "first long password"),
            )
            .await
            .unwrap();
        let weak = wire::UpdateUser {
            password: Some("carol@example.com".into()),
            ..Default::default()
        };
        assert_eq!(
            fields(
                engine
                    .update_user(&tenant, &created.id, weak)
                    .await
                    .unwrap_err()
            ),
            ["password"]
        );
        let change = wire::UpdateUser {
            password: Some("second long password".into()),
            name: Some(Some(" Carol ".into())),
            ..Default::default()
        };
        let changed = engine
            .update_user(&tenant, &created.id, change)
            .await
            .unwrap();
        assert_eq!(changed.name.as_deref(), Some("Carol"));
        // Left out, the name stays; `null` removes it.
        let kept = engine
            .update_user(
                &tenant,
                &created.id,
                wire::UpdateUser {
                    disabled: Some(false),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(kept.name.as_deref(), Some("Carol"));
        let cleared = engine
            .update_user(
                &tenant,
                &created.id,
                wire::UpdateUser {
                    name: Some(None),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(cleared.name, None);
        let parsed: wire::UpdateUser = serde_json::from_str(r#"{"name":null}"#).unwrap();
        assert_eq!(parsed.name, Some(None), "null is a removal, not an absence");
        assert!(
            engine
                .verify_password(&tenant, "carol", "second long password")
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            engine
                .verify_password(&tenant, "carol", "first long password")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            engine.get_user(&tenant, "missing").await,
            Err(ManagementError::NotFound("user"))
        );
        assert_eq!(
            engine.delete_user(&tenant, "missing").await,
            Err(ManagementError::NotFound("user"))
        );
        engine.delete_user(&tenant, &created.id).await.unwrap();
        assert_eq!(
            engine.get_user(&tenant, &created.id).await,
            Err(ManagementError::NotFound("user"))
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn profile_phone_and_address_are_stored_shown_and_cleared() {
        let (engine, tenant, _db) = engine().await;
        let body: wire::CreateUser = serde_json::from_value(serde_json::json!({
            "username": "ada",
            "phone_number": "+44 (20) 7946-0958",
            "given_name": "Ada",
            "locale": "en_GB",
            "picture": "HTTPS://Example.com/ada.png",
            "address": {"locality": "London", "country": " "},
        }))
        .unwrap();
        let created = engine.create_user(&tenant, body).await.unwrap();
        assert_eq!(created.phone_number.as_deref(), Some("+442079460958"));
        assert!(!created.phone_number_verified);
        assert_eq!(created.locale.as_deref(), Some("en-GB"));
        assert_eq!(
            created.picture.as_deref(),
            Some("https://example.com/ada.png")
        );
        let address = created.address.clone().unwrap();
        assert_eq!(
            (address.locality.as_deref(), address.country),
            (Some("London"), None)
        );
        assert_eq!(
            engine.get_user(&tenant, &created.id).await.unwrap(),
            created
        );

        // A bad phone number names its field and changes nothing.
        let bad: wire::UpdateUser = serde_json::from_value(serde_json::json!({
            "phone_number": "020 7946 0958",
            "given_name": "Augusta",
        }))
        .unwrap();
        let error = engine
            .update_user(&tenant, &created.id, bad)
            .await
            .unwrap_err();
        assert_eq!(fields(error), ["phone_number"]);
        assert_eq!(
            engine.get_user(&tenant, &created.id).await.unwrap(),
            created
        );

        let verify: wire::UpdateUser =
            serde_json::from_value(serde_json::json!({"phone_number_verified": true})).unwrap();
        let verified = engine
            .update_user(&tenant, &created.id, verify)
            .await
            .unwrap();
        assert!(verified.phone_number_verified);
        let clear: wire::UpdateUser = serde_json::from_value(serde_json::json!({
            "phone_number": null,
            "address": null,
            "given_name": null,
        }))
        .unwrap();
        let cleared = engine
            .update_user(&tenant, &created.id, clear)
            .await
            .unwrap();
        assert_eq!(
            (
                cleared.phone_number,
                cleared.phone_number_verified,
                cleared.given_name,
                cleared.address
            ),
            (None, false, None, None)
        );
        assert_eq!(cleared.locale.as_deref(), Some("en-GB"), "left as it was");
        let stored = engine
            .store
            .find_user("t1", &created.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.profile.locale.as_deref(), Some("en-GB"));
        assert_eq!((stored.phone_number, stored.address), (None, None));
    }
}
