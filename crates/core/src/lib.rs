//! The Gatehouse domain: tenants, applications, API resources, signing keys and the
//! validation rules on them. No I/O: the store crates persist these records and the
//! protocol engine reasons about them.
#![warn(missing_docs)]

pub mod device;
pub mod grant;
pub mod interaction;
pub mod model;
pub mod pat;
pub mod profile;
pub mod throttle;
pub mod user;
pub mod validate;

pub use device::{DeviceApproval, DeviceAuthorization, DevicePoll, DeviceStatus};
pub use grant::{
    AuthorizationCode, CodeConsumption, RefreshToken, RotateOutcome, Session, join_resources,
    split_resources,
};
pub use interaction::{Consent, Interaction};
pub use model::*;
pub use pat::PersonalAccessToken;
