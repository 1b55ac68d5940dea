//! Cases for personal access tokens: lookup by hash, conflicts, listing newest first, deletion
//! by the owner only, recording use, cascades from users, purge and tenant isolation.

use std::sync::Arc;

use gatehouse_core::PersonalAccessToken;
use gatehouse_core::user::User;

use super::*;

const NOW: i64 = 1_800_000_000;

/// Tenants with users `u-1` and `u-2` in each.
async fn pat_fixtures(store: &dyn Store, tenants: &[&str]) {
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
    }
}

/// An unused token of `user_id` created at `created_at`, valid for 30 days, whose hash is
/// derived from `id`.
fn pat(id: &str, user_id: &str, created_at: i64) -> PersonalAccessToken {
    let mut token_hash = id.as_bytes().to_vec();
    token_hash.resize(32, 0xa5);
    PersonalAccessToken {
        id: id.to_owned(),
        user_id: user_id.to_owned(),
        name: format!("CI token {id} ✓"),
        token_hash,
        scopes: vec!["openid".to_owned(), "https://api.example/read".to_owned()],
        created_at,
        expires_at: created_at + 30 * 86_400,
        last_used_at: None,
    }
}

async fn find(
    store: &dyn Store,
    tenant: &str,
    token: &PersonalAccessToken,
) -> Option<PersonalAccessToken> {
    store
        .find_pat_by_hash(tenant, &token.token_hash)
        .await
        .unwrap()
}

async fn listed_ids(store: &dyn Store, tenant: &str, user_id: &str) -> Vec<String> {
    store
        .list_pats_for_user(tenant, user_id)
        .await
        .unwrap()
        .into_iter()
        .map(|token| token.id)
        .collect()
}

/// A token reads back whole by its hash, expired or not; an unknown hash finds nothing.
pub async fn pat_roundtrip_by_hash(store: Arc<dyn Store>) {
    pat_fixtures(&*store, &["t1"]).await;
    let live = pat("pat-1", "u-1", NOW - 10);
    let expired = PersonalAccessToken {
        scopes: vec![],
        expires_at: NOW - 1,
        ..pat("pat-2", "u-1", NOW - 100)
    };
    for token in [&live, &expired] {
        store.insert_pat("t1", token).await.unwrap();
    }
    let found = find(&*store, "t1", &live).await.unwrap();
    assert_eq!(found, live);
    assert_eq!(found.last_used_at, None);
    assert_eq!(found.scopes.len(), 2);
    assert_eq!(find(&*store, "t1", &expired).await, Some(expired.clone()));
    assert_eq!(
        store.find_pat_by_hash("t1", &[0; 32]).await.unwrap(),
        None,
        "unknown hash"
    );
}

/// A hash or an id already taken in the tenant is a conflict, and nothing is written.
pub async fn pat_duplicate_hash_conflict(store: Arc<dyn Store>) {
    pat_fixtures(&*store, &["t1"]).await;
    let first = pat("pat-1", "u-1", NOW);
    store.insert_pat("t1", &first).await.unwrap();
    let same_hash = PersonalAccessToken {
        token_hash: first.token_hash.clone(),
        ..pat("pat-2", "u-2", NOW)
    };
    assert_conflict(store.insert_pat("t1", &same_hash).await, "duplicate hash");
    let same_id = PersonalAccessToken {
        id: first.id.clone(),
        ..pat("pat-3", "u-2", NOW)
    };
    assert_conflict(store.insert_pat("t1", &same_id).await, "duplicate id");
    assert!(listed_ids(&*store, "t1", "u-2").await.is_empty());
    assert_eq!(find(&*store, "t1", &first).await, Some(first));
}

/// A token of a user who does not exist (in this tenant) is a conflict.
pub async fn pat_unknown_user_conflict(store: Arc<dyn Store>) {
    pat_fixtures(&*store, &["t1"]).await;
    insert_tenants(&*store, &["t2"]).await;
    let token = pat("pat-1", "u-9", NOW);
    assert_conflict(store.insert_pat("t1", &token).await, "unknown user");
    // u-1 exists in t1 only.
    assert_conflict(
        store.insert_pat("t2", &pat("pat-1", "u-1", NOW)).await,
        "user of another tenant",
    );
    assert_eq!(find(&*store, "t1", &token).await, None);
}

/// A person's tokens, expired ones included, newest first (ties by id, descending), and no
/// one else's.
pub async fn pat_list_newest_first_for_one_user(store: Arc<dyn Store>) {
    pat_fixtures(&*store, &["t1"]).await;
    let expired = PersonalAccessToken {
        expires_at: NOW - 5,
        ..pat("pat-a", "u-1", NOW - 1_000)
    };
    let tokens = [
        expired,
        pat("pat-b", "u-1", NOW),
        pat("pat-c", "u-1", NOW - 10),
        pat("pat-d", "u-1", NOW),
        pat("pat-e", "u-2", NOW + 10),
    ];
    for token in &tokens {
        store.insert_pat("t1", token).await.unwrap();
    }
    let listed = store.list_pats_for_user("t1", "u-1").await.unwrap();
    assert_eq!(
        listed,
        vec![
            tokens[3].clone(),
            tokens[1].clone(),
            tokens[2].clone(),
            tokens[0].clone()
        ]
    );
    assert_eq!(listed_ids(&*store, "t1", "u-2").await, ["pat-e"]);
    assert!(listed_ids(&*store, "t1", "u-9").await.is_empty());
}

/// Only the owner deletes a token; a second delete, or someone else's, is `NotFound`.
pub async fn pat_delete_by_owner(store: Arc<dyn Store>) {
    pat_fixtures(&*store, &["t1"]).await;
    let of_u1 = pat("pat-1", "u-1", NOW);
    let of_u2 = pat("pat-2", "u-2", NOW);
    for token in [&of_u1, &of_u2] {
        store.insert_pat("t1", token).await.unwrap();
    }
    assert_not_found(
        store.delete_pat("t1", "u-2", "pat-1").await,
        "someone else's token",
    );
    assert_eq!(find(&*store, "t1", &of_u1).await, Some(of_u1.clone()));
    store.delete_pat("t1", "u-1", "pat-1").await.unwrap();
    assert_eq!(find(&*store, "t1", &of_u1).await, None);
    assert!(listed_ids(&*store, "t1", "u-1").await.is_empty());
    assert_not_found(
        store.delete_pat("t1", "u-1", "pat-1").await,
        "second delete",
    );
    assert_not_found(store.delete_pat("t1", "u-1", "pat-9").await, "unknown id");
    assert_eq!(find(&*store, "t1", &of_u2).await, Some(of_u2));
}

/// Touching records the last use (the latest one wins); an unknown id is `NotFound`.
pub async fn pat_touch_records_last_use(store: Arc<dyn Store>) {
    pat_fixtures(&*store, &["t1"]).await;
    let token = pat("pat-1", "u-1", NOW - 100);
    let other = pat("pat-2", "u-1", NOW - 100);
    for t in [&token, &other] {
        store.insert_pat("t1", t).await.unwrap();
    }
    store.touch_pat("t1", "pat-1", NOW).await.unwrap();
    assert_eq!(
        find(&*store, "t1", &token).await,
        Some(PersonalAccessToken {
            last_used_at: Some(NOW),
            ..token.clone()
        })
    );
    store.touch_pat("t1", "pat-1", NOW + 60).await.unwrap();
    assert_eq!(
        find(&*store, "t1", &token).await.unwrap().last_used_at,
        Some(NOW + 60)
    );
    // A slower concurrent exchange finishing last never moves the time backwards.
    store.touch_pat("t1", "pat-1", NOW + 30).await.unwrap();
    assert_eq!(
        find(&*store, "t1", &token).await.unwrap().last_used_at,
        Some(NOW + 60)
    );
    assert_eq!(find(&*store, "t1", &other).await, Some(other.clone()));
    assert_not_found(store.touch_pat("t1", "pat-9", NOW).await, "unknown id");
}

/// Deleting a user deletes their tokens, and no one else's.
pub async fn deleting_user_cascades_pats(store: Arc<dyn Store>) {
    pat_fixtures(&*store, &["t1"]).await;
    let tokens = [
        pat("pat-1", "u-1", NOW),
        pat("pat-2", "u-1", NOW + 1),
        pat("pat-3", "u-2", NOW),
    ];
    for token in &tokens {
        store.insert_pat("t1", token).await.unwrap();
    }
    store.delete_user("t1", "u-1").await.unwrap();
    assert!(listed_ids(&*store, "t1", "u-1").await.is_empty());
    assert_eq!(find(&*store, "t1", &tokens[0]).await, None);
    assert_eq!(find(&*store, "t1", &tokens[1]).await, None);
    assert_eq!(
        find(&*store, "t1", &tokens[2]).await,
        Some(tokens[2].clone())
    );
}

/// The purge deletes tokens that expired [`CODE_RETENTION_SECS`](crate::CODE_RETENTION_SECS)
/// or more ago and keeps the others, so the owner still sees a recently expired token listed.
pub async fn purge_removes_only_expired_pats(store: Arc<dyn Store>) {
    pat_fixtures(&*store, &["t1", "t2"]).await;
    let day = crate::CODE_RETENTION_SECS;
    let old = PersonalAccessToken {
        expires_at: NOW - day,
        ..pat("pat-old", "u-1", NOW - 40 * day)
    };
    let recent = PersonalAccessToken {
        expires_at: NOW - day + 1,
        ..pat("pat-recent", "u-1", NOW - 30 * day)
    };
    let live = pat("pat-live", "u-1", NOW - day);
    for token in [&old, &recent, &live] {
        store.insert_pat("t1", token).await.unwrap();
    }
    let old_elsewhere = PersonalAccessToken {
        expires_at: NOW - 2 * day,
        ..pat("pat-old", "u-2", NOW - 40 * day)
    };
    store.insert_pat("t2", &old_elsewhere).await.unwrap();
    assert_eq!(store.delete_expired_grants_data(NOW).await.unwrap(), 2);
    assert_eq!(find(&*store, "t1", &old).await, None);
    assert_eq!(find(&*store, "t2", &old_elsewhere).await, None);
    assert_eq!(
        listed_ids(&*store, "t1", "u-1").await,
        ["pat-live", "pat-recent"]
    );
    assert_eq!(store.delete_expired_grants_data(NOW).await.unwrap(), 0);
}

/// No token call crosses tenants; the same id and hash are free in another tenant.
pub async fn pats_tenant_isolation(store: Arc<dyn Store>) {
    pat_fixtures(&*store, &["t1", "t2"]).await;
    let token = pat("pat-1", "u-1", NOW);
    store.insert_pat("t1", &token).await.unwrap();
    assert_eq!(find(&*store, "t2", &token).await, None);
    assert!(listed_ids(&*store, "t2", "u-1").await.is_empty());
    assert_not_found(
        store.delete_pat("t2", "u-1", "pat-1").await,
        "delete from t2",
    );
    assert_not_found(store.touch_pat("t2", "pat-1", NOW).await, "touch from t2");
    assert_eq!(find(&*store, "t1", &token).await, Some(token.clone()));

    let twin = PersonalAccessToken {
        name: "another".to_owned(),
        ..token.clone()
    };
    store.insert_pat("t2", &twin).await.unwrap();
    store.touch_pat("t2", "pat-1", NOW + 5).await.unwrap();
    store.delete_pat("t1", "u-1", "pat-1").await.unwrap();
    assert_eq!(
        find(&*store, "t2", &twin).await,
        Some(PersonalAccessToken {
            last_used_at: Some(NOW + 5),
            ..twin
        })
    );
    assert_eq!(find(&*store, "t1", &token).await, None);
}
