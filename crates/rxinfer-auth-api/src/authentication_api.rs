//! The operations as methods on a clonable service.

use rxinfer_api_core::{ApiClient, RequestOptions};
#[allow(unused_imports)] // the documentation's links
use rxinfer_api_core::{ApiError, ApiErrorKind};
#[allow(unused_imports)] // the documentation's links
use rxinfer_models::{TokenGenerateResponse, TokenRolesResponse};

/// The Authentication API over a clonable service, such as the default
/// [`Transport`](rxinfer_transport::Transport), as the official Python
/// client's `AuthenticationApi`.
///
/// Each method returns a future that owns a clone of the service, so it
/// can be spawned; one value serves any number of concurrent tasks.
///
/// ```no_run
/// use std::time::Duration;
/// use rxinfer_auth_api::{AuthenticationApi, RequestOptions};
/// use rxinfer_transport::{Config, Transport};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let transport = Transport::new(Config::default())?;
/// let api = AuthenticationApi::new(transport.clone());
/// let generated = api.token_generate().await?;
///
/// let api = AuthenticationApi::new(transport.with_token(generated.token.expose())?);
/// let roles = api
///     .with_options(RequestOptions::new().timeout(Duration::from_secs(2)))
///     .token_roles()
///     .await?;
/// println!("{:?} (status {})", roles.roles, roles.status());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct AuthenticationApi<S> {
    client: ApiClient<S>,
}

impl<S> AuthenticationApi<S> {
    /// The API over `service`, with no per-call overrides.
    pub fn new(service: S) -> Self {
        Self::from_client(ApiClient::new(service))
    }

    /// The API over `client`'s service and settings.
    pub fn from_client(client: ApiClient<S>) -> Self {
        Self { client }
    }

    /// The same API, applying `options` to every call made through it.
    pub fn with_options(&self, options: RequestOptions) -> Self
    where
        S: Clone,
    {
        Self::from_client(self.client.clone().with_options(options))
    }

    /// The service and settings calls go through.
    pub fn client(&self) -> &ApiClient<S> {
        &self.client
    }
}

/// The Authentication API's table of operations, one entry each, handed
/// to the macro named first with the tokens in braces before them: to
/// [`rxinfer_api_core::declare_operations!`] here, and to the blocking
/// client's. [`rxinfer_api_core::declare_operations!`] says the form of an
/// entry.
#[macro_export]
macro_rules! authentication_operations {
    ($($then:ident)::+ { $($prefix:tt)* }) => {
        $($then)::+! {
            $($prefix)*
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
            fn token_generate() -> $crate::__models::TokenGenerateResponse
                = POST "/token/generate", without_token, never_resent;

            /// Reads the roles of the token the transport sends (`GET /token/roles`).
            /// It is the cheap start-up check of who you are: it needs the token,
            /// changes nothing, and answers `401` when the server does not know the
            /// token (RxInferServer never expires one, so a kept token that fails here
            /// belongs to a wiped or another database).
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
            fn token_roles() -> $crate::__models::TokenRolesResponse = GET "/token/roles";
        }
    };
}

authentication_operations!(rxinfer_api_core::declare_operations { AuthenticationApi; });

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, Request, Response, StatusCode, header::CONTENT_TYPE};
    use rxinfer_api_core::ApiErrorKind;
    use rxinfer_transport::{RequestBody, ResponseBody};
    use std::{convert::Infallible, time::Duration};
    use tower::{Service, service_fn};

    /// An API whose service answers every call with `status`, `content_type`
    /// and `body`.
    fn answering(
        status: u16,
        content_type: Option<&'static str>,
        body: &'static str,
    ) -> AuthenticationApi<
        impl Service<
            Request<RequestBody>,
            Response = Response<ResponseBody>,
            Error = Infallible,
            Future = impl Send,
        > + Clone
        + Send,
    > {
        AuthenticationApi::new(service_fn(move |_: Request<RequestBody>| async move {
            let mut response = Response::new(ResponseBody::from(body));
            *response.status_mut() = StatusCode::from_u16(status).expect("status");
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
            .token_generate()
            .await?;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(response.into_data(), TokenGenerateResponse::new("abc"));
        Ok(())
    }

    #[tokio::test]
    async fn a_json_array_is_not_a_token() {
        let error = answering(200, JSON, r#"["abc"]"#)
            .token_generate()
            .await
            .err();
        assert!(
            matches!(
                error.as_ref().map(ApiError::kind),
                Some(ApiErrorKind::InvalidBody { .. })
            ),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn statuses_decide_the_kind_on_every_operation() {
        let html = Some("text/html");
        let error = answering(400, html, "<html>nginx</html>")
            .token_generate()
            .await
            .err();
        assert!(matches!(
            error.as_ref().map(ApiError::kind),
            Some(ApiErrorKind::BadRequest(_))
        ));
        let error = answering(400, html, "<html>nginx</html>")
            .token_roles()
            .await
            .err();
        assert!(matches!(
            error.as_ref().map(ApiError::kind),
            Some(ApiErrorKind::BadRequest(_))
        ));
        let error = answering(401, html, "<h1>no</h1>")
            .token_roles()
            .await
            .err();
        assert!(
            error.as_ref().is_some_and(ApiError::is_unauthorized),
            "{error:?}"
        );
        let error = answering(503, html, "<h1>down</h1>")
            .token_roles()
            .await
            .err();
        assert_eq!(
            error.as_ref().and_then(ApiError::status),
            Some(StatusCode::SERVICE_UNAVAILABLE)
        );
        assert_eq!(
            error
                .as_ref()
                .and_then(ApiError::response)
                .map(|r| r.body_text().into_owned()),
            Some("<h1>down</h1>".to_owned())
        );
    }

    #[tokio::test]
    async fn options_reach_the_request_as_extensions() -> Result<(), ApiError> {
        let api = AuthenticationApi::new(service_fn(|request: Request<RequestBody>| async move {
            let timeout = request
                .extensions()
                .get::<rxinfer_transport::RequestTimeout>()
                .map(|t| t.0.as_millis());
            let body = format!(r#"{{"roles":["{timeout:?}"]}}"#);
            Ok::<_, Infallible>(Response::new(ResponseBody::from(body)))
        }));
        assert_eq!(api.token_roles().await?.roles, ["None"]);
        let api = api.with_options(RequestOptions::new().timeout(Duration::from_millis(250)));
        assert_eq!(api.token_roles().await?.roles, ["Some(250)"]);
        Ok(())
    }

    #[tokio::test]
    async fn futures_own_the_service_and_can_be_spawned() -> Result<(), ApiError> {
        let api = answering(200, JSON, r#"{"roles":["user"]}"#);
        let spawned = tokio::spawn(api.token_roles());
        drop(api);
        let roles = spawned.await.expect("the task ran")?;
        assert_eq!(roles.roles, ["user"]);
        Ok(())
    }

    #[tokio::test]
    async fn transport_errors_are_kept_typed() {
        let api = AuthenticationApi::new(service_fn(|_: Request<RequestBody>| async {
            Err::<Response<ResponseBody>, _>(rxinfer_transport::Error::Timeout(
                Duration::from_secs(1),
            ))
        }));
        let error = api.token_roles().await.err();
        assert!(
            error.as_ref().is_some_and(ApiError::is_timeout),
            "{error:?}"
        );
    }
}
