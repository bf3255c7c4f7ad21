//! The real server's test models (`test/models_for_testing`), served with
//! `with_test_models()` (its `RXINFER_SERVER_LOAD_TEST_MODELS=true`) or
//! `--test-models`, over real HTTP: listed as their `config.yaml`, behaving
//! as their `model.jl`.

mod common;

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

use common::call;
use rxinfer_stand_in::StandIn;
use serde_json::{Value, json};

// The fixtures: each `config.yaml` of lazydynamics/RxInferServer at commit
// 5f98c5ac432bcf4ad7f4e323ec4d6c1168aaf3f9, verbatim.

/// `test/models_for_testing/test-model-create-endpoint/config.yaml`.
const CREATE_ENDPOINT: &str = r#"name: TestModelCreateEndpoint
description: This model is used to test the create endpoint.
author: Lazy Dynamics
roles:
  - test-only

arguments:
  - name: a
    type: float
    description: The `a` argument
    default: 1.0
  - name: b
    type: float
    description: The `b` argument
    default: 1.0"#;

/// `test/models_for_testing/test-model-inference-call/config.yaml`.
const INFERENCE_CALL: &str = r#"name: TestModelInferenceCall
description: This model is used to test the inference call.
author: Lazy Dynamics
roles:
  - test-only

arguments:
  - name: a
    type: float
    description: The `a` argument
    default: 1.0
  - name: b
    type: float
    description: The `b` argument
    default: 1.0"#;

/// `test/models_for_testing/test-model-information-endpoint/config.yaml`.
const INFORMATION_ENDPOINT: &str = r#"name: TestModelInformationEndpoint
description: This model is used to test the information endpoint.
author: Lazy Dynamics
roles:
  - test-only"#;

/// `test/models_for_testing/test-model-learning-call/config.yaml`.
const LEARNING_CALL: &str = r#"name: TestModelLearningCall
description: This model is used to test the learning call.
author: Lazy Dynamics
roles:
  - test-only"#;

/// `test/models_for_testing/test-model-matrix-argument/config.yaml`.
const COMPLEX_STATE: &str = r#"name: TestModelComplexState
description: |
  This model is used to test the interaction between the server and the client
  when a complex state is involved. The following structures are present in the state:

  - `matrix` - a size x size matrix with elements 1, 2, 3, ... in the row-major order
author: Lazy Dynamics
roles:
  - test-only

arguments:
  - name: size
    description: The size used to create the matrices or distributions"#;

/// `test/models_for_testing/test-model-roles-availability/config.yaml`.
const ROLES_AVAILABILITY: &str = r#"name: TestModelRolesAvailability
description: |
  This model is used to test role based access control.
author: Lazy Dynamics
roles:
  - test-model-roles-availability"#;

async fn test_server() -> StandIn {
    StandIn::builder()
        .dev_token(true)
        .with_test_models()
        .start()
        .await
        .expect("the stand-in starts")
}

const TEST_ONLY: &str = "dev-token:test-only";

/// The listing entry the real server makes of `yaml`.
fn listed(yaml: &str) -> Value {
    let config: Value = serde_yaml_ng::from_str(yaml).expect("the fixture is YAML");
    json!({
        "details": {
            "name": config["name"],
            "description": config["description"],
            "author": config["author"],
            "roles": config["roles"],
        },
        "config": config,
    })
}

#[tokio::test]
async fn each_test_model_is_listed_as_its_config_yaml() {
    let server = test_server().await;
    for (yaml, token) in [
        (CREATE_ENDPOINT, TEST_ONLY),
        (INFERENCE_CALL, TEST_ONLY),
        (INFORMATION_ENDPOINT, TEST_ONLY),
        (LEARNING_CALL, TEST_ONLY),
        (COMPLEX_STATE, TEST_ONLY),
        (
            ROLES_AVAILABILITY,
            "dev-token:test-model-roles-availability",
        ),
    ] {
        let entry = listed(yaml);
        let name = entry["details"]["name"]
            .as_str()
            .expect("a name")
            .to_owned();
        let path = format!("/models/available/{name}");
        assert_eq!(
            call(&server, "GET", &path, token, None).await,
            (200, entry),
            "{name}"
        );
    }
    let (_, visible) = call(&server, "GET", "/models/available", TEST_ONLY, None).await;
    let mut names: Vec<&str> = visible
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|m| m["details"]["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "TestModelComplexState",
            "TestModelCreateEndpoint",
            "TestModelInferenceCall",
            "TestModelInformationEndpoint",
            "TestModelLearningCall",
        ]
    );
    // The block scalar keeps its newlines.
    assert!(
        listed(COMPLEX_STATE)["details"]["description"]
            .as_str()
            .is_some_and(|d| d.ends_with("row-major order\n"))
    );
}

#[tokio::test]
async fn test_models_are_served_only_when_asked_for() {
    let server = common::dev_server().await;
    let (_, visible) = call(&server, "GET", "/models/available", TEST_ONLY, None).await;
    assert_eq!(visible, json!([]));
}

/// Its `initial_state` fills a `size`×`size` Float64 matrix with 1, 2, 3,
/// ... row by row; without `size` it throws (KeyError), which escapes
/// the handler: a bare 500.
#[tokio::test]
async fn the_complex_state_is_a_matrix_in_the_default_json_form() {
    let server = test_server().await;
    let create =
        |arguments: Value| json!({"model_name": "TestModelComplexState", "arguments": arguments});
    let made = |size: i64| create(json!({ "size": size }));
    let (status, created) = call(
        &server,
        "POST",
        "/models/create-instance",
        TEST_ONLY,
        Some(&made(2)),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["instance_id"].as_str().expect("an id");
    let state = call(
        &server,
        "GET",
        &format!("/models/i/{id}/state"),
        TEST_ONLY,
        None,
    )
    .await;
    assert_eq!(
        state,
        (
            200,
            json!({"state": {"matrix": {
                "type": "mdarray",
                "encoding": "array_of_arrays",
                "shape": [2, 2],
                "data": [[1.0, 2.0], [3.0, 4.0]],
            }}})
        )
    );
    assert_eq!(
        state.1["state"]["matrix"]["data"].to_string(),
        "[[1.0,2.0],[3.0,4.0]]"
    );
    let parameters = call(
        &server,
        "GET",
        &format!("/models/i/{id}/parameters"),
        TEST_ONLY,
        None,
    )
    .await;
    assert_eq!(parameters, (200, json!({"parameters": {}})));

    let (_, created) = call(
        &server,
        "POST",
        "/models/create-instance",
        TEST_ONLY,
        Some(&made(3)),
    )
    .await;
    let id = created["instance_id"].as_str().expect("an id");
    let (_, state) = call(
        &server,
        "GET",
        &format!("/models/i/{id}/state"),
        TEST_ONLY,
        None,
    )
    .await;
    assert_eq!(
        state["state"]["matrix"]["data"],
        json!([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    );

    for arguments in [json!({}), json!({"size": -1}), json!({"size": 2.5})] {
        let failed = call(
            &server,
            "POST",
            "/models/create-instance",
            TEST_ONLY,
            Some(&create(arguments.clone())),
        )
        .await;
        assert_eq!(failed, (500, Value::Null), "{arguments}");
    }
    let (_, instances) = call(&server, "GET", "/models/instances", TEST_ONLY, None).await;
    assert_eq!(
        instances.as_array().map(Vec::len),
        Some(2),
        "nothing stored for a failure"
    );
}

/// What each `model.jl` defines, and what it does not.
#[tokio::test]
async fn the_test_models_behave_as_their_model_jl() {
    let server = test_server().await;
    let as_test_only = |method: &'static str, path: String, body: Option<Value>| {
        let server = &server;
        async move { call(server, method, &path, TEST_ONLY, body.as_ref()).await }
    };
    let create = |name: &str, arguments: Value| json!({"model_name": name, "arguments": arguments});

    // No initial_state in an empty model.jl.
    let empty = as_test_only(
        "POST",
        "/models/create-instance".into(),
        Some(create("TestModelInformationEndpoint", json!({}))),
    )
    .await;
    assert_eq!(empty, (500, Value::Null));

    // State and parameters are the arguments; no run_inference (400), no
    // run_learning (500).
    let (_, created) = as_test_only(
        "POST",
        "/models/create-instance".into(),
        Some(create("TestModelCreateEndpoint", json!({"a": 2.0, "b": 3}))),
    )
    .await;
    let id = created["instance_id"].as_str().expect("an id").to_owned();
    let (_, state) = as_test_only("GET", format!("/models/i/{id}/state"), None).await;
    assert_eq!(state, json!({"state": {"a": 2.0, "b": 3}}));
    let (_, parameters) = as_test_only("GET", format!("/models/i/{id}/parameters"), None).await;
    assert_eq!(parameters, json!({"parameters": {"a": 2.0, "b": 3}}));
    let inferred = as_test_only(
        "POST",
        format!("/models/i/{id}/infer"),
        Some(json!({"data": {"x": 1}})),
    )
    .await;
    assert_eq!(inferred.0, 400);
    let learned = as_test_only(
        "POST",
        format!("/models/i/{id}/learn"),
        Some(json!({"episodes": ["default"]})),
    )
    .await;
    assert_eq!(learned, (500, Value::Null));

    // Inference echoes the data and counts.
    let (_, created) = as_test_only(
        "POST",
        "/models/create-instance".into(),
        Some(create("TestModelInferenceCall", json!({}))),
    )
    .await;
    let id = created["instance_id"].as_str().expect("an id").to_owned();
    let data = json!({"observation": [1, 2.5, "x"], "nested": {"k": null}});
    let (status, inferred) = as_test_only(
        "POST",
        format!("/models/i/{id}/infer"),
        Some(json!({ "data": data })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(inferred["results"], data);
    let (_, state) = as_test_only("GET", format!("/models/i/{id}/state"), None).await;
    assert_eq!(state, json!({"state": {"number_of_inference_calls": 1}}));

    // Learning sums observations into an integer `parameter`.
    let (_, created) = as_test_only(
        "POST",
        "/models/create-instance".into(),
        Some(create("TestModelLearningCall", json!({}))),
    )
    .await;
    let id = created["instance_id"].as_str().expect("an id").to_owned();
    let events: Vec<Value> = (1..=4)
        .map(|i| json!({"data": {"observation": i}}))
        .collect();
    as_test_only(
        "POST",
        format!("/models/i/{id}/episodes/default/attach-events"),
        Some(json!({ "events": events })),
    )
    .await;
    let learn = || {
        as_test_only(
            "POST",
            format!("/models/i/{id}/learn"),
            Some(json!({"episodes": ["default"]})),
        )
    };
    assert_eq!(
        learn().await,
        (200, json!({"learned_parameters": {"parameter": 10}}))
    );
    // Nothing new to learn: the integer stays an integer.
    assert_eq!(
        learn().await.1.to_string(),
        r#"{"learned_parameters":{"parameter":10}}"#
    );
    let (_, state) = as_test_only("GET", format!("/models/i/{id}/state"), None).await;
    assert_eq!(
        state,
        json!({"state": {"number_of_inference_calls": 0, "number_of_learning_calls": 2, "number_of_processed_events": 4}})
    );
    let no_observation = json!({"events": [{"data": {"other": 1}}]});
    as_test_only(
        "POST",
        format!("/models/i/{id}/episodes/default/attach-events"),
        Some(no_observation),
    )
    .await;
    assert_eq!(learn().await, (500, Value::Null));
}

/// The binary's `--test-models`, as `RXINFER_SERVER_LOAD_TEST_MODELS=true`.
#[tokio::test]
async fn the_binary_serves_the_test_models_with_a_flag() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rxinfer-stand-in"))
        .args(["--port", "0", "--dev-token", "--test-models"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut url = String::new();
    let stdout = child.stdout.take().expect("its output");
    BufReader::new(stdout).read_line(&mut url).expect("its URL");
    let addr = url
        .trim()
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).expect("connects");
        stream
            .write_all(
                b"GET /v1/models/available/TestModelLearningCall HTTP/1.1\r\nhost: x\r\n\
                  authorization: Bearer dev-token:test-only\r\nconnection: close\r\n\r\n",
            )
            .expect("sent");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        answer
    })
    .await
    .expect("the request ran");
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("This model is used to test the learning call."));
}
