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
    crypto::ring,
    pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer},
    server::WebPkiClientVerifier,
};
use rxinfer_client::{ApiError, Client, ClientBuilder, TransportError, transport::Proxy};
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
    let provider = Arc::new(ring::default_provider());
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
    client.authentication().token_roles().await.map(|r| r.roles)
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
        matches!(error, ApiError::Transport(TransportError::Tls(_))),
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
        matches!(error, ApiError::Transport(TransportError::Tls(_))),
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
    assert!(matches!(without, ApiError::Transport(_)), "{without:?}");

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
