//! Cases for tenants and the store as a whole.

use std::sync::Arc;

use super::*;

/// `ping` answers and `backend` names the backend.
pub async fn ping_answers(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
    assert!(!store.backend().is_empty());
}

/// Tenants round-trip by name; a taken name is a `Conflict`, so is a taken id.
pub async fn tenant_insert_find_and_duplicate_name(store: Arc<dyn Store>) {
    let acme = tenant("t-acme");
    store.insert_tenant(&acme).await.unwrap();
    assert_eq!(
        store.find_tenant_by_name("name-t-acme").await.unwrap(),
        Some(acme.clone())
    );
    assert_eq!(store.find_tenant_by_name("nobody").await.unwrap(), None);

    let same_name = Tenant {
        id: "t-other".to_owned(),
        ..acme.clone()
    };
    assert_conflict(
        store.insert_tenant(&same_name).await,
        "duplicate tenant name",
    );
    let same_id = Tenant {
        name: "fresh-name".to_owned(),
        ..acme
    };
    assert_conflict(store.insert_tenant(&same_id).await, "duplicate tenant id");
    assert_eq!(store.find_tenant_by_name("fresh-name").await.unwrap(), None);
}

/// Tenants list by id, `after` is exclusive, `limit` is respected.
pub async fn tenant_list_pagination(store: Arc<dyn Store>) {
    insert_tenants(&*store, &["t-c", "t-a", "t-e", "t-b", "t-d"]).await;
    let ids = |tenants: Vec<Tenant>| tenants.into_iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.list_tenants(&page(None, 2)).await.unwrap()),
        ["t-a", "t-b"]
    );
    assert_eq!(
        ids(store.list_tenants(&page(Some("t-b"), 2)).await.unwrap()),
        ["t-c", "t-d"]
    );
    assert_eq!(
        ids(store.list_tenants(&page(Some("t-d"), 2)).await.unwrap()),
        ["t-e"]
    );
    assert!(
        store
            .list_tenants(&page(Some("t-e"), 2))
            .await
            .unwrap()
            .is_empty()
    );
    let all = ids(store.list_tenants(&page(None, 200)).await.unwrap());
    assert_eq!(all, ["t-a", "t-b", "t-c", "t-d", "t-e"]);
}
