//! A typed async client for the Gatehouse Management API (`<server>/api`), used by the
//! `gatehouse` command-line tool and the tests.
//!
//! Requests and answers are the wire types of [`gatehouse_types::management`]; errors are one
//! [`ClientError`] that tells a refused token (401, with the `WWW-Authenticate` error), a
//! forbidden call (403), a missing record (404) and the server's RFC 9457 problems (with their
//! stable `code` and per-field validation errors) from transport failures and answers that are
//! not the Management API's. The bearer token is never part of an error or of `Debug` output.
//!
//! `server` is the issuer of a tenant: `https://id.example.com` for the root tenant,
//! `https://id.example.com/t/acme` for tenant `acme`. The token is a Management API access
//! token: its audience is `<server>/api` and its scope holds `all` (for example from the client
//! credentials grant with `resource=<server>/api`).
//!
//! ```no_run
//! use gatehouse_client::{BearerToken, Client, ClientError, Page};
//! use gatehouse_types::management::{ApplicationType, CreateApplication};
//!
//! async fn example() -> Result<(), ClientError> {
//!     let server = url::Url::parse("http://localhost:3000").map_err(|e| {
//!         ClientError::InvalidServer(e.to_string())
//!     })?;
//!     let token = BearerToken::new(std::env::var("GATEHOUSE_TOKEN").unwrap_or_default());
//!     let client = Client::new(server, token)?;
//!
//!     let created = client
//!         .create_application(&CreateApplication {
//!             name: "billing".to_owned(),
//!             app_type: ApplicationType::M2m,
//!             redirect_uris: Vec::new(),
//!             post_logout_redirect_uris: Vec::new(),
//!             third_party: false,
//!             device_flow: false,
//!             resource_grants: Vec::new(),
//!             refresh_token_absolute_ttl: None,
//!             refresh_token_idle_ttl: None,
//!             jwks: None,
//!         })
//!         .await?;
//!     println!("client_id {}", created.application.id); // the secret is shown only here
//!
//!     // Every page of the users whose name, username or email contains "ada".
//!     let mut page = Page::default();
//!     loop {
//!         let users = client.list_users(Some("ada"), &page).await?;
//!         for user in &users.items {
//!             println!("{} {:?}", user.id, user.email);
//!         }
//!         match users.next_cursor {
//!             Some(cursor) => page.after = Some(cursor),
//!             None => break,
//!         }
//!     }
//!
//!     match client.get_user("missing").await {
//!         Err(ClientError::NotFound { .. }) => println!("no such user"),
//!         Err(ClientError::Unauthorized(challenge)) => {
//!             println!("log in again: {:?}", challenge.error)
//!         }
//!         Err(error) => return Err(error),
//!         Ok(user) => println!("{}", user.id),
//!     }
//!     Ok(())
//! }
//! ```
#![warn(missing_docs)]

mod applications;
mod error;
mod resources;
mod users;

pub use error::{AuthChallenge, ClientError};

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;
use url::Url;

/// Largest page the Management API serves (`limit`, 1..=200).
pub const MAX_PAGE_SIZE: u32 = 200;

/// Largest answer body read (a page of 200 applications is far smaller).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// A Management API access token. `Debug` never shows it and it has no `Display`.
#[derive(Clone)]
pub struct BearerToken(String);

impl BearerToken {
    /// Wraps a token (surrounding whitespace, such as a trailing newline, is removed).
    pub fn new(token: impl Into<String>) -> Self {
        let token = token.into();
        Self(token.trim().to_owned())
    }

    /// The token itself, for the `Authorization` header.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken([redacted])")
    }
}

/// Which page of a listing to fetch. Listings are ordered by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// Items after this id: the previous page's `next_cursor`.
    pub after: Option<String>,
    /// Page size, 1..=[`MAX_PAGE_SIZE`] (the server's default is 50).
    pub limit: Option<u32>,
}

/// A Management API client for one server (tenant) and one token.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    server: Url,
    token: BearerToken,
    debug: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("server", &self.server.as_str())
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// Checks `server` is an http(s) URL that can hold a path, and drops its query and fragment.
fn parse_server(mut server: Url) -> Result<Url, ClientError> {
    if !matches!(server.scheme(), "http" | "https") {
        return Err(ClientError::InvalidServer(format!(
            "{server} is not an http or https URL"
        )));
    }
    if server.cannot_be_a_base() || server.host().is_none() {
        return Err(ClientError::InvalidServer(format!("{server} has no host")));
    }
    if !server.username().is_empty() || server.password().is_some() {
        return Err(ClientError::InvalidServer(
            "the server URL must not hold credentials".to_owned(),
        ));
    }
    server.set_query(None);
    server.set_fragment(None);
    Ok(server)
}

/// Refuses ids the URL would swallow: empty, `.` and `..` are not path segments of their own.
fn check_id(id: &str) -> Result<&str, ClientError> {
    if matches!(id, "" | "." | "..") {
        return Err(ClientError::InvalidRequest(format!(
            "{id:?} is not a valid id"
        )));
    }
    Ok(id)
}

impl Client {
    /// A client with its own HTTP connection pool: no redirects followed (the API never
    /// redirects; following one could carry the token elsewhere), a 10 s connect timeout and
    /// a 60 s timeout per request.
    pub fn new(server: Url, token: BearerToken) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("gatehouse-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ClientError::Transport)?;
        Self::with_http_client(server, token, http)
    }

    /// A client on a caller-configured `reqwest::Client` (proxies, timeouts, TLS roots).
    pub fn with_http_client(
        server: Url,
        token: BearerToken,
        http: reqwest::Client,
    ) -> Result<Self, ClientError> {
        Ok(Self {
            http,
            server: parse_server(server)?,
            token,
            debug: false,
        })
    }

    /// With `on`, every request is traced on stderr: method, URL and status, the
    /// Authorization header redacted, no bodies (they may hold secrets, such as a new
    /// application's client secret).
    pub fn with_debug(mut self, on: bool) -> Self {
        self.debug = on;
        self
    }

    /// The server (tenant issuer) this client talks to.
    pub fn server(&self) -> &Url {
        &self.server
    }

    /// `<server>/api/<segments...>`, each segment percent-encoded (an id holding `/` or `?`
    /// stays one segment).
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.server.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("api").extend(segments);
        }
        url
    }

    /// Sends one request; a success answer is returned with its body, any other is turned
    /// into a [`ClientError`].
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<(StatusCode, Vec<u8>), ClientError> {
        if self.debug {
            eprintln!("[debug] {method} {url} (Authorization: Bearer [redacted])");
        }
        let mut request = self
            .http
            .request(method, url)
            .bearer_auth(self.token.expose_secret())
            .header(
                ACCEPT,
                HeaderValue::from_static("application/json, application/problem+json"),
            );
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body);
        }
        let mut response = request.send().await.map_err(ClientError::Transport)?;
        let status = response.status();
        if self.debug {
            eprintln!("[debug]   -> {status}");
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|value: &HeaderValue| value.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(CONTENT_TYPE);
        let challenge = header(WWW_AUTHENTICATE);
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(ClientError::Transport)? {
            if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ClientError::UnexpectedResponse {
                    status: status.as_u16(),
                    reason: format!("the answer is larger than {MAX_BODY_BYTES} bytes"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        if status.is_success() {
            return Ok((status, bytes));
        }
        Err(error::from_response(
            status.as_u16(),
            content_type.as_deref(),
            challenge.as_deref(),
            &bytes,
            self.token.expose_secret(),
        ))
    }

    /// A request whose success answer is JSON of type `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, ClientError> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| ClientError::InvalidRequest(format!("cannot encode the body: {e}")))?;
        let (status, bytes) = self.send(method, url, body).await?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::UnexpectedResponse {
            status: status.as_u16(),
            reason: format!("the answer is not the expected JSON: {e}"),
        })
    }

    /// A request whose success answer has no body (204).
    async fn call_empty(&self, method: Method, url: Url) -> Result<(), ClientError> {
        self.send(method, url, None).await.map(|_| ())
    }
}

/// Adds `after` and `limit` to a listing URL.
fn add_page(url: &mut Url, page: &Page) {
    let mut query = url.query_pairs_mut();
    if let Some(after) = &page.after {
        query.append_pair("after", after);
    }
    if let Some(limit) = page.limit {
        query.append_pair("limit", &limit.to_string());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn client(server: &str) -> Client {
        Client::new(
            Url::parse(server).unwrap(),
            BearerToken::new("secret-token"),
        )
        .unwrap()
    }

    #[test]
    fn urls_keep_the_tenant_path_and_encode_ids() {
        let root = client("http://localhost:3000");
        assert_eq!(
            root.url(&["applications"]).as_str(),
            "http://localhost:3000/api/applications"
        );
        let tenant = client("https://id.example.com/t/acme/?x=1#f");
        assert_eq!(
            tenant.url(&["users", "a/b?c#d"]).as_str(),
            "https://id.example.com/t/acme/api/users/a%2Fb%3Fc%23d"
        );
        let mut url = tenant.url(&["users"]);
        add_page(
            &mut url,
            &Page {
                after: Some("u 1&x".to_owned()),
                limit: Some(2),
            },
        );
        assert_eq!(
            url.as_str(),
            "https://id.example.com/t/acme/api/users?after=u+1%26x&limit=2"
        );
    }

    #[test]
    fn servers_and_ids_are_checked() {
        for bad in [
            "ftp://example.com",
            "mailto:a@example.com",
            "https://user:pw@example.com",
        ] {
            let result = Client::new(Url::parse(bad).unwrap(), BearerToken::new("t"));
            assert!(
                matches!(result, Err(ClientError::InvalidServer(_))),
                "{bad}"
            );
        }
        for bad in ["", ".", ".."] {
            assert!(matches!(check_id(bad), Err(ClientError::InvalidRequest(_))));
        }
        assert_eq!(check_id("abc").unwrap(), "abc");
    }

    /// Serves one canned HTTP answer on 127.0.0.1; the thread returns the request's head.
    fn serve_once(answer: &'static str) -> (Url, std::thread::JoinHandle<String>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/t/acme", listener.local_addr().unwrap())).unwrap();
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
                head.extend_from_slice(&byte);
            }
            stream.write_all(answer.as_bytes()).unwrap();
            String::from_utf8(head).unwrap()
        });
        (url, handle)
    }

    #[tokio::test]
    async fn requests_carry_the_bearer_token_and_refusals_are_typed() {
        let body = r#"{"type":"https://gatehouse.dev/problems/unauthenticated","title":"Unauthorized","status":401,"detail":"the access token is invalid, expired or revoked","code":"unauthenticated"}"#;
        let answer: &'static str = Box::leak(
            format!(
                "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/problem+json\r\n\
                 www-authenticate: Bearer realm=\"gatehouse\", error=\"invalid_token\"\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_boxed_str(),
        );
        let (url, server) = serve_once(answer);
        let client = Client::new(url, BearerToken::new("secret-token")).unwrap();
        let error = client.get_user("u 1").await.unwrap_err();
        let head = server.join().unwrap();
        assert!(
            head.starts_with("GET /t/acme/api/users/u%201 HTTP/1.1"),
            "{head}"
        );
        assert!(
            head.to_ascii_lowercase()
                .contains("authorization: bearer secret-token"),
            "{head}"
        );
        let ClientError::Unauthorized(challenge) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(challenge.error.as_deref(), Some("invalid_token"));
        assert!(!format!("{error} {error:?}").contains("secret-token"));
    }

    #[tokio::test]
    async fn users_carry_the_standard_claims() {
        let body = r#"{"id":"u1","username":"ada","email_verified":false,"phone_number":"+442079460958","phone_number_verified":true,"given_name":"Ada","locale":"en-GB","address":{"locality":"London","country":"United Kingdom"},"has_password":true,"disabled":false,"created_at":1,"updated_at":2}"#;
        let answer: &'static str = Box::leak(
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_boxed_str(),
        );
        let (url, server) = serve_once(answer);
        let client = Client::new(url, BearerToken::new("secret-token")).unwrap();
        let user = client.get_user("u1").await.unwrap();
        server.join().unwrap();
        assert_eq!(user.phone_number.as_deref(), Some("+442079460958"));
        assert!(user.phone_number_verified);
        assert_eq!(user.given_name.as_deref(), Some("Ada"));
        assert_eq!(user.locale.as_deref(), Some("en-GB"));
        let address = user.address.unwrap();
        assert_eq!(address.locality.as_deref(), Some("London"));
        assert_eq!(address.street_address, None);
        // A change that clears a claim sends `null` for it, and nothing for the others.
        let clear = gatehouse_types::management::UpdateUser {
            phone_number: Some(None),
            address: Some(None),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&clear).unwrap(),
            r#"{"phone_number":null,"address":null}"#
        );
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let (url, server) = serve_once(
            "HTTP/1.1 301 Moved Permanently\r\nlocation: https://elsewhere.example/api/users\r\n\
             content-length: 0\r\nconnection: close\r\n\r\n",
        );
        let client = Client::new(url, BearerToken::new("secret-token")).unwrap();
        let error = client.delete_user("u1").await.unwrap_err();
        server.join().unwrap();
        assert!(
            matches!(error, ClientError::UnexpectedResponse { status: 301, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let client = client("http://localhost:3000");
        let shown = format!("{client:?} {:?}", BearerToken::new("secret-token"));
        assert!(!shown.contains("secret-token"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
        assert_eq!(
            BearerToken::new(" abc\n").expose_secret(),
            "abc",
            "a token read from a file or stdin loses its newline"
        );
    }
}
