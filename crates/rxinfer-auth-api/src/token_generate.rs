//! `POST /token/generate`.

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use rxinfer_models::TokenGenerateResponse;
use rxinfer_transport::RequestBody;
use tower::Service;

use crate::{
    ApiError, ApiResponse, RequestOptions,
    operation::{Operation, failure, success, unexpected},
};

const TOKEN_GENERATE: Operation = Operation {
    method: Method::POST,
    path: "/token/generate",
    needs_auth: false,
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
    let (parts, body) = TOKEN_GENERATE.send(service, options).await?;
    match parts.status {
        StatusCode::OK => success(parts, body),
        StatusCode::BAD_REQUEST => Err(failure(parts, body, ApiError::BadRequest)),
        _ => Err(unexpected(parts, body)),
    }
}
