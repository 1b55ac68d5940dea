//! Storage traits, one per concern, combined into [`Store`]. Backends (SQLite, PostgreSQL)
//! implement them in their own crates and translate database errors into [`StoreError`].
//! Every call takes the tenant id: no query can cross tenants.
#![warn(missing_docs)]

use std::time::Duration;

use async_trait::async_trait;
use gatehouse_core::PersonalAccessToken;
use gatehouse_core::throttle::{FailureCount, ThrottleKind};
use gatehouse_core::user::User;
use gatehouse_core::{ApiResource, Application, ClientSecret, SigningKey, Tenant};
use gatehouse_core::{AuthorizationCode, CodeConsumption, RefreshToken, RotateOutcome, Session};
use gatehouse_core::{Consent, DeviceApproval, DeviceAuthorization, DevicePoll, Interaction};

#[cfg(feature = "conformance")]
pub mod conformance;

/// Errors a store reports, independent of the backend.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    /// The record does not exist (in this tenant).
    #[error("not found")]
    NotFound,
    /// A unique constraint was violated; the message names what collided.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached or timed out; callers answer 503.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else; the message is for logs only.
    #[error("database error: {0}")]
    Other(String),
}

/// Connection pool settings shared by the SQL backends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// Most connections the pool opens (SQLite in-memory databases always use one).
    pub max_connections: u32,
    /// How long a call waits for a connection before failing with `Unavailable`.
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(3),
        }
    }
}

/// Decodes the secrets of one application from the JSON both SQL backends build in
/// `find_client`: an array of `[id, name, hex(secret_hash), created_at, expires_at]`.
pub fn decode_secrets_json(application_id: &str, text: &str) -> StoreResult<Vec<ClientSecret>> {
    type Row = (String, Option<String>, String, i64, Option<i64>);
    let rows: Vec<Row> = serde_json::from_str(text)
        .map_err(|e| StoreError::Other(format!("secrets of {application_id}: {e}")))?;
    rows.into_iter()
        .map(|(id, name, hash, created_at, expires_at)| {
            let secret_hash = decode_hex(&hash)
                .ok_or_else(|| StoreError::Other(format!("secret {id}: hash is not hex")))?;
            Ok(ClientSecret {
                id,
                application_id: application_id.to_owned(),
                name,
                secret_hash,
                created_at,
                expires_at,
            })
        })
        .collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

/// Result alias for store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// Cursor pagination: items strictly after `after` (by id), at most `limit`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Exclusive lower bound on the id, from the previous page's last item.
    pub after: Option<String>,
    /// Maximum number of items (1..=200).
    pub limit: u32,
}

/// Tenants.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Inserts a tenant; `Conflict` when the name is taken.
    async fn insert_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
    /// Finds a tenant by name.
    async fn find_tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>>;
    /// Lists tenants ordered by id.
    async fn list_tenants(&self, page: &PageRequest) -> StoreResult<Vec<Tenant>>;
}

/// Applications (OAuth clients) and their secrets.
#[async_trait]
pub trait ApplicationStore: Send + Sync {
    /// Inserts an application with its resource grants; `Conflict` when the id is taken.
    async fn insert_application(&self, tenant_id: &str, app: &Application) -> StoreResult<()>;
    /// Finds an application (with its resource grants) by client_id.
    async fn find_application(&self, tenant_id: &str, id: &str)
    -> StoreResult<Option<Application>>;
    /// The application (with its grants) and all its secrets in one round trip: client
    /// authentication runs this on every token request.
    async fn find_client(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> StoreResult<Option<(Application, Vec<ClientSecret>)>>;
    /// Lists applications ordered by id.
    async fn list_applications(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> StoreResult<Vec<Application>>;
    /// Replaces an application's mutable fields and grants; `NotFound` when absent.
    async fn update_application(&self, tenant_id: &str, app: &Application) -> StoreResult<()>;
    /// Deletes an application, its secrets and grants; `NotFound` when absent.
    async fn delete_application(&self, tenant_id: &str, id: &str) -> StoreResult<()>;
    /// Inserts a client secret for an existing application.
    async fn insert_client_secret(&self, tenant_id: &str, secret: &ClientSecret)
    -> StoreResult<()>;
    /// Lists an application's secrets (expired ones included) ordered by creation.
    async fn list_client_secrets(
        &self,
        tenant_id: &str,
        application_id: &str,
    ) -> StoreResult<Vec<ClientSecret>>;
    /// Deletes one secret of an application; `NotFound` when absent.
    async fn delete_client_secret(
        &self,
        tenant_id: &str,
        application_id: &str,
        secret_id: &str,
    ) -> StoreResult<()>;
    /// A counter, across tenants, that every committed change to an application, its secrets
    /// or its resource grants moves, whoever writes it (database triggers bump it). Servers
    /// cache what [`find_client`](Self::find_client) returns and poll this to see changes made
    /// by other processes.
    async fn client_generation(&self) -> StoreResult<i64>;
}

/// API resources and their scopes.
#[async_trait]
pub trait ResourceStore: Send + Sync {
    /// Inserts a resource with its scopes; `Conflict` when the indicator or id is taken.
    async fn insert_resource(&self, tenant_id: &str, resource: &ApiResource) -> StoreResult<()>;
    /// Finds a resource by id.
    async fn find_resource(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ApiResource>>;
    /// Finds a resource by its indicator (exact match).
    async fn find_resource_by_indicator(
        &self,
        tenant_id: &str,
        indicator: &str,
    ) -> StoreResult<Option<ApiResource>>;
    /// Lists resources ordered by id.
    async fn list_resources(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> StoreResult<Vec<ApiResource>>;
    /// Replaces a resource's mutable fields and scopes; `NotFound` when absent.
    async fn update_resource(&self, tenant_id: &str, resource: &ApiResource) -> StoreResult<()>;
    /// Deletes a resource and every application grant on it; `NotFound` when absent.
    async fn delete_resource(&self, tenant_id: &str, id: &str) -> StoreResult<()>;
}

/// Signing keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Inserts a key.
    async fn insert_signing_key(&self, tenant_id: &str, key: &SigningKey) -> StoreResult<()>;
    /// Lists all keys of a tenant, newest first.
    async fn list_signing_keys(&self, tenant_id: &str) -> StoreResult<Vec<SigningKey>>;
    /// Sets `retires_at` and `expires_at` on a key; `NotFound` when absent.
    async fn retire_signing_key(
        &self,
        tenant_id: &str,
        kid: &str,
        retires_at: i64,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// Inserts `new_key` and, atomically, retires at `retires_at` (published until `expires_at`)
    /// every key that would otherwise still sign after `retires_at`.
    async fn rotate_signing_key(
        &self,
        tenant_id: &str,
        new_key: &SigningKey,
        retires_at: i64,
        expires_at: i64,
    ) -> StoreResult<()>;
}

/// What the store knows about one access token, for [`RevocationStore::token_state`]. Markers
/// count until they are purged, whatever their `expires_at`, like the single lookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenState {
    /// The token's `jti` is on the deny list.
    pub token_revoked: bool,
    /// The token carries a grant id and that grant is revoked.
    pub grant_revoked: bool,
    /// The token's client (application) exists in the tenant.
    pub client_exists: bool,
}

/// Revoked JWT access tokens (a deny list by `jti`, kept until the token's own expiry).
#[async_trait]
pub trait RevocationStore: Send + Sync {
    /// Records a revoked token; revoking twice is not an error.
    async fn insert_revoked_token(
        &self,
        tenant_id: &str,
        jti: &str,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// Whether the token was revoked.
    async fn is_token_revoked(&self, tenant_id: &str, jti: &str) -> StoreResult<bool>;
    /// Everything that can revoke a validly signed access token, in one round trip: whether
    /// its `jti` is on the deny list, whether its grant is revoked (as
    /// [`GrantStore::is_grant_revoked`]; `false` when `grant_id` is `None`), and whether its
    /// client still exists (as [`ApplicationStore::find_client`] finding it).
    async fn token_state(
        &self,
        tenant_id: &str,
        jti: &str,
        grant_id: Option<&str>,
        client_id: &str,
    ) -> StoreResult<TokenState>;
    /// Deletes deny-list entries of tokens that expired before `now`; returns how many.
    async fn delete_expired_revocations(&self, now: i64) -> StoreResult<u64>;
}

/// Users. Usernames and emails are stored in canonical form; each is unique within a tenant.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a user; `Conflict` naming the username or the email when either is taken.
    async fn insert_user(&self, tenant_id: &str, user: &User) -> StoreResult<()>;
    /// Finds a user by id.
    async fn find_user(&self, tenant_id: &str, id: &str) -> StoreResult<Option<User>>;
    /// Finds a user by canonical username (exact match).
    async fn find_user_by_username(
        &self,
        tenant_id: &str,
        username: &str,
    ) -> StoreResult<Option<User>>;
    /// Finds a user by canonical email (exact match).
    async fn find_user_by_email(&self, tenant_id: &str, email: &str) -> StoreResult<Option<User>>;
    /// Lists users ordered by id; `query` keeps those whose username, email or name contains
    /// it, case-insensitively, with `%`, `_` and `\` taken literally.
    async fn list_users(
        &self,
        tenant_id: &str,
        page: &PageRequest,
        query: Option<&str>,
    ) -> StoreResult<Vec<User>>;
    /// Replaces a user's mutable fields (everything but id and created_at); `NotFound` when
    /// absent, `Conflict` when the new username or email is taken.
    async fn update_user(&self, tenant_id: &str, user: &User) -> StoreResult<()>;
    /// Deletes a user; `NotFound` when absent.
    async fn delete_user(&self, tenant_id: &str, id: &str) -> StoreResult<()>;
}

/// The `LIKE` pattern (with `\` as the escape character) matching any text that contains
/// `query` literally, lowercased: callers compare it against `lower(column)`.
pub fn like_contains_pattern(query: &str) -> String {
    let mut pattern = String::with_capacity(query.len() + 2);
    pattern.push('%');
    for c in query.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The whole store a server runs on.
#[async_trait]
pub trait Store:
    TenantStore
    + ApplicationStore
    + ResourceStore
    + KeyStore
    + RevocationStore
    + UserStore
    + SessionStore
    + AuthorizationCodeStore
    + RefreshTokenStore
    + GrantStore
    + ThrottleStore
    + InteractionStore
    + ConsentStore
    + ClientAssertionStore
    + AdminStore
    + DeviceAuthorizationStore
    + PersonalAccessTokenStore
{
    /// Checks the database answers (for `/readyz`).
    async fn ping(&self) -> StoreResult<()>;
    /// Name of the backend, for logs: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}

/// Browser sessions, found by the hash of their cookie (S-03) and listed by user (S-10).
/// A session is live while `now` is before both `expires_at` and `idle_expires_at`.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Inserts a session; `Conflict` when the id or the secret hash is taken, or the user does
    /// not exist.
    async fn insert_session(&self, tenant_id: &str, session: &Session) -> StoreResult<()>;
    /// The live session whose cookie hashes to `secret_hash`; `None` when absent or expired.
    async fn find_session_by_secret_hash(
        &self,
        tenant_id: &str,
        secret_hash: &[u8],
        now: i64,
    ) -> StoreResult<Option<Session>>;
    /// Records activity on a live session: `last_seen_at = now` and the new idle limit.
    /// `NotFound` when absent or already expired (an expired session is never revived).
    async fn touch_session(
        &self,
        tenant_id: &str,
        id: &str,
        now: i64,
        idle_expires_at: i64,
    ) -> StoreResult<()>;
    /// Deletes a session (logout); `NotFound` when absent.
    async fn delete_session(&self, tenant_id: &str, id: &str) -> StoreResult<()>;
    /// The user's live sessions, newest first.
    async fn list_sessions_for_user(
        &self,
        tenant_id: &str,
        user_id: &str,
        now: i64,
    ) -> StoreResult<Vec<Session>>;
    /// Deletes every session of the user (logout everywhere); returns how many.
    async fn delete_sessions_for_user(&self, tenant_id: &str, user_id: &str) -> StoreResult<u64>;
}

/// Authorization codes, stored by hash and redeemable once.
#[async_trait]
pub trait AuthorizationCodeStore: Send + Sync {
    /// Inserts a code; `Conflict` when the hash is taken, or the user or client does not exist.
    async fn insert_code(&self, tenant_id: &str, code: &AuthorizationCode) -> StoreResult<()>;
    /// Redeems a code atomically: of any number of concurrent calls, exactly one gets
    /// `Consumed` (M-02). A consumed code answers `AlreadyConsumed` even once expired.
    async fn consume_code(
        &self,
        tenant_id: &str,
        code_hash: &[u8],
        now: i64,
    ) -> StoreResult<CodeConsumption>;
}

/// Refresh tokens, stored by hash, rotated one at a time within their family.
#[async_trait]
pub trait RefreshTokenStore: Send + Sync {
    /// Inserts the first token of a family; `Conflict` when the hash is taken, or the user or
    /// client does not exist.
    async fn insert_refresh_token(&self, tenant_id: &str, token: &RefreshToken) -> StoreResult<()>;
    /// Atomically marks the old token used and inserts `new` (of the same family), only when
    /// the old one is unused, unrevoked and within both limits at `now`. Otherwise inserts
    /// nothing and says why, checking in this order: `NotFound`, `Revoked`, `Reused` (the
    /// caller then revokes the family), `Expired`. Of concurrent rotations of one token,
    /// exactly one gets `Rotated` (T-02). A `new` token of another family is an error.
    async fn rotate_refresh_token(
        &self,
        tenant_id: &str,
        old_hash: &[u8],
        new: &RefreshToken,
        now: i64,
    ) -> StoreResult<RotateOutcome>;
    /// Sets `revoked_at` on every not yet revoked token of the family; returns how many.
    async fn revoke_family(&self, tenant_id: &str, family_id: &str, now: i64) -> StoreResult<u64>;
    /// A token in any state (used, revoked or expired ones included).
    async fn find_refresh_token(
        &self,
        tenant_id: &str,
        token_hash: &[u8],
    ) -> StoreResult<Option<RefreshToken>>;
}

/// Revoked grants: a grant id marked here revokes every access token carrying it.
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Marks a grant revoked until `expires_at` (when its last token expires). Revoking again
    /// keeps the first `revoked_at` and the later `expires_at`.
    async fn revoke_grant(
        &self,
        tenant_id: &str,
        grant_id: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// Revokes every refresh token family the user holds for one client and marks each
    /// such family's grant revoked until its last token expires (T-06: consent revoked);
    /// returns how many tokens were revoked.
    async fn revoke_grants_for_client_user(
        &self,
        tenant_id: &str,
        client_id: &str,
        user_id: &str,
        now: i64,
    ) -> StoreResult<u64>;
    /// Whether the grant was revoked (until its marker is purged).
    async fn is_grant_revoked(&self, tenant_id: &str, grant_id: &str) -> StoreResult<bool>;
    /// Revokes every refresh token family of the user and marks each such family's grant
    /// revoked until its last token expires (T-06: password change, logout everywhere,
    /// disable); returns how many tokens were revoked.
    async fn revoke_grants_for_user(
        &self,
        tenant_id: &str,
        user_id: &str,
        now: i64,
    ) -> StoreResult<u64>;
    /// Across tenants, deletes expired sessions, codes, device authorizations and personal
    /// access tokens that expired more than [`CODE_RETENTION_SECS`] ago, refresh tokens past
    /// their absolute limit (and unused ones past their idle limit), expired interactions and
    /// expired revoked-grant markers; returns how many rows.
    async fn delete_expired_grants_data(&self, now: i64) -> StoreResult<u64>;
}

/// How long a code is kept after it expires, so that a late replay still answers
/// `AlreadyConsumed` rather than `NotFound`.
pub const CODE_RETENTION_SECS: i64 = 86_400;

/// Brute-force failure counters keyed by `(tenant, kind, key)` (checklist R-01..R-05). Keys are
/// stored as given: identifiers, IP addresses or client ids, never a password or a secret.
/// Every counter lives in the database, so replicas count together.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// Counts one failure at `now`, atomically (R-03: of any number of concurrent calls, every
    /// one is counted). A counter whose window started `window_seconds` or more before `now`
    /// (or no counter at all) restarts at 1 with `first_failure_at = now`; otherwise it goes up
    /// by one. An active lock is kept; an expired one is dropped when the window restarts.
    /// Returns the counter after the change. `Conflict` when the tenant does not exist.
    async fn record_failure(
        &self,
        tenant_id: &str,
        kind: ThrottleKind,
        key: &str,
        now: i64,
        window_seconds: i64,
    ) -> StoreResult<FailureCount>;
    /// Locks the counter until `locked_until`, or later when it is already locked longer:
    /// concurrent callers never shorten a lock. `NotFound` when there is no counter.
    async fn set_lock(
        &self,
        tenant_id: &str,
        kind: ThrottleKind,
        key: &str,
        locked_until: i64,
    ) -> StoreResult<()>;
    /// The counter, unless its window is over at `now` and no lock is active.
    async fn find_failures(
        &self,
        tenant_id: &str,
        kind: ThrottleKind,
        key: &str,
        now: i64,
    ) -> StoreResult<Option<FailureCount>>;
    /// [`ThrottleStore::find_failures`] of two counters in one round trip (a sign-in checks
    /// the identifier's and the IP's before the password), answered in the order asked.
    async fn find_failures_pair(
        &self,
        tenant_id: &str,
        first: (ThrottleKind, &str),
        second: (ThrottleKind, &str),
        now: i64,
    ) -> StoreResult<(Option<FailureCount>, Option<FailureCount>)>;
    /// Forgets the counter and its lock (after a successful attempt); absent is not an error.
    async fn clear_failures(
        &self,
        tenant_id: &str,
        kind: ThrottleKind,
        key: &str,
    ) -> StoreResult<()>;
    /// Across tenants, deletes counters whose window is over and whose lock (if any) expired
    /// at `now`; returns how many.
    async fn delete_expired_throttles(&self, now: i64) -> StoreResult<u64>;
}

/// Tenant administrators: people who may manage the tenant through interactive sign-in
/// (for example the Management API from the CLI).
#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Creates the tenant's first administrator: inserts `user`, makes them an administrator
    /// and marks the tenant bootstrapped, all or nothing. `Conflict` when the tenant was
    /// bootstrapped before, even if that administrator was deleted since (bootstrap never
    /// reopens, checklist U-18), or when the user's username or email is taken.
    async fn bootstrap_admin(&self, tenant_id: &str, user: &User, now: i64) -> StoreResult<()>;
    /// Whether the user administers the tenant.
    async fn is_admin(&self, tenant_id: &str, user_id: &str) -> StoreResult<bool>;
}

/// Pending authorizations, found by public id and consumed once.
#[async_trait]
pub trait InteractionStore: Send + Sync {
    /// Inserts an interaction; `Conflict` when the id is taken or the client does not exist.
    async fn insert_interaction(
        &self,
        tenant_id: &str,
        interaction: &Interaction,
    ) -> StoreResult<()>;
    /// The interaction, unless absent or expired at `now`.
    async fn find_interaction(
        &self,
        tenant_id: &str,
        id: &str,
        now: i64,
    ) -> StoreResult<Option<Interaction>>;
    /// Deletes the interaction atomically and returns it, if it was live at `now`: of any
    /// number of concurrent calls, exactly one gets `Some` (a double-submitted consent form
    /// issues one code).
    async fn consume_interaction(
        &self,
        tenant_id: &str,
        id: &str,
        now: i64,
    ) -> StoreResult<Option<Interaction>>;
}

/// Consent a person gave an application, one record per (user, client).
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// Inserts or replaces the consent of `(user_id, client_id)`; `Conflict` when the user or
    /// the client does not exist.
    async fn upsert_consent(&self, tenant_id: &str, consent: &Consent) -> StoreResult<()>;
    /// The consent of a user for a client.
    async fn find_consent(
        &self,
        tenant_id: &str,
        user_id: &str,
        client_id: &str,
    ) -> StoreResult<Option<Consent>>;
    /// Every consent of the user, most recently updated first.
    async fn list_consents_for_user(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> StoreResult<Vec<Consent>>;
    /// Deletes a consent; `NotFound` when absent.
    async fn delete_consent(
        &self,
        tenant_id: &str,
        user_id: &str,
        client_id: &str,
    ) -> StoreResult<()>;
}

/// The `jti`s of client assertions already accepted (RFC 7523 §3 item 7, checklist P-23), so an
/// assertion is accepted once: kept in the database, every replica refuses a replay. A record
/// lives until the assertion could no longer be accepted anyway;
/// [`GrantStore::delete_expired_grants_data`] also deletes the expired ones.
#[async_trait]
pub trait ClientAssertionStore: Send + Sync {
    /// Records that the client used `jti`, until `expires_at`. Returns `true` when the `jti`
    /// is new for this client (or its earlier record expired at or before `now`), `false` on
    /// a replay. Atomic: of any number of concurrent calls with one `(client_id, jti)`, exactly
    /// one gets `true`. `Conflict` when the client does not exist.
    async fn record_assertion_jti(
        &self,
        tenant_id: &str,
        client_id: &str,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<bool>;
}

/// Device authorization requests (RFC 8628), found by the hash of the device code (polling)
/// or by the user code (the verification page).
#[async_trait]
pub trait DeviceAuthorizationStore: Send + Sync {
    /// Inserts a pending request; `Conflict` when the device code hash or the user code is
    /// taken in the tenant (the caller draws new codes), or the client does not exist.
    async fn insert_device_authorization(
        &self,
        tenant_id: &str,
        authorization: &DeviceAuthorization,
    ) -> StoreResult<()>;
    /// The request with this user code, in any status, unless expired at `now`.
    async fn find_device_by_user_code(
        &self,
        tenant_id: &str,
        user_code: &str,
        now: i64,
    ) -> StoreResult<Option<DeviceAuthorization>>;
    /// Approves (`Some`) or denies (`None`) a pending, unexpired request; returns whether it
    /// changed (false: unknown, expired or already decided). Of concurrent decisions exactly
    /// one wins.
    async fn decide_device_authorization(
        &self,
        tenant_id: &str,
        user_code: &str,
        approval: Option<&DeviceApproval>,
        now: i64,
    ) -> StoreResult<bool>;
    /// One poll by `client_id`, decided atomically, in this order: `NotFound` (unknown, or
    /// another client's), `AlreadyConsumed`, `Expired`, `SlowDown` (the previous poll was less
    /// than `interval` seconds before `now`: the interval grows by `slow_down_by`), then by
    /// status `Pending`, `Denied`, or `Approved` (which marks it consumed: of concurrent polls
    /// exactly one gets it). Every poll except `NotFound` records `now` as the last poll.
    async fn poll_device_authorization(
        &self,
        tenant_id: &str,
        device_code_hash: &[u8],
        client_id: &str,
        now: i64,
        slow_down_by: i64,
    ) -> StoreResult<DevicePoll>;
}

/// Personal access tokens, found by the hash of the token (exchange) or listed by person.
#[async_trait]
pub trait PersonalAccessTokenStore: Send + Sync {
    /// Inserts a token; `Conflict` when the id or hash is taken or the user does not exist.
    async fn insert_pat(&self, tenant_id: &str, token: &PersonalAccessToken) -> StoreResult<()>;
    /// The token whose secret hashes to `token_hash`, expired or not.
    async fn find_pat_by_hash(
        &self,
        tenant_id: &str,
        token_hash: &[u8],
    ) -> StoreResult<Option<PersonalAccessToken>>;
    /// The person's tokens, expired ones included, newest first.
    async fn list_pats_for_user(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> StoreResult<Vec<PersonalAccessToken>>;
    /// Deletes one of the person's tokens; `NotFound` when absent or someone else's.
    async fn delete_pat(&self, tenant_id: &str, user_id: &str, id: &str) -> StoreResult<()>;
    /// Records a use: `last_used_at` becomes `now` unless it is already later (concurrent
    /// exchanges never move it backwards). `NotFound` when absent.
    async fn touch_pat(&self, tenant_id: &str, id: &str, now: i64) -> StoreResult<()>;
}
