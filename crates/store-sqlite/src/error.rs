//! Translation of `sqlx` and SQLite errors into [`StoreError`]s.

use gatehouse_store::StoreError;
use sqlx::error::{DatabaseError, ErrorKind};

/// SQLite primary result codes that mean "try again later" rather than "bad request":
/// BUSY, LOCKED, IOERR, FULL, CANTOPEN.
const UNAVAILABLE_CODES: [i64; 5] = [5, 6, 10, 13, 14];

/// Unique constraints, as SQLite names their columns, and what a collision means in words.
/// The first match wins, so the more specific entries come first.
const UNIQUE_MESSAGES: [(&str, &str); 15] = [
    ("users.username", "username already exists"),
    ("users.email", "email already exists"),
    ("users.", "user id already exists"),
    ("tenants.name", "tenant name already exists"),
    ("tenants.id", "tenant id already exists"),
    ("api_resources.indicator", "indicator already exists"),
    ("api_resources.", "resource id already exists"),
    (
        "application_resource_grants.",
        "resource granted twice to the application",
    ),
    ("applications.", "application id already exists"),
    ("client_secrets.", "client secret id already exists"),
    ("signing_keys.", "signing key id (kid) already exists"),
    (
        "device_authorizations.user_code",
        "user code already exists",
    ),
    ("device_authorizations.", "device code already exists"),
    (
        "personal_access_tokens.token_hash",
        "personal access token already exists",
    ),
    (
        "personal_access_tokens.",
        "personal access token id already exists",
    ),
];

/// Maps any `sqlx` error to the store's error.
pub(crate) fn from_sqlx(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Database(db) => from_database(db.as_ref()),
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
        sqlx::Error::Migrate(migrate) => match *migrate {
            sqlx::migrate::MigrateError::Execute(inner) => from_sqlx(inner),
            other => StoreError::Other(format!("migration: {other}")),
        },
        other => StoreError::Other(other.to_string()),
    }
}

fn from_database(db: &dyn DatabaseError) -> StoreError {
    match db.kind() {
        ErrorKind::UniqueViolation => StoreError::Conflict(unique_message(db.message()).to_owned()),
        ErrorKind::ForeignKeyViolation => StoreError::Conflict(
            "a referenced tenant, application or resource does not exist".to_owned(),
        ),
        _ => {
            let code = db
                .code()
                .and_then(|code| code.parse::<i64>().ok())
                .unwrap_or_default();
            if UNAVAILABLE_CODES.contains(&(code & 0xff)) {
                StoreError::Unavailable(db.message().to_owned())
            } else {
                StoreError::Other(db.message().to_owned())
            }
        }
    }
}

/// "UNIQUE constraint failed: api_resources.tenant_id, api_resources.indicator" -> words.
fn unique_message(message: &str) -> &'static str {
    let columns = message.rsplit(": ").next().unwrap_or(message);
    // The tenant column leads every composite key; what follows it tells which one collided.
    let significant = columns.rsplit(", ").next().unwrap_or(columns);
    UNIQUE_MESSAGES
        .iter()
        .find(|(needle, _)| significant.starts_with(needle))
        .map_or("record already exists", |(_, words)| words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_messages_name_the_constraint() {
        let cases = [
            (
                "UNIQUE constraint failed: tenants.name",
                "tenant name already exists",
            ),
            (
                "UNIQUE constraint failed: tenants.id",
                "tenant id already exists",
            ),
            (
                "UNIQUE constraint failed: api_resources.tenant_id, api_resources.indicator",
                "indicator already exists",
            ),
            (
                "UNIQUE constraint failed: api_resources.tenant_id, api_resources.id",
                "resource id already exists",
            ),
            (
                "UNIQUE constraint failed: applications.tenant_id, applications.id",
                "application id already exists",
            ),
            (
                "UNIQUE constraint failed: application_resource_grants.tenant_id, \
                 application_resource_grants.application_id, \
                 application_resource_grants.resource_id",
                "resource granted twice to the application",
            ),
            (
                "UNIQUE constraint failed: users.tenant_id, users.email",
                "email already exists",
            ),
            (
                "UNIQUE constraint failed: users.tenant_id, users.username",
                "username already exists",
            ),
            (
                "UNIQUE constraint failed: device_authorizations.tenant_id, \
                 device_authorizations.user_code",
                "user code already exists",
            ),
            (
                "UNIQUE constraint failed: device_authorizations.tenant_id, \
                 device_authorizations.device_code_hash",
                "device code already exists",
            ),
            (
                "UNIQUE constraint failed: personal_access_tokens.tenant_id, \
                 personal_access_tokens.token_hash",
                "personal access token already exists",
            ),
            (
                "UNIQUE constraint failed: personal_access_tokens.tenant_id, \
                 personal_access_tokens.id",
                "personal access token id already exists",
            ),
            (
                "UNIQUE constraint failed: mystery.x",
                "record already exists",
            ),
        ];
        for (message, words) in cases {
            assert_eq!(unique_message(message), words, "{message}");
        }
    }
}
