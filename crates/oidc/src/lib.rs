//! The Gatehouse protocol engine. Every endpoint runs as parse -> authenticate -> handle and
//! returns a typed outcome; the engine knows nothing of HTTP or SQL. It reads and writes
//! through the store traits, takes time from a [`Clock`] and signs with the tenant's keys
//! held by the [`KeyManager`].
#![warn(missing_docs)]

pub mod access_token;
pub mod account;
pub mod admins;
pub mod authorize;
mod cache;
pub mod client_auth;
mod client_cache;
pub mod clock;
pub mod device;
pub mod discovery;
pub mod end_session;
pub mod engine;
pub mod error;
pub mod id_token;
pub mod interaction;
pub mod introspection;
pub mod keys;
pub mod management;
pub mod params;
pub mod pat;
pub mod provision;
mod resource_indicators;
pub mod resources;
pub mod revocation;
pub mod throttle;
pub mod token;
mod user_profile;
pub mod userinfo;
pub mod users;

pub use clock::{Clock, FixedClock, SystemClock};
pub use engine::{Engine, EngineConfig, TenantContext};
pub use error::{ErrorCode, OAuthError};
