//! Test support shared by the integration tests: the spec's own examples, a client against a
//! wiremock server, and a matcher that checks JD Cloud signatures of whatever arrives.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use jdcloud_vm::{
    signing::{sign, SignableRequest, SigningAlgorithm},
    Client, Credentials, RetryConfig,
};
use wiremock::{Match, MockServer, Request};

pub const ACCESS_KEY: &str = "AKEXAMPLE0123456789";
pub const SECRET_KEY: &str = "SKEXAMPLEabcdefghijklmnopqrstuvwxyz";
pub const REGION: &str = "cn-north-1";
pub const INSTANCE: &str = "i-eumm1234d6";
pub const INTERFACE: &str = "port-n2h7abcdse";
/// The path the client sends for the IDs above (the `:` travels raw).
pub const ATTACH_PATH: &str =
    "/v1/regions/cn-north-1/instances/i-eumm1234d6:attachNetworkInterface";

pub fn credentials() -> Credentials {
    Credentials::new(ACCESS_KEY, SECRET_KEY)
}

/// A client for `server`, retries off unless a test turns them on.
pub fn client(server: &MockServer) -> Client {
    builder(server).build().expect("a valid client")
}

pub fn builder(server: &MockServer) -> jdcloud_vm::ClientBuilder {
    Client::builder()
        .credentials(credentials())
        .endpoint(server.uri())
        .retry(RetryConfig::disabled())
        .timeout(Duration::from_secs(5))
}

/// The spec, read at test time, so tests follow it rather than retype it.
pub fn spec() -> yaml_serde::Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/vm.yaml"))
        .expect("spec/vm.yaml");
    yaml_serde::from_str(&text).expect("the spec is YAML")
}

/// One documented error of the spec: its example name, HTTP status and JSON body.
#[derive(Clone, Debug)]
pub struct DocumentedError {
    /// The operationId that documents it.
    pub operation: String,
    pub name: String,
    pub http_status: u16,
    pub status: String,
    pub message: String,
    pub request_id: String,
    /// The example's `x-retryable`.
    pub retryable: bool,
    pub body: serde_json::Value,
}

/// Every named error example of every `4XX`/`5XX` response of every operation of the spec
/// (responses given as `$ref` resolved); within a response, by example name.
pub fn documented_errors() -> Vec<DocumentedError> {
    let spec = serde_json::to_value(spec()).expect("the spec is JSON-compatible");
    let mut out = Vec::new();
    for (_, item) in spec["paths"].as_object().expect("paths") {
        for (_, op) in item.as_object().expect("a path item") {
            let Some(id) = op["operationId"].as_str() else {
                continue;
            };
            for range in ["4XX", "5XX"] {
                let mut response = &op["responses"][range];
                if let Some(reference) = response["$ref"].as_str() {
                    let name = reference.trim_start_matches("#/components/responses/");
                    response = &spec["components"]["responses"][name];
                }
                let Some(examples) =
                    response["content"]["application/json"]["examples"].as_object()
                else {
                    continue;
                };
                for (name, example) in examples {
                    let body = example["value"].clone();
                    out.push(DocumentedError {
                        operation: id.to_owned(),
                        name: name.clone(),
                        http_status: body["error"]["code"].as_u64().unwrap() as u16,
                        status: body["error"]["status"].as_str().unwrap().to_owned(),
                        message: body["error"]["message"].as_str().unwrap().to_owned(),
                        request_id: body["requestId"].as_str().unwrap().to_owned(),
                        retryable: example["x-retryable"].as_bool().unwrap_or(false),
                        body,
                    });
                }
            }
        }
    }
    out
}

/// The spec's example of the 200 answer, or, as the imported spec leaves the pages' examples out
/// (they contradict the tables in places), the answer the page documents: a request id.
pub fn success_example() -> serde_json::Value {
    let spec = spec();
    let example = &spec["paths"]
        ["/regions/{regionId}/instances/{instanceId}:attachNetworkInterface"]["post"]["responses"]
        ["200"]["content"]["application/json"]["example"];
    match serde_json::to_value(example).expect("JSON") {
        serde_json::Value::Null => {
            serde_json::json!({"requestId": "c2hmmaan8w06w19qcdfuic4w03f7ft2d"})
        }
        example => example,
    }
}

/// Matches a request whose `Authorization` is a correct JD Cloud signature, by `credentials`,
/// over exactly the headers its `SignedHeaders` names.
pub struct SignedBy(pub Credentials);

impl Match for SignedBy {
    fn matches(&self, request: &Request) -> bool {
        verify(&self.0, request).is_ok()
    }
}

/// Checks a request's signature; `Err` says why it does not verify.
pub fn verify(credentials: &Credentials, request: &Request) -> Result<(), String> {
    let auth = request
        .headers
        .get("authorization")
        .ok_or("no authorization header")?
        .to_str()
        .map_err(|_| "authorization is not text")?;
    let (algorithm, rest) = auth.split_once(' ').ok_or("no algorithm")?;
    let algorithm = SigningAlgorithm::from_name(algorithm).ok_or("unknown algorithm")?;
    let field = |name: &str| {
        rest.split(", ")
            .find_map(|p| p.strip_prefix(name))
            .map(str::to_owned)
            .ok_or(format!("no {name}"))
    };
    let credential = field("Credential=")?;
    let signed_headers = field("SignedHeaders=")?;
    let mut scope = credential.split('/');
    let (ak, _day, region, service) = (scope.next(), scope.next(), scope.next(), scope.next());
    if ak != Some(credentials.access_key()) {
        return Err(format!("access key {ak:?}"));
    }
    let values: Vec<(String, String)> = signed_headers
        .split(';')
        .map(|name| {
            let value = request
                .headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
                .join(",");
            (name.to_owned(), value)
        })
        .collect();
    let headers: Vec<(&str, &str)> = values
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let expected = sign(
        algorithm,
        credentials,
        region.ok_or("no region")?,
        service.ok_or("no service")?,
        &SignableRequest {
            method: request.method.as_str(),
            path: request.url.path(),
            query: request.url.query().unwrap_or(""),
            headers: &headers,
            body: &request.body,
        },
    )
    .map_err(|e| e.to_string())?;
    if expected == auth {
        Ok(())
    } else {
        Err(format!("signature mismatch: expected {expected}"))
    }
}

/// Mounts, last and at the lowest priority, a mock that answers whatever no other mock
/// matched with a 500 whose message names `missed`, and expects to be hit `expected` times
/// (octocrab style: a miss fails the test with a message, not a hang or a mystery).
pub async fn catch_all(server: &MockServer, missed: &str, expected: u64) {
    use wiremock::{matchers::any, Mock, ResponseTemplate};
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_body_json(serde_json::json!({
            "requestId": "catch-all",
            "error": {"code": 500, "status": "UNMATCHED", "message": format!("no mock matched: {missed}")},
        })))
        .with_priority(u8::MAX)
        .expect(expected)
        .named(format!("catch-all: {missed}"))
        .mount(server)
        .await;
}

/// The spec's example of the 200 answer, as a wiremock response.
pub fn success_response() -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(200).set_body_json(success_example())
}

/// An attach through `client` with the IDs above.
pub async fn attach(
    client: &Client,
) -> Result<jdcloud_vm::types::AttachNetworkInterfaceResponse, jdcloud_vm::Error> {
    client
        .attach_network_interface()
        .region_id(REGION)
        .instance_id(INSTANCE)
        .network_interface_id(INTERFACE)
        .auto_delete(false)
        .send()
        .await
        .map(jdcloud_vm::ResponseValue::into_inner)
}

/// A buffer that a `tracing_subscriber::fmt` writer fills, for tests that read what was logged.
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }

    /// A `MakeWriter` for `tracing_subscriber::fmt().with_writer(…)`.
    pub fn writer(&self) -> impl Fn() -> Captured + Send + Sync + 'static {
        let this = self.clone();
        move || this.clone()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
