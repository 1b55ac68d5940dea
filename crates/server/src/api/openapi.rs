//! The Management API's OpenAPI 3.1 document, generated from the handlers' annotations and
//! the wire types, served without authentication at `/api/openapi.json`. Paths are given for
//! the root tenant; other tenants serve the same API below `/t/<name>`. `servers` is left out
//! so clients resolve paths against the URL they fetched the document from.

use super::{applications, resources, users};
use crate::error::json_no_store;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Where the document is served, relative to `/api`.
pub const PATH: &str = "/openapi.json";

/// Name of the bearer security scheme every operation requires.
pub const BEARER_SCHEME: &str = "bearer";

/// The Management API document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse Management API",
        description = "Manage applications, client secrets, API resources and users of a Gatehouse tenant. \
            Every operation takes a bearer JWT whose audience is `<issuer>/api` and whose scope holds `all`. \
            Errors are RFC 9457 problem+json with a stable `code`."
    ),
    paths(
        applications::create,
        applications::list,
        applications::get,
        applications::update,
        applications::delete,
        applications::create_secret,
        applications::list_secrets,
        applications::delete_secret,
        resources::create,
        resources::list,
        resources::get,
        resources::update,
        resources::delete,
        users::create,
        users::list,
        users::get,
        users::update,
        users::delete,
        users::create_token,
        users::list_tokens,
        users::revoke_token,
    ),
    components(schemas(gatehouse_types::problem::Problem, gatehouse_types::problem::FieldError)),
    modifiers(&BearerSecurity),
    tags(
        (name = "applications", description = "Applications (OAuth clients) and their client secrets"),
        (name = "resources", description = "API resources (RFC 8707) and their scopes"),
        (name = "users", description = "Users: canonical usernames and emails, argon2id passwords"),
    )
)]
pub struct ManagementApiDoc;

/// Adds the HTTP bearer (JWT) security scheme the operations refer to.
struct BearerSecurity;

impl Modify for BearerSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "An access token for the resource `<issuer>/api` with scope `all`",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(BEARER_SCHEME, SecurityScheme::Http(scheme));
    }
}

/// `GET /api/openapi.json`.
pub async fn serve() -> Response {
    json_no_store(StatusCode::OK, &ManagementApiDoc::openapi())
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
    use serde_json::Value;

    fn document() -> Value {
        serde_json::to_value(ManagementApiDoc::openapi()).unwrap()
    }

    fn collect_refs(value: &Value, refs: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    refs.push(target.clone());
                }
                map.values().for_each(|v| collect_refs(v, refs));
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
            _ => {}
        }
    }

    /// Every schema the document refers to is defined in it (a client generator would fail).
    #[test]
    fn every_schema_reference_resolves() {
        let doc = document();
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(
            refs.iter().any(|r| r.ends_with("/ClientSecretList")),
            "{refs:?}"
        );
        for target in refs {
            let name = target
                .strip_prefix("#/components/schemas/")
                .expect("a schema reference");
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{target} is not defined"
            );
        }
    }

    /// Every (method, path) the router serves is documented, and nothing else is.
    #[test]
    fn documents_exactly_the_routes_served() {
        let doc = document();
        let paths = doc["paths"].as_object().unwrap();
        let mut documented: Vec<(String, String)> = paths
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .map(move |method| (method.to_uppercase(), path.clone()))
            })
            .filter(|(method, _)| {
                ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str())
            })
            .collect();
        let mut served: Vec<(String, String)> = crate::api::routes()
            .iter()
            .map(|route| {
                (
                    route.method.as_str().to_owned(),
                    format!("/api{}", route.path),
                )
            })
            .collect();
        documented.sort();
        served.sort();
        assert_eq!(documented, served);
    }

    #[test]
    fn every_operation_requires_the_bearer_scheme_and_documents_errors() {
        let doc = document();
        let scheme = &doc["components"]["securitySchemes"][BEARER_SCHEME];
        assert_eq!(scheme["type"], "http");
        assert_eq!(scheme["scheme"], "bearer");
        assert_eq!(scheme["bearerFormat"], "JWT");
        assert!(doc.get("servers").is_none());
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let at = format!("{method} {path}");
                assert_eq!(
                    operation["security"][0][BEARER_SCHEME],
                    serde_json::json!([]),
                    "{at}"
                );
                let responses = operation["responses"].as_object().unwrap();
                assert!(
                    responses.keys().any(|status| status.starts_with('2')),
                    "{at}"
                );
                assert!(responses.contains_key("401"), "{at}");
                let problem =
                    &responses["401"]["content"]["application/problem+json"]["schema"]["$ref"];
                assert_eq!(problem, "#/components/schemas/Problem", "{at}");
                if path.contains("{id}") {
                    assert!(responses.contains_key("404"), "{at}");
                }
                if ["post", "patch"].contains(&method.as_str()) {
                    for status in ["400", "415", "422"] {
                        assert!(responses.contains_key(status), "{at} {status}");
                    }
                    assert!(
                        operation["requestBody"]["content"]["application/json"].is_object(),
                        "{at}"
                    );
                }
            }
        }
        for schema in [
            "CreateApplication",
            "CreatedApplication",
            "ApiResource",
            "Problem",
            "FieldError",
            "User",
            "CreateUser",
            "UpdateUser",
            "UserList",
            "Address",
        ] {
            assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
        }
    }

    /// The user bodies describe the standard claims, and PATCH says `null` clears them.
    #[test]
    fn user_schemas_describe_the_standard_claims() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let claims = [
            "phone_number",
            "given_name",
            "family_name",
            "middle_name",
            "nickname",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "address",
        ];
        for schema in ["User", "CreateUser", "UpdateUser"] {
            let properties = &schemas[schema]["properties"];
            for claim in claims.iter().chain(&["phone_number_verified"]) {
                assert!(properties[claim].is_object(), "{schema}.{claim}");
            }
            let address = serde_json::to_string(&properties["address"]).unwrap();
            assert!(
                address.contains("#/components/schemas/Address"),
                "{schema}.address: {address}"
            );
        }
        for claim in claims {
            let property =
                serde_json::to_string(&schemas["UpdateUser"]["properties"][claim]).unwrap();
            assert!(
                property.contains("null"),
                "UpdateUser.{claim} is not nullable: {property}"
            );
        }
        let address = &schemas["Address"]["properties"];
        for member in [
            "formatted",
            "street_address",
            "locality",
            "region",
            "postal_code",
            "country",
        ] {
            assert!(address[member].is_object(), "Address.{member}");
        }
    }
}
