//! The Models API end to end, through the client and real sockets, against
//! the stand-in: the BetaBernoulli trace of the server's own tests, owners
//! and roles, episodes, the documented failures, and calls on one instance
//! that keep their order.

use std::time::Duration;

use rxinfer_client::{
    ApiErrorKind, Client,
    models::{
        AttachEventsToEpisodeRequest, CreateEpisodeRequest, CreateModelInstanceRequest, FreeForm,
        InferRequest, LearnRequest, NewEvent, object,
    },
};
use rxinfer_stand_in::StandIn;
use serde_json::json;

fn as_token(server: &StandIn, token: &str) -> Client {
    Client::builder()
        .base_url(server.url())
        .and_then(|builder| builder.token(token))
        .expect("valid settings")
        .build()
        .expect("the client builds")
}

async fn dev_server() -> StandIn {
    StandIn::builder()
        .dev_token(true)
        .start()
        .await
        .expect("stand-in starts")
}

async fn coin(client: &Client) -> String {
    client
        .models()
        .create_model_instance(&CreateModelInstanceRequest::new("BetaBernoulli-v1"))
        .await
        .expect("an instance")
        .into_data()
        .instance_id
}

fn flips(xs: &[i64]) -> AttachEventsToEpisodeRequest {
    AttachEventsToEpisodeRequest::new(
        xs.iter()
            .map(|x| NewEvent::new(object([("observation", *x)]))),
    )
}

fn flip(x: i64) -> InferRequest {
    InferRequest::new(object([("observation", x)]))
}

#[tokio::test]
async fn the_beta_bernoulli_trace_through_the_client() {
    let server = dev_server().await;
    let client = as_token(&server, "dev-token");
    let models = client.models();
    let id = coin(&client).await;
    let learn = || models.run_learning(&id, &LearnRequest::new(["default"]));
    let posterior = |learned: &rxinfer_client::ApiResponse<
        rxinfer_client::models::LearnResponse,
    >| { (learned.f64("posterior_a"), learned.f64("posterior_b")) };

    models
        .attach_events_to_episode(&id, "default", &flips(&[1, 1, 0, 1, 1, 1, 0, 1, 1, 1]))
        .await
        .expect("attached");
    assert_eq!(
        posterior(&learn().await.expect("learned")),
        (Some(9.0), Some(3.0))
    );
    models
        .attach_events_to_episode(&id, "default", &flips(&[0, 1, 0, 0, 1, 0, 0, 1, 0, 0]))
        .await
        .expect("attached");
    assert_eq!(
        posterior(&learn().await.expect("learned")),
        (Some(12.0), Some(10.0))
    );
    for _ in 0..2 {
        let inferred = models.run_inference(&id, &flip(1)).await.expect("inferred");
        assert_eq!(inferred.f64("mean_p"), Some(13.0 / 23.0));
    }
    assert_eq!(
        posterior(&learn().await.expect("learned")),
        (Some(14.0), Some(10.0))
    );
    let last = models.run_inference(&id, &flip(1)).await.expect("inferred");
    assert_eq!(last.f64("mean_p"), Some(0.6));

    let parameters = models
        .get_model_instance_parameters(&id)
        .await
        .expect("parameters");
    assert_eq!(
        parameters.parameters,
        object([("posterior_a", 14.0), ("posterior_b", 10.0)])
    );
    let episode = models
        .get_episode_info(&id, "default")
        .await
        .expect("the episode");
    assert_eq!(episode.events.len(), 23);
    assert!(
        episode.events[..22]
            .iter()
            .all(|e| e.processed == Some(true))
    );
    assert_eq!(episode.events[22].processed, Some(false));
}

#[tokio::test]
async fn another_tokens_instance_is_not_found_and_roles_gate_discovery() {
    let server = dev_server().await;
    server.insert_token("someone-else", ["user"]);
    let mine = as_token(&server, "dev-token");
    let id = coin(&mine).await;
    let theirs = as_token(&server, "someone-else");
    let error = theirs
        .models()
        .get_model_instance(&id)
        .await
        .expect_err("not theirs");
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(
        error.message(),
        Some("The requested model instance could not be found")
    );
    assert!(
        theirs
            .models()
            .get_model_instances()
            .await
            .expect("listed")
            .is_empty()
    );
    assert_eq!(
        mine.models()
            .get_model_instances()
            .await
            .expect("listed")
            .len(),
        1
    );

    let admin = as_token(&server, "dev-token:admin");
    assert!(
        admin
            .models()
            .get_available_models()
            .await
            .expect("listed")
            .is_empty()
    );
    let error = admin
        .models()
        .create_model_instance(&CreateModelInstanceRequest::new("BetaBernoulli-v1"))
        .await
        .expect_err("invisible model");
    assert!(error.is_not_found(), "{error:?}");
}

#[tokio::test]
async fn documented_failures_carry_the_servers_messages() {
    let server = dev_server().await;
    let client = as_token(&server, "dev-token");
    let models = client.models();
    let id = coin(&client).await;
    let bad_request = |error: rxinfer_client::ApiError| match error.kind() {
        ApiErrorKind::BadRequest(status) => status.message().map(str::to_owned),
        other => panic!("{other:?}"),
    };
    models
        .create_episode(&id, &CreateEpisodeRequest::new("e"))
        .await
        .expect("created");
    let twice = models
        .create_episode(&id, &CreateEpisodeRequest::new("e"))
        .await
        .expect_err("exists");
    assert_eq!(
        bad_request(twice).as_deref(),
        Some("The requested episode already exists")
    );
    let two = models
        .run_learning(&id, &LearnRequest::new(["default", "e"]))
        .await
        .expect_err("one at a time");
    assert_eq!(
        bad_request(two).as_deref(),
        Some("Learning is supported only for one episode at a time")
    );
    let wrong_data = models
        .run_inference(&id, &InferRequest::new(object([("value", 1)])))
        .await
        .expect_err("no observation");
    assert_eq!(
        bad_request(wrong_data).as_deref(),
        Some("Unable to run inference due to internal error")
    );
    // A description the server's schema refuses: a bare 500, kept raw.
    let long =
        CreateModelInstanceRequest::new("BetaBernoulli-v1").with_description("x".repeat(129));
    let error = models
        .create_model_instance(&long)
        .await
        .expect_err("too long");
    match error.kind() {
        ApiErrorKind::UnexpectedStatus(status) => {
            assert_eq!(status.status(), 500);
            assert!(status.response().body().is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn dirichlet_categorical_learns_counts() {
    let server = dev_server().await;
    let client = as_token(&server, "dev-token");
    let models = client.models();
    let id = models
        .create_model_instance(&CreateModelInstanceRequest::new("DirichletCategorical-v1"))
        .await
        .expect("an instance")
        .into_data()
        .instance_id;
    let seen = [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]];
    let events = seen.map(|x| NewEvent::new(object([("observation", json!(x))])));
    models
        .attach_events_to_episode(&id, "default", &AttachEventsToEpisodeRequest::new(events))
        .await
        .expect("attached");
    models
        .run_learning(&id, &LearnRequest::new(["default"]))
        .await
        .expect("learned");
    let inferred = models
        .run_inference(&id, &InferRequest::new(object::<&str, i32, _>([])))
        .await
        .expect("inferred");
    assert_eq!(
        inferred.get("predicted_probs"),
        Some(&json!([0.5, 1.0 / 6.0, 1.0 / 3.0]))
    );
}

/// The server takes no lock: concurrent inferences on one instance lose
/// state updates. The stand-in reproduces that with a delay between reading
/// and writing the state; an `InstanceHandle` sends its calls one at a
/// time, and none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_handle_keeps_concurrent_updates() {
    let server = StandIn::builder()
        .dev_token(true)
        .inference_delay(Duration::from_millis(20))
        .start()
        .await
        .expect("stand-in starts");
    let client = as_token(&server, "dev-token");
    let calls_counted = |id: String| {
        let client = client.clone();
        async move {
            client
                .models()
                .get_model_instance_state(&id)
                .await
                .expect("state")
                .i64("number_of_infer_calls")
        }
    };

    let racing = coin(&client).await;
    let calls: Vec<_> = (0..10)
        .map(|_| tokio::spawn(client.models().run_inference(&racing, &flip(1))))
        .collect();
    for call in calls {
        call.await.expect("task finished").expect("inferred");
    }
    let counted = calls_counted(racing).await.expect("a count");
    assert!(
        counted < 10,
        "no update was lost without the handle: {counted}"
    );

    let id = coin(&client).await;
    let handle = client.models().instance(&id);
    let calls: Vec<_> = (0..10)
        .map(|_| tokio::spawn(handle.run_inference(&flip(1))))
        .collect();
    for call in calls {
        call.await.expect("task finished").expect("inferred");
    }
    assert_eq!(calls_counted(id).await, Some(10));
}

/// An empty instance id, episode name or model name would go out as an
/// empty path segment, which the server's router drops: the call would
/// reach another operation (`get_episode_info(id, "")` is answered by
/// `get_episodes`). Such calls fail before anything is sent.
#[tokio::test]
async fn an_empty_path_parameter_is_refused_before_sending() {
    let server = StandIn::builder()
        .dev_token(true)
        .record_requests(true)
        .start()
        .await
        .expect("stand-in starts");
    let client = as_token(&server, "dev-token");
    let models = client.models();
    let id = coin(&client).await;
    let sent = server.requests().len();
    let refusals = [
        models.get_episode_info(&id, "").await.map(drop),
        models.delete_episode(&id, "").await.map(drop),
        models.wipe_episode(&id, "").await.map(drop),
        models.get_model_instance("").await.map(drop),
        models.get_episodes("").await.map(drop),
        models.get_available_model("").await.map(drop),
        models.run_inference("", &flip(1)).await.map(drop),
        models
            .attach_events_to_episode("", "default", &flips(&[1]))
            .await
            .map(drop),
    ];
    for refusal in refusals {
        let error = refusal.expect_err("an empty segment is refused");
        assert!(
            matches!(error.kind(), ApiErrorKind::EmptyPathSegment),
            "{error:?}"
        );
        assert!(error.status().is_none() && !error.is_not_found(), "{error}");
        assert!(
            error.to_string().contains("empty"),
            "the message says what is wrong: {error}"
        );
    }
    assert_eq!(server.requests().len(), sent, "nothing was sent");
    // A name with slashes (one encoded segment, never empty) is sent: the
    // server answers it, here that no such episode exists.
    let slashes = models
        .get_episode_info(&id, "//")
        .await
        .expect_err("no episode named //");
    assert!(slashes.is_not_found(), "{slashes:?}");
    assert_eq!(server.requests().len(), sent + 1);
}
