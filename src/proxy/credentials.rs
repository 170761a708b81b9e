//! The client's credentials on their way to the upstream. A token passes through unchanged. An
//! SDK-HMAC-SHA256 signature covers the `Host` the client signed for, the proxy's own: with the
//! key pair the proxy verifies it (as the emulator does) and signs the request again, over the
//! same headers, for the upstream's host. Without the key pair a signature passes through too,
//! and the upstream will most likely refuse it.

use crate::client::Secret;
use crate::signing::{self, SignableRequest};

/// Hop-by-hop headers (RFC 9110 §7.6.1, and the older `keep-alive`, `proxy-connection`): they
/// concern one connection and are never forwarded, in either direction.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The key pair whose signatures the proxy verifies and makes.
#[derive(Debug, Clone)]
pub struct KeyPair {
    /// Access key.
    pub access_key: Secret,
    /// Secret key.
    pub secret_key: Secret,
}

/// A request as the client sent it to the proxy, headers in order (names in lower case).
#[derive(Debug, Clone)]
pub(super) struct ClientRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Raw path and query, as on the request line.
    pub path_and_query: &'a str,
    /// Every header, values read as (lossy) text.
    pub headers: &'a [(String, String)],
    /// The exact body.
    pub body: &'a [u8],
}

/// Why the proxy refuses a client's credentials (answered 401); never holds a secret.
#[derive(Debug, thiserror::Error)]
pub(super) enum CredentialsError {
    /// The request target does not parse as a path and query.
    #[error("the request target `{target}` is not a path: {source}")]
    NotAPath {
        /// The request target as received.
        target: String,
        /// What the URL parser said.
        #[source]
        source: crate::client::UrlParseError,
    },
    /// The client's signature does not verify with the proxy's key pair.
    #[error("the client's signature does not verify: {0}")]
    Unverified(#[source] signing::SignatureError),
    /// The verified `Authorization` header does not parse again.
    #[error(transparent)]
    Authorization(signing::SignatureError),
}

/// What the proxy does with the client's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Credentials {
    /// Forwarded as they are (a token, no credentials, or a signature the proxy cannot check).
    PassThrough {
        /// Whether they include an SDK-HMAC-SHA256 signature (made for the proxy's host).
        signed: bool,
    },
    /// Verified, and signed again for the upstream: this `Authorization` replaces the client's.
    SignedAgain(String),
}

/// The names a header list says are hop-by-hop: the fixed ones and those `Connection` names.
pub(super) fn hop_by_hop(headers: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = HOP_BY_HOP.iter().map(|s| (*s).to_owned()).collect();
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("connection") {
            out.extend(value.split(',').map(|n| n.trim().to_ascii_lowercase()).filter(|n| !n.is_empty()));
        }
    }
    out
}

/// Whether `name` is in `names` (which are lower case).
pub(super) fn is_in(name: &str, names: &[String]) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(name))
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn query_pairs(url: &reqwest::Url) -> Vec<(String, String)> {
    url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// `host[:port]` of `url`, as reqwest sends it in `Host` (no port when it is the scheme's default).
pub(super) fn authority(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Decides what becomes of the client's credentials when `request` is sent to `upstream` with
/// `forwarded` headers (the client's, hop-by-hop headers, `Host` and `Content-Length` left out).
/// `Err` is the reason to refuse the request with 401; it never holds a secret.
pub(super) fn decide(
    pair: Option<&KeyPair>,
    request: &ClientRequest,
    upstream: &reqwest::Url,
    forwarded: &[(String, String)],
) -> Result<Credentials, CredentialsError> {
    let authorization =
        header(request.headers, "authorization").filter(|a| a.trim_start().starts_with(signing::ALGORITHM));
    let (Some(pair), Some(authorization)) = (pair, authorization) else {
        return Ok(Credentials::PassThrough { signed: authorization.is_some() });
    };
    // The client signed what it sent to the proxy: its path and query, its headers, its body.
    let client_url = reqwest::Url::parse(&format!("http://proxy.invalid{}", request.path_and_query))
        .map_err(|e| CredentialsError::NotAPath { target: request.path_and_query.to_owned(), source: e })?;
    let client_query = query_pairs(&client_url);
    let (path, _) = request.path_and_query.split_once('?').unwrap_or((request.path_and_query, ""));
    let signed = SignableRequest {
        method: request.method,
        path,
        query: &client_query,
        headers: request.headers,
        body: request.body,
    };
    let lookup = |ak: &str| (ak == pair.access_key.expose()).then(|| pair.secret_key.expose().to_owned());
    signing::verify(authorization, lookup, &signed).map_err(CredentialsError::Unverified)?;
    let parsed = signing::parse_authorization(authorization).map_err(CredentialsError::Authorization)?;
    // The same headers are covered again, with the upstream's host; a hop-by-hop header the
    // client signed never reaches the upstream, so it cannot be covered.
    let hop = hop_by_hop(request.headers);
    let names: Vec<String> = parsed.signed_headers.iter().filter(|n| !is_in(n, &hop)).cloned().collect();
    let mut headers: Vec<(String, String)> = forwarded.to_vec();
    headers.push(("host".to_owned(), authority(upstream)));
    if let Some(length) = header(request.headers, "content-length") {
        headers.push(("content-length".to_owned(), length.to_owned()));
    }
    let upstream_query = query_pairs(upstream);
    let again = SignableRequest {
        method: request.method,
        path: upstream.path(),
        query: &upstream_query,
        headers: &headers,
        body: request.body,
    };
    let value = signing::authorization_over(pair.access_key.expose(), pair.secret_key.expose(), &again, &names);
    Ok(Credentials::SignedAgain(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AK: &str = "PROXYTESTAK0000";
    const SK: &str = "proxy-test-secret-key";

    fn pair() -> KeyPair {
        KeyPair { access_key: Secret::new(AK), secret_key: Secret::new(SK) }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// A request signed by a client of the proxy at `host`, as an SDK signs it.
    fn signed_for(host: &str, sk: &str) -> Vec<(String, String)> {
        let mut headers = pairs(&[
            ("host", host),
            ("content-type", "application/json"),
            ("x-project-id", "p"),
            ("x-sdk-date", "20260101T000000Z"),
        ]);
        let query = pairs(&[("limit", "2")]);
        let req = SignableRequest {
            method: "POST",
            path: "/v1/p/server-groups",
            query: &query,
            headers: &headers,
            body: b"{}",
        };
        headers.push(("authorization".to_owned(), signing::authorization(AK, sk, &req)));
        headers
    }

    fn request(headers: &[(String, String)]) -> ClientRequest<'_> {
        ClientRequest { method: "POST", path_and_query: "/v1/p/server-groups?limit=2", headers, body: b"{}" }
    }

    fn forwarded(headers: &[(String, String)]) -> Vec<(String, String)> {
        headers.iter().filter(|(n, _)| n != "host" && n != "authorization").cloned().collect()
    }

    #[test]
    fn a_signature_for_the_proxy_is_verified_and_made_again_for_the_upstream_host() {
        let headers = signed_for("127.0.0.1:7000", SK);
        let upstream = reqwest::Url::parse("http://127.0.0.1:9000/v1/p/server-groups?limit=2").unwrap();
        let fwd = forwarded(&headers);
        let Ok(Credentials::SignedAgain(auth)) = decide(Some(&pair()), &request(&headers), &upstream, &fwd) else {
            panic!("not signed again")
        };
        // The upstream, verifying for its own host, accepts it.
        let mut at_upstream = fwd.clone();
        at_upstream.push(("host".to_owned(), "127.0.0.1:9000".to_owned()));
        let query = pairs(&[("limit", "2")]);
        let req = SignableRequest {
            method: "POST",
            path: "/v1/p/server-groups",
            query: &query,
            headers: &at_upstream,
            body: b"{}",
        };
        let lookup = |a: &str| (a == AK).then(|| SK.to_owned());
        assert_eq!(signing::verify(&auth, lookup, &req), Ok(()));
        // The client's own signature would not have passed there: it covers the proxy's host.
        let original = headers.iter().find(|(n, _)| n == "authorization").unwrap().1.clone();
        assert_eq!(signing::verify(&original, lookup, &req), Err(signing::SignatureError::Mismatch));
        assert!(!auth.contains(SK));
    }

    #[test]
    fn a_bad_signature_is_refused_without_naming_a_secret() {
        let headers = signed_for("127.0.0.1:7000", "another-secret-key");
        let upstream = reqwest::Url::parse("http://127.0.0.1:9000/v1/p/server-groups?limit=2").unwrap();
        let why = decide(Some(&pair()), &request(&headers), &upstream, &forwarded(&headers)).unwrap_err();
        assert!(matches!(why, CredentialsError::Unverified(signing::SignatureError::Mismatch)), "{why:?}");
        let why = why.to_string();
        assert_eq!(why, "the client's signature does not verify: signature mismatch");
        assert!(!why.contains(SK) && !why.contains(AK), "{why}");
    }

    #[test]
    fn tokens_and_signatures_without_a_key_pair_pass_through() {
        let upstream = reqwest::Url::parse("http://127.0.0.1:9000/").unwrap();
        let token = pairs(&[("x-auth-token", "MIItoken-value")]);
        let decided = decide(Some(&pair()), &request(&token), &upstream, &token);
        assert!(matches!(decided, Ok(Credentials::PassThrough { signed: false })), "{decided:?}");
        let signed = signed_for("127.0.0.1:7000", SK);
        let decided = decide(None, &request(&signed), &upstream, &signed);
        assert!(matches!(decided, Ok(Credentials::PassThrough { signed: true })), "{decided:?}");
    }

    #[test]
    fn connection_names_more_hop_by_hop_headers() {
        let hop = hop_by_hop(&pairs(&[("Connection", "close, X-Private")]));
        assert!(is_in("x-private", &hop) && is_in("Transfer-Encoding", &hop) && !is_in("x-auth-token", &hop));
    }

    #[test]
    fn the_authority_leaves_out_default_ports() {
        assert_eq!(authority(&reqwest::Url::parse("https://sdrs.example.com:443/x").unwrap()), "sdrs.example.com");
        assert_eq!(authority(&reqwest::Url::parse("http://127.0.0.1:9000").unwrap()), "127.0.0.1:9000");
    }
}
