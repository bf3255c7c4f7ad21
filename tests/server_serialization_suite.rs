//! RxInferServer's own serialization tests that go over HTTP, ported and
//! run against the stand-in: `test/src/components/serialization/
//! serialization_mdarrays_tests.jl` at `5f98c5a`, testitems "Serialization
//! of matrices should change based on `Prefer` header" (over
//! `TestModelComplexState`, sizes 2, 3, 4) and "Serialization should not
//! throw an error if an unknown preference is used". Each check of the
//! Julia test is here, plus the typed reading of each answer.

use rxinfer_client::{
    Client, RequestOptions,
    models::{ArrayData, CreateModelInstanceRequest, FlatOrder, MdArray, Preferences, object},
};
use rxinfer_stand_in::StandIn;
use serde_json::{Value, json};

async fn server() -> (StandIn, Client) {
    let server = StandIn::builder()
        .dev_token(true)
        .with_test_models()
        .start()
        .await
        .expect("starts");
    let client = Client::builder()
        .base_url(server.url())
        .expect("valid URL")
        .token("dev-token:test-only")
        .expect("valid token")
        .build()
        .expect("builds");
    (server, client)
}

/// The Julia test's `with_sequential_matrix`: a new `TestModelComplexState`
/// of `size`, its state read with `Prefer: preference`; the matrix as
/// JSON, checked to have each applied piece echoed, and the instance
/// deleted.
async fn with_sequential_matrix(
    client: &Client,
    size: usize,
    preference: &str,
) -> (Value, ArrayData) {
    let models = client.models();
    let request = CreateModelInstanceRequest::new("TestModelComplexState")
        .with_description("Testing complex state")
        .with_arguments(object([("size", size)]));
    let id = models
        .create_model_instance(&request)
        .await
        .expect("created")
        .instance_id
        .clone();
    let (prefer, applied) = Preferences::parse([preference]);
    assert_eq!(applied.len(), preference.split(',').count());
    let state = models
        .with_options(RequestOptions::new().preferences(prefer))
        .get_model_instance_state(&id)
        .await
        .expect("200");
    for piece in preference.split(',') {
        assert!(
            state
                .headers()
                .get_all("preference-applied")
                .iter()
                .any(|v| v.to_str().is_ok_and(|v| v.eq_ignore_ascii_case(piece))),
            "{piece} not echoed"
        );
    }
    let typed = state.read().array("matrix").expect("an array in some form");
    let matrix = state.state["matrix"].clone();
    let deleted = models.delete_model_instance(&id).await.expect("deleted");
    assert_eq!(deleted.message, "Model instance deleted successfully");
    (matrix, typed)
}

/// 1..size² row by row, as Julia floats.
fn sequential(size: usize) -> MdArray {
    MdArray::from_row_major(
        vec![size, size],
        (1..=size * size).map(|x| x as f64).collect(),
    )
    .expect("fits")
}

#[tokio::test]
async fn serialization_of_matrices_changes_with_the_prefer_header() {
    let (_server, client) = server().await;
    for size in [2, 3, 4] {
        let expected = sequential(size);
        let shape = json!([size, size]);
        for (preference, has_type, has_encoding) in [
            ("mdarray_repr=dict", true, true),
            ("mdarray_repr=dict_type_and_shape", true, false),
            ("mdarray_repr=dict_shape", false, false),
        ] {
            let (matrix, typed) = with_sequential_matrix(&client, size, preference).await;
            assert_eq!(matrix.get("type").is_some(), has_type, "{preference}");
            if has_type {
                assert_eq!(matrix["type"], "mdarray");
            }
            assert_eq!(matrix["shape"], shape);
            assert_eq!(matrix.get("encoding").is_some(), has_encoding);
            assert!(matrix.get("data").is_some());
            assert_eq!(typed.as_full(), Some(&expected), "{preference}");
        }
        let rows: Vec<Vec<f64>> = expected.rows().map(<[f64]>::to_vec).collect();
        let column_major = expected.to_column_major();
        let row_major = expected.as_row_major().to_vec();
        let diagonal = expected.diagonal();
        for (data, payload) in [
            ("array_of_arrays", json!(rows)),
            ("reshape_column_major", json!(column_major)),
            ("reshape_row_major", json!(row_major)),
            ("diagonal", json!(diagonal)),
            ("none", Value::Null),
        ] {
            let preference = format!("mdarray_data={data}");
            let (matrix, typed) = with_sequential_matrix(&client, size, &preference).await;
            assert_eq!(matrix["encoding"], data);
            assert_eq!(matrix["data"], payload, "{preference}");
            let bare = format!("mdarray_repr=data,{preference}");
            let (matrix, typed_bare) = with_sequential_matrix(&client, size, &bare).await;
            assert_eq!(matrix, payload, "{bare}");
            // Read back: whole where the form keeps it, else what it kept.
            match data {
                "diagonal" => {
                    assert_eq!(typed.diagonal(), Some(diagonal.clone()));
                    assert_eq!(typed_bare.diagonal(), Some(diagonal.clone()));
                }
                "none" => {
                    assert_eq!(
                        typed,
                        ArrayData::Omitted {
                            shape: Some(vec![size, size])
                        }
                    );
                    assert_eq!(typed_bare, ArrayData::Omitted { shape: None });
                }
                "array_of_arrays" => {
                    assert_eq!(typed.as_full(), Some(&expected));
                    assert_eq!(typed_bare.as_full(), Some(&expected));
                }
                _ => {
                    assert_eq!(typed.as_full(), Some(&expected));
                    let order = if data == "reshape_row_major" {
                        FlatOrder::RowMajor
                    } else {
                        FlatOrder::ColumnMajor
                    };
                    let ArrayData::Flat { order: got, values } = typed_bare else {
                        panic!("{typed_bare:?}")
                    };
                    assert_eq!(got, order);
                    let back = match order {
                        FlatOrder::RowMajor => MdArray::from_row_major(vec![size, size], values),
                        FlatOrder::ColumnMajor => {
                            MdArray::from_column_major(vec![size, size], values)
                        }
                    };
                    assert_eq!(back.as_ref().ok(), Some(&expected));
                }
            }
        }
    }
}

#[tokio::test]
async fn an_unknown_preference_is_ignored_not_an_error() {
    let (_server, client) = server().await;
    let models = client.models();
    let request = CreateModelInstanceRequest::new("TestModelComplexState")
        .with_arguments(object([("size", 2)]));
    let id = models
        .create_model_instance(&request)
        .await
        .expect("created")
        .instance_id
        .clone();
    for unknown in ["mdarray_data=blahblah", "distributions_repr=blahblah"] {
        let header = http::HeaderValue::from_static(unknown);
        let state = models
            .with_options(
                RequestOptions::new().header(http::HeaderName::from_static("prefer"), header),
            )
            .get_model_instance_state(&id)
            .await
            .expect("200, the preference ignored");
        assert!(state.headers().get("preference-applied").is_none());
        assert_eq!(
            state.read().matrix("matrix").expect("the default form"),
            sequential(2)
        );
    }
}
