//! `gatehouse auth ...` without a browser: a machine logging in with client credentials, a
//! person with a personal access token, `GATEHOUSE_TOKEN`, the 0600 files used when no
//! keychain is reachable, no token in any output but `auth token`'s, logout, and the exit
//! code and message when a login is needed. (The browser and device logins are driven by
//! Chromium in e2e/cli.)

use crate::common::{Backend, ServeOptions, Server, http, start};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A CLI user's home: its config dir, no keychain (D-Bus pointed nowhere), no browser.
struct Home {
    config: PathBuf,
}

impl Home {
    fn new(backend: &Backend) -> Self {
        Self {
            config: backend.dir.path().join("cli-config"),
        }
    }

    fn command(&self, backend: &Backend, args: &[&str]) -> Command {
        let mut command = backend.bare_command();
        command
            .args(args)
            .env("GATEHOUSE_CONFIG_DIR", &self.config)
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
            .env_remove("BROWSER")
            .env_remove("DISPLAY");
        command
    }

    fn run(&self, backend: &Backend, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
        let mut command = self.command(backend, args);
        for (name, value) in env {
            command.env(name, value);
        }
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    fn credentials_files(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.config.join("credentials")) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

async fn bearer_status(server: &Server, path: &str, token: &str) -> StatusCode {
    http()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_machine_logs_in_with_client_credentials() {
    let backend = Backend::new().await;
    let client = backend.create_management_client();
    let server = start(&backend, &ServeOptions::default()).await;
    let home = Home::new(&backend);
    let base = server.base.as_str();

    // Plain http to another machine is refused before anything is sent.
    let insecure = home.run(
        &backend,
        &[
            "auth",
            "login",
            "--server",
            "http://id.example.invalid",
            "--device",
        ],
        &[],
        "",
    );
    assert_eq!(insecure.status.code(), Some(1));
    assert!(
        text(&insecure).1.contains("plain http"),
        "{:?}",
        text(&insecure)
    );

    // Before any login: exit code 4 and the next step.
    let status = home.run(&backend, &["auth", "status"], &[], "");
    assert_eq!(status.status.code(), Some(4));
    assert!(
        text(&status).1.contains("gatehouse auth login"),
        "{:?}",
        text(&status)
    );
    let token = home.run(&backend, &["auth", "token", "--server", base], &[], "");
    assert_eq!(token.status.code(), Some(4));
    assert!(token.stdout.is_empty());

    // A wrong secret: refused, nothing stored.
    let wrong = home.run(
        &backend,
        &["auth", "login", "--server", base, "--client-id", &client.id],
        &[("GATEHOUSE_CLIENT_SECRET", "gh_cs_wrong")],
        "",
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong).1.contains("refused"), "{:?}", text(&wrong));
    assert!(home.credentials_files().is_empty());

    let login = home.run(
        &backend,
        &["auth", "login", "--server", base, "--client-id", &client.id],
        &[("GATEHOUSE_CLIENT_SECRET", &client.secret)],
        "",
    );
    let (out, err) = text(&login);
    assert!(login.status.success(), "{err}");
    assert!(out.is_empty(), "login printed on stdout: {out}");
    assert!(
        err.contains("Logged in to") && err.contains("client credentials"),
        "{err}"
    );
    assert!(!err.contains(&client.secret));

    // Stored in private files; status says where and warns.
    let files = home.credentials_files();
    assert_eq!(files.len(), 1);
    #[cfg(unix)]
    {
        assert_eq!(mode(&home.config), 0o700);
        assert_eq!(mode(&home.config.join("credentials")), 0o700);
        assert_eq!(mode(&files[0]), 0o600);
        assert_eq!(mode(&home.config.join("logins.json")), 0o600);
    }
    let index = std::fs::read_to_string(home.config.join("logins.json")).unwrap();
    assert!(!index.contains(&client.secret), "the index holds a secret");
    let status = home.run(&backend, &["auth", "status", "--json"], &[], "");
    assert!(status.status.success(), "{:?}", text(&status));
    let report: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(report["logged_in"], true);
    assert_eq!(report["server"], base);
    assert_eq!(report["method"], "client_credentials");
    assert_eq!(report["storage"], "file");
    assert_eq!(report["credentials_file"], files[0].display().to_string());
    let human = home.run(&backend, &["auth", "status"], &[], "");
    assert!(
        text(&human).1.contains("no system keychain"),
        "{:?}",
        text(&human)
    );

    // `auth token` (the only command printing a token) gives a Management API token.
    let token = home.run(&backend, &["auth", "token"], &[], "");
    assert!(token.status.success(), "{:?}", text(&token));
    let jwt = text(&token).0.trim().to_owned();
    assert_eq!(jwt.split('.').count(), 3);
    assert_eq!(
        bearer_status(&server, "/api/applications", &jwt).await,
        StatusCode::OK
    );
    for output in [&login, &status, &human] {
        let (out, err) = text(output);
        assert!(!out.contains(&jwt) && !err.contains(&jwt), "a token leaked");
    }

    // --debug shows requests, never the secret or a token.
    std::fs::remove_file(&files[0]).ok();
    let relogin = home.run(
        &backend,
        &[
            "auth",
            "login",
            "--server",
            base,
            "--client-id",
            &client.id,
            "--debug",
        ],
        &[("GATEHOUSE_CLIENT_SECRET", &client.secret)],
        "",
    );
    let (_, err) = text(&relogin);
    assert!(relogin.status.success(), "{err}");
    assert!(
        err.contains("[debug] POST") && err.contains("Basic [redacted]"),
        "{err}"
    );
    assert!(!err.contains(&client.secret));
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(&home.credentials_files()[0]).unwrap())
            .unwrap();
    let access = stored["tokens"]["access_token"].as_str().unwrap();
    assert!(!err.contains(access), "--debug printed the access token");

    // Management commands use the stored login (and its server) without GATEHOUSE_TOKEN.
    let apps = home.run(&backend, &["apps", "list", "--json"], &[], "");
    assert!(apps.status.success(), "{:?}", text(&apps));
    let listed: Value = serde_json::from_slice(&apps.stdout).unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|app| app["id"] == client.id.as_str()),
        "{listed}"
    );
    // --debug traces the requests (token exchange and API call), never a token or secret.
    let traced = home.run(&backend, &["apps", "list", "--debug"], &[], "");
    let (_, err) = text(&traced);
    assert!(traced.status.success(), "{err}");
    assert!(
        err.contains("[debug] GET") && err.contains("/api/applications"),
        "{err}"
    );
    assert!(err.contains("Bearer [redacted]"), "{err}");
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(&home.credentials_files()[0]).unwrap())
            .unwrap();
    for token in [
        stored["resource_tokens"][format!("{base}/api")]["access_token"]
            .as_str()
            .unwrap(),
        client.secret.as_str(),
    ] {
        assert!(!err.contains(token), "--debug printed a secret");
    }

    // The server refuses the cached token (revoked): the command renews it and succeeds.
    let read_stored = || -> Value {
        serde_json::from_str(&std::fs::read_to_string(&home.credentials_files()[0]).unwrap())
            .unwrap()
    };
    let cached = read_stored()["resource_tokens"][format!("{base}/api")]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = http()
        .post(server.url("/oauth2/revoke"))
        .header("Authorization", client.basic())
        .form(&[("token", cached.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(
        bearer_status(&server, "/api/applications", &cached).await,
        StatusCode::UNAUTHORIZED
    );
    let again = home.run(&backend, &["apps", "list", "--json"], &[], "");
    assert!(again.status.success(), "{:?}", text(&again));
    let renewed = read_stored()["resource_tokens"][format!("{base}/api")]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(renewed, cached, "the refused token was not renewed");

    // Logout deletes the local copies.
    let logout = home.run(&backend, &["auth", "logout"], &[], "");
    assert!(logout.status.success(), "{:?}", text(&logout));
    assert!(home.credentials_files().is_empty());
    assert_eq!(
        home.run(&backend, &["auth", "status"], &[], "")
            .status
            .code(),
        Some(4)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_with_a_personal_access_token() {
    let backend = Backend::new().await;
    let client = backend.create_management_client();
    let admin = backend.json(&[
        "admin",
        "bootstrap",
        "--email",
        "root@example.com",
        "--password",
        "a long admin passphrase",
        "--json",
    ]);
    let admin_id = admin["id"].as_str().unwrap();
    let server = start(&backend, &ServeOptions::default()).await;
    let base = server.base.as_str();
    let http = http();

    // An administrator's PAT, made with the Management API.
    let management: Value = http
        .post(server.url("/oauth2/token"))
        .header("Authorization", client.basic())
        .form(&[
            ("grant_type", "client_credentials"),
            ("resource", &format!("{base}/api")),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let management = management["access_token"].as_str().unwrap();
    let created: Value = http
        .post(server.url(&format!("/api/users/{admin_id}/tokens")))
        .bearer_auth(management)
        .json(&json!({"name": "laptop", "scopes": ["openid", "profile", "all"], "expires_in_days": 7}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pat = created["token"].as_str().unwrap().to_owned();
    let pat_id = created["id"].as_str().unwrap();

    let home = Home::new(&backend);
    // An exported client secret (for machine logins) does not get in the way.
    let login = home.run(
        &backend,
        &["auth", "login", "--server", base, "--with-token", "--debug"],
        &[("GATEHOUSE_CLIENT_SECRET", "gh_cs_for_another_login")],
        &format!("{pat}\n"),
    );
    let (out, err) = text(&login);
    assert!(login.status.success(), "{err}");
    assert!(err.contains("personal access token"), "{err}");
    assert!(!out.contains(&pat) && !err.contains(&pat), "the PAT leaked");
    assert!(err.contains("subject_token=[redacted]"), "{err}");

    // Its own token works at UserInfo, and one for the Management API is exchanged on demand.
    let own = text(&home.run(&backend, &["auth", "token"], &[], "")).0;
    assert_eq!(
        bearer_status(&server, "/oauth2/userinfo", own.trim()).await,
        StatusCode::OK
    );
    let api = home.run(
        &backend,
        &["auth", "token", "--resource", &format!("{base}/api")],
        &[],
        "",
    );
    assert!(api.status.success(), "{:?}", text(&api));
    let api = text(&api).0.trim().to_owned();
    assert_ne!(api, pat);
    assert_eq!(
        bearer_status(&server, "/api/applications", &api).await,
        StatusCode::OK
    );

    // GATEHOUSE_TOKEN wins over the stored login: a JWT is used as is, a PAT is exchanged.
    let env_jwt = home.run(
        &backend,
        &["auth", "token"],
        &[("GATEHOUSE_TOKEN", &api)],
        "",
    );
    assert_eq!(text(&env_jwt).0.trim(), api);
    let env_status = home.run(
        &backend,
        &["auth", "status"],
        &[("GATEHOUSE_TOKEN", &api)],
        "",
    );
    assert!(text(&env_status).1.contains("GATEHOUSE_TOKEN"));
    let env_pat = home.run(
        &backend,
        &[
            "auth",
            "token",
            "--server",
            base,
            "--resource",
            &format!("{base}/api"),
        ],
        &[("GATEHOUSE_TOKEN", &pat)],
        "",
    );
    assert!(env_pat.status.success(), "{:?}", text(&env_pat));
    let exchanged = text(&env_pat).0.trim().to_owned();
    assert_ne!(exchanged, pat);
    assert_eq!(
        bearer_status(&server, "/api/applications", &exchanged).await,
        StatusCode::OK
    );

    // The PAT is revoked: once the cached token is gone, the clear re-login message.
    let revoked = http
        .delete(server.url(&format!("/api/users/{admin_id}/tokens/{pat_id}")))
        .bearer_auth(management)
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success(), "{}", revoked.status());
    let file = &home.credentials_files()[0];
    let mut stored: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    assert_eq!(stored["personal_access_token"], pat.as_str());
    stored["tokens"]["expires_at"] = json!(1);
    std::fs::write(file, stored.to_string()).unwrap();
    let expired = home.run(&backend, &["auth", "token"], &[], "");
    assert_eq!(expired.status.code(), Some(4), "{:?}", text(&expired));
    assert!(expired.stdout.is_empty());
    assert!(
        text(&expired)
            .1
            .contains("Session expired. Run `gatehouse auth login`."),
        "{:?}",
        text(&expired)
    );
}

/// A private D-Bus session bus with GNOME Keyring's Secret Service on it (unlocked), both
/// killed when dropped: the keychain a Linux desktop has.
struct SecretService {
    bus: std::process::Child,
    keyring: std::process::Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Drop for SecretService {
    fn drop(&mut self) {
        let _ = self.keyring.kill();
        let _ = self.keyring.wait();
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

impl SecretService {
    fn start() -> Self {
        for tool in ["dbus-daemon", "dbus-send", "gnome-keyring-daemon"] {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success());
            assert!(
                found,
                "{tool} is needed for the keychain test (scripts/test installs Debian's dbus and gnome-keyring)"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(bus.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let address = line.trim().to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon printed {line:?}");
        let runtime = dir.path().join("run");
        std::fs::create_dir(&runtime).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The keyring's password, then end of input.
        keyring.stdin.take().unwrap().write_all(b"test").unwrap();
        let service = Self {
            bus,
            keyring,
            address,
            _dir: dir,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let owned = Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ])
                .env("DBUS_SESSION_BUS_ADDRESS", &service.address)
                .output()
                .unwrap();
            if String::from_utf8_lossy(&owned.stdout).contains("boolean true") {
                return service;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the Secret Service never appeared on the bus"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_go_to_the_secret_service_when_one_answers() {
    let keychain = SecretService::start();
    let backend = Backend::new().await;
    let client = backend.create_management_client();
    let server = start(&backend, &ServeOptions::default()).await;
    let home = Home::new(&backend);
    let base = server.base.as_str();
    let bus = [("DBUS_SESSION_BUS_ADDRESS", keychain.address.as_str())];

    let mut env = bus.to_vec();
    env.push(("GATEHOUSE_CLIENT_SECRET", &client.secret));
    let login = home.run(
        &backend,
        &["auth", "login", "--server", base, "--client-id", &client.id],
        &env,
        "",
    );
    assert!(login.status.success(), "{:?}", text(&login));
    assert!(
        text(&login).1.contains("the system keychain"),
        "{:?}",
        text(&login)
    );
    // No secret on disk: only the index, which holds none.
    assert!(home.credentials_files().is_empty());
    let index = std::fs::read_to_string(home.config.join("logins.json")).unwrap();
    assert!(!index.contains(&client.secret));

    let status = home.run(&backend, &["auth", "status", "--json"], &bus, "");
    assert!(status.status.success(), "{:?}", text(&status));
    let report: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(report["storage"], "keychain");
    assert_eq!(report["credentials_file"], Value::Null);

    // The token is read back from the keychain.
    let token = home.run(&backend, &["auth", "token"], &bus, "");
    assert!(token.status.success(), "{:?}", text(&token));
    let jwt = text(&token).0.trim().to_owned();
    assert_eq!(
        bearer_status(&server, "/api/applications", &jwt).await,
        StatusCode::OK
    );

    // Without the keychain (another session), the stored login cannot be read: a clear error.
    let elsewhere = home.run(
        &backend,
        &["auth", "token"],
        &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")],
        "",
    );
    assert!(!elsewhere.status.success());
    assert!(
        text(&elsewhere).1.contains("keychain"),
        "{:?}",
        text(&elsewhere)
    );

    let logout = home.run(&backend, &["auth", "logout"], &bus, "");
    assert!(logout.status.success(), "{:?}", text(&logout));
    assert_eq!(
        home.run(&backend, &["auth", "status"], &bus, "")
            .status
            .code(),
        Some(4)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_accounts_of_one_server_sit_side_by_side() {
    let backend = Backend::new().await;
    let client = backend.create_management_client();
    let mut people = Vec::new();
    for name in ["ada", "bob"] {
        let created = backend.json(&[
            "admin",
            "users",
            "create",
            "--username",
            name,
            "--password",
            "a long enough passphrase",
            "--json",
        ]);
        people.push((name, created["id"].as_str().unwrap().to_owned()));
    }
    let server = start(&backend, &ServeOptions::default()).await;
    let base = server.base.as_str();
    let http = http();
    let management: Value = http
        .post(server.url("/oauth2/token"))
        .header("Authorization", client.basic())
        .form(&[
            ("grant_type", "client_credentials"),
            ("resource", &format!("{base}/api")),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let management = management["access_token"].as_str().unwrap();
    let home = Home::new(&backend);
    for (name, id) in &people {
        let created: Value = http
            .post(server.url(&format!("/api/users/{id}/tokens")))
            .bearer_auth(management)
            .json(&json!({"name": "cli", "scopes": ["openid", "profile"], "expires_in_days": 1}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let pat = created["token"].as_str().unwrap();
        let login = home.run(
            &backend,
            &["auth", "login", "--server", base, "--with-token"],
            &[],
            &format!("{pat}\n"),
        );
        assert!(login.status.success(), "{:?}", text(&login));
        assert!(
            text(&login).1.contains(&format!("as {name}")),
            "{:?}",
            text(&login)
        );
    }
    assert_eq!(
        home.credentials_files().len(),
        2,
        "one credential per account"
    );

    // Whose token: the last login by default, the other with --user.
    let sub_of = |args: &[&str]| {
        let output = home.run(&backend, args, &[], "");
        assert!(output.status.success(), "{:?}", text(&output));
        text(&output).0.trim().to_owned()
    };
    let userinfo_sub = |token: String| {
        let http = http.clone();
        let url = server.url("/oauth2/userinfo");
        async move {
            let claims: Value = http
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            claims["sub"].as_str().unwrap().to_owned()
        }
    };
    let (ada, bob) = (&people[0].1, &people[1].1);
    assert_eq!(&userinfo_sub(sub_of(&["auth", "token"])).await, bob);
    assert_eq!(
        &userinfo_sub(sub_of(&["auth", "token", "--user", "ada"])).await,
        ada
    );
    let status = home.run(&backend, &["auth", "status", "--json"], &[], "");
    let report: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(report["user"], "bob");
    assert_eq!(report["other_logins"][0]["user"], "ada", "{report}");

    // Switching the default, then logging one account out keeps the other.
    let switched = home.run(&backend, &["auth", "switch", "--user", "ada"], &[], "");
    assert!(switched.status.success(), "{:?}", text(&switched));
    assert_eq!(&userinfo_sub(sub_of(&["auth", "token"])).await, ada);
    let unknown = home.run(&backend, &["auth", "switch", "--user", "carol"], &[], "");
    assert_eq!(unknown.status.code(), Some(4));
    let logout = home.run(&backend, &["auth", "logout", "--user", "ada"], &[], "");
    assert!(logout.status.success(), "{:?}", text(&logout));
    assert_eq!(home.credentials_files().len(), 1);
    assert_eq!(&userinfo_sub(sub_of(&["auth", "token"])).await, bob);
}
