//! The TLS stack works out of the box: with the crate's default features (rustls on `ring`, no
//! crypto provider installed by anyone) an `https://` call opens a real TLS handshake rather
//! than panicking in the client's builder. A plain TCP listener on loopback reads the first
//! bytes the client sends, checks they open a TLS handshake record, and hangs up; the call then
//! fails as a transport error.

mod common;

use std::time::Duration;

use common::{attach, credentials};
use jdcloud_vm::{Client, ErrorKind, RetryConfig};
use tokio::{io::AsyncReadExt as _, net::TcpListener};

#[tokio::test]
async fn https_call_starts_a_tls_handshake_and_fails_as_transport() {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let port = listener.local_addr().expect("its address").port();

    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("the client connects");
        // A TLS record header: content type, then the protocol version (major, minor).
        let mut header = [0u8; 3];
        stream
            .read_exact(&mut header)
            .await
            .expect("the client sends a record header");
        header
        // `stream` is dropped here: the connection closes mid-handshake.
    });

    let client = Client::builder()
        .credentials(credentials())
        .endpoint(format!("https://127.0.0.1:{port}"))
        .retry(RetryConfig::disabled())
        .timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .expect("a client with the default TLS");
    let error = attach(&client)
        .await
        .expect_err("the server hangs up mid-handshake");

    let header = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server is done")
        .expect("the server did not panic");
    assert_eq!(header[0], 0x16, "a handshake record, got {header:02x?}");
    assert_eq!(header[1], 0x03, "TLS major version 3, got {header:02x?}");
    assert!(
        (0x01..=0x03).contains(&header[2]),
        "record version TLS 1.0 to 1.2, got {header:02x?}"
    );
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
}
