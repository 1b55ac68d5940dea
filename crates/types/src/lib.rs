//! Wire types shared by the Gatehouse server, the CLI and the tests: OAuth and OpenID Connect
//! request/response bodies, discovery, JWKS and Management API bodies. Serde only (plus
//! OpenAPI schemas behind the `openapi` feature), no behaviour.
#![warn(missing_docs)]

pub mod account;
pub mod management;
pub mod oauth;
pub mod problem;
