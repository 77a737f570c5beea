//! The listener: connections whose clients are too slow are closed.
//!
//! hyper, as `axum::serve` drives it, has no timer and so no header read timeout: a client
//! that opens a connection and sends nothing, half a request, or one byte a second, would hold
//! it, and a task, forever, and would keep [`Emulator::shutdown`](crate::Emulator::shutdown)
//! waiting. Each connection therefore gets a deadline: a client must start a request within
//! the timeout of the connection opening or of its last answer, and finish sending it within
//! the timeout of its first byte. A read still waiting past the deadline fails, and hyper
//! closes the connection.

use std::{
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    time::{Instant, Sleep},
};

/// A TCP listener whose connections time out as described in the module docs.
pub(crate) struct TimedListener {
    inner: TcpListener,
    timeout: Duration,
}

impl TimedListener {
    pub(crate) fn new(inner: TcpListener, timeout: Duration) -> TimedListener {
        TimedListener { inner, timeout }
    }
}

impl axum::serve::Listener for TimedListener {
    type Io = TimedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // axum's own accept loop, which retries (and backs off on) accept errors.
        let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        // Answers are small and written at once: no need to wait for more to fill a packet.
        let _ = stream.set_nodelay(true);
        (TimedStream::new(stream, self.timeout), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection with a deadline for the client's bytes.
pub(crate) struct TimedStream {
    inner: TcpStream,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    /// Whether bytes of a request have arrived since the last answer was written.
    in_request: bool,
}

impl TimedStream {
    fn new(inner: TcpStream, timeout: Duration) -> TimedStream {
        TimedStream {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep_until(deadline_after(timeout))),
            in_request: false,
        }
    }

    fn restart_deadline(&mut self) {
        self.deadline.as_mut().reset(deadline_after(self.timeout));
    }

    /// An answer (or a `100 Continue`) is going out: the client's turn again, with a fresh
    /// timeout to start its next request.
    fn answered(&mut self) {
        self.in_request = false;
        self.restart_deadline();
    }
}

/// Now plus `timeout`, or a century away when that cannot be represented.
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(now)
}

impl AsyncRead for TimedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before && !self.in_request {
                    // The first bytes of a request: it has the whole timeout to arrive.
                    self.in_request = true;
                    self.restart_deadline();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client was too slow to send a request",
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for TimedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.answered();
        }
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.answered();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
