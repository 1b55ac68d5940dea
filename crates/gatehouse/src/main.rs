//! The `gatehouse` binary: `serve`, `migrate` and offline `admin ...` commands on the database.

mod admin;
mod cli;
mod config;
mod manage;
mod runtime;

use clap::Parser;

/// mimalloc: the token endpoint allocates many small short-lived buffers.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // Client commands talk to a server over HTTP: no local settings, their own exit codes.
    if let cli::Command::Manage(command) = cli.command {
        return manage::main(command);
    }
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

async fn run(command: cli::Command, settings: config::Settings) -> Result<(), String> {
    match command {
        cli::Command::Serve(_) => runtime::serve(&settings).await,
        cli::Command::Migrate => runtime::migrate(&settings).await,
        cli::Command::Admin(command) => admin::run(&settings, command).await,
        // Normally dispatched by main() first, with its own exit codes.
        cli::Command::Manage(command) => manage::run(command).await.map_err(|f| f.message),
    }
}
