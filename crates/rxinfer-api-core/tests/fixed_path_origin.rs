//! A fixed path is checked as `Call::at` checks a built one: a path that
//! does not start with `/` is refused ("every call goes under the base
//! URL"). Unchecked, an absolute one would leave the base URL's origin
//! carrying the per-call token, and an authority-form one (`"ping"`) would
//! go to the base URL's root.

use std::sync::{Arc, Mutex};

use http::{Request, Response, header::AUTHORIZATION};
use rxinfer_api_core::{ApiClient, ApiErrorKind, Call, Endpoint, RequestOptions};
use rxinfer_transport::{BearerToken, Operation, RequestBody, ResponseBody};

static ELSEWHERE: Endpoint = Endpoint::fixed(
    http::Method::GET,
    Operation::new("token_roles"),
    "http://elsewhere.example/token/roles",
);

static NO_SLASH: Endpoint = Endpoint::fixed(
    http::Method::GET,
    Operation::new("ping_server").without_token(),
    "ping",
);

/// Each request's URI and `Authorization`, as the service saw them.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

fn recorder(
    seen: Seen,
) -> impl tower::Service<
    Request<RequestBody>,
    Response = Response<ResponseBody>,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone
+ Send
+ 'static {
    tower::service_fn(move |request: Request<RequestBody>| {
        seen.lock().expect("seen").push((
            request.uri().to_string(),
            request
                .headers()
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        ));
        async { Ok(Response::new(ResponseBody::from(r#"{"roles":["user"]}"#))) }
    })
}

/// A fixed path must be a path, as a built one must: the call fails as an
/// invalid request, sending nothing.
#[tokio::test]
async fn a_fixed_path_that_is_not_a_path_is_refused_like_a_built_one() {
    let options = RequestOptions::new().token(BearerToken::new("per-call").expect("a token"));
    let mut sent = Vec::new();
    for endpoint in [&ELSEWHERE, &NO_SLASH] {
        let seen: Seen = Arc::default();
        let client = ApiClient::new(recorder(Arc::clone(&seen))).with_options(options.clone());
        let outcome = client
            .send::<serde_json::Value>(Call::fixed(endpoint))
            .await;
        let refused = matches!(
            outcome.as_ref().map_err(|e| e.kind()),
            Err(ApiErrorKind::InvalidRequest(_))
        );
        if !refused {
            sent.push((endpoint.path(), seen.lock().expect("seen").clone()));
        }
    }
    assert!(sent.is_empty(), "sent: {sent:?}");
}
