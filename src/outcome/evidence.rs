//! The evidence of a failure: the exchanges of the failing step as the JSON report keeps them,
//! and the command lines that reproduce it.

use crate::client::tape::Recorded;
use crate::exchange::Exchange;
use serde::{Deserialize, Serialize};

/// Longest body kept per request or answer; a longer one is cut and says so.
pub(super) const MAX_BODY_CHARS: usize = 64 * 1024;

/// A header as sent or received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderReport {
    /// Header name.
    pub name: String,
    /// Header value (credentials redacted).
    pub value: String,
}

/// A request as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestReport {
    /// HTTP method.
    pub method: String,
    /// Absolute URL, query included.
    pub url: String,
    /// Headers as sent, credentials redacted.
    pub headers: Vec<HeaderReport>,
    /// Body text, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// An answer as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseReport {
    /// HTTP status.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<HeaderReport>,
    /// Body as (lossy) text.
    pub body: String,
}

/// One exchange of a failing step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeReport {
    /// The step that sent it.
    pub step: String,
    /// Operation id.
    pub operation: String,
    /// Start of the request (RFC 3339).
    pub started: String,
    /// From send to the end of the answer.
    pub elapsed_ms: u64,
    /// The request.
    pub request: RequestReport,
    /// The answer, when one came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseReport>,
    /// Why no answer came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ExchangeReport {
    /// The report of a recorded exchange sent to `base_url`.
    pub fn of(recorded: &Recorded, base_url: &str) -> ExchangeReport {
        let started = chrono::DateTime::<chrono::Utc>::from(recorded.started)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        ExchangeReport::of_exchange(&recorded.exchange, &recorded.step, started, base_url)
    }

    /// The report of an exchange of step `step` that started at `started` (RFC 3339, as given).
    pub fn of_exchange(exchange: &Exchange, step: &str, started: String, base_url: &str) -> ExchangeReport {
        let Exchange { operation, request, response, elapsed } = exchange;
        let headers = |h: &[(String, String)]| {
            h.iter().map(|(name, value)| HeaderReport { name: name.clone(), value: value.clone() }).collect()
        };
        ExchangeReport {
            step: step.to_owned(),
            operation: operation.clone(),
            started,
            elapsed_ms: elapsed.as_millis() as u64,
            request: RequestReport {
                method: request.method.clone(),
                url: format!("{}{}", base_url.trim_end_matches('/'), request.path),
                headers: headers(&request.headers),
                body: request.body.as_deref().map(cut),
            },
            response: response.as_ref().ok().map(|r| ResponseReport {
                status: r.status,
                headers: headers(&r.headers),
                body: cut(&r.body_text()),
            }),
            error: response.as_ref().err().map(|e| e.message.clone()),
        }
    }

    /// `POST https://host/v1/p/server-groups`.
    pub fn request_line(&self) -> String {
        format!("{} {}", self.request.method, self.request.url)
    }

    /// Every text of the exchange, for scrubbing secrets out of it.
    pub fn texts_mut(&mut self) -> Vec<&mut String> {
        let mut out = vec![&mut self.step, &mut self.request.url];
        out.extend(self.request.body.iter_mut());
        for h in &mut self.request.headers {
            out.push(&mut h.value);
        }
        if let Some(r) = &mut self.response {
            out.push(&mut r.body);
            for h in &mut r.headers {
                out.push(&mut h.value);
            }
        }
        out.extend(self.error.iter_mut());
        out
    }
}

/// How to reproduce a failure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reproduce {
    /// The `sdrs-conformance run --filter <case id> …` line.
    pub command: String,
    /// The failing request as a `curl` line (token auth only; the token as `$HW_AUTH_TOKEN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curl: Option<String>,
}

/// `text`, cut at [`MAX_BODY_CHARS`] with a note of how much was left out.
fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_BODY_CHARS) {
        Some((i, _)) => format!("{}… [{} more bytes not kept]", &text[..i], text.len() - i),
        None => text.to_owned(),
    }
}

/// A shell word: quoted unless made only of characters no shell treats specially.
pub fn shell_word(s: &str) -> String {
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The request of `ex` as a `curl` line; a redacted `X-Auth-Token` becomes `$HW_AUTH_TOKEN`.
pub fn curl_line(ex: &ExchangeReport) -> String {
    let mut words = vec!["curl".to_owned(), "-sS".to_owned(), "-i".to_owned()];
    words.push("-X".into());
    words.push(shell_word(&ex.request.method));
    words.push(shell_word(&ex.request.url));
    for h in &ex.request.headers {
        if h.name.eq_ignore_ascii_case("x-auth-token") && h.value == "<redacted>" {
            // Double quotes, so that the shell puts the token in and no output ever shows it.
            words.push("-H".into());
            words.push(format!("\"{}: $HW_AUTH_TOKEN\"", h.name));
        } else {
            words.push("-H".into());
            words.push(shell_word(&format!("{}: {}", h.name, h.value)));
        }
    }
    if let Some(body) = &ex.request.body {
        words.push("--data-raw".into());
        words.push(shell_word(body));
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{RequestRecord, ResponseRecord};
    use std::time::Duration;

    fn recorded() -> Recorded {
        Recorded {
            started: std::time::UNIX_EPOCH,
            case: "createProtectionGroup/positive".into(),
            step: "create".into(),
            exchange: Exchange {
                operation: "createProtectionGroup".into(),
                request: RequestRecord {
                    method: "POST".into(),
                    path: "/v1/p/server-groups".into(),
                    headers: vec![
                        ("Content-Type".into(), "application/json;charset=utf-8".into()),
                        ("X-Auth-Token".into(), "<redacted>".into()),
                    ],
                    body: Some(r#"{"server_group":{"name":"it's"}}"#.into()),
                },
                response: Ok(ResponseRecord::new(200, vec![], br#"{"job_id":"j"}"#.to_vec())),
                elapsed: Duration::from_millis(7),
            },
        }
    }

    #[test]
    fn an_exchange_keeps_its_url_headers_bodies_and_status() {
        let r = ExchangeReport::of(&recorded(), "https://sdrs.example.com/");
        assert_eq!(r.request_line(), "POST https://sdrs.example.com/v1/p/server-groups");
        assert_eq!(r.response.as_ref().unwrap().status, 200);
        assert_eq!(r.response.as_ref().unwrap().body, r#"{"job_id":"j"}"#);
        assert_eq!(r.step, "create");
        assert_eq!(r.elapsed_ms, 7);
        assert_eq!(r.started, "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn the_curl_line_names_the_token_by_its_variable_and_quotes_the_body() {
        let line = curl_line(&ExchangeReport::of(&recorded(), "https://sdrs.example.com"));
        assert_eq!(
            line,
            "curl -sS -i -X POST https://sdrs.example.com/v1/p/server-groups \
             -H 'Content-Type: application/json;charset=utf-8' -H \"X-Auth-Token: $HW_AUTH_TOKEN\" \
             --data-raw '{\"server_group\":{\"name\":\"it'\\''s\"}}'"
        );
    }

    #[test]
    fn a_long_body_is_cut_and_says_so() {
        let long = "x".repeat(MAX_BODY_CHARS + 10);
        let cut = cut(&long);
        assert!(cut.ends_with("[10 more bytes not kept]"), "{}", &cut[cut.len() - 40..]);
    }
}
