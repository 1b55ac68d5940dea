//! HTTP integration tests: the real server in-process on 127.0.0.1:0, driven over HTTP with
//! reqwest, on the backend chosen by `GATEHOUSE_TEST_BACKEND` (`sqlite`, the default, or
//! `postgres`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod browser;
mod client_auth;
mod common;
mod device;
mod management;
mod oauth;
mod pats;
mod resources;
mod users;
