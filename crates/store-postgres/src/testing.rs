//! Test support for this crate's and other crates' tests: a fresh database per test on the
//! PostgreSQL server named by `DATABASE_URL` (default [`DEFAULT_DATABASE_URL`]), dropped when
//! the returned [`TestDatabase`] is dropped. A server that cannot be reached fails the test:
//! tests never skip silently.
// Test support: a database that cannot be set up must fail the test loudly.
#![allow(clippy::panic)]

use sqlx::{Connection, PgConnection};
use url::Url;

use crate::{PostgresStore, StoreOptions};

/// The server tests use when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database created for one test; dropping it drops the database (best effort, `WITH
/// (FORCE)`, so connections still open do not keep it alive).
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
    maintenance_url: String,
}

impl TestDatabase {
    /// The URL of the fresh database, to connect to it again (for example from a test server).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name, `gh_test_<32 hex digits>`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let maintenance_url = self.maintenance_url.clone();
        let drop_database = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        // Drop cannot await, and may run inside or outside a runtime: use a thread of its own.
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect(&maintenance_url).await {
                    // Best effort: a leftover gh_test_ database is harmless.
                    let _ = sqlx::query(&drop_database).execute(&mut conn).await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// `DATABASE_URL`, or [`DEFAULT_DATABASE_URL`] when unset: the server tests create databases on.
pub fn server_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned())
}

/// Creates an empty database (no migrations applied). Panics with the reason when the server
/// cannot be reached or refuses.
pub async fn empty_database() -> TestDatabase {
    let maintenance_url = server_url();
    let shown = redacted(&maintenance_url);
    let mut url = Url::parse(&maintenance_url)
        .unwrap_or_else(|err| panic!("DATABASE_URL {shown} is not a URL: {err}"));
    let name = format!("gh_test_{}", uuid::Uuid::new_v4().simple());
    url.set_path(&format!("/{name}"));

    let mut conn = PgConnection::connect(&maintenance_url)
        .await
        .unwrap_or_else(|err| {
            panic!(
                "PostgreSQL tests need a server: cannot connect to {shown} ({err}). Start \
             PostgreSQL or point DATABASE_URL at one."
            )
        });
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|err| panic!("creating test database {name} on {shown}: {err}"));
    let _ = conn.close().await;
    TestDatabase {
        name,
        url: url.to_string(),
        maintenance_url,
    }
}

/// Creates a database, connects a [`PostgresStore`] to it and migrates it. Panics with the
/// reason when any step fails.
pub async fn fresh_database() -> (PostgresStore, TestDatabase) {
    let database = empty_database().await;
    let options = StoreOptions {
        max_connections: 5,
        ..StoreOptions::default()
    };
    let store = PostgresStore::connect(database.url(), &options)
        .await
        .unwrap_or_else(|err| panic!("connecting to test database {}: {err}", database.name));
    store
        .migrate()
        .await
        .unwrap_or_else(|err| panic!("migrating test database {}: {err}", database.name));
    (store, database)
}

/// The URL without its password, for messages.
fn redacted(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(unparsable URL)".to_owned(),
    }
}
