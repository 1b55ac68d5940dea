//! The engine: explicit application state (store, keys, clock, config) that every endpoint
//! handler receives. No global singletons, so tests run many engines in parallel.

use crate::cache::TtlCache;
pub use crate::client_cache::SYNC_INTERVAL as CLIENT_SYNC_INTERVAL;
use crate::client_cache::{ClientCache, ClientRecord};
use crate::keys::KeyManager;
use crate::{Clock, OAuthError};
use gatehouse_core::{
    ApiResource, MANAGEMENT_RESOURCE_ID, SigningAlgorithm, Tenant, issuer_for, management_indicator,
};
use gatehouse_crypto::{MasterKey, PasswordHasher};
use gatehouse_store::{Store, StoreError};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

/// How long a resolved tenant is trusted (seconds); tenants never change name.
const TENANT_TTL: i64 = 60;

/// How long an API resource definition is trusted (seconds). A change made on this replica
/// applies at once; other replicas see it within this time. Grants are read with the client
/// (see `client_cache`), so they apply at once.
pub const RESOURCE_TTL: i64 = 5;

/// The most argon2 computations (hash or verify) one engine ever runs at once, whatever the
/// number of CPUs; each takes ~19 MiB and ~12 ms of one core.
pub const MAX_PASSWORD_HASH_CONCURRENCY: usize = 8;

/// How many argon2 computations one engine runs at once: one per CPU this process may use
/// (its affinity mask and cgroup quota, as `std::thread::available_parallelism` reads them),
/// at most [`MAX_PASSWORD_HASH_CONCURRENCY`]. argon2id is memory-hard: two hashes sharing one
/// core evict each other's blocks from the cache, so each costs about 16 % more CPU (measured
/// by bench/sign-in: 13.8 ms per verification with two threads on one core, 11.9 ms with one)
/// and neither finishes sooner. Others wait in the queue.
pub fn password_hash_concurrency() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, MAX_PASSWORD_HASH_CONCURRENCY)
}

/// Engine settings, validated by the caller.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Base URL of the server; the root tenant's issuer (no trailing slash).
    pub base_url: String,
    /// Algorithm of newly created signing keys.
    pub signing_alg: SigningAlgorithm,
    /// How long a replica trusts its cached keys before re-reading them (seconds).
    pub key_cache_seconds: i64,
    /// How long a rotated-in key is published before it starts signing (seconds), so every
    /// replica and client cache knows it first.
    pub key_activation_delay: i64,
    /// Longest lifetime of any token signed by a key; a retired key stays published this long.
    pub max_token_lifetime: i64,
    /// Most tenants whose keys and rows are cached at once.
    pub cache_capacity: usize,
    /// Absolute lifetime of a browser session (seconds), whatever its activity.
    pub session_absolute_seconds: i64,
    /// A browser session without a request for this long ends (seconds).
    pub session_idle_seconds: i64,
}

impl EngineConfig {
    /// Defaults for a base URL.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            signing_alg: SigningAlgorithm::Es256,
            key_cache_seconds: 5,
            key_activation_delay: 30,
            max_token_lifetime: 86_400,
            cache_capacity: 1024,
            session_absolute_seconds: crate::interaction::SESSION_ABSOLUTE_SECONDS,
            session_idle_seconds: crate::interaction::SESSION_IDLE_SECONDS,
        }
    }
}

/// A resolved tenant with its issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantContext {
    /// The tenant record.
    pub tenant: Tenant,
    /// Its issuer identifier.
    pub issuer: String,
}

impl TenantContext {
    /// The tenant id every store call takes.
    pub fn id(&self) -> &str {
        &self.tenant.id
    }

    /// The Management API's resource indicator for this tenant.
    pub fn management_indicator(&self) -> String {
        management_indicator(&self.issuer)
    }
}

/// The protocol engine's state.
pub struct Engine {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Signing keys, cached per tenant.
    pub keys: KeyManager,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Settings.
    pub config: EngineConfig,
    tenants: TtlCache<Arc<TenantContext>>,
    resources: TtlCache<Option<ApiResource>>,
    /// Client records for client authentication, kept in step with the store by
    /// [`Engine::sync_clients`].
    pub(crate) clients: ClientCache,
    /// Hashes and verifies user passwords (argon2id).
    pub(crate) passwords: Arc<PasswordHasher>,
    /// Bounds how many argon2 computations run at once, so a burst of sign-ins or user
    /// creations cannot exhaust CPU or memory (checklist R-08).
    pub(crate) password_permits: Arc<Semaphore>,
}

impl Engine {
    /// Builds an engine.
    pub fn new(
        store: Arc<dyn Store>,
        master_key: MasterKey,
        clock: Arc<dyn Clock>,
        config: EngineConfig,
    ) -> Self {
        let keys = KeyManager::new(master_key, config.cache_capacity, config.key_cache_seconds);
        let tenants = TtlCache::new(config.cache_capacity, TENANT_TTL);
        let resources = TtlCache::new(config.cache_capacity, RESOURCE_TTL);
        let clients = ClientCache::new(config.cache_capacity);
        Self {
            store,
            keys,
            clock,
            config,
            tenants,
            resources,
            clients,
            passwords: Arc::new(PasswordHasher::new()),
            password_permits: Arc::new(Semaphore::new(password_hash_concurrency())),
        }
    }

    /// The current time.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Resolves a tenant by name (cached briefly; tenants never change name).
    pub async fn tenant(&self, name: &str) -> Result<Option<Arc<TenantContext>>, StoreError> {
        let now = self.now();
        if let Some(found) = self.tenants.get(name, now) {
            return Ok(Some(found));
        }
        let Some(tenant) = self.store.find_tenant_by_name(name).await? else {
            return Ok(None);
        };
        let context = Arc::new(self.context_for(tenant));
        self.tenants.put(name, context.clone(), now);
        Ok(Some(context))
    }

    /// The context of a tenant record.
    pub fn context_for(&self, tenant: Tenant) -> TenantContext {
        let issuer = issuer_for(&self.config.base_url, &tenant.name);
        TenantContext { tenant, issuer }
    }

    /// Finds the API resource a resource indicator names (cached for [`RESOURCE_TTL`]); the
    /// Management API's indicator is derived from the issuer rather than stored.
    pub async fn find_resource_by_indicator(
        &self,
        tenant: &TenantContext,
        indicator: &str,
    ) -> Result<Option<ApiResource>, OAuthError> {
        let key = resource_cache_key(tenant, indicator);
        let now = self.now();
        if let Some(found) = self.resources.get(&key, now) {
            return Ok(found);
        }
        if indicator == crate::account::account_indicator(&tenant.issuer) {
            return Ok(Some(crate::account::account_resource(tenant)));
        }
        let found = if indicator == tenant.management_indicator() {
            self.store
                .find_resource(tenant.id(), MANAGEMENT_RESOURCE_ID)
                .await?
        } else {
            self.store
                .find_resource_by_indicator(tenant.id(), indicator)
                .await?
        };
        self.resources.put(&key, found.clone(), now);
        Ok(found)
    }

    /// Drops a cached resource after this replica changed or deleted it.
    pub fn forget_resource(&self, tenant: &TenantContext, indicator: &str) {
        self.resources
            .remove(&resource_cache_key(tenant, indicator));
    }

    /// A client and its secrets, for client authentication: from the client cache while polls
    /// vouch for it (see `client_cache`), otherwise from the store.
    pub(crate) async fn find_client(
        &self,
        tenant: &TenantContext,
        client_id: &str,
    ) -> Result<Option<ClientRecord>, StoreError> {
        let now = self.now();
        if let Some(found) = self.clients.get(tenant.id(), client_id, now) {
            return Ok(Some(found));
        }
        let version = self.clients.version();
        let Some(found) = self.store.find_client(tenant.id(), client_id).await? else {
            return Ok(None);
        };
        let record = Arc::new(found);
        self.clients
            .put(tenant.id(), client_id, version, record.clone(), now);
        Ok(Some(record))
    }

    /// Drops every cached client: call once a change this process made to an application, its
    /// secrets or its grants is committed.
    pub(crate) fn forget_clients(&self) {
        self.clients.invalidate();
    }

    /// Polls the store's client generation once, so changes other processes made to clients
    /// reach the client cache. A server calls this every [`CLIENT_SYNC_INTERVAL`]; until the
    /// first success, and soon after a failure, the cache is bypassed.
    pub async fn sync_clients(&self) -> Result<(), StoreError> {
        let polled_at = Instant::now();
        match self.store.client_generation().await {
            Ok(generation) => {
                self.clients.observe(generation, polled_at);
                Ok(())
            }
            Err(error) => {
                self.clients.stale();
                Err(error)
            }
        }
    }

    /// Checks the database answers (`/readyz`). A failure also stops trusting cached clients,
    /// so nothing is served from memory while the database is known to be down.
    pub async fn ready(&self) -> Result<(), StoreError> {
        let answer = self.store.ping().await;
        if answer.is_err() {
            self.clients.stale();
        }
        answer
    }

    /// The indicator to show for a resource: the Management API's is derived from the issuer.
    pub fn public_indicator(&self, tenant: &TenantContext, resource: &ApiResource) -> String {
        if resource.id == MANAGEMENT_RESOURCE_ID {
            tenant.management_indicator()
        } else {
            resource.indicator.clone()
        }
    }
}

fn resource_cache_key(tenant: &TenantContext, indicator: &str) -> String {
    format!("{} {indicator}", tenant.id())
}

#[cfg(test)]
mod concurrency_tests {
    use super::*;

    #[test]
    fn one_password_hash_at_a_time_per_usable_cpu() {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        assert_eq!(
            password_hash_concurrency(),
            cpus.clamp(1, MAX_PASSWORD_HASH_CONCURRENCY)
        );
    }
}
