//! The emulator's request handling, over a real socket: any well-formed HTTP/1.1 request gets an
//! answer in JD Cloud's format (a status, a JSON body whose `requestId` matches the
//! `x-jdcloud-request-id` header, an `error` object exactly when the status is not 200), never
//! a dropped connection or a hang, and the server keeps serving. A request this harness signs
//! itself must never be refused for its signature: the client's signer and the gateway's
//! verifier agree on whatever path, query, headers and body the fuzzer chose.
//!
//! Input: one byte of flags, then `method \n target \n header lines \n\n body`.
//!
//! - bit 0: sign the request as the SDK would (`AK`/`SK`, a fresh date and nonce), over the host,
//!   date, nonce and every header the fuzzer added;
//! - bit 1: `JDCLOUD3` rather than `JDCLOUD2`;
//! - bit 2: send the body chunked rather than with a `Content-Length`;
//! - bit 3: the target line is `REGION INSTANCE` (or just `INSTANCE`), put into the attach path;
//! - bit 4: the body is put into `{"networkInterfaceId": BODY}` as a JSON string.
//!
//! Bytes that would make the request malformed HTTP are dropped (see `well_formed_*`): this
//! target is about what the emulator does with what hyper lets through, not about hyper.
#![no_main]

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    sync::{
        atomic::{AtomicU64, Ordering},
        OnceLock,
    },
    time::{Duration, SystemTime},
};

use jdcloud_vm_emulator::{Emulator, EmulatorConfig, EmulatorState};
use jdcloud_vm::{
    signing::{sign, SignableRequest, SigningAlgorithm},
    Credentials,
};
use libfuzzer_sys::fuzz_target;

const STATE: &str = r#"{
  "credentials": [
    {"access_key": "AK", "secret_key": "SK"},
    {"access_key": "TMP", "secret_key": "TSK", "security_token": "tok"}
  ],
  "instances": [
    {"id": "i-1", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "max_network_interfaces": 3},
    {"id": "i-2", "region": "cn-north-1", "az": "cn-north-1b", "vpc": "vpc-1", "status": "stopped"},
    {"id": "i-3", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "status": "starting"},
    {"id": "i-4", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "busy": true},
    {"id": "i-5", "region": "cn-south-1", "az": "cn-south-1a", "vpc": "vpc-2"}
  ],
  "network_interfaces": [
    {"id": "port-1", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK"},
    {"id": "port-2", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "elastic_ip_az": "cn-north-1b"},
    {"id": "port-3", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "elastic_ip_az": "*"},
    {"id": "port-4", "region": "cn-north-1", "vpc": "vpc-2", "owner": "AK"},
    {"id": "port-5", "region": "cn-north-1", "vpc": "vpc-1", "owner": "TMP"},
    {"id": "port-6", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "primary": true},
    {"id": "port-7", "region": "cn-south-1", "vpc": "vpc-2", "owner": "AK", "attached_to": "i-9"}
  ]
}"#;

/// One emulator for the whole run, on a runtime of its own; the fuzzer's thread is its client.
fn emulator() -> &'static (tokio::runtime::Runtime, Emulator) {
    static EMULATOR: OnceLock<(tokio::runtime::Runtime, Emulator)> = OnceLock::new();
    EMULATOR.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let state = EmulatorState::from_json(STATE).expect("the fuzz state parses");
        // Instant tasks keep instances attachable; a short skew limit keeps the nonce cache
        // (kept twice as long) small over millions of signed requests.
        let config = EmulatorConfig::default()
            .task_duration(Duration::ZERO)
            .clock_skew_limit(Duration::from_secs(5));
        let emulator = runtime
            .block_on(Emulator::start_with(state, config))
            .expect("the emulator starts");
        (runtime, emulator)
    })
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A method token; CONNECT needs an authority-form target, so it is not one this harness makes.
fn well_formed_method(raw: &[u8]) -> String {
    let m: String = raw
        .iter()
        .copied()
        .filter(|&b| is_tchar(b))
        .take(32)
        .map(char::from)
        .collect();
    if m.is_empty() || m.eq_ignore_ascii_case("CONNECT") {
        "POST".to_owned()
    } else {
        m
    }
}

/// An origin-form target: RFC 3986 path and query characters only, rooted.
fn well_formed_target(raw: &[u8]) -> String {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=:@/?".contains(&b);
    let t: String = raw
        .iter()
        .copied()
        .filter(|&b| allowed(b))
        .map(char::from)
        .collect();
    if t.starts_with('/') {
        t
    } else {
        format!("/{t}")
    }
}

/// Headers the harness owns: framing and connection handling, and, when it signs, the signed
/// gateway headers (a second date or nonce is a different request from the one signed).
fn reserved(name: &str, signing: bool) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "content-length"
            | "transfer-encoding"
            | "host"
            | "connection"
            | "upgrade"
            | "te"
            | "keep-alive"
            | "expect"
    ) || (signing
        && matches!(
            n.as_str(),
            "authorization" | "x-jdcloud-date" | "x-jdcloud-nonce"
        ))
}

/// `name: value` lines: a token name, a value of visible characters, spaces, tabs and obs-text
/// (the bytes hyper lets through), at most 64 of them (hyper's own limit is 100).
fn well_formed_headers(lines: &[&[u8]], signing: bool) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for line in lines.iter().take(64) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name: String = line[..colon]
            .iter()
            .copied()
            .filter(|&b| is_tchar(b))
            .map(char::from)
            .collect();
        if name.is_empty() || reserved(&name, signing) {
            continue;
        }
        let value: Vec<u8> = line[colon + 1..]
            .iter()
            .copied()
            .filter(|&b| b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80)
            .collect();
        // As hyper delivers it: without the optional white space around it.
        let value = value.trim_ascii().to_vec();
        out.push((name, value));
    }
    out
}

struct Answer {
    status: u16,
    request_id_header: Option<String>,
    body: Vec<u8>,
}

/// Reads the final answer (skipping `100 Continue`) of a connection the server closes after it.
fn read_answer(stream: &mut TcpStream, request: &[u8]) -> Answer {
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw) {
        panic!(
            "no answer ({e}) after {} bytes read to:\n{}",
            raw.len(),
            String::from_utf8_lossy(request)
        );
    }
    let mut rest = &raw[..];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        let head_len = match response.parse(rest) {
            Ok(httparse::Status::Complete(n)) => n,
            other => panic!(
                "not an HTTP answer ({other:?}): {:?}\nto:\n{}",
                String::from_utf8_lossy(&raw),
                String::from_utf8_lossy(request)
            ),
        };
        let status = response.code.expect("a status");
        if (100..200).contains(&status) {
            rest = &rest[head_len..];
            continue;
        }
        let request_id_header = response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("x-jdcloud-request-id"))
            .map(|h| String::from_utf8_lossy(h.value).into_owned());
        return Answer {
            status,
            request_id_header,
            body: rest[head_len..].to_vec(),
        };
    }
}

fn chunked(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if !body.is_empty() {
        out.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let signing = flags & 1 != 0;
    let algorithm = if flags & 2 != 0 {
        SigningAlgorithm::Jdcloud3
    } else {
        SigningAlgorithm::Jdcloud2
    };

    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&rest[..at], &rest[at + 2..]),
        None => (rest, &b""[..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let method = well_formed_method(lines.next().unwrap_or_default());
    let target_line = lines.next().unwrap_or_default();
    let target = if flags & 8 != 0 {
        let text = String::from_utf8_lossy(target_line);
        let (region, instance) = text.split_once(' ').unwrap_or(("cn-north-1", &text));
        well_formed_target(
            format!("/v1/regions/{region}/instances/{instance}:attachNetworkInterface").as_bytes(),
        )
    } else {
        well_formed_target(target_line)
    };
    let header_lines: Vec<&[u8]> = lines.collect();
    let mut headers = well_formed_headers(&header_lines, signing);
    let body: Vec<u8> = if flags & 16 != 0 {
        let id = serde_json::to_string(&String::from_utf8_lossy(body)).expect("a JSON string");
        format!(r#"{{"networkInterfaceId":{id}}}"#).into_bytes()
    } else {
        body.to_vec()
    };

    let host = emulator().1.local_addr().to_string();
    if signing {
        static NONCE: AtomicU64 = AtomicU64::new(0);
        let nonce = format!(
            "fuzz-{}-{}",
            std::process::id(),
            NONCE.fetch_add(1, Ordering::Relaxed)
        );
        headers.push((
            "x-jdcloud-date".into(),
            jdcloud_vm::signing::format_date(SystemTime::now()).into_bytes(),
        ));
        headers.push(("x-jdcloud-nonce".into(), nonce.into_bytes()));
        // Only UTF-8 values can be signed (`sign` takes text): a name with any other value
        // travels unsigned, all its values (the gateway verifies every value of a signed name).
        let unsignable = |name: &str| {
            headers
                .iter()
                .any(|(n, v)| n.eq_ignore_ascii_case(name) && std::str::from_utf8(v).is_err())
        };
        let mut signed: Vec<(&str, &str)> = vec![("host", &host)];
        for (name, value) in &headers {
            if let (Ok(value), false) = (std::str::from_utf8(value), unsignable(name)) {
                signed.push((name, value));
            }
        }
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let authorization = sign(
            algorithm,
            &Credentials::new("AK", "SK"),
            "cn-north-1",
            "vm",
            &SignableRequest {
                method: &method,
                path,
                query,
                headers: &signed,
                body: &body,
            },
        )
        .expect("a date was added, so the request can be signed");
        headers.push(("authorization".into(), authorization.into_bytes()));
    }

    let (runtime, emulator) = emulator();
    let over_socket = flags & 0xe0 == 0xe0;
    let answer = if over_socket {
        send_over_socket(
            emulator.local_addr(),
            &method,
            &target,
            &headers,
            &body,
            flags & 4 != 0,
        )
    } else {
        let Some(answer) =
            answer_in_process(runtime, emulator, &method, &target, &host, &headers, &body)
        else {
            // Not a request the `http` crate can represent, so not one hyper would pass on.
            return;
        };
        answer
    };
    let shown = || {
        let mut text = format!("{method} {target}\n");
        for (name, value) in &headers {
            text.push_str(&format!("{name}: {}\n", String::from_utf8_lossy(value)));
        }
        text.push_str(&format!("\n{}", String::from_utf8_lossy(&body)));
        text
    };
    check(&answer, &method, signing, over_socket, shown);
});

/// The checks every answer passes.
fn check(
    answer: &Answer,
    method: &str,
    signing: bool,
    over_socket: bool,
    shown: impl Fn() -> String,
) {
    let request_id = answer.request_id_header.as_deref().unwrap_or_else(|| {
        panic!(
            "no x-jdcloud-request-id in the {} answer to:\n{}",
            answer.status,
            shown()
        )
    });
    assert!(
        request_id.len() == 32
            && request_id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "request id {request_id:?}"
    );
    if over_socket && method.eq_ignore_ascii_case("HEAD") {
        // A HEAD answer has no body, by HTTP's rules.
        return;
    }
    let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_else(|e| {
        panic!(
            "the {} answer is not JSON ({e}): {:?}\nto:\n{}",
            answer.status,
            String::from_utf8_lossy(&answer.body),
            shown()
        )
    });
    assert_eq!(
        json["requestId"].as_str(),
        Some(request_id),
        "{json}\nto:\n{}",
        shown()
    );
    if answer.status == 200 {
        // `requestId`, and for the describes a `result`; never an `error`.
        let object = json.as_object().expect("an object");
        assert!(object.keys().all(|k| k == "requestId" || k == "result"), "{json}");
        assert!(json.get("error").is_none(), "{json}");
        return;
    }
    assert!(
        (400..600).contains(&answer.status),
        "status {} to:\n{}",
        answer.status,
        shown()
    );
    let error = &json["error"];
    assert_eq!(
        error["code"].as_u64(),
        Some(u64::from(answer.status)),
        "{json}"
    );
    assert!(
        error["status"].as_str().is_some_and(|s| !s.is_empty()),
        "{json}"
    );
    let message = error["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message: {json}"));
    if signing {
        // The signer and the verifier must agree on everything sent.
        assert!(
            !message.starts_with("sign result is not same")
                && !message.starts_with("lack of signed header"),
            "a request signed by the SDK's signer was refused: {message}\n{}",
            shown()
        );
    }
}

/// The answer of the emulator's handler, called in-process; `None` when the `http` crate
/// refuses the method, target or a header.
fn answer_in_process(
    runtime: &tokio::runtime::Runtime,
    emulator: &Emulator,
    method: &str,
    target: &str,
    host: &str,
    headers: &[(String, Vec<u8>)],
    body: &[u8],
) -> Option<Answer> {
    let mut request = http::Request::builder()
        .method(method)
        .uri(target)
        .header("host", host)
        .header("content-length", body.len());
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_slice());
    }
    let request = request.body(body.to_vec()).ok()?;
    let response = runtime.block_on(emulator.answer_in_process(request));
    Some(Answer {
        status: response.status().as_u16(),
        request_id_header: response
            .headers()
            .get("x-jdcloud-request-id")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        body: response.into_body(),
    })
}

/// The answer over a fresh connection, which the request asks the server to close after it.
fn send_over_socket(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(String, Vec<u8>)],
    body: &[u8],
    chunked_body: bool,
) -> Answer {
    let mut request =
        format!("{method} {target} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n").into_bytes();
    for (name, value) in headers {
        request.extend_from_slice(name.as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value);
        request.extend_from_slice(b"\r\n");
    }
    if chunked_body {
        request.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
        request.extend_from_slice(&chunked(body));
    } else {
        request.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
        request.extend_from_slice(body);
    }
    let mut stream = TcpStream::connect(addr).expect("the emulator keeps accepting connections");
    // A hang is a finding too: the emulator answers everything at once.
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    stream.write_all(&request).expect("the request is sent");
    read_answer(&mut stream, &request)
}
