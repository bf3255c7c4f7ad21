//! `https` against a TLS stand-in on 127.0.0.1 whose certificates this test
//! makes: a private CA is trusted only when added, an untrusted certificate
//! is a clear TLS error, and a client certificate is presented on request.
#![cfg(feature = "rustls")]

mod support;

use std::{convert::Infallible, sync::Arc};

use bytes::Bytes;
use http::{Response, header::CONTENT_TYPE};
use http_body_util::Full;
use hyper::{server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use rustls::{
    RootCertStore, ServerConfig,
    pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer},
    server::WebPkiClientVerifier,
};
use rxinfer_client::{
    ApiError, Client, ClientBuilder, TransportError,
    transport::{Proxy, TlsConfig},
};
use support::transport_error;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

struct Identity {
    cert_pem: String,
    key_pem: String,
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

fn ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "rxinfer test CA");
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("CA key")).expect("CA cert")
}

fn issue(
    ca: &CertifiedIssuer<'static, KeyPair>,
    name: &str,
    usage: ExtendedKeyUsagePurpose,
) -> Identity {
    let mut params = CertificateParams::new(vec![name.to_owned()]).expect("leaf params");
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().expect("leaf key");
    let cert = params.signed_by(&key, ca).expect("leaf cert");
    Identity {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        cert: cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

/// Serves `{"roles":["tls"]}` over TLS on 127.0.0.1; returns the base URL.
async fn tls_server(
    server: Identity,
    client_ca: Option<&CertifiedIssuer<'static, KeyPair>>,
) -> String {
    let provider = rxinfer_client::transport::crypto_provider().expect("a crypto provider");
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("protocol versions");
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add(ca.der().clone()).expect("CA root");
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config = builder
        .with_single_cert(vec![server.cert], server.key)
        .expect("server certificate");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!(
        "https://127.0.0.1:{}/v1",
        listener.local_addr().expect("addr").port()
    );
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = service_fn(|_| async {
                    let mut response =
                        Response::new(Full::new(Bytes::from_static(br#"{"roles":["tls"]}"#)));
                    response
                        .headers_mut()
                        .insert(CONTENT_TYPE, "application/json".parse().expect("header"));
                    Ok::<_, Infallible>(response)
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    url
}

fn builder(url: &str) -> ClientBuilder {
    Client::builder()
        .base_url(url)
        .expect("valid URL")
        .token("t")
        .expect("valid token")
}

async fn roles(builder: ClientBuilder) -> Result<Vec<String>, ApiError> {
    let client = builder.build().expect("the client builds");
    client
        .authentication()
        .token_roles()
        .await
        .map(|r| r.into_data().roles)
}

#[tokio::test]
async fn a_private_ca_is_trusted_once_added() {
    let ca = ca();
    let url = tls_server(
        issue(&ca, "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth),
        None,
    )
    .await;
    let builder = builder(&url)
        .add_root_certificates_pem(ca.pem().as_bytes())
        .expect("CA PEM");
    assert_eq!(roles(builder).await.expect("roles over TLS"), ["tls"]);
}

/// A rustls configuration of one's own is used as it is: its roots decide,
/// and its ALPN list (as configurations made for other clients carry) is
/// replaced rather than refused.
#[tokio::test]
async fn your_own_rustls_config_is_used_as_it_is() {
    let ca = ca();
    let url = tls_server(
        issue(&ca, "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth),
        None,
    )
    .await;
    let config = |trust_the_ca: bool| {
        let mut roots = RootCertStore::empty();
        if trust_the_ca {
            roots.add(ca.der().clone()).expect("CA root");
        }
        let mut config = rustls::ClientConfig::builder_with_provider(
            rxinfer_client::transport::crypto_provider().expect("a crypto provider"),
        )
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        TlsConfig::from_rustls(config)
    };
    let trusted = builder(&url).tls(config(true));
    assert_eq!(roles(trusted).await.expect("roles over TLS"), ["tls"]);
    let error = roles(builder(&url).tls(config(false)))
        .await
        .expect_err("untrusted by the config");
    assert!(
        matches!(transport_error(&error), Some(TransportError::Tls(_))),
        "{error:?}"
    );
    // Roots beside the config's would be ignored: adding them is refused.
    let refused = builder(&url)
        .tls(config(false))
        .add_root_certificates_pem(ca.pem().as_bytes());
    assert!(
        matches!(refused, Err(TransportError::InvalidTlsConfig(_))),
        "{:?}",
        refused.err()
    );
}

/// The platform's verifier distrusts a private CA until it is added.
#[cfg(feature = "platform-verifier")]
#[tokio::test]
async fn the_platform_verifier_trusts_extra_roots_beside_the_system() {
    use rxinfer_client::transport::Roots;

    let ca = ca();
    let url = tls_server(
        issue(&ca, "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth),
        None,
    )
    .await;
    let platform = || TlsConfig::new().roots(Roots::PlatformVerifier);
    let error = roles(builder(&url).tls(platform()))
        .await
        .expect_err("a private CA is not the system's");
    assert!(
        matches!(transport_error(&error), Some(TransportError::Tls(_))),
        "{error:?}"
    );
    let added = platform()
        .add_root_certificates_pem(ca.pem().as_bytes())
        .expect("CA PEM");
    assert_eq!(
        roles(builder(&url).tls(added))
            .await
            .expect("roles over TLS"),
        ["tls"]
    );
}

/// TLS settings hold with a layer of one's own in the stack.
#[tokio::test]
async fn tls_settings_survive_a_custom_layer() {
    let ca = ca();
    let url = tls_server(
        issue(&ca, "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth),
        None,
    )
    .await;
    let layered = builder(&url)
        .add_root_certificates_pem(ca.pem().as_bytes())
        .expect("CA PEM")
        .layer(tower_http::trace::TraceLayer::new_for_http());
    let client = layered.build().expect("the client builds");
    let roles = client
        .authentication()
        .token_roles()
        .await
        .expect("roles over TLS");
    assert_eq!(roles.roles, ["tls"]);
    let untrusted = builder(&url)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .build()
        .expect("the client builds");
    let error = untrusted
        .authentication()
        .token_roles()
        .await
        .expect_err("untrusted");
    assert!(
        matches!(transport_error(&error), Some(TransportError::Tls(_))),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_tls_error() {
    let ca = ca();
    let url = tls_server(
        issue(&ca, "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth),
        None,
    )
    .await;
    let error = roles(builder(&url)).await.expect_err("untrusted");
    assert!(
        matches!(transport_error(&error), Some(TransportError::Tls(_))),
        "{error:?}"
    );
    assert!(error.to_string().contains("TLS handshake"), "{error}");
    let mut chain = String::new();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        chain.push_str(&format!("{cause}; "));
        source = cause.source();
    }
    assert!(
        chain.contains("certificate"),
        "the cause names the certificate: {chain}"
    );
}

#[tokio::test]
async fn a_certificate_for_another_name_is_a_tls_error() {
    let ca = ca();
    let url = tls_server(
        issue(&ca, "example.org", ExtendedKeyUsagePurpose::ServerAuth),
        None,
    )
    .await;
    let builder = builder(&url)
        .add_root_certificates_pem(ca.pem().as_bytes())
        .expect("CA PEM");
    let error = roles(builder).await.expect_err("wrong name");
    assert!(
        matches!(transport_error(&error), Some(TransportError::Tls(_))),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_client_certificate_is_presented_when_the_server_asks() {
    let ca = ca();
    let server = issue(&ca, "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth);
    let client = issue(&ca, "rxinfer-client", ExtendedKeyUsagePurpose::ClientAuth);
    let url = tls_server(server, Some(&ca)).await;
    let trusted = builder(&url)
        .add_root_certificates_pem(ca.pem().as_bytes())
        .expect("CA PEM");

    let without = roles(trusted.clone())
        .await
        .expect_err("the server wants a certificate");
    assert!(transport_error(&without).is_some(), "{without:?}");

    let with = trusted
        .client_certificate_pem(client.cert_pem.as_bytes(), client.key_pem.as_bytes())
        .expect("client identity");
    assert_eq!(
        roles(with).await.expect("roles with a client certificate"),
        ["tls"]
    );
}

#[tokio::test]
async fn https_goes_through_a_connect_tunnel_the_proxy_cannot_read() {
    let ca = ca();
    let url = tls_server(
        issue(&ca, "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth),
        None,
    )
    .await;
    let mut proxy = support::ProxyServer::start().await;
    let builder = builder(&url)
        .add_root_certificates_pem(ca.pem().as_bytes())
        .expect("CA PEM")
        .proxy(Proxy::all(&proxy.url).expect("valid proxy"));
    assert_eq!(
        roles(builder).await.expect("roles through the tunnel"),
        ["tls"]
    );
    let authority = url.trim_start_matches("https://").trim_end_matches("/v1");
    assert_eq!(
        proxy.first_lines(),
        [format!("CONNECT {authority} HTTP/1.1")]
    );
}

/// A forwarding proxy behind TLS on 127.0.0.1, with a certificate for
/// 127.0.0.1 from `ca`: the first line of each connection it serves.
async fn tls_proxy(
    ca: &CertifiedIssuer<'static, KeyPair>,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let identity = issue(ca, "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth);
    let config = ServerConfig::builder_with_provider(
        rxinfer_client::transport::crypto_provider().expect("a crypto provider"),
    )
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(vec![identity.cert], identity.key)
    .expect("proxy certificate");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    let (seen, heads) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    support::forward(tls, seen).await;
                }
            });
        }
    });
    (url, heads)
}

fn first_lines(heads: &mut tokio::sync::mpsc::UnboundedReceiver<String>) -> Vec<String> {
    let mut lines = Vec::new();
    while let Ok(head) = heads.try_recv() {
        lines.push(head.lines().next().unwrap_or_default().to_owned());
    }
    lines
}

/// An `https://` proxy is reached over TLS (verified with the same roots as
/// the server): plain-http requests go inside that TLS in absolute form,
/// `https` ones through a `CONNECT` tunnel inside it.
#[tokio::test]
async fn an_https_proxy_is_spoken_to_over_tls() {
    let ca = ca();
    let server = rxinfer_stand_in::StandIn::start()
        .await
        .expect("stand-in starts");
    server.insert_token("t", ["user"]);
    let (proxy, mut heads) = tls_proxy(&ca).await;
    let through = |url: &str| {
        builder(url)
            .add_root_certificates_pem(ca.pem().as_bytes())
            .expect("CA PEM")
            .proxy(Proxy::all(&proxy).expect("valid proxy"))
    };
    assert_eq!(
        roles(through(server.url()))
            .await
            .expect("plain http via TLS"),
        ["user"]
    );
    assert_eq!(
        first_lines(&mut heads),
        [format!("GET {}/token/roles HTTP/1.1", server.url())]
    );

    let secure = tls_server(
        issue(&ca, "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth),
        None,
    )
    .await;
    assert_eq!(
        roles(through(&secure)).await.expect("https via TLS"),
        ["tls"]
    );
    let authority = secure
        .trim_start_matches("https://")
        .trim_end_matches("/v1");
    assert_eq!(
        first_lines(&mut heads),
        [format!("CONNECT {authority} HTTP/1.1")]
    );

    // A proxy whose certificate is not trusted is a proxy error.
    let untrusted = builder(server.url()).proxy(Proxy::all(&proxy).expect("valid proxy"));
    let error = roles(untrusted).await.expect_err("untrusted proxy");
    assert!(
        matches!(transport_error(&error), Some(TransportError::Proxy { .. })),
        "{error:?}"
    );
}

#[test]
fn a_key_that_does_not_fit_its_certificate_fails_at_build() {
    let ca = ca();
    let one = issue(&ca, "a", ExtendedKeyUsagePurpose::ClientAuth);
    let other = issue(&ca, "b", ExtendedKeyUsagePurpose::ClientAuth);
    let result = Client::builder()
        .client_certificate_pem(one.cert_pem.as_bytes(), other.key_pem.as_bytes())
        .and_then(ClientBuilder::build);
    assert!(
        matches!(result, Err(TransportError::InvalidTlsConfig(_))),
        "{result:?}"
    );
}
