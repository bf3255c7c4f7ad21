//! The Authentication routes, answering with `rxinfer-models` types as the
//! real server does.

use bytes::Bytes;
use http::{
    HeaderValue, Method, Request, Response, StatusCode,
    header::{
        ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
        ALLOW, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER,
    },
};
use http_body_util::Full;
use rxinfer_models::{
    ErrorResponse, TokenGenerateResponse, TokenRolesResponse, UnauthorizedResponse,
};
use serde::Serialize;

use crate::state::State;

/// The `message` of the server's `401`.
pub const UNAUTHORIZED_MESSAGE: &str =
    "The request requires authentication, generate a token using the /generate-token endpoint";

/// The `message` of the server's `401` when the development token is on.
pub const UNAUTHORIZED_MESSAGE_WITH_DEV_TOKEN: &str = "The request requires authentication, generate a token using the /generate-token endpoint or use the development token `dev-token`";

/// The `message` of the server's `400` on token generation.
pub const BAD_REQUEST_MESSAGE: &str = "Unable to generate token due to internal error";

const DEV_TOKEN: &str = "dev-token";

/// Answers one request.
pub(crate) fn route<B>(state: &State, request: &Request<B>) -> Response<Full<Bytes>> {
    let mut response = if state.still_unavailable() {
        let mut response = empty(StatusCode::SERVICE_UNAVAILABLE);
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("0"));
        response
    } else {
        respond(state, request)
    };
    add_cors_headers(&mut response);
    response
}

fn respond<B>(state: &State, request: &Request<B>) -> Response<Full<Bytes>> {
    match endpoint(&state.config.base_path, request) {
        Endpoint::Options => empty(StatusCode::OK),
        Endpoint::TokenGenerate => token_generate(state, request),
        Endpoint::TokenRoles => token_roles(state, request),
        Endpoint::WrongMethod(allowed) => {
            let mut response = empty(StatusCode::METHOD_NOT_ALLOWED);
            // RFC 9110 requires a 405 to say which methods the route takes.
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static(allowed));
            response
        }
        Endpoint::Unknown => empty(StatusCode::NOT_FOUND),
    }
}

enum Endpoint {
    Options,
    TokenGenerate,
    TokenRoles,
    /// A known route asked with another method; carries the one it takes.
    WrongMethod(&'static str),
    Unknown,
}

fn endpoint<B>(base_path: &str, request: &Request<B>) -> Endpoint {
    if request.method() == Method::OPTIONS {
        return Endpoint::Options;
    }
    let route = request.uri().path().strip_prefix(base_path);
    match (route, request.method()) {
        (Some("/token/generate"), &Method::POST) => Endpoint::TokenGenerate,
        (Some("/token/roles"), &Method::GET) => Endpoint::TokenRoles,
        (Some("/token/generate"), _) => Endpoint::WrongMethod("POST"),
        (Some("/token/roles"), _) => Endpoint::WrongMethod("GET"),
        _ => Endpoint::Unknown,
    }
}

fn token_generate<B>(state: &State, request: &Request<B>) -> Response<Full<Bytes>> {
    if let Some(presented) = bearer_token(request) {
        return json(StatusCode::OK, &TokenGenerateResponse::new(presented));
    }
    if state.config.fail_token_generation {
        let body = ErrorResponse::new("Bad Request").with_message(BAD_REQUEST_MESSAGE);
        return json(StatusCode::BAD_REQUEST, &body);
    }
    json(
        StatusCode::OK,
        &TokenGenerateResponse::new(state.mint_token()),
    )
}

fn token_roles<B>(state: &State, request: &Request<B>) -> Response<Full<Bytes>> {
    let roles = bearer_token(request)
        .and_then(|token| state.roles(token).or_else(|| dev_token_roles(state, token)));
    match roles {
        Some(roles) => json(StatusCode::OK, &TokenRolesResponse::new(roles)),
        None => {
            let message = if state.config.dev_token {
                UNAUTHORIZED_MESSAGE_WITH_DEV_TOKEN
            } else {
                UNAUTHORIZED_MESSAGE
            };
            json(
                StatusCode::UNAUTHORIZED,
                &UnauthorizedResponse::new(message),
            )
        }
    }
}

/// The token after the literal `Bearer ` prefix, as the server reads it;
/// anything else is no token.
fn bearer_token<B>(request: &Request<B>) -> Option<&str> {
    request
        .headers()
        .get(AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// `dev-token` is a user; `dev-token:a,b` has the roles after the one colon.
fn dev_token_roles(state: &State, token: &str) -> Option<Vec<String>> {
    if !state.config.dev_token {
        return None;
    }
    if token == DEV_TOKEN {
        return Some(vec!["user".to_owned()]);
    }
    let roles = token.strip_prefix(DEV_TOKEN)?.strip_prefix(':')?;
    if roles.contains(':') {
        return None;
    }
    Some(roles.split(',').map(str::to_owned).collect())
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Response<Full<Bytes>> {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = Response::new(Full::new(Bytes::from(bytes)));
            *response.status_mut() = status;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(_) => empty(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

fn empty(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::default());
    *response.status_mut() = status;
    response
}

fn add_cors_headers<B>(response: &mut Response<B>) {
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
    );
    headers.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type, Authorization"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MockServerBuilder;
    use http_body_util::BodyExt;

    fn state(config: MockServerBuilder) -> State {
        State::new(config)
    }

    fn request(method: Method, path: &str, token: Option<&str>) -> Request<()> {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        builder.body(()).expect("valid request")
    }

    async fn answer(state: &State, request: Request<()>) -> (StatusCode, String) {
        let response = route(state, &request);
        let status = response.status();
        let body = response.into_body().collect().await.map(|c| c.to_bytes());
        (
            status,
            String::from_utf8_lossy(&body.unwrap_or_default()).into_owned(),
        )
    }

    #[tokio::test]
    async fn generated_tokens_are_uuids_with_the_user_role() {
        let state = state(MockServerBuilder::default());
        let (status, body) =
            answer(&state, request(Method::POST, "/v1/token/generate", None)).await;
        assert_eq!(status, StatusCode::OK);
        let generated: TokenGenerateResponse = serde_json::from_str(&body).expect("json");
        assert!(uuid::Uuid::parse_str(generated.token.expose()).is_ok());
        assert_eq!(
            state.roles(generated.token.expose()),
            Some(vec!["user".to_owned()])
        );
    }

    #[tokio::test]
    async fn a_presented_token_is_echoed_not_minted() {
        let state = state(MockServerBuilder::default());
        let (_, body) = answer(
            &state,
            request(Method::POST, "/v1/token/generate", Some("abc")),
        )
        .await;
        assert_eq!(body, r#"{"token":"abc"}"#);
        assert_eq!(state.generated(), 0);
    }

    #[tokio::test]
    async fn the_401_body_is_the_real_servers() {
        let state = state(MockServerBuilder::default());
        for token in [None, Some("unknown")] {
            let (status, body) =
                answer(&state, request(Method::GET, "/v1/token/roles", token)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert_eq!(
                body,
                r#"{"error":"Unauthorized","message":"The request requires authentication, generate a token using the /generate-token endpoint"}"#
            );
        }
    }

    #[tokio::test]
    async fn only_the_literal_bearer_prefix_counts() {
        let state = state(MockServerBuilder::default().dev_token(true));
        for header in [
            "bearer dev-token",
            "Bearer  dev-token",
            "dev-token",
            "Basic dev-token",
        ] {
            let request = Request::get("/v1/token/roles")
                .header(AUTHORIZATION, header)
                .body(())
                .expect("valid request");
            assert_eq!(
                answer(&state, request).await.0,
                StatusCode::UNAUTHORIZED,
                "{header}"
            );
        }
    }

    #[tokio::test]
    async fn dev_token_forms() {
        let state = state(MockServerBuilder::default().dev_token(true));
        let roles = |token| request(Method::GET, "/v1/token/roles", Some(token));
        assert_eq!(
            answer(&state, roles("dev-token")).await.1,
            r#"{"roles":["user"]}"#
        );
        assert_eq!(
            answer(&state, roles("dev-token:a,b")).await.1,
            r#"{"roles":["a","b"]}"#
        );
        let (status, body) = answer(&state, roles("dev-token:a:b")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            body.ends_with("or use the development token `dev-token`\"}"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn dev_token_is_off_by_default() {
        let state = state(MockServerBuilder::default());
        let request = request(Method::GET, "/v1/token/roles", Some("dev-token"));
        assert_eq!(answer(&state, request).await.0, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn failing_generation_is_the_documented_400() {
        let state = state(MockServerBuilder::default().fail_token_generation(true));
        let (status, body) =
            answer(&state, request(Method::POST, "/v1/token/generate", None)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            r#"{"error":"Bad Request","message":"Unable to generate token due to internal error"}"#
        );
    }

    #[tokio::test]
    async fn unknown_routes_methods_and_options() {
        let state = state(MockServerBuilder::default());
        let cases = [
            (
                Method::GET,
                "/v1/token/generate",
                StatusCode::METHOD_NOT_ALLOWED,
            ),
            (
                Method::POST,
                "/v1/token/roles",
                StatusCode::METHOD_NOT_ALLOWED,
            ),
            (Method::GET, "/v1/nope", StatusCode::NOT_FOUND),
            (Method::GET, "/token/roles", StatusCode::NOT_FOUND),
            (Method::OPTIONS, "/anything", StatusCode::OK),
        ];
        for (method, path, expected) in cases {
            let response = route(&state, &request(method.clone(), path, None));
            assert_eq!(response.status(), expected, "{method} {path}");
            assert_eq!(response.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
            assert!(response.headers().get(CONTENT_TYPE).is_none());
        }
    }

    #[tokio::test]
    async fn an_unavailable_start_answers_503_then_serves() {
        let state = state(MockServerBuilder::default().unavailable_for(2));
        for _ in 0..2 {
            let response = route(&state, &request(Method::POST, "/v1/token/generate", None));
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()[RETRY_AFTER], "0");
        }
        let (status, _) = answer(&state, request(Method::POST, "/v1/token/generate", None)).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[test]
    fn a_405_names_the_method_the_route_takes() {
        let state = state(MockServerBuilder::default());
        let response = route(&state, &request(Method::DELETE, "/v1/token/generate", None));
        assert_eq!(response.headers()[ALLOW], "POST");
        let response = route(&state, &request(Method::TRACE, "/v1/token/roles", None));
        assert_eq!(response.headers()[ALLOW], "GET");
    }
}
