//! `https` to a server whose certificate a private CA signed: the client
//! trusts that CA only once it is added. Everything is made here: the CA,
//! the server certificate and a TLS server on 127.0.0.1.
//!
//! ```text
//! cargo run --example tls
//! ```

use std::{convert::Infallible, sync::Arc};

use bytes::Bytes;
use http::{Response, header::CONTENT_TYPE};
use http_body_util::Full;
use hyper::{server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::{
    ServerConfig,
    pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer},
};
use rxinfer_client::{ApiErrorKind, Client, TransportError};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A private CA, and a certificate for 127.0.0.1 it signs.
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let server_key = KeyPair::generate()?;
    let server_cert =
        CertificateParams::new(vec!["127.0.0.1".to_owned()])?.signed_by(&server_key, &ca)?;

    // A TLS server answering every request with roles.
    let config = ServerConfig::builder_with_provider(
        rxinfer_client::transport::crypto_provider().expect("a crypto provider"),
    )
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(
        vec![server_cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
    )?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("https://127.0.0.1:{}/v1", listener.local_addr()?.port());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = service_fn(|_| async {
                    let mut response =
                        Response::new(Full::new(Bytes::from_static(br#"{"roles":["user"]}"#)));
                    response.headers_mut().insert(
                        CONTENT_TYPE,
                        http::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, Infallible>(response)
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });

    // Without the CA: a clear TLS error.
    let untrusting = Client::builder().base_url(&url)?.token("t")?.build()?;
    match untrusting.authentication().token_roles().await {
        Err(error) => match error.kind() {
            ApiErrorKind::Transport(TransportError::Tls(cause)) => {
                println!("without the CA: TLS error ({cause})")
            }
            _ => println!("without the CA: unexpected {error}"),
        },
        Ok(_) => println!("without the CA: unexpectedly trusted"),
    }

    // With it: the call succeeds over TLS.
    let trusting = Client::builder()
        .base_url(&url)?
        .token("t")?
        .add_root_certificates_pem(ca.pem().as_bytes())?
        .build()?;
    let roles = trusting.authentication().token_roles().await?;
    println!("with the CA: roles {:?} over {url}", roles.roles);
    Ok(())
}
