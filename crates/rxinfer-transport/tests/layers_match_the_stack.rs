//! The public layers and the default stack apply the same rules: a stack
//! built by hand from tower's `Retry` with `RetryPolicy`, `SetBaseUrlLayer`,
//! `BearerAuthLayer` and `ResponseBodyLimitLayer` over the pooled
//! `HttpClient` (the order the transport's docs give) puts the same
//! requests on the wire as `Transport`, retries the same ones, renews the
//! token the same way, and marks its answers the same way (a lost answer,
//! a rejected token). Each case runs both against its own server on
//! 127.0.0.1, which records what arrives.

mod support;

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use http::{HeaderValue, Request, Response, header::AUTHORIZATION};
use rxinfer_transport::{
    BaseUrl, BearerAuthLayer, BearerToken, Config, Error, HttpClient, OnUnauthorized, Operation,
    RequestBody, ResponseBody, ResponseBodyLimitLayer, RetryPolicy, SetBaseUrlLayer, TokenFuture,
    TokenSource, Transport,
};
use support::{Answer, Seen, UNAUTHORIZED, UNAVAILABLE};
use tower::{ServiceBuilder, ServiceExt, retry::RetryLayer, util::BoxCloneService};

/// A token source that renews on every `401`: `first`, then `second`, ...
#[derive(Debug)]
struct Renewing {
    tokens: Mutex<VecDeque<&'static str>>,
    current: Mutex<BearerToken>,
}

impl Renewing {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            tokens: Mutex::new(VecDeque::from(["second", "third"])),
            current: Mutex::new(BearerToken::new("first").expect("a token")),
        })
    }
}

impl TokenSource for Renewing {
    fn current(&self) -> Option<BearerToken> {
        Some(self.current.lock().expect("current").clone())
    }

    fn fetch(&self) -> TokenFuture {
        let next = self.tokens.lock().expect("tokens").pop_front();
        let token = BearerToken::new(next.unwrap_or("last")).expect("a token");
        *self.current.lock().expect("current") = token.clone();
        Box::pin(async move { Ok(token) })
    }

    fn on_unauthorized(&self, _: &BearerToken) -> OnUnauthorized {
        OnUnauthorized::RenewAndResend
    }
}

type Stack = BoxCloneService<Request<RequestBody>, Response<ResponseBody>, Error>;

fn config(url: &str) -> Config {
    let mut config = Config::default();
    config.base_url = url.parse().expect("base URL");
    config.token = Some(Renewing::new());
    config.retry = RetryPolicy::new()
        .max_retries(2)
        .base_delay(Duration::from_millis(1));
    config.body_limit = 64;
    config
}

fn default_stack(url: &str) -> Stack {
    Transport::new(config(url))
        .expect("the stack builds")
        .boxed_clone()
}

fn layered_stack(url: &str) -> Stack {
    let config = config(url);
    let base: BaseUrl = config.base_url.clone();
    let token = config.token.clone().expect("a token source");
    let pool = HttpClient::new(&config).expect("the pool builds");
    ServiceBuilder::new()
        .layer(RetryLayer::new(config.retry.clone()))
        .layer(SetBaseUrlLayer::new(base.clone()))
        .layer(BearerAuthLayer::from_source(token).bound_to(base))
        .layer(ResponseBodyLimitLayer::new(config.body_limit))
        .service(pool)
        .boxed_clone()
}

/// The requests of a case, as the server saw them, for one stack.
async fn run(
    stack: fn(&str) -> Stack,
    script: &[&'static str],
    requests: fn(&str) -> Vec<Request<RequestBody>>,
) -> (Vec<Seen>, Vec<String>) {
    let script: Vec<Answer> = script.iter().map(|bytes| Answer::Bytes(bytes)).collect();
    let (url, seen) = support::server(&script).await;
    let url = format!("{url}/v1");
    let service = stack(&url);
    let mut statuses = Vec::new();
    for request in requests(&url) {
        let answer = service.clone().oneshot(request).await;
        // A failure counts as its kind's name, so that both stacks must fail
        // the same way.
        statuses.push(answer.map_or_else(
            |e| e.kind_name().to_owned(),
            |r| r.status().as_str().to_owned(),
        ));
    }
    let seen = seen.lock().expect("seen").clone();
    (seen, statuses)
}

/// Runs a case on both stacks and asserts they agree; returns what the
/// server saw.
async fn both(
    script: &[&'static str],
    requests: fn(&str) -> Vec<Request<RequestBody>>,
) -> (Vec<Seen>, Vec<String>) {
    let default = run(default_stack, script, requests).await;
    let layered = run(layered_stack, script, requests).await;
    // The two servers listen on different ports.
    let strip = |(seen, statuses): (Vec<Seen>, Vec<String>)| {
        let seen = seen
            .into_iter()
            .map(|s| Seen {
                host: s
                    .host
                    .map(|h| h.split(':').next().unwrap_or_default().to_owned()),
                ..s
            })
            .collect::<Vec<_>>();
        (seen, statuses)
    };
    let (default, layered) = (strip(default), strip(layered));
    assert_eq!(default, layered, "default stack, then layers");
    default
}

fn get(path: &str, operation: Operation) -> Request<RequestBody> {
    Request::get(path)
        .extension(operation)
        .body(RequestBody::default())
        .expect("a request")
}

fn roles(_: &str) -> Vec<Request<RequestBody>> {
    vec![get("/token/roles", Operation::new("token_roles"))]
}

#[tokio::test]
async fn the_token_goes_with_the_resolved_path() {
    let (seen, statuses) = both(&[], roles).await;
    assert_eq!(statuses, ["200"]);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request_line, "GET /v1/token/roles HTTP/1.1");
    assert_eq!(seen[0].host.as_deref(), Some("127.0.0.1"));
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer first"));
}

#[tokio::test]
async fn an_operation_that_needs_no_token_sends_no_authorization() {
    let (seen, _) = both(&[], |_| {
        let mut request = get("/ping", Operation::new("ping").without_token());
        request
            .headers_mut()
            .insert(AUTHORIZATION, HeaderValue::from_static("Bearer mine"));
        vec![request]
    })
    .await;
    assert_eq!(seen[0].request_line, "GET /v1/ping HTTP/1.1");
    assert_eq!(seen[0].authorization, None);
}

#[tokio::test]
async fn a_callers_own_authorization_is_kept() {
    let (seen, _) = both(&[], |_| {
        let mut request = get("/token/roles", Operation::new("token_roles"));
        request
            .headers_mut()
            .insert(AUTHORIZATION, HeaderValue::from_static("Bearer mine"));
        vec![request]
    })
    .await;
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer mine"));
}

#[tokio::test]
async fn the_token_never_goes_to_another_origin() {
    let (seen, statuses) = both(&[], |url| {
        // The same server under another name: another origin.
        let other = url.replace("127.0.0.1", "localhost");
        vec![get(
            &format!("{other}/token/roles"),
            Operation::new("token_roles"),
        )]
    })
    .await;
    assert_eq!(statuses, ["200"]);
    assert_eq!(seen[0].authorization, None);
}

#[tokio::test]
async fn an_idempotent_call_is_sent_again_after_a_503() {
    let (seen, statuses) = both(&[UNAVAILABLE, UNAVAILABLE], roles).await;
    assert_eq!(statuses, ["200"]);
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter()
            .all(|s| s.authorization.as_deref() == Some("Bearer first"))
    );
}

#[tokio::test]
async fn retries_stop_at_the_limit() {
    let (seen, statuses) = both(&[UNAVAILABLE; 5], roles).await;
    assert_eq!(statuses, ["503"]);
    assert_eq!(seen.len(), 3);
}

#[tokio::test]
async fn a_state_changing_call_is_never_sent_again() {
    let (seen, statuses) = both(&[UNAVAILABLE], |_| {
        vec![
            Request::post("/models/instances/x/infer")
                .extension(Operation::new("run_inference").never_resent())
                .body(RequestBody::from("{}"))
                .expect("a request"),
        ]
    })
    .await;
    assert_eq!(statuses, ["503"]);
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].request_line,
        "POST /v1/models/instances/x/infer HTTP/1.1"
    );
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_sends_again() {
    let (seen, statuses) = both(&[UNAUTHORIZED, UNAUTHORIZED], roles).await;
    let tokens: Vec<_> = seen.iter().map(|s| s.authorization.clone()).collect();
    assert_eq!(
        tokens,
        [
            Some("Bearer first".to_owned()),
            Some("Bearer second".to_owned())
        ]
    );
    assert_eq!(statuses, ["401"]);
}

#[tokio::test]
async fn the_renewed_token_serves_the_next_call() {
    let (seen, statuses) = both(&[UNAUTHORIZED], |_| {
        vec![
            get("/token/roles", Operation::new("token_roles")),
            get("/token/roles", Operation::new("token_roles")),
        ]
    })
    .await;
    assert_eq!(statuses, ["200", "200"]);
    let tokens: Vec<_> = seen.iter().map(|s| s.authorization.clone()).collect();
    assert_eq!(
        tokens,
        [
            Some("Bearer first".to_owned()),
            Some("Bearer second".to_owned()),
            Some("Bearer second".to_owned())
        ]
    );
}

/// What each stack tells the API crates on the response, for a script, one
/// stack at a time (default, then layered).
async fn marks(script: &[Answer], request: fn() -> Request<RequestBody>) -> [(u16, bool, bool); 2] {
    let mut out = [(0, false, false); 2];
    for (slot, stack) in out
        .iter_mut()
        .zip([default_stack as fn(&str) -> Stack, layered_stack])
    {
        let (url, _) = support::server(script).await;
        let response = stack(&format!("{url}/v1"))
            .oneshot(request())
            .await
            .expect("an answer");
        *slot = (
            response.status().as_u16(),
            response
                .extensions()
                .get::<rxinfer_transport::ResentAfterLostAnswer>()
                .is_some(),
            response
                .extensions()
                .get::<rxinfer_transport::TokenRejected>()
                .is_some(),
        );
    }
    out
}

const NOT_FOUND: &str = "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// A `DELETE` whose answer is lost and whose resend finds nothing: the
/// default stack marks the answer [`ResentAfterLostAnswer`], which
/// api-core turns into success (`DELETED_BEFORE`); so does `Retry` with
/// `RetryPolicy` in a stack of the public layers.
#[tokio::test]
async fn a_resend_after_a_lost_answer_is_marked_by_both_stacks() {
    let [default, layered] = marks(&[Answer::Drop, Answer::Bytes(NOT_FOUND)], || {
        Request::delete("/models/i/x")
            .extension(Operation::new("delete_model_instance").with_path_parameters())
            .body(RequestBody::default())
            .expect("a request")
    })
    .await;
    assert_eq!(default, (404, true, false), "the default stack");
    assert_eq!(layered, default, "the layered stack, then the default");
}

/// A `401` that stays after the renewal: the default stack names the
/// rejected token ([`TokenRejected`], which becomes
/// `StatusError::rejected_token`), and so does `BearerAuthLayer`.
#[tokio::test]
async fn a_final_401_names_the_rejected_token_on_both_stacks() {
    let [default, layered] = marks(
        &[Answer::Bytes(UNAUTHORIZED), Answer::Bytes(UNAUTHORIZED)],
        || get("/token/roles", Operation::new("token_roles")),
    )
    .await;
    assert_eq!(default, (401, false, true), "the default stack");
    assert_eq!(layered, default, "the layered stack, then the default");
}

/// Retries before and after a renewal: the default stack counts them
/// against one `max_retries` for the call, and so does a layered stack with
/// `Retry` above `BearerAuth` (under it, the resend with the renewed token
/// would start a fresh count).
#[tokio::test]
async fn retries_around_a_renewal_are_counted_once_per_call() {
    let (seen, statuses) = both(
        &[
            UNAVAILABLE,
            UNAVAILABLE,
            UNAUTHORIZED,
            UNAVAILABLE,
            UNAVAILABLE,
            UNAVAILABLE,
        ],
        roles,
    )
    .await;
    assert_eq!(statuses, ["503"]);
    assert_eq!(seen.len(), 4);
}

#[tokio::test]
async fn a_body_over_the_limit_fails_both_stacks_alike() {
    const BIG: &str = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\nconnection: close\r\n\r\n0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789";
    let (seen, statuses) = both(&[BIG], roles).await;
    assert_eq!(statuses, ["body_too_large"]);
    assert_eq!(
        seen.len(),
        1,
        "a body too large is not a reason to send again"
    );
}
