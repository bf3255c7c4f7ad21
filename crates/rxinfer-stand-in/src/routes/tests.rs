//! The routes, driven without sockets: each rule of the real server, and
//! the BetaBernoulli trace of its own tests.

use http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, AUTHORIZATION};
use http_body_util::BodyExt;
use serde_json::{Value, json};

use super::*;
use crate::StandInBuilder;

fn state(config: StandInBuilder) -> State {
    State::new(config)
}

fn dev() -> State {
    state(StandInBuilder::default().dev_token(true))
}

/// Sends `method path` with `token` and a JSON `body`; the status and the
/// body as JSON (`Null` when empty).
async fn call(
    state: &State,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut builder = Request::builder().method(method).uri(format!("/v1{path}"));
    if let Some(token) = token {
        builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = builder.body(()).expect("valid request");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let response = route(state, &request, body.as_bytes()).await;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("JSON")
    };
    (status, json)
}

const DEV: Option<&str> = Some("dev-token");

async fn get(state: &State, path: &str) -> (StatusCode, Value) {
    call(state, Method::GET, path, DEV, None).await
}

async fn post(state: &State, path: &str, body: Value) -> (StatusCode, Value) {
    call(state, Method::POST, path, DEV, Some(body)).await
}

async fn coin(state: &State) -> String {
    let (status, body) = post(
        state,
        "/models/create-instance",
        json!({"model_name":"BetaBernoulli-v1"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["instance_id"].as_str().expect("an id").to_owned()
}

fn not_found(message: &str) -> (StatusCode, Value) {
    (
        StatusCode::NOT_FOUND,
        json!({"error":"Not Found","message":message}),
    )
}

fn bad_request(message: &str) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({"error":"Bad Request","message":message}),
    )
}

#[tokio::test]
async fn the_beta_bernoulli_trace_of_the_servers_own_tests() {
    let state = dev();
    let id = coin(&state).await;
    let events = |xs: &[i64]| json!({"events": xs.iter().map(|x| json!({"data":{"observation":x}})).collect::<Vec<_>>()});
    let learn = || json!({"episodes":["default"]});
    let infer = |x: i64| json!({"data":{"observation":x}});

    let attached = post(
        &state,
        &format!("/models/i/{id}/episodes/default/attach-events"),
        events(&[1, 1, 0, 1, 1, 1, 0, 1, 1, 1]),
    )
    .await;
    assert_eq!(attached.0, StatusCode::OK);
    let (_, learned) = post(&state, &format!("/models/i/{id}/learn"), learn()).await;
    assert_eq!(
        learned,
        json!({"learned_parameters":{"posterior_a":9.0,"posterior_b":3.0}})
    );

    post(
        &state,
        &format!("/models/i/{id}/episodes/default/attach-events"),
        events(&[0, 1, 0, 0, 1, 0, 0, 1, 0, 0]),
    )
    .await;
    let (_, learned) = post(&state, &format!("/models/i/{id}/learn"), learn()).await;
    assert_eq!(
        learned,
        json!({"learned_parameters":{"posterior_a":12.0,"posterior_b":10.0}})
    );

    for _ in 0..2 {
        let (_, inferred) = post(&state, &format!("/models/i/{id}/infer"), infer(1)).await;
        assert_eq!(inferred["results"]["mean_p"], json!(13.0 / 23.0));
    }
    let (_, learned) = post(&state, &format!("/models/i/{id}/learn"), learn()).await;
    assert_eq!(
        learned,
        json!({"learned_parameters":{"posterior_a":14.0,"posterior_b":10.0}})
    );

    let (_, inferred) = post(&state, &format!("/models/i/{id}/infer"), infer(1)).await;
    assert_eq!(inferred["results"]["mean_p"], json!(0.6));
    assert_eq!(inferred["results"]["number_of_infer_calls"], json!(3));
    assert_eq!(inferred["event_id"], json!(23));
    assert_eq!(inferred["errors"], json!([]));
}

#[tokio::test]
async fn a_fresh_coin_infers_two_thirds_and_one_third_and_keeps_integer_priors() {
    let state = dev();
    let id = coin(&state).await;
    let (_, one) = post(
        &state,
        &format!("/models/i/{id}/infer"),
        json!({"data":{"observation":1}}),
    )
    .await;
    assert_eq!(one["results"]["mean_p"].to_string(), "0.6666666666666666");
    let (_, zero) = post(
        &state,
        &format!("/models/i/{id}/infer"),
        json!({"data":{"observation":0}}),
    )
    .await;
    assert_eq!(zero["results"]["mean_p"].to_string(), "0.3333333333333333");
    let (_, parameters) = get(&state, &format!("/models/i/{id}/parameters")).await;
    assert_eq!(
        parameters.to_string(),
        r#"{"parameters":{"posterior_a":1,"posterior_b":1}}"#
    );
    let (_, model_state) = get(&state, &format!("/models/i/{id}/state")).await;
    assert_eq!(
        model_state["state"],
        json!({"prior_a":1,"prior_b":1,"number_of_infer_calls":2})
    );
}

#[tokio::test]
async fn instances_belong_to_the_token_that_created_them() {
    let state = dev();
    state.insert_token("other".to_owned(), vec!["user".to_owned()]);
    let id = coin(&state).await;
    let theirs = call(
        &state,
        Method::GET,
        &format!("/models/i/{id}"),
        Some("other"),
        None,
    )
    .await;
    assert_eq!(theirs, not_found(crate::store::INSTANCE_NOT_FOUND));
    let listed = call(
        &state,
        Method::GET,
        "/models/instances",
        Some("other"),
        None,
    )
    .await;
    assert_eq!(listed, (StatusCode::OK, json!([])));
    // Every dev-token variant is the same owner.
    let (status, _) = call(
        &state,
        Method::GET,
        &format!("/models/i/{id}"),
        Some("dev-token:a,user"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn roles_gate_discovery_and_creation() {
    let state = dev();
    let as_admin = Some("dev-token:admin");
    let (_, models) = call(&state, Method::GET, "/models/available", as_admin, None).await;
    assert_eq!(models, json!([]));
    let missing = "The requested model name `BetaBernoulli-v1` could not be found";
    let (status, body) = call(
        &state,
        Method::GET,
        "/models/available/BetaBernoulli-v1",
        as_admin,
        None,
    )
    .await;
    assert_eq!((status, body), not_found(missing));
    let create = Some(json!({"model_name":"BetaBernoulli-v1"}));
    let (status, body) = call(
        &state,
        Method::POST,
        "/models/create-instance",
        as_admin,
        create,
    )
    .await;
    assert_eq!((status, body), not_found(missing));
    let (_, models) = get(&state, "/models/available").await;
    let names: Vec<&str> = models
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|m| m["details"]["name"].as_str())
        .collect();
    assert_eq!(names, ["BetaBernoulli-v1", "DirichletCategorical-v1"]);
}

#[tokio::test]
async fn creation_overlays_defaults_and_checks_required_arguments() {
    let state = state(
        StandInBuilder::default()
            .dev_token(true)
            .model(crate::model::tests_support::counter("Ordered-v1", true)),
    );
    let (_, created) = post(
        &state,
        "/models/create-instance",
        json!({"model_name":"BetaBernoulli-v1","arguments":{"prior_a":2}}),
    )
    .await;
    let id = created["instance_id"].as_str().expect("an id");
    let (_, instance) = get(&state, &format!("/models/i/{id}")).await;
    assert_eq!(instance["arguments"], json!({"prior_a":2,"prior_b":1}));
    assert_eq!(instance["description"], json!(""));
    assert_eq!(instance["current_episode"], json!("default"));
    let (status, body) = post(
        &state,
        "/models/create-instance",
        json!({"model_name":"Ordered-v1"}),
    )
    .await;
    assert_eq!(
        (status, body),
        bad_request(
            "model configuration validation error - model configuration argument order is required"
        )
    );
}

#[tokio::test]
async fn a_body_the_server_cannot_read_is_a_bare_500_even_without_a_token() {
    let state = dev();
    for (path, body) in [
        ("/models/create-instance", json!({"description":"no model"})),
        (
            "/models/i/x/infer",
            json!({"timestamp":"2024-03-20T12:00:00Z"}),
        ),
        ("/models/i/x/learn", json!({"relearn":true})),
        ("/models/i/x/create-episode", json!({})),
        (
            "/models/i/x/episodes/default/events/abc/attach-metadata",
            json!({"metadata":{}}),
        ),
        ("/models/i/x/infer", json!(["data"])),
    ] {
        for token in [None, DEV] {
            let (status, answer) =
                call(&state, Method::POST, path, token, Some(body.clone())).await;
            assert_eq!(
                (status, answer),
                (StatusCode::INTERNAL_SERVER_ERROR, Value::Null),
                "{path} {body}"
            );
        }
    }
    let long = "x".repeat(129);
    let (status, _) = post(
        &state,
        "/models/create-instance",
        json!({"model_name":"BetaBernoulli-v1","description":long}),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn inference_records_in_the_named_episode_and_reports_when_it_cannot() {
    let state = dev();
    let id = coin(&state).await;
    post(
        &state,
        &format!("/models/i/{id}/create-episode"),
        json!({"name":"second"}),
    )
    .await;
    // The current episode is now "second", but events go to "default".
    let (_, inferred) = post(
        &state,
        &format!("/models/i/{id}/infer"),
        json!({"data":{"observation":1},"timestamp":"2024-03-20T12:00:00+02:00"}),
    )
    .await;
    assert_eq!(inferred["event_id"], json!(1));
    let (_, default) = get(&state, &format!("/models/i/{id}/episodes/default")).await;
    assert_eq!(
        default["events"],
        json!([{"event_id":1,"data":{"observation":1},"timestamp":"2024-03-20T12:00:00","processed":false}])
    );
    let (_, nowhere) = post(
        &state,
        &format!("/models/i/{id}/infer"),
        json!({"data":{"observation":1},"episode_name":"missing"}),
    )
    .await;
    assert_eq!(nowhere["event_id"], Value::Null);
    assert_eq!(
        nowhere["errors"],
        json!([{"error":"Bad Request","message":crate::store::EVENT_NOT_RECORDED}])
    );
    let failed = post(
        &state,
        &format!("/models/i/{id}/infer"),
        json!({"data":{"value":1}}),
    )
    .await;
    assert_eq!(
        failed,
        bad_request("Unable to run inference due to internal error")
    );
}

#[tokio::test]
async fn episodes_follow_the_servers_rules() {
    let state = dev();
    let id = coin(&state).await;
    let episode = |name: &str| format!("/models/i/{id}/episodes/{name}");
    let (_, created) = post(
        &state,
        &format!("/models/i/{id}/create-episode"),
        json!({"name":"a b/c?d#e%"}),
    )
    .await;
    assert_eq!(created["episode_name"], json!("a b/c?d#e%"));
    assert_eq!(
        created["parameters"],
        json!({"posterior_a":1,"posterior_b":1})
    );
    let again = post(
        &state,
        &format!("/models/i/{id}/create-episode"),
        json!({"name":"a b/c?d#e%"}),
    )
    .await;
    assert_eq!(again, bad_request("The requested episode already exists"));
    let encoded = episode("a%20b%2Fc%3Fd%23e%25");
    assert_eq!(get(&state, &encoded).await.0, StatusCode::OK);
    let (_, instance) = get(&state, &format!("/models/i/{id}")).await;
    assert_eq!(instance["current_episode"], json!("a b/c?d#e%"));

    let deleted = call(&state, Method::DELETE, &encoded, DEV, None).await;
    assert_eq!(
        deleted,
        (
            StatusCode::OK,
            json!({"message":"Episode deleted successfully"})
        )
    );
    let (_, instance) = get(&state, &format!("/models/i/{id}")).await;
    assert_eq!(instance["current_episode"], json!("default"));
    let default = call(&state, Method::DELETE, &episode("default"), DEV, None).await;
    assert_eq!(
        default,
        bad_request("Default episode cannot be deleted, wipe data instead")
    );
    let gone = call(&state, Method::DELETE, &encoded, DEV, None).await;
    assert_eq!(gone, not_found(crate::store::EPISODE_NOT_FOUND));
    // A deleted name can be used again.
    let (status, _) = post(
        &state,
        &format!("/models/i/{id}/create-episode"),
        json!({"name":"a b/c?d#e%"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, episodes) = get(&state, &format!("/models/i/{id}/episodes")).await;
    assert_eq!(episodes.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn wiping_empties_restarts_ids_and_resets_parameters() {
    let state = dev();
    let id = coin(&state).await;
    let attach = json!({"events":[{"data":{"observation":1}},{"data":{"observation":1},"processed":true,"metadata":{"k":1}}]});
    post(
        &state,
        &format!("/models/i/{id}/episodes/default/attach-events"),
        attach.clone(),
    )
    .await;
    let (_, learned) = post(
        &state,
        &format!("/models/i/{id}/learn"),
        json!({"episodes":["default"]}),
    )
    .await;
    // The processed event is skipped.
    assert_eq!(
        learned["learned_parameters"],
        json!({"posterior_a":2.0,"posterior_b":1.0})
    );
    let wiped = post(
        &state,
        &format!("/models/i/{id}/episodes/default/wipe"),
        Value::Null,
    )
    .await;
    assert_eq!(
        wiped,
        (
            StatusCode::OK,
            json!({"message":"Episode wiped successfully"})
        )
    );
    let (_, episode) = get(&state, &format!("/models/i/{id}/episodes/default")).await;
    assert_eq!(episode["events"], json!([]));
    assert_eq!(
        episode["parameters"],
        json!({"posterior_a":1,"posterior_b":1})
    );
    post(
        &state,
        &format!("/models/i/{id}/episodes/default/attach-events"),
        attach,
    )
    .await;
    let (_, episode) = get(&state, &format!("/models/i/{id}/episodes/default")).await;
    assert_eq!(episode["events"][0]["event_id"], json!(1));
    assert_eq!(episode["events"][1]["metadata"], json!({"k":1}));
    assert_eq!(episode["events"][0]["metadata"], json!({}));
}

#[tokio::test]
async fn learning_takes_one_existing_episode_and_relearn_does_not_reset() {
    let state = dev();
    let id = coin(&state).await;
    let path = format!("/models/i/{id}/learn");
    let learn = |body: Value| post(&state, &path, body);
    let one = bad_request("Learning is supported only for one episode at a time");
    assert_eq!(learn(json!({"episodes":[]})).await, one);
    assert_eq!(learn(json!({"episodes":["default","other"]})).await, one);
    assert_eq!(
        learn(json!({"episodes":["missing"]})).await,
        not_found(crate::store::EPISODE_NOT_FOUND)
    );
    post(
        &state,
        &format!("/models/i/{id}/episodes/default/attach-events"),
        json!({"events":[{"data":{"observation":1}}]}),
    )
    .await;
    let (_, first) = learn(json!({"episodes":["default"]})).await;
    assert_eq!(first["learned_parameters"]["posterior_a"], json!(2.0));
    let (_, again) = learn(json!({"episodes":["default"],"relearn":true})).await;
    assert_eq!(again["learned_parameters"]["posterior_a"], json!(3.0));
}

#[tokio::test]
async fn metadata_replaces_and_unknown_events_fail() {
    let state = dev();
    let id = coin(&state).await;
    post(
        &state,
        &format!("/models/i/{id}/infer"),
        json!({"data":{"observation":1}}),
    )
    .await;
    let path = |episode: &str, event: i64| {
        format!("/models/i/{id}/episodes/{episode}/events/{event}/attach-metadata")
    };
    let metadata = json!({"metadata":{"source":"a"}});
    let ok = post(&state, &path("default", 1), metadata.clone()).await;
    assert_eq!(
        ok,
        (
            StatusCode::OK,
            json!({"message":"Metadata attached to the event successfully"})
        )
    );
    let failed = bad_request("Unable to attach metadata to the event due to internal error");
    assert_eq!(
        post(&state, &path("default", 1), metadata.clone()).await,
        failed
    );
    assert_eq!(
        post(&state, &path("default", 9), metadata.clone()).await,
        failed
    );
    assert_eq!(
        post(&state, &path("nope", 1), metadata).await,
        not_found(
            "The requested episode could not be found or the event with the specified ID does not exist"
        )
    );
    let (_, episode) = get(&state, &format!("/models/i/{id}/episodes/default")).await;
    assert_eq!(episode["events"][0]["metadata"], json!({"source":"a"}));
}

#[tokio::test]
async fn a_deleted_instance_is_gone_for_every_call() {
    let state = dev();
    let id = coin(&state).await;
    let deleted = call(
        &state,
        Method::DELETE,
        &format!("/models/i/{id}"),
        DEV,
        None,
    )
    .await;
    assert_eq!(
        deleted,
        (
            StatusCode::OK,
            json!({"message":"Model instance deleted successfully"})
        )
    );
    let instance_gone = not_found(crate::store::INSTANCE_NOT_FOUND);
    let model_gone = not_found(crate::store::MODEL_NOT_FOUND);
    assert_eq!(get(&state, &format!("/models/i/{id}")).await, instance_gone);
    assert_eq!(
        get(&state, &format!("/models/i/{id}/episodes")).await,
        instance_gone
    );
    assert_eq!(
        post(
            &state,
            &format!("/models/i/{id}/episodes/default/wipe"),
            Value::Null
        )
        .await,
        model_gone
    );
    assert_eq!(
        call(
            &state,
            Method::DELETE,
            &format!("/models/i/{id}"),
            DEV,
            None
        )
        .await,
        instance_gone
    );
    assert_eq!(
        get(&state, "/models/instances").await,
        (StatusCode::OK, json!([]))
    );
}

#[tokio::test]
async fn server_routes_and_auth() {
    let state = dev();
    assert_eq!(
        call(&state, Method::GET, "/ping", None, None).await,
        (StatusCode::OK, json!({"status":"ok"}))
    );
    let (status, body) = call(&state, Method::GET, "/info", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], json!(UNAUTHORIZED_MESSAGE_WITH_DEV_TOKEN));
    let (status, info) = get(&state, "/info").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["api_version"], json!("v1"));
}

#[tokio::test]
async fn generated_tokens_are_uuids_with_the_user_role() {
    let state = state(StandInBuilder::default());
    let (status, body) = call(&state, Method::POST, "/token/generate", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let token = body["token"].as_str().expect("a token");
    assert!(uuid::Uuid::parse_str(token).is_ok());
    let (_, roles) = call(&state, Method::GET, "/token/roles", Some(token), None).await;
    assert_eq!(roles, json!({"roles":["user"]}));
}

#[tokio::test]
async fn a_presented_token_is_echoed_not_minted() {
    let state = state(StandInBuilder::default());
    let (_, body) = call(&state, Method::POST, "/token/generate", Some("abc"), None).await;
    assert_eq!(body, json!({"token":"abc"}));
    assert_eq!(state.generated(), 0);
}

#[tokio::test]
async fn the_401_body_is_the_real_servers_and_only_the_literal_prefix_counts() {
    let state = dev();
    for header in [
        "bearer dev-token",
        "Bearer  dev-token",
        "dev-token",
        "Basic dev-token",
    ] {
        let request = Request::get("/v1/token/roles")
            .header(AUTHORIZATION, header)
            .body(())
            .expect("valid request");
        assert_eq!(
            route(&state, &request, b"").await.status(),
            StatusCode::UNAUTHORIZED,
            "{header}"
        );
    }
    let plain = state_without_dev();
    let (status, body) = call(&plain, Method::GET, "/token/roles", Some("unknown"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"error":"Unauthorized","message":UNAUTHORIZED_MESSAGE})
    );
    assert_eq!(
        call(&plain, Method::GET, "/token/roles", DEV, None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

fn state_without_dev() -> State {
    state(StandInBuilder::default())
}

#[tokio::test]
async fn dev_token_forms() {
    let state = dev();
    assert_eq!(
        get(&state, "/token/roles").await.1,
        json!({"roles":["user"]})
    );
    let (_, roles) = call(
        &state,
        Method::GET,
        "/token/roles",
        Some("dev-token:a,b"),
        None,
    )
    .await;
    assert_eq!(roles, json!({"roles":["a","b"]}));
    let (status, _) = call(
        &state,
        Method::GET,
        "/token/roles",
        Some("dev-token:a:b"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn failing_generation_is_the_documented_400() {
    let state = state(StandInBuilder::default().fail_token_generation(true));
    let answer = call(&state, Method::POST, "/token/generate", None, None).await;
    assert_eq!(answer, bad_request(BAD_REQUEST_MESSAGE));
}

#[tokio::test]
async fn unknown_routes_methods_and_options() {
    let state = dev();
    let cases = [
        (
            Method::GET,
            "/v1/token/generate",
            StatusCode::METHOD_NOT_ALLOWED,
            Some("POST"),
        ),
        (
            Method::POST,
            "/v1/token/roles",
            StatusCode::METHOD_NOT_ALLOWED,
            Some("GET"),
        ),
        (
            Method::PUT,
            "/v1/models/i/x",
            StatusCode::METHOD_NOT_ALLOWED,
            Some("GET, DELETE"),
        ),
        (Method::GET, "/v1/nope", StatusCode::NOT_FOUND, None),
        (Method::GET, "/token/roles", StatusCode::NOT_FOUND, None),
        (Method::OPTIONS, "/anything", StatusCode::OK, None),
    ];
    for (method, path, expected, allow) in cases {
        let request = Request::builder()
            .method(method.clone())
            .uri(path)
            .body(())
            .expect("request");
        let response = route(&state, &request, b"").await;
        assert_eq!(response.status(), expected, "{method} {path}");
        assert_eq!(response.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert_eq!(
            response.headers().get(ALLOW).and_then(|v| v.to_str().ok()),
            allow
        );
    }
}

#[tokio::test]
async fn an_unavailable_start_answers_503_then_serves() {
    let state = state(StandInBuilder::default().unavailable_for(2));
    for _ in 0..2 {
        let request = Request::post("/v1/token/generate")
            .body(())
            .expect("request");
        let response = route(&state, &request, b"").await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[RETRY_AFTER], "0");
    }
    assert_eq!(
        call(&state, Method::POST, "/token/generate", None, None)
            .await
            .0,
        StatusCode::OK
    );
}

/// HTTP.jl's router drops empty path segments: a trailing `/` or a `//`
/// routes as if it were not there, so an empty episode name reaches
/// `get_episodes`, and an empty instance id makes the next segment the id.
#[tokio::test]
async fn empty_path_segments_are_dropped_as_the_real_router_drops_them() {
    let state = dev();
    let id = coin(&state).await;
    let episodes = get(&state, &format!("/models/i/{id}/episodes")).await;
    assert_eq!(episodes.0, StatusCode::OK);
    assert!(episodes.1.is_array(), "{}", episodes.1);
    for same in [
        format!("/models/i/{id}/episodes/"),
        format!("/models/i/{id}//episodes"),
        format!("//models/i/{id}/episodes//"),
    ] {
        assert_eq!(get(&state, &same).await, episodes, "{same}");
    }
    // `/v1//ping`, and the base path's own segments.
    assert_eq!(
        call(&state, Method::GET, "//ping", None, None).await,
        (StatusCode::OK, json!({"status":"ok"}))
    );
    // `get_model_instance("")` followed by `/episodes` asks for an instance
    // called `episodes`.
    assert_eq!(
        get(&state, "/models/i//episodes").await,
        not_found("The requested model instance could not be found")
    );
    let request = Request::get("//v1/ping").body(()).expect("request");
    assert_eq!(route(&state, &request, b"").await.status(), StatusCode::OK);
    let request = Request::get("/v1ping").body(()).expect("request");
    assert_eq!(
        route(&state, &request, b"").await.status(),
        StatusCode::NOT_FOUND
    );
}

/// A path of segments drawn from the routes' own words, ids, encodings and
/// noise: to reach past the router into the handlers more often than noise.
fn path_like() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let segment = prop_oneof![
        prop::sample::select(vec![
            "v1",
            "models",
            "i",
            "available",
            "instances",
            "create-instance",
            "state",
            "parameters",
            "infer",
            "learn",
            "episodes",
            "create-episode",
            "attach-events",
            "wipe",
            "events",
            "attach-metadata",
            "token",
            "roles",
            "generate",
            "ping",
            "info",
            "default",
            "BetaBernoulli-v1",
            "%2F",
            "%",
            "..",
            ".",
            "",
        ])
        .prop_map(str::to_owned),
        "[a-z0-9%-]{0,12}",
    ];
    prop::collection::vec(segment, 0..8).prop_map(|segments| format!("/{}", segments.join("/")))
}

proptest::proptest! {
    /// Any method, path, token and body: an answer, never a panic, and a
    /// JSON body whenever there is one (the stand-in's request parsing,
    /// fuzzed).
    #[test]
    fn any_request_gets_an_answer_never_a_panic(
        method in proptest::sample::select(vec![Method::GET, Method::POST, Method::DELETE, Method::PUT, Method::OPTIONS]),
        path in path_like(),
        token in proptest::option::of(proptest::sample::select(vec!["dev-token", "dev-token:a,b", "unknown", ""])),
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..128),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let state = dev();
            let mut builder = Request::builder().method(method).uri(path);
            if let Some(token) = token {
                builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
            }
            // A path `http` refuses never reaches a server.
            let Ok(request) = builder.body(()) else {
                return Ok(());
            };
            let response = route(&state, &request, &body).await;
            let bytes = response.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
            if !bytes.is_empty() {
                proptest::prop_assert!(serde_json::from_slice::<Value>(&bytes).is_ok());
            }
            Ok(())
        })?;
    }
}

/// The `Preference-Applied` lines of `path` asked with `prefer` headers.
async fn applied(
    state: &State,
    method: Method,
    path: &str,
    prefer: &[&str],
) -> (StatusCode, Vec<String>) {
    let mut builder = Request::builder()
        .method(method)
        .uri(format!("/v1{path}"))
        .header(AUTHORIZATION, "Bearer dev-token");
    for value in prefer {
        builder = builder.header("Prefer", *value);
    }
    let request = builder.body(()).expect("valid request");
    let response = route(state, &request, b"").await;
    let lines = response
        .headers()
        .get_all("preference-applied")
        .iter()
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .collect();
    (response.status(), lines)
}

#[tokio::test]
async fn each_applied_piece_is_echoed_on_a_line_of_its_own_on_200s_only() {
    let state = dev();
    // Request order, across headers; defaults echoed too; ignored pieces
    // (unknown values, inner spaces, unknown keys) never.
    let (status, lines) = applied(
        &state,
        Method::GET,
        "/ping",
        &[
            "mdarray_repr=dict,mdarray_data=blahblah, distributions_data=none",
            "x=y,distributions_repr=data",
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(lines, ["mdarray_repr=dict", "distributions_repr=data"]);
    // Not on 404, 401, an unknown route, or OPTIONS.
    let prefer = ["mdarray_repr=data"];
    let (status, lines) =
        applied(&state, Method::GET, "/models/instances/nope/state", &prefer).await;
    assert_eq!((status, lines.len()), (StatusCode::NOT_FOUND, 0));
    let (status, lines) = applied(&state, Method::GET, "/nowhere", &prefer).await;
    assert_eq!((status, lines.len()), (StatusCode::NOT_FOUND, 0));
    let (status, lines) = applied(&state, Method::OPTIONS, "/ping", &prefer).await;
    assert_eq!((status, lines.len()), (StatusCode::OK, 0));
    let (status, lines) = applied(&state, Method::GET, "/models/available", &prefer).await;
    assert_eq!(
        (status, lines),
        (StatusCode::OK, vec!["mdarray_repr=data".to_owned()])
    );
}
