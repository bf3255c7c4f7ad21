//! Calling an endpoint over any service: building the request, sending it,
//! decoding the answer by status.

use std::{future::Future, sync::Arc, time::Duration};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, Uri, header::CONTENT_TYPE};
use http_body::Body;
use rxinfer_transport::{BaseUrl, RequestBody};
use serde::{Serialize, de::DeserializeOwned};
use tower::{Service, ServiceExt};

use crate::{
    ApiError, ApiErrorKind, ApiResponse, ApiService, BoxError, Endpoint, RequestOptions,
    decode::{answer, deleted_before},
};

/// A service with what every call through it shares: the per-call options
/// and the base URL errors name. The API groups (`AuthenticationApi`,
/// `ServerApi`, `ModelsApi`) are built on it.
///
/// Cloning it clones the service and one reference count. Calls return
/// futures that own a clone of the service, so they can be spawned.
///
/// ```
/// use http::Method;
/// use rxinfer_api_core::{ApiClient, Call, Endpoint};
/// use rxinfer_transport::{Operation, RequestBody, ResponseBody};
/// use tower::service_fn;
///
/// static PING: Endpoint =
///     Endpoint::fixed(Method::GET, Operation::new("ping_server").without_token(), "/ping");
///
/// # tokio_test::block_on(async {
/// let service = service_fn(|_: http::Request<RequestBody>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(ResponseBody::from(r#"{"status":"ok"}"#)))
/// });
/// let client = ApiClient::new(service);
/// let answer = client.send::<serde_json::Value>(Call::fixed(&PING)).await?;
/// assert_eq!(answer["status"], "ok");
/// # Ok::<(), rxinfer_api_core::ApiError>(())
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct ApiClient<S> {
    service: S,
    context: Arc<Context>,
}

#[derive(Debug, Default, Clone)]
struct Context {
    options: RequestOptions,
    base_url: Option<BaseUrl>,
    service_timeout: Option<Duration>,
}

impl Context {
    /// The URL errors name: the base and the path, or the path alone.
    fn url(&self, path: &Uri) -> String {
        let path = path.path();
        match &self.base_url {
            Some(base) => format!("{base}{path}"),
            None => path.to_owned(),
        }
    }
}

impl<S> ApiClient<S> {
    /// Calls through `service`, with no per-call overrides.
    pub fn new(service: S) -> Self {
        Self {
            service,
            context: Arc::default(),
        }
    }

    /// The same, naming URLs under `base` in errors (the service resolves
    /// them; this only says where).
    pub fn with_base_url(self, base: BaseUrl) -> Self {
        self.with_context(|context| context.base_url = Some(base))
    }

    /// The same, knowing that the service times a call out after `timeout`
    /// when the call sets none (nothing is applied per call): for wrappers
    /// that wait on a call themselves, such as an instance handle.
    pub fn with_service_timeout(self, timeout: Duration) -> Self {
        self.with_context(|context| context.service_timeout = Some(timeout))
    }

    /// The timeout the service applies to a call that sets none, if known.
    pub fn service_timeout(&self) -> Option<Duration> {
        self.context.service_timeout
    }

    /// The same service, applying `options` to every call.
    pub fn with_options(self, options: RequestOptions) -> Self {
        self.with_context(|context| context.options = options)
    }

    /// The same service with `change` made to a copy of the context.
    fn with_context(self, change: impl FnOnce(&mut Context)) -> Self {
        let mut context = Context::clone(&self.context);
        change(&mut context);
        Self {
            context: Arc::new(context),
            service: self.service,
        }
    }

    /// The base URL errors name, if one was given.
    pub fn base_url(&self) -> Option<&BaseUrl> {
        self.context.base_url.as_ref()
    }

    /// The per-call options in force.
    pub fn options(&self) -> &RequestOptions {
        &self.context.options
    }

    /// The service calls go through.
    pub fn service(&self) -> &S {
        &self.service
    }

    /// The service calls go through, unwrapped.
    pub fn into_service(self) -> S {
        self.service
    }

    /// The same settings over another service, such as this one wrapped in
    /// a layer.
    pub fn map_service<T>(self, change: impl FnOnce(S) -> T) -> ApiClient<T> {
        ApiClient {
            service: change(self.service),
            context: self.context,
        }
    }

    /// The error `call` fails with when it fails with `kind` outside the
    /// call itself: for wrappers that give up on a call, such as a timeout
    /// around it.
    pub fn error(&self, call: &Call, kind: ApiErrorKind) -> ApiError {
        ApiError::new(
            call.endpoint.operation.name,
            call.endpoint.method.clone(),
            self.context.url(&call.path),
            kind,
        )
    }

    /// Sends `call` and decodes its answer as `T`. The future owns a clone
    /// of the service and borrows nothing.
    pub fn send<T>(
        &self,
        call: Call,
    ) -> impl Future<Output = Result<ApiResponse<T>, ApiError>> + use<S, T>
    where
        S: ApiService,
        T: DeserializeOwned + 'static,
    {
        send(self.service.clone(), Arc::clone(&self.context), call)
    }
}

/// One call of an endpoint: the endpoint, its path and its body, built
/// before the call is sent so that a call owns what it needs.
#[derive(Debug)]
pub struct Call {
    endpoint: &'static Endpoint,
    path: Uri,
    // The reason the call is never sent, when there is one.
    body: Result<Option<Bytes>, ApiErrorKind>,
}

impl Call {
    /// A call of an `endpoint` made with [`Endpoint::fixed`], at its path,
    /// checked as [`Call::at`] checks a built one (a path that does not
    /// start with `/` is refused). For one made with [`Endpoint::new`], the
    /// call fails as an invalid request without being sent.
    pub fn fixed(endpoint: &'static Endpoint) -> Self {
        match (endpoint.path(), endpoint.uri()) {
            (Some(path), Some(parsed)) => Self::checked(endpoint, path.starts_with('/'), parsed),
            _ => Self::invalid(endpoint, "the endpoint has path parameters".into()),
        }
    }

    fn invalid(endpoint: &'static Endpoint, error: BoxError) -> Self {
        Self {
            endpoint,
            path: Uri::from_static("/"),
            body: Err(ApiErrorKind::InvalidRequest(error)),
        }
    }

    /// A call of `endpoint` at `path`, whose parameters the caller encoded
    /// with [`segment`](crate::segment).
    /// A path that does not start with `/` (an absolute URL, say) fails the
    /// call as an invalid request without sending it: every call goes under
    /// the base URL. A path with an empty segment (`//`, or a `/` at the
    /// end), as an empty parameter makes, fails it as
    /// [`ApiErrorKind::EmptyPathSegment`] without sending it.
    pub fn at(endpoint: &'static Endpoint, path: String) -> Self {
        Self::checked(endpoint, path.starts_with('/'), Uri::try_from(path))
    }

    /// The call at a path parsed from one that did or did not start with
    /// `/`.
    fn checked(
        endpoint: &'static Endpoint,
        rooted: bool,
        parsed: Result<Uri, http::uri::InvalidUri>,
    ) -> Self {
        if !rooted {
            return Self::invalid(endpoint, "the path does not start with `/`".into());
        }
        match parsed {
            Ok(path) => {
                // The server's router splits the path dropping empty
                // segments: the call would reach another operation.
                let empty_segment = path
                    .path()
                    .strip_prefix('/')
                    .is_some_and(|rest| rest.split('/').any(str::is_empty));
                let body = if empty_segment {
                    Err(ApiErrorKind::EmptyPathSegment)
                } else {
                    Ok(None)
                };
                Self {
                    endpoint,
                    path,
                    body,
                }
            }
            Err(error) => Self::invalid(endpoint, error.into()),
        }
    }

    /// The path the call goes to, under the base URL.
    pub fn path(&self) -> &Uri {
        &self.path
    }

    /// The endpoint it calls.
    pub fn endpoint(&self) -> &'static Endpoint {
        self.endpoint
    }

    /// The same call, with `body` as its JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        if self.body.is_ok() {
            self.body = serde_json::to_vec(body)
                .map(|bytes| Some(Bytes::from(bytes)))
                .map_err(|e| ApiErrorKind::InvalidRequest(e.into()));
        }
        self
    }
}

async fn send<S, B, T>(
    service: S,
    context: Arc<Context>,
    call: Call,
) -> Result<ApiResponse<T>, ApiError>
where
    S: Service<Request<RequestBody>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: Body,
    B::Error: Into<BoxError>,
    T: DeserializeOwned,
{
    let Call {
        endpoint,
        path,
        body,
    } = call;
    let failed = |kind| {
        ApiError::new(
            endpoint.operation.name,
            endpoint.method.clone(),
            context.url(&path),
            kind,
        )
    };
    let body = body.map_err(failed)?;
    let request = request(endpoint, path.clone(), body, &context.options);
    let transport = |e: BoxError| ApiErrorKind::Transport(rxinfer_transport::Error::from(e));
    let response = service
        .oneshot(request)
        .await
        .map_err(|e| failed(transport(e.into())))?;
    let (parts, body) = response.into_parts();
    // A replica set's call went to one replica: its errors name that one.
    let answered_by = parts
        .extensions
        .get::<rxinfer_transport::AnsweredBy>()
        .map(|answered| format!("{}{}", answered.0, path.path()));
    let failed = |kind| match &answered_by {
        Some(url) => ApiError::new(
            endpoint.operation.name,
            endpoint.method.clone(),
            url.clone(),
            kind,
        ),
        None => failed(kind),
    };
    // The default transport's body is read already, one frame, taken as
    // it is; `collect` would allocate a queue for it (measured: about 550
    // instructions a call).
    let body = rxinfer_transport::read_whole(body)
        .await
        .map_err(|e| failed(ApiErrorKind::Transport(rxinfer_transport::Error::Body(e))))?;
    if endpoint.method == Method::DELETE {
        if let Some(done) = deleted_before(&parts) {
            return Ok(done);
        }
    }
    answer(parts, body).map_err(failed)
}

fn request(
    endpoint: &Endpoint,
    path: Uri,
    body: Option<Bytes>,
    options: &RequestOptions,
) -> Request<RequestBody> {
    let json = body.is_some();
    let mut request = Request::new(body.map_or_else(RequestBody::default, RequestBody::new));
    *request.method_mut() = endpoint.method.clone();
    *request.uri_mut() = path;
    if json {
        request
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    request.extensions_mut().insert(endpoint.operation);
    options.apply(&mut request, &endpoint.operation);
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        DecodeError,
        decode::{answer, check_json_content_type},
    };
    use http::StatusCode;
    use http::{HeaderMap, response::Parts};
    use proptest::prelude::Strategy;
    use rxinfer_models::{ErrorResponse, NotFoundResponse, UnauthorizedResponse};

    fn check(content_type: &'static str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        check_json_content_type(&headers).is_ok()
    }

    #[test]
    fn json_content_types_pass() {
        assert!(check("application/json"));
        assert!(check("Application/JSON; charset=utf-8"));
        assert!(check("application/problem+json"));
        assert!(check_json_content_type(&HeaderMap::new()).is_ok());
    }

    #[test]
    fn other_content_types_fail() {
        assert!(!check("text/html"));
        assert!(!check("text/plain; charset=utf-8"));
        assert!(!check("json"));
        assert!(!check(""));
    }

    fn parts(status: u16, content_type: Option<&'static str>) -> Parts {
        let mut builder = Response::builder().status(status);
        if let Some(value) = content_type {
            builder = builder.header(CONTENT_TYPE, value);
        }
        builder.body(()).expect("response").into_parts().0
    }

    const JSON: Option<&str> = Some("application/json");

    /// The kind of error `status` with `body` makes, whatever the body.
    fn kind(status: u16, content_type: Option<&'static str>, body: &'static str) -> ApiErrorKind {
        match answer::<serde_json::Value>(
            parts(status, content_type),
            Bytes::from_static(body.as_bytes()),
        ) {
            Ok(_) => panic!("{status} decoded as a success"),
            Err(kind) => kind,
        }
    }

    #[test]
    fn the_status_decides_the_kind_and_the_body_adds_detail() {
        let html = Some("text/html");
        match kind(401, html, "<h1>401</h1>") {
            ApiErrorKind::Unauthorized(e) => {
                assert!(e.body().is_none());
                assert_eq!(e.decode_error(), Some(&DecodeError::ContentType));
                assert_eq!(e.response().body_text(), "<h1>401</h1>");
            }
            other => panic!("{other:?}"),
        }
        match kind(401, JSON, r#"{"error":"Forbidden","message":"m"}"#) {
            ApiErrorKind::Unauthorized(e) => {
                assert!(matches!(e.decode_error(), Some(DecodeError::Shape { .. })));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            kind(400, html, "<html>nginx</html>"),
            ApiErrorKind::BadRequest(_)
        ));
        match kind(404, None, "") {
            ApiErrorKind::NotFound(e) => assert_eq!(e.decode_error(), Some(&DecodeError::Empty)),
            other => panic!("{other:?}"),
        }
        match kind(
            404,
            JSON,
            r#"{"error":"Not Found","message":"The requested model instance could not be found"}"#,
        ) {
            ApiErrorKind::NotFound(e) => assert_eq!(
                e.body(),
                Some(&NotFoundResponse::new(
                    "The requested model instance could not be found"
                ))
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_undocumented_status_exposes_an_error_body_parsed() {
        match kind(
            503,
            JSON,
            r#"{"error":"Service Unavailable","message":"restarting"}"#,
        ) {
            ApiErrorKind::UnexpectedStatus(e) => {
                assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
                assert_eq!(
                    e.body(),
                    Some(&ErrorResponse::new("Service Unavailable").with_message("restarting"))
                );
                assert_eq!(e.message(), Some("restarting"));
            }
            other => panic!("{other:?}"),
        }
        match kind(500, None, "") {
            ApiErrorKind::UnexpectedStatus(e) => assert!(e.body().is_none()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_a_bare_408_or_504_is_a_timeout_layers_answer() {
        for status in [408, 504] {
            match kind(status, None, "") {
                ApiErrorKind::Transport(e) => assert!(e.is_timeout(), "{e:?}"),
                other => panic!("{status}: {other:?}"),
            }
            // A header or a body: the server (or a proxy) answered.
            assert!(matches!(
                kind(status, JSON, ""),
                ApiErrorKind::UnexpectedStatus(_)
            ));
            assert!(matches!(
                kind(status, None, "timed out"),
                ApiErrorKind::UnexpectedStatus(_)
            ));
        }
        assert!(matches!(
            kind(503, None, ""),
            ApiErrorKind::UnexpectedStatus(_)
        ));
    }

    #[test]
    fn decode_errors_never_quote_the_body() {
        let secret = "leaked-body-text";
        for (status, body) in [
            (401, r#"{"error":"leaked-body-text","message":"m"}"#),
            (200, r#"{"roles":"leaked-body-text"}"#),
            (200, "leaked-body-text"),
        ] {
            let error = match answer::<UnauthorizedResponse>(
                parts(status, JSON),
                Bytes::from_static(body.as_bytes()),
            ) {
                Ok(_) => panic!("decoded {body}"),
                Err(kind) => ApiError::new("op", http::Method::GET, "/x".into(), kind),
            };
            let mut text = format!("{error} {error:?}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                text.push_str(&format!(" {cause} {cause:?}"));
                source = cause.source();
            }
            assert!(!text.contains(secret), "{text}");
            assert_eq!(error.response().map(|r| r.body().len()), Some(body.len()));
        }
    }

    #[test]
    fn a_fixed_call_of_an_endpoint_with_parameters_is_never_sent() {
        static WITH_PARAMETERS: Endpoint = Endpoint::new(
            http::Method::GET,
            rxinfer_transport::Operation::new("get_model_instance").with_path_parameters(),
        );
        static FIXED: Endpoint = Endpoint::fixed(
            http::Method::GET,
            rxinfer_transport::Operation::new("ping_server"),
            "/ping",
        );
        assert!(Call::fixed(&WITH_PARAMETERS).body.is_err());
        for elsewhere in ["http://u:p@other.example/x", "other.example/x", "x"] {
            assert!(
                Call::at(&WITH_PARAMETERS, elsewhere.into()).body.is_err(),
                "{elsewhere}"
            );
        }
        assert!(
            Call::at(&WITH_PARAMETERS, "/models/i/a%2Fb".into())
                .body
                .is_ok()
        );
        let call = Call::fixed(&FIXED);
        assert_eq!(call.path, "/ping");
        // The second call clones the URI parsed by the first.
        assert_eq!(Call::fixed(&FIXED).path, call.path);
    }

    #[test]
    fn a_path_with_an_empty_segment_is_never_sent() {
        static EPISODE: Endpoint = Endpoint::new(
            http::Method::GET,
            rxinfer_transport::Operation::new("get_episode_info").with_path_parameters(),
        );
        for empty in [
            "/models/i/abc/episodes/",
            "/models/i//episodes/e",
            "/models/i/",
            "/",
        ] {
            let call = Call::at(&EPISODE, empty.into());
            assert!(
                matches!(call.body, Err(ApiErrorKind::EmptyPathSegment)),
                "{empty}"
            );
            // The error names the URL the call would have had.
            assert_eq!(call.path, empty);
        }
        for encoded in [
            format!("/models/i/abc/episodes/{}", crate::segment("/")),
            format!("/models/i/abc/episodes/{}", crate::segment(" ")),
        ] {
            assert!(
                Call::at(&EPISODE, encoded.clone()).body.is_ok(),
                "{encoded}"
            );
        }
    }

    #[test]
    fn display_names_operation_method_and_url() {
        let context = Context {
            options: RequestOptions::new(),
            base_url: Some("http://127.0.0.1:8000/v1".parse().expect("base")),
            service_timeout: None,
        };
        let url = context.url(&Uri::from_static("/models/i/abc/state"));
        let error = ApiError::new(
            "get_model_instance_state",
            http::Method::GET,
            url,
            kind(404, None, ""),
        );
        assert_eq!(
            error.to_string(),
            "get_model_instance_state (GET http://127.0.0.1:8000/v1/models/i/abc/state): the server answered 404 Not Found with an empty body"
        );
        assert!(error.is_not_found() && error.is_status() && !error.is_timeout());
    }

    proptest::proptest! {
        /// Error-body decoding, fuzzed: any status, content type and body
        /// decode to the kind the status decides, never a panic, and no
        /// message quotes a body that is not a documented error.
        #[test]
        fn any_answer_decodes_by_its_status(
            status in 100u16..600,
            content_type in proptest::option::of(proptest::sample::select(vec![
                "application/json", "text/html", "application/problem+json", "", "json; x",
            ])),
            body in proptest::prop_oneof![
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
                "[{}\\[\\]\":a-z0-9 ,]{0,48}".prop_map(String::into_bytes),
                proptest::prelude::Just(br#"{"error":"Bad Request","message":"m"}"#.to_vec()),
            ],
        ) {
            let mut builder = Response::builder().status(status);
            if let Some(value) = content_type {
                builder = builder.header(CONTENT_TYPE, value);
            }
            let Ok(response) = builder.body(()) else {
                return Ok(());
            };
            let (parts, ()) = response.into_parts();
            let outcome = answer::<serde_json::Value>(parts, Bytes::from(body.clone()));
            match outcome {
                Ok(answer) => proptest::prop_assert!(answer.status().is_success()),
                Err(kind) => {
                    let expected = match status {
                        400 => matches!(kind, ApiErrorKind::BadRequest(_)),
                        401 => matches!(kind, ApiErrorKind::Unauthorized(_)),
                        404 => matches!(kind, ApiErrorKind::NotFound(_)),
                        200..=299 => matches!(kind, ApiErrorKind::InvalidBody { .. }),
                        _ => matches!(kind, ApiErrorKind::UnexpectedStatus(_) | ApiErrorKind::Transport(_)),
                    };
                    proptest::prop_assert!(expected, "{status}: {kind:?}");
                    let shown = format!("{kind} {kind:?}");
                    let text = String::from_utf8_lossy(&body);
                    if text.len() > 8 && !text.contains("\"message\"") && !text.contains("\"error\"") {
                        proptest::prop_assert!(!shown.contains(text.as_ref()), "{shown}");
                    }
                }
            }
        }
    }
}
