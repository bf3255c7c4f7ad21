//! A coin to toss at the stand-in: a `BetaBernoulli-v1` instance behind a
//! client with the development token, the server slowed as asked.

use std::time::Duration;

use rxinfer_client::{
    Client,
    models::{CreateModelInstanceRequest, InferRequest, object},
};
use rxinfer_stand_in::StandIn;

/// The stand-in (recording requests, each inference taking `delay`), a
/// client of it whose timeout is `timeout` (or the default), and the id of
/// a new `BetaBernoulli-v1` instance.
pub(crate) async fn coin_with(
    delay: Duration,
    timeout: Option<Duration>,
) -> (StandIn, Client, String) {
    let server = StandIn::builder()
        .dev_token(true)
        .record_requests(true)
        .inference_delay(delay)
        .start()
        .await
        .expect("stand-in starts");
    let mut builder = Client::builder()
        .base_url(server.url())
        .expect("valid URL")
        .token("dev-token")
        .expect("valid token");
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout);
    }
    let client = builder.build().expect("builds");
    let id = client
        .models()
        .create_model_instance(&CreateModelInstanceRequest::new("BetaBernoulli-v1"))
        .await
        .expect("created")
        .instance_id
        .clone();
    (server, client, id)
}

/// As [`coin_with`], with the client's default timeout.
pub(crate) async fn coin(delay: Duration) -> (StandIn, Client, String) {
    coin_with(delay, None).await
}

/// One toss to infer from.
pub(crate) fn observe(value: i64) -> InferRequest {
    InferRequest::new(object([("observation", value)]))
}
