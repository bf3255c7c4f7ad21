//! TLS for `https` base URLs: rustls with the Mozilla root certificates,
//! plus extra roots (a private CA) and a client certificate.

use std::{fmt, sync::Arc};

use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use rustls::{ClientConfig, RootCertStore, crypto::ring};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};

use crate::{Error, ProxyConnector};

/// The connector under the pooled client: TCP (or a proxy), then TLS for
/// `https`.
pub(crate) type Connector = HttpsConnector<ProxyConnector>;

/// TLS settings for `https` base URLs. The default trusts the Mozilla root
/// certificates (bundled, so no system store is read) and sends no client
/// certificate.
///
/// ```
/// use rxinfer_transport::TlsConfig;
///
/// let tls = TlsConfig::new();
/// assert!(TlsConfig::new().add_root_certificates_pem(b"not PEM").is_err());
/// ```
#[derive(Clone, Default)]
pub struct TlsConfig {
    extra_roots: Vec<CertificateDer<'static>>,
    client_identity: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
}

impl TlsConfig {
    /// The defaults: Mozilla roots, no client certificate.
    pub fn new() -> Self {
        Self::default()
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

    /// The rustls client configuration, on rustls's `ring` provider chosen
    /// explicitly, so another provider elsewhere in the program does not
    /// make the choice ambiguous.
    pub(crate) fn client_config(&self) -> Result<ClientConfig, Error> {
        let invalid = |e: rustls::Error| Error::InvalidTlsConfig(e.into());
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
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

    /// A connector for `http` and `https` with these settings.
    pub(crate) fn connector(&self, tcp: ProxyConnector) -> Result<Connector, Error> {
        Ok(HttpsConnectorBuilder::new()
            .with_tls_config(self.client_config()?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp))
    }
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

    #[test]
    fn the_default_configuration_builds() {
        assert!(TlsConfig::new().client_config().is_ok());
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
