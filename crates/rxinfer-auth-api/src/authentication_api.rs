//! The operations as methods on a clonable service.

use std::future::Future;

use bytes::Bytes;
use http::{Request, Response};
use rxinfer_models::{TokenGenerateResponse, TokenRolesResponse};
use rxinfer_transport::RequestBody;
use tower::Service;

use crate::{
    ApiError, ApiResponse, RequestOptions, token_generate::TOKEN_GENERATE, token_roles::TOKEN_ROLES,
};

/// The Authentication API over a clonable service, such as the default
/// [`Transport`](rxinfer_transport::Transport).
///
/// Methods take `&self` and clone the service for each call, so one value
/// can be shared by any number of concurrent tasks. Cloning it is as cheap
/// as cloning the service.
///
/// ```no_run
/// use std::time::Duration;
/// use rxinfer_auth_api::{AuthenticationApi, RequestOptions};
/// use rxinfer_transport::Transport;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let api = AuthenticationApi::new(Transport::builder().build()?);
/// let generated = api.token_generate().await?;
///
/// let api = AuthenticationApi::new(Transport::builder().token(generated.token.expose())?.build()?);
/// let roles = api
///     .with_options(RequestOptions::new().timeout(Duration::from_secs(2)))
///     .token_roles()
///     .await?;
/// println!("{:?}", roles.roles);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct AuthenticationApi<S> {
    service: S,
    options: RequestOptions,
}

impl<S> AuthenticationApi<S> {
    /// The API over `service`, with no per-call overrides.
    pub fn new(service: S) -> Self {
        Self {
            service,
            options: RequestOptions::default(),
        }
    }

    /// The same API, applying `options` to every call made through it.
    pub fn with_options(&self, options: RequestOptions) -> Self
    where
        S: Clone,
    {
        Self {
            service: self.service.clone(),
            options,
        }
    }

    /// The service calls go through.
    pub fn service(&self) -> &S {
        &self.service
    }

    /// The service calls go through, unwrapped.
    pub fn into_service(self) -> S {
        self.service
    }
}

impl<S> AuthenticationApi<S>
where
    S: Service<Request<RequestBody>, Response = Response<Bytes>> + Clone,
    S::Error: Into<rxinfer_transport::Error>,
{
    /// Generates a new token; see [`token_generate`](crate::token_generate).
    ///
    /// # Errors
    ///
    /// As [`token_generate`](crate::token_generate).
    pub fn token_generate(
        &self,
    ) -> impl Future<Output = Result<TokenGenerateResponse, ApiError>> + '_ {
        TOKEN_GENERATE.call(self.service.clone(), &self.options, ApiResponse::into_data)
    }

    /// Generates a new token and returns it with the status and headers.
    ///
    /// # Errors
    ///
    /// As [`token_generate`](crate::token_generate).
    pub fn token_generate_with_http_info(
        &self,
    ) -> impl Future<Output = Result<ApiResponse<TokenGenerateResponse>, ApiError>> + '_ {
        TOKEN_GENERATE.call(self.service.clone(), &self.options, |response| response)
    }

    /// Reads the roles of the transport's token; see
    /// [`token_roles`](crate::token_roles).
    ///
    /// # Errors
    ///
    /// As [`token_roles`](crate::token_roles).
    pub fn token_roles(&self) -> impl Future<Output = Result<TokenRolesResponse, ApiError>> + '_ {
        TOKEN_ROLES.call(self.service.clone(), &self.options, ApiResponse::into_data)
    }

    /// Reads the roles and returns them with the status and headers.
    ///
    /// # Errors
    ///
    /// As [`token_roles`](crate::token_roles).
    pub fn token_roles_with_http_info(
        &self,
    ) -> impl Future<Output = Result<ApiResponse<TokenRolesResponse>, ApiError>> + '_ {
        TOKEN_ROLES.call(self.service.clone(), &self.options, |response| response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, StatusCode, header::CONTENT_TYPE};
    use rxinfer_models::{ErrorResponse, UnauthorizedResponse};
    use std::{convert::Infallible, time::Duration};
    use tower::service_fn;

    /// An API whose service answers every call with `status`, `content_type`
    /// and `body`, and hands each request it saw to the test.
    fn answering(
        status: u16,
        content_type: Option<&'static str>,
        body: &'static str,
    ) -> AuthenticationApi<
        impl Service<
            Request<RequestBody>,
            Response = Response<Bytes>,
            Error = Infallible,
            Future = impl Send,
        > + Clone,
    > {
        AuthenticationApi::new(service_fn(move |_: Request<RequestBody>| async move {
            let mut response = Response::new(Bytes::from_static(body.as_bytes()));
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT);
            if let Some(value) = content_type {
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(value));
            }
            Ok::<_, Infallible>(response)
        }))
    }

    const JSON: Option<&str> = Some("application/json");

    #[tokio::test]
    async fn ok_decodes_the_model_with_status_and_headers() -> Result<(), ApiError> {
        let response = answering(200, JSON, r#"{"token":"abc","extra":1}"#)
            .token_generate_with_http_info()
            .await?;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.headers[CONTENT_TYPE], "application/json");
        assert_eq!(response.data, TokenGenerateResponse::new("abc"));
        Ok(())
    }

    #[tokio::test]
    async fn bad_request_on_generate_is_typed() {
        let body =
            r#"{"error":"Bad Request","message":"Unable to generate token due to internal error"}"#;
        match answering(400, JSON, body).token_generate().await {
            Err(ApiError::BadRequest(error)) => assert_eq!(
                error,
                ErrorResponse::new("Bad Request")
                    .with_message("Unable to generate token due to internal error")
            ),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn unauthorized_on_roles_is_typed() {
        let body = r#"{"error":"Unauthorized","message":"nope"}"#;
        let error = answering(401, JSON, body).token_roles().await.err();
        assert!(
            matches!(&error, Some(ApiError::Unauthorized(b)) if *b == UnauthorizedResponse::new("nope")),
            "{error:?}"
        );
        assert_eq!(
            error.and_then(|e| e.status()),
            Some(StatusCode::UNAUTHORIZED)
        );
    }

    #[tokio::test]
    async fn statuses_an_operation_does_not_define_keep_the_raw_response() {
        // 401 is not defined for generate, 400 is not defined for roles.
        let api = answering(401, JSON, r#"{"error":"Unauthorized","message":"m"}"#);
        assert!(matches!(
            api.token_generate().await,
            Err(ApiError::UnexpectedStatus(_))
        ));
        let api = answering(400, JSON, r#"{"error":"Bad Request"}"#);
        assert!(matches!(
            api.token_roles().await,
            Err(ApiError::UnexpectedStatus(_))
        ));

        match answering(503, Some("text/html"), "<h1>down</h1>")
            .token_roles()
            .await
        {
            Err(ApiError::UnexpectedStatus(raw)) => {
                assert_eq!(raw.status(), StatusCode::SERVICE_UNAVAILABLE);
                assert_eq!(raw.headers()[CONTENT_TYPE], "text/html");
                assert_eq!(raw.body_text(), "<h1>down</h1>");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn undecodable_bodies_keep_the_raw_response() {
        for (status, content_type, body) in [
            (200, JSON, r#"{"roles":"user"}"#),
            (200, JSON, "{"),
            (200, JSON, ""),
            (200, Some("text/plain"), r#"{"roles":["user"]}"#),
            (401, JSON, r#"{"error":"Unauthorized"}"#),
        ] {
            match answering(status, content_type, body).token_roles().await {
                Err(ApiError::InvalidBody { response, .. }) => {
                    assert_eq!(response.status().as_u16(), status);
                    assert_eq!(response.body_text(), body);
                }
                other => panic!("{body:?}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn missing_content_type_is_tolerated() -> Result<(), ApiError> {
        let roles = answering(200, None, r#"{"roles":["a","b"]}"#)
            .token_roles()
            .await?;
        assert_eq!(roles.roles, ["a", "b"]);
        Ok(())
    }

    #[tokio::test]
    async fn options_reach_the_request_as_extensions() -> Result<(), ApiError> {
        let api = AuthenticationApi::new(service_fn(|request: Request<RequestBody>| async move {
            let timeout = request
                .extensions()
                .get::<rxinfer_transport::RequestTimeout>()
                .map(|t| t.0.as_millis());
            let body = format!(r#"{{"roles":["{timeout:?}"]}}"#);
            Ok::<_, Infallible>(Response::new(Bytes::from(body)))
        }));
        assert_eq!(api.token_roles().await?.roles, ["None"]);
        let api = api.with_options(RequestOptions::new().timeout(Duration::from_millis(250)));
        assert_eq!(api.token_roles().await?.roles, ["Some(250)"]);
        Ok(())
    }

    #[tokio::test]
    async fn transport_errors_are_kept_typed() {
        let api = AuthenticationApi::new(service_fn(|_: Request<RequestBody>| async {
            Err::<Response<Bytes>, _>(rxinfer_transport::Error::Timeout(Duration::from_secs(1)))
        }));
        let error = api.token_roles().await.err();
        assert!(matches!(
            error,
            Some(ApiError::Transport(rxinfer_transport::Error::Timeout(_)))
        ));
    }
}
