//! Black-box tests of the `gatehouse` binary: the command-line contract, `serve` driven over
//! HTTP, the master key, key rotation, replicas, many tenants, a database outage and
//! migrations. Each test runs the real binary (`CARGO_BIN_EXE_gatehouse`) as a child process.
//!
//! Backend: SQLite in a temporary data directory by default; a fresh PostgreSQL database
//! (`DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`) when
//! `GATEHOUSE_TEST_BACKEND=postgres`. The outage test always needs PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod apps;
mod auth;
mod common;
mod contract;
mod manage;
mod master_key;
mod outage;
mod replicas;
mod rotation;
mod scale;
mod serve;
mod users;
