//! Cases for API resources.

use std::sync::Arc;

use super::*;

/// Resources round-trip by id and by indicator; update replaces the mutable fields only.
pub async fn resource_roundtrip(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    let res = ApiResource {
        builtin: true,
        access_token_ttl: u32::MAX,
        ..resource("r-1")
    };
    store.insert_resource("t1", &res).await.unwrap();
    assert_eq!(
        store.find_resource("t1", "r-1").await.unwrap(),
        Some(res.clone())
    );
    assert_eq!(
        store
            .find_resource_by_indicator("t1", &res.indicator)
            .await
            .unwrap(),
        Some(res.clone())
    );
    // Indicators match exactly.
    let upper = res.indicator.to_uppercase();
    assert_eq!(
        store
            .find_resource_by_indicator("t1", &upper)
            .await
            .unwrap(),
        None
    );
    assert_conflict(
        store
            .insert_resource(
                "t1",
                &ApiResource {
                    indicator: "https://x".to_owned(),
                    ..res.clone()
                },
            )
            .await,
        "duplicate resource id",
    );

    let changed = ApiResource {
        name: "Renamed".to_owned(),
        access_token_ttl: 60,
        scopes: vec![ResourceScope {
            name: "admin".to_owned(),
            description: "All".to_owned(),
        }],
        updated_at: 1_800_000_000,
        // Immutable fields stay as stored.
        indicator: "https://changed.example".to_owned(),
        builtin: false,
        created_at: 5,
        ..res.clone()
    };
    store.update_resource("t1", &changed).await.unwrap();
    let expected = ApiResource {
        indicator: res.indicator.clone(),
        builtin: res.builtin,
        created_at: res.created_at,
        ..changed
    };
    assert_eq!(
        store.find_resource("t1", "r-1").await.unwrap(),
        Some(expected.clone())
    );
    assert_eq!(
        store.list_resources("t1", &page(None, 10)).await.unwrap(),
        vec![expected]
    );
    let empty = ApiResource {
        scopes: vec![],
        ..resource("r-2")
    };
    store.insert_resource("t1", &empty).await.unwrap();
    assert_eq!(store.find_resource("t1", "r-2").await.unwrap(), Some(empty));
}

/// An indicator is unique within a tenant, not across tenants.
pub async fn resource_duplicate_indicator_conflict(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1", "t2"]).await;
    let res = resource("r-1");
    store.insert_resource("t1", &res).await.unwrap();
    let same_indicator = ApiResource {
        id: "r-2".to_owned(),
        ..res.clone()
    };
    assert_conflict(
        store.insert_resource("t1", &same_indicator).await,
        "duplicate indicator",
    );
    assert_eq!(store.find_resource("t1", "r-2").await.unwrap(), None);
    store.insert_resource("t2", &same_indicator).await.unwrap();
    assert_eq!(
        store
            .find_resource_by_indicator("t2", &res.indicator)
            .await
            .unwrap(),
        Some(same_indicator)
    );
    assert_eq!(
        store
            .find_resource_by_indicator("t1", &res.indicator)
            .await
            .unwrap(),
        Some(res)
    );
}

/// Deleting a resource removes every application's grant on it, and only that grant.
pub async fn resource_delete_removes_grants(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    store.insert_resource("t1", &resource("r-1")).await.unwrap();
    store.insert_resource("t1", &resource("r-2")).await.unwrap();
    let both = vec![grant("r-1", &["read"]), grant("r-2", &["write"])];
    store
        .insert_application("t1", &application("app-1", both.clone()))
        .await
        .unwrap();
    store
        .insert_application("t1", &application("app-2", both))
        .await
        .unwrap();

    store.delete_resource("t1", "r-1").await.unwrap();
    assert_eq!(store.find_resource("t1", "r-1").await.unwrap(), None);
    for id in ["app-1", "app-2"] {
        let app = store.find_application("t1", id).await.unwrap().unwrap();
        assert_eq!(app.resource_grants, vec![grant("r-2", &["write"])], "{id}");
    }
    let listed = store
        .list_applications("t1", &page(None, 10))
        .await
        .unwrap();
    assert!(
        listed
            .iter()
            .all(|app| app.resource_grants == vec![grant("r-2", &["write"])])
    );
    assert_not_found(store.delete_resource("t1", "r-1").await, "second delete");
}

/// Resources list by id with an exclusive `after`.
pub async fn resource_list_pagination(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t1"]).await;
    for id in ["r-c", "r-a", "r-b"] {
        store.insert_resource("t1", &resource(id)).await.unwrap();
    }
    let ids = |list: Vec<ApiResource>| list.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.list_resources("t1", &page(None, 2)).await.unwrap()),
        ["r-a", "r-b"]
    );
    assert_eq!(
        ids(store
            .list_resources("t1", &page(Some("r-b"), 2))
            .await
            .unwrap()),
        ["r-c"]
    );
    assert!(
        store
            .list_resources("t1", &page(Some("r-c"), 2))
            .await
            .unwrap()
            .is_empty()
    );
}
