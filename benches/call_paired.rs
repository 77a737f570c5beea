//! A call through the SDK against what a user would write instead, one call at a time and 64 in
//! flight: reqwest signing every call by hand (what a caller without the SDK has to do against
//! the real gateway, which refuses a replayed signature). The bars: within 1.10x of its time
//! one at a time, at least 0.90x of its throughput 64 in flight. Plain reqwest sending the same
//! bytes with a signature computed once is shown too, as a floor no real caller has.
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

use arms::{call, Callers, ARMS, HAND_SIGNED, PLAIN, SDK};

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

/// Runs `rounds` rounds of `calls` calls of each arm, taking turns (a different arm first each
/// round), after one untimed round of each; returns the µs per call of each arm, per round.
fn rounds<F, Fut>(
    rt: &tokio::runtime::Runtime,
    rounds: usize,
    calls: usize,
    run: F,
) -> [Vec<f64>; ARMS]
where
    F: Fn(usize, usize) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut times: [Vec<f64>; ARMS] = Default::default();
    rt.block_on(async {
        // Connections open, caches warm.
        for arm in 0..ARMS {
            run(arm, calls).await;
        }
        for round in 0..rounds {
            for arm in (0..ARMS).map(|i| (i + round) % ARMS) {
                let started = Instant::now();
                run(arm, calls).await;
                times[arm].push(started.elapsed().as_secs_f64() * 1e6 / calls as f64);
            }
        }
    });
    times
}

/// Prints each arm's median time and, against each baseline, the per-round ratios and their
/// median: time ratios (SDK / baseline) or throughput ones (baseline / SDK).
fn report(name: &str, times: &[Vec<f64>; ARMS], throughput: bool, bar: f64) {
    println!(
        "{name}: {} rounds; median µs/call: SDK {:.1}, reqwest {:.1}, reqwest signing by hand {:.1}",
        times[SDK].len(),
        median(times[SDK].clone()),
        median(times[PLAIN].clone()),
        median(times[HAND_SIGNED].clone())
    );
    for (baseline, label) in [(PLAIN, "reqwest"), (HAND_SIGNED, "reqwest signing by hand")] {
        let ratios: Vec<f64> = times[SDK]
            .iter()
            .zip(&times[baseline])
            .map(|(&sdk, &base)| if throughput { base / sdk } else { sdk / base })
            .collect();
        let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        let what = if throughput {
            "throughput"
        } else {
            "time per call"
        };
        let ratio = median(ratios);
        let verdict = match (baseline, throughput) {
            (HAND_SIGNED, false) if ratio <= bar => format!(" (bar: at most {bar}x, met)"),
            (HAND_SIGNED, false) => format!(" (bar: at most {bar}x, NOT met)"),
            (HAND_SIGNED, true) if ratio >= bar => format!(" (bar: at least {bar}x, met)"),
            (HAND_SIGNED, true) => format!(" (bar: at least {bar}x, NOT met)"),
            _ => String::new(),
        };
        println!(
            "  SDK / {label}, {what}: median {ratio:.3}x{verdict}; per round {}",
            each.join(" ")
        );
    }
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
    // The clients on this one thread, the server on its own: the figures are each client's cost.
    let Callers {
        rt,
        sdk,
        plain,
        hand_signed,
    } = Callers::start();

    // For a profiler (valgrind --tool=callgrind, perf): `PROFILE_ARM=0|1|2` (SDK, reqwest,
    // reqwest signing by hand) runs only that arm, CALLS_IN_FLIGHT calls 64 in flight (or
    // CALLS one at a time with `PROFILE_SEQUENTIAL=1`), and prints nothing.
    if std::env::var_os("PROFILE_SIZES").is_some() {
        // What each task of the in-flight rounds holds: the size of one call's future.
        println!(
            "future of one call, bytes: SDK {}, reqwest {}, reqwest signing by hand {}",
            std::mem::size_of_val(&arms::sdk_call(&sdk)),
            std::mem::size_of_val(&plain.call()),
            std::mem::size_of_val(&hand_signed.call()),
        );
        return;
    }
    if let Some(arm) = std::env::var("PROFILE_ARM")
        .ok()
        .and_then(|a| a.parse().ok())
    {
        let callers = std::sync::Arc::new((sdk, plain, hand_signed));
        rt.block_on(async {
            if std::env::var_os("PROFILE_SEQUENTIAL").is_some() {
                let (sdk, plain, hand_signed) = &*callers;
                for _ in 0..env("CALLS", 2000) {
                    call(arm, sdk, plain, hand_signed).await;
                }
                return;
            }
            for _ in 0..env("CALLS_IN_FLIGHT", 6400) / IN_FLIGHT {
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..IN_FLIGHT {
                    let callers = callers.clone();
                    set.spawn(async move {
                        let (sdk, plain, hand_signed) = &*callers;
                        call(arm, sdk, plain, hand_signed).await
                    });
                }
                while let Some(done) = set.join_next().await {
                    done.unwrap();
                }
            }
        });
        return;
    }

    let sequential = rounds(&rt, round_count, calls, |arm, calls| {
        let (sdk, plain, hand_signed) = (&sdk, &plain, &hand_signed);
        async move {
            for _ in 0..calls {
                call(arm, sdk, plain, hand_signed).await;
            }
        }
    });
    report("call/sequential", &sequential, false, 1.10);

    // Each task holds the callers by one shared pointer: the same cheap clone for every arm.
    let callers = std::sync::Arc::new((sdk, plain, hand_signed));
    let in_flight = rounds(&rt, round_count, calls_in_flight, |arm, calls| {
        let callers = callers.clone();
        async move {
            for _ in 0..calls / IN_FLIGHT {
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..IN_FLIGHT {
                    let callers = callers.clone();
                    set.spawn(async move {
                        let (sdk, plain, hand_signed) = &*callers;
                        call(arm, sdk, plain, hand_signed).await
                    });
                }
                while let Some(done) = set.join_next().await {
                    done.unwrap();
                }
            }
        }
    });
    report("in_flight_64", &in_flight, true, 0.90);
}
