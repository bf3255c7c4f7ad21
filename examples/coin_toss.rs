//! Learning a coin's bias with `BetaBernoulli-v1`: create an instance and
//! an episode, attach past tosses, run inference on a stream of new ones,
//! learn from them batch by batch while the posterior evolves, read the
//! parameters, and clean up.
//!
//! By default it starts the in-process stand-in, which computes what the
//! real server computes, and deletes its instance at the end. With
//! `RXINFER_SERVER_URL` set it talks to that server instead, as the
//! identity kept for it: the token in `RXINFER_TOKEN` (or `BEARER_TOKEN`),
//! else the one kept in the token file (`RXINFER_TOKEN_FILE`, default
//! `~/.config/rxinfer/tokens.json`), else a new one, saved there. There it
//! keeps its instance, so the next run finds it and learns on.
//!
//! ```text
//! cargo run --example coin_toss
//! RXINFER_SERVER_URL=http://localhost:8000/v1 cargo run --example coin_toss   # twice
//! ```

use std::{io::Write, process::ExitCode};

use rxinfer_client::{
    Client, TransportError,
    auth_api::FileTokenStore,
    models::{
        AttachEventsToEpisodeRequest, CreateEpisodeRequest, CreateModelInstanceRequest, FreeForm,
        InferRequest, LearnRequest, NewEvent, object,
    },
};
use rxinfer_stand_in::StandIn;

const TRUE_BIAS: f64 = 0.7;
const TOSSES: usize = 200;
const BATCH: usize = 50;
const EPISODE: &str = "coin-toss";
/// How a later run recognises the instance an earlier one kept.
const DESCRIPTION: &str = "coin toss example";

/// A coin with bias `TRUE_BIAS`, from a fixed seed, so every run is alike.
struct Coin(u64);

impl Coin {
    fn toss(&mut self) -> i64 {
        // xorshift64*: plenty for a demo, no dependency.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let uniform =
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
        i64::from(uniform < TRUE_BIAS)
    }
}

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
    let (url, stand_in) = match std::env::var("RXINFER_SERVER_URL") {
        Ok(url) if !url.trim().is_empty() => (url, None),
        _ => {
            let server = StandIn::start().await?;
            println!("started the stand-in server at {}", server.url());
            (server.url().to_owned(), Some(server))
        }
    };
    // Against a real server, the identity is kept, so the instance is too.
    let keep = stand_in.is_none();
    let mut builder = Client::builder().base_url(url.as_str())?.generate_token();
    let store = if keep { Some(token_file()?) } else { None };
    if let Some(store) = &store {
        println!("identity: the token kept in {}", store.path().display());
        builder = builder.token_store(store.clone());
    }
    let client = builder.build()?;
    let models = client.models();
    println!("server: {url}");

    let instances = match models.get_model_instances().await {
        Ok(instances) => instances,
        Err(error) if error.is_unauthorized() => {
            if let Some(store) = &store {
                eprintln!(
                    "the server does not know the kept token (a restarted stand-in, a wiped \
                     database?): to start over as a new identity, remove the file {} \
                     (FileTokenStore::forget does it in code)",
                    store.path().display()
                );
            }
            return Err(error.into());
        }
        Err(error) => return Err(error.into()),
    };
    let kept = instances
        .iter()
        .find(|instance| instance.description == DESCRIPTION)
        .map(|instance| instance.instance_id.clone());
    let (id, seen) = match kept {
        Some(id) => {
            println!("reusing instance {id}, kept by an earlier run");
            let seen = models.get_episode_info(&id, EPISODE).await?.events.len();
            (id, seen)
        }
        None => {
            let coin = models
                .create_model_instance(
                    &CreateModelInstanceRequest::new("BetaBernoulli-v1")
                        .with_description(DESCRIPTION),
                )
                .await?;
            println!("created instance {}", coin.instance_id);
            models
                .create_episode(&coin.instance_id, &CreateEpisodeRequest::new(EPISODE))
                .await?;
            (coin.instance_id.clone(), 0)
        }
    };

    // Tosses seen before: attached to the episode as they are. A kept
    // instance's coin goes on where the earlier runs left it.
    let mut tosses = Coin(0x9E37_79B9_7F4A_7C15);
    for _ in 0..seen {
        tosses.toss();
    }
    let past: Vec<NewEvent> = (0..20)
        .map(|_| NewEvent::new(object([("observation", tosses.toss())])))
        .collect();
    models
        .attach_events_to_episode(&id, EPISODE, &AttachEventsToEpisodeRequest::new(past))
        .await?;
    let learned = models
        .run_learning(&id, &LearnRequest::new([EPISODE]))
        .await?;
    report(
        "after 20 past tosses",
        learned.f64("posterior_a"),
        learned.f64("posterior_b"),
    );

    // New tosses, one inference each; learning after every batch.
    let mut heads = 0;
    for toss in 1..=TOSSES {
        let x = tosses.toss();
        heads += x;
        let inferred = models
            .run_inference(
                &id,
                &InferRequest::new(object([("observation", x)])).with_episode(EPISODE),
            )
            .await?;
        if toss % 10 == 0 || toss == TOSSES {
            print!(
                "\r  toss {toss:>3}/{TOSSES}: P(next is heads | seen {}) = {:.3}",
                if x == 1 { "heads" } else { "tails" },
                inferred.f64("mean_p").unwrap_or(f64::NAN)
            );
            std::io::stdout().flush()?;
        }
        if toss % BATCH == 0 {
            let learned = models
                .run_learning(&id, &LearnRequest::new([EPISODE]))
                .await?;
            println!();
            report(
                &format!("after {toss} new tosses ({heads} heads)"),
                learned.f64("posterior_a"),
                learned.f64("posterior_b"),
            );
        }
    }

    let parameters = models.get_model_instance_parameters(&id).await?;
    let (a, b) = (parameters.f64("posterior_a"), parameters.f64("posterior_b"));
    report("final parameters of the current episode", a, b);
    if let (Some(a), Some(b)) = (a, b) {
        println!("  true bias {TRUE_BIAS}, posterior mean {:.3}", a / (a + b));
    }
    let episode = models.get_episode_info(&id, EPISODE).await?;
    println!("episode {EPISODE:?} holds {} events", episode.events.len());

    if keep {
        println!("kept instance {id} for the next run");
    } else {
        models.delete_model_instance(&id).await?;
        println!("deleted instance {id}");
    }
    drop(stand_in);
    Ok(())
}

/// Where the token is kept: `RXINFER_TOKEN_FILE`, else the user's file.
fn token_file() -> Result<FileTokenStore, TransportError> {
    match std::env::var_os("RXINFER_TOKEN_FILE") {
        Some(path) if !path.is_empty() => Ok(FileTokenStore::new(path)),
        _ => FileTokenStore::user_default().ok_or(TransportError::MissingToken),
    }
}

fn report(when: &str, a: Option<f64>, b: Option<f64>) {
    match (a, b) {
        (Some(a), Some(b)) => println!(
            "{when}: posterior Beta({a}, {b}), mean {:.3}, sd {:.3}",
            a / (a + b),
            (a * b / ((a + b).powi(2) * (a + b + 1.0))).sqrt()
        ),
        _ => println!("{when}: the server's parameters are not BetaBernoulli's"),
    }
}
