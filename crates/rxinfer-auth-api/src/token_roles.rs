//! `GET /token/roles`.

use std::sync::LazyLock;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Uri};
use rxinfer_models::{TokenRolesResponse, UnauthorizedResponse};
use rxinfer_transport::RequestBody;
use tower::Service;

use crate::{ApiError, ApiResponse, RequestOptions, operation::Operation};

static PATH: LazyLock<Uri> = LazyLock::new(|| Uri::from_static("/token/roles"));

pub(crate) static TOKEN_ROLES: Operation<UnauthorizedResponse> = Operation {
    name: "token_roles",
    method: Method::GET,
    path: &PATH,
    needs_auth: true,
    documented_error: (StatusCode::UNAUTHORIZED, ApiError::Unauthorized),
};

/// Reads the roles of the token the transport sends (`GET /token/roles`).
///
/// # Errors
///
/// [`ApiError::Unauthorized`] when the token is missing, malformed or
/// unknown (401); [`ApiError::UnexpectedStatus`], [`ApiError::InvalidBody`]
/// or [`ApiError::Transport`] otherwise.
///
/// ```
/// use bytes::Bytes;
/// use rxinfer_auth_api::{ApiError, RequestOptions, token_roles};
/// use rxinfer_transport::RequestBody;
/// use tower::service_fn;
///
/// # tokio_test::block_on(async {
/// let service = service_fn(|_: http::Request<RequestBody>| async {
///     let body = Bytes::from_static(br#"{"error":"Unauthorized","message":"no token"}"#);
///     Ok::<_, std::convert::Infallible>(http::Response::builder().status(401).body(body).unwrap())
/// });
/// match token_roles(service, &RequestOptions::new()).await {
///     Err(ApiError::Unauthorized(body)) => assert_eq!(body.message, "no token"),
///     other => panic!("expected a 401, got {other:?}"),
/// }
/// # });
/// ```
pub async fn token_roles<S>(
    service: S,
    options: &RequestOptions,
) -> Result<ApiResponse<TokenRolesResponse>, ApiError>
where
    S: Service<Request<RequestBody>, Response = Response<Bytes>>,
    S::Error: Into<rxinfer_transport::Error>,
{
    TOKEN_ROLES
        .call(service, options, |response| response)
        .await
}
