//! The `gatehouse` binary: `serve`, `migrate` and offline `admin ...` commands on the database.

mod admin;
mod cli;
mod runtime;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    runtime::init_logging(&cli.global);
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
    match tokio.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: cli::Cli) -> Result<(), String> {
    match cli.command {
        cli::Command::Serve(args) => runtime::serve(&cli.global, &args).await,
        cli::Command::Migrate => runtime::migrate(&cli.global).await,
        cli::Command::Admin(command) => admin::run(&cli.global, command).await,
    }
}
