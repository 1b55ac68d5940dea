//! Registration rules for redirect URIs, resource indicators and scope names: never panic, and
//! an accepted redirect URI never carries a fragment, wildcard or user information.
#![no_main]

use gatehouse_core::validate::{check_redirect_uri, check_resource_indicator, check_scope_name};
use gatehouse_types::management::ApplicationType;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for kind in [ApplicationType::Web, ApplicationType::Native, ApplicationType::Spa] {
        if check_redirect_uri(text, kind).is_ok() {
            assert!(!text.contains('#') && !text.contains('*') && !text.contains('@'));
        }
    }
    let _ = check_resource_indicator(text);
    let _ = check_scope_name(text);
});
