//! The token stays secret: it is in no Debug or Display output, and it goes
//! only to the configured origin, on endpoints that need it.

mod support;

use http::{Request, header::AUTHORIZATION};
use rxinfer_client::{ApiError, Client, transport::RequestBody};
use rxinfer_stand_in::StandIn;
use support::{Behaviour, RawServer, client, json_ok};
use tower::ServiceExt;

const SECRET: &str = "s3cr3t-t0k3n-value";

#[tokio::test]
async fn no_debug_or_display_output_shows_the_token() {
    let server = StandIn::builder()
        .record_requests(true)
        .start()
        .await
        .expect("stand-in starts");
    let client = client(server.url(), Some(SECRET));

    // The server echoes a presented token on generate; a raw call makes it.
    let echoed = client
        .authentication()
        .token_generate()
        .await
        .expect("a token");
    let unauthorized: ApiError = client
        .authentication()
        .token_roles()
        .await
        .expect_err("unknown token");
    let invalid = Client::builder()
        .token(&format!("{SECRET}\n"))
        .expect_err("invalid");

    let outputs = [
        format!("{client:?}"),
        format!("{:?}", client.service()),
        format!("{echoed:?}"),
        format!("{unauthorized:?} {unauthorized}"),
        format!("{invalid:?} {invalid}"),
        format!("{:?}", server.requests()),
    ];
    for output in outputs {
        assert!(!output.contains(SECRET), "leaked in {output}");
    }
}

#[tokio::test]
async fn the_token_never_goes_to_another_origin() {
    let home = RawServer::start(Behaviour::Respond(json_ok(r#"{"roles":[]}"#))).await;
    let mut elsewhere = RawServer::start(Behaviour::Respond(json_ok(r#"{"roles":[]}"#))).await;
    let client = client(&home.url, Some(SECRET));

    // A request with an absolute URI to another host passes through the
    // same stack, without the token.
    let request = Request::get(format!("{}/token/roles", elsewhere.url))
        .body(RequestBody::default())
        .expect("valid request");
    let response = client
        .service()
        .clone()
        .oneshot(request)
        .await
        .expect("a response");
    assert_eq!(response.status(), 200);
    let seen = elsewhere.next_request().await;
    assert!(
        !seen.to_ascii_lowercase().contains("authorization"),
        "{seen}"
    );
    assert!(!seen.contains(SECRET));
}

#[tokio::test]
async fn the_token_reaches_its_own_server_intact() {
    let server = StandIn::builder()
        .record_requests(true)
        .start()
        .await
        .expect("stand-in starts");
    server.insert_token(SECRET, ["user"]);
    let client = client(server.url(), Some(SECRET));
    client.authentication().token_roles().await.expect("roles");
    let recorded = server.requests();
    // It reached the server intact, and only there.
    assert_eq!(
        recorded[0].headers[AUTHORIZATION],
        format!("Bearer {SECRET}").as_str()
    );
}

/// Credentials a user puts in default or per-call headers (a cookie, an
/// API key) are marked sensitive and never shown by `Debug`.
#[tokio::test]
async fn credentials_in_default_or_per_call_headers_are_never_shown() {
    let mut defaults = http::HeaderMap::new();
    defaults.insert(
        http::header::COOKIE,
        "session=cookie-secret-1".parse().expect("a value"),
    );
    defaults.insert("x-api-key", "api-key-secret-2".parse().expect("a value"));
    let builder = Client::builder().default_headers(defaults.clone());
    let client = builder.build().expect("the client builds");
    let options = rxinfer_client::RequestOptions::new().header(
        http::header::COOKIE,
        "per-call-secret-3".parse().expect("a value"),
    );
    let shown = format!("{client:?} {options:?}");
    let mut config = rxinfer_client::Config::default();
    config.default_headers = defaults;
    let shown = format!("{shown} {config:?}");
    for secret in ["cookie-secret-1", "api-key-secret-2", "per-call-secret-3"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("x-api-key"), "the names stay: {shown}");
}

/// A session cookie a server (or a proxy in front of it) hands out is a
/// credential: an error's `Debug` output names the header, never its value.
#[tokio::test]
async fn a_set_cookie_in_an_error_response_is_never_shown() {
    let answer = support::response(
        "502 Bad Gateway",
        &[
            ("set-cookie", "session=s3cr3t-c00k13; HttpOnly"),
            ("x-request-id", "req-7"),
        ],
        b"",
    );
    let server = RawServer::start(Behaviour::Respond(answer)).await;
    let error = client(&server.url, None)
        .server()
        .ping_server()
        .await
        .expect_err("a 502");
    let shown = format!("{error} {error:?} {error:#?}");
    assert!(!shown.contains("s3cr3t-c00k13"), "{shown}");
    assert!(
        shown.contains("set-cookie") && shown.contains("req-7"),
        "{shown}"
    );
    let response = error.response().expect("the raw response");
    assert_eq!(
        response.headers()["set-cookie"],
        "session=s3cr3t-c00k13; HttpOnly"
    );
}
