//! The loopback callback server of a browser login (RFC 8252 §7.3, §8.3).
//!
//! ```text
//!  bind 127.0.0.1:0 (never 0.0.0.0) -> redirect_uri http://127.0.0.1:PORT/callback
//!  each connection: peer not loopback -> dropped; one request, no keep-alive, 10 s limit
//!    other path -> 404 | not GET -> 405 | state missing/wrong -> 400, keep waiting
//!    iss wrong or missing where promised (RFC 9207) -> 400, login fails (mix-up)
//!    error=... -> login fails with it | code -> "you can close this tab", login goes on
//!  the first accepted callback ends the server: later ones are refused
//! ```

use crate::{Error, Secret};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// What a successful callback carried.
#[derive(Debug)]
pub struct Callback {
    /// The authorization code.
    pub code: Secret,
}

/// A callback server listening on the loopback interface only.
pub struct LoopbackServer {
    listener: TcpListener,
    redirect_uri: String,
    path: String,
}

/// Connections served at once.
const MAX_CONNECTIONS: usize = 16;

/// How long one connection may take to send its request.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

impl LoopbackServer {
    /// Listens on `127.0.0.1` on a port the system picks. The redirect URI uses the IP
    /// literal, not `localhost` (RFC 8252 §8.3: a name could resolve elsewhere or to IPv6).
    pub async fn bind(path: &str) -> Result<Self, Error> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(Error::Io)?;
        let port = listener.local_addr().map_err(Error::Io)?.port();
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        Ok(Self {
            listener,
            redirect_uri: format!("http://127.0.0.1:{port}{path}"),
            path,
        })
    }

    /// The redirect URI to send in the authorization request.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Result<SocketAddr, Error> {
        self.listener.local_addr().map_err(Error::Io)
    }

    /// Waits for the one callback of this login: the code of a response whose `state` is
    /// `state` (and whose `iss` is `issuer` when present, or always when `require_iss`),
    /// or the error the provider sent, or [`Error::TimedOut`]. The server stops listening
    /// when this returns.
    pub async fn wait(
        self,
        state: &str,
        issuer: &str,
        require_iss: bool,
        timeout: Duration,
    ) -> Result<Callback, Error> {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let context = Arc::new(Context {
            path: self.path,
            state: state.to_owned(),
            issuer: issuer.to_owned(),
            require_iss,
            done: AtomicBool::new(false),
            outcome: tx,
        });
        // A local process opening many idle connections must not starve the real callback.
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut deadline => return Err(Error::TimedOut),
                outcome = rx.recv() => {
                    // The listener is dropped on return: nothing more is accepted.
                    return outcome.unwrap_or(Err(Error::TimedOut));
                }
                accepted = self.listener.accept() => {
                    let Ok((stream, peer)) = accepted else {
                        // Out of file descriptors, say: do not spin.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    // Defence in depth: only the loopback interface is bound, but never
                    // talk to anything else.
                    if !peer.ip().is_loopback() {
                        continue;
                    }
                    let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                        // Too many at once: drop this one (a browser retries).
                        continue;
                    };
                    let context = Arc::clone(&context);
                    tokio::spawn(async move {
                        let _slot = slot;
                        let service = hyper::service::service_fn(move |request| {
                            let response = context.handle(&request);
                            async move { Ok::<_, Infallible>(response) }
                        });
                        let connection = hyper::server::conn::http1::Builder::new()
                            .keep_alive(false)
                            .max_buf_size(16 * 1024)
                            .serve_connection(TokioIo::new(stream), service);
                        let _ = tokio::time::timeout(CONNECTION_TIMEOUT, connection).await;
                    });
                }
            }
        }
    }
}

struct Context {
    path: String,
    state: String,
    issuer: String,
    require_iss: bool,
    /// Set by the first callback that ends the login (success or error).
    done: AtomicBool,
    outcome: mpsc::UnboundedSender<Result<Callback, Error>>,
}

impl Context {
    fn handle(&self, request: &Request<Incoming>) -> Response<Full<Bytes>> {
        if request.uri().path() != self.path {
            return page(StatusCode::NOT_FOUND, "Not found", "Nothing here.");
        }
        if request.method() != Method::GET {
            return page(
                StatusCode::METHOD_NOT_ALLOWED,
                "Not allowed",
                "The sign-in response must arrive as a GET request.",
            );
        }
        let query = request.uri().query().unwrap_or("");
        let mut params: Vec<(String, String)> = Vec::new();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            if params.iter().any(|(seen, _)| *seen == key) {
                return page(
                    StatusCode::BAD_REQUEST,
                    "Invalid response",
                    "The sign-in response repeats a parameter.",
                );
            }
            params.push((key.into_owned(), value.into_owned()));
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        // RFC 6749 §10.12: a response without this login's state is not ours (CSRF, a stale
        // tab, another login). Refuse it and keep waiting for the real one.
        let state_ok = get("state").is_some_and(|got| constant_time_eq(got, &self.state));
        if !state_ok {
            return page(
                StatusCode::BAD_REQUEST,
                "Invalid response",
                "This sign-in response does not belong to the login in progress. Start the login again from your terminal if it does not finish.",
            );
        }
        if self.done.swap(true, Ordering::SeqCst) {
            return page(
                StatusCode::BAD_REQUEST,
                "Already done",
                "This login has already received its response.",
            );
        }
        // RFC 9207 §2.4: a response from another issuer (mix-up) is refused.
        match get("iss") {
            // Exactly the issuer of the discovery document.
            Some(iss) if iss != self.issuer => {
                return self.finish(Err(Error::Callback(
                    "the response came from another issuer (iss mismatch)".to_owned(),
                )));
            }
            None if self.require_iss => {
                return self.finish(Err(Error::Callback(
                    "the response lacks the iss parameter the provider promised".to_owned(),
                )));
            }
            _ => {}
        }
        if let Some(error) = get("error") {
            return self.finish(Err(Error::Authorization {
                error: crate::clean(error),
                description: get("error_description").map(crate::clean),
            }));
        }
        match get("code") {
            Some(code) if !code.is_empty() => self.finish(Ok(Callback {
                code: Secret::new(code),
            })),
            _ => self.finish(Err(Error::Callback(
                "the response carries neither a code nor an error".to_owned(),
            ))),
        }
    }

    fn finish(&self, outcome: Result<Callback, Error>) -> Response<Full<Bytes>> {
        let response = match &outcome {
            Ok(_) => page(
                StatusCode::OK,
                "Signed in",
                "You are signed in. You can close this tab and return to your terminal.",
            ),
            Err(Error::Authorization { error, .. }) if error == "access_denied" => page(
                StatusCode::OK,
                "Sign-in cancelled",
                "The sign-in was cancelled. You can close this tab.",
            ),
            Err(_) => page(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                "The sign-in failed; your terminal says why. You can close this tab.",
            ),
        };
        let _ = self.outcome.send(outcome);
        response
    }
}

/// Compares in constant time (the length may leak; the state's length is public).
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()))
}

/// A small page with no scripts, no external resources (nothing can carry the URL, which
/// holds the code, to a third party) and nothing cached.
fn page(status: StatusCode, title: &str, message: &str) -> Response<Full<Bytes>> {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}</style>\
         </head><body><h1>{title}</h1><p>{message}</p></body></html>"
    );
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "no-store"),
        ("referrer-policy", "no-referrer"),
        (
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
        ("x-content-type-options", "nosniff"),
    ] {
        headers.insert(name, hyper::header::HeaderValue::from_static(value));
    }
    response
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

    async fn get(addr: SocketAddr, path_and_query: &str) -> Option<u16> {
        let url = format!("http://{addr}{path_and_query}");
        let response = reqwest::Client::new().get(url).send().await.ok()?;
        Some(response.status().as_u16())
    }

    async fn start() -> (LoopbackServer, SocketAddr) {
        let server = LoopbackServer::bind("/callback").await.unwrap();
        let addr = server.local_addr().unwrap();
        (server, addr)
    }

    const ISSUER: &str = "https://id.example.com";

    #[tokio::test]
    async fn listens_on_loopback_with_an_ip_literal_redirect_uri() {
        let (server, addr) = start().await;
        assert!(addr.ip().is_loopback());
        assert_eq!(
            server.redirect_uri(),
            format!("http://127.0.0.1:{}/callback", addr.port())
        );
    }

    /// This machine's address on its default route (not loopback), if it has one.
    fn external_address() -> Option<std::net::IpAddr> {
        let probe = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
        probe.connect("192.0.2.1:9").ok()?;
        let ip = probe.local_addr().ok()?.ip();
        (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
    }

    #[tokio::test]
    async fn refuses_connections_on_other_addresses() {
        let (server, addr) = start().await;
        assert_eq!(addr.ip(), std::net::IpAddr::from(Ipv4Addr::LOCALHOST));
        // A test machine without a network address could not show anything here.
        let ip = external_address().expect("this machine has a non-loopback address");
        let target = SocketAddr::new(ip, addr.port());
        let connected = tokio::time::timeout(
            Duration::from_secs(2),
            tokio::net::TcpStream::connect(target),
        )
        .await;
        assert!(
            !matches!(connected, Ok(Ok(_))),
            "connected to the callback port on {target}"
        );
        // The same port on loopback does answer.
        assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
        drop(server);
    }

    #[tokio::test]
    async fn refuses_wrong_or_missing_state_then_accepts_exactly_one_callback() {
        let (server, addr) = start().await;
        let waiter = tokio::spawn(async move {
            server
                .wait("the-state", ISSUER, true, Duration::from_secs(20))
                .await
        });
        let iss = "iss=https%3A%2F%2Fid.example.com";
        assert_eq!(get(addr, "/callback?code=c1").await, Some(400));
        assert_eq!(
            get(addr, &format!("/callback?code=c1&state=wrong&{iss}")).await,
            Some(400)
        );
        assert_eq!(
            get(addr, &format!("/callback?code=c1&state=&{iss}")).await,
            Some(400)
        );
        assert_eq!(
            get(
                addr,
                &format!("/callback?code=c1&state=the-state&state=the-state&{iss}")
            )
            .await,
            Some(400)
        );
        assert_eq!(get(addr, "/favicon.ico").await, Some(404));
        assert!(
            !waiter.is_finished(),
            "a bad callback must not end the login"
        );
        assert_eq!(
            get(addr, &format!("/callback?code=good&state=the-state&{iss}")).await,
            Some(200)
        );
        let callback = waiter.await.unwrap().unwrap();
        assert_eq!(callback.code.expose(), "good");
        // The server is gone: a second callback cannot even connect.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            get(addr, &format!("/callback?code=evil&state=the-state&{iss}")).await,
            None
        );
    }

    #[tokio::test]
    async fn a_response_from_another_issuer_fails_the_login() {
        let (server, addr) = start().await;
        let waiter = tokio::spawn(async move {
            server
                .wait("s", ISSUER, false, Duration::from_secs(20))
                .await
        });
        assert_eq!(
            get(
                addr,
                "/callback?code=c&state=s&iss=https%3A%2F%2Fevil.example"
            )
            .await,
            Some(400)
        );
        assert!(matches!(waiter.await.unwrap(), Err(Error::Callback(_))));

        let (server, addr) = start().await;
        let waiter = tokio::spawn(async move {
            server
                .wait("s", ISSUER, true, Duration::from_secs(20))
                .await
        });
        assert_eq!(get(addr, "/callback?code=c&state=s").await, Some(400));
        assert!(matches!(waiter.await.unwrap(), Err(Error::Callback(_))));
    }

    #[tokio::test]
    async fn an_error_response_ends_the_login_with_that_error() {
        let (server, addr) = start().await;
        let waiter = tokio::spawn(async move {
            server
                .wait("s", ISSUER, false, Duration::from_secs(20))
                .await
        });
        assert_eq!(
            get(
                addr,
                "/callback?error=access_denied&error_description=no&state=s"
            )
            .await,
            Some(200)
        );
        assert!(matches!(
            waiter.await.unwrap(),
            Err(Error::Authorization { ref error, .. }) if error == "access_denied"
        ));
    }

    #[tokio::test]
    async fn times_out_cleanly() {
        let (server, addr) = start().await;
        let started = std::time::Instant::now();
        let outcome = server
            .wait("s", ISSUER, false, Duration::from_millis(300))
            .await;
        assert!(matches!(outcome, Err(Error::TimedOut)));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(get(addr, "/callback?code=c&state=s").await, None);
    }

    #[test]
    fn constant_time_comparison_is_exact() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
