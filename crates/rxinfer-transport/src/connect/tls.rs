//! TLS for `https` base URLs and `https://` proxies: rustls, trusting the
//! bundled Mozilla roots or the platform's store, or the bundle in
//! `SSL_CERT_FILE`, plus extra roots (a private CA) and a client
//! certificate.

use std::{fmt, sync::Arc};

use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use rustls::{ClientConfig, RootCertStore, crypto::ring};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};

use crate::Error;

/// The environment variable naming a PEM bundle that replaces the default
/// roots, as curl, OpenSSL and uv read it.
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// Which certificate authorities are trusted before any extra root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Roots {
    /// The Mozilla root certificates bundled in the binary (`webpki-roots`):
    /// the same everywhere, no system store read.
    #[default]
    Bundled,
    /// The platform's trust store (`rustls-native-certs`), which also honours
    /// `SSL_CERT_DIR`. Needs the `native-roots` feature.
    #[cfg(feature = "native-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "native-roots")))]
    Platform,
}

/// TLS settings. The default trusts the bundled Mozilla roots, or the
/// bundle named by `SSL_CERT_FILE` when that is set, and sends no client
/// certificate.
///
/// ```
/// use rxinfer_transport::TlsConfig;
///
/// let tls = TlsConfig::new();
/// assert!(TlsConfig::new().add_root_certificates_pem(b"not PEM").is_err());
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    roots: Roots,
    honour_ssl_cert_file: bool,
    extra_roots: Vec<CertificateDer<'static>>,
    client_identity: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            roots: Roots::Bundled,
            honour_ssl_cert_file: true,
            extra_roots: Vec::new(),
            client_identity: None,
        }
    }
}

impl TlsConfig {
    /// The defaults: Mozilla roots (or `SSL_CERT_FILE`), no client
    /// certificate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts `roots` instead of the bundled Mozilla roots.
    pub fn roots(mut self, roots: Roots) -> Self {
        self.roots = roots;
        self
    }

    /// Whether a bundle named by `SSL_CERT_FILE` replaces the default roots
    /// (default: yes, as curl and OpenSSL do).
    pub fn honour_ssl_cert_file(mut self, honour: bool) -> Self {
        self.honour_ssl_cert_file = honour;
        self
    }

    /// Also trusts every certificate in `pem`, such as a private CA's.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTlsConfig`] when `pem` holds no certificate or one
    /// that cannot be read.
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        let certificates = certificates(pem)?;
        self.extra_roots.extend(certificates);
        Ok(self)
    }

    /// Presents `chain_pem` (the client's certificate first) with the
    /// private key in `key_pem`, for servers that ask for client
    /// certificates.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTlsConfig`] when either cannot be read.
    pub fn client_certificate_pem(
        mut self,
        chain_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<Self, Error> {
        let chain = certificates(chain_pem)?;
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| {
            Error::InvalidTlsConfig(format!("no private key could be read: {e}").into())
        })?;
        self.client_identity = Some((chain, Arc::new(key)));
        Ok(self)
    }

    /// The rustls client configuration, reading `SSL_CERT_FILE` through
    /// `lookup`, on rustls's `ring` provider chosen explicitly, so another
    /// provider elsewhere in the program does not make the choice ambiguous.
    pub(crate) fn client_config(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ClientConfig, Error> {
        let invalid = |e: rustls::Error| Error::InvalidTlsConfig(e.into());
        let mut roots = self.default_roots(lookup)?;
        for root in &self.extra_roots {
            roots.add(root.clone()).map_err(invalid)?;
        }
        let builder = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(invalid)?
            .with_root_certificates(roots);
        match &self.client_identity {
            None => Ok(builder.with_no_client_auth()),
            Some((chain, key)) => builder
                .with_client_auth_cert(chain.clone(), key.clone_key())
                .map_err(invalid),
        }
    }

    fn default_roots(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<RootCertStore, Error> {
        let bundle = lookup(SSL_CERT_FILE).filter(|path| !path.trim().is_empty());
        if let Some(path) = bundle.filter(|_| self.honour_ssl_cert_file) {
            let pem = std::fs::read(path.trim()).map_err(|e| {
                Error::InvalidTlsConfig(format!("{SSL_CERT_FILE} cannot be read: {e}").into())
            })?;
            let mut roots = RootCertStore::empty();
            for certificate in certificates(&pem).map_err(|_| {
                Error::InvalidTlsConfig(
                    format!("{SSL_CERT_FILE} holds no readable certificate").into(),
                )
            })? {
                roots
                    .add(certificate)
                    .map_err(|e| Error::InvalidTlsConfig(e.into()))?;
            }
            return Ok(roots);
        }
        match self.roots {
            Roots::Bundled => Ok(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            }),
            #[cfg(feature = "native-roots")]
            Roots::Platform => {
                let found = rustls_native_certs::load_native_certs();
                let mut roots = RootCertStore::empty();
                let (added, _) = roots.add_parsable_certificates(found.certs);
                if added == 0 {
                    return Err(Error::InvalidTlsConfig(
                        "the platform's trust store holds no usable certificate".into(),
                    ));
                }
                Ok(roots)
            }
        }
    }
}

/// The connector under the pooled client: `C` (or a proxy), then TLS for
/// `https`.
pub(crate) fn connector<C>(config: ClientConfig, inner: C) -> HttpsConnector<C> {
    HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .wrap_connector(inner)
}

fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            Error::InvalidTlsConfig(format!("a certificate could not be read: {e}").into())
        })?;
    if certificates.is_empty() {
        return Err(Error::InvalidTlsConfig("no PEM certificate found".into()));
    }
    Ok(certificates)
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("roots", &self.roots)
            .field("honour_ssl_cert_file", &self.honour_ssl_cert_file)
            .field("extra_roots", &self.extra_roots.len())
            .field("client_certificate", &self.client_identity.is_some())
            .finish()
    }
}

/// The rustls error (a failed handshake, an untrusted certificate)
/// somewhere in `error`'s chain, including inside an `io::Error`.
pub(crate) fn tls_failure(error: &(dyn std::error::Error + 'static)) -> Option<rustls::Error> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return Some(tls.clone());
        }
        let inside_io = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .and_then(|inner| tls_failure(inner));
        if inside_io.is_some() {
            return inside_io;
        }
        next = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_env::lookup;

    #[test]
    fn the_default_configuration_builds() {
        assert!(TlsConfig::new().client_config(lookup(&[])).is_ok());
    }

    #[test]
    fn unreadable_pem_is_a_typed_error() {
        for pem in [
            &b""[..],
            b"hello",
            b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        ] {
            let result = TlsConfig::new().add_root_certificates_pem(pem);
            assert!(matches!(result, Err(Error::InvalidTlsConfig(_))), "{pem:?}");
        }
        let result = TlsConfig::new().client_certificate_pem(b"", b"");
        assert!(matches!(result, Err(Error::InvalidTlsConfig(_))));
    }

    #[test]
    fn a_missing_ssl_cert_file_is_an_error_naming_the_variable() {
        let result =
            TlsConfig::new().client_config(lookup(&[(SSL_CERT_FILE, "/nonexistent/ca.pem")]));
        let message = match result {
            Err(Error::InvalidTlsConfig(source)) => source.to_string(),
            other => panic!("{other:?}"),
        };
        assert!(message.contains(SSL_CERT_FILE), "{message}");
        // Turned off, or empty, the variable is not read.
        let off = TlsConfig::new().honour_ssl_cert_file(false);
        assert!(
            off.client_config(lookup(&[(SSL_CERT_FILE, "/nonexistent/ca.pem")]))
                .is_ok()
        );
        assert!(
            TlsConfig::new()
                .client_config(lookup(&[(SSL_CERT_FILE, " ")]))
                .is_ok()
        );
    }

    #[test]
    fn finds_rustls_errors_inside_io_errors() {
        let tls = std::io::Error::other(rustls::Error::General("handshake".into()));
        assert_eq!(
            tls_failure(&tls),
            Some(rustls::Error::General("handshake".into()))
        );
        let plain = std::io::Error::other("refused");
        assert_eq!(tls_failure(&plain), None);
    }
}
