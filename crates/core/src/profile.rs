//! The standard claims of a user beyond its identifiers (OpenID Connect Core 1.0 §5.1): the
//! `profile` scope's names, pages, birthdate, time zone and locale, the phone number and the
//! postal address (§5.1.1), and the rules that turn what an operator sends into their stored,
//! canonical form. No I/O. Every text refuses control and text-direction characters (so a
//! value cannot display as something else) and has a length limit.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization as _;
use url::Url;

use crate::user::{is_bidi_control, is_format_char};
use crate::validate::MAX_URI_LEN;

/// The claims of the `profile` scope that Gatehouse stores besides `name`, `preferred_username`
/// (the username) and `updated_at` (OIDC Core §5.1, §5.4). Field names are the claim names, so
/// `profile` is the URL of the person's profile page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    /// Given (first) name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Surname (last name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Middle name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Casual name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// URL of the profile page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// URL of a picture of the person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// URL of the person's web page or blog.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// Gender: `female`, `male` or any other text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Birthday: `YYYY-MM-DD`, `0000-MM-DD` (year withheld) or `YYYY` (see [`canonical_birthdate`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    /// IANA time zone name, such as `Europe/Paris`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    /// BCP 47 language tag, such as `en-US`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// A postal address (OIDC Core §5.1.1). Every member is optional; a stored address has at
/// least one (see [`canonical_address`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Address {
    /// The full address for display or a mailing label; may hold several lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// Street, house number, apartment...; may hold several lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// City or locality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// State, province, prefecture or region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Zip or postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl Address {
    /// Whether no member has a value.
    pub fn is_empty(&self) -> bool {
        self.members().iter().all(|(_, value)| value.is_none())
    }

    /// The members with their claim names, in §5.1.1 order.
    pub fn members(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("formatted", self.formatted.as_deref()),
            ("street_address", self.street_address.as_deref()),
            ("locality", self.locality.as_deref()),
            ("region", self.region.as_deref()),
            ("postal_code", self.postal_code.as_deref()),
            ("country", self.country.as_deref()),
        ]
    }
}

/// Fewest digits of a phone number, country code included.
pub const MIN_PHONE_DIGITS: usize = 7;
/// Most digits of a phone number, country code included (ITU-T E.164 §6).
pub const MAX_PHONE_DIGITS: usize = 15;
/// Longest time zone name, in bytes.
pub const MAX_ZONEINFO_LEN: usize = 64;
/// Longest locale, in bytes.
pub const MAX_LOCALE_LEN: usize = 64;
/// Longest `formatted` address, in characters.
pub const MAX_ADDRESS_FORMATTED_LEN: usize = 512;
/// Longest `street_address`, in characters.
pub const MAX_STREET_ADDRESS_LEN: usize = 256;
/// Longest `locality`, `region` or `country`, in characters.
pub const MAX_ADDRESS_PART_LEN: usize = 128;
/// Longest `postal_code`, in characters.
pub const MAX_POSTAL_CODE_LEN: usize = 32;

/// Inputs longer than this (bytes) are refused before any normalization.
const MAX_RAW_LEN: usize = 4096;

/// Characters people put between the digits of a phone number.
const PHONE_SEPARATORS: &[char] = &[' ', '-', '.', '(', ')'];

/// The canonical (E.164) form of a phone number, `+` and 7-15 digits whose first (the
/// country code's) is not 0, or a message saying why it is refused. Spaces, dashes, dots and
/// parentheses between the digits are dropped: `+1 (425) 555-1212` becomes `+14255551212`.
/// Extensions (`;ext=`) and national forms without the country code are refused.
pub fn canonical_phone_number(input: &str) -> Result<String, String> {
    const FORM: &str = "must start with '+' and the country code, for example +33 1 23 45 67 89";
    if input.len() > 64 {
        return Err("is too long".into());
    }
    let normalized: String = input.trim().nfkc().collect();
    let Some(rest) = normalized.strip_prefix('+') else {
        return Err(FORM.into());
    };
    let mut digits = String::with_capacity(MAX_PHONE_DIGITS);
    for c in rest.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !PHONE_SEPARATORS.contains(&c) {
            return Err(
                "may only contain digits, spaces, '-', '.', '(' and ')' after the '+'".into(),
            );
        }
    }
    let count = digits.len();
    if !(MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&count) {
        return Err(format!(
            "must have {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits, country code included"
        ));
    }
    if digits.starts_with('0') {
        return Err("the country code cannot start with 0".into());
    }
    Ok(format!("+{digits}"))
}

/// The canonical form of a URL claim (`profile`, `picture`, `website`): an absolute `http` or
/// `https` URL with a host and no user information, at most 2048 bytes, in the URL parser's
/// serialization (lowercase scheme and host, punycode, percent-encoded path).
pub fn canonical_claim_url(input: &str) -> Result<String, String> {
    const ABSOLUTE: &str = "must be an absolute http or https URL";
    if input.len() > MAX_URI_LEN {
        return Err(format!("must be at most {MAX_URI_LEN} characters"));
    }
    // The parser would silently drop tabs and newlines and trim spaces: refuse them instead.
    if input
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || is_format_char(c))
    {
        return Err("must not contain spaces or control characters".into());
    }
    let url = Url::parse(input).map_err(|_| ABSOLUTE.to_owned())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(ABSOLUTE.into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain user information".into());
    }
    let canonical = String::from(url);
    if canonical.len() > MAX_URI_LEN {
        return Err(format!("must be at most {MAX_URI_LEN} characters"));
    }
    Ok(canonical)
}

/// Checks a birthdate (OIDC Core §5.1): `YYYY-MM-DD` (ISO 8601), `0000-MM-DD` when the year is
/// withheld, or `YYYY` alone; the day must exist in that month (29 February only in leap
/// years, or with the year withheld).
pub fn canonical_birthdate(input: &str) -> Result<String, String> {
    const FORM: &str = "must be YYYY-MM-DD, 0000-MM-DD (year withheld) or YYYY";
    let value = input.trim();
    let number = |text: &str| -> Option<u32> {
        if text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse().ok()
        } else {
            None
        }
    };
    let parts: Vec<&str> = value.split('-').collect();
    match parts.as_slice() {
        [year] if year.len() == 4 => match number(year) {
            Some(0) => Err("a year alone cannot be 0000".into()),
            Some(_) => Ok(value.to_owned()),
            None => Err(FORM.into()),
        },
        [year, month, day] if year.len() == 4 && month.len() == 2 && day.len() == 2 => {
            let (Some(year), Some(month), Some(day)) = (number(year), number(month), number(day))
            else {
                return Err(FORM.into());
            };
            if !(1..=12).contains(&month) {
                return Err("has no such month".into());
            }
            if day == 0 || day > days_in_month(year, month) {
                return Err("has no such day in that month".into());
            }
            Ok(value.to_owned())
        }
        _ => Err(FORM.into()),
    }
}

/// Days of `month` (1-12) in `year`; year 0 stands for "withheld", so February has 29.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 => {
            let leap = year == 0
                || (year.is_multiple_of(4)
                    && (!year.is_multiple_of(100) || year.is_multiple_of(400)));
            if leap { 29 } else { 28 }
        }
        _ => 31,
    }
}

/// Checks the shape of an IANA time zone name (`Europe/Paris`, `America/Argentina/Buenos_Aires`,
/// `Etc/GMT+5`, `UTC`): `/`-separated parts of ASCII letters, digits, `.`, `_`, `-` and `+`,
/// each 1-30 characters, not `.` or `..`, not starting with `-`, the first starting with a
/// letter; at most 64 bytes. Whether the zone exists is not checked (no tz database).
pub fn canonical_zoneinfo(input: &str) -> Result<String, String> {
    const FORM: &str = "must be an IANA time zone name such as Europe/Paris";
    let value = input.trim();
    if value.len() > MAX_ZONEINFO_LEN {
        return Err(format!("must be at most {MAX_ZONEINFO_LEN} characters"));
    }
    let part_ok = |part: &str| {
        (1..=30).contains(&part.len())
            && part != "."
            && part != ".."
            && !part.starts_with('-')
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
    };
    let starts_with_letter = value
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic());
    if starts_with_letter && value.split('/').all(part_ok) {
        Ok(value.to_owned())
    } else {
        Err(FORM.into())
    }
}

/// The canonical form of a locale, a BCP 47 language tag (RFC 5646 §2.1: a 2-3 letter
/// language, then optional extended languages, script, region, variants, extensions and
/// private use), at most 64 characters. `_` is
/// accepted as separator, as OIDC Core §5.1 allows for compatibility, and case is normalized
/// per RFC 5646 §2.1.1: `EN_us` becomes `en-US`, `ZH-hant-tw` becomes `zh-Hant-TW`. Tags that
/// are only private use and the irregular grandfathered tags are refused.
pub fn canonical_locale(input: &str) -> Result<String, String> {
    const FORM: &str = "must be a BCP 47 language tag such as en-US or fr";
    let value = input.trim();
    if value.len() > MAX_LOCALE_LEN {
        return Err(format!("must be at most {MAX_LOCALE_LEN} characters"));
    }
    let subtags: Vec<String> = value
        .split(['-', '_'])
        .map(str::to_ascii_lowercase)
        .collect();
    let mut canonical = Vec::with_capacity(subtags.len());
    let mut stage = LocaleStage::Language;
    let mut extlangs = 0;
    for subtag in subtags {
        let len = subtag.len();
        if len == 0 || len > 8 || !subtag.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(FORM.into());
        }
        let alpha = subtag.bytes().all(|b| b.is_ascii_alphabetic());
        let digits = subtag.bytes().all(|b| b.is_ascii_digit());
        let next = match stage {
            // ISO 639 codes; the 4-8 letter forms are reserved and none is registered.
            LocaleStage::Language if alpha && (2..=3).contains(&len) => LocaleStage::AfterLanguage,
            LocaleStage::Language => return Err(FORM.into()),
            // Inside private use: any 1-8 alphanumerics; inside an extension: 2-8.
            LocaleStage::PrivateStart | LocaleStage::Private => LocaleStage::Private,
            LocaleStage::ExtensionStart | LocaleStage::Extension if len >= 2 => {
                LocaleStage::Extension
            }
            LocaleStage::ExtensionStart => return Err(FORM.into()),
            _ if subtag == "x" => LocaleStage::PrivateStart,
            _ if len == 1 => LocaleStage::ExtensionStart,
            LocaleStage::AfterLanguage if alpha && len == 3 && extlangs < 3 => {
                extlangs += 1;
                LocaleStage::AfterLanguage
            }
            LocaleStage::AfterLanguage if alpha && len == 4 => {
                canonical.push(title_case(&subtag));
                stage = LocaleStage::AfterScript;
                continue;
            }
            LocaleStage::AfterLanguage | LocaleStage::AfterScript
                if (alpha && len == 2) || (digits && len == 3) =>
            {
                canonical.push(subtag.to_ascii_uppercase());
                stage = LocaleStage::AfterRegion;
                continue;
            }
            LocaleStage::AfterLanguage | LocaleStage::AfterScript | LocaleStage::AfterRegion
                if is_variant(&subtag) =>
            {
                LocaleStage::AfterRegion
            }
            _ => return Err(FORM.into()),
        };
        canonical.push(subtag);
        stage = next;
    }
    if matches!(
        stage,
        LocaleStage::Language | LocaleStage::ExtensionStart | LocaleStage::PrivateStart
    ) {
        return Err(FORM.into());
    }
    Ok(canonical.join("-"))
}

/// Where a language tag's parser stands: which subtags may come next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LocaleStage {
    Language,
    AfterLanguage,
    AfterScript,
    AfterRegion,
    ExtensionStart,
    Extension,
    PrivateStart,
    Private,
}

/// RFC 5646 `variant = 5*8alphanum / (DIGIT 3alphanum)`.
fn is_variant(subtag: &str) -> bool {
    subtag.len() >= 5
        || (subtag.len() == 4 && subtag.bytes().next().is_some_and(|b| b.is_ascii_digit()))
}

fn title_case(subtag: &str) -> String {
    let mut chars = subtag.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The stored form of one address member, `None` when it is blank: trimmed, NFC, `\r\n`
/// turned into `\n`, at most `max_chars` characters, no control characters (but newlines when
/// `multiline`) and no text-direction controls.
pub fn canonical_address_member(
    input: &str,
    max_chars: usize,
    multiline: bool,
) -> Result<Option<String>, String> {
    if input.len() > MAX_RAW_LEN {
        return Err(format!("must be at most {max_chars} characters"));
    }
    let value: String = input.replace("\r\n", "\n").trim().nfc().collect();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    let allowed_control = |c: char| multiline && c == '\n';
    if value.chars().any(|c| c.is_control() && !allowed_control(c)) {
        return Err(if multiline {
            "must not contain control characters other than newlines".into()
        } else {
            "must not contain control characters or newlines".into()
        });
    }
    if value.chars().any(is_bidi_control) {
        return Err("must not contain text direction controls".into());
    }
    Ok(Some(value))
}

/// The stored form of an address, or the refusals, each with the member's name. Blank
/// members are dropped, and an address left with no member is no address (`None`).
pub fn canonical_address(input: &Address) -> Result<Option<Address>, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let mut member = |name: &'static str, value: &Option<String>, max: usize, multiline: bool| {
        let value = value.as_deref()?;
        match canonical_address_member(value, max, multiline) {
            Ok(value) => value,
            Err(message) => {
                errors.push((name, message));
                None
            }
        }
    };
    let address = Address {
        formatted: member(
            "formatted",
            &input.formatted,
            MAX_ADDRESS_FORMATTED_LEN,
            true,
        ),
        street_address: member(
            "street_address",
            &input.street_address,
            MAX_STREET_ADDRESS_LEN,
            true,
        ),
        locality: member("locality", &input.locality, MAX_ADDRESS_PART_LEN, false),
        region: member("region", &input.region, MAX_ADDRESS_PART_LEN, false),
        postal_code: member(
            "postal_code",
            &input.postal_code,
            MAX_POSTAL_CODE_LEN,
            false,
        ),
        country: member("country", &input.country, MAX_ADDRESS_PART_LEN, false),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((!address.is_empty()).then_some(address))
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

    #[test]
    fn phone_numbers_canonicalize_to_e164() {
        let cases = [
            ("+14255551212", "+14255551212"),
            ("+1 (425) 555-1212", "+14255551212"),
            ("+56 (2) 687 2400", "+5626872400"),
            (" +33 1.23.45.67.89 ", "+33123456789"),
            ("+44-20-7946-0958", "+442079460958"),
            ("＋４９ ３０ １２３４５６７", "+49301234567"),
            ("+1234567", "+1234567"),
            ("+123456789012345", "+123456789012345"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                canonical_phone_number(input).as_deref(),
                Ok(expected),
                "{input:?}"
            );
        }
    }

    #[test]
    fn phone_numbers_refused() {
        let cases = [
            ("", "'+'"),
            ("4255551212", "'+'"),
            ("001 425 555 1212", "'+'"),
            ("+", "7 to 15"),
            ("+123456", "7 to 15"),
            ("+1234567890123456", "7 to 15"),
            ("+0 425 555 1212", "cannot start with 0"),
            ("+1 425 555 1212;ext=5", "may only contain"),
            ("+1 425 555 1212 x5", "may only contain"),
            ("+1/425/555/1212", "may only contain"),
            ("+1 425\n555 1212", "may only contain"),
            ("+1 425\u{202E}5551212", "may only contain"),
            ("++14255551212", "may only contain"),
            ("tel:+14255551212", "'+'"),
        ];
        for (input, fragment) in cases {
            let error = canonical_phone_number(input).expect_err(input);
            assert!(
                error.contains(fragment),
                "{input:?}: {error:?} lacks {fragment:?}"
            );
        }
        assert!(canonical_phone_number(&"1".repeat(65)).is_err());
    }

    #[test]
    fn claim_urls() {
        let ok = [
            ("https://example.com/alice", "https://example.com/alice"),
            ("http://example.com", "http://example.com/"),
            ("HTTPS://Example.COM/Pic.png", "https://example.com/Pic.png"),
            (
                "https://bücher.example/a",
                "https://xn--bcher-kva.example/a",
            ),
            ("https://example.com/a?b=c#d", "https://example.com/a?b=c#d"),
            ("https://example.com:8443/x", "https://example.com:8443/x"),
        ];
        for (input, expected) in ok {
            assert_eq!(
                canonical_claim_url(input).as_deref(),
                Ok(expected),
                "{input:?}"
            );
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URI_LEN));
        let refused = [
            ("", "absolute"),
            ("example.com/alice", "absolute"),
            ("/alice", "absolute"),
            ("javascript:alert(1)", "absolute"),
            ("data:image/png;base64,AAAA", "absolute"),
            ("ftp://example.com/a", "absolute"),
            ("mailto:alice@example.com", "absolute"),
            ("https://", "absolute"),
            ("https://user:pw@example.com/", "user information"),
            ("https://user@example.com/", "user information"),
            ("https://example.com/a b", "spaces"),
            (" https://example.com/", "spaces"),
            ("https://example.com/\n", "spaces"),
            ("https://exa\tmple.com/", "spaces"),
            ("https://example.com/\u{202E}gpj.exe", "control"),
            ("https://example.com/\u{200B}", "control"),
            (long.as_str(), "at most"),
        ];
        for (input, fragment) in refused {
            let error = canonical_claim_url(input).expect_err(input);
            assert!(
                error.contains(fragment),
                "{input:?}: {error:?} lacks {fragment:?}"
            );
        }
    }

    #[test]
    fn birthdates() {
        for ok in [
            "1990-07-14",
            "0000-07-14",
            "1990",
            "2000-02-29",
            "0000-02-29",
            "1999-12-31",
            " 1990-01-01 ",
        ] {
            assert_eq!(canonical_birthdate(ok), Ok(ok.trim().to_owned()), "{ok:?}");
        }
        for bad in [
            "",
            "0000",
            "90",
            "19900",
            "1990-7-14",
            "1990/07/14",
            "14-07-1990",
            "1990-13-01",
            "1990-00-10",
            "1990-04-31",
            "1990-07-00",
            "1900-02-29",
            "2023-02-29",
            "1990-07",
            "1990-07-14T00:00:00Z",
            "+1990-07-14",
            "１９９０",
            "199a",
        ] {
            assert!(canonical_birthdate(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn zoneinfo_shapes() {
        for ok in [
            "Europe/Paris",
            "America/Los_Angeles",
            "America/Argentina/Buenos_Aires",
            "America/Port-au-Prince",
            "Etc/GMT+5",
            "Etc/GMT-14",
            "UTC",
            "EST5EDT",
            "America/Argentina/ComodRivadavia",
        ] {
            assert_eq!(canonical_zoneinfo(ok).as_deref(), Ok(ok), "{ok:?}");
        }
        let long = "A".repeat(MAX_ZONEINFO_LEN + 1);
        let long_part = format!("Europe/{}", "a".repeat(31));
        for bad in [
            "",
            "/Europe/Paris",
            "Europe/Paris/",
            "Europe//Paris",
            "Europe/../etc/passwd",
            "Europe/./Paris",
            "Europe/Pa ris",
            "+05:00",
            "5/Paris",
            "Europe/-Paris",
            "Europe/Paris\u{202E}",
            "Europe\\Paris",
            "Europe/Zürich",
            long.as_str(),
            long_part.as_str(),
        ] {
            assert!(canonical_zoneinfo(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn locales() {
        let ok = [
            ("en", "en"),
            ("fr", "fr"),
            ("en-US", "en-US"),
            ("en_us", "en-US"),
            ("EN-gb", "en-GB"),
            ("fr-CA", "fr-CA"),
            ("zh-hant-tw", "zh-Hant-TW"),
            ("sr-Latn", "sr-Latn"),
            ("es-419", "es-419"),
            ("zh-yue-HK", "zh-yue-HK"),
            ("de-CH-1996", "de-CH-1996"),
            ("sl-rozaj-biske", "sl-rozaj-biske"),
            ("ca-ES-valencia", "ca-ES-valencia"),
            ("en-US-u-ca-gregory", "en-US-u-ca-gregory"),
            ("de-x-private", "de-x-private"),
            ("haw", "haw"),
            ("gsw-u-sd-chzh", "gsw-u-sd-chzh"),
        ];
        for (input, expected) in ok {
            assert_eq!(
                canonical_locale(input).as_deref(),
                Ok(expected),
                "{input:?}"
            );
        }
        let long = format!("en-{}", ["abcdefgh"; 8].join("-"));
        for bad in [
            "",
            "e",
            "english-language",
            "en-",
            "-en",
            "en--US",
            "en US",
            "en-US-",
            "en-u",
            "en-x",
            "x-private",
            "i-klingon",
            "1en",
            "en-US-a-b",
            "en-Latn-Latn",
            "en-US-GB",
            "en-toolongsubtag",
            "fr-ÇA",
            "en-US\u{202E}",
            "english",
            "engl",
            long.as_str(),
        ] {
            assert!(canonical_locale(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn address_members() {
        assert_eq!(
            canonical_address_member(" 1 Main St\r\nApt 2 ", 256, true),
            Ok(Some("1 Main St\nApt 2".into()))
        );
        assert_eq!(canonical_address_member("   ", 128, false), Ok(None));
        assert_eq!(
            canonical_address_member("Rue de l'E\u{301}glise", 128, false),
            Ok(Some("Rue de l'Église".into()))
        );
        assert!(canonical_address_member("Paris\nCedex", 128, false).is_err());
        assert!(canonical_address_member("1 Main\u{0000}St", 256, true).is_err());
        assert!(canonical_address_member("1 Main\tSt", 256, true).is_err());
        assert!(canonical_address_member("Pa\u{202E}ris", 128, false).is_err());
        assert!(canonical_address_member(&"x".repeat(33), MAX_POSTAL_CODE_LEN, false).is_err());
        assert!(canonical_address_member(&"x".repeat(32), MAX_POSTAL_CODE_LEN, false).is_ok());
        assert!(canonical_address_member(&"x".repeat(MAX_RAW_LEN + 1), 128, false).is_err());
    }

    #[test]
    fn addresses() {
        let input = Address {
            street_address: Some(" 1 Main St\r\nApt 2".into()),
            locality: Some("Springfield".into()),
            region: Some("  ".into()),
            postal_code: Some("12345".into()),
            country: Some("USA".into()),
            ..Default::default()
        };
        let stored = canonical_address(&input).unwrap().unwrap();
        assert_eq!(stored.street_address.as_deref(), Some("1 Main St\nApt 2"));
        assert_eq!(stored.region, None, "blank members are dropped");
        assert_eq!(stored.formatted, None);
        assert!(!stored.is_empty());
        // An address without any member is no address.
        assert_eq!(canonical_address(&Address::default()), Ok(None));
        let blank = Address {
            formatted: Some(" ".into()),
            country: Some("".into()),
            ..Default::default()
        };
        assert_eq!(canonical_address(&blank), Ok(None));
        let bad = Address {
            locality: Some("Spring\nfield".into()),
            postal_code: Some("x".repeat(40)),
            country: Some("France".into()),
            ..Default::default()
        };
        let errors = canonical_address(&bad).unwrap_err();
        let names: Vec<&str> = errors.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["locality", "postal_code"]);
    }

    #[test]
    fn stored_json_leaves_out_absent_members() {
        let profile = Profile {
            given_name: Some("Ada".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&profile).unwrap(),
            r#"{"given_name":"Ada"}"#
        );
        let back: Profile = serde_json::from_str(r#"{"given_name":"Ada","unknown":1}"#).unwrap();
        assert_eq!(back, profile);
        assert_eq!(
            serde_json::from_str::<Profile>("{}").unwrap(),
            Profile::default()
        );
    }

    proptest::proptest! {
        #[test]
        fn canonical_forms_are_stable(input in "[+0-9 ().a-zA-Z_/-]{0,24}") {
            if let Ok(phone) = canonical_phone_number(&input) {
                let digits = phone.strip_prefix('+').unwrap();
                proptest::prop_assert!((MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&digits.len()));
                proptest::prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
                proptest::prop_assert!(!digits.starts_with('0'));
                proptest::prop_assert_eq!(canonical_phone_number(&phone), Ok(phone.clone()));
            }
            if let Ok(locale) = canonical_locale(&input) {
                proptest::prop_assert_eq!(canonical_locale(&locale), Ok(locale.clone()));
            }
            if let Ok(zone) = canonical_zoneinfo(&input) {
                proptest::prop_assert_eq!(canonical_zoneinfo(&zone), Ok(zone.clone()));
            }
        }
    }
}
