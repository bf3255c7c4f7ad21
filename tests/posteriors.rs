//! Posteriors as Rust types, end to end over loopback: the client asks for
//! forms with `Prefer` (its default, and per call), the stand-in writes
//! matrices and distributions in them and confirms in
//! `Preference-Applied`, and the client reads the same values back from
//! every form. Requests carry matrices as the server's models read them.

use rxinfer_client::{
    Client, RequestOptions,
    models::{
        ArrayData, CreateModelInstanceRequest, Distribution, DistributionsData, DistributionsRepr,
        FreeForm, InferRequest, MdArray, MdArrayData, MdArrayRepr, Moment, Preferences, object,
    },
};
use rxinfer_stand_in::{ConjugateRegression, StandIn};

async fn regression(prefer: Option<Preferences>) -> (StandIn, Client, String) {
    let server = StandIn::builder()
        .dev_token(true)
        .record_requests(true)
        .model(ConjugateRegression::default())
        .start()
        .await
        .expect("stand-in starts");
    let mut builder = Client::builder()
        .base_url(server.url())
        .expect("valid URL")
        .token("dev-token")
        .expect("valid token");
    if let Some(prefer) = prefer {
        builder = builder.preferences(prefer);
    }
    let client = builder.build().expect("builds");
    let id = client
        .models()
        .create_model_instance(&CreateModelInstanceRequest::new("ConjugateRegression-v1"))
        .await
        .expect("created")
        .instance_id
        .clone();
    (server, client, id)
}

fn batch() -> InferRequest {
    let x = MdArray::from_rows(vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![1.0, 1.0]])
        .expect("rows of one length");
    InferRequest::new(object([
        ("X", serde_json::Value::from(x)),
        ("y", serde_json::json!([1.0, 2.0, 3.5])),
    ]))
}

/// Every combination of the four preferences that keeps the whole
/// covariance (not `diagonal`, `none`, or a flat list without a shape).
fn lossless() -> Vec<Preferences> {
    let mut all = Vec::new();
    for repr in MdArrayRepr::ALL {
        for data in [
            MdArrayData::ArrayOfArrays,
            MdArrayData::ReshapeColumnMajor,
            MdArrayData::ReshapeRowMajor,
        ] {
            if *repr == MdArrayRepr::Data && data != MdArrayData::ArrayOfArrays {
                continue;
            }
            for d_repr in DistributionsRepr::ALL {
                for d_data in [DistributionsData::NamedParams, DistributionsData::MeanCov] {
                    all.push(
                        Preferences::new()
                            .with_mdarray_repr(*repr)
                            .with_mdarray_data(data)
                            .with_distributions_repr(*d_repr)
                            .with_distributions_data(d_data),
                    );
                }
            }
        }
    }
    all
}

#[tokio::test]
async fn every_lossless_form_decodes_to_the_same_posterior() {
    let (server, client, id) = regression(None).await;
    let models = client.models();
    let reference = models.run_inference(&id, &batch()).await.expect("inferred");
    assert!(reference.preferences_applied().is_empty());
    assert!(reference.headers().get("preference-applied").is_none());
    let w = reference.results.distribution("w").expect("a distribution");
    let (mean, cov) = (w.mean(), w.cov());
    assert!(
        matches!(mean, Some(Moment::Vector(ref m)) if m.len() == 2),
        "{w:?}"
    );
    let precision = reference.results.matrix("precision").expect("a matrix");

    for prefer in lossless() {
        let answer = models
            .with_options(RequestOptions::new().preferences(prefer))
            .run_inference(&id, &batch())
            .await
            .expect("inferred");
        assert_eq!(answer.preferences_applied(), prefer);
        let read = answer.read();
        let w = read.distribution("w").expect("a distribution");
        assert_eq!(w.mean(), mean, "{prefer}");
        assert_eq!(w.cov(), cov, "{prefer}");
        assert_eq!(
            read.matrix("precision").expect("whole"),
            precision,
            "{prefer}"
        );
        let predicted = read.distributions("y_predicted").expect("a list");
        assert_eq!(predicted.len(), 3);
    }
    // Each request carried exactly what the client wrote, without spaces.
    let sent: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.headers.get("prefer")?.to_str().ok().map(str::to_owned))
        .collect();
    assert_eq!(sent.len(), lossless().len());
    assert!(
        sent.iter()
            .all(|p| !p.contains(' ') && p.split(',').count() == 4)
    );
}

#[tokio::test]
async fn lossy_forms_say_what_they_lost() {
    let prefer = Preferences::new()
        .with_mdarray_repr(MdArrayRepr::Data)
        .with_mdarray_data(MdArrayData::Diagonal)
        .with_distributions_repr(DistributionsRepr::Data)
        .with_distributions_data(DistributionsData::MeanCov);
    let (_server, client, id) = regression(Some(prefer)).await;
    let answer = client
        .models()
        .run_inference(&id, &batch())
        .await
        .expect("inferred");
    assert_eq!(answer.preferences_applied(), prefer);
    let read = answer.read();
    let error = read.matrix("precision").expect_err("only a diagonal");
    assert!(
        error.to_string().contains("a diagonal of 2 values"),
        "{error}"
    );
    let w = read.distribution("w").expect("moments");
    let Some(Moment::Array(ArrayData::Diagonal { values, .. })) = w.cov() else {
        panic!("{w:?}")
    };
    assert_eq!(values.len(), 2);
    let nothing = Preferences::new()
        .with_mdarray_data(MdArrayData::None)
        .with_distributions_data(DistributionsData::None);
    let answer = client
        .models()
        .with_options(RequestOptions::new().preferences(nothing))
        .run_inference(&id, &batch())
        .await
        .expect("inferred");
    // A call's preferences replace the client's whole.
    assert_eq!(answer.preferences_applied(), nothing);
    let read = answer.read();
    assert!(matches!(
        read.distribution("w").expect("opaque"),
        Distribution::Opaque { tag: Some(ref tag), .. } if tag == "MvNormalMeanCovariance"
    ));
    assert!(matches!(
        read.array("precision").expect("omitted"),
        ArrayData::Omitted { shape: Some(ref s) } if s == &[2, 2]
    ));
}

#[tokio::test]
async fn state_parameters_and_episodes_follow_the_preferences_too() {
    let prefer = Preferences::new()
        .with_mdarray_repr(MdArrayRepr::DictShape)
        .with_mdarray_data(MdArrayData::ReshapeColumnMajor)
        .with_distributions_repr(DistributionsRepr::DictTag)
        .with_distributions_data(DistributionsData::Params);
    let (_server, client, id) = regression(Some(prefer)).await;
    let models = client.models();
    let parameters = models
        .get_model_instance_parameters(&id)
        .await
        .expect("parameters");
    let raw = serde_json::to_string(&parameters.parameters["precision"]).expect("json");
    assert_eq!(raw, r#"{"data":[0.01,0.0,0.0,0.01],"shape":[2,2]}"#);
    let prior = parameters.read().distribution("w").expect("the prior");
    assert_eq!(prior.mean(), Some(Moment::Vector(vec![0.0, 0.0])));
    let episode = models
        .get_episode_info(&id, "default")
        .await
        .expect("the default episode");
    assert_eq!(episode.preferences_applied(), prefer);
    let read = rxinfer_client::models::Reader::new(&episode.parameters, &prefer);
    assert_eq!(read.distribution("w").expect("the prior"), prior);
}

#[tokio::test]
async fn a_matrix_in_a_request_is_sent_as_rows() {
    let (server, client, id) = regression(None).await;
    client
        .models()
        .run_inference(&id, &batch())
        .await
        .expect("inferred");
    let infer = server
        .requests()
        .into_iter()
        .find(|r| r.uri.path().ends_with("/infer"))
        .expect("recorded");
    let body: serde_json::Value = serde_json::from_slice(&infer.body).expect("json");
    assert_eq!(
        body["data"]["X"],
        serde_json::json!([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    );
}

#[tokio::test]
async fn an_answers_readers_apply_what_the_server_applied() {
    let prefer = Preferences::new()
        .with_mdarray_repr(MdArrayRepr::Data)
        .with_mdarray_data(MdArrayData::ReshapeRowMajor);
    let (_server, client, id) = regression(Some(prefer)).await;
    let answer = client
        .models()
        .run_inference(&id, &batch())
        .await
        .expect("inferred");
    // On the answer, the readers know the covariance is a flat list...
    let Distribution::MvNormalMeanCovariance { covariance, .. } =
        answer.distribution("w").expect("typed")
    else {
        panic!("not typed")
    };
    assert!(
        matches!(covariance, ArrayData::Flat { .. }),
        "{covariance:?}"
    );
    let covariance = covariance.into_full_with_shape(&[2, 2]).expect("refilled");
    assert_eq!(covariance.shape(), [2, 2]);
    assert!(answer.matrix("precision").is_err());
    // ...and read as the defaults, a flat list is never taken for a matrix.
    assert!(matches!(
        answer.results.distribution("w"),
        Ok(Distribution::Other { .. })
    ));
    let error = answer.results.matrix("precision").expect_err("a vector");
    assert!(
        error.to_string().contains("a vector of 4 values"),
        "{error}"
    );
}
