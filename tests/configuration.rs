//! Invalid URLs and tokens are typed errors when they are set, never panics,
//! and the errors never repeat the token.

use rxinfer_client::{
    BaseUrl, Client, TransportError,
    transport::{InvalidBaseUrl, InvalidToken},
};

#[test]
fn invalid_base_urls_are_rejected_with_the_reason() {
    let cases = [
        ("", InvalidBaseUrl::MissingScheme),
        ("localhost:8000/v1", InvalidBaseUrl::MissingScheme),
        (
            "ftp://localhost/v1",
            InvalidBaseUrl::UnsupportedScheme("ftp".to_owned()),
        ),
        (
            "http://user:secret@localhost/v1",
            InvalidBaseUrl::Credentials,
        ),
        ("http://localhost/v1?debug=1", InvalidBaseUrl::Query),
        // http would read the port as absent and send the call to port 80.
        ("http://127.0.0.1:65616/v1", InvalidBaseUrl::InvalidPort),
        ("http://127.0.0.1:0/v1", InvalidBaseUrl::InvalidPort),
    ];
    for (url, expected) in cases {
        match Client::builder().base_url(url) {
            Err(TransportError::InvalidBaseUrl(reason)) => assert_eq!(reason, expected, "{url:?}"),
            other => panic!("{url:?}: {other:?}"),
        }
    }
    for url in ["http://", "http:// bad host/", "http://[::1/v1", "\u{0}"] {
        assert!(
            matches!(
                Client::builder().base_url(url),
                Err(TransportError::InvalidBaseUrl(_))
            ),
            "{url:?}"
        );
    }
}

#[test]
fn invalid_tokens_are_rejected_without_repeating_them() {
    let cases = [
        ("", InvalidToken::Empty),
        (
            "secret\r\nx-injected: 1",
            InvalidToken::ControlCharacter { position: 6 },
        ),
        ("secret value", InvalidToken::Whitespace { position: 6 }),
        ("secrét", InvalidToken::NonAscii { position: 4 }),
    ];
    for (token, expected) in cases {
        match Client::builder().token(token) {
            Err(error @ TransportError::InvalidToken(_)) => {
                assert!(matches!(&error, TransportError::InvalidToken(r) if *r == expected));
                let shown = format!("{error} {error:?}");
                assert!(!shown.contains("secret"), "{shown}");
            }
            other => panic!("{token:?}: {other:?}"),
        }
        assert!(Client::new().expect("builds").with_token(token).is_err());
    }
}

#[test]
fn https_base_urls_are_accepted_with_tls() {
    let result = Client::builder().base_url("https://rxinfer.lazydynamics.app/v1");
    if cfg!(feature = "rustls") {
        assert!(result.is_ok(), "{result:?}");
    } else {
        assert!(matches!(
            result,
            Err(TransportError::InvalidBaseUrl(
                InvalidBaseUrl::TlsUnsupported
            ))
        ));
    }
}

#[test]
fn valid_settings_build() {
    let client = Client::builder()
        .base_url("http://127.0.0.1:8000")
        .and_then(|b| b.token("dev-token:a,b"))
        .expect("valid settings")
        .build()
        .expect("the client builds");
    assert_eq!(
        client.service().base_url().to_string(),
        "http://127.0.0.1:8000"
    );
    assert_eq!(
        Client::new()
            .expect("builds")
            .service()
            .base_url()
            .to_string(),
        "http://localhost:8000/v1"
    );
}

#[test]
fn one_base_url_setter_takes_text_or_a_checked_url() {
    let from_text = Client::builder()
        .base_url("http://127.0.0.1:9000/api")
        .expect("valid");
    let checked = BaseUrl::local(9000, "api").expect("valid");
    let from_url = Client::builder().base_url(&checked).expect("valid");
    for builder in [from_text, from_url] {
        let client = builder.build().expect("builds");
        assert_eq!(
            client.service().base_url().authority().port_u16(),
            Some(9000)
        );
    }
}
