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
        let (operation, awaited) = if attached {
            ("wait_until_attached", "attached to")
        } else {
            ("wait_until_detached", "detached from")
        };
        let span = tracing::debug_span!(
            "jdcloud_vm.wait",
            operation,
            instance = instance_id,
            network_interface = network_interface_id,
        );
        async move {
            let deadline = Instant::now() + timeout;
            let mut delay = FIRST_DELAY;
            let mut polls = 0u32;
            loop {
                let poll = self
                    .describe_instance()
                    .region_id(region_id)
                    .instance_id(instance_id)
                    .send();
                polls += 1;
                match tokio::time::timeout_at(deadline, poll).await {
                    Err(_) => break,
                    Ok(Ok(answer)) => {
                        let instance = &answer.result.instance;
                        if holds_secondary(instance, network_interface_id) == attached {
                            tracing::debug!(polls, "done");
                            return Ok(());
                        }
                    }
                    Ok(Err(e)) if e.kind() == ErrorKind::TaskConflict || e.is_retryable() => {
                        tracing::debug!(kind = ?e.kind(), "poll failed; waiting on");
                    }
                    Ok(Err(e)) => return Err(e),
                }
                let now = Instant::now();
                if now + delay >= deadline {
                    tokio::time::sleep_until(deadline).await;
                    break;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 3 / 2).min(MAX_DELAY);
            }
            tracing::debug!(polls, "timed out");
            Err(Error::new(ErrorKind::Timeout)
                .with_operation(operation)
                .with_message(format!(
                    "{network_interface_id} was not {awaited} {instance_id} within {timeout:?} ({polls} polls of describe_instance)"
                )))
        }
        .instrument(span)
        .await
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
