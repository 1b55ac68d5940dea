//! Client credentials from an Authorization header and a body: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (header, body) = data.split_at(split);
    let Ok(header) = std::str::from_utf8(header) else { return };
    let params = gatehouse_oidc::params::parse_form(body).unwrap_or_default();
    let header = (!header.is_empty()).then_some(header);
    let _ = gatehouse_oidc::client_auth::parse_client_credentials(header, &params);
});
