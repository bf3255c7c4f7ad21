//! Generate a token, then read its roles.
//!
//! With no arguments it starts the in-process stand-in server and talks to
//! it; with `RXINFER_SERVER_URL` set (such as `http://localhost:8000/v1`) it
//! talks to that server instead.
//!
//! ```text
//! cargo run --example quickstart
//! RXINFER_SERVER_URL=http://localhost:8000/v1 cargo run --example quickstart
//! ```

use std::process::ExitCode;

use rxinfer_client::{ApiError, Client};
use rxinfer_mock_server::MockServer;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = std::error::Error::source(error.as_ref());
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the stand-in alive for as long as the client uses it.
    let (url, _stand_in) = match std::env::var("RXINFER_SERVER_URL") {
        Ok(url) => (url, None),
        Err(_) => {
            let server = MockServer::start().await?;
            println!("started the stand-in server at {}", server.url());
            (server.url().to_owned(), Some(server))
        }
    };
    println!("server: {url}");

    let client = Client::builder().base_url(&url)?.build()?;

    // Without a token, the roles endpoint answers with a typed 401.
    match client.authentication().token_roles().await {
        Err(ApiError::Unauthorized(body)) => println!("without a token: 401, {:?}", body.message),
        Err(error) => return Err(error.into()),
        Ok(roles) => println!("without a token: the server granted {:?}", roles.roles),
    }

    let generated = client.authentication().token_generate().await?;
    // The token is a secret: its Debug output is redacted.
    println!("generated a token: {:?}", generated.token);

    let client = client.with_token(generated.token.expose())?;
    let roles = client.authentication().token_roles_with_http_info().await?;
    println!("roles: {:?} (status {})", roles.data.roles, roles.status);
    Ok(())
}
