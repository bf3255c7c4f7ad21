//! TLS for `https` base URLs and `https://` proxies: rustls, trusting the
//! bundled Mozilla roots, the platform's store or its verifier, or the
//! bundle in `SSL_CERT_FILE`, plus extra roots (a private CA) and a client
//! certificate; or a `rustls::ClientConfig` of your own.
//!
//! The crypto provider is chosen by feature, never by whatever else in the
//! program installed one: `aws-lc-rs` when that feature is on, else `ring`,
//! else the process-wide default.

use std::{fmt, sync::Arc};

use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use rustls::{ClientConfig, RootCertStore, crypto::CryptoProvider};
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
    /// `SSL_CERT_DIR`. Needs the `native-roots` feature. Its reader takes
    /// `SSL_CERT_FILE` whatever [`TlsConfig::honour_ssl_cert_file`] says, so
    /// turning that off while the variable is set is refused when the
    /// client is built.
    #[cfg(feature = "native-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "native-roots")))]
    Platform,
    /// The platform's own verifier (`rustls-platform-verifier`): the system
    /// decides, with its revocation checks and enterprise policies, on
    /// macOS, Windows, iOS and Android; on Linux, the system's store read
    /// through webpki. Extra roots are trusted beside it (not on Android).
    /// Needs the `platform-verifier` feature.
    ///
    /// A bundle in `SSL_CERT_FILE`, when honoured, replaces the verifier
    /// with webpki over that bundle, as for the other roots. On Linux and
    /// the BSDs the verifier reads the store through `rustls-native-certs`,
    /// which takes `SSL_CERT_FILE` whatever
    /// [`TlsConfig::honour_ssl_cert_file`] says: turning that off while the
    /// variable is set is refused there when the client is built.
    #[cfg(feature = "platform-verifier")]
    #[cfg_attr(docsrs, doc(cfg(feature = "platform-verifier")))]
    PlatformVerifier,
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
    own: Option<Arc<ClientConfig>>,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            roots: Roots::Bundled,
            honour_ssl_cert_file: true,
            extra_roots: Vec::new(),
            client_identity: None,
            own: None,
        }
    }
}

impl TlsConfig {
    /// The defaults: Mozilla roots (or `SSL_CERT_FILE`), no client
    /// certificate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Your own rustls configuration, used as it is for the server and for
    /// `https://` proxies: its roots, verifier, crypto provider, client
    /// certificate, protocol versions and session cache. `SSL_CERT_FILE`
    /// and [`roots`](Self::roots) are then ignored, and adding roots or a
    /// client certificate is an error. Its ALPN list is
    /// replaced by HTTP/1.1's, the one protocol the transport speaks.
    ///
    /// The configuration must come from the rustls this crate links
    /// (re-exported as [`rustls`](crate::rustls)).
    ///
    /// ```
    /// use rxinfer_transport::{TlsConfig, crypto_provider, rustls};
    ///
    /// let roots = rustls::RootCertStore::empty(); // add your CA here
    /// let config = rustls::ClientConfig::builder_with_provider(crypto_provider()?)
    ///     .with_safe_default_protocol_versions()?
    ///     .with_root_certificates(roots)
    ///     .with_no_client_auth();
    /// let tls = TlsConfig::from_rustls(config);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_rustls(config: impl Into<Arc<ClientConfig>>) -> Self {
        Self {
            own: Some(config.into()),
            ..Self::default()
        }
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
    /// that cannot be read, or when this holds a rustls configuration of
    /// your own ([`from_rustls`](Self::from_rustls)), whose roots are its
    /// own to set.
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        self.refuse_beside_own("roots")?;
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
    /// [`Error::InvalidTlsConfig`] when either cannot be read, or when this
    /// holds a rustls configuration of your own
    /// ([`from_rustls`](Self::from_rustls)).
    pub fn client_certificate_pem(
        mut self,
        chain_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<Self, Error> {
        self.refuse_beside_own("a client certificate")?;
        let chain = certificates(chain_pem)?;
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| {
            Error::InvalidTlsConfig(format!("no private key could be read: {e}").into())
        })?;
        self.client_identity = Some((chain, Arc::new(key)));
        Ok(self)
    }

    fn refuse_beside_own(&self, what: &str) -> Result<(), Error> {
        match self.own {
            Some(_) => Err(Error::InvalidTlsConfig(
                format!(
                    "{what} cannot be added to a rustls ClientConfig of your own: set them in it"
                )
                .into(),
            )),
            None => Ok(()),
        }
    }

    /// The rustls client configuration, reading `SSL_CERT_FILE` through
    /// `lookup`, on the provider the features choose.
    pub(crate) fn client_config(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ClientConfig, Error> {
        if let Some(own) = &self.own {
            let mut config = ClientConfig::clone(own);
            // hyper-rustls refuses (by panicking) a config that names
            // protocols; with HTTP/1 only, it names none.
            config.alpn_protocols.clear();
            return Ok(config);
        }
        self.refuse_an_unheeded_ssl_cert_file(&lookup)?;
        let invalid = |e: rustls::Error| Error::InvalidTlsConfig(e.into());
        let provider = crypto_provider()?;
        let versions = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(invalid)?;
        #[cfg(feature = "platform-verifier")]
        let builder = if self.roots == Roots::PlatformVerifier && !self.ssl_cert_file_set(&lookup) {
            versions
                .dangerous()
                .with_custom_certificate_verifier(self.platform_verifier(provider)?)
        } else {
            versions.with_root_certificates(self.root_store(lookup)?)
        };
        #[cfg(not(feature = "platform-verifier"))]
        let builder = versions.with_root_certificates(self.root_store(lookup)?);
        match &self.client_identity {
            None => Ok(builder.with_no_client_auth()),
            Some((chain, key)) => builder
                .with_client_auth_cert(chain.clone(), key.clone_key())
                .map_err(invalid),
        }
    }

    fn root_store(&self, lookup: impl Fn(&str) -> Option<String>) -> Result<RootCertStore, Error> {
        let mut roots = self.default_roots(lookup)?;
        for root in &self.extra_roots {
            roots
                .add(root.clone())
                .map_err(|e| Error::InvalidTlsConfig(e.into()))?;
        }
        Ok(roots)
    }

    /// Whether the roots chosen read the system's store through
    /// `rustls-native-certs`, which takes `SSL_CERT_FILE` on its own.
    fn read_by_native_certs(&self) -> bool {
        match self.roots {
            Roots::Bundled => false,
            #[cfg(feature = "native-roots")]
            Roots::Platform => true,
            #[cfg(feature = "platform-verifier")]
            Roots::PlatformVerifier => cfg!(all(
                unix,
                not(target_vendor = "apple"),
                not(target_os = "android")
            )),
        }
    }

    /// Fails closed when `SSL_CERT_FILE` is set, not to be honoured, and
    /// read anyway by the store's reader.
    fn refuse_an_unheeded_ssl_cert_file(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), Error> {
        let set = lookup(SSL_CERT_FILE).is_some_and(|path| !path.trim().is_empty());
        if set && !self.honour_ssl_cert_file && self.read_by_native_certs() {
            return Err(Error::InvalidTlsConfig(
                format!(
                    "{SSL_CERT_FILE} is set and not to be honoured, but the platform's \
                     store is read through rustls-native-certs, which takes it anyway: \
                     unset it, or trust the bundled roots"
                )
                .into(),
            ));
        }
        Ok(())
    }

    fn ssl_cert_file(&self, lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
        lookup(SSL_CERT_FILE)
            .filter(|path| !path.trim().is_empty())
            .filter(|_| self.honour_ssl_cert_file)
    }

    #[cfg(feature = "platform-verifier")]
    fn ssl_cert_file_set(&self, lookup: impl Fn(&str) -> Option<String>) -> bool {
        self.ssl_cert_file(lookup).is_some()
    }

    /// The platform's verifier, trusting the extra roots beside the system's.
    #[cfg(feature = "platform-verifier")]
    fn platform_verifier(
        &self,
        provider: Arc<CryptoProvider>,
    ) -> Result<Arc<rustls_platform_verifier::Verifier>, Error> {
        let invalid = |e: rustls::Error| Error::InvalidTlsConfig(e.into());
        #[cfg(not(target_os = "android"))]
        let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
            self.extra_roots.clone(),
            provider,
        );
        #[cfg(target_os = "android")]
        let verifier = if self.extra_roots.is_empty() {
            rustls_platform_verifier::Verifier::new(provider)
        } else {
            return Err(Error::InvalidTlsConfig(
                "extra roots beside the platform verifier are not supported on Android".into(),
            ));
        };
        verifier.map(Arc::new).map_err(invalid)
    }

    fn default_roots(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<RootCertStore, Error> {
        if let Some(path) = self.ssl_cert_file(lookup) {
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
            // Only reached when `SSL_CERT_FILE` names a bundle, which wins.
            #[cfg(feature = "platform-verifier")]
            Roots::PlatformVerifier => Ok(RootCertStore::empty()),
        }
    }
}

/// The crypto provider the transport's TLS runs on, as the features choose
/// it: `aws-lc-rs` over `ring`, and with neither, the one the program
/// installed as the process default. Build your own
/// [`rustls::ClientConfig`] on it to keep the same choice.
///
/// `ring` offers no post-quantum key exchange, and rustls 0.23.48
/// deprecates its provider for that; `aws-lc-rs` has one (X25519MLKEM768).
///
/// # Errors
///
/// [`Error::InvalidTlsConfig`] when no feature chooses a provider and the
/// program installed none.
pub fn crypto_provider() -> Result<Arc<CryptoProvider>, Error> {
    #[cfg(feature = "aws-lc-rs")]
    return Ok(Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    // Still the default feature, as chosen for this release; the feature
    // `aws-lc-rs` is the way to post-quantum key exchange.
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    #[allow(deprecated)]
    return Ok(Arc::new(rustls::crypto::ring::default_provider()));
    #[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
    CryptoProvider::get_default().cloned().ok_or_else(|| {
        Error::InvalidTlsConfig(
            "no TLS crypto provider: turn on the `ring` or `aws-lc-rs` feature, \
             or install one with rustls's CryptoProvider::install_default"
                .into(),
        )
    })
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
            .field("own_rustls_config", &self.own.is_some())
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

    #[cfg(any(feature = "ring", feature = "aws-lc-rs"))]
    #[test]
    fn the_default_configuration_builds() {
        assert!(TlsConfig::new().client_config(lookup(&[])).is_ok());
    }

    #[test]
    fn the_features_choose_the_provider() {
        let provider = crypto_provider();
        #[cfg(any(feature = "ring", feature = "aws-lc-rs"))]
        {
            let keys = format!("{:?}", provider.expect("a provider").key_provider);
            let chosen = if cfg!(feature = "aws-lc-rs") {
                "AwsLcRs"
            } else {
                "Ring"
            };
            assert_eq!(keys, chosen);
        }
        // No test of this binary installs a process default.
        #[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
        {
            let error = provider.expect_err("no provider");
            assert!(error.to_string().contains("TLS"), "{error}");
            assert!(TlsConfig::new().client_config(lookup(&[])).is_err());
        }
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

    #[cfg(any(feature = "ring", feature = "aws-lc-rs"))]
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

    #[cfg(any(feature = "ring", feature = "aws-lc-rs"))]
    #[test]
    fn your_own_config_keeps_its_settings_but_not_its_protocol_list() {
        let mut own = ClientConfig::builder_with_provider(crypto_provider().expect("a provider"))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(RootCertStore::empty())
            .with_no_client_auth();
        own.alpn_protocols = vec![b"h2".to_vec()];
        own.enable_sni = false;
        let tls = TlsConfig::from_rustls(own);
        // SSL_CERT_FILE is not read: a missing file is no error.
        let config = tls
            .client_config(lookup(&[(SSL_CERT_FILE, "/nonexistent/ca.pem")]))
            .expect("the config given");
        assert!(config.alpn_protocols.is_empty());
        assert!(!config.enable_sni);
        let pem = b"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            tls.clone().add_root_certificates_pem(pem),
            Err(Error::InvalidTlsConfig(_))
        ));
        assert!(matches!(
            tls.client_certificate_pem(pem, pem),
            Err(Error::InvalidTlsConfig(_))
        ));
    }

    #[cfg(any(feature = "native-roots", feature = "platform-verifier"))]
    #[test]
    fn an_ssl_cert_file_the_store_reader_would_take_anyway_is_refused() {
        let set = [(SSL_CERT_FILE, "/etc/some/ca.pem")];
        let all = [
            #[cfg(feature = "native-roots")]
            Roots::Platform,
            #[cfg(feature = "platform-verifier")]
            Roots::PlatformVerifier,
        ];
        for roots in all {
            let off = TlsConfig::new().roots(roots).honour_ssl_cert_file(false);
            if !off.read_by_native_certs() {
                continue;
            }
            let error = off
                .client_config(lookup(&set))
                .expect_err("the variable would be read all the same");
            assert!(
                matches!(&error, Error::InvalidTlsConfig(source) if source.to_string().contains(SSL_CERT_FILE)),
                "{error:?}"
            );
            assert!(off.refuse_an_unheeded_ssl_cert_file(lookup(&[])).is_ok());
        }
        // The bundled roots never read it; unset, nothing is refused.
        let bundled = TlsConfig::new().honour_ssl_cert_file(false);
        assert!(
            bundled
                .refuse_an_unheeded_ssl_cert_file(lookup(&set))
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
