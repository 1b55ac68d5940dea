//! Test support for this crate's and other crates' tests: a fresh, migrated SQLite database in
//! its own temporary directory, removed when the returned [`TestDatabase`] is dropped.
// Test support: a database that cannot be set up must fail the test loudly.
#![allow(clippy::panic)]

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::{SqliteStore, StoreOptions};

/// A temporary database file; dropping it deletes the directory holding it.
#[derive(Debug)]
pub struct TestDatabase {
    dir: TempDir,
    path: PathBuf,
    url: String,
}

impl TestDatabase {
    /// The `sqlite://` URL of the database, to open it again (for example from a test server).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary directory the database lives in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Creates and migrates a fresh database in a new temporary directory. Panics with the reason
/// when that fails.
pub async fn fresh_database() -> (SqliteStore, TestDatabase) {
    let dir = tempfile::Builder::new()
        .prefix("gatehouse-test-")
        .tempdir()
        .unwrap_or_else(|err| panic!("creating a temporary directory for SQLite: {err}"));
    let path = dir.path().join("gatehouse.sqlite");
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::connect(&url, &StoreOptions::default())
        .await
        .unwrap_or_else(|err| panic!("opening test database {url}: {err}"));
    store
        .migrate()
        .await
        .unwrap_or_else(|err| panic!("migrating test database {url}: {err}"));
    (store, TestDatabase { dir, path, url })
}
