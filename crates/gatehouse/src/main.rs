//! The `gatehouse` binary: `serve`, `migrate` and offline `admin ...` commands on the database.

mod admin;
mod auth;
mod cli;
mod config;
mod credentials;
mod manage;
mod runtime;

use clap::Parser;

/// mimalloc: the token endpoint allocates many small short-lived buffers.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let cli = match cli.command {
        // Client commands talk to a server over HTTP: no database, no server settings, their
        // own exit codes.
        cli::Command::Auth(command) => return run_client(auth::run(command)),
        cli::Command::Manage(command) => return manage::main(command),
        command => cli::Cli {
            global: cli.global,
            command,
        },
    };
    let listen = match &cli.command {
        cli::Command::Serve(args) => args.listen.as_deref(),
        _ => None,
    };
    let settings = match config::resolve(&cli.global, listen) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    runtime::init_logging(&settings);
    let tokio = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match tokio.block_on(run(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a client command on a small runtime; its failure is one line on stderr and its
/// exit code.
fn run_client(
    command: impl std::future::Future<Output = Result<(), credentials::Failure>>,
) -> ExitCode {
    let tokio = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = tokio.block_on(command);
    // A keychain call that never answered must not keep the process alive.
    tokio.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if !failure.message.is_empty() {
                eprintln!("error: {}", failure.message);
            }
            ExitCode::from(failure.code)
        }
    }
}

async fn run(command: cli::Command, settings: config::Settings) -> Result<(), String> {
    match command {
        cli::Command::Serve(_) => runtime::serve(&settings).await,
        cli::Command::Migrate => runtime::migrate(&settings).await,
        cli::Command::Admin(command) => admin::run(&settings, command).await,
        cli::Command::Auth(_) => Err("client commands do not run here".to_owned()),
        // Normally dispatched by main() first, with its own exit codes.
        cli::Command::Manage(command) => manage::run(command).await.map_err(|f| f.message),
    }
}
