//! Where logins live: the OS keychain for secrets when one is reachable (the Secret Service
//! over D-Bus on Linux, the Keychain on macOS, the Credential Manager on Windows), else a
//! file only its owner can read. An index file (no secrets) lists the logins, one per account
//! and server,
//! and names the default one.
//!
//! ```text
//!  <dir>/               0700
//!    logins.json        0600  servers, who, how, where the secrets are (no secrets)
//!    credentials/       0700
//!      <sha256(server account)>.json  0600  secrets, only when no keychain is reachable
//!    .lock                    held while a refresh rotates a refresh token
//! ```
//! Every file is written to a temporary file and renamed, so a crash never leaves half a
//! credential, and a rotated refresh token is never lost.

use crate::oauth::TokenSet;
use crate::pkce::random_urlsafe;
use crate::{Error, Secret};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How a login was made (and so how its access tokens are renewed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginMethod {
    /// Browser + authorization code + PKCE on a loopback callback: renewed by refresh.
    Browser,
    /// Device authorization grant: renewed by refresh.
    Device,
    /// A personal access token read from stdin: exchanged for access tokens (RFC 8693).
    Token,
    /// A machine's client ID and secret: client credentials grant.
    ClientCredentials,
}

/// Where a login's secrets are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Storage {
    /// The OS keychain.
    Keychain,
    /// A file readable only by its owner.
    File,
}

/// One login (no secrets).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Login {
    /// The issuer logged in to.
    pub server: String,
    /// How.
    pub method: LoginMethod,
    /// The client used.
    pub client_id: String,
    /// The `sub` of the person (or the client for client credentials), when known.
    #[serde(default)]
    pub subject: Option<String>,
    /// A name to show (username, email or client), when known.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The scope asked for at login.
    #[serde(default)]
    pub scope: String,
    /// The resources (RFC 8707) asked for at login.
    #[serde(default)]
    pub resources: Vec<String>,
    /// The resource to name when refreshing for the login's own token, if any.
    #[serde(default)]
    pub own_resource: Option<String>,
    /// Where the secrets are.
    pub storage: Storage,
    /// When (seconds since the Unix epoch).
    pub logged_in_at: u64,
}

impl Login {
    /// What identifies the login in the store: the server and the account on it, so several
    /// accounts of one server sit side by side.
    pub fn key(&self) -> String {
        match &self.subject {
            Some(subject) => format!("{} {subject}", self.server),
            None => self.server.clone(),
        }
    }

    /// Whether `user` names this login's account: its subject, or its display name
    /// (case-insensitively).
    pub fn is_user(&self, user: &str) -> bool {
        self.subject.as_deref() == Some(user)
            || self
                .display_name
                .as_deref()
                .is_some_and(|name| name.eq_ignore_ascii_case(user))
    }
}

/// A login's secrets.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Secrets {
    /// The login's own tokens (with the refresh token, for browser and device logins).
    #[serde(default)]
    pub tokens: Option<TokenSet>,
    /// The personal access token of a `Token` login.
    #[serde(default)]
    pub personal_access_token: Option<Secret>,
    /// The client secret of a `ClientCredentials` login.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// Access tokens for other resources, by resource indicator (no refresh tokens).
    #[serde(default)]
    pub resource_tokens: BTreeMap<String, TokenSet>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Index {
    /// The key ([`Login::key`]) of the default login.
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    logins: Vec<Login>,
}

/// How long a keychain call may take before the file is used instead (a missing D-Bus
/// service may hang).
const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// How long reading a stored login may take: a locked keychain may ask the person to unlock it.
const KEYCHAIN_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The credential store of one application.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    service: String,
    use_keychain: bool,
}

/// The default configuration directory of `app`: `$XDG_CONFIG_HOME/app`, else
/// `~/.config/app` (on macOS too, as most CLIs do), or `%APPDATA%\app` on Windows.
pub fn default_dir(app: &str) -> Option<PathBuf> {
    if cfg!(windows) {
        return std::env::var_os("APPDATA").map(|base| PathBuf::from(base).join(app));
    }
    if let Some(base) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(base).join(app));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config").join(app))
}

impl Store {
    /// A store in `dir` (created 0700 if missing, tightened to 0700 if open to others);
    /// secrets go to the keychain under `service` unless `use_keychain` is false.
    pub fn open(dir: &Path, service: &str, use_keychain: bool) -> Result<Self, Error> {
        private_dir(dir)?;
        Ok(Self {
            dir: dir.to_owned(),
            service: service.to_owned(),
            use_keychain,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn index_path(&self) -> PathBuf {
        self.dir.join("logins.json")
    }

    /// The file holding a login's secrets when no keychain is used.
    pub fn credentials_path(&self, login: &Login) -> PathBuf {
        let digest = Sha256::digest(login.key().as_bytes());
        let name: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        self.dir.join("credentials").join(format!("{name}.json"))
    }

    fn read_index(&self) -> Result<Index, Error> {
        match std::fs::read(self.index_path()) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|_| Error::Storage(format!("{} is corrupt", self.index_path().display()))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Index::default()),
            Err(error) => Err(Error::Io(error)),
        }
    }

    fn write_index(&self, index: &Index) -> Result<(), Error> {
        let bytes = serde_json::to_vec_pretty(index)
            .map_err(|_| Error::Storage("cannot encode the login index".to_owned()))?;
        write_private(&self.index_path(), &bytes)
    }

    /// Every login, the default one first.
    pub fn logins(&self) -> Result<Vec<Login>, Error> {
        let index = self.read_index()?;
        let mut logins = index.logins;
        logins.sort_by_key(|login| Some(login.key()) != index.default);
        Ok(logins)
    }

    /// The login for `server` (its default account), or the default login when `server` is
    /// `None`.
    pub fn login(&self, server: Option<&str>) -> Result<Option<Login>, Error> {
        self.find(server, None)
    }

    /// The login of `user` (subject or display name) on `server`, either one or both left
    /// open: the default login if it matches, else the most recent one that does.
    pub fn find(&self, server: Option<&str>, user: Option<&str>) -> Result<Option<Login>, Error> {
        let index = self.read_index()?;
        let server = server.map(|s| s.trim_end_matches('/'));
        let matching: Vec<Login> = index
            .logins
            .into_iter()
            .filter(|l| server.is_none_or(|s| l.server == s))
            .filter(|l| user.is_none_or(|u| l.is_user(u)))
            .collect();
        let default = matching
            .iter()
            .find(|l| Some(l.key()) == index.default)
            .cloned();
        Ok(default.or_else(|| matching.last().cloned()))
    }

    /// The login with this [`Login::key`], as stored now.
    pub fn by_key(&self, key: &str) -> Result<Option<Login>, Error> {
        Ok(self
            .read_index()?
            .logins
            .into_iter()
            .find(|l| l.key() == key))
    }

    /// Makes a login the default one.
    pub async fn set_default(&self, login: &Login) -> Result<(), Error> {
        let _guard = self.lock().await?;
        let mut index = self.read_index()?;
        if !index.logins.iter().any(|l| l.key() == login.key()) {
            return Err(Error::NotLoggedIn);
        }
        index.default = Some(login.key());
        self.write_index(&index)
    }

    /// Saves a login and its secrets (in the keychain if one answers, else in a 0600 file),
    /// makes it the default, and returns it with `storage` set. Takes the store's lock, so a
    /// command renewing the previous login of the same server cannot overwrite it.
    pub async fn save(&self, login: Login, secrets: &Secrets) -> Result<Login, Error> {
        let _guard = self.lock().await?;
        self.save_locked(login, secrets).await
    }

    async fn save_locked(&self, mut login: Login, secrets: &Secrets) -> Result<Login, Error> {
        let key = login.key();
        let previous = self.by_key(&key)?;
        login.storage = if self.use_keychain && self.keychain_set(&key, secrets).await {
            Storage::Keychain
        } else {
            self.file_set(&login, secrets)?;
            Storage::File
        };
        // The other place must not keep an older copy.
        match (previous.map(|p| p.storage), login.storage) {
            (Some(Storage::File), Storage::Keychain) => self.file_delete(&login)?,
            (Some(Storage::Keychain), Storage::File) => {
                self.keychain_delete(&key).await;
            }
            _ => {}
        }
        let mut index = self.read_index()?;
        index.logins.retain(|l| l.key() != key);
        index.default = Some(key);
        index.logins.push(login.clone());
        self.write_index(&index)?;
        Ok(login)
    }

    /// A login's secrets.
    pub async fn secrets(&self, login: &Login) -> Result<Secrets, Error> {
        let bytes = match login.storage {
            Storage::Keychain => self.keychain_get(&login.key()).await?,
            Storage::File => match std::fs::read(self.credentials_path(login)) {
                Ok(bytes) => bytes,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    return Err(Error::NotLoggedIn);
                }
                Err(error) => return Err(Error::Io(error)),
            },
        };
        serde_json::from_slice(&bytes)
            .map_err(|_| Error::Storage("the stored credentials are corrupt".to_owned()))
    }

    /// Replaces a login's secrets where they are (after a refresh rotated the refresh token);
    /// the caller holds the lock. Should the keychain fail now, the secrets go to the 0600
    /// file instead (and the index says so): a rotated refresh token is never dropped, since
    /// presenting the old one again would end the login.
    pub async fn update_secrets(&self, login: &Login, secrets: &Secrets) -> Result<(), Error> {
        let key = login.key();
        if login.storage == Storage::Keychain && self.keychain_set(&key, secrets).await {
            return Ok(());
        }
        self.file_set(login, secrets)?;
        if login.storage == Storage::Keychain {
            let mut index = self.read_index()?;
            for entry in index.logins.iter_mut().filter(|l| l.key() == key) {
                entry.storage = Storage::File;
            }
            self.write_index(&index)?;
            // A late keychain write must not leave an older copy behind.
            self.keychain_delete(&key).await;
        }
        Ok(())
    }

    /// Forgets a login: its secrets wherever they are, and its entry.
    pub async fn remove(&self, login: &Login) -> Result<(), Error> {
        let _guard = self.lock().await?;
        self.remove_locked(login).await
    }

    /// [`Store::remove`] for a caller that holds the lock.
    pub async fn remove_locked(&self, login: &Login) -> Result<(), Error> {
        let key = login.key();
        self.keychain_delete(&key).await;
        self.file_delete(login)?;
        let mut index = self.read_index()?;
        index.logins.retain(|l| l.key() != key);
        if index.default.as_deref() == Some(key.as_str()) {
            index.default = index.logins.last().map(Login::key);
        }
        self.write_index(&index)
    }

    /// Holds the store's lock until the guard is dropped: one process at a time refreshes,
    /// so two commands running at once never both present the same refresh token (which
    /// would revoke the whole login at a server with reuse detection).
    pub async fn lock(&self) -> Result<LockGuard, Error> {
        let path = self.dir.join(".lock");
        let file = tokio::task::spawn_blocking(move || -> Result<File, std::io::Error> {
            let file = private_options().read(true).write(true).open(&path)?;
            if file.try_lock().is_err() {
                eprintln!("Waiting for another command using the same credentials...");
                file.lock()?;
            }
            Ok(file)
        })
        .await
        .map_err(|_| Error::Storage("the lock task failed".to_owned()))?
        .map_err(Error::Io)?;
        Ok(LockGuard { _file: file })
    }

    fn file_set(&self, login: &Login, secrets: &Secrets) -> Result<(), Error> {
        let path = self.credentials_path(login);
        if let Some(parent) = path.parent() {
            private_dir(parent)?;
        }
        let bytes = serde_json::to_vec(secrets)
            .map_err(|_| Error::Storage("cannot encode the credentials".to_owned()))?;
        write_private(&path, &bytes)
    }

    fn file_delete(&self, login: &Login) -> Result<(), Error> {
        match std::fs::remove_file(self.credentials_path(login)) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(Error::Io(error)),
            _ => Ok(()),
        }
    }

    async fn keychain_set(&self, key: &str, secrets: &Secrets) -> bool {
        let Ok(value) = serde_json::to_string(secrets) else {
            return false;
        };
        self.keychain(key, move |entry| entry.set_password(&value))
            .await
            .is_some()
    }

    async fn keychain_get(&self, key: &str) -> Result<Vec<u8>, Error> {
        match self
            .keychain_with(key, KEYCHAIN_READ_TIMEOUT, |entry| entry.get_password())
            .await
        {
            Some(value) => Ok(value.into_bytes()),
            None => Err(Error::Storage(
                "the credentials are in the keychain, which does not answer or no longer has them"
                    .to_owned(),
            )),
        }
    }

    async fn keychain_delete(&self, key: &str) {
        let _ = self.keychain(key, |entry| entry.delete_credential()).await;
    }

    /// Runs a keychain call off the async threads, with a time limit; `None` when there is
    /// no keychain, it refused, or it did not answer.
    async fn keychain<T: Send + 'static>(
        &self,
        key: &str,
        call: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> Option<T> {
        self.keychain_with(key, KEYCHAIN_TIMEOUT, call).await
    }

    async fn keychain_with<T: Send + 'static>(
        &self,
        key: &str,
        limit: Duration,
        call: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> Option<T> {
        if !self.use_keychain {
            return None;
        }
        let (service, user) = (self.service.clone(), key.to_owned());
        let task = tokio::task::spawn_blocking(move || {
            let entry = keyring::Entry::new(&service, &user).ok()?;
            call(&entry).ok()
        });
        tokio::time::timeout(limit, task).await.ok()?.ok().flatten()
    }
}

/// Keeps the store locked while alive.
#[derive(Debug)]
pub struct LockGuard {
    _file: File,
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates `dir` (0700) or tightens an existing one to 0700.
fn private_dir(dir: &Path) -> Result<(), Error> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(Error::Io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)
            .map_err(Error::Io)?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(Error::Io)?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically, readable only by its owner.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let Some(parent) = path.parent() else {
        return Err(Error::Storage(
            "a credential path has no directory".to_owned(),
        ));
    };
    let temporary = parent.join(format!(".tmp-{}", random_urlsafe(9)));
    let result = (|| -> std::io::Result<()> {
        let mut file = private_options()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result.map_err(Error::Io)
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

    fn login(server: &str) -> Login {
        Login {
            server: server.to_owned(),
            method: LoginMethod::Browser,
            client_id: "cli".to_owned(),
            subject: Some("u1".to_owned()),
            display_name: Some("ada".to_owned()),
            scope: "openid offline_access".to_owned(),
            resources: vec![],
            own_resource: None,
            storage: Storage::File,
            logged_in_at: 1,
        }
    }

    fn secrets(refresh: &str) -> Secrets {
        Secrets {
            tokens: Some(TokenSet {
                access_token: Secret::new("at"),
                refresh_token: Some(Secret::new(refresh)),
                id_token: None,
                expires_at: Some(10),
                scope: None,
            }),
            ..Secrets::default()
        }
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[tokio::test]
    async fn files_are_private_and_logins_sit_side_by_side() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("gatehouse");
        let store = Store::open(&dir, "test", false).unwrap();
        let a = store
            .save(login("https://a.example"), &secrets("rt-a"))
            .await
            .unwrap();
        let b = store
            .save(login("https://b.example"), &secrets("rt-b"))
            .await
            .unwrap();
        assert_eq!((a.storage, b.storage), (Storage::File, Storage::File));
        #[cfg(unix)]
        {
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(&dir.join("credentials")), 0o700);
            assert_eq!(mode(&dir.join("logins.json")), 0o600);
            assert_eq!(mode(&store.credentials_path(&a)), 0o600);
        }
        // The index holds no secret.
        let index = std::fs::read_to_string(dir.join("logins.json")).unwrap();
        assert!(!index.contains("rt-a") && !index.contains("access_token"));
        // The last login is the default; both are there.
        assert_eq!(
            store.login(None).unwrap().unwrap().server,
            "https://b.example"
        );
        let first = store.login(Some("https://a.example/")).unwrap().unwrap();
        let stored = store.secrets(&first).await.unwrap();
        assert_eq!(
            stored.tokens.unwrap().refresh_token.unwrap().expose(),
            "rt-a"
        );
        assert_eq!(store.logins().unwrap().len(), 2);
        // Removing one keeps the other and moves the default.
        store.remove(&b).await.unwrap();
        assert!(!store.credentials_path(&b).exists());
        assert_eq!(
            store.login(None).unwrap().unwrap().server,
            "https://a.example"
        );
        // Only the two regular files remain: no temporary file left behind.
        let names: Vec<_> = std::fs::read_dir(dir.join("credentials"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[tokio::test]
    async fn several_accounts_of_one_server_sit_side_by_side() {
        let base = tempfile::tempdir().unwrap();
        let store = Store::open(base.path(), "test", false).unwrap();
        let as_user = |subject: &str, name: &str| Login {
            subject: Some(subject.to_owned()),
            display_name: Some(name.to_owned()),
            ..login("https://id.example")
        };
        let ada = store
            .save(as_user("u1", "ada"), &secrets("rt-ada"))
            .await
            .unwrap();
        let bob = store
            .save(as_user("u2", "bob"), &secrets("rt-bob"))
            .await
            .unwrap();
        assert_ne!(store.credentials_path(&ada), store.credentials_path(&bob));
        // The last login is the server's default; either account can be picked by name or sub.
        let default = store.login(Some("https://id.example")).unwrap().unwrap();
        assert_eq!(default.display_name.as_deref(), Some("bob"));
        let picked = store
            .find(Some("https://id.example"), Some("ADA"))
            .unwrap()
            .unwrap();
        assert_eq!(picked.key(), ada.key());
        assert_eq!(
            store.find(None, Some("u2")).unwrap().unwrap().key(),
            bob.key()
        );
        assert!(store.find(None, Some("carol")).unwrap().is_none());
        let secrets_of = |login: Login| {
            let store = store.clone();
            async move {
                store
                    .secrets(&login)
                    .await
                    .unwrap()
                    .tokens
                    .unwrap()
                    .refresh_token
                    .unwrap()
            }
        };
        assert_eq!(secrets_of(picked.clone()).await.expose(), "rt-ada");
        assert_eq!(secrets_of(default).await.expose(), "rt-bob");
        // Switching the default; logging in again replaces only that account.
        store.set_default(&ada).await.unwrap();
        assert_eq!(store.login(None).unwrap().unwrap().key(), ada.key());
        store
            .save(as_user("u1", "ada"), &secrets("rt-ada-2"))
            .await
            .unwrap();
        assert_eq!(store.logins().unwrap().len(), 2);
        // Removing one account keeps the other.
        store.remove(&ada).await.unwrap();
        assert_eq!(store.logins().unwrap().len(), 1);
        assert_eq!(store.login(None).unwrap().unwrap().key(), bob.key());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn an_open_directory_is_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("open");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        Store::open(&dir, "test", false).unwrap();
        assert_eq!(mode(&dir), 0o700);
    }

    #[tokio::test]
    async fn updates_replace_the_refresh_token_atomically() {
        let base = tempfile::tempdir().unwrap();
        let store = Store::open(base.path(), "test", false).unwrap();
        let saved = store
            .save(login("https://a.example"), &secrets("rt-1"))
            .await
            .unwrap();
        let _guard = store.lock().await.unwrap();
        store
            .update_secrets(&saved, &secrets("rt-2"))
            .await
            .unwrap();
        let stored = store.secrets(&saved).await.unwrap();
        assert_eq!(
            stored.tokens.unwrap().refresh_token.unwrap().expose(),
            "rt-2"
        );
    }
}
