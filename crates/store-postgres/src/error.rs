//! Translation of `sqlx` and PostgreSQL errors into [`StoreError`]s.

use gatehouse_store::StoreError;
use sqlx::error::{DatabaseError, ErrorKind};

/// SQLSTATE classes that mean "try again later": connection exceptions (08), insufficient
/// resources such as too many connections (53), operator intervention such as a shutdown or a
/// cancelled statement (57).
const UNAVAILABLE_CLASSES: [&str; 3] = ["08", "53", "57"];

/// What a violated unique constraint or foreign key means, in words.
const CONSTRAINT_MESSAGES: [(&str, &str); 28] = [
    ("users_pkey", "user id already exists"),
    ("users_username_key", "username already exists"),
    ("users_email_key", "email already exists"),
    ("users_tenant_id_fkey", "tenant does not exist"),
    ("tenants_pkey", "tenant id already exists"),
    ("tenants_name_key", "tenant name already exists"),
    ("applications_pkey", "application id already exists"),
    ("api_resources_pkey", "resource id already exists"),
    ("api_resources_indicator_key", "indicator already exists"),
    (
        "application_resource_grants_pkey",
        "resource granted twice to the application",
    ),
    ("client_secrets_pkey", "client secret id already exists"),
    ("signing_keys_pkey", "signing key id (kid) already exists"),
    (
        "application_resource_grants_resource_fkey",
        "granted resource does not exist",
    ),
    (
        "application_resource_grants_application_fkey",
        "application does not exist",
    ),
    (
        "client_secrets_application_fkey",
        "application does not exist",
    ),
    ("applications_tenant_id_fkey", "tenant does not exist"),
    ("api_resources_tenant_id_fkey", "tenant does not exist"),
    ("signing_keys_tenant_id_fkey", "tenant does not exist"),
    ("revoked_tokens_tenant_id_fkey", "tenant does not exist"),
    ("device_authorizations_pkey", "device code already exists"),
    (
        "device_authorizations_user_code_key",
        "user code already exists",
    ),
    (
        "device_authorizations_client_fkey",
        "application does not exist",
    ),
    ("device_authorizations_user_fkey", "user does not exist"),
    (
        "device_authorizations_tenant_id_fkey",
        "tenant does not exist",
    ),
    (
        "personal_access_tokens_pkey",
        "personal access token id already exists",
    ),
    (
        "personal_access_tokens_token_hash_key",
        "personal access token already exists",
    ),
    ("personal_access_tokens_user_fkey", "user does not exist"),
    (
        "personal_access_tokens_tenant_id_fkey",
        "tenant does not exist",
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
        ErrorKind::UniqueViolation => {
            StoreError::Conflict(constraint_message(db.constraint(), "record already exists"))
        }
        ErrorKind::ForeignKeyViolation => StoreError::Conflict(constraint_message(
            db.constraint(),
            "a referenced record does not exist",
        )),
        _ => {
            let code = db.code().unwrap_or_default();
            if UNAVAILABLE_CLASSES
                .iter()
                .any(|class| code.starts_with(class))
            {
                StoreError::Unavailable(format!("{} ({code})", db.message()))
            } else {
                StoreError::Other(format!("{} ({code})", db.message()))
            }
        }
    }
}

fn constraint_message(constraint: Option<&str>, fallback: &str) -> String {
    constraint
        .and_then(|name| CONSTRAINT_MESSAGES.iter().find(|(known, _)| *known == name))
        .map_or(fallback, |(_, words)| words)
        .to_owned()
}
