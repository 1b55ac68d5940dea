//! The store conformance suite: every backend must pass every case. Each case is a plain
//! `pub async fn case(store: Arc<dyn Store>)` that panics on failure, and
//! [`conformance_tests!`](crate::conformance_tests) expands all of them into one
//! `#[tokio::test]` per case in a backend's test file, each on a fresh, migrated database.
//!
//! Cases create their own tenants and never assume an empty database beyond their own tenants.
// Test code: failing loudly is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use gatehouse_core::{
    ApiResource, Application, ApplicationType, ClientSecret, ResourceGrant, ResourceScope,
    SigningAlgorithm, SigningKey, Tenant,
};

use crate::{PageRequest, Store, StoreError};

mod admins;
mod applications;
mod assertions;
mod devices;
mod grants;
mod interactions;
mod keys;
mod pats;
mod resources;
mod tenants;
mod throttle;
mod users;

pub use admins::*;
pub use applications::*;
pub use assertions::*;
pub use devices::*;
pub use grants::*;
pub use interactions::*;
pub use keys::*;
pub use pats::*;
pub use resources::*;
pub use tenants::*;
pub use throttle::*;
pub use users::*;

/// Expands into one `#[tokio::test]` per conformance case.
///
/// The argument is an expression, evaluated afresh for each test, whose `.await` yields
/// `(Arc<dyn Store>, guard)`: a fresh migrated store and a value kept alive until the case
/// ends (a temporary directory, a database to drop). The calling crate needs `tokio` with the
/// `macros` and `rt-multi-thread` features.
///
/// ```ignore
/// gatehouse_store::conformance_tests!(async {
///     let (store, guard) = my_backend::testing::fresh_database().await;
///     (std::sync::Arc::new(store) as std::sync::Arc<dyn gatehouse_store::Store>, guard)
/// });
/// ```
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests!(@cases $factory;
            ping_answers,
            bootstrap_admin_happens_once_per_tenant,
            failed_bootstrap_leaves_the_tenant_open,
            concurrent_bootstraps_have_one_winner,
            tenant_insert_find_and_duplicate_name,
            tenant_list_pagination,
            application_roundtrip,
            find_client_returns_application_and_secrets,
            application_duplicate_id_conflict,
            application_update_replaces_grants,
            application_delete_cascades_secrets_and_grants,
            application_grant_to_unknown_resource_rejected,
            application_list_pagination,
            client_generation_moves_on_every_client_change,
            missing_rows_are_not_found,
            tenant_isolation,
            client_secrets_scoped_to_application,
            resource_roundtrip,
            resource_duplicate_indicator_conflict,
            resource_delete_removes_grants,
            resource_list_pagination,
            signing_keys_listed_newest_first,
            signing_key_rotation_retires_previous,
            signing_key_rotation_cuts_later_retirements,
            revocations,
            token_state_combinations,
            token_state_tenant_isolation,
            concurrent_application_inserts_one_wins,
            user_roundtrip,
            user_claims_roundtrip,
            user_duplicates_conflict,
            user_search_is_literal,
            user_list_pagination,
            user_update_delete_not_found,
            user_tenant_isolation,
            session_lifecycle,
            code_consumed_once,
            concurrent_code_consumption_one_wins,
            refresh_rotation_chain,
            concurrent_refresh_rotation_one_wins,
            refresh_token_expiry,
            grant_revocation,
            grants_tenant_isolation,
            deleting_user_cascades_grants_data,
            purge_removes_only_expired_grants_data,
            throttle_counts_and_resets_window,
            concurrent_throttle_failures_all_counted,
            throttle_lock_set_and_expires,
            throttle_clear,
            throttle_pair_lookup_matches_single_lookups,
            throttle_tenant_isolation,
            purge_removes_only_expired_throttles,
            interaction_roundtrip,
            interaction_consumed_once,
            concurrent_interaction_consumption_one_wins,
            interactions_tenant_isolation,
            purge_removes_only_expired_interactions,
            consent_upsert_replaces_and_keeps_created_at,
            consent_list_and_delete,
            deleting_user_or_application_cascades_consents,
            consents_tenant_isolation,
            revoke_grants_for_client_user_revokes_one_client,
            application_client_auth_settings_roundtrip,
            refresh_token_keeps_authentication,
            several_resources_roundtrip,
            assertion_jti_recorded_once,
            concurrent_assertion_jti_records_one_wins,
            purge_removes_only_expired_assertion_jtis,
            device_authorization_roundtrip,
            device_several_resources_roundtrip,
            device_approval_narrows_the_request,
            device_duplicate_codes_conflict,
            device_unknown_client_conflict,
            device_find_after_expiry_is_none,
            device_decided_once,
            concurrent_device_decisions_one_wins,
            device_denied_poll_answers_denied,
            device_poll_by_other_client_is_not_found,
            device_poll_too_fast_slows_down,
            device_approved_poll_consumes_once,
            concurrent_device_polls_one_approved,
            device_poll_after_expiry_is_expired,
            device_consumed_wins_over_expired,
            purge_removes_only_expired_device_authorizations,
            devices_tenant_isolation,
            deleting_application_or_user_cascades_device_authorizations,
            application_device_flow_roundtrip,
            pat_roundtrip_by_hash,
            pat_duplicate_hash_conflict,
            pat_unknown_user_conflict,
            pat_list_newest_first_for_one_user,
            pat_delete_by_owner,
            pat_touch_records_last_use,
            deleting_user_cascades_pats,
            purge_removes_only_expired_pats,
            pats_tenant_isolation,
        );
    };
    (@cases $factory:expr; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let (store, _guard) = $factory.await;
                $crate::conformance::$case(store).await;
            }
        )+
    };
}

fn tenant(id: &str) -> Tenant {
    Tenant {
        id: id.to_owned(),
        name: format!("name-{id}"),
        created_at: 1_700_000_000,
    }
}

async fn insert_tenants(store: &dyn Store, ids: &[&str]) {
    for id in ids {
        store.insert_tenant(&tenant(id)).await.unwrap();
    }
}

fn application(id: &str, grants: Vec<ResourceGrant>) -> Application {
    Application {
        id: id.to_owned(),
        name: format!("App {id}"),
        app_type: ApplicationType::Web,
        redirect_uris: vec![
            format!("https://{id}.example/callback"),
            "http://127.0.0.1/cb".to_owned(),
        ],
        post_logout_redirect_uris: vec![format!("https://{id}.example/bye")],
        third_party: false,
        builtin: false,
        resource_grants: grants,
        refresh_token_absolute_ttl: None,
        refresh_token_idle_ttl: None,
        jwks: None,
        device_flow: false,
        created_at: 1_700_000_100,
        updated_at: 1_700_000_100,
    }
}

fn grant(resource_id: &str, scopes: &[&str]) -> ResourceGrant {
    ResourceGrant {
        resource_id: resource_id.to_owned(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn resource(id: &str) -> ApiResource {
    ApiResource {
        id: id.to_owned(),
        name: format!("Resource {id}"),
        indicator: format!("https://{id}.example/api"),
        access_token_ttl: 3600,
        scopes: vec![
            ResourceScope {
                name: "read".to_owned(),
                description: "Read things".to_owned(),
            },
            ResourceScope {
                name: "write".to_owned(),
                description: String::new(),
            },
        ],
        builtin: false,
        created_at: 1_700_000_050,
        updated_at: 1_700_000_050,
    }
}

fn secret(id: &str, application_id: &str, created_at: i64) -> ClientSecret {
    ClientSecret {
        id: id.to_owned(),
        application_id: application_id.to_owned(),
        name: Some(format!("secret {id}")),
        secret_hash: vec![0, 1, 2, 255, id.len() as u8],
        created_at,
        expires_at: None,
    }
}

fn signing_key(kid: &str, created_at: i64) -> SigningKey {
    SigningKey {
        kid: kid.to_owned(),
        alg: SigningAlgorithm::Es256,
        public_jwk: format!(r#"{{"kty":"EC","kid":"{kid}"}}"#),
        sealed_private_key: vec![9, 8, 7, 0, 255],
        created_at,
        activates_at: created_at + 60,
        retires_at: None,
        expires_at: None,
    }
}

fn page(after: Option<&str>, limit: u32) -> PageRequest {
    PageRequest {
        after: after.map(str::to_owned),
        limit,
    }
}

fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    match result {
        Err(StoreError::Conflict(message)) => assert!(!message.is_empty(), "{what}: empty message"),
        other => panic!("{what}: expected Conflict, got {other:?}"),
    }
}

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    assert!(
        matches!(result, Err(StoreError::NotFound)),
        "{what}: expected NotFound, got {result:?}"
    );
}
