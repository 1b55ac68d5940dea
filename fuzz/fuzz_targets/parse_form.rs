//! Token, introspection and revocation bodies: parsing never panics, and whatever it accepts
//! has no duplicated, empty or control-character parameters.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(params) = gatehouse_oidc::params::parse_form(data) {
        for name in ["grant_type", "resource", "scope", "client_id", "client_secret", "token"] {
            if let Some(value) = params.get(name) {
                assert!(!value.is_empty());
                assert!(!value.chars().any(char::is_control));
            }
        }
        let _ = gatehouse_oidc::params::split_scope(params.get("scope"));
    }
});
