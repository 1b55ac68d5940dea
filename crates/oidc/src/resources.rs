//! API resources: the protected APIs that applications are granted scopes on. This module owns
//! their registration, reading, listing, change and deletion for the Management API and
//! `gatehouse admin`, the checks on a resource's indicator, access token lifetime and scopes,
//! and the wire view that shows the built-in Management API resource under the tenant's own
//! indicator. Built-in resources cannot be changed or deleted, and every change drops the
//! engine's cached copy so the next token sees it.

use crate::management::{
    FieldErrors, ListOptions, ManagementError, new_id, next_cursor, parse_list_options,
};
use crate::{Engine, TenantContext};
use gatehouse_core::validate::{check_display_name, check_resource_indicator, check_scope_name};
use gatehouse_core::{ApiResource, ResourceScope};
use gatehouse_store::StoreError;
use gatehouse_types::management as wire;
use gatehouse_types::problem::FieldError;
use std::collections::HashSet;

/// Most scopes of one API resource.
pub const MAX_RESOURCE_SCOPES: usize = 100;
/// Longest scope description, in characters.
pub const MAX_SCOPE_DESCRIPTION: usize = 512;
/// Access token lifetime of a new resource when none is given (seconds).
pub const DEFAULT_ACCESS_TOKEN_TTL: u32 = 900;
/// Allowed access token lifetimes of a resource (seconds).
pub const ACCESS_TOKEN_TTL_RANGE: std::ops::RangeInclusive<u32> = 60..=86_400;

fn check_access_token_ttl(errors: &mut FieldErrors, ttl: u32) {
    if !ACCESS_TOKEN_TTL_RANGE.contains(&ttl) {
        let (low, high) = (ACCESS_TOKEN_TTL_RANGE.start(), ACCESS_TOKEN_TTL_RANGE.end());
        errors.add(
            "access_token_ttl",
            format!("must be between {low} and {high} seconds"),
        );
    }
}

fn check_resource_scopes(errors: &mut FieldErrors, scopes: &[ResourceScope]) {
    if scopes.len() > MAX_RESOURCE_SCOPES {
        errors.add("scopes", format!("at most {MAX_RESOURCE_SCOPES} scopes"));
    }
    let mut seen = HashSet::new();
    for (index, scope) in scopes.iter().enumerate() {
        let path = format!("scopes[{index}]");
        if !seen.insert(scope.name.as_str()) {
            errors.add(format!("{path}.name"), "duplicate scope");
        } else {
            errors.check(format!("{path}.name"), check_scope_name(&scope.name));
        }
        if scope.description.chars().count() > MAX_SCOPE_DESCRIPTION {
            errors.add(
                format!("{path}.description"),
                format!("at most {MAX_SCOPE_DESCRIPTION} characters"),
            );
        }
    }
}

/// Checks the body of a new API resource; `management_indicator` is the tenant's own.
pub fn check_new_resource(
    body: &wire::CreateApiResource,
    management_indicator: &str,
) -> Vec<FieldError> {
    let mut errors = FieldErrors::default();
    errors.check("name", check_display_name(&body.name));
    errors.check("indicator", check_resource_indicator(&body.indicator));
    if body.indicator == management_indicator {
        errors.add("indicator", "is the Management API's indicator");
    }
    check_access_token_ttl(
        &mut errors,
        body.access_token_ttl.unwrap_or(DEFAULT_ACCESS_TOKEN_TTL),
    );
    check_resource_scopes(&mut errors, &body.scopes);
    errors.0
}

/// Checks the provided fields of an API resource update.
pub fn check_resource_update(body: &wire::UpdateApiResource) -> Vec<FieldError> {
    let mut errors = FieldErrors::default();
    if let Some(name) = &body.name {
        errors.check("name", check_display_name(name));
    }
    if let Some(ttl) = body.access_token_ttl {
        check_access_token_ttl(&mut errors, ttl);
    }
    if let Some(scopes) = &body.scopes {
        check_resource_scopes(&mut errors, scopes);
    }
    errors.0
}

impl Engine {
    /// A stored API resource as a wire body, with its public indicator.
    pub fn resource_view(
        &self,
        tenant: &TenantContext,
        resource: ApiResource,
    ) -> wire::ApiResource {
        let indicator = self.public_indicator(tenant, &resource);
        wire::ApiResource {
            id: resource.id,
            name: resource.name,
            indicator,
            access_token_ttl: resource.access_token_ttl,
            scopes: resource.scopes,
            builtin: resource.builtin,
            created_at: resource.created_at,
            updated_at: resource.updated_at,
        }
    }

    async fn find_resource_record(
        &self,
        tenant: &TenantContext,
        id: &str,
    ) -> Result<ApiResource, ManagementError> {
        self.store
            .find_resource(tenant.id(), id)
            .await?
            .ok_or(ManagementError::NotFound("resource"))
    }

    /// Registers an API resource.
    pub async fn create_resource(
        &self,
        tenant: &TenantContext,
        body: wire::CreateApiResource,
    ) -> Result<wire::ApiResource, ManagementError> {
        FieldErrors(check_new_resource(&body, &tenant.management_indicator())).into_result()?;
        let now = self.now();
        let resource = ApiResource {
            id: new_id(),
            name: body.name,
            indicator: body.indicator,
            access_token_ttl: body.access_token_ttl.unwrap_or(DEFAULT_ACCESS_TOKEN_TTL),
            scopes: body.scopes,
            builtin: false,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_resource(tenant.id(), &resource).await?;
        self.forget_resource(tenant, &resource.indicator);
        Ok(self.resource_view(tenant, resource))
    }

    /// Finds one API resource.
    pub async fn get_resource(
        &self,
        tenant: &TenantContext,
        id: &str,
    ) -> Result<wire::ApiResource, ManagementError> {
        let resource = self.find_resource_record(tenant, id).await?;
        Ok(self.resource_view(tenant, resource))
    }

    /// Lists API resources by id.
    pub async fn list_resources(
        &self,
        tenant: &TenantContext,
        options: ListOptions,
    ) -> Result<wire::ApiResourceList, ManagementError> {
        let page = parse_list_options(options)?;
        let resources = self.store.list_resources(tenant.id(), &page).await?;
        let next_cursor = next_cursor(&resources, &page, |resource| &resource.id);
        let items = resources
            .into_iter()
            .map(|resource| self.resource_view(tenant, resource))
            .collect();
        Ok(wire::ApiResourceList { items, next_cursor })
    }

    /// Changes the provided fields of an API resource; built-in resources stay as they are.
    pub async fn update_resource(
        &self,
        tenant: &TenantContext,
        id: &str,
        body: wire::UpdateApiResource,
    ) -> Result<wire::ApiResource, ManagementError> {
        let mut resource = self.find_resource_record(tenant, id).await?;
        if resource.builtin {
            return Err(ManagementError::BuiltinReadonly("resource"));
        }
        FieldErrors(check_resource_update(&body)).into_result()?;
        let wire::UpdateApiResource {
            name,
            access_token_ttl,
            scopes,
        } = body;
        resource.name = name.unwrap_or(resource.name);
        resource.access_token_ttl = access_token_ttl.unwrap_or(resource.access_token_ttl);
        resource.scopes = scopes.unwrap_or(resource.scopes);
        resource.updated_at = self.now();
        let updated = self.store.update_resource(tenant.id(), &resource).await;
        self.forget_resource(tenant, &resource.indicator);
        // Grants of scopes the resource no longer defines may have gone with them.
        self.forget_clients();
        updated?;
        Ok(self.resource_view(tenant, resource))
    }

    /// Deletes an API resource and every application grant on it; built-in resources stay.
    pub async fn delete_resource(
        &self,
        tenant: &TenantContext,
        id: &str,
    ) -> Result<(), ManagementError> {
        let resource = self.find_resource_record(tenant, id).await?;
        if resource.builtin {
            return Err(ManagementError::BuiltinReadonly("resource"));
        }
        let deleted = self.store.delete_resource(tenant.id(), id).await;
        self.forget_resource(tenant, &resource.indicator);
        // The grants on it went too.
        self.forget_clients();
        deleted.map_err(|error| match error {
            StoreError::NotFound => ManagementError::NotFound("resource"),
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
    use gatehouse_core::MANAGEMENT_STORED_INDICATOR;

    const MANAGEMENT: &str = "https://id.example/api";

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|error| error.field.as_str()).collect()
    }

    fn new_resource(indicator: &str) -> wire::CreateApiResource {
        wire::CreateApiResource {
            name: "Orders".to_owned(),
            indicator: indicator.to_owned(),
            access_token_ttl: None,
            scopes: Vec::new(),
        }
    }

    fn scopes(names: &[&str]) -> Vec<ResourceScope> {
        names
            .iter()
            .map(|name| ResourceScope {
                name: (*name).to_owned(),
                description: String::new(),
            })
            .collect()
    }

    #[test]
    fn new_resource_rules() {
        let too_many: Vec<String> = (0..101).map(|i| format!("s{i}")).collect();
        let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
        let cases: Vec<(&str, wire::CreateApiResource, Vec<&str>)> = vec![
            ("minimal", new_resource("https://orders.example"), vec![]),
            (
                "urn is not hierarchical",
                new_resource("urn:orders"),
                vec!["indicator"],
            ),
            (
                "fragment",
                new_resource("https://orders.example/#x"),
                vec!["indicator"],
            ),
            (
                "management indicator",
                new_resource(MANAGEMENT),
                vec!["indicator"],
            ),
            (
                "stored management indicator",
                new_resource(MANAGEMENT_STORED_INDICATOR),
                vec!["indicator"],
            ),
            (
                "ttl too short",
                wire::CreateApiResource {
                    access_token_ttl: Some(59),
                    ..new_resource("https://o.example")
                },
                vec!["access_token_ttl"],
            ),
            (
                "ttl too long",
                wire::CreateApiResource {
                    access_token_ttl: Some(86_401),
                    ..new_resource("https://o.example")
                },
                vec!["access_token_ttl"],
            ),
            (
                "ttl bounds",
                wire::CreateApiResource {
                    access_token_ttl: Some(60),
                    ..new_resource("https://o.example")
                },
                vec![],
            ),
            (
                "bad and duplicate scopes",
                wire::CreateApiResource {
                    scopes: scopes(&["read", "a b", "read"]),
                    ..new_resource("https://o.example")
                },
                vec!["scopes[1].name", "scopes[2].name"],
            ),
            (
                "too many scopes",
                wire::CreateApiResource {
                    scopes: scopes(&too_many),
                    ..new_resource("https://o.example")
                },
                vec!["scopes"],
            ),
        ];
        for (name, body, expected) in cases {
            assert_eq!(
                fields(&check_new_resource(&body, MANAGEMENT)),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn resource_update_rules() {
        let long = "x".repeat(MAX_SCOPE_DESCRIPTION + 1);
        let cases: Vec<(wire::UpdateApiResource, Vec<&str>)> = vec![
            (wire::UpdateApiResource::default(), vec![]),
            (
                wire::UpdateApiResource {
                    access_token_ttl: Some(86_400),
                    ..Default::default()
                },
                vec![],
            ),
            (
                wire::UpdateApiResource {
                    access_token_ttl: Some(0),
                    ..Default::default()
                },
                vec!["access_token_ttl"],
            ),
            (
                wire::UpdateApiResource {
                    name: Some(String::new()),
                    ..Default::default()
                },
                vec!["name"],
            ),
            (
                wire::UpdateApiResource {
                    scopes: Some(vec![ResourceScope {
                        name: "read".to_owned(),
                        description: long,
                    }]),
                    ..Default::default()
                },
                vec!["scopes[0].description"],
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(fields(&check_resource_update(&body)), expected, "{body:?}");
        }
    }
}
