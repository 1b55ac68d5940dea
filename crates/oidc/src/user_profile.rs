//! The standard claims of a user beyond its identifiers (OIDC Core §5.1) as the Management API
//! sets them: phone number, the `profile` scope's names, URLs, birthdate, time zone and locale,
//! and the postal address. Values are checked and canonicalized by the rules of
//! [`gatehouse_core::profile`]; each refusal names its field (`address.postal_code` for an
//! address member). On a change, a field left out keeps its value and `null` removes it; a new
//! phone number is unverified unless the caller says otherwise, as a new email address is.

use crate::management::FieldErrors;
use gatehouse_core::profile::{
    Address, Profile, canonical_address, canonical_birthdate, canonical_claim_url,
    canonical_locale, canonical_phone_number, canonical_zoneinfo,
};
use gatehouse_core::user::{User, canonical_display_name};
use gatehouse_types::management as wire;

/// A rule turning input into its stored form, or a message.
type Canonical = fn(&str) -> Result<String, String>;

/// The claims of a user this module sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ProfileClaims {
    pub(crate) phone_number: Option<String>,
    pub(crate) phone_number_verified: bool,
    pub(crate) profile: Profile,
    pub(crate) address: Option<Address>,
}

impl ProfileClaims {
    /// The claims a stored user has.
    pub(crate) fn of(user: &User) -> Self {
        Self {
            phone_number: user.phone_number.clone(),
            phone_number_verified: user.phone_number_verified,
            profile: user.profile.clone(),
            address: user.address.clone(),
        }
    }

    /// Writes the claims into `user`.
    pub(crate) fn apply_to(self, user: &mut User) {
        user.phone_number = self.phone_number;
        user.phone_number_verified = self.phone_number_verified;
        user.profile = self.profile;
        user.address = self.address;
    }
}

/// Canonicalizes an optional value, recording a refusal under `field`.
fn parse(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    canonical: Canonical,
) -> Option<String> {
    match canonical(value?) {
        Ok(value) => Some(value),
        Err(message) => {
            errors.add(field, message);
            None
        }
    }
}

/// Applies one PATCH field to `target`: absent keeps it, `null` removes it, a value replaces
/// it once canonicalized (a refusal is recorded under `field` and leaves `target` alone).
fn change(
    errors: &mut FieldErrors,
    field: &str,
    change: &Option<Option<String>>,
    canonical: Canonical,
    target: &mut Option<String>,
) {
    match change {
        None => {}
        Some(None) => *target = None,
        Some(Some(value)) => {
            if let Some(value) = parse(errors, field, Some(value), canonical) {
                *target = Some(value);
            }
        }
    }
}

/// The stored form of an address from a body; `None` when it has no member.
fn parse_address(errors: &mut FieldErrors, address: &wire::Address) -> Option<Address> {
    let raw = Address {
        formatted: address.formatted.clone(),
        street_address: address.street_address.clone(),
        locality: address.locality.clone(),
        region: address.region.clone(),
        postal_code: address.postal_code.clone(),
        country: address.country.clone(),
    };
    match canonical_address(&raw) {
        Ok(address) => address,
        Err(refusals) => {
            for (member, message) in refusals {
                errors.add(format!("address.{member}"), message);
            }
            None
        }
    }
}

/// A stored address as a wire body.
pub(crate) fn address_view(address: Address) -> wire::Address {
    wire::Address {
        formatted: address.formatted,
        street_address: address.street_address,
        locality: address.locality,
        region: address.region,
        postal_code: address.postal_code,
        country: address.country,
    }
}

/// Records that a verified phone number needs a phone number.
fn check_phone_verified(errors: &mut FieldErrors, verified: bool, phone_number: Option<&str>) {
    if verified && phone_number.is_none() {
        errors.add("phone_number_verified", "needs a phone_number");
    }
}

/// The claims of a new user, checked.
pub(crate) fn parse_new_claims(errors: &mut FieldErrors, body: &wire::CreateUser) -> ProfileClaims {
    let mut text = |field: &str, value: &Option<String>, canonical: Canonical| {
        parse(errors, field, value.as_deref(), canonical)
    };
    let phone_number = text("phone_number", &body.phone_number, canonical_phone_number);
    let profile = Profile {
        given_name: text("given_name", &body.given_name, canonical_display_name),
        family_name: text("family_name", &body.family_name, canonical_display_name),
        middle_name: text("middle_name", &body.middle_name, canonical_display_name),
        nickname: text("nickname", &body.nickname, canonical_display_name),
        profile: text("profile", &body.profile, canonical_claim_url),
        picture: text("picture", &body.picture, canonical_claim_url),
        website: text("website", &body.website, canonical_claim_url),
        gender: text("gender", &body.gender, canonical_display_name),
        birthdate: text("birthdate", &body.birthdate, canonical_birthdate),
        zoneinfo: text("zoneinfo", &body.zoneinfo, canonical_zoneinfo),
        locale: text("locale", &body.locale, canonical_locale),
    };
    let phone_number_verified = body.phone_number_verified.unwrap_or(false);
    if body.phone_number.is_none() {
        check_phone_verified(errors, phone_number_verified, None);
    }
    let address = body
        .address
        .as_ref()
        .and_then(|address| parse_address(errors, address));
    ProfileClaims {
        phone_number,
        phone_number_verified,
        profile,
        address,
    }
}

/// The claims of a user after a change, checked.
pub(crate) fn parse_claim_changes(
    errors: &mut FieldErrors,
    body: &wire::UpdateUser,
    current: ProfileClaims,
) -> ProfileClaims {
    let mut claims = current.clone();
    let mut set = |field: &str, value: &Option<Option<String>>, canonical, target| {
        change(errors, field, value, canonical, target);
    };
    let profile = &mut claims.profile;
    set(
        "given_name",
        &body.given_name,
        canonical_display_name,
        &mut profile.given_name,
    );
    set(
        "family_name",
        &body.family_name,
        canonical_display_name,
        &mut profile.family_name,
    );
    set(
        "middle_name",
        &body.middle_name,
        canonical_display_name,
        &mut profile.middle_name,
    );
    set(
        "nickname",
        &body.nickname,
        canonical_display_name,
        &mut profile.nickname,
    );
    set(
        "profile",
        &body.profile,
        canonical_claim_url,
        &mut profile.profile,
    );
    set(
        "picture",
        &body.picture,
        canonical_claim_url,
        &mut profile.picture,
    );
    set(
        "website",
        &body.website,
        canonical_claim_url,
        &mut profile.website,
    );
    set(
        "gender",
        &body.gender,
        canonical_display_name,
        &mut profile.gender,
    );
    set(
        "birthdate",
        &body.birthdate,
        canonical_birthdate,
        &mut profile.birthdate,
    );
    set(
        "zoneinfo",
        &body.zoneinfo,
        canonical_zoneinfo,
        &mut profile.zoneinfo,
    );
    set(
        "locale",
        &body.locale,
        canonical_locale,
        &mut profile.locale,
    );
    set(
        "phone_number",
        &body.phone_number,
        canonical_phone_number,
        &mut claims.phone_number,
    );
    if claims.phone_number != current.phone_number {
        // A new number is unproven unless the caller says otherwise.
        claims.phone_number_verified = false;
    }
    if let Some(verified) = body.phone_number_verified {
        claims.phone_number_verified = verified;
        if !matches!(body.phone_number, Some(Some(_))) {
            check_phone_verified(errors, verified, claims.phone_number.as_deref());
        }
    }
    match &body.address {
        None => {}
        Some(None) => claims.address = None,
        Some(Some(address)) => claims.address = parse_address(errors, address),
    }
    claims
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

    fn fields(errors: FieldErrors) -> Vec<String> {
        errors.0.into_iter().map(|error| error.field).collect()
    }

    fn full_body() -> wire::CreateUser {
        wire::CreateUser {
            username: Some("ada".into()),
            phone_number: Some("+44 (20) 7946-0958".into()),
            phone_number_verified: Some(true),
            given_name: Some(" Ada ".into()),
            family_name: Some("Lovelace".into()),
            middle_name: Some("Augusta".into()),
            nickname: Some("Countess".into()),
            profile: Some("https://example.com/ada".into()),
            picture: Some("https://Example.com/ada.png".into()),
            website: Some("http://ada.example".into()),
            gender: Some("female".into()),
            birthdate: Some("1815-12-10".into()),
            zoneinfo: Some("Europe/London".into()),
            locale: Some("en_gb".into()),
            address: Some(wire::Address {
                street_address: Some("12 St James's Square\r\nFlat 1".into()),
                locality: Some("London".into()),
                region: Some(" ".into()),
                country: Some("United Kingdom".into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn new_claims_are_canonicalized() {
        let mut errors = FieldErrors::default();
        let claims = parse_new_claims(&mut errors, &full_body());
        assert!(errors.0.is_empty(), "{:?}", errors.0);
        assert_eq!(claims.phone_number.as_deref(), Some("+442079460958"));
        assert!(claims.phone_number_verified);
        let profile = &claims.profile;
        assert_eq!(profile.given_name.as_deref(), Some("Ada"));
        assert_eq!(
            profile.picture.as_deref(),
            Some("https://example.com/ada.png")
        );
        assert_eq!(profile.website.as_deref(), Some("http://ada.example/"));
        assert_eq!(profile.locale.as_deref(), Some("en-GB"));
        let address = claims.address.unwrap();
        assert_eq!(
            address.street_address.as_deref(),
            Some("12 St James's Square\nFlat 1")
        );
        assert_eq!(address.region, None);
        // Nothing given: nothing stored, unverified.
        let mut errors = FieldErrors::default();
        let none = parse_new_claims(&mut errors, &wire::CreateUser::default());
        assert!(errors.0.is_empty());
        assert_eq!(none, ProfileClaims::default());
        // An address of blanks is no address.
        let blank = wire::CreateUser {
            address: Some(wire::Address {
                locality: Some("  ".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut errors = FieldErrors::default();
        assert_eq!(parse_new_claims(&mut errors, &blank).address, None);
    }

    #[test]
    fn every_bad_field_is_named() {
        let body = wire::CreateUser {
            phone_number: Some("0207 946 0958".into()),
            given_name: Some(String::new()),
            family_name: Some("Love\u{202E}lace".into()),
            middle_name: Some("x".repeat(129)),
            nickname: Some("a\nb".into()),
            profile: Some("javascript:alert(1)".into()),
            picture: Some("//example.com/a.png".into()),
            website: Some("https://user:pw@example.com".into()),
            gender: Some("\u{0007}".into()),
            birthdate: Some("1815-13-10".into()),
            zoneinfo: Some("Europe/../London".into()),
            locale: Some("english".into()),
            address: Some(wire::Address {
                locality: Some("Lon\ndon".into()),
                postal_code: Some("1".repeat(33)),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut errors = FieldErrors::default();
        parse_new_claims(&mut errors, &body);
        assert_eq!(
            fields(errors),
            [
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
                "address.locality",
                "address.postal_code",
            ]
        );
        let verified_without_number = wire::CreateUser {
            phone_number_verified: Some(true),
            ..Default::default()
        };
        let mut errors = FieldErrors::default();
        parse_new_claims(&mut errors, &verified_without_number);
        assert_eq!(fields(errors), ["phone_number_verified"]);
    }

    #[test]
    fn changes_keep_absent_fields_and_clear_null_ones() {
        let mut errors = FieldErrors::default();
        let current = parse_new_claims(&mut errors, &full_body());
        let body: wire::UpdateUser = serde_json::from_value(serde_json::json!({
            "nickname": null,
            "address": null,
            "locale": "fr-ca",
        }))
        .unwrap();
        let changed = parse_claim_changes(&mut errors, &body, current.clone());
        assert!(errors.0.is_empty(), "{:?}", errors.0);
        assert_eq!(changed.profile.nickname, None);
        assert_eq!(changed.address, None);
        assert_eq!(changed.profile.locale.as_deref(), Some("fr-CA"));
        assert_eq!(changed.profile.given_name, current.profile.given_name);
        assert_eq!(changed.phone_number, current.phone_number);
        assert!(changed.phone_number_verified, "the number did not change");
        // An address replaces the whole address.
        let body: wire::UpdateUser = serde_json::from_value(serde_json::json!({
            "address": {"postal_code": "SW1Y 4LE"},
        }))
        .unwrap();
        let changed = parse_claim_changes(&mut errors, &body, current.clone());
        let address = changed.address.unwrap();
        assert_eq!(
            (address.postal_code.as_deref(), address.locality),
            (Some("SW1Y 4LE"), None)
        );
        // A refused change leaves the value, and names the field.
        let body: wire::UpdateUser =
            serde_json::from_value(serde_json::json!({"birthdate": "yesterday"})).unwrap();
        let changed = parse_claim_changes(&mut errors, &body, current.clone());
        assert_eq!(changed.profile.birthdate, current.profile.birthdate);
        assert_eq!(fields(errors), ["birthdate"]);
    }

    #[test]
    fn a_changed_phone_number_is_unverified_unless_said_otherwise() {
        let mut errors = FieldErrors::default();
        let current = parse_new_claims(&mut errors, &full_body());
        assert!(current.phone_number_verified);
        let change_to = |json: serde_json::Value| {
            let body: wire::UpdateUser = serde_json::from_value(json).unwrap();
            let mut errors = FieldErrors::default();
            let claims = parse_claim_changes(&mut errors, &body, current.clone());
            (claims, fields(errors))
        };
        // The same number, written differently, is no change.
        let (same, errors) = change_to(serde_json::json!({"phone_number": "+442079460958"}));
        assert!(same.phone_number_verified && errors.is_empty());
        let (new, _) = change_to(serde_json::json!({"phone_number": "+33 1 23 45 67 89"}));
        assert_eq!(new.phone_number.as_deref(), Some("+33123456789"));
        assert!(!new.phone_number_verified);
        let (vouched, _) = change_to(
            serde_json::json!({"phone_number": "+33 1 23 45 67 89", "phone_number_verified": true}),
        );
        assert!(vouched.phone_number_verified);
        let (cleared, _) = change_to(serde_json::json!({"phone_number": null}));
        assert_eq!(
            (cleared.phone_number, cleared.phone_number_verified),
            (None, false)
        );
        let (_, errors) =
            change_to(serde_json::json!({"phone_number": null, "phone_number_verified": true}));
        assert_eq!(errors, ["phone_number_verified"]);
        let (unverified, errors) = change_to(serde_json::json!({"phone_number_verified": false}));
        assert!(!unverified.phone_number_verified && errors.is_empty());
    }
}
