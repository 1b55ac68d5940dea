//! Cases for pending authorizations (interactions), remembered consent and revoking the
//! grants one user gave one client.

use std::sync::Arc;

use gatehouse_core::user::User;
use gatehouse_core::{Consent, Interaction, RefreshToken, RotateOutcome};

use super::*;

const NOW: i64 = 1_800_000_000;

/// Tenants with users `u-1` and `u-2` and applications `app-1` and `app-2` in each.
async fn interaction_fixtures(store: &dyn Store, tenants: &[&str]) {
    insert_tenants(store, tenants).await;
    for tenant in tenants {
        for id in ["u-1", "u-2"] {
            let user = User {
                id: id.to_owned(),
                username: Some(format!("name-{id}")),
                created_at: 1,
                updated_at: 1,
                ..User::default()
            };
            store.insert_user(tenant, &user).await.unwrap();
        }
        for id in ["app-1", "app-2"] {
            store
                .insert_application(tenant, &application(id, vec![]))
                .await
                .unwrap();
        }
    }
}

fn interaction(id: &str, client_id: &str, expires_at: i64) -> Interaction {
    let mut browser_hash = id.as_bytes().to_vec();
    browser_hash.resize(32, 0xc3);
    Interaction {
        id: id.to_owned(),
        browser_hash,
        client_id: client_id.to_owned(),
        params: format!(
            "client_id={client_id}&redirect_uri=https%3A%2F%2F{client_id}.example%2Fcallback\
             &response_type=code&scope=openid+profile&state=%C3%A9t%C3%A9"
        ),
        created_at: NOW - 10,
        expires_at,
    }
}

fn consent(user_id: &str, client_id: &str, scopes: &[&str], updated_at: i64) -> Consent {
    Consent {
        user_id: user_id.to_owned(),
        client_id: client_id.to_owned(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        resources: vec!["https://api.example".to_owned()],
        created_at: updated_at,
        updated_at,
    }
}

fn refresh_token(label: &str, family_id: &str, client_id: &str, user_id: &str) -> RefreshToken {
    let mut token_hash = label.as_bytes().to_vec();
    token_hash.resize(32, 0x5a);
    RefreshToken {
        token_hash,
        family_id: family_id.to_owned(),
        client_id: client_id.to_owned(),
        user_id: user_id.to_owned(),
        session_id: None,
        scopes: vec!["openid".to_owned(), "offline_access".to_owned()],
        resources: vec![],
        auth_time: NOW - 50,
        amr: vec!["pwd".to_owned()],
        acr: None,
        created_at: NOW - 10,
        expires_at: NOW + 86_400,
        idle_expires_at: NOW + 3600,
        used_at: None,
        revoked_at: None,
    }
}

fn client_ids(list: Vec<Consent>) -> Vec<String> {
    list.into_iter().map(|c| c.client_id).collect()
}

/// An interaction round-trips until it expires; duplicate ids and unknown clients conflict.
pub async fn interaction_roundtrip(store: Arc<dyn Store>) {
    interaction_fixtures(&*store, &["t1"]).await;
    let i1 = interaction("i-1", "app-1", NOW + 600);
    store.insert_interaction("t1", &i1).await.unwrap();
    assert_eq!(
        store.find_interaction("t1", "i-1", NOW).await.unwrap(),
        Some(i1.clone())
    );
    assert_eq!(
        store
            .find_interaction("t1", "i-1", NOW + 599)
            .await
            .unwrap(),
        Some(i1.clone())
    );
    assert_eq!(
        store
            .find_interaction("t1", "i-1", NOW + 600)
            .await
            .unwrap(),
        None,
        "gone at expires_at"
    );
    assert_eq!(
        store.find_interaction("t1", "i-9", NOW).await.unwrap(),
        None
    );
    assert_conflict(
        store
            .insert_interaction(
                "t1",
                &Interaction {
                    client_id: "app-2".to_owned(),
                    ..i1.clone()
                },
            )
            .await,
        "duplicate interaction id",
    );
    assert_conflict(
        store
            .insert_interaction("t1", &interaction("i-2", "app-missing", NOW + 600))
            .await,
        "unknown client",
    );
    assert_conflict(
        store
            .insert_interaction("t-missing", &interaction("i-3", "app-1", NOW + 600))
            .await,
        "unknown tenant",
    );
    // The failed inserts left the first one as it was.
    assert_eq!(
        store.find_interaction("t1", "i-1", NOW).await.unwrap(),
        Some(i1)
    );
}

/// An interaction is consumed once, never after it expired; a failed attempt uses nothing up.
pub async fn interaction_consumed_once(store: Arc<dyn Store>) {
    interaction_fixtures(&*store, &["t1"]).await;
    let i1 = interaction("i-1", "app-1", NOW + 600);
    store.insert_interaction("t1", &i1).await.unwrap();
    assert_eq!(
        store.consume_interaction("t1", "i-1", NOW).await.unwrap(),
        Some(i1)
    );
    assert_eq!(
        store
            .consume_interaction("t1", "i-1", NOW + 1)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.find_interaction("t1", "i-1", NOW).await.unwrap(),
        None
    );

    let i2 = interaction("i-2", "app-1", NOW + 600);
    store.insert_interaction("t1", &i2).await.unwrap();
    assert_eq!(
        store
            .consume_interaction("t1", "i-2", NOW + 600)
            .await
            .unwrap(),
        None,
        "refused at expires_at"
    );
    assert_eq!(
        store
            .consume_interaction("t1", "i-2", NOW + 599)
            .await
            .unwrap(),
        Some(i2),
        "an expired attempt does not consume"
    );
    assert_eq!(
        store.consume_interaction("t1", "i-9", NOW).await.unwrap(),
        None
    );
}

/// Of 20 concurrent consumptions of one interaction (a double-submitted form), exactly one
/// gets it.
pub async fn concurrent_interaction_consumption_one_wins(store: Arc<dyn Store>) {
    interaction_fixtures(&*store, &["t1"]).await;
    let i1 = interaction("i-1", "app-1", NOW + 600);
    store.insert_interaction("t1", &i1).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.consume_interaction("t1", "i-1", NOW).await })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        if let Some(found) = task.await.unwrap().unwrap() {
            assert_eq!(found, i1);
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

/// No interaction call crosses tenants; deleting the application deletes its interactions.
pub async fn interactions_tenant_isolation(store: Arc<dyn Store>) {
    interaction_fixtures(&*store, &["t1", "t2"]).await;
    let i1 = interaction("i-1", "app-1", NOW + 600);
    store.insert_interaction("t1", &i1).await.unwrap();
    assert_eq!(
        store.find_interaction("t2", "i-1", NOW).await.unwrap(),
        None
    );
    assert_eq!(
        store.consume_interaction("t2", "i-1", NOW).await.unwrap(),
        None
    );
    // The same id is free in another tenant.
    let other = interaction("i-1", "app-2", NOW + 300);
    store.insert_interaction("t2", &other).await.unwrap();
    assert_eq!(
        store.find_interaction("t1", "i-1", NOW).await.unwrap(),
        Some(i1.clone())
    );
    assert_eq!(
        store.consume_interaction("t2", "i-1", NOW).await.unwrap(),
        Some(other)
    );
    assert_eq!(
        store.find_interaction("t1", "i-1", NOW).await.unwrap(),
        Some(i1)
    );

    store.delete_application("t1", "app-1").await.unwrap();
    assert_eq!(
        store.find_interaction("t1", "i-1", NOW).await.unwrap(),
        None,
        "deleted with its application"
    );
}

/// The purge deletes interactions at and after their expiry, and no others.
pub async fn purge_removes_only_expired_interactions(store: Arc<dyn Store>) {
    interaction_fixtures(&*store, &["t1"]).await;
    for (id, expires_at) in [("i-old", NOW - 1), ("i-now", NOW), ("i-live", NOW + 1)] {
        store
            .insert_interaction("t1", &interaction(id, "app-1", expires_at))
            .await
            .unwrap();
    }
    store
        .upsert_consent("t1", &consent("u-1", "app-1", &["openid"], NOW - 86_400))
        .await
        .unwrap();
    assert_eq!(store.delete_expired_grants_data(NOW).await.unwrap(), 2);
    // Past their expiry the purged ones are invisible either way: ask before it.
    for (id, kept) in [("i-old", false), ("i-now", false), ("i-live", true)] {
        assert_eq!(
            store
                .find_interaction("t1", id, NOW - 10)
                .await
                .unwrap()
                .is_some(),
            kept,
            "{id}"
        );
    }
    assert!(
        store
            .find_consent("t1", "u-1", "app-1")
            .await
            .unwrap()
            .is_some(),
        "consent never expires"
    );
    assert_eq!(store.delete_expired_grants_data(NOW).await.unwrap(), 0);
}

/// A consent round-trips; upserting again replaces its lists and keeps `created_at`.
pub async fn consent_upsert_replaces_and_keeps_created_at(store: Arc<dyn Store>) {
    interaction_fixtures(&*store, &["t1"]).await;
    let first = Consent {
        resources: vec![],
        ..consent("u-1", "app-1", &["openid"], NOW - 100)
    };
    store.upsert_consent("t1", &first).await.unwrap();
    assert_eq!(
        store.find_consent("t1", "u-1", "app-1").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.find_consent("t1", "u-2", "app-1").await.unwrap(),
        None
    );
    assert_eq!(
        store.find_consent("t1", "u-1", "app-2").await.unwrap(),
        None
    );

    let extended = Consent {
        scopes: vec![
            "email".to_owned(),
            "openid".to_owned(),
            "profile".to_owned(),
        ],
        resources: vec![
            "https://api.example".to_owned(),
            "https://other.example".to_owned(),
        ],
        created_at: NOW,
        updated_at: NOW,
        ..first.clone()
    };
    store.upsert_consent("t1", &extended).await.unwrap();
    assert_eq!(
        store.find_consent("t1", "u-1", "app-1").await.unwrap(),
        Some(Consent {
            created_at: NOW - 100,
            ..extended.clone()
        })
    );

    // Replacing, not merging: a narrower consent drops what it does not list.
    let narrowed = Consent {
        scopes: vec!["openid".to_owned()],
        resources: vec![],
        created_at: NOW + 5,
        updated_at: NOW + 5,
        ..first
    };
    store.upsert_consent("t1", &narrowed).await.unwrap();
    assert_eq!(
        store.find_consent("t1", "u-1", "app-1").await.unwrap(),
        Some(Consent {
            created_at: NOW - 100,
            ..narrowed
        })
    );
    assert_eq!(
        store
            .list_consents_for_user("t1", "u-1")
            .await
            .unwrap()
            .len(),
        1,
        "one record per (user, client)"
    );
}

/// A user's consents are listed most recently updated first; deleting one twice is
/// `NotFound`; unknown users and clients conflict.
pub async fn consent_list_and_delete(store: Arc<dyn Store>) {
    interaction_fixtures(&*store, &["t1"]).await;
    store
        .upsert_consent("t1", &consent("u-1", "app-1", &["openid"], NOW - 50))
        .await
        .unwrap();
    store
        .upsert_consent("t1", &consent("u-1", "app-2", &["openid"], NOW - 10))
        .await
        .unwrap();
    store
        .upsert_consent("t1", &consent("u-2", "app-1", &["openid"], NOW))
        .await
        .unwrap();
    assert_eq!(
        client_ids(store.list_consents_for_user("t1", "u-1").await.unwrap()),
        ["app-2", "app-1"]
    );
    // Updating app-1's consent moves it to the front.
    store
        .upsert_consent("t1", &consent("u-1", "app-1", &["email"], NOW + 1))
        .await
        .unwrap();
    assert_eq!(
        store.list_consents_for_user("t1", "u-1").await.unwrap(),
        vec![
            Consent {
                created_at: NOW - 50,
                ..consent("u-1", "app-1", &["email"], NOW + 1)
            },
            consent("u-1", "app-2", &["openid"], NOW - 10),
        ]
    );
    assert!(
        store
            .list_consents_for_user("t1", "u-missing")
            .await
            .unwrap()
            .is_empty()
    );

    store.delete_consent("t1", "u-1", "app-1").await.unwrap();
    assert_not_found(
        store.delete_consent("t1", "u-1", "app-1").await,
        "second delete",
    );
    assert_not_found(
        store.delete_consent("t1", "u-1", "app-missing").await,
        "delete a consent never given",
    );
    assert_eq!(
        store.find_consent("t1", "u-1", "app-1").await.unwrap(),
        None
    );
    assert_eq!(
        client_ids(store.list_consents_for_user("t1", "u-1").await.unwrap()),
        ["app-2"]
    );
    assert_eq!(
        client_ids(store.list_consents_for_user("t1", "u-2").await.unwrap()),
        ["app-1"],
        "another user's consent is untouched"
    );

    assert_conflict(
        store
            .upsert_consent("t1", &consent("u-missing", "app-1", &["openid"], NOW))
            .await,
        "unknown user",
    );
    assert_conflict(
        store
            .upsert_consent("t1", &consent("u-1", "app-missing", &["openid"], NOW))
            .await,
        "unknown client",
    );
}

/// Deleting a user or an application deletes its consents, and no one else's.
pub async fn deleting_user_or_application_cascades_consents(store: Arc<dyn Store>) {
    interaction_fixtures(&*store, &["t1"]).await;
    for (user, client) in [
        ("u-1", "app-1"),
        ("u-1", "app-2"),
        ("u-2", "app-1"),
        ("u-2", "app-2"),
    ] {
        store
            .upsert_consent("t1", &consent(user, client, &["openid"], NOW))
            .await
            .unwrap();
    }
    store.delete_user("t1", "u-1").await.unwrap();
    assert!(
        store
            .list_consents_for_user("t1", "u-1")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        client_ids(store.list_consents_for_user("t1", "u-2").await.unwrap()),
        ["app-1", "app-2"]
    );
    store.delete_application("t1", "app-1").await.unwrap();
    assert_eq!(
        client_ids(store.list_consents_for_user("t1", "u-2").await.unwrap()),
        ["app-2"]
    );
}

/// No consent call crosses tenants.
pub async fn consents_tenant_isolation(store: Arc<dyn Store>) {
    interaction_fixtures(&*store, &["t1", "t2"]).await;
    let c1 = consent("u-1", "app-1", &["openid", "profile"], NOW);
    store.upsert_consent("t1", &c1).await.unwrap();
    assert_eq!(
        store.find_consent("t2", "u-1", "app-1").await.unwrap(),
        None
    );
    assert!(
        store
            .list_consents_for_user("t2", "u-1")
            .await
            .unwrap()
            .is_empty()
    );
    assert_not_found(
        store.delete_consent("t2", "u-1", "app-1").await,
        "delete across tenants",
    );
    // Upserting the same key in t2 creates t2's own record and leaves t1's alone.
    let c2 = consent("u-1", "app-1", &["openid"], NOW + 10);
    store.upsert_consent("t2", &c2).await.unwrap();
    assert_eq!(
        store.find_consent("t1", "u-1", "app-1").await.unwrap(),
        Some(c1)
    );
    assert_eq!(
        store.find_consent("t2", "u-1", "app-1").await.unwrap(),
        Some(c2)
    );
    assert_conflict(
        store
            .upsert_consent("t-missing", &consent("u-1", "app-1", &["openid"], NOW))
            .await,
        "unknown tenant",
    );
}

/// T-06 (consent revoked): revoking one user's grants for one client revokes only the families
/// of that user and client, and marks only their grants revoked.
pub async fn revoke_grants_for_client_user_revokes_one_client(store: Arc<dyn Store>) {
    interaction_fixtures(&*store, &["t1", "t2"]).await;
    let tokens = [
        ("a1", "g-a", "app-1", "u-1"),
        ("a2", "g-a", "app-1", "u-1"),
        ("b1", "g-b", "app-2", "u-1"),
        ("c1", "g-c", "app-1", "u-2"),
    ];
    for (label, family, client, user) in tokens {
        store
            .insert_refresh_token("t1", &refresh_token(label, family, client, user))
            .await
            .unwrap();
    }
    assert_eq!(
        store
            .revoke_grants_for_client_user("t2", "app-1", "u-1", NOW)
            .await
            .unwrap(),
        0,
        "another tenant"
    );
    assert_eq!(
        store
            .revoke_grants_for_client_user("t1", "app-1", "u-1", NOW)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .revoke_grants_for_client_user("t1", "app-1", "u-1", NOW + 1)
            .await
            .unwrap(),
        0,
        "nothing left to revoke"
    );
    for (grant, revoked) in [("g-a", true), ("g-b", false), ("g-c", false)] {
        assert_eq!(
            store.is_grant_revoked("t1", grant).await.unwrap(),
            revoked,
            "{grant}"
        );
    }
    assert!(!store.is_grant_revoked("t2", "g-a").await.unwrap());
    for (label, family, client, user) in tokens {
        let found = store
            .find_refresh_token("t1", &refresh_token(label, family, client, user).token_hash)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.revoked_at.is_some(), family == "g-a", "{label}");
    }

    let rotate = |old: &'static str, family: &'static str, client: &'static str| {
        let store = store.clone();
        async move {
            let old_hash = refresh_token(old, family, client, "u-1").token_hash;
            let new = refresh_token(&format!("{old}-next"), family, client, "u-1");
            store
                .rotate_refresh_token("t1", &old_hash, &new, NOW + 2)
                .await
                .unwrap()
        }
    };
    assert_eq!(rotate("a2", "g-a", "app-1").await, RotateOutcome::Revoked);
    assert!(matches!(
        rotate("b1", "g-b", "app-2").await,
        RotateOutcome::Rotated(_)
    ));

    // The marker lasts until the family's last token expires, not just the purge after.
    store
        .delete_expired_grants_data(NOW + 86_399)
        .await
        .unwrap();
    assert!(store.is_grant_revoked("t1", "g-a").await.unwrap());
}
