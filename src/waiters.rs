//! Waiting for an attach or a detach to take effect.
//!
//! JD Cloud applies both as a task on the instance, which may take minutes, and offers no task
//! API: the change shows in `describeInstance` once the task ends. The waiters poll it, one
//! instance per call (the docs warn against polling `describeInstances` for one instance), with
//! a growing delay, and wait out `Conflict with underlay task` and other retryable failures.

use std::time::Duration;

use tokio::time::Instant;
use tracing::Instrument as _;

use crate::{types::Instance, Client, Error, ErrorKind};

/// The first delay between two polls; each next one is half as long again, up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_millis(250);
/// The longest delay between two polls: a wait of minutes costs a call every 5 s.
const MAX_DELAY: Duration = Duration::from_secs(5);

impl Client {
    /// Waits until `network_interface_id` is among the `secondaryNetworkInterfaces` of
    /// `instance_id`, polling [`describe_instance`](Client::describe_instance).
    ///
    /// Past `timeout` the result is [`ErrorKind::Timeout`], with a message naming what was
    /// awaited. `Conflict with underlay task` and other retryable failures while polling are
    /// waited out; any other failure (the instance is not found, say) is returned as it is.
    /// Dropping the future stops the polling: nothing is left behind.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn demo(client: jdcloud_vm::Client) -> Result<(), jdcloud_vm::Error> {
    /// use std::time::Duration;
    ///
    /// client
    ///     .attach_network_interface()
    ///     .region_id("cn-north-1")
    ///     .instance_id("i-eumm1234d6")
    ///     .network_interface_id("port-n2h7abcdse")
    ///     .send()
    ///     .await?;
    /// client
    ///     .wait_until_attached("cn-north-1", "i-eumm1234d6", "port-n2h7abcdse", Duration::from_secs(300))
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_until_attached(
        &self,
        region_id: &str,
        instance_id: &str,
        network_interface_id: &str,
        timeout: Duration,
    ) -> Result<(), Error> {
        self.wait(region_id, instance_id, network_interface_id, timeout, true)
            .await
    }

    /// Waits until `network_interface_id` is no longer among the `secondaryNetworkInterfaces`
    /// of `instance_id`; otherwise as [`wait_until_attached`](Client::wait_until_attached).
    pub async fn wait_until_detached(
        &self,
        region_id: &str,
        instance_id: &str,
        network_interface_id: &str,
        timeout: Duration,
    ) -> Result<(), Error> {
        self.wait(region_id, instance_id, network_interface_id, timeout, false)
            .await
    }

    async fn wait(
        &self,
        region_id: &str,
        instance_id: &str,
        network_interface_id: &str,
        timeout: Duration,
        attached: bool,
    ) -> Result<(), Error> {
        let operation = if attached {
            "wait_until_attached"
        } else {
            "wait_until_detached"
        };
        let span = tracing::debug_span!(
            "jdcloud_vm.wait",
            operation,
            instance = instance_id,
            network_interface = network_interface_id,
        );
        self.poll_until(
            region_id,
            instance_id,
            network_interface_id,
            attached,
            timeout,
        )
        .instrument(span)
        .await
        .map(drop)
        .map_err(|e| match e.kind() {
            ErrorKind::Timeout => e.with_operation(operation),
            _ => e,
        })
    }

    /// Polls `describeInstance` until the interface is (`attached`) or is not among the
    /// instance's secondary interfaces, at least once and then until `timeout`; the request id
    /// of the answer that showed it.
    pub(crate) async fn poll_until(
        &self,
        region_id: &str,
        instance_id: &str,
        network_interface_id: &str,
        attached: bool,
        timeout: Duration,
    ) -> Result<String, Error> {
        let awaited = if attached {
            "attached to"
        } else {
            "detached from"
        };
        let deadline = Instant::now() + timeout;
        let mut delay = FIRST_DELAY;
        let mut polls = 0u32;
        loop {
            let poll = self
                .describe_instance()
                .region_id(region_id)
                .instance_id(instance_id)
                .send();
            // The first poll is always made, whatever the timeout.
            let answer = match polls {
                0 => Some(poll.await),
                _ => tokio::time::timeout_at(deadline, poll).await.ok(),
            };
            polls += 1;
            match answer {
                None => break,
                Some(Ok(answer)) => {
                    let instance = &answer.result.instance;
                    if holds_secondary(instance, network_interface_id) == attached {
                        tracing::debug!(polls, "done");
                        return Ok(answer.into_inner().request_id);
                    }
                }
                Some(Err(e)) if e.kind() == ErrorKind::TaskConflict || e.is_retryable() => {
                    tracing::debug!(kind = ?e.kind(), "poll failed; waiting on");
                }
                Some(Err(e)) => return Err(e),
            }
            if Instant::now() + delay >= deadline {
                tokio::time::sleep_until(deadline).await;
                break;
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 3 / 2).min(MAX_DELAY);
        }
        tracing::debug!(polls, "timed out");
        Err(Error::new(ErrorKind::Timeout).with_message(format!(
            "{network_interface_id} was not {awaited} {instance_id} within {timeout:?} ({polls} polls of describe_instance)"
        )))
    }
}

/// Whether `network_interface_id` is among the instance's secondary interfaces.
pub(crate) fn holds_secondary(instance: &Instance, network_interface_id: &str) -> bool {
    instance.secondary_network_interfaces.iter().any(|a| {
        a.network_interface
            .as_ref()
            .and_then(|n| n.network_interface_id.as_deref())
            == Some(network_interface_id)
    })
}
