//! The TLS stack works out of the box: with the crate's default features (reqwest's own
//! `rustls`, no crypto provider installed by anyone) an `https://` call opens a real TLS
//! handshake rather than panicking in the client's builder, and so do the application's own
//! reqwest clients, built before or after the SDK's. A plain TCP listener on loopback reads the
//! first bytes each client sends, checks they open a TLS handshake record, and hangs up; the
//! call then fails as a transport error.

mod common;

use std::time::Duration;

use common::{attach, credentials};
use jdcloud_vm::{Client, ErrorKind, RetryConfig};
use tokio::{io::AsyncReadExt as _, net::TcpListener, task::JoinHandle};

/// A loopback listener that takes `connections` connections, one after another, and returns
/// the first three bytes of each (a TLS record header: content type, then the protocol version).
async fn handshake_listener(connections: usize) -> (u16, JoinHandle<Vec<[u8; 3]>>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let port = listener.local_addr().expect("its address").port();
    let server = tokio::spawn(async move {
        let mut headers = Vec::new();
        for _ in 0..connections {
            let (mut stream, _) = listener.accept().await.expect("the client connects");
            let mut header = [0u8; 3];
            stream
                .read_exact(&mut header)
                .await
                .expect("the client sends a record header");
            headers.push(header);
            // `stream` is dropped here: the connection closes mid-handshake.
        }
        headers
    });
    (port, server)
}

fn assert_client_hello(header: [u8; 3]) {
    assert_eq!(header[0], 0x16, "a handshake record, got {header:02x?}");
    assert_eq!(header[1], 0x03, "TLS major version 3, got {header:02x?}");
    assert!(
        (0x01..=0x03).contains(&header[2]),
        "record version TLS 1.0 to 1.2, got {header:02x?}"
    );
}

fn sdk_client(port: u16) -> Client {
    Client::builder()
        .credentials(credentials())
        .endpoint(format!("https://127.0.0.1:{port}"))
        .retry(RetryConfig::disabled())
        .timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .expect("a client with the default TLS")
}

#[tokio::test]
async fn https_call_starts_a_tls_handshake_and_fails_as_transport() {
    let (port, server) = handshake_listener(1).await;
    let client = sdk_client(port);
    let error = attach(&client)
        .await
        .expect_err("the server hangs up mid-handshake");

    let headers = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server is done")
        .expect("the server did not panic");
    assert_client_hello(headers[0]);
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
}

/// The application's own `reqwest::Client::new()`, before and after the SDK's client, with
/// nothing installed: each builds (reqwest's `rustls-no-provider` would panic here) and
/// speaks TLS.
#[tokio::test]
async fn own_reqwest_clients_beside_the_sdk_build_and_speak_tls() {
    let (port, server) = handshake_listener(3).await;
    let url = format!("https://127.0.0.1:{port}/");

    let before = reqwest::Client::new();
    let client = sdk_client(port);
    let after = reqwest::Client::new();

    before.get(&url).send().await.expect_err("a hang-up");
    attach(&client).await.expect_err("a hang-up");
    after.get(&url).send().await.expect_err("a hang-up");

    let headers = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server is done")
        .expect("the server did not panic");
    assert_eq!(headers.len(), 3);
    headers.into_iter().for_each(assert_client_hello);
}
