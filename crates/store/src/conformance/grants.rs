//! Cases for sessions, authorization codes, refresh tokens and revoked grants.

use std::sync::Arc;

use gatehouse_core::user::User;
use gatehouse_core::{AuthorizationCode, CodeConsumption, RefreshToken, RotateOutcome, Session};

use super::*;

const NOW: i64 = 1_800_000_000;

/// Tenants with users `u-1` and `u-2` and application `app-1` in each.
async fn grant_fixtures(store: &dyn Store, tenants: &[&str]) {
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
        store
            .insert_application(tenant, &application("app-1", vec![]))
            .await
            .unwrap();
    }
}

fn hash(label: &str) -> Vec<u8> {
    let mut bytes = label.as_bytes().to_vec();
    bytes.resize(32, 0xa5);
    bytes
}

fn session(id: &str, user_id: &str, created_at: i64) -> Session {
    Session {
        id: id.to_owned(),
        secret_hash: hash(id),
        user_id: user_id.to_owned(),
        created_at,
        last_seen_at: created_at,
        expires_at: NOW + 3600,
        idle_expires_at: NOW + 600,
        auth_time: created_at,
        amr: vec!["pwd".to_owned(), "otp".to_owned()],
        acr: Some("urn:gatehouse:acr:mfa".to_owned()),
        persistent: true,
        user_agent: Some("Firefox".to_owned()),
        ip: Some("192.0.2.1".to_owned()),
    }
}

fn code(label: &str, grant_id: &str, expires_at: i64) -> AuthorizationCode {
    AuthorizationCode {
        code_hash: hash(label),
        grant_id: grant_id.to_owned(),
        client_id: "app-1".to_owned(),
        user_id: "u-1".to_owned(),
        session_id: "s-1".to_owned(),
        redirect_uri: "https://app-1.example/callback".to_owned(),
        scopes: vec!["openid".to_owned(), "offline_access".to_owned()],
        resources: vec!["https://api.example".to_owned()],
        nonce: Some("n-0S6_WzA2Mj".to_owned()),
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned(),
        auth_time: NOW - 5,
        amr: vec!["pwd".to_owned()],
        acr: None,
        created_at: NOW - 1,
        expires_at,
        consumed_at: None,
    }
}

fn refresh_token(label: &str, family_id: &str, user_id: &str) -> RefreshToken {
    RefreshToken {
        token_hash: hash(label),
        family_id: family_id.to_owned(),
        client_id: "app-1".to_owned(),
        user_id: user_id.to_owned(),
        session_id: Some("s-1".to_owned()),
        scopes: vec!["openid".to_owned(), "offline_access".to_owned()],
        resources: vec![],
        auth_time: NOW - 50,
        amr: vec!["pwd".to_owned(), "otp".to_owned()],
        acr: Some("urn:gatehouse:acr:mfa".to_owned()),
        created_at: NOW - 10,
        expires_at: NOW + 86_400,
        idle_expires_at: NOW + 3600,
        used_at: None,
        revoked_at: None,
    }
}

fn session_ids(list: Vec<Session>) -> Vec<String> {
    list.into_iter().map(|s| s.id).collect()
}

/// Sessions round-trip by secret hash while live; touch, list, delete and delete-for-user.
pub async fn session_lifecycle(store: Arc<dyn Store>) {
    grant_fixtures(&*store, &["t1"]).await;
    let s1 = session("s-1", "u-1", NOW - 100);
    store.insert_session("t1", &s1).await.unwrap();
    assert_conflict(
        store
            .insert_session(
                "t1",
                &Session {
                    id: "s-other".to_owned(),
                    ..s1.clone()
                },
            )
            .await,
        "duplicate secret hash",
    );
    let find = |secret: Vec<u8>, now: i64| {
        let store = store.clone();
        async move {
            store
                .find_session_by_secret_hash("t1", &secret, now)
                .await
                .unwrap()
        }
    };
    assert_eq!(find(hash("s-1"), NOW).await, Some(s1.clone()));
    assert_eq!(find(hash("nope"), NOW).await, None);
    assert_eq!(find(hash("s-1"), NOW + 600).await, None, "idle limit");

    // Touching moves the idle limit, never past an expired session.
    store
        .touch_session("t1", "s-1", NOW + 500, NOW + 1100)
        .await
        .unwrap();
    let touched = find(hash("s-1"), NOW + 1000).await.unwrap();
    assert_eq!(touched.last_seen_at, NOW + 500);
    assert_eq!(touched.idle_expires_at, NOW + 1100);
    assert_eq!(find(hash("s-1"), NOW + 3600).await, None, "absolute limit");
    assert_not_found(
        store
            .touch_session("t1", "s-1", NOW + 1100, NOW + 2000)
            .await,
        "touch an idle-expired session",
    );
    assert_not_found(
        store.touch_session("t1", "s-9", NOW, NOW + 600).await,
        "touch a missing session",
    );

    // Listing: live sessions of one user, newest first.
    let bare = Session {
        acr: None,
        persistent: false,
        user_agent: None,
        ip: None,
        amr: vec![],
        ..session("s-2", "u-1", NOW - 50)
    };
    store.insert_session("t1", &bare).await.unwrap();
    let stale = Session {
        idle_expires_at: NOW - 1,
        ..session("s-3", "u-1", NOW - 10)
    };
    store.insert_session("t1", &stale).await.unwrap();
    store
        .insert_session("t1", &session("s-4", "u-2", NOW))
        .await
        .unwrap();
    let listed = store
        .list_sessions_for_user("t1", "u-1", NOW)
        .await
        .unwrap();
    assert_eq!(listed, vec![bare.clone(), touched.clone()]);

    store.delete_session("t1", "s-2").await.unwrap();
    assert_not_found(store.delete_session("t1", "s-2").await, "second delete");
    assert_eq!(find(hash("s-2"), NOW).await, None);
    assert_eq!(
        store.delete_sessions_for_user("t1", "u-1").await.unwrap(),
        2,
        "s-1 and the stale s-3"
    );
    assert!(
        store
            .list_sessions_for_user("t1", "u-1", NOW)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        session_ids(
            store
                .list_sessions_for_user("t1", "u-2", NOW)
                .await
                .unwrap()
        ),
        ["s-4"]
    );
    assert_conflict(
        store
            .insert_session("t1", &session("s-5", "u-missing", NOW))
            .await,
        "unknown user",
    );
}

/// A code is consumed once; then it answers `AlreadyConsumed` with its grant, even expired.
pub async fn code_consumed_once(store: Arc<dyn Store>) {
    grant_fixtures(&*store, &["t1"]).await;
    let c1 = code("c-1", "g-1", NOW + 60);
    store.insert_code("t1", &c1).await.unwrap();
    assert_conflict(store.insert_code("t1", &c1).await, "duplicate code");
    let consumed = store.consume_code("t1", &hash("c-1"), NOW).await.unwrap();
    assert_eq!(
        consumed,
        CodeConsumption::Consumed(Box::new(AuthorizationCode {
            consumed_at: Some(NOW),
            ..c1.clone()
        }))
    );
    let already = CodeConsumption::AlreadyConsumed {
        grant_id: "g-1".to_owned(),
    };
    assert_eq!(
        store
            .consume_code("t1", &hash("c-1"), NOW + 1)
            .await
            .unwrap(),
        already
    );
    assert_eq!(
        store
            .consume_code("t1", &hash("c-1"), NOW + 600)
            .await
            .unwrap(),
        already,
        "a consumed code stays consumed after expiry"
    );

    store
        .insert_code("t1", &code("c-2", "g-2", NOW + 60))
        .await
        .unwrap();
    assert_eq!(
        store
            .consume_code("t1", &hash("c-2"), NOW + 60)
            .await
            .unwrap(),
        CodeConsumption::Expired,
        "P-09: refused at expires_at"
    );
    assert_eq!(
        store.consume_code("t1", &hash("c-2"), NOW).await.unwrap(),
        CodeConsumption::Consumed(Box::new(AuthorizationCode {
            consumed_at: Some(NOW),
            ..code("c-2", "g-2", NOW + 60)
        })),
        "an expired attempt does not use the code up"
    );
    assert_eq!(
        store.consume_code("t1", &hash("c-9"), NOW).await.unwrap(),
        CodeConsumption::NotFound
    );
    let orphan = AuthorizationCode {
        client_id: "app-missing".to_owned(),
        ..code("c-3", "g-3", NOW + 60)
    };
    assert_conflict(store.insert_code("t1", &orphan).await, "unknown client");
}

/// M-02: of 20 concurrent redemptions of one code, exactly one gets `Consumed`.
pub async fn concurrent_code_consumption_one_wins(store: Arc<dyn Store>) {
    grant_fixtures(&*store, &["t1"]).await;
    store
        .insert_code("t1", &code("c-1", "g-1", NOW + 60))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.consume_code("t1", &hash("c-1"), NOW).await })
        })
        .collect();
    let mut consumed = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            CodeConsumption::Consumed(code) => {
                assert_eq!(code.grant_id, "g-1");
                consumed += 1;
            }
            CodeConsumption::AlreadyConsumed { grant_id } => assert_eq!(grant_id, "g-1"),
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(consumed, 1);
}

/// RT1 -> RT2 -> RT3; replaying RT1 is a reuse; revoking the family kills RT3.
pub async fn refresh_rotation_chain(store: Arc<dyn Store>) {
    grant_fixtures(&*store, &["t1"]).await;
    let rt1 = refresh_token("rt-1", "g-1", "u-1");
    store.insert_refresh_token("t1", &rt1).await.unwrap();
    assert_conflict(
        store.insert_refresh_token("t1", &rt1).await,
        "duplicate refresh token",
    );
    let rt2 = refresh_token("rt-2", "g-1", "u-1");
    let rt3 = refresh_token("rt-3", "g-1", "u-1");
    let rotate = |old: &'static str, new: RefreshToken, now: i64| {
        let store = store.clone();
        async move {
            store
                .rotate_refresh_token("t1", &hash(old), &new, now)
                .await
                .unwrap()
        }
    };
    let used_rt1 = RefreshToken {
        used_at: Some(NOW),
        ..rt1.clone()
    };
    assert_eq!(
        rotate("rt-1", rt2.clone(), NOW).await,
        RotateOutcome::Rotated(Box::new(used_rt1.clone()))
    );
    assert_eq!(
        rotate("rt-2", rt3.clone(), NOW + 1).await,
        RotateOutcome::Rotated(Box::new(RefreshToken {
            used_at: Some(NOW + 1),
            ..rt2.clone()
        }))
    );
    assert_eq!(
        store.find_refresh_token("t1", &hash("rt-1")).await.unwrap(),
        Some(used_rt1)
    );
    assert_eq!(
        store.find_refresh_token("t1", &hash("rt-3")).await.unwrap(),
        Some(rt3.clone())
    );

    // T-01: a replay of RT1 is a reuse and inserts nothing.
    let rt4 = refresh_token("rt-4", "g-1", "u-1");
    assert_eq!(
        rotate("rt-1", rt4.clone(), NOW + 2).await,
        RotateOutcome::Reused {
            family_id: "g-1".to_owned()
        }
    );
    assert_eq!(
        store.find_refresh_token("t1", &hash("rt-4")).await.unwrap(),
        None
    );
    // Another family's token is untouched by the revocation.
    store
        .insert_refresh_token("t1", &refresh_token("other", "g-2", "u-1"))
        .await
        .unwrap();
    assert_eq!(store.revoke_family("t1", "g-1", NOW + 2).await.unwrap(), 3);
    assert_eq!(store.revoke_family("t1", "g-1", NOW + 3).await.unwrap(), 0);
    let revoked = store
        .find_refresh_token("t1", &hash("rt-3"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(NOW + 2));
    assert_eq!(
        rotate("rt-3", rt4.clone(), NOW + 3).await,
        RotateOutcome::Revoked
    );
    assert_eq!(
        rotate("rt-1", rt4.clone(), NOW + 3).await,
        RotateOutcome::Revoked
    );
    assert_eq!(rotate("rt-9", rt4, NOW).await, RotateOutcome::NotFound);
    let other = store
        .find_refresh_token("t1", &hash("other"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.revoked_at, None);

    // A successor from another family is refused and changes nothing.
    let stranger = refresh_token("rt-x", "g-x", "u-1");
    assert!(
        store
            .rotate_refresh_token("t1", &hash("other"), &stranger, NOW)
            .await
            .is_err()
    );
    assert_eq!(
        store
            .find_refresh_token("t1", &hash("other"))
            .await
            .unwrap()
            .unwrap()
            .used_at,
        None
    );
    assert_eq!(
        store.find_refresh_token("t1", &hash("rt-x")).await.unwrap(),
        None
    );
}

/// T-02: of 20 concurrent rotations of one token, exactly one rotates; the rest are reuses.
pub async fn concurrent_refresh_rotation_one_wins(store: Arc<dyn Store>) {
    grant_fixtures(&*store, &["t1"]).await;
    store
        .insert_refresh_token("t1", &refresh_token("rt-1", "g-1", "u-1"))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let new = refresh_token(&format!("rt-new-{i}"), "g-1", "u-1");
                let outcome = store
                    .rotate_refresh_token("t1", &hash("rt-1"), &new, NOW)
                    .await;
                (i, outcome)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (i, outcome) = task.await.unwrap();
        match outcome.unwrap() {
            RotateOutcome::Rotated(_) => winners.push(i),
            RotateOutcome::Reused { family_id } => assert_eq!(family_id, "g-1"),
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    for i in 0..20 {
        let found = store
            .find_refresh_token("t1", &hash(&format!("rt-new-{i}")))
            .await
            .unwrap();
        assert_eq!(found.is_some(), winners.contains(&i), "successor {i}");
    }
}

/// A refresh token dies at its idle limit and at its absolute limit (T-06).
pub async fn refresh_token_expiry(store: Arc<dyn Store>) {
    grant_fixtures(&*store, &["t1"]).await;
    let idle = RefreshToken {
        idle_expires_at: NOW + 10,
        ..refresh_token("idle", "g-1", "u-1")
    };
    let absolute = RefreshToken {
        expires_at: NOW + 10,
        idle_expires_at: NOW + 100,
        ..refresh_token("absolute", "g-2", "u-1")
    };
    for token in [&idle, &absolute] {
        store.insert_refresh_token("t1", token).await.unwrap();
    }
    let next = |family: &str| refresh_token(&format!("next-{family}"), family, "u-1");
    for (label, family) in [("idle", "g-1"), ("absolute", "g-2")] {
        assert_eq!(
            store
                .rotate_refresh_token("t1", &hash(label), &next(family), NOW + 10)
                .await
                .unwrap(),
            RotateOutcome::Expired,
            "{label}"
        );
        assert_eq!(
            store
                .find_refresh_token("t1", &hash(&format!("next-{family}")))
                .await
                .unwrap(),
            None
        );
    }
    assert!(matches!(
        store
            .rotate_refresh_token("t1", &hash("idle"), &next("g-1"), NOW + 9)
            .await
            .unwrap(),
        RotateOutcome::Rotated(_)
    ));
}

/// Revoking a grant is idempotent; revoking a user's grants revokes all their families.
pub async fn grant_revocation(store: Arc<dyn Store>) {
    grant_fixtures(&*store, &["t1"]).await;
    assert!(!store.is_grant_revoked("t1", "g-1").await.unwrap());
    store
        .revoke_grant("t1", "g-1", NOW, NOW + 600)
        .await
        .unwrap();
    store
        .revoke_grant("t1", "g-1", NOW + 5, NOW + 300)
        .await
        .unwrap();
    assert!(store.is_grant_revoked("t1", "g-1").await.unwrap());
    // The marker keeps the later expiry: purging before it keeps the grant revoked.
    store.delete_expired_grants_data(NOW + 301).await.unwrap();
    assert!(store.is_grant_revoked("t1", "g-1").await.unwrap());

    for (label, family, user) in [
        ("a1", "g-a", "u-1"),
        ("a2", "g-a", "u-1"),
        ("b1", "g-b", "u-1"),
        ("c1", "g-c", "u-2"),
    ] {
        store
            .insert_refresh_token("t1", &refresh_token(label, family, user))
            .await
            .unwrap();
    }
    assert_eq!(
        store
            .revoke_grants_for_user("t1", "u-1", NOW)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .revoke_grants_for_user("t1", "u-1", NOW)
            .await
            .unwrap(),
        0
    );
    for (label, revoked) in [("a1", true), ("a2", true), ("b1", true), ("c1", false)] {
        let token = store
            .find_refresh_token("t1", &hash(label))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(token.revoked_at.is_some(), revoked, "{label}");
    }
    for (grant, revoked) in [("g-a", true), ("g-b", true), ("g-c", false)] {
        assert_eq!(
            store.is_grant_revoked("t1", grant).await.unwrap(),
            revoked,
            "{grant}"
        );
    }
    assert_conflict(
        store.revoke_grant("missing", "g-1", NOW, NOW + 1).await,
        "unknown tenant",
    );
}

/// No session, code, refresh token or grant call crosses tenants.
pub async fn grants_tenant_isolation(store: Arc<dyn Store>) {
    grant_fixtures(&*store, &["t1", "t2"]).await;
    store
        .insert_session("t1", &session("s-1", "u-1", NOW))
        .await
        .unwrap();
    store
        .insert_code("t1", &code("c-1", "g-1", NOW + 60))
        .await
        .unwrap();
    store
        .insert_refresh_token("t1", &refresh_token("rt-1", "g-1", "u-1"))
        .await
        .unwrap();
    store
        .revoke_grant("t1", "g-9", NOW, NOW + 60)
        .await
        .unwrap();

    assert_eq!(
        store
            .find_session_by_secret_hash("t2", &hash("s-1"), NOW)
            .await
            .unwrap(),
        None
    );
    assert_not_found(
        store.touch_session("t2", "s-1", NOW, NOW + 60).await,
        "touch across tenants",
    );
    assert_not_found(
        store.delete_session("t2", "s-1").await,
        "delete across tenants",
    );
    assert!(
        store
            .list_sessions_for_user("t2", "u-1", NOW)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.delete_sessions_for_user("t2", "u-1").await.unwrap(),
        0
    );
    assert_eq!(
        store.consume_code("t2", &hash("c-1"), NOW).await.unwrap(),
        CodeConsumption::NotFound
    );
    let rt2 = refresh_token("rt-2", "g-1", "u-1");
    assert_eq!(
        store
            .rotate_refresh_token("t2", &hash("rt-1"), &rt2, NOW)
            .await
            .unwrap(),
        RotateOutcome::NotFound
    );
    assert_eq!(
        store.find_refresh_token("t2", &hash("rt-1")).await.unwrap(),
        None
    );
    assert_eq!(store.revoke_family("t2", "g-1", NOW).await.unwrap(), 0);
    assert_eq!(
        store
            .revoke_grants_for_user("t2", "u-1", NOW)
            .await
            .unwrap(),
        0
    );
    assert!(!store.is_grant_revoked("t2", "g-9").await.unwrap());
    assert!(!store.is_grant_revoked("t2", "g-1").await.unwrap());

    // Everything in t1 is as it was.
    assert!(
        store
            .find_session_by_secret_hash("t1", &hash("s-1"), NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(matches!(
        store.consume_code("t1", &hash("c-1"), NOW).await.unwrap(),
        CodeConsumption::Consumed(_)
    ));
    assert!(matches!(
        store
            .rotate_refresh_token("t1", &hash("rt-1"), &rt2, NOW)
            .await
            .unwrap(),
        RotateOutcome::Rotated(_)
    ));
    // A user id of t1 does not exist in an unknown tenant.
    assert_conflict(
        store
            .insert_session("t3", &session("s-2", "u-1", NOW))
            .await,
        "unknown tenant",
    );
}

/// Deleting a user deletes their sessions, codes and refresh tokens, and no one else's.
pub async fn deleting_user_cascades_grants_data(store: Arc<dyn Store>) {
    grant_fixtures(&*store, &["t1"]).await;
    store
        .insert_session("t1", &session("s-1", "u-1", NOW))
        .await
        .unwrap();
    store
        .insert_session("t1", &session("s-2", "u-2", NOW))
        .await
        .unwrap();
    store
        .insert_code("t1", &code("c-1", "g-1", NOW + 60))
        .await
        .unwrap();
    store
        .insert_refresh_token("t1", &refresh_token("rt-1", "g-1", "u-1"))
        .await
        .unwrap();
    store
        .insert_refresh_token("t1", &refresh_token("rt-2", "g-2", "u-2"))
        .await
        .unwrap();
    store.delete_user("t1", "u-1").await.unwrap();

    assert_eq!(
        store
            .find_session_by_secret_hash("t1", &hash("s-1"), NOW)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.consume_code("t1", &hash("c-1"), NOW).await.unwrap(),
        CodeConsumption::NotFound
    );
    assert_eq!(
        store.find_refresh_token("t1", &hash("rt-1")).await.unwrap(),
        None
    );
    assert!(
        store
            .find_session_by_secret_hash("t1", &hash("s-2"), NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .find_refresh_token("t1", &hash("rt-2"))
            .await
            .unwrap()
            .is_some()
    );
}

/// The purge deletes only what expired: sessions past a limit, codes a day past expiry,
/// refresh tokens past their absolute limit (unused ones past the idle limit too), markers.
pub async fn purge_removes_only_expired_grants_data(store: Arc<dyn Store>) {
    grant_fixtures(&*store, &["t1"]).await;
    let sessions = [
        Session {
            idle_expires_at: NOW,
            ..session("s-idle", "u-1", NOW - 10)
        },
        Session {
            expires_at: NOW,
            ..session("s-abs", "u-1", NOW - 10)
        },
        session("s-live", "u-1", NOW - 10),
    ];
    for s in &sessions {
        store.insert_session("t1", s).await.unwrap();
    }
    let day = crate::CODE_RETENTION_SECS;
    for (label, expires_at) in [("c-old", NOW - day), ("c-recent", NOW - day + 1)] {
        store
            .insert_code("t1", &code(label, label, expires_at))
            .await
            .unwrap();
    }
    let tokens = [
        RefreshToken {
            expires_at: NOW,
            ..refresh_token("rt-abs", "g-1", "u-1")
        },
        RefreshToken {
            idle_expires_at: NOW,
            ..refresh_token("rt-idle", "g-2", "u-1")
        },
        RefreshToken {
            idle_expires_at: NOW,
            used_at: Some(NOW - 100),
            ..refresh_token("rt-used", "g-3", "u-1")
        },
        refresh_token("rt-live", "g-4", "u-1"),
    ];
    for t in &tokens {
        store.insert_refresh_token("t1", t).await.unwrap();
    }
    store
        .revoke_grant("t1", "g-old", NOW - 60, NOW)
        .await
        .unwrap();
    store
        .revoke_grant("t1", "g-new", NOW - 60, NOW + 1)
        .await
        .unwrap();

    assert_eq!(store.delete_expired_grants_data(NOW).await.unwrap(), 6);
    assert_eq!(
        session_ids(
            store
                .list_sessions_for_user("t1", "u-1", NOW - 1)
                .await
                .unwrap()
        ),
        ["s-live"]
    );
    assert_eq!(
        store.consume_code("t1", &hash("c-old"), NOW).await.unwrap(),
        CodeConsumption::NotFound
    );
    assert_eq!(
        store
            .consume_code("t1", &hash("c-recent"), NOW)
            .await
            .unwrap(),
        CodeConsumption::Expired
    );
    for (label, kept) in [
        ("rt-abs", false),
        ("rt-idle", false),
        ("rt-used", true),
        ("rt-live", true),
    ] {
        assert_eq!(
            store
                .find_refresh_token("t1", &hash(label))
                .await
                .unwrap()
                .is_some(),
            kept,
            "{label}"
        );
    }
    assert!(!store.is_grant_revoked("t1", "g-old").await.unwrap());
    assert!(store.is_grant_revoked("t1", "g-new").await.unwrap());
    assert_eq!(store.delete_expired_grants_data(NOW).await.unwrap(), 0);
}

/// The authentication a family was issued for (auth_time, amr, acr) survives insert, rotation
/// and find, including an empty amr and no acr.
pub async fn refresh_token_keeps_authentication(store: Arc<dyn Store>) {
    grant_fixtures(&*store, &["t1"]).await;
    let rt1 = refresh_token("rt-1", "g-1", "u-1");
    store.insert_refresh_token("t1", &rt1).await.unwrap();
    let found = store
        .find_refresh_token("t1", &hash("rt-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.auth_time, found.amr.as_slice(), found.acr.as_deref()),
        (
            NOW - 50,
            ["pwd".to_owned(), "otp".to_owned()].as_slice(),
            Some("urn:gatehouse:acr:mfa")
        )
    );
    let rt2 = RefreshToken {
        auth_time: NOW - 49,
        amr: vec![],
        acr: None,
        ..refresh_token("rt-2", "g-1", "u-1")
    };
    let outcome = store
        .rotate_refresh_token("t1", &hash("rt-1"), &rt2, NOW)
        .await
        .unwrap();
    let RotateOutcome::Rotated(old) = outcome else {
        panic!("expected a rotation, got {outcome:?}");
    };
    assert_eq!(
        (old.auth_time, old.amr.clone(), old.acr.clone()),
        (rt1.auth_time, rt1.amr.clone(), rt1.acr.clone())
    );
    assert_eq!(
        store.find_refresh_token("t1", &hash("rt-2")).await.unwrap(),
        Some(rt2)
    );
}

/// RFC 8707 grants naming several resources: a code and a refresh token keep the whole list
/// in request order (including a resource list of one, and none), through rotation too.
pub async fn several_resources_roundtrip(store: Arc<dyn Store>) {
    grant_fixtures(&*store, &["t1"]).await;
    let resources = vec![
        "https://b.example/api".to_owned(),
        "https://a.example/api".to_owned(),
        "https://id.example/oauth2/userinfo".to_owned(),
    ];
    let c1 = AuthorizationCode {
        resources: resources.clone(),
        ..code("c-many", "g-many", NOW + 60)
    };
    let c2 = AuthorizationCode {
        resources: vec![],
        ..code("c-none", "g-none", NOW + 60)
    };
    for c in [&c1, &c2] {
        store.insert_code("t1", c).await.unwrap();
    }
    for c in [&c1, &c2] {
        let CodeConsumption::Consumed(got) =
            store.consume_code("t1", &c.code_hash, NOW).await.unwrap()
        else {
            panic!("expected Consumed");
        };
        assert_eq!(got.resources, c.resources);
    }
    let rt1 = RefreshToken {
        resources: resources.clone(),
        ..refresh_token("rt-many-1", "g-many", "u-1")
    };
    store.insert_refresh_token("t1", &rt1).await.unwrap();
    let found = store
        .find_refresh_token("t1", &hash("rt-many-1"))
        .await
        .unwrap()
        .map(|t| t.resources);
    assert_eq!(found, Some(resources.clone()));
    let rt2 = RefreshToken {
        resources: resources.clone(),
        ..refresh_token("rt-many-2", "g-many", "u-1")
    };
    let RotateOutcome::Rotated(old) = store
        .rotate_refresh_token("t1", &hash("rt-many-1"), &rt2, NOW)
        .await
        .unwrap()
    else {
        panic!("expected Rotated");
    };
    assert_eq!(old.resources, resources);
    let found = store
        .find_refresh_token("t1", &hash("rt-many-2"))
        .await
        .unwrap()
        .map(|t| t.resources);
    assert_eq!(found, Some(resources));
}
