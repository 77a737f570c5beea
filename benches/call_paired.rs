//! The call benches' two comparisons, SDK versus plain reqwest, measured in alternating rounds:
//! one call at a time, and 64 in flight.
//!
//! criterion measures one arm for seconds, then the other; on a shared machine the load changes
//! in between, and the two medians can be 20–40% apart for no reason of their own. Here the arms
//! take turns, round after round (which goes first alternates too), and every round gives one
//! ratio from two measurements taken seconds apart; the median of those ratios is the figure.
//!
//! `cargo bench --bench call_paired` (ROUNDS, default 15; CALLS per round and arm, default 2000
//! one at a time and 6400 in flight).

#[path = "support/arms.rs"]
mod arms;

use std::{future::Future, time::Instant};

use arms::{sdk_call, sdk_client, start_server, Plain};

const IN_FLIGHT: usize = 64;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs `rounds` rounds of `calls` calls of each arm (index 0: SDK, 1: reqwest), alternating,
/// after one untimed round of each; returns the µs per call of each arm, per round.
fn rounds<F, Fut>(
    rt: &tokio::runtime::Runtime,
    rounds: usize,
    calls: usize,
    run: F,
) -> [Vec<f64>; 2]
where
    F: Fn(usize, usize) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut times = [Vec::new(), Vec::new()];
    rt.block_on(async {
        // Connections open, caches warm.
        run(0, calls).await;
        run(1, calls).await;
        for round in 0..rounds {
            for arm in [round % 2, 1 - round % 2] {
                let started = Instant::now();
                run(arm, calls).await;
                times[arm].push(started.elapsed().as_secs_f64() * 1e6 / calls as f64);
            }
        }
    });
    times
}

fn report(name: &str, what: &str, times: [Vec<f64>; 2], ratio: impl Fn(f64, f64) -> f64) {
    let ratios: Vec<f64> = times[0]
        .iter()
        .zip(&times[1])
        .map(|(&sdk, &plain)| ratio(sdk, plain))
        .collect();
    let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
    println!(
        "{name} paired: {} rounds; SDK median {:.1} µs/call, reqwest median {:.1} µs/call",
        ratios.len(),
        median(times[0].clone()),
        median(times[1].clone())
    );
    println!("  ratio per round: {}", each.join(" "));
    println!("  median {what}: {:.3}x", median(ratios));
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and wants it quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let (round_count, calls, calls_in_flight) = if quick {
        (1, 10, IN_FLIGHT)
    } else {
        (
            env("ROUNDS", 15),
            env("CALLS", 2000),
            env("CALLS_IN_FLIGHT", 6400),
        )
    };
    let endpoint = start_server();
    // The client on this one thread, the server on its own: the figures are each client's cost.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = sdk_client(&endpoint);
    let plain = Plain::new(&endpoint);

    let sequential = rounds(&rt, round_count, calls, |arm, calls| {
        let (client, plain) = (&client, &plain);
        async move {
            for _ in 0..calls {
                if arm == 0 {
                    sdk_call(client).await;
                } else {
                    plain.call().await;
                }
            }
        }
    });
    report(
        "call/sequential",
        "ratio SDK / reqwest (time per call)",
        sequential,
        |sdk, plain| sdk / plain,
    );

    let in_flight = rounds(&rt, round_count, calls_in_flight, |arm, calls| {
        let (client, plain) = (client.clone(), plain.clone());
        async move {
            for _ in 0..calls / IN_FLIGHT {
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..IN_FLIGHT {
                    let (client, plain) = (client.clone(), plain.clone());
                    if arm == 0 {
                        set.spawn(async move { sdk_call(&client).await });
                    } else {
                        set.spawn(async move { plain.call().await });
                    }
                }
                while let Some(done) = set.join_next().await {
                    done.unwrap();
                }
            }
        }
    });
    report(
        "in_flight_64",
        "throughput SDK / reqwest",
        in_flight,
        |sdk, plain| plain / sdk,
    );
}
