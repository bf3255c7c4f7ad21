//! The shipped models over real HTTP, as the real server's model tests
//! drive them.

mod common;

use common::{dev_server, get, instance, post};
use serde_json::json;

/// `test/models/beta-bernoulli-v1_tests.jl` sends `rand(Bernoulli(p), n)`:
/// JSON booleans, which the real model takes as 1 and 0.
#[tokio::test]
async fn beta_bernoulli_learns_and_infers_from_booleans() {
    let server = dev_server().await;
    let id = instance(
        &server,
        "BetaBernoulli-v1",
        json!({"prior_a": 2, "prior_b": 5}),
    )
    .await;
    let events: Vec<_> = [true, false, true, true]
        .iter()
        .map(|x| json!({"data": {"observation": x}}))
        .collect();
    let (status, _) = post(
        &server,
        &format!("/models/i/{id}/episodes/default/attach-events"),
        json!({ "events": events }),
    )
    .await;
    assert_eq!(status, 200);
    let learned = post(
        &server,
        &format!("/models/i/{id}/learn"),
        json!({"episodes": ["default"]}),
    )
    .await;
    assert_eq!(
        learned,
        (
            200,
            json!({"learned_parameters": {"posterior_a": 5.0, "posterior_b": 6.0}})
        )
    );
    let (status, inferred) = post(
        &server,
        &format!("/models/i/{id}/infer"),
        json!({"data": {"observation": false}}),
    )
    .await;
    assert_eq!(status, 200, "{inferred}");
    assert_eq!(inferred["results"]["mean_p"], json!(5.0 / 12.0));
    let (_, state) = get(&server, &format!("/models/i/{id}/state")).await;
    assert_eq!(state["state"]["number_of_infer_calls"], json!(1));
}
