//! Opening a URL in the person's browser: the program named by `$BROWSER` when set (called
//! with the URL as its one argument, as `gh` does), else the system's opener. Where no
//! browser can be opened (an SSH session or a container without a display), the caller
//! falls back to the device flow.

use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

/// Why no browser was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoBrowser(pub String);

/// How long the system opener may take to hand the URL over.
const OPENER_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a browser can be opened here at all: `$BROWSER` is set, or the system has an
/// opener and (on Linux and the BSDs) a display.
pub fn usable() -> Result<(), NoBrowser> {
    if std::env::var_os("BROWSER").is_some_and(|value| !value.is_empty()) {
        return Ok(());
    }
    system_opener().map(drop)
}

/// Opens `url`, or says why it could not.
pub async fn open(url: &str) -> Result<(), NoBrowser> {
    if let Some(program) = std::env::var_os("BROWSER").filter(|value| !value.is_empty()) {
        // A browser program may run for as long as the person browses: start it and let
        // it be (tokio reaps it).
        return Command::new(&program)
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(drop)
            .map_err(|error| {
                NoBrowser(format!(
                    "$BROWSER ({}) could not be started: {error}",
                    program.to_string_lossy()
                ))
            });
    }
    let (program, args) = system_opener()?;
    let child = Command::new(program)
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| NoBrowser(format!("{program} could not be started: {error}")))?;
    match tokio::time::timeout(OPENER_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(output)) if output.status.success() => Ok(()),
        Ok(Ok(output)) => Err(NoBrowser(format!("{program} failed ({})", output.status))),
        Ok(Err(error)) => Err(NoBrowser(format!("{program} failed: {error}"))),
        // Still running: some openers stay until the browser is up.
        Err(_) => Ok(()),
    }
}

#[cfg(target_os = "macos")]
fn system_opener() -> Result<(&'static str, &'static [&'static str]), NoBrowser> {
    if std::env::var_os("SSH_CONNECTION").is_some() {
        return Err(NoBrowser("this is an SSH session".to_owned()));
    }
    Ok(("open", &[]))
}

#[cfg(target_os = "windows")]
fn system_opener() -> Result<(&'static str, &'static [&'static str]), NoBrowser> {
    // Not `cmd /c start`: cmd would interpret the `&` of the query string.
    Ok(("rundll32", &["url.dll,FileProtocolHandler"]))
}

#[cfg(not(any(target_os = "macos", target_os = "windows")))]
fn system_opener() -> Result<(&'static str, &'static [&'static str]), NoBrowser> {
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()));
    if !has_display {
        return Err(NoBrowser(
            "there is no display (SSH session, container or server)".to_owned(),
        ));
    }
    Ok(("xdg-open", &[]))
}
