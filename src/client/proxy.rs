//! Which proxy the environment sends a target's requests through (`HTTPS_PROXY`, `HTTP_PROXY`,
//! `ALL_PROXY`, `NO_PROXY`, upper or lower case), read with the matcher reqwest itself uses, so
//! that what the console and the reports say is what the client does.

/// The proxy that requests to `url` go through, without any credential it carries
/// (`http://proxy.example:3128`), or `None` when they go direct.
pub fn proxy_for(url: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    let matcher = hyper_util::client::proxy::matcher::Matcher::from_env();
    let intercept = matcher.intercept(&uri)?;
    Some(without_credentials(intercept.uri()))
}

/// `scheme://host:port` of a proxy URI: a user name or password never reaches an output.
fn without_credentials(uri: &http::Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("http");
    let host = uri.host().unwrap_or_default();
    match uri.port_u16() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_of_a_proxy_are_dropped() {
        let uri: http::Uri = "http://user:pa55@proxy.example:3128/".parse().expect("uri");
        assert_eq!(without_credentials(&uri), "http://proxy.example:3128");
    }
}
