//! The models in a server: a tiny hyper server answers `GET /v1/token/roles`
//! with `TokenRolesResponse` and `UnauthorizedResponse`, and the client reads
//! it back with the same types.
//!
//! ```text
//! cargo run --example server_reuse
//! ```

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header::CONTENT_TYPE};
use http_body_util::Full;
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use rxinfer_client::{
    Client,
    models::{TokenRolesResponse, UnauthorizedResponse},
};
use serde::Serialize;
use tokio::net::TcpListener;

/// The handler: the same model types a client decodes, encoded by a server.
async fn roles(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let token = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    Ok(match token {
        Some("admin-token") => json(StatusCode::OK, &TokenRolesResponse::new(["user", "admin"])),
        _ => json(
            StatusCode::UNAUTHORIZED,
            &UnauthorizedResponse::new("this example knows only admin-token"),
        ),
    })
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Response<Full<Bytes>> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/v1", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(
                http1::Builder::new().serve_connection(TokioIo::new(stream), service_fn(roles)),
            );
        }
    });

    let client = Client::builder().base_url(&url)?.build()?;
    match client.authentication().token_roles().await {
        Err(error) if error.is_unauthorized() => println!("anonymous: 401 {:?}", error.message()),
        other => println!("anonymous: unexpected {other:?}"),
    }
    let roles = client
        .with_token("admin-token")?
        .authentication()
        .token_roles()
        .await?;
    println!("admin-token: {:?}", roles.roles);
    Ok(())
}
