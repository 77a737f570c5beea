//! The running emulator: an axum server on its own task, stopped when the handle is dropped.

use std::{
    fmt,
    net::{Ipv4Addr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

use axum::extract::State;
use tokio::{sync::oneshot, task::JoinHandle};

use super::{
    gateway::Gateway,
    handlers::{handle, App},
    listener::TimedListener,
    service::Service,
    state::EmulatorState,
};
use crate::{Error, ErrorKind};

/// How the emulator runs; [`Default`] is what [`Emulator::start`] uses.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use jdcloud_vm::emulator::EmulatorConfig;
///
/// let config = EmulatorConfig::default().task_duration(Duration::from_millis(50));
/// assert_eq!(config.task_duration, Duration::from_millis(50));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EmulatorConfig {
    /// Where to listen. Default `127.0.0.1:0`: the loopback interface, a free port.
    pub listen: SocketAddr,
    /// How long the task started by a successful attach keeps the instance busy, refusing
    /// other attaches with `Conflict with underlay task`. Default 2 s.
    pub task_duration: Duration,
    /// How far a request's `x-jdcloud-date` may be from the emulator's clock. Default 15
    /// minutes, as on the real gateway.
    pub clock_skew_limit: Duration,
    /// How many nonces are remembered at most to refuse replays; when that many unexpired
    /// ones are held, new requests get `429`. Default 100 000.
    pub nonce_capacity: usize,
    /// Whether to write one line per request to standard error (method, path, status, error,
    /// request id, elapsed time; never headers). Default false; the binary turns it on.
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

/// A running emulator of the VM service; see the [module docs](super) for what it checks.
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
    /// # async fn demo(state: jdcloud_vm::emulator::EmulatorState) -> Result<(), jdcloud_vm::Error> {
    /// use std::time::Duration;
    /// use jdcloud_vm::emulator::{Emulator, EmulatorConfig};
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

    /// The base URL to give [`ClientBuilder::endpoint`](crate::ClientBuilder::endpoint):
    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the emulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The instance a network interface is attached to now, if the interface exists and is
    /// attached.
    pub fn attached_to(&self, network_interface_id: &str) -> Option<String> {
        self.app.service.attached_to(network_interface_id)
    }

    /// The emulator's world now, e.g. to save with [`EmulatorState::to_json`].
    pub fn snapshot(&self) -> EmulatorState {
        self.app.service.snapshot(Instant::now())
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

    /// Stops accepting connections and waits until the requests in flight are answered.
    pub async fn shutdown(mut self) {
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
