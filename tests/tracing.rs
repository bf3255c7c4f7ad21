//! Log output, captured at the most verbose level: each call has one span,
//! opened where its URL is known, with OpenTelemetry's field names, and no
//! token appears anywhere, also when a user adds tower-http's `TraceLayer`,
//! which logs request headers.

mod support;

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use http::header::AUTHORIZATION;
use rxinfer_client::Client;
use rxinfer_stand_in::StandIn;
use tower_http::trace::{DefaultMakeSpan, DefaultOnRequest, DefaultOnResponse, TraceLayer};
use tracing::Level;
use tracing_subscriber::fmt::{MakeWriter, format::FmtSpan};

const SECRET: &str = "s3cr3t-t0k3n-in-logs";

/// Everything the subscriber writes, kept for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Captures every event and span (opened, entered, closed) at TRACE while
/// the guard lives; the tests run on one thread, so the guard covers them.
fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn each_call_has_a_span_with_the_opentelemetry_fields() {
    let server = StandIn::start().await.expect("stand-in starts");
    server.insert_token(SECRET, ["user"]);
    let (logs, _guard) = capture();

    let client = support::client(server.url(), Some(SECRET));
    client.authentication().token_roles().await.expect("roles");
    let _ = client
        .with_token("unknown")
        .expect("valid")
        .authentication()
        .token_roles()
        .await;

    let logs = logs.text();
    let address = server.addr();
    for field in [
        "rxinfer.call".to_owned(),
        "rxinfer.operation=\"token_roles\"".to_owned(),
        "http.request.method=GET".to_owned(),
        format!("url.full={}/token/roles", server.url()),
        format!("server.address=\"{}\"", address.ip()),
        format!("server.port={}", address.port()),
        "http.response.status_code=200".to_owned(),
        "http.response.status_code=401".to_owned(),
        "error.type=\"401\"".to_owned(),
    ] {
        assert!(logs.contains(&field), "no {field} in:\n{logs}");
    }
    assert!(!logs.contains(SECRET), "the token leaked:\n{logs}");
}

#[tokio::test]
async fn an_acquired_and_renewed_token_never_appears() {
    let server = StandIn::builder()
        .record_requests(true)
        .start()
        .await
        .expect("stand-in starts");
    let (logs, _guard) = capture();

    let client = Client::builder()
        .base_url(server.url())
        .expect("valid URL")
        .generate_token()
        .build()
        .expect("the client builds");
    client.authentication().token_roles().await.expect("roles");
    server.revoke_tokens();
    client
        .authentication()
        .token_roles()
        .await
        .expect("roles after renewal");

    let sent: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| {
            r.headers
                .get(AUTHORIZATION)?
                .to_str()
                .ok()?
                .strip_prefix("Bearer ")
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        sent.len(),
        3,
        "roles, the rejected roles, roles after renewal"
    );
    let logs = logs.text();
    assert!(logs.contains("generating a token"), "{logs}");
    assert!(logs.contains("renewing"), "{logs}");
    // The replacement is a warning naming both tokens by fingerprint.
    let fingerprint = |token: &str| {
        rxinfer_client::transport::BearerToken::new(token)
            .expect("valid")
            .fingerprint()
            .to_string()
    };
    let warning = logs
        .lines()
        .find(|line| line.contains("WARN") && line.contains("a new one replaces it"))
        .unwrap_or_else(|| panic!("no replacement warning in:\n{logs}"));
    assert!(
        warning.contains(&format!("old={}", fingerprint(&sent[0]))),
        "{warning}"
    );
    assert!(
        warning.contains(&format!("new={}", fingerprint(&sent[2]))),
        "{warning}"
    );
    for token in sent {
        assert!(!logs.contains(&token), "token {token:?} leaked:\n{logs}");
    }
}

#[tokio::test]
async fn tower_http_trace_layer_logging_headers_shows_no_token() {
    let server = StandIn::start().await.expect("stand-in starts");
    server.insert_token(SECRET, ["user"]);
    let (logs, _guard) = capture();

    // TraceLayer inside the stack, over the pooled client, where the
    // Authorization header is set, logging every header at TRACE.
    let client = Client::builder()
        .base_url(server.url())
        .expect("valid URL")
        .token(SECRET)
        .expect("valid token")
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(
                    DefaultMakeSpan::new()
                        .level(Level::TRACE)
                        .include_headers(true),
                )
                .on_request(DefaultOnRequest::new().level(Level::TRACE))
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::TRACE)
                        .include_headers(true),
                ),
        )
        .build()
        .expect("the client builds");
    client.authentication().token_roles().await.expect("roles");

    let logs = logs.text();
    assert!(
        logs.contains("authorization"),
        "headers were logged: {logs}"
    );
    assert!(
        logs.contains("Sensitive"),
        "the header is marked sensitive: {logs}"
    );
    assert!(!logs.contains(SECRET), "the token leaked:\n{logs}");
}
