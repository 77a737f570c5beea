//! `jdcloud-vm-emulator`: the emulator of the VM service's network interface lifecycle
//! (`attachNetworkInterface`, `detachNetworkInterface`, `describeInstance`,
//! `describeInstances`) as a program, so that clients in any language (the official Python
//! SDK, `curl`, …) can be tested against it.
//!
//! ```text
//! jdcloud-vm-emulator --listen 127.0.0.1:8080 --state state.json
//! ```
//!
//! It prints `listening on http://ADDR` on standard output once it accepts connections (so
//! scripts can wait for that line), then one line per request on standard error (the
//! operation first), and stops on Ctrl-C or SIGTERM.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use jdcloud_vm::emulator::{Emulator, EmulatorConfig, EmulatorState};

const USAGE: &str = "\
jdcloud-vm-emulator: a local emulator of JD Cloud's VM API: attachNetworkInterface,
detachNetworkInterface, describeInstance and describeInstances

USAGE:
    jdcloud-vm-emulator --state FILE [--listen ADDR] [--task-duration SECONDS] [--quiet]

OPTIONS:
    --state FILE                the state file: credentials, instances, network interfaces
                                (JSON; see the jdcloud-vm crate's docs of EmulatorState)
    --listen ADDR               address to listen on [default: 127.0.0.1:0, a free port]
    --task-duration SECONDS     how long the task of an attach or a detach lasts: the
                                instance refuses other attaches and detaches meanwhile, and
                                the describes show the change when it ends [default: 2]
    --task-duration-ms MILLIS   the same in milliseconds
    --quiet                     do not log requests
    -h, --help                  print this help

Prints 'listening on http://ADDR' on standard output when ready, then one line per request
on standard error: operation, method, path, status, error, request id, time. Stops on
Ctrl-C or SIGTERM.
";

#[derive(Debug)]
struct Args {
    state: String,
    config: EmulatorConfig,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut state = None;
    let mut config = EmulatorConfig::default().log_requests(true);
    while let Some(arg) = args.next() {
        // Both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg, None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--state" => state = Some(value("--state")?),
            "--listen" => {
                let v = value("--listen")?;
                let addr: SocketAddr = v
                    .parse()
                    .map_err(|_| format!("--listen {v:?} is not an address like 127.0.0.1:8080"))?;
                config = config.listen(addr);
            }
            "--task-duration" => {
                let v = value("--task-duration")?;
                let seconds: f64 = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s < 1e9)
                    .ok_or_else(|| format!("--task-duration {v:?} is not a number of seconds"))?;
                config = config.task_duration(Duration::from_secs_f64(seconds));
            }
            "--task-duration-ms" => {
                let v = value("--task-duration-ms")?;
                let millis: u64 = v.parse().map_err(|_| {
                    format!("--task-duration-ms {v:?} is not a whole number of milliseconds")
                })?;
                config = config.task_duration(Duration::from_millis(millis));
            }
            "--quiet" => config = config.log_requests(false),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let state = state.ok_or("--state FILE is required")?;
    Ok(Some(Args { state, config }))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("jdcloud-vm-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let json = match std::fs::read_to_string(&args.state) {
        Ok(json) => json,
        Err(e) => {
            eprintln!("jdcloud-vm-emulator: cannot read {}: {e}", args.state);
            return ExitCode::FAILURE;
        }
    };
    let state = match EmulatorState::from_json(&json) {
        Ok(state) => state,
        Err(e) => {
            eprintln!("jdcloud-vm-emulator: {}: {e}", args.state);
            return ExitCode::FAILURE;
        }
    };
    let emulator = match Emulator::start_with(state, args.config).await {
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

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        parse_args(args.iter().map(|s| s.to_string()))
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
        .unwrap()
        .unwrap();
        assert_eq!(a.state, "s.json");
        assert_eq!(a.config.listen.port(), 9000);
        assert_eq!(a.config.task_duration, Duration::from_millis(500));
        assert!(a.config.log_requests);
        assert!(parse(&["--help"]).unwrap().is_none());
        let a = parse(&["--state=s", "--task-duration-ms=150"])
            .unwrap()
            .unwrap();
        assert_eq!(a.config.task_duration, Duration::from_millis(150));
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(parse(&[]).unwrap_err().contains("--state"));
        assert!(parse(&["--state"]).unwrap_err().contains("needs a value"));
        assert!(parse(&["--state", "s", "--listen", "localhost"])
            .unwrap_err()
            .contains("address"));
        assert!(parse(&["--state", "s", "--bogus"])
            .unwrap_err()
            .contains("--bogus"));
        assert!(parse(&["--state", "s", "--task-duration", "-1"])
            .unwrap_err()
            .contains("seconds"));
        assert!(parse(&["--state", "s", "--task-duration-ms", "0.5"])
            .unwrap_err()
            .contains("milliseconds"));
    }
}
