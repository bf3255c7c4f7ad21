//! The client over a mock transport: a `tower::service_fn` that answers
//! from memory. No network, no server, and no dependency beyond this crate
//! (`http` and `tower` come re-exported); this is how to unit-test code
//! that uses the client.
//!
//! ```text
//! cargo run --example mock_transport
//! ```

use std::convert::Infallible;

use rxinfer_client::{
    ApiError, Client, RequestBody, ResponseBody,
    http::{Request, Response, StatusCode, header::AUTHORIZATION},
    tower::service_fn,
};

/// Answers like the server would: roles for `Bearer good`, 401 otherwise.
async fn fake_server(request: Request<RequestBody>) -> Result<Response<ResponseBody>, Infallible> {
    let authorized = request
        .headers()
        .get(AUTHORIZATION)
        .is_some_and(|value| value == "Bearer good");
    let (status, body) = match (request.uri().path(), authorized) {
        ("/token/generate", _) => (StatusCode::OK, r#"{"token":"good"}"#),
        ("/token/roles", true) => (StatusCode::OK, r#"{"roles":["user","admin"]}"#),
        ("/token/roles", false) => (
            StatusCode::UNAUTHORIZED,
            r#"{"error":"Unauthorized","message":"no valid token"}"#,
        ),
        _ => (StatusCode::NOT_FOUND, ""),
    };
    let mut response = Response::new(ResponseBody::from(body));
    *response.status_mut() = status;
    Ok(response)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), ApiError> {
    let client = Client::from_service(service_fn(fake_server));

    let generated = client.authentication().token_generate().await?;
    println!("generated: {:?}", generated.token);

    match client.authentication().token_roles().await {
        Err(error) if error.is_unauthorized() => println!("no token sent: {error}"),
        other => println!("unexpected: {other:?}"),
    }

    // A mock sees requests exactly as the server would below the stack's
    // layers; here we add the header the bearer layer would.
    let with_token = service_fn(|mut request: Request<RequestBody>| {
        request.headers_mut().insert(
            AUTHORIZATION,
            rxinfer_client::http::HeaderValue::from_static("Bearer good"),
        );
        fake_server(request)
    });
    let roles = Client::from_service(with_token)
        .authentication()
        .token_roles()
        .await?;
    println!("roles: {:?}", roles.roles);
    Ok(())
}
