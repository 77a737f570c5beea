//! The running emulator: an axum server on its own task, stopped when the handle is dropped.

use std::{
    fmt,
    net::{Ipv4Addr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

use axum::extract::State;
use tokio::{sync::oneshot, task::JoinHandle};

use crate::{
    gateway::Gateway,
    handlers::{handle, App, Faults, Stalls},
    listener::TimedListener,
    service::Service,
    state::EmulatorState,
};
use jdcloud_vm::{Error, ErrorKind};

/// How the emulator runs; [`Default`] is what [`Emulator::start`] uses.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use jdcloud_vm_emulator::EmulatorConfig;
///
/// let config = EmulatorConfig::default().task_duration(Duration::from_millis(50));
/// assert_eq!(config.task_duration, Duration::from_millis(50));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EmulatorConfig {
    /// Where to listen. Default `127.0.0.1:0`: the loopback interface, a free port.
    pub listen: SocketAddr,
    /// How long a task lasts: the one a change starts on its instance (create, start, stop,
    /// reboot, resize, rebuild, delete, attach, detach, …), which refuses other changes of the
    /// instance with `Conflict with underlay task` and shows a transitional status (`pending`,
    /// `stopping`, …) until it ends; and an image's creation, copy or import (`pending`, then
    /// `ready`). Default 2 s.
    pub task_duration: Duration,
    /// How far a request's `x-jdcloud-date` may be from the emulator's clock. Default 15
    /// minutes, as on the real gateway.
    pub clock_skew_limit: Duration,
    /// How many nonces are remembered at most to refuse replays; when that many unexpired
    /// ones are held, new requests get `429`. Default 100 000.
    pub nonce_capacity: usize,
    /// Whether to write one line per request to standard error (operation, method, path,
    /// status, error, request id, elapsed time; never headers). Default false; the binary
    /// turns it on.
    pub log_requests: bool,
    /// How long a client may take to start a request (after connecting or after its last
    /// answer) and then to send it whole, before its connection is closed.
    slow_client_timeout: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            task_duration: Duration::from_secs(2),
            clock_skew_limit: Duration::from_secs(15 * 60),
            nonce_capacity: 100_000,
            log_requests: false,
            slow_client_timeout: Duration::from_secs(30),
        }
    }
}

impl EmulatorConfig {
    /// Sets [`listen`](Self::listen).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Sets [`task_duration`](Self::task_duration).
    pub fn task_duration(mut self, duration: Duration) -> Self {
        self.task_duration = duration;
        self
    }

    /// Sets [`clock_skew_limit`](Self::clock_skew_limit).
    pub fn clock_skew_limit(mut self, limit: Duration) -> Self {
        self.clock_skew_limit = limit;
        self
    }

    /// Sets [`nonce_capacity`](Self::nonce_capacity).
    pub fn nonce_capacity(mut self, capacity: usize) -> Self {
        self.nonce_capacity = capacity;
        self
    }

    /// Sets [`log_requests`](Self::log_requests).
    pub fn log_requests(mut self, on: bool) -> Self {
        self.log_requests = on;
        self
    }

    /// How long a client may take to start a request (after connecting or after its last
    /// answer) and then to send it whole, before its connection is closed; default 30 s. For
    /// tests of slow clients, which should not wait that long; not part of the API.
    #[doc(hidden)]
    pub fn slow_client_timeout(mut self, timeout: Duration) -> Self {
        self.slow_client_timeout = timeout;
        self
    }
}

/// A running emulator of the VM service; see the [crate docs](crate) for what it checks.
///
/// It serves on its own Tokio task until dropped (or [`shutdown`](Self::shutdown)), then stops
/// accepting connections and finishes the requests in flight.
pub struct Emulator {
    addr: SocketAddr,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Starts serving `state` on `127.0.0.1`, on a free port, with the default
    /// [`EmulatorConfig`]. Must be called within a Tokio runtime.
    ///
    /// An error of kind [`Transport`](ErrorKind::Transport) when the port cannot be bound.
    pub async fn start(state: EmulatorState) -> Result<Emulator, Error> {
        Self::start_with(state, EmulatorConfig::default()).await
    }

    /// Starts serving `state` as `config` says.
    ///
    /// ```no_run
    /// # async fn demo(state: jdcloud_vm_emulator::EmulatorState) -> Result<(), jdcloud_vm::Error> {
    /// use std::time::Duration;
    /// use jdcloud_vm_emulator::{Emulator, EmulatorConfig};
    ///
    /// let emulator = Emulator::start_with(
    ///     state,
    ///     EmulatorConfig::default().task_duration(Duration::from_millis(100)),
    /// )
    /// .await?;
    /// println!("serving on {}", emulator.endpoint());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start_with(
        state: EmulatorState,
        config: EmulatorConfig,
    ) -> Result<Emulator, Error> {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| {
                Error::new(ErrorKind::Transport)
                    .with_message(format!("emulator: cannot listen on {}: {e}", config.listen))
                    .with_source(e)
            })?;
        let addr = listener.local_addr().map_err(|e| {
            Error::new(ErrorKind::Transport)
                .with_message(format!("emulator: no local address: {e}"))
                .with_source(e)
        })?;

        let app = Arc::new(App {
            gateway: Gateway::new(
                &state.credentials,
                config.clock_skew_limit,
                config.nonce_capacity,
            ),
            service: Service::new(state, config.task_duration),
            log_requests: config.log_requests,
            stalls: Stalls::default(),
            faults: Faults::default(),
            stopping: tokio::sync::watch::Sender::new(false),
        });
        let router = axum::Router::new().fallback(handle).with_state(app.clone());
        let listener = TimedListener::new(listener, config.slow_client_timeout);

        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    // A dropped sender stops the server too.
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(target: "jdcloud_vm::emulator", "emulator stopped: {e}");
            }
        });
        Ok(Emulator {
            addr,
            app,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The base URL to give [`ClientBuilder::endpoint`](jdcloud_vm::ClientBuilder::endpoint):
    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the emulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The instance a network interface is attached to, if the interface exists and is
    /// attached, in the committed state: an accepted attach or detach shows here at once,
    /// while its task is still running and `describeInstance` still shows the interface as
    /// it was (see the [crate docs](crate#tasks)).
    pub fn attached_to(&self, network_interface_id: &str) -> Option<String> {
        self.app.service.attached_to(network_interface_id)
    }

    /// The emulator's committed world now (as [`attached_to`](Self::attached_to) shows it),
    /// e.g. to save with [`EmulatorState::to_json`]; instances with a task in progress are
    /// written as `"busy": true`, a task that a state file cannot end.
    pub fn snapshot(&self) -> EmulatorState {
        self.app.service.snapshot(Instant::now())
    }

    /// Loses answers on purpose: the next `count` requests of `operation` (routed to it,
    /// whatever their answer) are applied as usual, then their answers are held for `delay`
    /// before being sent, e.g. past a client's timeout, as if the network had lost them.
    /// `operation` is any of the spec's, named as JD Cloud names it (`createInstances`,
    /// `attachNetworkInterface`, …). A new call replaces what an earlier one planned for the
    /// same operation; a `count` of 0 cancels it.
    /// Held answers are sent at once when the emulator shuts down.
    ///
    /// ```no_run
    /// # async fn demo(emulator: jdcloud_vm_emulator::Emulator) {
    /// use std::time::Duration;
    /// // The next attach is applied, but its answer comes 30 s late: a client with a 5 s
    /// // timeout sees a timeout, retries, and must not report a failure.
    /// emulator.stall_next_replies("attachNetworkInterface", 1, Duration::from_secs(30));
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// When the spec has no such operation: a typo would otherwise stall nothing.
    pub fn stall_next_replies(&self, operation: &str, count: usize, delay: Duration) {
        let op = crate::faults::operation(operation)
            .unwrap_or_else(|e| panic!("stall_next_replies: {e}"));
        self.app.stalls.set(op, count, delay);
    }

    /// Refuses the next `count` calls of `operation`, unapplied, with the error of that name
    /// that the operation documents in the spec (`"TaskConflict"`, `"InvalidInstanceStatus"`,
    /// and for every operation `"InternalServerError"` and `"UnknownServerError"`), as JD Cloud
    /// would answer it (its `xx` placeholders read `emulator-fault`). A new call replaces what
    /// an earlier one planned for the same operation; a `count` of 0 cancels it.
    ///
    /// ```no_run
    /// # async fn demo(emulator: jdcloud_vm_emulator::Emulator) {
    /// // The next two creates fail with 500 INTERNAL: a client's retries should carry it.
    /// emulator.fail_next("createInstances", 2, "InternalServerError");
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// When the spec has no such operation, or the operation documents no such error: a typo
    /// would otherwise fail nothing.
    pub fn fail_next(&self, operation: &str, count: usize, error: &str) {
        let op = crate::faults::operation(operation).unwrap_or_else(|e| panic!("fail_next: {e}"));
        let error =
            crate::faults::documented(op, error).unwrap_or_else(|e| panic!("fail_next: {e}"));
        self.app.faults.set(op, count, error);
    }

    /// Answers one request in-process, exactly as over a socket but without HTTP parsing:
    /// for the fuzz target, which would spend most of its time in the socket otherwise. Not
    /// part of the API.
    #[doc(hidden)]
    pub async fn answer_in_process(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> http::Response<Vec<u8>> {
        let response = handle(State(self.app.clone()), request.map(axum::body::Body::from)).await;
        let (parts, body) = response.into_parts();
        // The emulator's answers are small JSON documents, never a stream that could fail.
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        http::Response::from_parts(parts, body.to_vec())
    }

    /// Stops accepting connections and waits until the requests in flight are answered
    /// (held answers at once).
    pub async fn shutdown(mut self) {
        self.app.stopping.send_replace(true);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Graceful: the server task finishes the requests in flight on its own.
        self.app.stopping.send_replace(true);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("endpoint", &self.endpoint())
            .finish_non_exhaustive()
    }
}
