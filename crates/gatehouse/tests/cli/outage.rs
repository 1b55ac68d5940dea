//! A database outage (M-07), on PostgreSQL whatever the selected backend (an outage needs a
//! network database; a server that cannot be reached fails the test). A TCP proxy in the test
//! sits between `serve` and PostgreSQL; cutting it closes every connection and refuses new
//! ones. The server must stay alive, say so quickly (503), and recover by itself.

use crate::common::{Backend, Endpoints, ServeOptions, http_with_timeout, start};
use reqwest::StatusCode;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// A TCP proxy on a fixed local port that can be cut and restored.
struct Proxy {
    port: u16,
    upstream: SocketAddr,
    task: Option<JoinHandle<()>>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        Self {
            port,
            upstream,
            task: Some(tokio::spawn(accept_loop(listener, upstream))),
        }
    }

    /// Closes the listener and every proxied connection.
    fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            // Dropping the accept loop drops its JoinSet, which aborts every connection task.
            task.abort();
        }
    }

    /// Listens again on the same port.
    async fn restore(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(listener) => break listener,
                Err(error) => {
                    assert!(
                        Instant::now() < deadline,
                        "cannot listen on proxy port {} again: {error}",
                        self.port
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        self.task = Some(tokio::spawn(accept_loop(listener, self.upstream)));
    }
}

async fn accept_loop(listener: TcpListener, upstream: SocketAddr) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((inbound, _)) = accepted {
                    connections.spawn(pipe(inbound, upstream));
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn pipe(inbound: TcpStream, upstream: SocketAddr) {
    let Ok(outbound) = TcpStream::connect(upstream).await else {
        return;
    };
    let (from_client, to_client) = inbound.into_split();
    let (from_server, to_server) = outbound.into_split();
    tokio::join!(copy(from_client, to_server), copy(from_server, to_client));
}

/// Copies until EOF or an error; dropping `to` then shuts its write side down.
async fn copy(from: OwnedReadHalf, to: OwnedWriteHalf) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        if from.readable().await.is_err() {
            return;
        }
        let read = match from.try_read(&mut buffer) {
            Ok(0) => return,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return,
        };
        let mut sent = 0;
        while sent < read {
            if to.writable().await.is_err() {
                return;
            }
            match to.try_write(&buffer[sent..read]) {
                Ok(written) => sent += written,
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
        }
    }
}

/// Posts a token request; returns (status, JSON body, how long it took).
async fn timed_token_request(
    endpoints: &Endpoints,
    client: &crate::common::ClientCredentials,
) -> (StatusCode, Value, Duration) {
    // A generous client timeout: the server itself must answer within the bounds asserted.
    let http = http_with_timeout(Duration::from_secs(30));
    let began = Instant::now();
    let response = endpoints.token_response(&http, client).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("token endpoint answered {status} without JSON ({e}): {text}"));
    (status, body, began.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_answers_503_and_recovers_without_restart() {
    let mut backend = Backend::postgres().await;
    let database_url = backend.database_url.clone().unwrap();
    let mut url = url::Url::parse(&database_url).unwrap();
    let upstream_host = url.host_str().unwrap().to_owned();
    let upstream_port = url.port().unwrap_or(5432);
    let upstream = tokio::net::lookup_host((upstream_host.as_str(), upstream_port))
        .await
        .unwrap()
        .next()
        .unwrap();
    let mut proxy = Proxy::start(upstream).await;
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(proxy.port)).unwrap();
    backend.database_url = Some(url.to_string());

    let client = backend.create_management_client();
    let mut server = start(&backend, &ServeOptions::default()).await;
    let endpoints = Endpoints::new(&server, &server.base);
    let http = http_with_timeout(Duration::from_secs(30));
    let (status, body, _) = timed_token_request(&endpoints, &client).await;
    assert_eq!(status, StatusCode::OK, "before the outage: {body}");

    proxy.cut();
    let cut_at = Instant::now();
    // Readiness turns 503 within ~5 s (each answer bounded too).
    loop {
        let began = Instant::now();
        let status = http
            .get(server.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status();
        assert!(
            began.elapsed() < Duration::from_secs(5),
            "/readyz took {:?} during the outage",
            began.elapsed()
        );
        if status == StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        assert!(
            cut_at.elapsed() < Duration::from_secs(5),
            "/readyz still {status} {:?} after the cut",
            cut_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "[outage] /readyz 503 after {} ms",
        cut_at.elapsed().as_millis()
    );
    for attempt in 0..3 {
        let (status, body, took) = timed_token_request(&endpoints, &client).await;
        eprintln!(
            "[outage] token request {attempt}: {status} in {} ms",
            took.as_millis()
        );
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "token endpoint during the outage: {body}"
        );
        assert_eq!(body["error"], "temporarily_unavailable", "{body}");
        assert!(
            took < Duration::from_secs(6),
            "the token endpoint took {took:?} to say it is unavailable"
        );
    }
    let response = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "liveness does not depend on the database"
    );
    assert!(
        server.is_running(),
        "the server died during the outage; log:\n{}",
        server.log()
    );

    proxy.restore().await;
    let restored_at = Instant::now();
    loop {
        let (status, body, _) = timed_token_request(&endpoints, &client).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(
            restored_at.elapsed() < Duration::from_secs(10),
            "10 s after the database came back the token endpoint still answers {status}: {body}\nlog:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!(
        "[outage] token endpoint back after {} ms",
        restored_at.elapsed().as_millis()
    );
    assert_eq!(
        http.get(server.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert!(server.is_running());
    drop(server);
    drop(proxy);
}
