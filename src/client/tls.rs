//! Trust for HTTPS targets (extra CA files, the system's roots, `--insecure`), and what a failed
//! handshake says about the server's certificate, so that a run can stop at once naming it.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::error::Error as StdError;
use std::path::{Path, PathBuf};

/// How the server's certificate is judged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// PEM files whose certificates are trusted as roots, besides the system's and the bundled ones.
    pub ca_certs: Vec<PathBuf>,
    /// Accept any certificate (`--insecure`).
    pub insecure: bool,
}

/// Why a CA file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    /// The file cannot be read.
    #[error("--ca-cert {path}: cannot read the file: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The PEM text is broken.
    #[error("--ca-cert {path}: not a valid PEM file: {message}")]
    Pem {
        /// The file.
        path: String,
        /// What the parser said.
        message: String,
    },
    /// No `CERTIFICATE` section.
    #[error("--ca-cert {path}: holds no certificate (no `-----BEGIN CERTIFICATE-----` section)")]
    Empty {
        /// The file.
        path: String,
    },
    /// A section that does not hold an X.509 certificate.
    #[error("--ca-cert {path}: certificate {index} is not a valid X.509 certificate: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// 1-based position of the section in the file.
        index: usize,
        /// What the parser said.
        message: String,
    },
}

/// Reads the certificates of one PEM file, each checked to be usable as a trust root.
pub fn load_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>, CaFileError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| CaFileError::Read { path: shown.clone(), source })?;
    let mut out = Vec::new();
    for (i, section) in CertificateDer::pem_slice_iter(&bytes).enumerate() {
        let der = section.map_err(|e| CaFileError::Pem { path: shown.clone(), message: e.to_string() })?;
        // reqwest would only find a bad certificate when the client is built, without the file name.
        let mut probe = rustls::RootCertStore::empty();
        probe.add(der.clone()).map_err(|e| CaFileError::Invalid {
            path: shown.clone(),
            index: i + 1,
            message: e.to_string(),
        })?;
        out.push(reqwest::Certificate::from_der(der.as_ref()).map_err(|e| CaFileError::Invalid {
            path: shown.clone(),
            index: i + 1,
            message: e.to_string(),
        })?);
    }
    if out.is_empty() {
        return Err(CaFileError::Empty { path: shown });
    }
    Ok(out)
}

/// Sets the trust of `builder` from `options`.
pub fn configure(
    mut builder: reqwest::ClientBuilder,
    options: &TlsOptions,
) -> Result<reqwest::ClientBuilder, CaFileError> {
    for path in &options.ca_certs {
        for cert in load_ca_file(path)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    if options.insecure {
        builder = builder.danger_accept_invalid_certs(true);
    }
    Ok(builder)
}

/// What went wrong in a TLS handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsProblem {
    /// The server's certificate was refused: the rustls name of the reason (`UnknownIssuer`,
    /// `NotValidForName`, `Expired`…) and its full text.
    Certificate {
        /// Short name, as rustls spells the variant.
        reason: String,
        /// What rustls says.
        detail: String,
    },
    /// Any other handshake failure (a plain-HTTP server on an https URL, no common protocol…).
    Handshake {
        /// What rustls says.
        detail: String,
    },
}

impl TlsProblem {
    /// One sentence naming the problem for `origin`, and what to do about it.
    pub fn sentence(&self, origin: &str) -> String {
        match self {
            TlsProblem::Certificate { reason, .. } if reason == "UnknownIssuer" => format!(
                "TLS: the certificate of {origin} is not trusted (UnknownIssuer); pass --ca-cert PATH or --insecure"
            ),
            TlsProblem::Certificate { reason, detail } => format!(
                "TLS: the certificate of {origin} is refused ({reason}: {detail}); pass --ca-cert PATH for a private CA, or --insecure"
            ),
            TlsProblem::Handshake { detail } => {
                format!("TLS: the handshake with {origin} failed ({detail}); is it an HTTPS server?")
            }
        }
    }
}

/// The TLS problem somewhere in the causes of `error`, if any.
pub fn problem_of(error: &(dyn StdError + 'static)) -> Option<TlsProblem> {
    let mut next: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(found) = rustls_error(e).map(classify) {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// A rustls error itself, or inside `io::Error`s (whose `source()` skips the error they wrap;
/// hyper-rustls wraps tokio-rustls's `io::Error` in another).
fn rustls_error<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut current: &'a (dyn StdError + 'static) = e;
    loop {
        if let Some(found) = current.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        let inner: &'a (dyn StdError + Send + Sync + 'static) =
            current.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref)?;
        current = inner;
    }
}

fn classify(e: &rustls::Error) -> TlsProblem {
    match e {
        rustls::Error::InvalidCertificate(cert) => {
            let debug = format!("{cert:?}");
            let name = debug.split(['{', '(', ' ']).next().unwrap_or_default();
            TlsProblem::Certificate { reason: name.trim_end_matches("Context").to_owned(), detail: e.to_string() }
        }
        other => TlsProblem::Handshake { detail: other.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        (dir, path)
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = load_ca_file(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(err.to_string().starts_with("--ca-cert /nonexistent/ca.pem: cannot read the file"), "{err}");
    }

    #[test]
    fn a_file_without_certificate_is_refused() {
        let (_d, path) = temp_file("key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        let err = load_ca_file(&path).unwrap_err();
        assert!(matches!(err, CaFileError::Empty { .. }), "{err}");
        assert!(err.to_string().contains("key.pem"), "{err}");
    }

    #[test]
    fn a_section_that_is_not_a_certificate_is_refused_with_its_position() {
        // Valid base64, but not DER.
        let (_d, path) =
            temp_file("bad.pem", "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n");
        let err = load_ca_file(&path).unwrap_err();
        assert!(matches!(err, CaFileError::Invalid { index: 1, .. }), "{err}");
    }

    #[test]
    fn a_section_without_its_end_is_refused() {
        let (_d, path) = temp_file("cut.pem", "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n");
        let err = load_ca_file(&path).unwrap_err();
        assert!(matches!(err, CaFileError::Pem { .. }), "{err}");
    }

    #[test]
    fn an_unknown_issuer_is_found_inside_an_io_error() {
        let inner = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
        // As hyper-rustls hands it on: tokio-rustls's io::Error inside another.
        let io = std::io::Error::other(io);
        let problem = problem_of(&io).expect("found");
        assert_eq!(
            problem,
            TlsProblem::Certificate {
                reason: "UnknownIssuer".into(),
                detail: "invalid peer certificate: UnknownIssuer".into()
            }
        );
        assert_eq!(
            problem.sentence("https://127.0.0.1:1"),
            "TLS: the certificate of https://127.0.0.1:1 is not trusted (UnknownIssuer); pass --ca-cert PATH or --insecure"
        );
    }

    #[test]
    fn a_name_mismatch_keeps_its_short_name() {
        let e = rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext {
            expected: rustls::pki_types::ServerName::try_from("sdrs.example.com").expect("name"),
            presented: vec!["other.example.com".into()],
        });
        match problem_of(&e) {
            Some(TlsProblem::Certificate { reason, .. }) => assert_eq!(reason, "NotValidForName"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_error_without_tls_cause_is_no_tls_problem() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(problem_of(&io), None);
    }
}
