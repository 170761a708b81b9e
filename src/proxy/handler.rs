//! One request through the proxy: read it whole, decide what becomes of its credentials, send
//! it upstream, judge the exchange, and give the client the upstream's answer as it came (its
//! hop-by-hop headers aside). The proxy answers by itself only when it cannot forward: 401 for
//! a signature that does not verify, 502 when the upstream gave no answer, 503 while stopping.

use super::credentials::{self, ClientRequest, Credentials};
use super::forward;
use super::recording::Forwarded;
use super::{ProxyEvent, Shared};
use crate::checks::CheckContext;
use crate::spec::Specs;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// Largest request body accepted (SDRS bodies are a few kilobytes): a larger one gets 413.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A plain-text answer of the proxy's own.
fn own_answer(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text + "\n")));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// A 401 shaped as the API gateway's (`error_code`, `error_msg`), which SDK clients read.
fn refused_answer(reason: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({
        "error_code": "APIGW.0301",
        "error_msg": format!("Incorrect IAM authentication information: {reason} (refused by the sdrs-conformance proxy)"),
    });
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response
        .headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    response
}

/// Answers one request of a client.
pub(super) async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let started_at = SystemTime::now();
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str().to_owned();
    let Some(path_and_query) = parts.uri.path_and_query().map(|p| p.as_str().to_owned()) else {
        let request = format!("{method} {}", parts.uri);
        let reason =
            "the proxy forwards requests to its upstream; it does not tunnel (point the client at it as its endpoint)";
        shared.emit(ProxyEvent::Refused { request, status: 501, reason: reason.to_owned() });
        return Ok(own_answer(StatusCode::NOT_IMPLEMENTED, format!("sdrs-conformance proxy: {reason}")));
    };
    let request_line = shared.scrub(&format!("{method} {path_and_query}"));
    let Ok(_permit) = shared.gate.try_acquire() else {
        let reason = "the proxy is stopping".to_owned();
        shared.emit(ProxyEvent::Refused { request: request_line, status: 503, reason: reason.clone() });
        return Ok(own_answer(StatusCode::SERVICE_UNAVAILABLE, format!("sdrs-conformance proxy: {reason}")));
    };
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let (status, reason) = if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                (StatusCode::PAYLOAD_TOO_LARGE, format!("the request body is larger than {MAX_BODY} bytes"))
            } else {
                (StatusCode::BAD_REQUEST, format!("the request body could not be read: {e}"))
            };
            shared.emit(ProxyEvent::Refused { request: request_line, status: status.as_u16(), reason: reason.clone() });
            return Ok(own_answer(status, format!("sdrs-conformance proxy: {reason}")));
        }
    };
    let client_headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let base = shared.config.upstream.as_str().trim_end_matches('/');
    let url = match reqwest::Url::parse(&format!("{base}{path_and_query}")) {
        Ok(url) => url,
        Err(e) => {
            let reason = format!("the request target cannot be appended to the upstream URL: {e}");
            shared.emit(ProxyEvent::Refused { request: request_line, status: 400, reason: reason.clone() });
            return Ok(own_answer(StatusCode::BAD_REQUEST, format!("sdrs-conformance proxy: {reason}")));
        }
    };
    // What goes upstream: the client's headers but those of this hop, its Host and its length
    // (reqwest writes both for the upstream).
    let hop = credentials::hop_by_hop(&client_headers);
    let keep = |name: &str| !credentials::is_in(name, &hop) && name != "host" && name != "content-length";
    let forwarded: Vec<(String, String)> = client_headers.iter().filter(|(n, _)| keep(n)).cloned().collect();
    let client =
        ClientRequest { method: &method, path_and_query: &path_and_query, headers: &client_headers, body: &body };
    let decided = credentials::decide(shared.config.key_pair.as_ref(), &client, &url, &forwarded);
    let mut headers: Vec<(hyper::header::HeaderName, hyper::header::HeaderValue)> =
        parts.headers.iter().filter(|(n, _)| keep(n.as_str())).map(|(n, v)| (n.clone(), v.clone())).collect();
    match decided {
        Err(refused) => {
            let reason = shared.scrub(&refused.to_string());
            shared.emit(ProxyEvent::Refused { request: request_line, status: 401, reason: reason.clone() });
            return Ok(refused_answer(&reason));
        }
        Ok(Credentials::PassThrough { signed: true }) if !shared.unsigned_noted.swap(true, Ordering::SeqCst) => {
            shared.emit(ProxyEvent::Notice(
                "a request signed with SDK-HMAC-SHA256 passes through unchanged: its signature covers the proxy's host, \
                 so the upstream will most likely refuse it; give the proxy --ak and --sk to sign requests again"
                    .to_owned(),
            ));
        }
        Ok(Credentials::PassThrough { .. }) => {}
        Ok(Credentials::SignedAgain(authorization)) => {
            headers.retain(|(n, _)| n != hyper::header::AUTHORIZATION);
            let Ok(value) = hyper::header::HeaderValue::from_str(&authorization) else {
                // Only a signed header name with control characters could get here.
                let reason = "the signature made again is not a valid header value".to_owned();
                shared.emit(ProxyEvent::Refused { request: request_line, status: 400, reason: reason.clone() });
                return Ok(own_answer(StatusCode::BAD_REQUEST, format!("sdrs-conformance proxy: {reason}")));
            };
            headers.push((hyper::header::AUTHORIZATION, value));
        }
    }
    // A body is sent when the client sent one, even empty (`Content-Length: 0` on a POST).
    let has_body = !body.is_empty() || parts.headers.contains_key(hyper::header::CONTENT_LENGTH);
    let sent: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let answer = forward::send(&shared.http, &method, &url, headers, has_body.then(|| body.clone())).await;
    let forwarded = Forwarded {
        started: started_at,
        elapsed: started.elapsed(),
        method: method.clone(),
        url: url.to_string(),
        target: path_and_query.clone(),
        headers: sent,
        body: body.to_vec(),
        // Kept as text: the recording is cloned and the upstream's errors are not.
        answer: answer.as_ref().cloned().map_err(ToString::to_string),
    };
    let status = answer.as_ref().ok().map(|a| a.status);
    if let Ok(mut guard) = shared.recording.lock() {
        if let Some(recording) = guard.as_mut() {
            let ctx = CheckContext { specs: Specs::embedded(), schemas: &shared.schemas, strict: shared.config.strict };
            let case = recording.push(&ctx, forwarded, &shared.secret_refs());
            // Under the lock, so that the events come in the order of the case numbers.
            shared.emit(ProxyEvent::Judged { case: Box::new(case), request: request_line, status });
        }
    }
    Ok(match answer {
        Ok(answer) => {
            let hop = credentials::hop_by_hop(
                &answer
                    .headers
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect::<Vec<_>>(),
            );
            let mut response = Response::new(Full::new(answer.body));
            *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
            for (name, value) in answer.headers {
                if !credentials::is_in(name.as_str(), &hop) {
                    response.headers_mut().append(name, value);
                }
            }
            response
        }
        Err(why) => own_answer(
            StatusCode::BAD_GATEWAY,
            format!("sdrs-conformance proxy: the upstream {base} did not answer {method} {path_and_query}: {why}"),
        ),
    })
}
