//! Waiting for a task of JD Cloud to take effect: the one runner of every `wait_until_*`.
//!
//! JD Cloud runs a create, a start, an attach… as a task that may take minutes, and offers no
//! task API: the change shows in a describe operation once the task ends. The waiters are
//! declared in the spec (`x-jdcloud-waiters`, modelled on Smithy's `smithy.waiters#waitable`):
//! the operation to poll, which of its inputs the waiter's arguments set, acceptors that match
//! its answer (a path into it and a value) or its error kind and say success, failure or poll
//! again, and the delays between polls. build.rs generates a [`Waiter`] and a
//! `Client::wait_until_*` method for each (`build_support/waiters.rs`); this runner knows no
//! operation.
//!
//! Between polls the delay grows from the waiter's `minDelay` to its `maxDelay`, with jitter.
//! An error no acceptor names is waited out when it is retryable (`Conflict with underlay task`,
//! a 5xx, a timeout) and returned as it is otherwise. Past the caller's limit the result is
//! [`ErrorKind::Timeout`] naming what was awaited; a failure acceptor ends the wait at once
//! with [`ErrorKind::WaitFailed`]. Nothing outlives the future: dropping it at any point stops
//! the polling.

use std::{future::Future, pin::Pin, time::Duration};

use serde_json::Value;
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::{answer_path, Client, Error, ErrorKind};

/// One poll's answer, as JSON, or its error.
pub(crate) type PollFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, Error>> + Send + 'a>>;

/// A waiter of the spec, as build.rs generates it.
#[derive(Debug)]
pub(crate) struct Waiter {
    /// The method, `wait_until_…`: the operation named by its errors.
    pub(crate) method: &'static str,
    /// The operation polled, as the client names it.
    pub(crate) operation: &'static str,
    /// The names of the waiter's arguments, in order.
    pub(crate) arguments: &'static [&'static str],
    /// What is awaited, with `{argument}` placeholders: the timeout's message says it.
    pub(crate) awaits: &'static str,
    pub(crate) min_delay: Duration,
    pub(crate) max_delay: Duration,
    /// Tried in order on every answer and error; the first that matches decides.
    pub(crate) acceptors: &'static [Acceptor],
    /// Calls the operation with the arguments; its answer as JSON.
    pub(crate) poll: for<'a> fn(&'a Client, &'a [&'a str]) -> PollFuture<'a>,
}

/// What an acceptor decides when it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// What was awaited has happened.
    Success,
    /// What was awaited cannot happen any more: end at once with an error.
    Failure,
    /// Poll again.
    Retry,
}

/// When an acceptor matches.
#[derive(Debug)]
pub(crate) enum Matcher {
    /// The poll failed with this kind.
    Error(ErrorKind),
    /// The answer's values at `path` pass `test`.
    Path { path: &'static str, test: Test },
}

/// A test of the values a path reaches (see `src/answer_path.rs`); a value `$name` is the
/// argument `name`.
#[derive(Debug)]
pub(crate) enum Test {
    /// Exactly one value, this one.
    Equals(&'static str),
    /// At least one of the values is this one.
    AnyEquals(&'static str),
    /// None of the values is this one (no value at all included).
    NoneEquals(&'static str),
    /// At least one value, and all of them this one.
    AllEquals(&'static str),
    /// `true`: no value at all (the path reaches nothing, or only `null`); `false`: some.
    Absent(bool),
}

/// One acceptor of a waiter.
#[derive(Debug)]
pub(crate) struct Acceptor {
    pub(crate) state: State,
    pub(crate) matcher: Matcher,
}

/// What a successful wait saw: the request id of the answer that showed it.
pub(crate) type Seen = Option<String>;

/// The body of every generated `wait_until_*`: runs `waiter` with `arguments` within
/// `timeout`, traced in a `jdcloud_vm.wait` span.
pub(crate) async fn wait(
    client: &Client,
    waiter: &'static Waiter,
    arguments: &[&str],
    timeout: Duration,
) -> Result<(), Error> {
    run(client, waiter, arguments, timeout).await.map(drop)
}

/// Runs `waiter`: polls at least once, then until an acceptor says success or failure, or
/// until `timeout`.
pub(crate) async fn run(
    client: &Client,
    waiter: &'static Waiter,
    arguments: &[&str],
    timeout: Duration,
) -> Result<Seen, Error> {
    let span = tracing::debug_span!(
        "jdcloud_vm.wait",
        waiter = waiter.method,
        awaits = %awaited(waiter, arguments),
        polls = tracing::field::Empty,
    );
    polls(client, waiter, arguments, timeout)
        .instrument(span)
        .await
        .map_err(|e| match e.kind() {
            ErrorKind::Timeout | ErrorKind::WaitFailed => e.with_operation(waiter.method),
            _ => e,
        })
}

async fn polls(
    client: &Client,
    waiter: &'static Waiter,
    arguments: &[&str],
    timeout: Duration,
) -> Result<Seen, Error> {
    let argument = |name: &str| {
        let i = waiter.arguments.iter().position(|a| *a == name)?;
        arguments.get(i).copied()
    };
    let deadline = Instant::now() + timeout;
    let mut polls = 0u32;
    loop {
        let poll = (waiter.poll)(client, arguments);
        // The first poll is always made, whatever the timeout.
        let answer = match polls {
            0 => Some(poll.await),
            _ => tokio::time::timeout_at(deadline, poll).await.ok(),
        };
        polls += 1;
        tracing::Span::current().record("polls", polls);
        let Some(answer) = answer else { break };
        match decide(waiter, &answer, &argument) {
            Some((State::Success, how)) => {
                tracing::debug!(polls, matched = %how, "done");
                return Ok(match answer {
                    Ok(value) => value
                        .get("requestId")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    Err(e) => e.request_id().map(str::to_owned),
                });
            }
            Some((State::Failure, how)) => {
                tracing::debug!(polls, matched = %how, "failure state: giving up");
                let request_id = match &answer {
                    Ok(value) => value.get("requestId").and_then(Value::as_str),
                    Err(e) => e.request_id(),
                };
                return Err(Error::new(ErrorKind::WaitFailed)
                    .with_message(format!(
                        "waiting for {} ended: {how} (answer of {})",
                        awaited(waiter, arguments),
                        waiter.operation
                    ))
                    .with_request_id(request_id.map(str::to_owned)));
            }
            Some((State::Retry, how)) => tracing::debug!(polls, matched = %how, "polling on"),
            None => match answer {
                Err(e) if !e.is_retryable() => return Err(e),
                Err(e) => tracing::debug!(polls, kind = ?e.kind(), "poll failed; polling on"),
                Ok(_) => tracing::debug!(polls, "not yet"),
            },
        }
        let delay = delay(waiter, polls);
        if Instant::now() + delay >= deadline {
            tokio::time::sleep_until(deadline).await;
            break;
        }
        tokio::time::sleep(delay).await;
    }
    tracing::debug!(polls, "timed out");
    Err(Error::new(ErrorKind::Timeout).with_message(format!(
        "{} did not happen within {timeout:?} ({polls} polls of {})",
        awaited(waiter, arguments),
        waiter.operation
    )))
}

/// The first acceptor that matches the answer or error, and how it matched.
fn decide<'a>(
    waiter: &Waiter,
    answer: &Result<Value, Error>,
    argument: &dyn Fn(&str) -> Option<&'a str>,
) -> Option<(State, String)> {
    waiter.acceptors.iter().find_map(|acceptor| {
        let how = match (&acceptor.matcher, answer) {
            (Matcher::Error(kind), Err(e)) if e.kind() == *kind => format!("error {kind:?}"),
            (Matcher::Path { path, test }, Ok(value)) => {
                let steps = answer_path::parse(path).expect("build.rs checked every path");
                let found = answer_path::values(value, &steps, argument);
                let is = |v: &&Value, expected: &str| {
                    answer_path::is(v, answer_path::resolve(expected, |name| argument(name)))
                };
                let matched = match test {
                    Test::Equals(e) => found.len() == 1 && is(&found[0], e),
                    Test::AnyEquals(e) => found.iter().any(|v| is(v, e)),
                    Test::NoneEquals(e) => !found.iter().any(|v| is(v, e)),
                    Test::AllEquals(e) => !found.is_empty() && found.iter().all(|v| is(v, e)),
                    Test::Absent(absent) => found.is_empty() == *absent,
                };
                if !matched {
                    return None;
                }
                match found.as_slice() {
                    [] => format!("`{path}` is absent"),
                    [one] => format!("`{path}` is {one}"),
                    many => format!(
                        "`{path}` is {}",
                        Value::from(many.iter().copied().cloned().collect::<Vec<_>>())
                    ),
                }
            }
            _ => return None,
        };
        Some((acceptor.state, how))
    })
}

/// The delay after poll number `polls`: uniform between `minDelay` and a ceiling that doubles
/// from it with each poll, up to `maxDelay`.
fn delay(waiter: &Waiter, polls: u32) -> Duration {
    let ceiling = waiter
        .min_delay
        .saturating_mul(1u32 << polls.saturating_sub(1).min(20))
        .min(waiter.max_delay)
        .max(waiter.min_delay);
    waiter.min_delay + (ceiling - waiter.min_delay).mul_f64(fastrand::f64())
}

/// `awaits` with each `{argument}` replaced by its value.
fn awaited(waiter: &Waiter, arguments: &[&str]) -> String {
    let mut text = waiter.awaits.to_owned();
    for (name, value) in waiter.arguments.iter().zip(arguments) {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// An answer as JSON, for the acceptors' paths.
pub(crate) fn to_json<T: serde::Serialize>(answer: T) -> Result<Value, Error> {
    serde_json::to_value(answer).map_err(|e| {
        Error::new(ErrorKind::MalformedResponse).with_message(format!("answer as JSON: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_poll<'a>(_: &'a Client, _: &'a [&'a str]) -> PollFuture<'a> {
        Box::pin(async { Ok(Value::Null) })
    }

    static WAITER: Waiter = Waiter {
        method: "wait_until_example",
        operation: "describe_example",
        arguments: &["regionId", "thingId"],
        awaits: "{thingId} in {regionId} to be ready",
        min_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(2),
        acceptors: &[
            Acceptor {
                state: State::Success,
                matcher: Matcher::Path {
                    path: "result.things[?id==$thingId].status",
                    test: Test::AllEquals("ready"),
                },
            },
            Acceptor {
                state: State::Failure,
                matcher: Matcher::Path {
                    path: "result.things[?id==$thingId].status",
                    test: Test::AnyEquals("error"),
                },
            },
            Acceptor {
                state: State::Retry,
                matcher: Matcher::Error(ErrorKind::TaskConflict),
            },
        ],
        poll: no_poll,
    };

    #[test]
    fn acceptors_decide_in_order_with_the_arguments() {
        let args = ["r", "t-1"];
        let argument = |name: &str| {
            let i = WAITER.arguments.iter().position(|a| *a == name)?;
            Some(args[i])
        };
        let answer = |status: &str| {
            Ok(serde_json::json!({"result": {"things": [
                {"id": "t-0", "status": "error"}, {"id": "t-1", "status": status}]}}))
        };
        assert_eq!(
            decide(&WAITER, &answer("ready"), &argument).unwrap().0,
            State::Success
        );
        assert_eq!(
            decide(&WAITER, &answer("error"), &argument).unwrap().0,
            State::Failure
        );
        assert!(decide(&WAITER, &answer("pending"), &argument).is_none());
        let conflict = Err(Error::new(ErrorKind::TaskConflict));
        assert_eq!(
            decide(&WAITER, &conflict, &argument).unwrap().0,
            State::Retry
        );
        assert_eq!(awaited(&WAITER, &args), "t-1 in r to be ready");
    }

    #[test]
    fn delays_grow_from_the_least_to_the_most() {
        for polls in 1..30 {
            let d = delay(&WAITER, polls);
            assert!(
                d >= WAITER.min_delay && d <= WAITER.max_delay,
                "{polls}: {d:?}"
            );
        }
        assert!(delay(&WAITER, 1) == WAITER.min_delay);
    }
}
