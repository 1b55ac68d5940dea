//! A small bounded cache with a time-to-live, for data that is read on every request and may be
//! a few seconds stale (tenants, API resource definitions). Never used on its own for anything
//! whose change must take effect at once: revocations are read from the store, and client
//! secrets go through `client_cache`, which adds versioning and polling on top of this map.
//! Idle tenants cost nothing: entries expire and the map never exceeds its capacity.

use std::collections::HashMap;
use std::sync::Mutex;

/// Key -> value, each entry trusted for `ttl` seconds.
pub(crate) struct TtlCache<V> {
    capacity: usize,
    ttl: i64,
    entries: Mutex<HashMap<String, (V, i64)>>,
}

impl<V: Clone> TtlCache<V> {
    pub(crate) fn new(capacity: usize, ttl: i64) -> Self {
        Self {
            capacity: capacity.max(1),
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn get(&self, key: &str, now: i64) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (value, loaded_at) = entries.get(key)?;
        (now - loaded_at < self.ttl && now >= *loaded_at).then(|| value.clone())
    }

    pub(crate) fn put(&self, key: &str, value: V, now: i64) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.capacity && !entries.contains_key(key) {
            let ttl = self.ttl;
            entries.retain(|_, (_, loaded_at)| now - *loaded_at < ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key.to_owned(), (value, now));
    }

    pub(crate) fn remove(&self, key: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::TtlCache;

    #[test]
    fn entries_expire_and_the_map_stays_bounded() {
        let cache = TtlCache::new(2, 10);
        cache.put("a", 1, 100);
        assert_eq!(cache.get("a", 109), Some(1));
        assert_eq!(cache.get("a", 110), None);
        cache.put("b", 2, 100);
        cache.put("c", 3, 105);
        assert!(cache.entries.lock().unwrap().len() <= 2);
        cache.remove("c");
        assert_eq!(cache.get("c", 105), None);
    }
}
