//! `POST /token/generate`.

use std::future::Future;

use http::Method;
use rxinfer_api_core::ApiService;
use rxinfer_api_core::{ApiClient, ApiError, ApiResponse, Call, Endpoint, RequestOptions};
use rxinfer_models::TokenGenerateResponse;
use rxinfer_transport::Operation;

/// Never sent with a token (a server that sees one echoes it back instead
/// of minting one), and never sent twice (each mints a token).
pub(crate) static TOKEN_GENERATE: Endpoint = Endpoint::fixed(
    Method::POST,
    Operation::new("token_generate")
        .without_token()
        .never_resent(),
    "/token/generate",
);

pub(crate) fn call() -> Call {
    Call::fixed(&TOKEN_GENERATE)
}

/// Generates a new authentication token (`POST /token/generate`).
///
/// The request never carries an `Authorization` header, whatever the
/// transport or the options hold: a server that sees one echoes that token
/// back instead of minting one. It is never sent twice once it may have
/// reached the server.
///
/// | status | result |
/// |---|---|
/// | 200 | [`TokenGenerateResponse`] |
/// | 400 `Unable to generate token due to internal error` | [`ApiErrorKind::BadRequest`](rxinfer_api_core::ApiErrorKind::BadRequest) |
///
/// # Errors
///
/// An [`ApiError`] whose kind the status decides (see the table), or a
/// transport failure.
///
/// ```
/// use rxinfer_auth_api::{RequestOptions, token_generate};
/// use rxinfer_transport::{RequestBody, ResponseBody};
/// use tower::service_fn;
///
/// # tokio_test::block_on(async {
/// let service = service_fn(|request: http::Request<RequestBody>| async move {
///     assert!(request.headers().get("authorization").is_none());
///     Ok::<_, std::convert::Infallible>(http::Response::new(ResponseBody::from(r#"{"token":"t"}"#)))
/// });
/// let response = token_generate(service, &RequestOptions::new()).await?;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.token.expose(), "t");
/// # Ok::<(), rxinfer_auth_api::ApiError>(())
/// # });
/// ```
pub fn token_generate<S>(
    service: S,
    options: &RequestOptions,
) -> impl Future<Output = Result<ApiResponse<TokenGenerateResponse>, ApiError>> + use<S>
where
    S: ApiService,
{
    ApiClient::new(service)
        .with_options(options.clone())
        .send(call())
}
