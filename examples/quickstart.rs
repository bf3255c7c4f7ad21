//! The main job in a few calls: check the server, get a token, create a
//! `BetaBernoulli-v1` instance, infer, learn, read its parameters, delete it.
//!
//! With no arguments it starts the in-process stand-in server and talks to
//! it, with a token it generates; with `RXINFER_SERVER_URL` set (such as
//! `http://localhost:8000/v1`) it talks to that server instead, as the
//! identity kept for it in the token file (`RXINFER_TOKEN_FILE`, default
//! `~/.config/rxinfer/tokens.json`; `RXINFER_TOKEN` comes first), so every
//! run is the same owner.
//!
//! ```text
//! cargo run --example quickstart
//! RXINFER_SERVER_URL=http://localhost:8000/v1 cargo run --example quickstart
//! ```

use std::process::ExitCode;

use rxinfer_client::{
    Client,
    auth_api::FileTokenStore,
    models::{
        AttachEventsToEpisodeRequest, CreateModelInstanceRequest, FreeForm, InferRequest,
        LearnRequest, NewEvent, object,
    },
};
use rxinfer_stand_in::StandIn;

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
    let (url, stand_in) = match std::env::var("RXINFER_SERVER_URL") {
        Ok(url) if !url.trim().is_empty() => (url, None),
        _ => {
            let server = StandIn::start().await?;
            println!("started the stand-in server at {}", server.url());
            (server.url().to_owned(), Some(server))
        }
    };
    let client = Client::builder().base_url(url.as_str())?.build()?;
    println!(
        "server: {url}, ping: {}",
        client.server().ping_server().await?.status
    );

    // Without a token, the server answers 401, as a typed error.
    if let Err(error) = client.models().get_model_instances().await {
        println!("without a token: {error}");
    }

    let client = if stand_in.is_some() {
        let generated = client.authentication().token_generate().await?;
        // The token is a secret: its Debug output is redacted.
        println!("generated a token: {:?}", generated.token);
        client.with_token(generated.token.expose())?
    } else {
        // A token is an identity on RxInferServer: keep it across runs.
        let store = match std::env::var_os("RXINFER_TOKEN_FILE") {
            Some(path) if !path.is_empty() => FileTokenStore::new(path),
            _ => FileTokenStore::user_default().ok_or("no home folder for the token file")?,
        };
        println!("identity: the token kept in {}", store.path().display());
        Client::builder()
            .base_url(url.as_str())?
            .token_store(store)
            .generate_token()
            .build()?
    };
    // The cheap check of who you are.
    let roles = client.authentication().token_roles().await?;
    println!("roles: {:?}", roles.roles);

    let models = client.models();
    let coin = models
        .create_model_instance(&CreateModelInstanceRequest::new("BetaBernoulli-v1"))
        .await?;
    let id = &coin.instance_id;
    println!("created instance {id}");

    let inferred = models
        .run_inference(id, &InferRequest::new(object([("observation", 1)])))
        .await?;
    println!(
        "inference on one head: mean_p = {:?} (event {:?})",
        inferred.f64("mean_p"),
        inferred.event_id
    );

    let tosses =
        [1, 1, 0, 1, 1, 1, 0, 1, 1, 1].map(|x| NewEvent::new(object([("observation", x)])));
    models
        .attach_events_to_episode(id, "default", &AttachEventsToEpisodeRequest::new(tosses))
        .await?;
    let learned = models
        .run_learning(id, &LearnRequest::new(["default"]))
        .await?;
    println!(
        "learned from 10 more tosses: {}",
        serde_json::to_string(&learned.learned_parameters)?
    );
    let parameters = models.get_model_instance_parameters(id).await?;
    println!(
        "parameters of the current episode: {} (status {})",
        serde_json::to_string(&parameters.parameters)?,
        parameters.status()
    );

    models.delete_model_instance(id).await?;
    println!("deleted instance {id}");
    Ok(())
}
