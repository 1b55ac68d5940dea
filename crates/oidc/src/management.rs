//! Management operations on applications and their client secrets, shared by the Management
//! API (`/api`) and the offline `gatehouse admin` commands. Each operation validates its body
//! with named `check_*` steps that collect every field error before failing, then reads and
//! writes through the store. Conversions between stored records and the wire bodies of
//! `gatehouse_types::management` live here too, as do the pieces every management module
//! shares: [`ManagementError`], field error collection and list paging. API resources live in
//! [`crate::resources`], users in [`crate::users`].
//!
//! Client secrets are random 256-bit values prefixed `gh_cs_`, shown once at creation and
//! stored only as SHA-256. An application may hold several active secrets, so rotation is:
//! create a new secret, deploy it, delete the old one. An application registered with a public
//! JWK Set authenticates with `private_key_jwt` and gets no first secret (it may add some).

use crate::client_auth::{normalize_client_jwks, registered_auth_method};
use crate::token::refresh_token::{
    check_refresh_token_lifetime_update, check_refresh_token_lifetimes,
};
use crate::{Engine, TenantContext};
use gatehouse_core::validate::{check_display_name, check_redirect_uri};
use gatehouse_core::{ApiResource, Application, ApplicationType, ClientSecret, ResourceGrant};
use gatehouse_crypto::{random_token, sha256};
use gatehouse_store::{PageRequest, StoreError};
use gatehouse_types::management as wire;
use gatehouse_types::problem::FieldError;
use std::collections::HashSet;

/// Most redirect URIs (and, separately, post-logout redirect URIs) of one application.
pub const MAX_REDIRECT_URIS: usize = 32;
/// Most resource grants of one application.
pub const MAX_RESOURCE_GRANTS: usize = 100;
/// Most client secrets (active or expired) of one application.
pub const MAX_CLIENT_SECRETS: usize = 20;
/// Page size when the caller gives none.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;
/// Largest page size.
pub const MAX_PAGE_LIMIT: u32 = 200;
/// Prefix of every client secret, so leaked secrets are easy to recognise and scan for.
pub const CLIENT_SECRET_PREFIX: &str = "gh_cs_";

/// Why a management operation failed. Each variant has one stable Management API code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ManagementError {
    /// The body has invalid fields; every one is listed.
    #[error("invalid fields: {}", describe_fields(.0))]
    Validation(Vec<FieldError>),
    /// The named record does not exist in the tenant.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique value is taken; the message says which.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The named built-in record cannot be changed or deleted this way.
    #[error("the built-in {0} cannot be changed this way")]
    BuiltinReadonly(&'static str),
    /// The database is unreachable; retry later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else; the message is for logs only.
    #[error("internal error: {0}")]
    Internal(String),
}

/// `field: message; field: message`, for logs and the CLI.
fn describe_fields(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<StoreError> for ManagementError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound("record"),
            StoreError::Conflict(message) => Self::Conflict(message),
            StoreError::Unavailable(message) => Self::Unavailable(message),
            StoreError::Other(message) => Self::Internal(message),
        }
    }
}

/// Which page of a list to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Items strictly after this id (the previous page's `next_cursor`).
    pub after: Option<String>,
    /// Page size, 1..=200; 50 when absent.
    pub limit: Option<u32>,
}

/// Field errors collected while checking one body.
#[derive(Debug, Default)]
pub(crate) struct FieldErrors(pub(crate) Vec<FieldError>);

impl FieldErrors {
    pub(crate) fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub(crate) fn check(&mut self, field: impl Into<String>, result: Result<(), String>) {
        if let Err(message) = result {
            self.add(field, message);
        }
    }

    pub(crate) fn into_result(self) -> Result<(), ManagementError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ManagementError::Validation(self.0))
        }
    }
}

fn validation(field: &str, message: &str) -> ManagementError {
    ManagementError::Validation(vec![FieldError {
        field: field.to_owned(),
        message: message.to_owned(),
    }])
}

/// Checks a list of redirect (or post-logout redirect) URIs named `field`.
fn check_redirect_uris(
    errors: &mut FieldErrors,
    field: &str,
    uris: &[String],
    app_type: ApplicationType,
) {
    if app_type == ApplicationType::M2m && !uris.is_empty() {
        errors.add(
            field,
            "machine-to-machine applications have no browser redirects",
        );
        return;
    }
    if uris.len() > MAX_REDIRECT_URIS {
        errors.add(field, format!("at most {MAX_REDIRECT_URIS} URIs"));
    }
    let mut seen = HashSet::new();
    for (index, uri) in uris.iter().enumerate() {
        let path = format!("{field}[{index}]");
        if !seen.insert(uri.as_str()) {
            errors.add(path, "duplicate URI");
        } else {
            errors.check(path, check_redirect_uri(uri, app_type));
        }
    }
}

/// Checks resource grants against the resources they name (`resources` holds those found).
fn check_resource_grants(
    errors: &mut FieldErrors,
    grants: &[ResourceGrant],
    resources: &[ApiResource],
) {
    if grants.len() > MAX_RESOURCE_GRANTS {
        errors.add(
            "resource_grants",
            format!("at most {MAX_RESOURCE_GRANTS} grants"),
        );
    }
    let mut seen = HashSet::new();
    for (index, grant) in grants.iter().enumerate() {
        let path = format!("resource_grants[{index}]");
        if !seen.insert(grant.resource_id.as_str()) {
            errors.add(format!("{path}.resource_id"), "resource granted twice");
            continue;
        }
        let Some(resource) = resources
            .iter()
            .find(|resource| resource.id == grant.resource_id)
        else {
            errors.add(format!("{path}.resource_id"), "no such resource");
            continue;
        };
        let mut seen_scopes = HashSet::new();
        for (scope_index, scope) in grant.scopes.iter().enumerate() {
            let scope_path = format!("{path}.scopes[{scope_index}]");
            if !seen_scopes.insert(scope.as_str()) {
                errors.add(scope_path, "duplicate scope");
            } else if !resource.scopes.iter().any(|defined| &defined.name == scope) {
                errors.add(scope_path, "the resource defines no such scope");
            }
        }
    }
}

/// Checks the body of a new application.
pub fn check_new_application(
    body: &wire::CreateApplication,
    resources: &[ApiResource],
) -> Vec<FieldError> {
    let mut errors = FieldErrors::default();
    errors.check("name", check_display_name(&body.name));
    check_redirect_uris(
        &mut errors,
        "redirect_uris",
        &body.redirect_uris,
        body.app_type,
    );
    check_redirect_uris(
        &mut errors,
        "post_logout_redirect_uris",
        &body.post_logout_redirect_uris,
        body.app_type,
    );
    check_resource_grants(&mut errors, &body.resource_grants, resources);
    check_device_flow(&mut errors, body.device_flow, body.app_type);
    for (field, message) in check_refresh_token_lifetimes(
        body.refresh_token_absolute_ttl,
        body.refresh_token_idle_ttl,
        false,
    ) {
        errors.add(field, message);
    }
    if let Some(jwks) = &body.jwks {
        check_jwks(&mut errors, jwks, body.app_type);
    }
    errors.0
}

/// RFC 8628 is for devices that cannot show a browser: native applications only.
fn check_device_flow(errors: &mut FieldErrors, device_flow: bool, app_type: ApplicationType) {
    if device_flow && app_type != ApplicationType::Native {
        errors.add(
            "device_flow",
            "only native applications may use the device authorization grant",
        );
    }
}

/// Checks a JWK Set registered for `private_key_jwt`.
fn check_jwks(errors: &mut FieldErrors, jwks: &serde_json::Value, app_type: ApplicationType) {
    if !app_type.is_confidential() {
        errors.add(
            "jwks",
            "only confidential applications (web, m2m) authenticate with private_key_jwt",
        );
    } else if let Err(error) = normalized_jwks(jwks) {
        errors.0.push(error);
    }
}

/// The JWK Set as stored: parsed, normalized, as JSON text; or the field error.
fn normalized_jwks(jwks: &serde_json::Value) -> Result<String, FieldError> {
    normalize_client_jwks(jwks).map_err(|problem| FieldError {
        field: problem.field(),
        message: problem.message,
    })
}

/// Checks the refresh token lifetimes an update leaves on `app`.
fn check_updated_lifetimes(app: &Application, body: &wire::UpdateApplication) -> Vec<FieldError> {
    let stored = (app.refresh_token_absolute_ttl, app.refresh_token_idle_ttl);
    let changes = (body.refresh_token_absolute_ttl, body.refresh_token_idle_ttl);
    let mut errors = FieldErrors::default();
    for (field, message) in check_refresh_token_lifetime_update(stored, changes) {
        errors.add(field, message);
    }
    errors.0
}

/// Checks the provided fields of an application update.
pub fn check_application_update(
    app_type: ApplicationType,
    body: &wire::UpdateApplication,
    resources: &[ApiResource],
) -> Vec<FieldError> {
    let mut errors = FieldErrors::default();
    if let Some(name) = &body.name {
        errors.check("name", check_display_name(name));
    }
    if let Some(uris) = &body.redirect_uris {
        check_redirect_uris(&mut errors, "redirect_uris", uris, app_type);
    }
    if let Some(uris) = &body.post_logout_redirect_uris {
        check_redirect_uris(&mut errors, "post_logout_redirect_uris", uris, app_type);
    }
    if let Some(grants) = &body.resource_grants {
        check_resource_grants(&mut errors, grants, resources);
    }
    if let Some(Some(jwks)) = &body.jwks {
        check_jwks(&mut errors, jwks, app_type);
    }
    if let Some(device_flow) = body.device_flow {
        check_device_flow(&mut errors, device_flow, app_type);
    }
    errors.0
}

/// Checks the body of a new client secret at `now`.
pub fn check_new_client_secret(body: &wire::CreateClientSecret, now: i64) -> Vec<FieldError> {
    let mut errors = FieldErrors::default();
    if let Some(name) = &body.name {
        errors.check("name", check_display_name(name));
    }
    if body.expires_at.is_some_and(|expires_at| expires_at <= now) {
        errors.add("expires_at", "must be in the future");
    }
    errors.0
}

/// Turns list options into a store page request.
pub fn parse_list_options(options: ListOptions) -> Result<PageRequest, ManagementError> {
    let limit = options.limit.unwrap_or(DEFAULT_PAGE_LIMIT);
    if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
        return Err(validation(
            "limit",
            &format!("must be between 1 and {MAX_PAGE_LIMIT}"),
        ));
    }
    Ok(PageRequest {
        after: options.after,
        limit,
    })
}

/// The cursor of the next page: the last id when the page is full.
pub(crate) fn next_cursor<T>(
    items: &[T],
    page: &PageRequest,
    id: impl Fn(&T) -> &str,
) -> Option<String> {
    let full = u32::try_from(items.len()).is_ok_and(|len| len >= page.limit);
    items
        .last()
        .filter(|_| full)
        .map(|last| id(last).to_owned())
}

/// A new record id: a UUIDv7 in simple hex, so ids sort by creation time.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// A stored application as a wire body.
pub fn application_view(app: Application) -> wire::Application {
    let token_endpoint_auth_method = registered_auth_method(&app).to_owned();
    wire::Application {
        id: app.id,
        name: app.name,
        app_type: app.app_type,
        redirect_uris: app.redirect_uris,
        post_logout_redirect_uris: app.post_logout_redirect_uris,
        third_party: app.third_party,
        device_flow: app.device_flow,
        resource_grants: app.resource_grants,
        token_endpoint_auth_method,
        refresh_token_absolute_ttl: app.refresh_token_absolute_ttl,
        refresh_token_idle_ttl: app.refresh_token_idle_ttl,
        // Stored only after parsing; an unreadable set would fail every assertion anyway.
        jwks: app.jwks.and_then(|text| serde_json::from_str(&text).ok()),
        builtin: app.builtin,
        created_at: app.created_at,
        updated_at: app.updated_at,
    }
}

/// A stored client secret's metadata as a wire body (never the secret).
pub fn client_secret_view(secret: &ClientSecret) -> wire::ClientSecretInfo {
    wire::ClientSecretInfo {
        id: secret.id.clone(),
        name: secret.name.clone(),
        created_at: secret.created_at,
        expires_at: secret.expires_at,
    }
}

/// A fresh client secret for an application: the value to show once and the record to store.
fn generate_client_secret(
    application_id: &str,
    body: wire::CreateClientSecret,
    now: i64,
) -> (String, ClientSecret) {
    let value = format!("{CLIENT_SECRET_PREFIX}{}", random_token(32));
    let record = ClientSecret {
        id: new_id(),
        application_id: application_id.to_owned(),
        name: body.name,
        secret_hash: sha256(value.as_bytes()).to_vec(),
        created_at: now,
        expires_at: body.expires_at,
    };
    (value, record)
}

impl Engine {
    /// The resources named by grants that exist in the tenant (each looked up once).
    async fn granted_resources(
        &self,
        tenant: &TenantContext,
        grants: &[ResourceGrant],
    ) -> Result<Vec<ApiResource>, ManagementError> {
        let mut ids: Vec<&str> = grants
            .iter()
            .map(|grant| grant.resource_id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut found = Vec::new();
        for id in ids.into_iter().take(MAX_RESOURCE_GRANTS) {
            if let Some(resource) = self.store.find_resource(tenant.id(), id).await? {
                found.push(resource);
            }
        }
        Ok(found)
    }

    async fn find_application_record(
        &self,
        tenant: &TenantContext,
        id: &str,
    ) -> Result<Application, ManagementError> {
        self.store
            .find_application(tenant.id(), id)
            .await?
            .ok_or(ManagementError::NotFound("application"))
    }

    /// Registers an application; confidential types (web, m2m) also get their first secret.
    pub async fn create_application(
        &self,
        tenant: &TenantContext,
        body: wire::CreateApplication,
    ) -> Result<wire::CreatedApplication, ManagementError> {
        let resources = self
            .granted_resources(tenant, &body.resource_grants)
            .await?;
        FieldErrors(check_new_application(&body, &resources)).into_result()?;
        let jwks = body
            .jwks
            .as_ref()
            .map(normalized_jwks)
            .transpose()
            .map_err(|error| ManagementError::Validation(vec![error]))?;
        let now = self.now();
        let app = Application {
            id: new_id(),
            name: body.name,
            app_type: body.app_type,
            redirect_uris: body.redirect_uris,
            post_logout_redirect_uris: body.post_logout_redirect_uris,
            third_party: body.third_party,
            device_flow: body.device_flow,
            builtin: false,
            resource_grants: body.resource_grants,
            refresh_token_absolute_ttl: body.refresh_token_absolute_ttl,
            refresh_token_idle_ttl: body.refresh_token_idle_ttl,
            jwks,
            created_at: now,
            updated_at: now,
        };
        let inserted = self.store.insert_application(tenant.id(), &app).await;
        self.forget_clients();
        inserted?;
        // A client registered with keys authenticates with them: no secret unless asked for.
        let client_secret = if app.app_type.is_confidential() && app.jwks.is_none() {
            let (value, record) =
                generate_client_secret(&app.id, wire::CreateClientSecret::default(), now);
            let inserted = self.store.insert_client_secret(tenant.id(), &record).await;
            self.forget_clients();
            if let Err(error) = inserted {
                // Leave no confidential application without a secret behind.
                let cleanup = self.store.delete_application(tenant.id(), &app.id).await;
                self.forget_clients();
                if let Err(cleanup) = cleanup {
                    tracing::warn!(%cleanup, "could not remove an application whose secret failed");
                }
                return Err(error.into());
            }
            Some(value)
        } else {
            None
        };
        Ok(wire::CreatedApplication {
            application: application_view(app),
            client_secret,
        })
    }

    /// Finds one application.
    pub async fn get_application(
        &self,
        tenant: &TenantContext,
        id: &str,
    ) -> Result<wire::Application, ManagementError> {
        Ok(application_view(
            self.find_application_record(tenant, id).await?,
        ))
    }

    /// Lists applications by id.
    pub async fn list_applications(
        &self,
        tenant: &TenantContext,
        options: ListOptions,
    ) -> Result<wire::ApplicationList, ManagementError> {
        let page = parse_list_options(options)?;
        let apps = self.store.list_applications(tenant.id(), &page).await?;
        let next_cursor = next_cursor(&apps, &page, |app| &app.id);
        Ok(wire::ApplicationList {
            items: apps.into_iter().map(application_view).collect(),
            next_cursor,
        })
    }

    /// Changes the provided fields of an application.
    pub async fn update_application(
        &self,
        tenant: &TenantContext,
        id: &str,
        body: wire::UpdateApplication,
    ) -> Result<wire::Application, ManagementError> {
        let mut app = self.find_application_record(tenant, id).await?;
        let grants = body.resource_grants.as_deref().unwrap_or_default();
        let resources = self.granted_resources(tenant, grants).await?;
        let mut errors = check_application_update(app.app_type, &body, &resources);
        errors.extend(check_updated_lifetimes(&app, &body));
        FieldErrors(errors).into_result()?;
        let jwks = match &body.jwks {
            Some(Some(jwks)) => Some(Some(
                normalized_jwks(jwks).map_err(|error| ManagementError::Validation(vec![error]))?,
            )),
            Some(None) => Some(None),
            None => None,
        };
        let wire::UpdateApplication {
            name,
            redirect_uris,
            post_logout_redirect_uris,
            third_party,
            device_flow,
            resource_grants,
            refresh_token_absolute_ttl,
            refresh_token_idle_ttl,
            jwks: _,
        } = body;
        app.name = name.unwrap_or(app.name);
        app.redirect_uris = redirect_uris.unwrap_or(app.redirect_uris);
        app.post_logout_redirect_uris =
            post_logout_redirect_uris.unwrap_or(app.post_logout_redirect_uris);
        app.third_party = third_party.unwrap_or(app.third_party);
        app.device_flow = device_flow.unwrap_or(app.device_flow);
        app.resource_grants = resource_grants.unwrap_or(app.resource_grants);
        app.refresh_token_absolute_ttl =
            refresh_token_absolute_ttl.unwrap_or(app.refresh_token_absolute_ttl);
        app.refresh_token_idle_ttl = refresh_token_idle_ttl.unwrap_or(app.refresh_token_idle_ttl);
        app.jwks = jwks.unwrap_or(app.jwks);
        app.updated_at = self.now();
        let updated = self.store.update_application(tenant.id(), &app).await;
        self.forget_clients();
        updated?;
        Ok(application_view(app))
    }

    /// Deletes an application with its secrets; built-in applications stay.
    pub async fn delete_application(
        &self,
        tenant: &TenantContext,
        id: &str,
    ) -> Result<(), ManagementError> {
        let app = self.find_application_record(tenant, id).await?;
        if app.builtin {
            return Err(ManagementError::BuiltinReadonly("application"));
        }
        let deleted = self.store.delete_application(tenant.id(), id).await;
        self.forget_clients();
        deleted.map_err(|error| match error {
            StoreError::NotFound => ManagementError::NotFound("application"),
            other => other.into(),
        })
    }

    /// Adds a client secret to a confidential application; the value is shown only here.
    pub async fn create_client_secret(
        &self,
        tenant: &TenantContext,
        application_id: &str,
        body: wire::CreateClientSecret,
    ) -> Result<wire::CreatedClientSecret, ManagementError> {
        let app = self.find_application_record(tenant, application_id).await?;
        if !app.app_type.is_confidential() {
            return Err(validation(
                "type",
                "only confidential applications (web, m2m) have client secrets",
            ));
        }
        let now = self.now();
        FieldErrors(check_new_client_secret(&body, now)).into_result()?;
        let existing = self.store.list_client_secrets(tenant.id(), &app.id).await?;
        if existing.len() >= MAX_CLIENT_SECRETS {
            return Err(ManagementError::Conflict(format!(
                "an application holds at most {MAX_CLIENT_SECRETS} secrets; delete one first"
            )));
        }
        let (value, record) = generate_client_secret(&app.id, body, now);
        let inserted = self.store.insert_client_secret(tenant.id(), &record).await;
        self.forget_clients();
        inserted?;
        Ok(wire::CreatedClientSecret {
            info: client_secret_view(&record),
            client_secret: value,
        })
    }

    /// Lists an application's secrets (metadata only), oldest first.
    pub async fn list_client_secrets(
        &self,
        tenant: &TenantContext,
        application_id: &str,
    ) -> Result<wire::ClientSecretList, ManagementError> {
        let app = self.find_application_record(tenant, application_id).await?;
        let secrets = self.store.list_client_secrets(tenant.id(), &app.id).await?;
        Ok(wire::ClientSecretList {
            items: secrets.iter().map(client_secret_view).collect(),
        })
    }

    /// Deletes one client secret; it stops working at once.
    pub async fn delete_client_secret(
        &self,
        tenant: &TenantContext,
        application_id: &str,
        secret_id: &str,
    ) -> Result<(), ManagementError> {
        let app = self.find_application_record(tenant, application_id).await?;
        let deleted = self
            .store
            .delete_client_secret(tenant.id(), &app.id, secret_id)
            .await;
        self.forget_clients();
        deleted.map_err(|error| match error {
            StoreError::NotFound => ManagementError::NotFound("client secret"),
            other => other.into(),
        })
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use gatehouse_core::{
        MANAGEMENT_RESOURCE_ID, MANAGEMENT_SCOPE, MANAGEMENT_STORED_INDICATOR, ResourceScope,
    };

    fn resource(id: &str, scopes: &[&str]) -> ApiResource {
        ApiResource {
            id: id.to_owned(),
            name: id.to_owned(),
            indicator: format!("https://{id}.example"),
            access_token_ttl: 900,
            scopes: scopes
                .iter()
                .map(|name| ResourceScope {
                    name: (*name).to_owned(),
                    description: String::new(),
                })
                .collect(),
            builtin: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn known_resources() -> Vec<ApiResource> {
        let mut management = resource(MANAGEMENT_RESOURCE_ID, &[MANAGEMENT_SCOPE]);
        management.indicator = MANAGEMENT_STORED_INDICATOR.to_owned();
        management.builtin = true;
        vec![resource("orders", &["read", "write"]), management]
    }

    fn grant(resource_id: &str, scopes: &[&str]) -> ResourceGrant {
        ResourceGrant {
            resource_id: resource_id.to_owned(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn app(app_type: ApplicationType) -> wire::CreateApplication {
        wire::CreateApplication {
            name: "Shop".to_owned(),
            app_type,
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            third_party: false,
            device_flow: false,
            resource_grants: Vec::new(),
            refresh_token_absolute_ttl: None,
            refresh_token_idle_ttl: None,
            jwks: None,
        }
    }

    fn uris(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| (*value).to_owned()).collect()
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|error| error.field.as_str()).collect()
    }

    #[test]
    fn new_application_rules() {
        use ApplicationType::{M2m, Native, Spa, Web};
        let many: Vec<String> = (0..33)
            .map(|i| format!("https://app.example/cb{i}"))
            .collect();
        let cases: Vec<(&str, wire::CreateApplication, Vec<&str>)> = vec![
            ("minimal spa", app(Spa), vec![]),
            (
                "web with redirects",
                wire::CreateApplication {
                    redirect_uris: uris(&["https://a.example/cb"]),
                    ..app(Web)
                },
                vec![],
            ),
            (
                "native loopback",
                wire::CreateApplication {
                    redirect_uris: uris(&["http://127.0.0.1/cb"]),
                    ..app(Native)
                },
                vec![],
            ),
            (
                "empty name",
                wire::CreateApplication {
                    name: " ".to_owned(),
                    ..app(Spa)
                },
                vec!["name"],
            ),
            (
                "second uri bad",
                wire::CreateApplication {
                    redirect_uris: uris(&["https://a.example/cb", "http://a.example/cb"]),
                    ..app(Web)
                },
                vec!["redirect_uris[1]"],
            ),
            (
                "duplicate uri",
                wire::CreateApplication {
                    redirect_uris: uris(&["https://a.example/cb", "https://a.example/cb"]),
                    ..app(Web)
                },
                vec!["redirect_uris[1]"],
            ),
            (
                "too many uris",
                wire::CreateApplication {
                    redirect_uris: many,
                    ..app(Web)
                },
                vec!["redirect_uris"],
            ),
            (
                "bad post-logout uri",
                wire::CreateApplication {
                    post_logout_redirect_uris: uris(&["https://a.example/#x"]),
                    ..app(Spa)
                },
                vec!["post_logout_redirect_uris[0]"],
            ),
            (
                "m2m with redirects",
                wire::CreateApplication {
                    redirect_uris: uris(&["https://a.example/cb"]),
                    ..app(M2m)
                },
                vec!["redirect_uris"],
            ),
            (
                "grant on the management api",
                wire::CreateApplication {
                    resource_grants: vec![grant(MANAGEMENT_RESOURCE_ID, &[MANAGEMENT_SCOPE])],
                    ..app(M2m)
                },
                vec![],
            ),
            (
                "unknown resource",
                wire::CreateApplication {
                    resource_grants: vec![grant("nope", &[])],
                    ..app(M2m)
                },
                vec!["resource_grants[0].resource_id"],
            ),
            (
                "unknown and duplicate scopes",
                wire::CreateApplication {
                    resource_grants: vec![grant("orders", &["read", "delete", "read"])],
                    ..app(M2m)
                },
                vec![
                    "resource_grants[0].scopes[1]",
                    "resource_grants[0].scopes[2]",
                ],
            ),
            (
                "duplicate grant",
                wire::CreateApplication {
                    resource_grants: vec![grant("orders", &[]), grant("orders", &["read"])],
                    ..app(M2m)
                },
                vec!["resource_grants[1].resource_id"],
            ),
            (
                "every error at once",
                wire::CreateApplication {
                    name: String::new(),
                    redirect_uris: uris(&["ftp://a.example"]),
                    resource_grants: vec![grant("nope", &[])],
                    ..app(Web)
                },
                vec!["name", "redirect_uris[0]", "resource_grants[0].resource_id"],
            ),
        ];
        let resources = known_resources();
        for (name, body, expected) in cases {
            assert_eq!(
                fields(&check_new_application(&body, &resources)),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn application_update_checks_only_provided_fields() {
        let resources = known_resources();
        let cases: Vec<(&str, ApplicationType, wire::UpdateApplication, Vec<&str>)> = vec![
            (
                "empty patch",
                ApplicationType::M2m,
                wire::UpdateApplication::default(),
                vec![],
            ),
            (
                "m2m gets redirects",
                ApplicationType::M2m,
                wire::UpdateApplication {
                    redirect_uris: Some(uris(&["https://a.example/cb"])),
                    ..Default::default()
                },
                vec!["redirect_uris"],
            ),
            (
                "m2m clears redirects",
                ApplicationType::M2m,
                wire::UpdateApplication {
                    redirect_uris: Some(Vec::new()),
                    ..Default::default()
                },
                vec![],
            ),
            (
                "bad name",
                ApplicationType::Spa,
                wire::UpdateApplication {
                    name: Some("a\u{0}b".to_owned()),
                    ..Default::default()
                },
                vec!["name"],
            ),
            (
                "native private-use scheme",
                ApplicationType::Native,
                wire::UpdateApplication {
                    redirect_uris: Some(uris(&["com.example.app:/cb"])),
                    ..Default::default()
                },
                vec![],
            ),
            (
                "unknown scope",
                ApplicationType::Web,
                wire::UpdateApplication {
                    resource_grants: Some(vec![grant("orders", &["admin"])]),
                    ..Default::default()
                },
                vec!["resource_grants[0].scopes[0]"],
            ),
        ];
        for (name, app_type, body, expected) in cases {
            assert_eq!(
                fields(&check_application_update(app_type, &body, &resources)),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn refresh_token_lifetime_rules() {
        const DAY: u32 = 86_400;
        let body = |absolute, idle| wire::CreateApplication {
            refresh_token_absolute_ttl: absolute,
            refresh_token_idle_ttl: idle,
            ..app(ApplicationType::Web)
        };
        let cases: [(Option<u32>, Option<u32>, Vec<&str>); 11] = [
            (None, None, vec![]),
            (Some(3600), Some(600), vec![]),
            (Some(3600), Some(3600), vec![]),
            (Some(60), None, vec![]),
            (Some(366 * DAY), Some(366 * DAY), vec![]),
            (None, Some(30 * DAY), vec![]),
            (None, Some(30 * DAY + 1), vec!["refresh_token_idle_ttl"]),
            (Some(600), Some(601), vec!["refresh_token_idle_ttl"]),
            (Some(59), None, vec!["refresh_token_absolute_ttl"]),
            (
                Some(366 * DAY + 1),
                Some(0),
                vec!["refresh_token_absolute_ttl", "refresh_token_idle_ttl"],
            ),
            (None, Some(59), vec!["refresh_token_idle_ttl"]),
        ];
        for (absolute, idle, expected) in cases {
            assert_eq!(
                fields(&check_new_application(&body(absolute, idle), &[])),
                expected,
                "{absolute:?} {idle:?}"
            );
        }

        // An update is checked against what it leaves stored; the field it changed is blamed.
        let mut stored = Application {
            id: "a".to_owned(),
            name: "a".to_owned(),
            app_type: ApplicationType::Web,
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            third_party: false,
            device_flow: false,
            builtin: false,
            resource_grants: Vec::new(),
            refresh_token_absolute_ttl: Some(7200),
            refresh_token_idle_ttl: Some(3600),
            jwks: None,
            created_at: 0,
            updated_at: 0,
        };
        let patch = |absolute, idle| wire::UpdateApplication {
            refresh_token_absolute_ttl: absolute,
            refresh_token_idle_ttl: idle,
            ..Default::default()
        };
        type Change = Option<Option<u32>>;
        let cases: [(Change, Change, Vec<&str>); 7] = [
            (None, None, vec![]),
            (Some(Some(3600)), None, vec![]),
            (Some(Some(3599)), None, vec!["refresh_token_absolute_ttl"]),
            (None, Some(Some(7201)), vec!["refresh_token_idle_ttl"]),
            (Some(Some(600)), Some(Some(600)), vec![]),
            // Back to the defaults: 30 days absolute, 14 days idle.
            (Some(None), Some(None), vec![]),
            (Some(None), None, vec![]),
        ];
        for (absolute, idle, expected) in cases {
            assert_eq!(
                fields(&check_updated_lifetimes(&stored, &patch(absolute, idle))),
                expected,
                "{absolute:?} {idle:?}"
            );
        }
        stored.refresh_token_absolute_ttl = None;
        assert_eq!(
            fields(&check_updated_lifetimes(
                &stored,
                &patch(None, Some(Some(40 * DAY)))
            )),
            ["refresh_token_idle_ttl"],
            "idle beyond the default absolute lifetime"
        );
    }

    #[test]
    fn jwks_rules() {
        let key = gatehouse_crypto::generate_signing_key(gatehouse_core::SigningAlgorithm::Es256)
            .unwrap();
        let jwks = serde_json::json!({ "keys": [key.public_jwk] });
        let with = |app_type, jwks: serde_json::Value| wire::CreateApplication {
            jwks: Some(jwks),
            ..app(app_type)
        };
        for (app_type, body, expected) in [
            (ApplicationType::M2m, jwks.clone(), vec![]),
            (ApplicationType::Web, jwks.clone(), vec![]),
            (ApplicationType::Spa, jwks.clone(), vec!["jwks"]),
            (ApplicationType::Native, jwks.clone(), vec!["jwks"]),
            (ApplicationType::M2m, serde_json::json!(5), vec!["jwks"]),
            (
                ApplicationType::M2m,
                serde_json::json!({"keys": [{"kty": "oct", "kid": "k", "k": "AAAA"}]}),
                vec!["jwks.keys[0]"],
            ),
        ] {
            assert_eq!(
                fields(&check_new_application(&with(app_type, body.clone()), &[])),
                expected,
                "{app_type:?} {body}"
            );
        }
        let update = |jwks| wire::UpdateApplication {
            jwks: Some(jwks),
            ..Default::default()
        };
        let check = |app_type, body: &wire::UpdateApplication| {
            check_application_update(app_type, body, &[])
        };
        assert!(check(ApplicationType::Web, &update(Some(jwks.clone()))).is_empty());
        assert!(
            check(ApplicationType::Web, &update(None)).is_empty(),
            "removal"
        );
        assert_eq!(
            fields(&check(ApplicationType::Spa, &update(Some(jwks)))),
            ["jwks"]
        );
        assert_eq!(
            normalized_jwks(&serde_json::json!({ "keys": [key.public_jwk] })).unwrap(),
            serde_json::to_string(&gatehouse_types::oauth::Jwks {
                keys: vec![key.public_jwk.clone()]
            })
            .unwrap()
        );
    }

    #[test]
    fn client_secret_rules() {
        let now = 1_000;
        let cases = [
            (None, None, vec![]),
            (Some("ci"), Some(now + 1), vec![]),
            (None, Some(now), vec!["expires_at"]),
            (None, Some(now - 1), vec!["expires_at"]),
            (Some(""), None, vec!["name"]),
        ];
        for (name, expires_at, expected) in cases {
            let body = wire::CreateClientSecret {
                name: name.map(str::to_owned),
                expires_at,
            };
            assert_eq!(
                fields(&check_new_client_secret(&body, now)),
                expected,
                "{name:?} {expires_at:?}"
            );
        }
    }

    #[test]
    fn list_options_and_cursors() {
        let page = parse_list_options(ListOptions::default()).unwrap();
        assert_eq!(
            page,
            PageRequest {
                after: None,
                limit: DEFAULT_PAGE_LIMIT
            }
        );
        for limit in [0, MAX_PAGE_LIMIT + 1] {
            let error = parse_list_options(ListOptions {
                after: None,
                limit: Some(limit),
            })
            .unwrap_err();
            assert!(
                matches!(error, ManagementError::Validation(ref e) if e[0].field == "limit"),
                "{limit}"
            );
        }
        let page = parse_list_options(ListOptions {
            after: Some("a".to_owned()),
            limit: Some(2),
        })
        .unwrap();
        let ids = |items: &[&str]| next_cursor(items, &page, |item| item);
        assert_eq!(ids(&["b", "c"]), Some("c".to_owned()));
        assert_eq!(ids(&["b"]), None);
        assert_eq!(ids(&[]), None);
    }

    #[test]
    fn client_secrets_are_prefixed_and_stored_hashed() {
        let (value, record) = generate_client_secret("app", wire::CreateClientSecret::default(), 5);
        assert!(value.starts_with(CLIENT_SECRET_PREFIX));
        assert!(value.len() > CLIENT_SECRET_PREFIX.len() + 40);
        assert_eq!(record.secret_hash, sha256(value.as_bytes()).to_vec());
        assert_eq!(record.application_id, "app");
        assert_eq!(record.id.len(), 32);
        let (other, _) = generate_client_secret("app", wire::CreateClientSecret::default(), 5);
        assert_ne!(value, other);
    }

    #[test]
    fn store_errors_map_to_management_errors() {
        let cases = [
            (StoreError::NotFound, ManagementError::NotFound("record")),
            (
                StoreError::Conflict("x".into()),
                ManagementError::Conflict("x".into()),
            ),
            (
                StoreError::Unavailable("x".into()),
                ManagementError::Unavailable("x".into()),
            ),
            (
                StoreError::Other("x".into()),
                ManagementError::Internal("x".into()),
            ),
        ];
        for (store, expected) in cases {
            assert_eq!(ManagementError::from(store), expected);
        }
    }
}
