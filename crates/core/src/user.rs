//! Users: the stored record, the canonical form of the identifiers people sign in with
//! (checklist U-20), and the password policy (U-01, U-02). No I/O and no hashing: the crypto
//! crate hashes what `normalize_password` returns.
//!
//! Identifiers are compared only in canonical form, so `Admin`, `admin ` and fullwidth
//! `ａｄｍｉｎ` are one account, and lookalikes (Cyrillic `аdmin`, zero-width characters) are
//! refused at sign-up rather than becoming a second account that looks the same.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization as _;

use crate::profile::{Address, Profile};
use crate::validate::check_display_name;

/// A user of one tenant (the store takes the tenant on every call). `Default` is an empty
/// record, for building one field by field.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct User {
    /// Stable id, the `sub` of this user's tokens.
    pub id: String,
    /// Canonical username (see [`canonical_username`]), if the user has one.
    pub username: Option<String>,
    /// Canonical email (see [`canonical_email`]), if the user has one.
    pub email: Option<String>,
    /// Whether the user proved control of `email`.
    pub email_verified: bool,
    /// Display name.
    pub name: Option<String>,
    /// Phone number in E.164 form (see [`crate::profile::canonical_phone_number`]); not
    /// unique and not a sign-in identifier.
    pub phone_number: Option<String>,
    /// Whether the user proved control of `phone_number`.
    pub phone_number_verified: bool,
    /// The other claims of the `profile` scope (OIDC Core §5.1).
    pub profile: Profile,
    /// Postal address (OIDC Core §5.1.1); never an address without any member.
    pub address: Option<Address>,
    /// argon2id PHC string of the normalized password; `None` for users without a password.
    pub password_hash: Option<String>,
    /// A disabled user cannot sign in.
    pub disabled: bool,
    /// Creation time, seconds since the epoch.
    pub created_at: i64,
    /// Last change, seconds since the epoch.
    pub updated_at: i64,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("email_verified", &self.email_verified)
            .field("name", &self.name)
            .field("phone_number", &self.phone_number)
            .field("phone_number_verified", &self.phone_number_verified)
            .field("profile", &self.profile)
            .field("address", &self.address)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "[redacted]"),
            )
            .field("disabled", &self.disabled)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// Longest canonical username, in characters.
pub const MAX_USERNAME_LEN: usize = 64;
/// Longest email address, in bytes (RFC 5321 §4.5.3.1.3 path limit less the angle brackets).
pub const MAX_EMAIL_LEN: usize = 254;
/// Longest local part of an email address, in bytes (RFC 5321 §4.5.3.1.1).
pub const MAX_EMAIL_LOCAL_LEN: usize = 64;
/// Shortest accepted password, in characters after normalization (U-01). Callers that let a
/// password be the only factor may demand more (ASVS: 15).
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest accepted password, in characters after normalization. Longer ones are refused,
/// never truncated.
pub const MAX_PASSWORD_LEN: usize = 256;

/// Inputs longer than this (bytes) are refused before normalization, which may expand them.
const MAX_RAW_IDENTIFIER_LEN: usize = 1024;

/// Unicode format characters (general category Cf): invisible, so they can make two
/// identifiers that look the same. Unicode 15 ranges.
pub(crate) fn is_format_char(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// Bidirectional controls, which can reorder how a name is displayed.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

fn is_invisible(c: char) -> bool {
    c.is_control() || is_format_char(c)
}

/// The canonical form of a username, or a message saying why it is refused (U-20).
///
/// Steps: NFKC (fullwidth `ａｄｍｉｎ` becomes `admin`), full Unicode case folding, NFKC again
/// (folding can undo normalization), trim. The result must be 1-64 characters of `a-z`, `0-9`,
/// `.`, `_` and `-`, starting with a letter or digit. Restricting the result to ASCII is the
/// rule that refuses mixed-script lookalikes such as Cyrillic `аdmin`, and it keeps usernames
/// apart from email addresses (no `@`).
pub fn canonical_username(input: &str) -> Result<String, String> {
    if input.len() > MAX_RAW_IDENTIFIER_LEN {
        return Err(format!("must be at most {MAX_USERNAME_LEN} characters"));
    }
    let normalized: String = input.nfkc().collect();
    let folded: String = caseless::default_case_fold_str(&normalized)
        .nfkc()
        .collect();
    let username = folded.trim();
    if username.is_empty() {
        return Err("must not be empty".into());
    }
    if username.chars().count() > MAX_USERNAME_LEN {
        return Err(format!("must be at most {MAX_USERNAME_LEN} characters"));
    }
    if username.chars().any(char::is_whitespace) {
        return Err("must not contain spaces".into());
    }
    if username.chars().any(is_invisible) {
        return Err("must not contain invisible or control characters".into());
    }
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b);
    if !username.bytes().all(allowed) {
        return Err("may only contain letters a-z, digits 0-9, '.', '_' and '-'".into());
    }
    if !username
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
    {
        return Err("must start with a letter or a digit".into());
    }
    Ok(username.to_owned())
}

/// Characters that RFC 5322 allows in a local part only inside quotes; we refuse quoted
/// local parts, as almost every provider does.
const EMAIL_SPECIALS: &[char] = &['"', '(', ')', ',', ':', ';', '<', '>', '[', ']', '\\', '@'];

/// The canonical form of an email address, or a message saying why it is refused (U-20).
///
/// Steps: trim, NFKC, then checks: one `@`, a local part of 1-64 bytes without spaces,
/// invisible characters, quoting specials or stray dots, and a domain name with a dot (or
/// `localhost`), not an IP address. The domain goes through IDNA (so `bücher.example` and
/// `xn--bcher-kva.example` are one address) and is lowercased.
///
/// The local part is lowercased too. RFC 5321 lets a mail server treat `Alice` and `alice` as
/// different mailboxes, but practically none do, and people type their address with random
/// capitals: like most identity providers we treat the whole address case-insensitively, so
/// one person cannot end up with two accounts, nor two people with one.
pub fn canonical_email(input: &str) -> Result<String, String> {
    if input.len() > MAX_RAW_IDENTIFIER_LEN {
        return Err(format!("must be at most {MAX_EMAIL_LEN} characters"));
    }
    let normalized: String = input.trim().nfkc().collect();
    if normalized.is_empty() {
        return Err("must not be empty".into());
    }
    if normalized.chars().any(char::is_whitespace) {
        return Err("must not contain spaces".into());
    }
    if normalized.chars().any(is_invisible) {
        return Err("must not contain invisible or control characters".into());
    }
    let Some((local, domain)) = normalized.split_once('@') else {
        return Err("must contain an '@'".into());
    };
    if domain.contains('@') {
        return Err("must contain exactly one '@'".into());
    }
    let local = check_email_local_part(local)?;
    let domain = check_email_domain(domain)?;
    let email = format!("{local}@{domain}");
    if email.len() > MAX_EMAIL_LEN {
        return Err(format!("must be at most {MAX_EMAIL_LEN} characters"));
    }
    Ok(email)
}

/// Checks and lowercases the part before the `@`.
fn check_email_local_part(local: &str) -> Result<String, String> {
    if local.is_empty() {
        return Err("needs a name before the '@'".into());
    }
    if local.len() > MAX_EMAIL_LOCAL_LEN {
        return Err(format!(
            "the part before the '@' must be at most {MAX_EMAIL_LOCAL_LEN} characters"
        ));
    }
    if local.contains(EMAIL_SPECIALS) {
        return Err("the part before the '@' contains a character that is not allowed".into());
    }
    // RFC 5322 §3.4.1 dot-atom: no leading, trailing or doubled dot.
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(
            "the part before the '@' must not start or end with a dot or repeat one".into(),
        );
    }
    Ok(local.to_lowercase())
}

/// Checks the part after the `@` and returns its lowercase ASCII (IDNA) form.
fn check_email_domain(domain: &str) -> Result<String, String> {
    const INVALID: &str = "needs a valid domain after the '@'";
    if domain.is_empty() {
        return Err("needs a domain after the '@'".into());
    }
    let host = match url::Host::parse(domain) {
        Ok(url::Host::Domain(name)) => name,
        Ok(_) => return Err("must have a domain name after the '@', not an IP address".into()),
        Err(_) => return Err(INVALID.into()),
    };
    let host = host.to_ascii_lowercase();
    let labels_ok = host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    if !labels_ok {
        return Err(INVALID.into());
    }
    if !host.contains('.') && host != "localhost" {
        return Err("the domain after the '@' must contain a dot".into());
    }
    Ok(host)
}

/// The display name to store, or a message saying why it is refused: trimmed, 1-128
/// characters, no control characters and no bidirectional controls (which can make a name
/// display as something else). Emoji sequences (zero-width joiners) are allowed.
pub fn canonical_display_name(input: &str) -> Result<String, String> {
    let name: String = input.trim().nfc().collect();
    check_display_name(&name)?;
    if name.chars().any(is_bidi_control) {
        return Err("must not contain text direction controls".into());
    }
    Ok(name)
}

/// The form of a password that is hashed and checked: NFKC, so the same password typed on
/// different keyboards or systems (composed vs decomposed accents, fullwidth digits) verifies
/// (U-01). Nothing is trimmed or truncated.
pub fn normalize_password(password: &str) -> String {
    password.nfkc().collect()
}

/// Why a password is refused at sign-up, change or reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    /// Fewer than [`MIN_PASSWORD_LEN`] characters.
    TooShort,
    /// More than [`MAX_PASSWORD_LEN`] characters.
    TooLong,
    /// Equal to the username, the email address or its local part.
    SameAsIdentifier,
    /// In the bundled list of common passwords (U-02).
    Common,
}

impl PasswordProblem {
    /// A message for the person choosing the password.
    pub fn message(self) -> &'static str {
        match self {
            Self::TooShort => "Use at least 8 characters.",
            Self::TooLong => "Use at most 256 characters.",
            Self::SameAsIdentifier => "Don't use your username or email address as your password.",
            Self::Common => "This password is too common and easy to guess. Choose another one.",
        }
    }
}

impl fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for PasswordProblem {}

/// The bundled common passwords, lowercase (U-02).
static COMMON_PASSWORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("passwords/common.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(fold_password)
        .collect()
});

/// Case-insensitive form used only for comparisons, never for hashing.
fn fold_password(password: &str) -> String {
    caseless::default_case_fold_str(&normalize_password(password))
}

/// Checks a new password against the policy (U-01, U-02): 8-256 characters after
/// normalization, not one of `identifiers` (the user's username and email; the email's local
/// part is checked too), not a common password; all compared case-insensitively. There are no
/// composition rules, by design (ASVS 6.2).
pub fn check_password(password: &str, identifiers: &[&str]) -> Result<(), PasswordProblem> {
    let normalized = normalize_password(password);
    let length = normalized.chars().count();
    if length < MIN_PASSWORD_LEN {
        return Err(PasswordProblem::TooShort);
    }
    if length > MAX_PASSWORD_LEN {
        return Err(PasswordProblem::TooLong);
    }
    let folded = fold_password(&normalized);
    let same_as = |identifier: &str| {
        let identifier = identifier.trim();
        !identifier.is_empty() && fold_password(identifier) == folded
    };
    for identifier in identifiers {
        let local_part = identifier.split_once('@').map(|(local, _)| local);
        if same_as(identifier) || local_part.is_some_and(same_as) {
            return Err(PasswordProblem::SameAsIdentifier);
        }
    }
    if COMMON_PASSWORDS.contains(&folded) {
        return Err(PasswordProblem::Common);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn usernames_canonicalize_to_one_account() {
        let cases = [
            ("admin", "admin"),
            ("Admin", "admin"),
            ("ADMIN", "admin"),
            ("admin ", "admin"),
            ("  admin\t", "admin"),
            ("\u{3000}admin", "admin"),
            ("ａｄｍｉｎ", "admin"),
            ("Ａｄｍｉｎ", "admin"),
            ("john.doe", "john.doe"),
            ("John_Doe-2", "john_doe-2"),
            ("42", "42"),
            ("Straße", "strasse"),
            ("\u{212A}elvin", "kelvin"),
            ("ﬁle", "file"),
            ("a\u{2460}", "a1"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                canonical_username(input).as_deref(),
                Ok(expected),
                "{input:?}"
            );
        }
    }

    #[test]
    fn usernames_refused() {
        let too_long = "a".repeat(MAX_USERNAME_LEN + 1);
        let huge = "a".repeat(MAX_RAW_IDENTIFIER_LEN + 1);
        let cases = [
            ("", "empty"),
            ("   ", "empty"),
            ("\u{3000}", "empty"),
            (too_long.as_str(), "at most"),
            (huge.as_str(), "at most"),
            ("john doe", "spaces"),
            ("john\u{00A0}doe", "spaces"),
            ("ad\u{200B}min", "invisible"),
            ("admin\u{200D}", "invisible"),
            ("\u{FEFF}admin", "invisible"),
            ("ad\u{00AD}min", "invisible"),
            ("admin\u{202E}", "invisible"),
            ("ad\u{0000}min", "invisible"),
            ("ad\u{0007}min", "invisible"),
            ("\u{0430}dmin", "may only contain"),
            ("аdmin", "may only contain"),
            ("admіn", "may only contain"),
            ("ἀdmin", "may only contain"),
            ("josé", "may only contain"),
            ("user@example.com", "may only contain"),
            ("a+b", "may only contain"),
            ("a/b", "may only contain"),
            ("<script>", "may only contain"),
            (".admin", "must start"),
            ("_admin", "must start"),
            ("-admin", "must start"),
        ];
        for (input, fragment) in cases {
            let error = canonical_username(input).expect_err(input);
            assert!(
                error.contains(fragment),
                "{input:?}: {error:?} lacks {fragment:?}"
            );
        }
        assert!(canonical_username(&"a".repeat(MAX_USERNAME_LEN)).is_ok());
    }

    #[test]
    fn emails_canonicalize() {
        let cases = [
            ("alice@example.com", "alice@example.com"),
            ("Alice@Example.COM", "alice@example.com"),
            ("  alice@example.com  ", "alice@example.com"),
            ("ａｌｉｃｅ@ｅｘａｍｐｌｅ.ｃｏｍ", "alice@example.com"),
            ("alice+tag@example.com", "alice+tag@example.com"),
            (
                "first.last@sub.example.co.uk",
                "first.last@sub.example.co.uk",
            ),
            ("o'brien@example.ie", "o'brien@example.ie"),
            ("admin@localhost", "admin@localhost"),
            ("user@bücher.example", "user@xn--bcher-kva.example"),
            ("user@XN--BCHER-KVA.example", "user@xn--bcher-kva.example"),
            ("José@example.com", "josé@example.com"),
            ("Jose\u{301}@example.com", "josé@example.com"),
        ];
        for (input, expected) in cases {
            assert_eq!(canonical_email(input).as_deref(), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn emails_refused() {
        let long_local = format!("{}@example.com", "a".repeat(MAX_EMAIL_LOCAL_LEN + 1));
        let long_total = format!("a@{}.com", vec!["b".repeat(60); 5].join("."));
        let cases = [
            ("", "empty"),
            ("   ", "empty"),
            ("alice", "'@'"),
            ("alice.example.com", "'@'"),
            ("alice@@example.com", "exactly one"),
            ("a@b@example.com", "exactly one"),
            ("@example.com", "before the '@'"),
            ("alice@", "domain after"),
            ("alice@example", "dot"),
            ("alice@example.", "valid domain"),
            ("alice@.example.com", "valid domain"),
            ("alice@exa..mple.com", "valid domain"),
            ("alice@-example.com", "valid domain"),
            ("alice@exa mple.com", "spaces"),
            ("al ice@example.com", "spaces"),
            ("ali\u{200B}ce@example.com", "invisible"),
            ("alice@exa\u{200B}mple.com", "invisible"),
            ("ali\u{0000}ce@example.com", "invisible"),
            ("\"alice\"@example.com", "not allowed"),
            ("alice<x>@example.com", "not allowed"),
            (".alice@example.com", "dot"),
            ("alice.@example.com", "dot"),
            ("al..ice@example.com", "dot"),
            ("alice@127.0.0.1", "IP address"),
            ("alice@[::1]", "IP address"),
            ("alice@exa/mple.com", "valid domain"),
            (long_local.as_str(), "at most"),
            (long_total.as_str(), "at most"),
        ];
        for (input, fragment) in cases {
            let error = canonical_email(input).expect_err(input);
            assert!(
                error.contains(fragment),
                "{input:?}: {error:?} lacks {fragment:?}"
            );
        }
    }

    #[test]
    fn display_names() {
        let ok = [
            ("Alice", "Alice"),
            ("  Alice Liddell ", "Alice Liddell"),
            ("José", "José"),
            ("Jose\u{301}", "José"),
            ("李小龍", "李小龍"),
            ("👨\u{200D}👩\u{200D}👧", "👨\u{200D}👩\u{200D}👧"),
        ];
        for (input, expected) in ok {
            assert_eq!(
                canonical_display_name(input).as_deref(),
                Ok(expected),
                "{input:?}"
            );
        }
        let max = "x".repeat(128);
        assert!(canonical_display_name(&max).is_ok());
        let refused = [
            String::new(),
            "   ".into(),
            "x".repeat(129),
            "Ali\u{0000}ce".into(),
            "Ali\nce".into(),
            "Ali\u{202E}ecil".into(),
            "Ali\u{2066}ce".into(),
        ];
        for input in refused {
            assert!(canonical_display_name(&input).is_err(), "{input:?}");
        }
    }

    #[test]
    fn password_normalization_is_nfkc_only() {
        let cases = [
            ("caf\u{e9}", "caf\u{e9}"),
            ("cafe\u{301}", "caf\u{e9}"),
            ("１２３４ＡＢＣＤ", "1234ABCD"),
            ("  spaced  ", "  spaced  "),
            ("MixedCase", "MixedCase"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_password(input), expected, "{input:?}");
        }
    }

    #[test]
    fn password_policy() {
        let hundred = "correct horse ".repeat(8);
        let too_long = "z".repeat(MAX_PASSWORD_LEN + 1);
        let max = "z".repeat(MAX_PASSWORD_LEN - 1) + "q";
        let ids: &[&str] = &["alice.smith", "Alice.Jones@Example.com"];
        let cases: Vec<(&str, &[&str], Result<(), PasswordProblem>)> = vec![
            ("correct horse battery staple", &[], Ok(())),
            ("tr0ub4dor&3x", ids, Ok(())),
            ("8charsOK", &[], Ok(())),
            (hundred.as_str(), &[], Ok(())),
            (max.as_str(), &[], Ok(())),
            // Length counts characters after NFKC, not bytes.
            ("пароль-ок", &[], Ok(())),
            ("日本語のパスワ", &[], Err(PasswordProblem::TooShort)),
            ("日本語のパスワード", &[], Ok(())),
            ("cafe\u{301}s", &[], Err(PasswordProblem::TooShort)),
            ("", &[], Err(PasswordProblem::TooShort)),
            ("short", &[], Err(PasswordProblem::TooShort)),
            ("seven77", &[], Err(PasswordProblem::TooShort)),
            (too_long.as_str(), &[], Err(PasswordProblem::TooLong)),
            // Identifiers, case-insensitively, and the email's local part.
            ("alice.smith", ids, Err(PasswordProblem::SameAsIdentifier)),
            ("ALICE.SMITH", ids, Err(PasswordProblem::SameAsIdentifier)),
            (
                "alice.jones@example.com",
                ids,
                Err(PasswordProblem::SameAsIdentifier),
            ),
            ("alice.jones", ids, Err(PasswordProblem::SameAsIdentifier)),
            ("Alice.Jones", ids, Err(PasswordProblem::SameAsIdentifier)),
            ("alice.smith", &["", " "], Ok(())),
            // Common passwords, case-insensitively.
            ("password", &[], Err(PasswordProblem::Common)),
            ("Password1", &[], Err(PasswordProblem::Common)),
            ("PASSWORD123", &[], Err(PasswordProblem::Common)),
            ("12345678", &[], Err(PasswordProblem::Common)),
            ("１２３４５６７８", &[], Err(PasswordProblem::Common)),
            ("123456789", &[], Err(PasswordProblem::Common)),
            ("qwertyuiop", &[], Err(PasswordProblem::Common)),
            ("iloveyou", &[], Err(PasswordProblem::Common)),
            ("sunshine1", &[], Err(PasswordProblem::Common)),
            ("football1", &[], Err(PasswordProblem::Common)),
            ("baseball1", &[], Err(PasswordProblem::Common)),
            ("trustno1", &[], Err(PasswordProblem::Common)),
            ("letmein1", &[], Err(PasswordProblem::Common)),
            ("Welcome1", &[], Err(PasswordProblem::Common)),
            ("admin123", &[], Err(PasswordProblem::Common)),
            ("passw0rd", &[], Err(PasswordProblem::Common)),
            ("P@ssw0rd", &[], Err(PasswordProblem::Common)),
            ("qwerty123", &[], Err(PasswordProblem::Common)),
            ("1q2w3e4r", &[], Err(PasswordProblem::Common)),
            ("abc12345", &[], Err(PasswordProblem::Common)),
            ("Summer2024", &[], Err(PasswordProblem::Common)),
            ("welcome2025!", &[], Ok(())),
            // Length is checked first, identifiers before the list.
            ("admin", &[], Err(PasswordProblem::TooShort)),
            (
                "password",
                &["password"],
                Err(PasswordProblem::SameAsIdentifier),
            ),
        ];
        for (password, identifiers, expected) in cases {
            assert_eq!(
                check_password(password, identifiers),
                expected,
                "{password:?} with {identifiers:?}"
            );
        }
    }

    #[test]
    fn common_list_is_bundled_and_lowercase() {
        assert!(
            COMMON_PASSWORDS.len() >= 1_000,
            "{}",
            COMMON_PASSWORDS.len()
        );
        for entry in COMMON_PASSWORDS.iter() {
            assert!(entry.chars().count() >= MIN_PASSWORD_LEN, "{entry:?}");
            assert_eq!(*entry, fold_password(entry));
        }
    }

    #[test]
    fn password_problems_have_messages() {
        let problems = [
            PasswordProblem::TooShort,
            PasswordProblem::TooLong,
            PasswordProblem::SameAsIdentifier,
            PasswordProblem::Common,
        ];
        for problem in problems {
            assert!(!problem.message().is_empty());
            assert_eq!(problem.to_string(), problem.message());
        }
        assert!(
            PasswordProblem::TooShort
                .message()
                .contains(&MIN_PASSWORD_LEN.to_string())
        );
        assert!(
            PasswordProblem::TooLong
                .message()
                .contains(&MAX_PASSWORD_LEN.to_string())
        );
    }

    #[test]
    fn debug_redacts_the_password_hash() {
        let user = User {
            id: "u1".into(),
            username: Some("alice".into()),
            email: Some("alice@example.com".into()),
            email_verified: true,
            name: Some("Alice".into()),
            phone_number: Some("+14255551212".into()),
            password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
            disabled: false,
            created_at: 1,
            updated_at: 2,
            ..User::default()
        };
        let text = format!("{user:?}");
        assert!(!text.contains("argon2"), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
        assert!(text.contains("alice@example.com"), "{text}");
        assert!(text.contains("+14255551212"), "{text}");
        let without = User {
            password_hash: None,
            ..user
        };
        assert!(format!("{without:?}").contains("password_hash: None"));
    }
}
