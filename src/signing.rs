//! Huawei Cloud SDK-HMAC-SHA256 request signing (the "AK/SK" scheme of the official SDKs).
//!
//! The canonical request is: method, canonical URI (each segment percent-decoded then
//! percent-encoded, always ending in `/`), canonical query (sorted by key then value, same
//! encoding), canonical headers (`name:value\n`, lower-cased names, trimmed values), the signed
//! header names joined by `;`, and the hex SHA-256 of the exact body, joined by `\n`.
//! The string to sign is `SDK-HMAC-SHA256\n{X-Sdk-Date}\n{hex sha256(canonical request)}`, and the
//! signature the lower-case hex HMAC-SHA256 of it keyed with the secret key.
//!
//! This module owns no I/O and never logs or returns a secret.

use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

/// The algorithm name that prefixes the `Authorization` header and the string to sign.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// The header carrying the signing time (`YYYYMMDDTHHMMSSZ`).
pub const DATE_HEADER: &str = "X-Sdk-Date";

/// Everything but the unreserved characters `A-Z a-z 0-9 - _ . ~` is percent-encoded.
const ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// A request as the signer sees it: the decoded query pairs, the headers as sent, the exact body.
#[derive(Debug, Clone, Copy)]
pub struct SignableRequest<'a> {
    /// HTTP method, e.g. `GET`.
    pub method: &'a str,
    /// The URL path, raw or percent-encoded (each segment is decoded, then re-encoded).
    pub path: &'a str,
    /// Query parameters, decoded; a repeated key appears once per value.
    pub query: &'a [(String, String)],
    /// Request headers (name, value), in any case.
    pub headers: &'a [(String, String)],
    /// The exact body bytes.
    pub body: &'a [u8],
}

/// Why a signature was refused by [`verify`]; never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The `Authorization` header is not `SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...`.
    #[error("malformed authorization header: {0}")]
    Malformed(String),
    /// The request has no `X-Sdk-Date` header.
    #[error("missing X-Sdk-Date header")]
    MissingDate,
    /// A header named in `SignedHeaders` is absent from the request.
    #[error("signed header {0} is missing from the request")]
    MissingSignedHeader(String),
    /// The access key is not known to the verifier.
    #[error("unknown access key")]
    UnknownAccessKey,
    /// The signature does not match the request.
    #[error("signature mismatch")]
    Mismatch,
}

/// Percent-encodes `text` keeping only the unreserved characters.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, ENCODE_SET).to_string()
}

fn canonical_uri(path: &str) -> String {
    let mut out = String::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_decode_str(segment).decode_utf8_lossy();
        out.push('/');
        out.push_str(&encode(&decoded));
    }
    out.push('/');
    out
}

fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = query.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

fn header_value<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Builds the canonical request of `req` over `signed_headers` (lower-case names, in order).
pub fn canonical_request(req: &SignableRequest, signed_headers: &[String]) -> String {
    let mut headers = String::new();
    for name in signed_headers {
        let value = header_value(req.headers, name).unwrap_or("").trim();
        headers.push_str(&format!("{}:{}\n", name.to_ascii_lowercase(), value));
    }
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method.to_ascii_uppercase(),
        canonical_uri(req.path),
        canonical_query(req.query),
        headers,
        signed_headers.join(";"),
        hex_sha256(req.body)
    )
}

/// Builds the string to sign from the `X-Sdk-Date` value and the canonical request.
pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{sdk_date}\n{}", hex_sha256(canonical_request.as_bytes()))
}

/// Lower-case hex HMAC-SHA256 of `string_to_sign` keyed with the secret key.
pub fn signature(secret_key: &str, string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The header names a signer covers: lower-cased, sorted, deduplicated, names with `_` left out.
pub fn signed_header_names(headers: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> =
        headers.iter().map(|(n, _)| n.to_ascii_lowercase()).filter(|n| !n.contains('_')).collect();
    names.sort();
    names.dedup();
    names
}

/// The full `Authorization` header value for `req`, signing every header without `_`.
///
/// `req.headers` must hold `X-Sdk-Date`; without it the date is taken as empty and the
/// signature cannot verify.
pub fn authorization(access_key: &str, secret_key: &str, req: &SignableRequest) -> String {
    authorization_over(access_key, secret_key, req, &signed_header_names(req.headers))
}

/// The `Authorization` header value for `req` over exactly `signed_headers` (lower-case names,
/// sorted): a proxy signing a request again covers what its client covered.
pub fn authorization_over(
    access_key: &str,
    secret_key: &str,
    req: &SignableRequest,
    signed_headers: &[String],
) -> String {
    let date = header_value(req.headers, DATE_HEADER).unwrap_or("");
    let canonical = canonical_request(req, signed_headers);
    let sig = signature(secret_key, &string_to_sign(date, &canonical));
    format!("{ALGORITHM} Access={access_key}, SignedHeaders={}, Signature={sig}", signed_headers.join(";"))
}

/// The parts of an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuthorization {
    /// The access key (`Access=`).
    pub access_key: String,
    /// The signed header names (`SignedHeaders=`), lower-cased.
    pub signed_headers: Vec<String>,
    /// The hex signature (`Signature=`).
    pub signature: String,
}

/// Parses `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex`.
pub fn parse_authorization(authorization: &str) -> Result<ParsedAuthorization, SignatureError> {
    let rest = authorization
        .trim()
        .strip_prefix(ALGORITHM)
        .ok_or_else(|| SignatureError::Malformed(format!("algorithm is not {ALGORITHM}")))?;
    let (mut access, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (key, value) =
            part.split_once('=').ok_or_else(|| SignatureError::Malformed("expected key=value parts".into()))?;
        match key.trim() {
            "Access" => access = Some(value.trim().to_string()),
            "SignedHeaders" => signed = Some(value.trim().to_string()),
            "Signature" => sig = Some(value.trim().to_string()),
            other => {
                return Err(SignatureError::Malformed(format!("unknown part {other}")));
            }
        }
    }
    let access_key =
        access.filter(|a| !a.is_empty()).ok_or_else(|| SignatureError::Malformed("missing Access".into()))?;
    let signed =
        signed.filter(|s| !s.is_empty()).ok_or_else(|| SignatureError::Malformed("missing SignedHeaders".into()))?;
    let signature = sig
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit()))
        .ok_or_else(|| SignatureError::Malformed("missing or non-hex Signature".into()))?;
    Ok(ParsedAuthorization {
        access_key,
        signed_headers: signed.split(';').map(|s| s.to_ascii_lowercase()).collect(),
        signature: signature.to_ascii_lowercase(),
    })
}

/// Verifies `authorization` against `req`, using the `SignedHeaders` the client sent.
pub fn verify(
    authorization: &str,
    secret_lookup: impl Fn(&str) -> Option<String>,
    req: &SignableRequest,
) -> Result<(), SignatureError> {
    let parsed = parse_authorization(authorization)?;
    let date = header_value(req.headers, DATE_HEADER).ok_or(SignatureError::MissingDate)?;
    for name in &parsed.signed_headers {
        if header_value(req.headers, name).is_none() {
            return Err(SignatureError::MissingSignedHeader(name.clone()));
        }
    }
    let secret = secret_lookup(&parsed.access_key).ok_or(SignatureError::UnknownAccessKey)?;
    let canonical = canonical_request(req, &parsed.signed_headers);
    let expected = signature(&secret, &string_to_sign(date, &canonical));
    if constant_time_eq(expected.as_bytes(), parsed.signature.as_bytes()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/vectors/aksk-signing.json");

    fn load() -> Option<Value> {
        match std::fs::read_to_string(VECTORS) {
            Ok(text) => Some(serde_json::from_str(&text).expect("vectors are JSON")),
            Err(_) => {
                eprintln!("skipped: signing vectors not found at {VECTORS}");
                None
            }
        }
    }

    fn scalar(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    type Pairs = Vec<(String, String)>;

    fn inputs(case: &Value) -> (Pairs, Pairs) {
        let mut query = Vec::new();
        for pair in case["query"].as_array().unwrap() {
            let key = scalar(&pair[0]);
            match &pair[1] {
                Value::Array(values) => query.extend(values.iter().map(|v| (key.clone(), scalar(v)))),
                v => query.push((key, scalar(v))),
            }
        }
        let headers = case["headers"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), scalar(v))).collect();
        (query, headers)
    }

    #[test]
    fn every_sdk_vector_is_reproduced() {
        let Some(vectors) = load() else { return };
        for case in vectors["cases"].as_array().unwrap() {
            let (query, headers) = inputs(case);
            let body = case["body"].as_str().unwrap().as_bytes();
            let req = SignableRequest {
                method: case["method"].as_str().unwrap(),
                path: case["path"].as_str().unwrap(),
                query: &query,
                headers: &headers,
                body,
            };
            let name = case["name"].as_str().unwrap();
            let expected = &case["expected"];
            let names = signed_header_names(&headers);
            assert_eq!(names.join(";"), expected["signed_headers"], "{name}");
            let canonical = canonical_request(&req, &names);
            assert_eq!(canonical, expected["canonical_request"], "{name}");
            let date = header_value(&headers, DATE_HEADER).unwrap();
            assert_eq!(string_to_sign(date, &canonical), expected["string_to_sign"], "{name}");
            let ak = case["ak"].as_str().unwrap();
            let sk = case["sk"].as_str().unwrap();
            let auth = authorization(ak, sk, &req);
            assert_eq!(auth, expected["authorization"], "{name}");
            let lookup = |a: &str| (a == ak).then(|| sk.to_string());
            assert_eq!(verify(&auth, lookup, &req), Ok(()), "{name}");
        }
    }

    #[test]
    fn the_published_guide_example_is_reproduced() {
        let Some(vectors) = load() else { return };
        for case in vectors["published"].as_array().unwrap() {
            let (query, headers) = inputs(case);
            let req = SignableRequest {
                method: case["method"].as_str().unwrap(),
                path: case["path"].as_str().unwrap(),
                query: &query,
                headers: &headers,
                body: case["body"].as_str().unwrap().as_bytes(),
            };
            let expected = &case["expected"];
            let names = signed_header_names(&headers);
            assert_eq!(names.join(";"), expected["signed_headers"]);
            let canonical = canonical_request(&req, &names);
            assert_eq!(hex_sha256(canonical.as_bytes()), expected["canonical_request_sha256"]);
            let date = header_value(&headers, DATE_HEADER).unwrap();
            let sig = signature(case["sk"].as_str().unwrap(), &string_to_sign(date, &canonical));
            assert_eq!(sig, expected["signature"]);
        }
    }

    fn sample<'a>(headers: &'a [(String, String)], body: &'a [u8]) -> SignableRequest<'a> {
        SignableRequest { method: "POST", path: "/v1/p/server-groups", query: &[], headers, body }
    }

    #[test]
    fn verification_refuses_tampering_unknown_keys_and_missing_dates() {
        let headers =
            vec![("Host".to_string(), "h".to_string()), (DATE_HEADER.to_string(), "20260101T000000Z".to_string())];
        let auth = authorization("AK", "SK", &sample(&headers, b"{}"));
        let lookup = |a: &str| (a == "AK").then(|| "SK".to_string());
        assert_eq!(verify(&auth, lookup, &sample(&headers, b"{ }")), Err(SignatureError::Mismatch));
        assert_eq!(verify(&auth, |_| None, &sample(&headers, b"{}")), Err(SignatureError::UnknownAccessKey));
        let no_date = vec![("Host".to_string(), "h".to_string())];
        assert_eq!(verify(&auth, lookup, &sample(&no_date, b"{}")), Err(SignatureError::MissingDate));
        assert!(matches!(verify("Bearer x", lookup, &sample(&headers, b"{}")), Err(SignatureError::Malformed(_))));
    }

    #[test]
    fn the_error_display_never_contains_the_secret() {
        let err = SignatureError::Mismatch.to_string();
        assert!(!err.contains("SK"));
    }
}
