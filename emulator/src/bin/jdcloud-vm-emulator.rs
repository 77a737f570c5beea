//! `jdcloud-vm-emulator`: the emulator of JD Cloud's VM API as a program, so that clients in
//! any language (the official Python SDK, `curl`, …) can be tested against it.
//!
//! ```text
//! jdcloud-vm-emulator                                   # the default world, a free port
//! jdcloud-vm-emulator --listen 127.0.0.1:8080 --state state.json
//! ```
//!
//! It prints `listening on http://ADDR` on standard output once it accepts connections (so
//! scripts can wait for that line), then the environment a client needs (`JDCLOUD_ENDPOINT`,
//! and with the default world `JDCLOUD_ACCESS_KEY_ID`, `JDCLOUD_SECRET_ACCESS_KEY`), then one
//! line per request on standard error (the operation first), and stops on Ctrl-C or SIGTERM.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use clap::Parser;
use jdcloud_vm_emulator::{Emulator, EmulatorConfig, EmulatorState};

/// A local emulator of JD Cloud's VM API: every operation of the spec, signed requests checked
/// as JD Cloud's gateway does, JD Cloud's documented behaviour.
///
/// Prints 'listening on http://ADDR' on standard output when ready, then the environment to
/// paste, then one line per request on standard error. Stops on Ctrl-C or SIGTERM. Faults on
/// demand: POST /__emulator/faults (see the crate's docs).
#[derive(Debug, Parser)]
#[command(name = "jdcloud-vm-emulator", version)]
struct Args {
    /// The world to serve (JSON; see the crate's docs of EmulatorState) [default: the default
    /// world, access key AKEMULATOR, secret key SKEMULATOR]
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// How long a task (start, stop, attach, createImage, …) takes, in seconds
    #[arg(long, value_name = "SECONDS", value_parser = seconds, conflicts_with = "task_duration_ms")]
    task_duration: Option<Duration>,
    /// The same in milliseconds
    #[arg(long, value_name = "MILLIS")]
    task_duration_ms: Option<u64>,
    /// Do not log requests
    #[arg(long)]
    quiet: bool,
}

fn seconds(v: &str) -> Result<Duration, String> {
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e9)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{v:?} is not a number of seconds"))
}

impl Args {
    fn config(&self) -> EmulatorConfig {
        let mut config = EmulatorConfig::default()
            .listen(self.listen)
            .log_requests(!self.quiet);
        if let Some(d) = self.task_duration {
            config = config.task_duration(d);
        }
        if let Some(ms) = self.task_duration_ms {
            config = config.task_duration(Duration::from_millis(ms));
        }
        config
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let state = match &args.state {
        None => EmulatorState::default(),
        Some(path) => {
            let json = match std::fs::read_to_string(path) {
                Ok(json) => json,
                Err(e) => {
                    eprintln!("jdcloud-vm-emulator: cannot read {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            };
            match EmulatorState::from_json(&json) {
                Ok(state) => state,
                Err(e) => {
                    eprintln!("jdcloud-vm-emulator: {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let default_world = args.state.is_none();
    let emulator = match Emulator::start_with(state, args.config()).await {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("jdcloud-vm-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {}", emulator.endpoint());
        let _ = writeln!(out, "JDCLOUD_ENDPOINT={}", emulator.endpoint());
        if default_world {
            let _ = writeln!(out, "JDCLOUD_ACCESS_KEY_ID=AKEMULATOR");
            let _ = writeln!(out, "JDCLOUD_SECRET_ACCESS_KEY=SKEMULATOR");
        }
        let _ = out.flush();
    }

    wait_for_stop().await;
    eprintln!("jdcloud-vm-emulator: stopping");
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM where there are signals (what `kill` and container runtimes send).
async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("jdcloud-vm-emulator").chain(args.iter().copied()))
    }

    #[test]
    fn flags_parse_in_both_forms() {
        let a = parse(&[
            "--state",
            "s.json",
            "--listen=127.0.0.1:9000",
            "--task-duration",
            "0.5",
        ])
        .unwrap();
        assert_eq!(a.state.as_deref(), Some(std::path::Path::new("s.json")));
        let config = a.config();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.task_duration, Duration::from_millis(500));
        assert!(config.log_requests);
        let a = parse(&["--task-duration-ms=150"]).unwrap();
        assert!(a.state.is_none());
        assert_eq!(a.config().task_duration, Duration::from_millis(150));
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(parse(&["--state"]).is_err());
        assert!(parse(&["--listen", "localhost"]).is_err());
        assert!(parse(&["--bogus"])
            .unwrap_err()
            .to_string()
            .contains("--bogus"));
        assert!(parse(&["--task-duration=-1"])
            .unwrap_err()
            .to_string()
            .contains("seconds"));
        assert!(parse(&["--task-duration-ms", "0.5"]).is_err());
    }
}
