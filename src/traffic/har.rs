//! The HAR 1.2 model, as lenient as recordings in the wild need: browser devtools, mitmproxy and
//! SDK logs each leave out different optional fields, and all of them are accepted.
//!
//! Only what the checks judge is read: each entry's request (method, URL, headers, body) and
//! response (status, headers, body, possibly base64-encoded). An [`Entry`] becomes the crate's
//! [`Exchange`] with credentials redacted; the values it redacted are kept so that reports can be
//! scrubbed of them.

use crate::exchange::{Exchange, RequestRecord, ResponseRecord, TransportError, TransportErrorKind};
use base64::Engine as _;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Request headers that carry credentials: never copied into an exchange.
const SECRET_REQUEST_HEADERS: [&str; 6] =
    ["x-auth-token", "authorization", "proxy-authorization", "cookie", "x-security-token", "x-subject-token"];

/// Response headers that carry credentials: their values are scrubbed from reports.
const SECRET_RESPONSE_HEADERS: [&str; 2] = ["set-cookie", "x-subject-token"];

/// Shorter header values are not scrubbed: replacing them everywhere would garble the report.
const MIN_SECRET_CHARS: usize = 6;

/// Why a file could not be read as HAR: always exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum HarError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not JSON at all.
    #[error("{path}:{line}:{column}: not a HAR file: malformed JSON: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's description, without its position.
        message: String,
    },
    /// The file is JSON, but not shaped like HAR 1.2.
    #[error("{path}:{line}:{column}: not a HAR 1.2 file: {message}")]
    Shape {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is missing or mistyped.
        message: String,
    },
}

/// A whole HAR document.
#[derive(Debug, Clone, Deserialize)]
pub struct Har {
    /// The `log` object.
    pub log: Log,
}

/// `log`: the entries, in the order written.
#[derive(Debug, Clone, Deserialize)]
pub struct Log {
    /// Every recorded exchange.
    pub entries: Vec<Entry>,
}

/// One recorded request and its answer.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    /// When the request started (ISO 8601), when the recorder wrote it.
    #[serde(rename = "startedDateTime", default)]
    pub started: Option<String>,
    /// Total time in milliseconds, when written.
    #[serde(default)]
    pub time: Option<f64>,
    /// The request.
    pub request: Request,
    /// The answer.
    pub response: Response,
}

/// A name and value pair of `headers`.
#[derive(Debug, Clone, Deserialize)]
pub struct Header {
    /// Header name, any case.
    pub name: String,
    /// Header value.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub value: String,
}

/// `request`.
#[derive(Debug, Clone, Deserialize)]
pub struct Request {
    /// HTTP method.
    pub method: String,
    /// Absolute URL (some SDK logs write only the path).
    pub url: String,
    /// Headers as sent.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub headers: Vec<Header>,
    /// The body, when one was sent.
    #[serde(rename = "postData", default)]
    pub post_data: Option<PostData>,
}

/// `request.postData`.
#[derive(Debug, Clone, Deserialize)]
pub struct PostData {
    /// Media type of the body.
    #[serde(rename = "mimeType", default)]
    pub mime_type: Option<String>,
    /// The body text.
    #[serde(default)]
    pub text: Option<String>,
}

/// `response`.
#[derive(Debug, Clone, Deserialize)]
pub struct Response {
    /// HTTP status; 0 where the recorder saw no answer (blocked, aborted).
    pub status: i64,
    /// Headers as received.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub headers: Vec<Header>,
    /// The body.
    #[serde(default)]
    pub content: Option<Content>,
}

/// `response.content`.
#[derive(Debug, Clone, Deserialize)]
pub struct Content {
    /// Body length in bytes, when written.
    #[serde(default)]
    pub size: Option<i64>,
    /// Media type of the body.
    #[serde(rename = "mimeType", default)]
    pub mime_type: Option<String>,
    /// The body, as text or base64.
    #[serde(default)]
    pub text: Option<String>,
    /// `base64` when `text` is base64-encoded.
    #[serde(default)]
    pub encoding: Option<String>,
}

impl Har {
    /// Parses HAR text; `path` names the file in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Har, HarError> {
        serde_json::from_str(text).map_err(|e| {
            let (line, column) = (e.line(), e.column());
            // serde_json appends " at line L column C"; the position is already in front.
            let full = e.to_string();
            let message = full.rsplit_once(" at line ").map(|(m, _)| m.to_owned()).unwrap_or(full);
            let path = path.to_path_buf();
            match e.classify() {
                serde_json::error::Category::Data => HarError::Shape { path, line, column, message },
                _ => HarError::Syntax { path, line, column, message },
            }
        })
    }

    /// Reads and parses a HAR file.
    pub fn read(path: &Path) -> Result<Har, HarError> {
        let bytes = std::fs::read(path).map_err(|source| HarError::Read { path: path.to_path_buf(), source })?;
        // A byte-order mark is common in files saved on Windows.
        let text = String::from_utf8_lossy(&bytes);
        Har::parse(text.trim_start_matches('\u{feff}'), path)
    }
}

/// What the recording says about one entry's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// The recorder kept the body (possibly empty).
    Kept(Vec<u8>),
    /// The recorder wrote a size but no text: the body was not kept, so it cannot be judged.
    NotKept,
    /// `encoding` is base64 but `text` does not decode.
    Undecodable(String),
}

impl Entry {
    /// The response body as recorded.
    pub fn body(&self) -> Body {
        let Some(content) = &self.response.content else {
            return Body::Kept(Vec::new());
        };
        match (&content.text, content.encoding.as_deref()) {
            (None, _) if content.size.is_some_and(|s| s > 0) => Body::NotKept,
            (None, _) => Body::Kept(Vec::new()),
            (Some(text), Some(enc)) if enc.eq_ignore_ascii_case("base64") => {
                let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
                    Ok(bytes) => Body::Kept(bytes),
                    Err(e) => Body::Undecodable(e.to_string()),
                }
            }
            (Some(text), _) => Body::Kept(text.as_bytes().to_vec()),
        }
    }

    /// The request path and query (`/v1/p/server-groups?limit=1`), from an absolute or a bare URL.
    pub fn path_and_query(&self) -> String {
        let url = self.request.url.trim();
        match reqwest::Url::parse(url) {
            Ok(u) if u.has_host() => match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_owned(),
            },
            // Relative (`/v1/...`) or odd: keep it, dropping any fragment.
            _ => url.split('#').next().unwrap_or("").to_owned(),
        }
    }

    /// `scheme://host[:port]` of the URL, without user information, when it is absolute.
    pub fn origin(&self) -> Option<String> {
        let u = reqwest::Url::parse(self.request.url.trim()).ok()?;
        let host = u.host_str()?;
        Some(match u.port() {
            Some(port) => format!("{}://{host}:{port}", u.scheme()),
            None => format!("{}://{host}", u.scheme()),
        })
    }

    /// The request body text, when one was recorded.
    pub fn request_body(&self) -> Option<&str> {
        self.request.post_data.as_ref().and_then(|p| p.text.as_deref()).filter(|t| !t.is_empty())
    }

    /// The credential values this entry carries (request and response), for scrubbing reports.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut keep = |value: &str| {
            let value = value.trim();
            if value.chars().count() >= MIN_SECRET_CHARS && !out.iter().any(|s: &String| s == value) {
                out.push(value.to_owned());
            }
        };
        for h in &self.request.headers {
            if is_one_of(&h.name, &SECRET_REQUEST_HEADERS) {
                keep(&h.value);
                // `SDK-HMAC-SHA256 Access=AK, SignedHeaders=..., Signature=...`: the AK alone too.
                for part in h.value.split([',', ' ']) {
                    if let Some((k, v)) = part.split_once('=') {
                        if k.eq_ignore_ascii_case("access") {
                            keep(v);
                        }
                    }
                }
            }
        }
        for h in &self.response.headers {
            if is_one_of(&h.name, &SECRET_RESPONSE_HEADERS) {
                keep(&h.value);
            }
        }
        out
    }

    /// The entry as an exchange judged for `operation`, credentials redacted; a body the
    /// recorder did not keep (see [`Entry::body`]) reads as empty.
    pub fn to_exchange(&self, operation: &str) -> Exchange {
        let request = RequestRecord {
            method: self.request.method.to_ascii_uppercase(),
            path: self.path_and_query(),
            headers: self
                .request
                .headers
                .iter()
                .map(|h| {
                    let value = if is_one_of(&h.name, &SECRET_REQUEST_HEADERS) {
                        "<redacted>".to_owned()
                    } else {
                        h.value.clone()
                    };
                    (h.name.clone(), value)
                })
                .collect(),
            body: self.request_body().map(str::to_owned),
        };
        let elapsed = self.time.and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok()).unwrap_or(Duration::ZERO);
        let response = match u16::try_from(self.response.status) {
            Ok(status) if (100..=599).contains(&status) => {
                let mut headers: Vec<(String, String)> = self
                    .response
                    .headers
                    .iter()
                    .filter(|h| !is_one_of(&h.name, &SECRET_RESPONSE_HEADERS))
                    .map(|h| (h.name.clone(), h.value.clone()))
                    .collect();
                // SDK logs often drop the headers but keep content.mimeType.
                let mime = self.response.content.as_ref().and_then(|c| c.mime_type.as_deref()).unwrap_or("");
                if !mime.is_empty() && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
                    headers.push(("content-type".to_owned(), mime.to_owned()));
                }
                let bytes = match self.body() {
                    Body::Kept(bytes) => bytes,
                    Body::NotKept | Body::Undecodable(_) => Vec::new(),
                };
                Ok(ResponseRecord::new(status, headers, bytes))
            }
            _ => Err(TransportError {
                kind: TransportErrorKind::Other,
                message: format!("the recording holds no answer (status {})", self.response.status),
            }),
        };
        Exchange { operation: operation.to_owned(), request, response, elapsed }
    }
}

/// Some recorders write `null` for an absent list or value: read it as empty.
fn null_as_empty<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn is_one_of(name: &str, names: &[&str]) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(value: serde_json::Value) -> Entry {
        serde_json::from_value(value).expect("an entry")
    }

    #[test]
    fn a_minimal_entry_without_optional_fields_parses() {
        let e = entry(json!({"request": {"method": "get", "url": "/v1/p/server-groups"}, "response": {"status": 200}}));
        assert_eq!(e.body(), Body::Kept(Vec::new()));
        let ex = e.to_exchange("listProtectionGroups");
        assert_eq!(ex.request.method, "GET");
        assert_eq!(ex.request.path, "/v1/p/server-groups");
        assert_eq!(ex.status(), Some(200));
        assert_eq!(ex.request.body, None);
    }

    #[test]
    fn query_strings_are_kept_and_origins_lose_user_information() {
        let e = entry(json!({
            "request": {"method": "GET", "url": "https://user:pw@sdrs.example.com:8443/v1/p/server-groups?limit=2&offset=1#x"},
            "response": {"status": 200}
        }));
        assert_eq!(e.path_and_query(), "/v1/p/server-groups?limit=2&offset=1");
        assert_eq!(e.origin().as_deref(), Some("https://sdrs.example.com:8443"));
    }

    #[test]
    fn base64_bodies_are_decoded_and_bad_base64_is_told_apart() {
        let text = base64::engine::general_purpose::STANDARD.encode(br#"{"job_id": "a"}"#);
        let e = entry(json!({
            "request": {"method": "POST", "url": "/v1/p/server-groups"},
            "response": {"status": 200, "content": {"mimeType": "application/json", "text": text, "encoding": "base64"}}
        }));
        let ex = e.to_exchange("createProtectionGroup");
        assert_eq!(ex.json(), Some(&json!({"job_id": "a"})));
        assert_eq!(ex.ok().and_then(|r| r.header("content-type")), Some("application/json"));
        let bad = entry(json!({
            "request": {"method": "GET", "url": "/"},
            "response": {"status": 200, "content": {"text": "%%%", "encoding": "base64"}}
        }));
        assert!(matches!(bad.body(), Body::Undecodable(_)));
    }

    #[test]
    fn a_size_without_text_means_the_body_was_not_kept() {
        let e = entry(json!({
            "request": {"method": "GET", "url": "/"},
            "response": {"status": 200, "content": {"size": 120, "mimeType": "application/json"}}
        }));
        assert_eq!(e.body(), Body::NotKept);
    }

    #[test]
    fn null_lists_and_odd_times_are_tolerated() {
        let e = entry(json!({
            "time": 1e300,
            "request": {"method": "GET", "url": "/", "headers": null, "postData": null},
            "response": {"status": 200, "headers": [{"name": "X-Empty", "value": null}], "content": null}
        }));
        let ex = e.to_exchange("listApiVersions");
        assert_eq!(ex.elapsed, Duration::ZERO);
        assert_eq!(ex.ok().map(|r| r.headers.len()), Some(1));
    }

    #[test]
    fn status_zero_is_no_answer() {
        let e = entry(json!({"request": {"method": "GET", "url": "/"}, "response": {"status": 0}}));
        let ex = e.to_exchange("listApiVersions");
        assert!(ex.response.is_err());
    }

    #[test]
    fn credentials_are_redacted_and_offered_for_scrubbing() {
        let e = entry(json!({
            "request": {"method": "GET", "url": "/", "headers": [
                {"name": "X-Auth-Token", "value": "MIIsecret-token-value"},
                {"name": "Authorization", "value": "SDK-HMAC-SHA256 Access=AKEXAMPLE123, SignedHeaders=host, Signature=abcdef"},
                {"name": "Accept", "value": "application/json"}
            ]},
            "response": {"status": 200, "headers": [{"name": "Set-Cookie", "value": "session=s3cr3tcookie"}]}
        }));
        let ex = e.to_exchange("listApiVersions");
        let text = format!("{:?}", ex);
        assert!(!text.contains("MIIsecret") && !text.contains("AKEXAMPLE123") && !text.contains("s3cr3t"), "{text}");
        let secrets = e.secrets();
        assert!(secrets.iter().any(|s| s == "MIIsecret-token-value"));
        assert!(secrets.iter().any(|s| s == "AKEXAMPLE123"));
        assert!(secrets.iter().any(|s| s == "session=s3cr3tcookie"));
    }

    #[test]
    fn malformed_json_is_named_by_file_line_and_column() {
        let err = Har::parse("{\n  \"log\": {\n    \"entries\": [,]\n  }\n}", Path::new("rec.har")).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, HarError::Syntax { line: 3, .. }), "{text}");
        assert!(text.starts_with("rec.har:3:"), "{text}");
        assert!(text.contains("malformed JSON"), "{text}");
    }

    #[test]
    fn json_that_is_not_har_is_named_by_what_is_missing() {
        let err = Har::parse("{\"entries\": []}", Path::new("x.json")).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, HarError::Shape { .. }), "{text}");
        assert!(text.starts_with("x.json:1:") && text.contains("missing field `log`"), "{text}");
        assert!(!text.contains(" at line "), "{text}");
    }
}
