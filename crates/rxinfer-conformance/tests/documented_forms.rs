//! Every `mdarray_repr` × `mdarray_data` (20) and `distributions_repr` ×
//! `distributions_data` (16, for two distributions) combination: the exact
//! JSON the server's documentation and doctests give is decoded by
//! `rxinfer-models` and encoded back to the same bytes, and the stand-in,
//! asked with `Prefer` over a socket, writes those same bytes.
//!
//! Source: `serialization.md` §4, read from lazydynamics/RxInferServer at
//! `5f98c5a` (`src/components/serialization/serialization_{mdarrays,distributions}.jl`
//! docstrings, `test/src/components/serialization/*_tests.jl`).

use rxinfer_client::{
    Client,
    models::{
        ArrayData, CreateModelInstanceRequest, Distribution, JsonObject, MdArray, Moment,
        Preferences, object,
    },
};
use rxinfer_stand_in::{Inference, Learning, Model, ModelConfig, ModelError, StandIn};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn prefer(header: &str) -> Preferences {
    let (preferences, applied) = Preferences::parse([header]);
    assert_eq!(applied.len(), header.split(',').count(), "{header}");
    preferences
}

/// The 2×2 matrix `[1 2; 3 4]` of Julia integers, in all 20 forms (§4.2).
const MATRIX_FORMS: [(&str, &str, &str); 20] = [
    (
        "dict",
        "array_of_arrays",
        r#"{"type":"mdarray","encoding":"array_of_arrays","shape":[2,2],"data":[[1,2],[3,4]]}"#,
    ),
    (
        "dict",
        "reshape_column_major",
        r#"{"type":"mdarray","encoding":"reshape_column_major","shape":[2,2],"data":[1,3,2,4]}"#,
    ),
    (
        "dict",
        "reshape_row_major",
        r#"{"type":"mdarray","encoding":"reshape_row_major","shape":[2,2],"data":[1,2,3,4]}"#,
    ),
    (
        "dict",
        "diagonal",
        r#"{"type":"mdarray","encoding":"diagonal","shape":[2,2],"data":[1,4]}"#,
    ),
    (
        "dict",
        "none",
        r#"{"type":"mdarray","encoding":"none","shape":[2,2],"data":null}"#,
    ),
    (
        "dict_type_and_shape",
        "array_of_arrays",
        r#"{"type":"mdarray","shape":[2,2],"data":[[1,2],[3,4]]}"#,
    ),
    (
        "dict_type_and_shape",
        "reshape_column_major",
        r#"{"type":"mdarray","shape":[2,2],"data":[1,3,2,4]}"#,
    ),
    (
        "dict_type_and_shape",
        "reshape_row_major",
        r#"{"type":"mdarray","shape":[2,2],"data":[1,2,3,4]}"#,
    ),
    (
        "dict_type_and_shape",
        "diagonal",
        r#"{"type":"mdarray","shape":[2,2],"data":[1,4]}"#,
    ),
    (
        "dict_type_and_shape",
        "none",
        r#"{"type":"mdarray","shape":[2,2],"data":null}"#,
    ),
    (
        "dict_shape",
        "array_of_arrays",
        r#"{"shape":[2,2],"data":[[1,2],[3,4]]}"#,
    ),
    (
        "dict_shape",
        "reshape_column_major",
        r#"{"shape":[2,2],"data":[1,3,2,4]}"#,
    ),
    (
        "dict_shape",
        "reshape_row_major",
        r#"{"shape":[2,2],"data":[1,2,3,4]}"#,
    ),
    ("dict_shape", "diagonal", r#"{"shape":[2,2],"data":[1,4]}"#),
    ("dict_shape", "none", r#"{"shape":[2,2],"data":null}"#),
    ("data", "array_of_arrays", "[[1,2],[3,4]]"),
    ("data", "reshape_column_major", "[1,3,2,4]"),
    ("data", "reshape_row_major", "[1,2,3,4]"),
    ("data", "diagonal", "[1,4]"),
    ("data", "none", "null"),
];

#[test]
fn all_twenty_matrix_forms_decode_exactly_and_encode_to_the_same_bytes() {
    let matrix = MdArray::from_rows(vec![vec![1_i64, 2], vec![3, 4]]).unwrap();
    for (repr, data, body) in MATRIX_FORMS {
        let applied = prefer(&format!("mdarray_repr={repr},mdarray_data={data}"));
        let decoded = ArrayData::<i64>::from_slice(body.as_bytes(), &applied)
            .unwrap_or_else(|e| panic!("{repr} {data}: {e}"));
        let shape = (repr != "data").then(|| vec![2, 2]);
        let expected = match data {
            "diagonal" => ArrayData::Diagonal {
                shape,
                values: vec![1, 4],
            },
            "none" => ArrayData::Omitted { shape },
            "reshape_column_major" | "reshape_row_major" if repr == "data" => ArrayData::Flat {
                order: if data == "reshape_row_major" {
                    rxinfer_models::FlatOrder::RowMajor
                } else {
                    rxinfer_models::FlatOrder::ColumnMajor
                },
                values: if data == "reshape_row_major" {
                    vec![1, 2, 3, 4]
                } else {
                    vec![1, 3, 2, 4]
                },
            },
            _ => ArrayData::Full(matrix.clone()),
        };
        assert_eq!(decoded, expected, "{repr} {data}");
        // From the value too, as a reader does.
        let value: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            ArrayData::<i64>::from_json(&value, &applied).unwrap(),
            expected
        );
        // The whole matrix writes every form; what was decoded writes its own.
        assert_eq!(
            serde_json::to_string(&matrix.encode(&applied)).unwrap(),
            body,
            "{repr} {data}"
        );
        assert_eq!(
            serde_json::to_string(&decoded.encode(&applied)).unwrap(),
            body,
            "{repr} {data}"
        );
    }
}

const NMV: &str = "Distribution{Univariate, Continuous}";

/// `NormalMeanVariance(1.0, 2.0)` in all 16 forms (§4.5).
fn normal_forms() -> Vec<(&'static str, &'static str, String)> {
    let payloads = [
        ("named_params", r#"{"μ":1.0,"v":2.0}"#),
        ("params", "[1.0,2.0]"),
        ("mean_cov", r#"{"mean":1.0,"cov":2.0}"#),
        ("none", "null"),
    ];
    wrap_all(&payloads, NMV, "NormalMeanVariance")
}

fn wrap_all(
    payloads: &[(&'static str, &str)],
    type_name: &str,
    tag: &str,
) -> Vec<(&'static str, &'static str, String)> {
    let mut forms = Vec::new();
    for (data, payload) in payloads {
        forms.push((
            "dict",
            *data,
            format!(
                r#"{{"encoding":"{data}","type":"{type_name}","tag":"{tag}","data":{payload}}}"#
            ),
        ));
        forms.push((
            "dict_type_and_tag",
            *data,
            format!(r#"{{"type":"{type_name}","tag":"{tag}","data":{payload}}}"#),
        ));
        forms.push((
            "dict_tag",
            *data,
            format!(r#"{{"tag":"{tag}","data":{payload}}}"#),
        ));
        forms.push(("data", *data, (*payload).to_owned()));
    }
    forms
}

#[test]
fn the_documented_default_bodies_are_the_ones_built_here() {
    // Quoted whole in serialization.md §4.5 and §4.6.
    let forms = normal_forms();
    assert_eq!(
        forms[0].2,
        r#"{"encoding":"named_params","type":"Distribution{Univariate, Continuous}","tag":"NormalMeanVariance","data":{"μ":1.0,"v":2.0}}"#
    );
    assert_eq!(
        mv_forms()[0].2,
        r#"{"encoding":"named_params","type":"AbstractMvNormal","tag":"MvNormalMeanCovariance","data":{"μ":[1.0,2.0],"Σ":{"type":"mdarray","encoding":"array_of_arrays","shape":[2,2],"data":[[3.0,0.0],[0.0,4.0]]}}}"#
    );
}

#[test]
fn all_sixteen_normal_forms_decode_and_encode_to_the_same_bytes() {
    let normal = Distribution::NormalMeanVariance {
        mean: 1.0,
        variance: 2.0,
    };
    for (repr, data, body) in normal_forms() {
        let applied = prefer(&format!(
            "distributions_repr={repr},distributions_data={data}"
        ));
        let decoded = Distribution::from_slice(body.as_bytes(), &applied)
            .unwrap_or_else(|e| panic!("{repr} {data}: {e}"));
        let tagged = repr != "data";
        let tag = tagged.then(|| "NormalMeanVariance".to_owned());
        let type_name = (repr == "dict" || repr == "dict_type_and_tag").then(|| NMV.to_owned());
        match data {
            "named_params" => assert_eq!(decoded, normal, "{repr}"),
            "params" if tagged => assert_eq!(decoded, normal, "{repr}"),
            // A bare list does not say its family: kept as written.
            "params" => assert!(matches!(decoded, Distribution::Other { tag: None, .. })),
            "mean_cov" => assert_eq!(
                decoded,
                Distribution::Moments {
                    tag: tag.clone(),
                    type_name: type_name.clone(),
                    mean: Moment::Scalar(1.0),
                    cov: Moment::Scalar(2.0)
                },
                "{repr}"
            ),
            _ => assert_eq!(decoded, Distribution::Opaque { tag, type_name }, "{repr}"),
        }
        assert_eq!(
            serde_json::to_string(&normal.encode(&applied)).unwrap(),
            body,
            "{repr} {data}"
        );
        assert_eq!(
            serde_json::to_string(&decoded.encode(&applied)).unwrap(),
            body,
            "{repr} {data}"
        );
        if data != "none" {
            let mean = decoded.mean().and_then(|m| m.as_scalar());
            assert!(
                mean == Some(1.0) || !tagged && data == "params",
                "{repr} {data}"
            );
        }
    }
}

#[test]
fn the_precision_doctest_decodes_its_moments() {
    let body = r#"{"encoding":"mean_cov","type":"Distribution{Univariate, Continuous}","tag":"NormalMeanPrecision","data":{"mean":1.0,"cov":2.0}}"#;
    let d = Distribution::NormalMeanPrecision {
        mean: 1.0,
        precision: 0.5,
    };
    let applied = prefer("distributions_data=mean_cov");
    assert_eq!(serde_json::to_string(&d.encode(&applied)).unwrap(), body);
    let decoded: Distribution = serde_json::from_str(body).unwrap();
    assert_eq!(decoded.cov(), Some(Moment::Scalar(2.0)));
    assert_eq!(decoded.tag(), Some("NormalMeanPrecision"));
}

const M: &str =
    r#"{"type":"mdarray","encoding":"array_of_arrays","shape":[2,2],"data":[[3.0,0.0],[0.0,4.0]]}"#;

/// `MvNormalMeanCovariance([1.0, 2.0], [3.0 0.0; 0.0 4.0])` in all 16
/// forms under the default mdarray preferences (§4.6).
fn mv_forms() -> Vec<(&'static str, &'static str, String)> {
    let named = format!(r#"{{"μ":[1.0,2.0],"Σ":{M}}}"#);
    let params = format!("[[1.0,2.0],{M}]");
    let mean_cov = format!(r#"{{"mean":[1.0,2.0],"cov":{M}}}"#);
    let payloads = [
        ("named_params", named.as_str()),
        ("params", params.as_str()),
        ("mean_cov", mean_cov.as_str()),
        ("none", "null"),
    ];
    wrap_all(&payloads, "AbstractMvNormal", "MvNormalMeanCovariance")
}

#[test]
fn all_sixteen_multivariate_forms_decode_and_encode_to_the_same_bytes() {
    let covariance = MdArray::from_rows(vec![vec![3.0, 0.0], vec![0.0, 4.0]]).unwrap();
    let mv = Distribution::MvNormalMeanCovariance {
        mean: vec![1.0, 2.0],
        covariance: covariance.clone().into(),
    };
    for (repr, data, body) in mv_forms() {
        let applied = prefer(&format!(
            "distributions_repr={repr},distributions_data={data}"
        ));
        let decoded = Distribution::from_slice(body.as_bytes(), &applied).unwrap();
        match (repr, data) {
            ("data", "params") => assert!(matches!(decoded, Distribution::Other { .. })),
            (_, "named_params" | "params") => assert_eq!(decoded, mv, "{repr} {data}"),
            (_, "mean_cov") => {
                assert_eq!(decoded.mean(), Some(Moment::Vector(vec![1.0, 2.0])));
                assert_eq!(
                    decoded.cov().as_ref().and_then(Moment::as_matrix),
                    Some(&covariance)
                );
            }
            _ => assert!(matches!(decoded, Distribution::Opaque { .. })),
        }
        assert_eq!(
            serde_json::to_string(&mv.encode(&applied)).unwrap(),
            body,
            "{repr} {data}"
        );
        assert_eq!(
            serde_json::to_string(&decoded.encode(&applied)).unwrap(),
            body,
            "{repr} {data}"
        );
    }
}

/// The body of `GET path` with `prefer`, byte for byte, from a raw socket
/// (a client would decode it into maps that sort their keys).
async fn raw_get(server: &StandIn, token: &str, path: &str, prefer: &str) -> (String, String) {
    let mut socket = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connects");
    let request = format!(
        "GET /v1{path} HTTP/1.1\r\nHost: stand-in\r\nAuthorization: Bearer {token}\r\n\
         Prefer: {prefer}\r\nConnection: close\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await.expect("sent");
    let mut answer = String::new();
    socket.read_to_string(&mut answer).await.expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    (head.to_owned(), body.to_owned())
}

async fn instance(server: &StandIn, token: &str, model: CreateModelInstanceRequest) -> String {
    let client = Client::builder()
        .base_url(server.url())
        .expect("valid URL")
        .token(token)
        .expect("valid token")
        .build()
        .expect("builds");
    client
        .models()
        .create_model_instance(&model)
        .await
        .expect("created")
        .instance_id
        .clone()
}

/// `body` with the single-digit integers of its data as Julia floats:
/// the doctests' `[1 2; 3 4]` as the test model's `Float64` matrix.
fn floats(body: &str) -> String {
    let at = body.find("\"data\":").map_or(0, |i| i + 7);
    let (head, data) = body.split_at(at);
    let mut out = head.to_owned();
    for c in data.chars() {
        out.push(c);
        if c.is_ascii_digit() {
            out.push_str(".0");
        }
    }
    out
}

#[tokio::test]
async fn the_stand_in_writes_every_matrix_form_as_documented() {
    // [TMD] reads TestModelComplexState (size 2: [1.0 2.0; 3.0 4.0]).
    let server = StandIn::builder()
        .dev_token(true)
        .with_test_models()
        .start()
        .await
        .expect("starts");
    let token = "dev-token:test-only";
    let request = CreateModelInstanceRequest::new("TestModelComplexState")
        .with_arguments(object([("size", 2)]));
    let id = instance(&server, token, request).await;
    for (repr, data, body) in MATRIX_FORMS {
        let header = format!("mdarray_repr={repr},mdarray_data={data}");
        let (head, answer) =
            raw_get(&server, token, &format!("/models/i/{id}/state"), &header).await;
        let floats = floats(body);
        assert_eq!(
            answer,
            format!(r#"{{"state":{{"matrix":{floats}}}}}"#),
            "{header}\n{head}"
        );
        let lines: Vec<&str> = head
            .lines()
            .filter_map(|l| l.strip_prefix("preference-applied: "))
            .collect();
        assert_eq!(
            lines,
            [
                format!("mdarray_repr={repr}"),
                format!("mdarray_data={data}")
            ]
        );
    }
    server.shutdown().await;
}

/// A model whose state holds the two documented distributions, in the
/// server's default form, as a Julia state would hold them typed.
struct Documented(ModelConfig);

impl Model for Documented {
    fn config(&self) -> &ModelConfig {
        &self.0
    }

    fn initial_state(&self, _: &JsonObject) -> Result<JsonObject, ModelError> {
        let normal = Distribution::NormalMeanVariance {
            mean: 1.0,
            variance: 2.0,
        };
        let covariance = MdArray::from_rows(vec![vec![3.0, 0.0], vec![0.0, 4.0]])
            .map_err(|e| ModelError::new(e.to_string()))?;
        let mv = Distribution::MvNormalMeanCovariance {
            mean: vec![1.0, 2.0],
            covariance: covariance.into(),
        };
        let json = |d: &Distribution| serde_json::to_value(d).unwrap_or(Value::Null);
        Ok(object([("a", json(&normal)), ("b", json(&mv))]))
    }

    fn initial_parameters(&self, _: &JsonObject) -> Result<JsonObject, ModelError> {
        Ok(JsonObject::new())
    }

    fn run_inference(
        &self,
        _: &JsonObject,
        _: &JsonObject,
        _: &JsonObject,
    ) -> Result<Inference, ModelError> {
        Err(ModelError::new("state only"))
    }

    fn run_learning(
        &self,
        _: &JsonObject,
        _: &JsonObject,
        _: &[rxinfer_models::Event],
    ) -> Result<Learning, ModelError> {
        Err(ModelError::new("state only"))
    }
}

#[tokio::test]
async fn the_stand_in_writes_every_distribution_form_as_documented() {
    let server = StandIn::builder()
        .dev_token(true)
        .model(Documented(ModelConfig::new("Documented-v1")))
        .start()
        .await
        .expect("starts");
    let id = instance(
        &server,
        "dev-token",
        CreateModelInstanceRequest::new("Documented-v1"),
    )
    .await;
    for ((repr, data, normal), (_, _, mv)) in normal_forms().into_iter().zip(mv_forms()) {
        let header = format!("distributions_repr={repr},distributions_data={data}");
        let (_, answer) = raw_get(
            &server,
            "dev-token",
            &format!("/models/i/{id}/state"),
            &header,
        )
        .await;
        assert_eq!(
            answer,
            format!(r#"{{"state":{{"a":{normal},"b":{mv}}}}}"#),
            "{header}"
        );
    }
    server.shutdown().await;
}
