//! Cases for users.

use std::sync::Arc;

use gatehouse_core::profile::{Address, Profile};
use gatehouse_core::user::User;

use super::*;

fn user(id: &str, username: Option<&str>, email: Option<&str>) -> User {
    User {
        id: id.to_owned(),
        username: username.map(str::to_owned),
        email: email.map(str::to_owned),
        email_verified: false,
        name: Some(format!("User {id}")),
        password_hash: Some(format!("$argon2id$v=19$m=19456,t=2,p=1$salt${id}")),
        created_at: 1_700_000_200,
        updated_at: 1_700_000_200,
        ..User::default()
    }
}

/// A user with every claim of OIDC Core §5.1, text with quotes, newlines and non-ASCII.
fn claimed(id: &str, username: &str) -> User {
    User {
        phone_number: Some("+442079460958".to_owned()),
        phone_number_verified: true,
        profile: Profile {
            given_name: Some("Ada".to_owned()),
            family_name: Some("King-Noel \"Lovelace\"".to_owned()),
            middle_name: Some("Augusta".to_owned()),
            nickname: Some("Countess 🧮".to_owned()),
            profile: Some("https://example.com/ada?x=1&y=%22".to_owned()),
            picture: Some("https://example.com/ada.png".to_owned()),
            website: Some("http://ada.example/".to_owned()),
            gender: Some("female".to_owned()),
            birthdate: Some("0000-12-10".to_owned()),
            zoneinfo: Some("Europe/London".to_owned()),
            locale: Some("en-GB".to_owned()),
        },
        address: Some(Address {
            formatted: Some("12 St James's Square\nLondon SW1Y 4LE\nUnited Kingdom".to_owned()),
            street_address: Some("12 St James's Square\nFlat 1".to_owned()),
            locality: Some("London".to_owned()),
            region: Some("Greater London".to_owned()),
            postal_code: Some("SW1Y 4LE".to_owned()),
            country: Some("Royaume-Uni (été)".to_owned()),
        }),
        ..user(id, Some(username), None)
    }
}

fn ids(list: Vec<User>) -> Vec<String> {
    list.into_iter().map(|u| u.id).collect()
}

/// Users round-trip by id, username and email; update replaces the mutable fields.
pub async fn user_roundtrip(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    let alice = user("u-1", Some("alice"), Some("alice@example.com"));
    store.insert_user("t1", &alice).await.unwrap();
    assert_eq!(
        store.find_user("t1", "u-1").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        store.find_user_by_username("t1", "alice").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        store
            .find_user_by_email("t1", "alice@example.com")
            .await
            .unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        store.find_user_by_username("t1", "bob").await.unwrap(),
        None
    );
    // Only an email, no name, no password.
    let bare = User {
        name: None,
        password_hash: None,
        ..user("u-2", None, Some("bare@example.com"))
    };
    store.insert_user("t1", &bare).await.unwrap();
    assert_eq!(store.find_user("t1", "u-2").await.unwrap(), Some(bare));
    // Only a username: NULL emails do not collide with each other.
    for id in ["u-3", "u-4"] {
        let name = format!("name-{id}");
        store
            .insert_user("t1", &user(id, Some(&name), None))
            .await
            .unwrap();
    }

    let changed = User {
        username: Some("alice2".to_owned()),
        email: None,
        email_verified: true,
        name: None,
        password_hash: None,
        disabled: true,
        updated_at: 1_800_000_000,
        created_at: 5,
        ..alice.clone()
    };
    store.update_user("t1", &changed).await.unwrap();
    let expected = User {
        created_at: alice.created_at,
        ..changed
    };
    assert_eq!(
        store.find_user("t1", "u-1").await.unwrap(),
        Some(expected.clone())
    );
    assert_eq!(
        store.find_user_by_username("t1", "alice").await.unwrap(),
        None
    );
    assert_eq!(
        store
            .find_user_by_email("t1", "alice@example.com")
            .await
            .unwrap(),
        None
    );
    // Neither username nor email is refused by the database.
    let nameless = User {
        username: None,
        email: None,
        ..expected
    };
    assert!(store.update_user("t1", &nameless).await.is_err());
    assert!(
        store
            .insert_user("t1", &user("u-9", None, None))
            .await
            .is_err()
    );
}

/// Phone number, profile claims and address round-trip through insert, every finder, list
/// and update; an update can change or clear each one, and an address without any member is
/// stored as no address.
pub async fn user_claims_roundtrip(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    let ada = User {
        email: Some("ada@example.com".to_owned()),
        ..claimed("u-1", "ada")
    };
    store.insert_user("t1", &ada).await.unwrap();
    assert_eq!(
        store.find_user("t1", "u-1").await.unwrap(),
        Some(ada.clone())
    );
    assert_eq!(
        store.find_user_by_username("t1", "ada").await.unwrap(),
        Some(ada.clone())
    );
    assert_eq!(
        store
            .find_user_by_email("t1", "ada@example.com")
            .await
            .unwrap(),
        Some(ada.clone())
    );
    assert_eq!(
        store.list_users("t1", &page(None, 10), None).await.unwrap(),
        std::slice::from_ref(&ada)
    );
    // Phone numbers are not unique.
    let twin = claimed("u-2", "twin");
    store.insert_user("t1", &twin).await.unwrap();
    assert_eq!(store.find_user("t1", "u-2").await.unwrap(), Some(twin));

    // Change some, clear others.
    let changed = User {
        phone_number: Some("+33123456789".to_owned()),
        phone_number_verified: false,
        profile: Profile {
            nickname: None,
            picture: None,
            locale: Some("fr-FR".to_owned()),
            ..ada.profile.clone()
        },
        address: Some(Address {
            locality: Some("Paris".to_owned()),
            ..Address::default()
        }),
        updated_at: 1_800_000_000,
        ..ada.clone()
    };
    store.update_user("t1", &changed).await.unwrap();
    assert_eq!(
        store.find_user("t1", "u-1").await.unwrap(),
        Some(changed.clone())
    );

    // Clear everything: no phone, an empty profile, no address.
    let cleared = User {
        phone_number: None,
        phone_number_verified: false,
        profile: Profile::default(),
        address: None,
        ..changed.clone()
    };
    store.update_user("t1", &cleared).await.unwrap();
    assert_eq!(
        store.find_user("t1", "u-1").await.unwrap(),
        Some(cleared.clone())
    );

    // An address without any member reads back as none, on insert and on update.
    let empty_address = User {
        address: Some(Address::default()),
        ..cleared.clone()
    };
    store.update_user("t1", &empty_address).await.unwrap();
    assert_eq!(store.find_user("t1", "u-1").await.unwrap(), Some(cleared));
    let bare = User {
        address: Some(Address::default()),
        ..user("u-3", Some("bare"), None)
    };
    store.insert_user("t1", &bare).await.unwrap();
    let found = store.find_user("t1", "u-3").await.unwrap().unwrap();
    assert_eq!(found.address, None);
    assert_eq!(
        found,
        User {
            address: None,
            ..bare
        }
    );
}

/// A username and an email are each unique within a tenant, not across tenants.
pub async fn user_duplicates_conflict(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1", "t2"]).await;
    store
        .insert_user("t1", &user("u-1", Some("alice"), Some("alice@example.com")))
        .await
        .unwrap();
    let same_username = store
        .insert_user("t1", &user("u-2", Some("alice"), Some("other@example.com")))
        .await;
    match same_username {
        Err(StoreError::Conflict(message)) => assert!(message.contains("username"), "{message}"),
        other => panic!("duplicate username: expected Conflict, got {other:?}"),
    }
    let same_email = store
        .insert_user("t1", &user("u-3", Some("bob"), Some("alice@example.com")))
        .await;
    match same_email {
        Err(StoreError::Conflict(message)) => assert!(message.contains("email"), "{message}"),
        other => panic!("duplicate email: expected Conflict, got {other:?}"),
    }
    assert_eq!(store.find_user("t1", "u-2").await.unwrap(), None);
    assert_eq!(store.find_user("t1", "u-3").await.unwrap(), None);
    assert_conflict(
        store
            .insert_user("t1", &user("u-1", Some("carol"), None))
            .await,
        "duplicate id",
    );

    // The same username and email in another tenant are another account.
    store
        .insert_user("t2", &user("u-1", Some("alice"), Some("alice@example.com")))
        .await
        .unwrap();

    // An update cannot take another user's username or email either.
    let bob = user("u-4", Some("bob"), Some("bob@example.com"));
    store.insert_user("t1", &bob).await.unwrap();
    let taken = User {
        username: Some("alice".to_owned()),
        ..bob.clone()
    };
    assert_conflict(
        store.update_user("t1", &taken).await,
        "update to a taken username",
    );
    let taken = User {
        email: Some("alice@example.com".to_owned()),
        ..bob.clone()
    };
    assert_conflict(
        store.update_user("t1", &taken).await,
        "update to a taken email",
    );
    assert_eq!(store.find_user("t1", "u-4").await.unwrap(), Some(bob));
}

/// Search matches a case-insensitive substring of username, email or name, with LIKE
/// wildcards taken literally.
pub async fn user_search_is_literal(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    let users = [
        user("u-1", Some("alice"), Some("alice@example.com")),
        user("u-2", Some("bob_smith"), Some("bob@example.org")),
        user("u-3", Some("bobxsmith"), Some("100%@example.org")),
        User {
            name: Some("Carol Back\\slash".to_owned()),
            ..user("u-4", Some("carol"), None)
        },
        user("u-5", None, Some("dave@example.com")),
    ];
    for u in &users {
        store.insert_user("t1", u).await.unwrap();
    }
    let search = |q: &'static str| {
        let store = store.clone();
        async move {
            ids(store
                .list_users("t1", &page(None, 50), Some(q))
                .await
                .unwrap())
        }
    };
    assert_eq!(search("ALICE").await, ["u-1"]);
    assert_eq!(search("example.com").await, ["u-1", "u-5"]);
    assert_eq!(search("b_s").await, ["u-2"], "`_` is literal");
    assert_eq!(search("%").await, ["u-3"], "`%` is literal");
    assert_eq!(search("0%@").await, ["u-3"]);
    assert_eq!(search("\\").await, ["u-4"], "`\\` is literal");
    assert_eq!(search("back\\s").await, ["u-4"]);
    assert_eq!(search("carol back").await, ["u-4"], "names match");
    assert!(search("nobody").await.is_empty());
    assert_eq!(search("").await.len(), 5);
    assert_eq!(
        ids(store.list_users("t1", &page(None, 50), None).await.unwrap()).len(),
        5
    );
}

/// Users list by id with an exclusive `after`, with and without a search.
pub async fn user_list_pagination(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    for id in ["u-c", "u-a", "u-e", "u-b", "u-d"] {
        let name = format!("name-{id}");
        store
            .insert_user("t1", &user(id, Some(&name), None))
            .await
            .unwrap();
    }
    assert_eq!(
        ids(store.list_users("t1", &page(None, 2), None).await.unwrap()),
        ["u-a", "u-b"]
    );
    assert_eq!(
        ids(store
            .list_users("t1", &page(Some("u-b"), 2), None)
            .await
            .unwrap()),
        ["u-c", "u-d"]
    );
    assert_eq!(
        ids(store
            .list_users("t1", &page(Some("u-d"), 2), None)
            .await
            .unwrap()),
        ["u-e"]
    );
    assert_eq!(
        ids(store
            .list_users("t1", &page(Some("u-a"), 2), Some("NAME-U"))
            .await
            .unwrap()),
        ["u-b", "u-c"]
    );
}

/// Updating or deleting a missing user is `NotFound`; deleting frees the username.
pub async fn user_update_delete_not_found(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    let ghost = user("u-0", Some("ghost"), None);
    assert_not_found(store.update_user("t1", &ghost).await, "update missing");
    assert_not_found(store.delete_user("t1", "u-0").await, "delete missing");
    store.insert_user("t1", &ghost).await.unwrap();
    store.delete_user("t1", "u-0").await.unwrap();
    assert_eq!(store.find_user("t1", "u-0").await.unwrap(), None);
    assert_not_found(store.delete_user("t1", "u-0").await, "second delete");
    store
        .insert_user("t1", &user("u-1", Some("ghost"), None))
        .await
        .unwrap();
}

/// No user call crosses tenants.
pub async fn user_tenant_isolation(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1", "t2"]).await;
    let alice = user("u-1", Some("alice"), Some("alice@example.com"));
    store.insert_user("t1", &alice).await.unwrap();
    assert_eq!(store.find_user("t2", "u-1").await.unwrap(), None);
    assert_eq!(
        store.find_user_by_username("t2", "alice").await.unwrap(),
        None
    );
    assert_eq!(
        store
            .find_user_by_email("t2", "alice@example.com")
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .list_users("t2", &page(None, 10), Some("alice"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_not_found(
        store.update_user("t2", &alice).await,
        "update across tenants",
    );
    assert_not_found(
        store.delete_user("t2", "u-1").await,
        "delete across tenants",
    );
    assert_eq!(store.find_user("t1", "u-1").await.unwrap(), Some(alice));
    assert_conflict(
        store
            .insert_user("missing", &user("u-2", Some("x"), None))
            .await,
        "unknown tenant",
    );
}
