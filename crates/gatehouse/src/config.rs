//! Configuration as one typed struct, resolved once at start: defaults, then the TOML file
//! (`--config`), then `GATEHOUSE_*` variables, then flags (clap merges the last two). Unknown
//! keys in the file are refused.

use crate::cli::{Alg, GlobalArgs, LogFormat};
use serde::Deserialize;
use std::path::PathBuf;

/// The default listen address, whose issuer is `http://localhost:3000`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";

/// What the configuration file may hold.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    issuer: Option<String>,
    database_url: Option<String>,
    database_max_connections: Option<u32>,
    data_dir: Option<PathBuf>,
    log: Option<String>,
    log_format: Option<LogFormat>,
    signing_alg: Option<Alg>,
    session_lifetime: Option<i64>,
    session_idle_timeout: Option<i64>,
}

/// Shortest and longest session lifetime or idle timeout accepted (seconds): a minute to
/// 400 days.
const SESSION_SECONDS: std::ops::RangeInclusive<i64> = 60..=400 * 86_400;

/// The resolved settings.
pub struct Settings {
    pub listen: String,
    pub issuer: Option<String>,
    pub database_url: Option<String>,
    pub database_max_connections: Option<u32>,
    pub data_dir: PathBuf,
    pub tenant: Option<String>,
    pub log: String,
    pub log_format: LogFormat,
    pub signing_alg: Alg,
    /// Absolute session lifetime (seconds).
    pub session_lifetime: i64,
    /// Session idle timeout (seconds), at most the lifetime.
    pub session_idle_timeout: i64,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The database URL may hold a password.
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("issuer", &self.issuer)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "[redacted]"),
            )
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

fn read_file(path: &PathBuf) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))
}

/// Resolves the settings from flags/variables (`global`, `listen`) over the file over defaults.
pub fn resolve(global: &GlobalArgs, listen: Option<&str>) -> Result<Settings, String> {
    let file = match &global.config {
        Some(path) => read_file(path)?,
        None => FileConfig::default(),
    };
    let session_lifetime = global
        .session_lifetime
        .or(file.session_lifetime)
        .unwrap_or(gatehouse_oidc::interaction::SESSION_ABSOLUTE_SECONDS);
    let session_idle_timeout = global
        .session_idle_timeout
        .or(file.session_idle_timeout)
        .unwrap_or(gatehouse_oidc::interaction::SESSION_IDLE_SECONDS)
        .min(session_lifetime);
    for (name, value) in [
        ("session_lifetime", session_lifetime),
        ("session_idle_timeout", session_idle_timeout),
    ] {
        if !SESSION_SECONDS.contains(&value) {
            return Err(format!(
                "{name} must be between {} and {} seconds",
                SESSION_SECONDS.start(),
                SESSION_SECONDS.end()
            ));
        }
    }
    Ok(Settings {
        session_lifetime,
        session_idle_timeout,
        listen: listen
            .map(str::to_owned)
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned()),
        issuer: global.issuer.clone().or(file.issuer),
        database_url: global.database_url.clone().or(file.database_url),
        database_max_connections: global
            .database_max_connections
            .or(file.database_max_connections),
        data_dir: global
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./gatehouse-data")),
        tenant: global.tenant.clone(),
        log: global
            .log
            .clone()
            .or(file.log)
            .unwrap_or_else(|| "info,sqlx=warn".to_owned()),
        log_format: global
            .log_format
            .or(file.log_format)
            .unwrap_or(LogFormat::Text),
        signing_alg: global
            .signing_alg
            .or(file.signing_alg)
            .unwrap_or(Alg::Es256),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn parse(args: &[&str]) -> GlobalArgs {
        Cli::try_parse_from(args).unwrap().global
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gatehouse.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:4000\"\nissuer = \"https://id.example\"\nsigning_alg = \"rs256\"\n").unwrap();
        let config = path.to_str().unwrap();
        let global = parse(&[
            "gatehouse",
            "--config",
            config,
            "--issuer",
            "https://other.example",
            "migrate",
        ]);
        let settings = resolve(&global, None).unwrap();
        assert_eq!(settings.listen, "127.0.0.1:4000");
        assert_eq!(settings.issuer.as_deref(), Some("https://other.example"));
        assert_eq!(settings.signing_alg, Alg::Rs256);
        assert_eq!(settings.data_dir, PathBuf::from("./gatehouse-data"));
        assert_eq!(settings.session_lifetime, 14 * 86_400);
        assert_eq!(settings.session_idle_timeout, 3 * 86_400);
        assert_eq!(
            resolve(&global, Some("127.0.0.1:5000")).unwrap().listen,
            "127.0.0.1:5000"
        );
    }

    #[test]
    fn session_lifetimes_are_bounded_and_idle_never_exceeds_the_lifetime() {
        let settings = resolve(
            &parse(&["gatehouse", "--session-lifetime", "3600", "migrate"]),
            None,
        )
        .unwrap();
        assert_eq!(
            (settings.session_lifetime, settings.session_idle_timeout),
            (3600, 3600)
        );
        for bad in [
            ["--session-lifetime", "10"],
            ["--session-idle-timeout=-5", "--session-lifetime=3600"],
        ] {
            let global = parse(&["gatehouse", bad[0], bad[1], "migrate"]);
            assert!(resolve(&global, None).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for (text, needle) in [
            ("listne = \"x\"", "unknown field"),
            ("signing_alg = \"hs256\"", "unknown variant"),
        ] {
            let path = dir.path().join("bad.toml");
            std::fs::write(&path, text).unwrap();
            let global = parse(&["gatehouse", "--config", path.to_str().unwrap(), "migrate"]);
            let error = resolve(&global, None).unwrap_err();
            assert!(error.contains(needle), "{error}");
        }
        let global = parse(&[
            "gatehouse",
            "--config",
            "/nonexistent/gatehouse.toml",
            "migrate",
        ]);
        assert!(resolve(&global, None).unwrap_err().contains("cannot read"));
    }
}
