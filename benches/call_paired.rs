//! The sequential call, SDK versus plain reqwest, measured in alternating rounds.
//!
//! criterion measures one arm for seconds, then the other; on a shared machine the load changes
//! in between, and the two medians can be 20–40% apart for no reason of their own. Here the arms
//! take turns, round after round (which goes first alternates too), and every round gives one
//! ratio from two measurements taken seconds apart; the median of those ratios is the figure.
//!
//! `cargo bench --bench call_paired` (ROUNDS, default 15; CALLS per round and arm, default 2000).

#[path = "support/arms.rs"]
mod arms;

use std::time::Instant;

use arms::{sdk_call, sdk_client, start_server, Plain};

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

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and wants it quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let (rounds, calls) = if quick {
        (1, 10)
    } else {
        (env("ROUNDS", 15), env("CALLS", 2000))
    };
    let endpoint = start_server();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = sdk_client(&endpoint);
    let plain = Plain::new(&endpoint);

    let (mut sdk_times, mut plain_times, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    rt.block_on(async {
        // One round of each first, untimed: connections open, caches warm.
        for _ in 0..calls {
            sdk_call(&client).await;
            plain.call().await;
        }
        for round in 0..rounds {
            let mut per_call = [0.0; 2];
            for arm in [round % 2, 1 - round % 2] {
                let started = Instant::now();
                for _ in 0..calls {
                    if arm == 0 {
                        sdk_call(&client).await;
                    } else {
                        plain.call().await;
                    }
                }
                per_call[arm] = started.elapsed().as_secs_f64() * 1e6 / calls as f64;
            }
            sdk_times.push(per_call[0]);
            plain_times.push(per_call[1]);
            ratios.push(per_call[0] / per_call[1]);
        }
    });
    let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
    println!(
        "call/sequential paired: {rounds} rounds x {calls} calls; SDK median {:.1} µs, reqwest median {:.1} µs",
        median(sdk_times),
        median(plain_times)
    );
    println!("  ratio per round: {}", each.join(" "));
    println!("  median ratio SDK / reqwest: {:.3}x", median(ratios));
}
