//! A small bounded cache of resolved tenants, so the hot path does not read the tenant row on
//! every request. Idle tenants cost nothing: entries expire and the map never exceeds its
//! capacity.

use crate::TenantContext;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long a resolved tenant is trusted (seconds).
const TENANT_TTL: i64 = 60;

/// Tenant name -> context, bounded.
pub(crate) struct TenantCache {
    capacity: usize,
    entries: Mutex<HashMap<String, (Arc<TenantContext>, i64)>>,
}

impl TenantCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn get(&self, name: &str, now: i64) -> Option<Arc<TenantContext>> {
        let entries = self.entries.lock().ok()?;
        let (context, loaded_at) = entries.get(name)?;
        (now - loaded_at < TENANT_TTL).then(|| context.clone())
    }

    pub(crate) fn put(&self, name: &str, context: Arc<TenantContext>, now: i64) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.capacity {
            entries.retain(|_, (_, loaded_at)| now - *loaded_at < TENANT_TTL);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(name.to_owned(), (context, now));
    }
}
