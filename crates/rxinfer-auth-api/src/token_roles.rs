//! `GET /token/roles`.

use std::future::Future;

use http::Method;
use rxinfer_api_core::ApiService;
use rxinfer_api_core::{ApiClient, ApiError, ApiResponse, Call, Endpoint, RequestOptions};
use rxinfer_models::TokenRolesResponse;
use rxinfer_transport::Operation;

pub(crate) static TOKEN_ROLES: Endpoint =
    Endpoint::fixed(Method::GET, Operation::new("token_roles"), "/token/roles");

pub(crate) fn call() -> Call {
    Call::fixed(&TOKEN_ROLES)
}

/// Reads the roles of the token the transport sends (`GET /token/roles`).
///
/// | status | result |
/// |---|---|
/// | 200 | [`TokenRolesResponse`] |
/// | 401: the token is missing, malformed or unknown | [`ApiErrorKind::Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
///
/// # Errors
///
/// An [`ApiError`] whose kind the status decides (see the table), or a
/// transport failure.
///
/// ```
/// use rxinfer_auth_api::{ApiErrorKind, RequestOptions, token_roles};
/// use rxinfer_transport::{RequestBody, ResponseBody};
/// use tower::service_fn;
///
/// # tokio_test::block_on(async {
/// let service = service_fn(|_: http::Request<RequestBody>| async {
///     let body = ResponseBody::from(r#"{"error":"Unauthorized","message":"no token"}"#);
///     let mut response = http::Response::new(body);
///     *response.status_mut() = http::StatusCode::UNAUTHORIZED;
///     Ok::<_, std::convert::Infallible>(response)
/// });
/// let error = token_roles(service, &RequestOptions::new()).await.unwrap_err();
/// assert!(error.is_unauthorized());
/// assert_eq!(error.message(), Some("no token"));
/// # });
/// ```
pub fn token_roles<S>(
    service: S,
    options: &RequestOptions,
) -> impl Future<Output = Result<ApiResponse<TokenRolesResponse>, ApiError>> + use<S>
where
    S: ApiService,
{
    ApiClient::new(service)
        .with_options(options.clone())
        .send(call())
}
