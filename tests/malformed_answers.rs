//! Answers that are not JD Cloud JSON: proxy pages, empty, truncated, non-UTF-8 or endless
//! bodies. Each becomes a classified error with what could be kept, never a panic, and an
//! endless body is read no further than the limit.

mod common;

use std::time::Duration;

use common::{attach, builder, catch_all, client, credentials, ATTACH_PATH};
use jdcloud_vm::{Client, Error, ErrorKind, RetryConfig, DEFAULT_MAX_RESPONSE_BYTES};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

/// One attach against a server that answers once with `template`.
async fn answer(template: ResponseTemplate, name: &str) -> Error {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ATTACH_PATH))
        .respond_with(template)
        .expect(1)
        .named(name)
        .mount(&server)
        .await;
    catch_all(&server, &format!("one POST {ATTACH_PATH} ({name})"), 0).await;
    attach(&client(&server))
        .await
        .expect_err("a malformed answer is an Err")
}

#[tokio::test]
async fn an_html_502_is_service_unavailable_with_its_status() {
    let e = answer(
        ResponseTemplate::new(502).set_body_raw(
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
            "text/html",
        ),
        "an HTML 502",
    )
    .await;
    assert_eq!(e.kind(), ErrorKind::ServiceUnavailable, "{e}");
    assert_eq!(e.http_status(), Some(502));
    assert!(e.is_retryable());
}

#[tokio::test]
async fn an_empty_500_keeps_the_header_request_id() {
    let e = answer(
        ResponseTemplate::new(500).insert_header("x-jdcloud-request-id", "req-empty-500"),
        "an empty 500",
    )
    .await;
    // Not the documented 500 `INTERNAL` `Internal server error`: no code, no message.
    assert_eq!(e.kind(), ErrorKind::ServiceUnavailable, "{e}");
    assert_eq!(e.http_status(), Some(500));
    assert_eq!(e.request_id(), Some("req-empty-500"));
}

#[tokio::test]
async fn truncated_json_on_200_is_malformed() {
    let e = answer(
        ResponseTemplate::new(200)
            .set_body_raw(r#"{"requestId":"c2hmmaan8w06"#, "application/json"),
        "a truncated 200",
    )
    .await;
    assert_eq!(e.kind(), ErrorKind::MalformedResponse, "{e}");
    assert_eq!(e.http_status(), Some(200));
    assert!(
        !e.is_retryable(),
        "the attach may have been applied: do not repeat it blindly"
    );
}

#[tokio::test]
async fn a_200_missing_its_request_id_is_malformed() {
    // Valid JSON, no error object, but not the documented answer either.
    let e = answer(
        ResponseTemplate::new(200).set_body_json(serde_json::json!({})),
        "an empty object",
    )
    .await;
    assert_eq!(e.kind(), ErrorKind::MalformedResponse, "{e}");
}

#[tokio::test]
async fn a_non_utf8_200_is_malformed() {
    let e = answer(
        ResponseTemplate::new(200).set_body_bytes(vec![0xff, 0xfe, b'{', 0x80, b'}']),
        "a non-UTF-8 200",
    )
    .await;
    assert_eq!(e.kind(), ErrorKind::MalformedResponse, "{e}");
    assert!(e.message().unwrap().contains("UTF-8"), "{e}");
}

#[tokio::test]
async fn a_non_utf8_503_is_classified_by_its_status() {
    let e = answer(
        ResponseTemplate::new(503)
            .insert_header("x-jdcloud-request-id", "req-binary-503")
            .set_body_bytes(vec![0xc3, 0x28, 0xa0, 0xa1]),
        "a non-UTF-8 503",
    )
    .await;
    assert_eq!(e.kind(), ErrorKind::ServiceUnavailable, "{e}");
    assert_eq!(e.http_status(), Some(503));
    assert_eq!(e.request_id(), Some("req-binary-503"));
}

#[tokio::test]
async fn an_error_object_of_the_wrong_shape_does_not_pass_for_success() {
    let e = answer(
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({"requestId": "r", "error": "boom"})),
        "a 200 with a string error",
    )
    .await;
    assert_ne!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.kind(), ErrorKind::MalformedResponse, "{e}");
}

/// The size of the body the endless server offers: four times the default limit.
const OFFERED: u64 = 64 << 20;

/// A one-request HTTP server that answers 200 with a body of spaces, `OFFERED` bytes long,
/// written in 64 KiB pieces until the client hangs up. Returns its endpoint and a task that
/// yields how many body bytes it got written. With `declare_length` the answer says how long
/// it is (`Content-Length`); without, it is chunked, so the client learns only by reading.
async fn endless_server(declare_length: bool) -> (String, tokio::task::JoinHandle<u64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        // Read the request head; its small body can stay unread in the socket buffer.
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "the client hung up before sending a request");
            head.extend_from_slice(&buf[..n]);
        }
        let framing = if declare_length {
            format!("content-length: {OFFERED}")
        } else {
            "transfer-encoding: chunked".to_owned()
        };
        let status =
            format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{framing}\r\n\r\n");
        if socket.write_all(status.as_bytes()).await.is_err() {
            return 0;
        }
        let piece = vec![b' '; 64 << 10];
        let mut written = 0u64;
        while written < OFFERED {
            let sent = if declare_length {
                socket.write_all(&piece).await
            } else {
                let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
                chunk.extend_from_slice(&piece);
                chunk.extend_from_slice(b"\r\n");
                socket.write_all(&chunk).await
            };
            if sent.is_err() {
                return written;
            }
            written += piece.len() as u64;
        }
        if !declare_length {
            let _ = socket.write_all(b"0\r\n\r\n").await;
        }
        written
    });
    (endpoint, task)
}

fn client_for(endpoint: &str, limit: Option<usize>) -> Client {
    let mut b = Client::builder()
        .credentials(credentials())
        .endpoint(endpoint)
        .retry(RetryConfig::disabled())
        .timeout(Duration::from_secs(10));
    if let Some(limit) = limit {
        b = b.max_response_bytes(limit);
    }
    b.build().unwrap()
}

/// Attaches against an endless server; the error, and the body bytes the server got out.
async fn endless(declare_length: bool, limit: Option<usize>) -> (Error, u64) {
    let (endpoint, server) = endless_server(declare_length).await;
    let e = attach(&client_for(&endpoint, limit))
        .await
        .expect_err("an oversized body is an Err");
    let written = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the client hangs up instead of reading on")
        .unwrap();
    (e, written)
}

fn assert_refused_for_size(e: &Error, limit: usize) {
    assert_eq!(e.kind(), ErrorKind::MalformedResponse, "{e}");
    assert_eq!(e.http_status(), Some(200));
    let message = e.message().unwrap_or_default();
    assert!(
        message.contains(&limit.to_string()),
        "the message names the limit: {message}"
    );
}

#[tokio::test]
async fn a_64_mib_chunked_body_is_read_no_further_than_the_default_limit() {
    assert_eq!(DEFAULT_MAX_RESPONSE_BYTES, 16 << 20);
    let (e, written) = endless(false, None).await;
    assert_refused_for_size(&e, DEFAULT_MAX_RESPONSE_BYTES);
    // The limit, plus what loopback socket buffers absorb: far short of the whole body.
    assert!(
        written < 40 << 20,
        "the server wrote {written} bytes before the client hung up"
    );
}

#[tokio::test]
async fn a_declared_64_mib_body_is_refused_before_reading_it() {
    let (e, written) = endless(true, None).await;
    assert_refused_for_size(&e, DEFAULT_MAX_RESPONSE_BYTES);
    // Nothing of the body is read: only socket buffers fill before the hang-up.
    assert!(
        written < 24 << 20,
        "the server wrote {written} bytes before the client hung up"
    );
}

#[tokio::test]
async fn a_configured_limit_is_enforced_while_streaming() {
    let (e, written) = endless(false, Some(256 << 10)).await;
    assert_refused_for_size(&e, 256 << 10);
    assert!(
        written < 24 << 20,
        "the server wrote {written} bytes before the client hung up"
    );
}

/// The spec's success answer, padded with JSON whitespace to `len` bytes.
fn padded_success(len: usize) -> Vec<u8> {
    let mut body = serde_json::to_vec(&common::success_example()).unwrap();
    body.resize(len, b' ');
    body
}

#[tokio::test]
async fn a_body_at_the_limit_is_accepted_and_one_byte_more_is_not() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ATTACH_PATH))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(padded_success(4096), "application/json"),
        )
        .expect(2)
        .named("a 4096-byte success")
        .mount(&server)
        .await;
    catch_all(&server, "two attaches", 0).await;
    let at_limit = builder(&server).max_response_bytes(4096).build().unwrap();
    attach(&at_limit)
        .await
        .expect("a body of exactly the limit is read");
    let below = builder(&server).max_response_bytes(4095).build().unwrap();
    assert_refused_for_size(&attach(&below).await.unwrap_err(), 4095);
}

/// A success written as a chunked body in small pieces, each flushed and sent apart, as a slow
/// proxy can: the client reads them all, in order, and the limit counts them together.
async fn trickling_server(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let body = body.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let status = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                              transfer-encoding: chunked\r\nconnection: close\r\n\r\n";
                socket.write_all(status.as_bytes()).await.unwrap();
                for piece in body.chunks(7) {
                    let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
                    chunk.extend_from_slice(piece);
                    chunk.extend_from_slice(b"\r\n");
                    if socket.write_all(&chunk).await.is_err() {
                        return;
                    }
                    socket.flush().await.unwrap();
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    endpoint
}

#[tokio::test]
async fn a_success_in_many_chunks_is_read_whole() {
    let body = padded_success(300);
    let endpoint = trickling_server(body.clone()).await;
    let answer = attach(&client_for(&endpoint, Some(body.len())))
        .await
        .expect("a success in pieces is a success");
    assert_eq!(
        answer.request_id,
        common::success_example()["requestId"].as_str().unwrap()
    );
    let e = attach(&client_for(&endpoint, Some(body.len() - 1)))
        .await
        .expect_err("the pieces together pass the limit");
    assert_refused_for_size(&e, body.len() - 1);
}
