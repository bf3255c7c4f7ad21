//! `POST /token/generate`.

use std::sync::LazyLock;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Uri};
use rxinfer_models::{ErrorResponse, TokenGenerateResponse};
use rxinfer_transport::RequestBody;
use tower::Service;

use crate::{ApiError, ApiResponse, RequestOptions, operation::Operation};

static PATH: LazyLock<Uri> = LazyLock::new(|| Uri::from_static("/token/generate"));

pub(crate) static TOKEN_GENERATE: Operation<ErrorResponse> = Operation {
    name: "token_generate",
    method: Method::POST,
    path: &PATH,
    needs_auth: false,
    documented_error: (StatusCode::BAD_REQUEST, ApiError::BadRequest),
};

/// Generates a new authentication token (`POST /token/generate`).
///
/// The request is marked [`NoAuth`](rxinfer_transport::NoAuth), so no
/// `Authorization` header is sent even when the transport has a token: a
/// server that sees one echoes it back instead of minting a new token.
///
/// # Errors
///
/// [`ApiError::BadRequest`] when the server cannot store a token (400);
/// [`ApiError::UnexpectedStatus`], [`ApiError::InvalidBody`] or
/// [`ApiError::Transport`] otherwise.
///
/// ```
/// use bytes::Bytes;
/// use rxinfer_auth_api::{RequestOptions, token_generate};
/// use rxinfer_transport::RequestBody;
/// use tower::service_fn;
///
/// # tokio_test::block_on(async {
/// let service = service_fn(|request: http::Request<RequestBody>| async move {
///     assert!(request.headers().get("authorization").is_none());
///     Ok::<_, std::convert::Infallible>(http::Response::new(Bytes::from_static(br#"{"token":"t"}"#)))
/// });
/// let response = token_generate(service, &RequestOptions::new()).await?;
/// assert_eq!(response.status, 200);
/// assert_eq!(response.data.token.expose(), "t");
/// # Ok::<(), rxinfer_auth_api::ApiError>(())
/// # });
/// ```
pub async fn token_generate<S>(
    service: S,
    options: &RequestOptions,
) -> Result<ApiResponse<TokenGenerateResponse>, ApiError>
where
    S: Service<Request<RequestBody>, Response = Response<Bytes>>,
    S::Error: Into<rxinfer_transport::Error>,
{
    TOKEN_GENERATE
        .call(service, options, |response| response)
        .await
}
