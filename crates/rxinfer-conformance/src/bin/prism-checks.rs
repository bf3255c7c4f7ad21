//! Drives the client against Prism mocking the official OpenAPI document
//! with `--errors`. Prism checks each request's method, path, parameters
//! (an instance id must be a UUID), body (against the request schema),
//! security scheme (only `Bearer <token>` passes) and that no body is sent
//! where the spec has none; its answers are the document's examples or
//! values generated from its schemas. So a pass means, for every
//! operation: our requests conform, our models decode the document's
//! answers, and each documented error status (asked for with
//! `Prefer: code=N`) is its typed error.
//!
//! ```text
//! prism-checks http://127.0.0.1:4010
//! ```
//!
//! Prism serves the paths without `/v1`, so this also proves base URLs
//! without a path work.

use std::process::ExitCode;

use http::{HeaderName, HeaderValue};
use rxinfer_client::{ApiError, ApiErrorKind, Client, RequestOptions};
use rxinfer_conformance::{Checks, every_operation};

#[tokio::main]
async fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: prism-checks PRISM_URL");
        return ExitCode::FAILURE;
    };
    let client = match Client::builder()
        .base_url(url.as_str())
        .and_then(|b| b.token("prism-accepts-any-bearer-token"))
        .and_then(|b| b.build())
    {
        Ok(client) => client,
        Err(error) => {
            eprintln!("cannot build a client for {url}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut checks = Checks::new();

    let operations = every_operation(&client);
    for (index, operation) in operations.into_iter().enumerate() {
        let name = operation.name;
        checks
            .run(&format!("prism: {name} answers 200 and decodes"), async {
                operation.call.await.map_err(|e| describe(&e))
            })
            .await;

        if operation.needs_token {
            let anonymous = client.without_token();
            checks
                .run(
                    &format!("prism: {name} without a token is a typed 401"),
                    async {
                        let call = every_operation(&anonymous).swap_remove(index).call;
                        expect_status(call.await, 401)
                    },
                )
                .await;
        }
        for status in operation.documented_errors {
            if *status == 401 {
                continue;
            }
            let preferring = client.with_options(
                RequestOptions::new().header(
                    HeaderName::from_static("prefer"),
                    HeaderValue::from_str(&format!("code={status}"))
                        .unwrap_or(HeaderValue::from_static("code=500")),
                ),
            );
            checks
                .run(
                    &format!("prism: {name}'s documented {status} is typed"),
                    async {
                        let call = every_operation(&preferring).swap_remove(index).call;
                        expect_status(call.await, *status)
                    },
                )
                .await;
        }
    }

    if checks.finish("prism") {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Whether `result` is the typed error of `status`.
fn expect_status(result: Result<(), ApiError>, status: u16) -> Result<(), String> {
    let error = match result {
        Ok(()) => return Err(format!("expected a {status}, got a success")),
        Err(error) => error,
    };
    let typed = matches!(
        (status, error.kind()),
        (400, ApiErrorKind::BadRequest(e)) if e.body().is_some()
    ) || matches!(
        (status, error.kind()),
        (401, ApiErrorKind::Unauthorized(e)) if e.body().is_some()
    ) || matches!(
        (status, error.kind()),
        (404, ApiErrorKind::NotFound(e)) if e.body().is_some()
    );
    if typed {
        Ok(())
    } else {
        Err(format!(
            "expected a typed {status} with its body: {}",
            describe(&error)
        ))
    }
}

/// An error with what Prism said, which names the rule a request broke.
fn describe(error: &ApiError) -> String {
    match error.response() {
        Some(raw) => format!("{error}: {}", raw.body_text()),
        None => error.to_string(),
    }
}
