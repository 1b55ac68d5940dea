//! Signing keys per tenant. Private keys are stored sealed under the master key and opened
//! once per cache period; the cache is bounded and refreshed every `key_cache_seconds`, so a
//! key rotated on one replica is published by all of them within that time.
//!
//! Key life: created (published in the JWKS) -> activates (signs) -> retires (a newer key
//! signs) -> expires (leaves the JWKS once no token it signed can still be valid). A rotated-in
//! key is published `key_activation_delay` seconds before it signs, so verifiers learn it first.

use crate::cache::TtlCache;
use crate::{Engine, ErrorCode, OAuthError, TenantContext};
use gatehouse_core::{SigningAlgorithm, SigningKey};
use gatehouse_crypto::{MasterKey, Signer, Verifier, generate_signing_key};
use gatehouse_types::oauth::{Jwk, Jwks};
use std::sync::Arc;

/// A tenant's usable keys at one moment.
pub struct TenantKeys {
    /// The key that signs now.
    pub signer: Signer,
    /// Every published public key.
    pub verifier: Verifier,
    /// The JWKS document, serialized once.
    pub jwks_json: String,
}

/// Opens, caches and creates tenant keys.
pub struct KeyManager {
    master_key: MasterKey,
    cache: TtlCache<Arc<TenantKeys>>,
}

/// The additional authenticated data binding a sealed key to its tenant and kid.
fn key_aad(tenant_id: &str, kid: &str) -> Vec<u8> {
    format!("signing-key/{tenant_id}/{kid}").into_bytes()
}

fn key_error(detail: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::ServerError, "signing keys unavailable").with_detail(detail)
}

impl KeyManager {
    /// A manager sealing and opening keys with `master_key`, caching at most `capacity`
    /// tenants' keys for `cache_seconds` each.
    pub fn new(master_key: MasterKey, capacity: usize, cache_seconds: i64) -> Self {
        Self {
            master_key,
            cache: TtlCache::new(capacity, cache_seconds),
        }
    }

    /// Generates and seals a new key for a tenant (not yet stored).
    pub fn new_key(
        &self,
        tenant_id: &str,
        alg: SigningAlgorithm,
        now: i64,
        activates_at: i64,
    ) -> Result<SigningKey, OAuthError> {
        let generated = generate_signing_key(alg).map_err(|e| key_error(e.to_string()))?;
        let public_jwk =
            serde_json::to_string(&generated.public_jwk).map_err(|e| key_error(e.to_string()))?;
        let sealed_private_key = self
            .master_key
            .seal(&generated.pkcs8_der, &key_aad(tenant_id, &generated.kid));
        Ok(SigningKey {
            kid: generated.kid,
            alg,
            public_jwk,
            sealed_private_key,
            created_at: now,
            activates_at,
            retires_at: None,
            expires_at: None,
        })
    }

    /// Forgets a tenant's cached keys (after a rotation on this replica).
    pub fn invalidate(&self, tenant_id: &str) {
        self.cache.remove(tenant_id);
    }

    /// Opens a stored key into a signer; fails when the master key is wrong.
    pub fn open_signer(&self, tenant_id: &str, key: &SigningKey) -> Result<Signer, OAuthError> {
        let der = self
            .master_key
            .open(&key.sealed_private_key, &key_aad(tenant_id, &key.kid))
            .map_err(|e| key_error(format!("cannot open signing key {}: {e}", key.kid)))?;
        Signer::from_pkcs8(&key.kid, key.alg, &der).map_err(|e| key_error(e.to_string()))
    }
}

impl Engine {
    /// The tenant's current keys, loading (and, when no key can sign, creating) them as needed.
    pub async fn tenant_keys(&self, tenant: &TenantContext) -> Result<Arc<TenantKeys>, OAuthError> {
        let now = self.now();
        if let Some(keys) = self.keys.cache.get(tenant.id(), now) {
            return Ok(keys);
        }
        let mut stored = self.store.list_signing_keys(tenant.id()).await?;
        if !stored.iter().any(|key| key.can_sign(now)) {
            // A tenant with no usable key (first start, or an interrupted provisioning) gets one.
            let key = self
                .keys
                .new_key(tenant.id(), self.config.signing_alg, now, now)?;
            self.store.insert_signing_key(tenant.id(), &key).await?;
            stored = self.store.list_signing_keys(tenant.id()).await?;
        }
        let keys = Arc::new(self.load_keys(tenant, &stored, now)?);
        self.keys.cache.put(tenant.id(), keys.clone(), now);
        Ok(keys)
    }

    fn load_keys(
        &self,
        tenant: &TenantContext,
        stored: &[SigningKey],
        now: i64,
    ) -> Result<TenantKeys, OAuthError> {
        let signing = stored
            .iter()
            .filter(|key| key.can_sign(now))
            .max_by_key(|key| (key.activates_at, key.created_at))
            .ok_or_else(|| key_error("no signing key"))?;
        let signer = self.keys.open_signer(tenant.id(), signing)?;
        let published: Vec<Jwk> = stored
            .iter()
            .filter(|key| key.is_published(now))
            .map(|key| serde_json::from_str(&key.public_jwk))
            .collect::<Result<_, _>>()
            .map_err(|e| key_error(format!("stored public key is not a JWK: {e}")))?;
        let verifier = Verifier::from_jwks(&published).map_err(|e| key_error(e.to_string()))?;
        let jwks_json = serde_json::to_string(&Jwks { keys: published })
            .map_err(|e| key_error(e.to_string()))?;
        Ok(TenantKeys {
            signer,
            verifier,
            jwks_json,
        })
    }

    /// Adds a new signing key: published now, signing after the activation delay, while every
    /// current key retires then and stays published for the longest token lifetime after that.
    pub async fn rotate_keys(
        &self,
        tenant: &TenantContext,
        alg: SigningAlgorithm,
        activation_delay: i64,
    ) -> Result<SigningKey, OAuthError> {
        let now = self.now();
        let activates_at = now.saturating_add(activation_delay.max(0));
        let key = self.keys.new_key(tenant.id(), alg, now, activates_at)?;
        let expires_at = activates_at.saturating_add(self.config.max_token_lifetime);
        self.store
            .rotate_signing_key(tenant.id(), &key, activates_at, expires_at)
            .await?;
        self.keys.invalidate(tenant.id());
        Ok(key)
    }
}
