//! What was sent and what came back: the evidence every check judges.
//!
//! An [`Exchange`] holds redacted request headers only; secrets never enter it.

use serde_json::Value;
use std::time::Duration;

/// A request as sent (headers already redacted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method in upper case.
    pub method: String,
    /// Path and query, such as `/v1/p/server-groups?limit=1`.
    pub path: String,
    /// Headers as sent, secrets replaced by `<redacted>`.
    pub headers: Vec<(String, String)>,
    /// Body text, if any.
    pub body: Option<String>,
}

/// A response as received.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResponseRecord {
    /// HTTP status.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// Raw body bytes.
    pub body: Vec<u8>,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
}

impl ResponseRecord {
    /// Builds a record, parsing the body as JSON when possible.
    pub fn new(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> ResponseRecord {
        let headers = headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
        let json = if body.is_empty() { None } else { serde_json::from_slice(&body).ok() };
        ResponseRecord { status, headers, body, json }
    }

    /// First value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// The body as (lossy) text, for messages.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why no response was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// The connection was refused or could not be made.
    Connect,
    /// No complete answer within the timeout.
    Timeout,
    /// TLS handshake or certificate problem.
    Tls,
    /// The body could not be read to its end.
    Body,
    /// Anything else.
    Other,
}

/// A request that got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// What kind of failure.
    pub kind: TransportErrorKind,
    /// Human-readable reason, no secrets.
    pub message: String,
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for TransportError {}

/// One request and its outcome.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Operation id the request exercised.
    pub operation: String,
    /// The request.
    pub request: RequestRecord,
    /// The response, or why there was none.
    pub response: Result<ResponseRecord, TransportError>,
    /// Time from send to the end of the body.
    pub elapsed: Duration,
}

impl Exchange {
    /// The response, when one came.
    pub fn ok(&self) -> Option<&ResponseRecord> {
        self.response.as_ref().ok()
    }

    /// The response status, when one came.
    pub fn status(&self) -> Option<u16> {
        self.ok().map(|r| r.status)
    }

    /// The response JSON, when one came and parsed.
    pub fn json(&self) -> Option<&Value> {
        self.ok().and_then(|r| r.json.as_ref())
    }

    /// A test helper: an exchange with a JSON response.
    pub fn fake(operation: &str, method: &str, path: &str, status: u16, body: Value) -> Exchange {
        let bytes = if body.is_null() { Vec::new() } else { serde_json::to_vec(&body).expect("json") };
        let headers = if bytes.is_empty() {
            Vec::new()
        } else {
            vec![("content-type".to_owned(), "application/json;charset=UTF-8".to_owned())]
        };
        Exchange {
            operation: operation.to_owned(),
            request: RequestRecord { method: method.to_owned(), path: path.to_owned(), ..RequestRecord::default() },
            response: Ok(ResponseRecord::new(status, headers, bytes)),
            elapsed: Duration::ZERO,
        }
    }
}

/// Which credentials a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Credentials {
    /// The target's credentials.
    #[default]
    Default,
    /// None at all.
    None,
    /// A token that is not valid.
    InvalidToken,
    /// A well-formed AK/SK signature computed with a wrong secret.
    BadSignature,
}

impl Credentials {
    /// How the auth check describes them.
    pub fn describe(self) -> &'static str {
        match self {
            Credentials::Default => "valid credentials",
            Credentials::None => "no credentials",
            Credentials::InvalidToken => "an invalid token",
            Credentials::BadSignature => "a bad AK/SK signature",
        }
    }
}
