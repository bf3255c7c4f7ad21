//! Drives the client against Prism mocking the official OpenAPI document
//! with `--errors`. Prism checks each request's method, path, security
//! scheme (only `Bearer <token>` passes) and that no body is sent where the
//! spec has none, so a pass means our requests conform on those points.
//!
//! ```text
//! prism-checks http://127.0.0.1:4010
//! ```
//!
//! Prism serves the paths without `/v1`, so this also proves base URLs
//! without a path work.

use std::process::ExitCode;

use http::{HeaderValue, Request};
use rxinfer_client::{ApiError, Client, transport::RequestBody};
use rxinfer_conformance::Checks;
use tower::ServiceExt;

/// The spec's 400 example for `POST /token/generate`.
const BAD_REQUEST_EXAMPLE: &str = "Unable to generate token due to internal error";

#[tokio::main]
async fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: prism-checks PRISM_URL");
        return ExitCode::FAILURE;
    };
    let client = match Client::builder().base_url(&url).and_then(|b| b.build()) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("cannot build a client for {url}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut checks = Checks::new();
    let token = std::sync::Mutex::new(None);

    checks
        .run("prism: token_generate answers 200 with a token", async {
            let generated = client
                .authentication()
                .token_generate()
                .await
                .map_err(describe)?;
            let mut slot = token.lock().map_err(|_| "lock poisoned".to_owned())?;
            *slot = Some(generated.token);
            Ok::<_, String>(())
        })
        .await;

    checks
        .run(
            "prism: token_roles with a bearer token answers 200",
            async {
                let token = token
                    .lock()
                    .map_err(|_| "lock poisoned".to_owned())?
                    .clone();
                let token = token.ok_or("no token from the previous check")?;
                let client = client
                    .with_token(token.expose())
                    .map_err(|e| e.to_string())?;
                let roles = client
                    .authentication()
                    .token_roles()
                    .await
                    .map_err(describe)?;
                if roles.roles.is_empty() {
                    return Err("no roles".to_owned());
                }
                Ok(())
            },
        )
        .await;

    checks
        .run("prism: token_roles without a token is a typed 401", async {
            match client.without_token().authentication().token_roles().await {
                Err(ApiError::Unauthorized(_)) => Ok(()),
                other => Err(format!("expected ApiError::Unauthorized, got {other:?}")),
            }
        })
        .await;

    checks
        .run(
            "prism: token_generate's 400 (Prefer: code=400) is typed",
            async {
                let preferring_400 = client.service().clone().map_request(prefer_400);
                let client = Client::from_service(preferring_400);
                match client.authentication().token_generate().await {
                    Err(ApiError::BadRequest(body))
                        if body.message.as_deref() == Some(BAD_REQUEST_EXAMPLE) =>
                    {
                        Ok(())
                    }
                    other => Err(format!("expected the spec's 400 example, got {other:?}")),
                }
            },
        )
        .await;

    if checks.finish("prism") {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Asks Prism for the operation's documented 400 answer.
fn prefer_400(mut request: Request<RequestBody>) -> Request<RequestBody> {
    request
        .headers_mut()
        .insert("prefer", HeaderValue::from_static("code=400"));
    request
}

/// An error with what Prism said, which names the rule a request broke.
fn describe(error: ApiError) -> String {
    match &error {
        ApiError::UnexpectedStatus(raw) | ApiError::InvalidBody { response: raw, .. } => {
            format!("{error}: {}", raw.body_text())
        }
        _ => error.to_string(),
    }
}
