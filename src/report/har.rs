//! Exchanges written as HAR 1.2 (`run --har`), which browsers, proxies and `check-traffic` read.
//! Every field HAR requires is written; sizes and timings not measured are `-1` as the format
//! allows. An exchange that got no answer has status 0 and its error in `_error`.

use crate::outcome::{ExchangeReport, HeaderReport};
use serde_json::{json, Value};
use std::path::Path;

/// One HAR entry to write: the exchange and the note (`comment`) that names its case and step.
#[derive(Debug, Clone, Copy)]
pub struct HarEntry<'a> {
    /// The case that sent it (empty outside a case).
    pub case: &'a str,
    /// The exchange.
    pub exchange: &'a ExchangeReport,
}

/// The HAR 1.2 document of `entries`, in their order.
pub fn to_har(entries: &[HarEntry<'_>]) -> String {
    let doc = json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "sdrs-conformance", "version": env!("CARGO_PKG_VERSION")},
            "entries": entries.iter().map(entry).collect::<Vec<_>>(),
        }
    });
    serde_json::to_string_pretty(&doc).expect("JSON values always serialise")
}

/// Writes [`to_har`] to `path`.
pub fn write_har(entries: &[HarEntry<'_>], path: &Path) -> std::io::Result<()> {
    std::fs::write(path, to_har(entries) + "\n")
}

fn headers(h: &[HeaderReport]) -> Value {
    Value::Array(h.iter().map(|h| json!({"name": h.name, "value": h.value})).collect())
}

fn header<'h>(h: &'h [HeaderReport], name: &str) -> Option<&'h str> {
    h.iter().find(|x| x.name.eq_ignore_ascii_case(name)).map(|x| x.value.as_str())
}

fn entry(e: &HarEntry<'_>) -> Value {
    let ex = e.exchange;
    let query: Vec<Value> = reqwest::Url::parse(&ex.request.url)
        .map(|u| u.query_pairs().map(|(k, v)| json!({"name": k, "value": v})).collect())
        .unwrap_or_default();
    let mut request = json!({
        "method": ex.request.method,
        "url": ex.request.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": headers(&ex.request.headers),
        "queryString": query,
        "headersSize": -1,
        "bodySize": ex.request.body.as_ref().map_or(0, |b| b.len() as i64),
    });
    if let Some(body) = &ex.request.body {
        let mime = header(&ex.request.headers, "content-type").unwrap_or("application/json");
        request["postData"] = json!({"mimeType": mime, "text": body});
    }
    let response = match &ex.response {
        Some(r) => json!({
            "status": r.status,
            "statusText": reqwest::StatusCode::from_u16(r.status).ok().and_then(|s| s.canonical_reason()).unwrap_or(""),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": headers(&r.headers),
            "content": {
                "size": r.body.len(),
                "mimeType": header(&r.headers, "content-type").unwrap_or(""),
                "text": r.body,
            },
            "redirectURL": header(&r.headers, "location").unwrap_or(""),
            "headersSize": -1,
            "bodySize": r.body.len(),
        }),
        None => json!({
            "status": 0,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_error": ex.error.clone().unwrap_or_default(),
        }),
    };
    let comment = if e.case.is_empty() && ex.step.is_empty() {
        "outside any case (preflight, shared fixture teardown)".to_owned()
    } else if e.case.is_empty() {
        format!("step {}", ex.step)
    } else if ex.step.is_empty() {
        format!("case {}", e.case)
    } else {
        format!("case {}, step {}", e.case, ex.step)
    };
    json!({
        "startedDateTime": ex.started,
        "time": ex.elapsed_ms,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": ex.elapsed_ms, "receive": 0},
        "comment": comment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{RequestReport, ResponseReport};

    fn exchange(response: Option<ResponseReport>) -> ExchangeReport {
        ExchangeReport {
            step: "list".into(),
            operation: "listProtectionGroups".into(),
            started: "2026-01-01T00:00:00.000Z".into(),
            elapsed_ms: 3,
            request: RequestReport {
                method: "GET".into(),
                url: "http://127.0.0.1:1/v1/p/server-groups?limit=2&offset=1".into(),
                headers: vec![HeaderReport { name: "X-Auth-Token".into(), value: "<redacted>".into() }],
                body: None,
            },
            error: response.is_none().then(|| "connection refused".to_owned()),
            response,
        }
    }

    #[test]
    fn a_written_har_reads_back_through_the_traffic_model() {
        let ok = exchange(Some(ResponseReport {
            status: 200,
            headers: vec![HeaderReport { name: "content-type".into(), value: "application/json".into() }],
            body: r#"{"server_groups":[]}"#.into(),
        }));
        let failed = exchange(None);
        let text = to_har(&[HarEntry { case: "a/b", exchange: &ok }, HarEntry { case: "", exchange: &failed }]);
        let har = crate::traffic::Har::parse(&text, Path::new("t.har")).expect("our own HAR parses");
        assert_eq!(har.log.entries.len(), 2);
        assert_eq!(har.log.entries[0].response.status, 200);
        assert_eq!(har.log.entries[1].response.status, 0);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["log"]["version"], "1.2");
        assert_eq!(v["log"]["entries"][0]["comment"], "case a/b, step list");
        assert_eq!(v["log"]["entries"][0]["request"]["queryString"][1], json!({"name": "offset", "value": "1"}));
        assert_eq!(v["log"]["entries"][0]["response"]["statusText"], "OK");
        assert_eq!(v["log"]["entries"][1]["response"]["_error"], "connection refused");
    }
}
