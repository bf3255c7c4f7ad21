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

/// `model.jl`'s `initial_state` stores `prior_alpha` without building a
/// Dirichlet, so creation succeeds; inference builds `Dirichlet(alpha)`,
/// which Distributions.jl refuses for an alpha that is not positive, and
/// answers the inference failure.
#[tokio::test]
async fn dirichlet_categorical_with_a_zero_alpha_is_created_but_cannot_infer() {
    let server = dev_server().await;
    let id = instance(
        &server,
        "DirichletCategorical-v1",
        json!({"prior_alpha": [0, 1, 1]}),
    )
    .await;
    let (_, state) = get(&server, &format!("/models/i/{id}/state")).await;
    assert_eq!(state["state"]["prior_alpha"], json!([0, 1, 1]));
    let inferred = post(
        &server,
        &format!("/models/i/{id}/infer"),
        json!({"data": {}}),
    )
    .await;
    assert_eq!(
        inferred,
        (
            400,
            json!({"error": "Bad Request", "message": "Unable to run inference due to internal error"})
        )
    );
}
