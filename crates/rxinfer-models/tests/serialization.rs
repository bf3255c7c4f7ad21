//! Matrices and distributions beyond the server's documented examples
//! (those, all 36 combinations, are checked in the conformance crate's
//! `tests/documented_forms.rs`): more shapes and element types, every
//! typed family through every form, moments, untagged and unknown
//! payloads. Source of the expected values: `serialization.md` §4-5, read
//! from lazydynamics/RxInferServer at `5f98c5a`.

use rxinfer_models::{
    ArrayData, Distribution, DistributionsData, DistributionsRepr, MdArray, Moment, Preferences,
};
use serde_json::Value;

fn prefer(header: &str) -> Preferences {
    let (preferences, applied) = Preferences::parse([header]);
    assert_eq!(applied.len(), header.split(',').count(), "{header}");
    preferences
}

#[test]
fn float_matrices_read_by_the_server_test_decode_to_the_same_values() {
    // [TMD] reads TestModelComplexState's Float64 matrix under
    // `mdarray_repr=data,<mdarray_data>`.
    for (data, body) in [
        ("reshape_column_major", "[1.0,3.0,2.0,4.0]"),
        ("reshape_row_major", "[1.0,2.0,3.0,4.0]"),
        ("diagonal", "[1.0,4.0]"),
    ] {
        let applied = prefer(&format!("mdarray_repr=data,mdarray_data={data}"));
        let decoded = ArrayData::<f64>::from_slice(body.as_bytes(), &applied).unwrap();
        assert_eq!(
            serde_json::to_string(&decoded.encode(&applied)).unwrap(),
            body
        );
    }
}

#[test]
fn higher_dimensions_come_back_exact_in_both_orders() {
    // §4.3: `[1 3 5; 2 4 6;;; 7 9 11; 8 10 12]`, shape [2,3,2], and the
    // 4-d `[1 2;;; 3 4;;;; 5 6;;; 7 8]`, shape [1,2,2,2].
    let cases: [(&[usize], &str, &str, &str, &str); 3] = [
        (
            &[2, 3, 2],
            "[[[1,7],[3,9],[5,11]],[[2,8],[4,10],[6,12]]]",
            "[1,2,3,4,5,6,7,8,9,10,11,12]",
            "[1,7,3,9,5,11,2,8,4,10,6,12]",
            "[1,10]",
        ),
        (
            &[1, 2, 2, 2],
            "[[[[1,5],[3,7]],[[2,6],[4,8]]]]",
            "[1,2,3,4,5,6,7,8]",
            "[1,5,3,7,2,6,4,8]",
            "[1]",
        ),
        (
            &[2, 3],
            "[[1,2,3],[4,5,6]]",
            "[1,4,2,5,3,6]",
            "[1,2,3,4,5,6]",
            "[1,5]",
        ),
    ];
    for (shape, nested, column, row, diagonal) in cases {
        let shape_json = serde_json::to_string(shape).unwrap();
        let mut arrays = Vec::new();
        for (data, payload) in [
            ("array_of_arrays", nested),
            ("reshape_column_major", column),
            ("reshape_row_major", row),
        ] {
            let body = format!(
                r#"{{"type":"mdarray","encoding":"{data}","shape":{shape_json},"data":{payload}}}"#
            );
            for element in ["int", "float"] {
                let applied = prefer(&format!("mdarray_data={data}"));
                if element == "int" {
                    let a: MdArray<i64> = serde_json::from_str(&body).unwrap();
                    assert_eq!(serde_json::to_string(&a.encode(&applied)).unwrap(), body);
                    arrays.push(a);
                } else {
                    let a: MdArray<f64> = serde_json::from_str(&body).unwrap();
                    assert_eq!(a.clone().map(|x| x as i64), arrays[arrays.len() - 1]);
                }
            }
        }
        assert!(arrays.windows(2).all(|w| w[0] == w[1]), "{shape:?}");
        assert_eq!(
            serde_json::to_string(&arrays[0].diagonal()).unwrap(),
            diagonal
        );
    }
}

#[test]
fn matrices_inside_distributions_follow_the_mdarray_preferences() {
    // [TDIST] and [DOCP]: the covariance as its diagonal.
    let applied = prefer(
        "distributions_repr=data,distributions_data=mean_cov,mdarray_repr=data,mdarray_data=diagonal",
    );
    let mv = Distribution::MvNormalMeanCovariance {
        mean: vec![1.0, 2.0],
        covariance: MdArray::from_rows(vec![vec![3.0, 0.0], vec![0.0, 4.0]])
            .unwrap()
            .into(),
    };
    let body = r#"{"mean":[1.0,2.0],"cov":[3.0,4.0]}"#;
    assert_eq!(serde_json::to_string(&mv.encode(&applied)).unwrap(), body);
    let decoded = Distribution::from_slice(body.as_bytes(), &applied).unwrap();
    let Some(Moment::Array(cov)) = decoded.cov() else {
        panic!("{decoded:?}")
    };
    assert_eq!(
        cov,
        ArrayData::Diagonal {
            shape: None,
            values: vec![3.0, 4.0]
        }
    );
    assert_eq!(
        serde_json::to_string(&decoded.encode(&applied)).unwrap(),
        body
    );

    // The models' tests ask for moments with matrices as lists of rows.
    let applied = prefer(
        "distributions_repr=data,distributions_data=mean_cov,mdarray_data=array_of_arrays,mdarray_repr=data",
    );
    let body = serde_json::to_string(&mv.encode(&applied)).unwrap();
    assert_eq!(body, r#"{"mean":[1.0,2.0],"cov":[[3.0,0.0],[0.0,4.0]]}"#);
    let decoded = Distribution::from_slice(body.as_bytes(), &applied).unwrap();
    assert_eq!(decoded.cov(), mv.cov());
}

#[test]
fn untagged_named_params_are_recognised_by_their_julia_field_names() {
    let applied = prefer("distributions_repr=data");
    for (body, expected) in [
        (
            r#"{"μ":1.0,"w":4.0}"#,
            Distribution::NormalMeanPrecision {
                mean: 1.0,
                precision: 4.0,
            },
        ),
        (
            r#"{"a":2.0,"b":4.0}"#,
            Distribution::GammaShapeRate {
                shape: 2.0,
                rate: 4.0,
            },
        ),
        (
            r#"{"α":2.0,"θ":3.0}"#,
            Distribution::GammaShapeScale {
                shape: 2.0,
                scale: 3.0,
            },
        ),
        (
            r#"{"α":2.0,"β":3.0}"#,
            Distribution::Beta {
                alpha: 2.0,
                beta: 3.0,
            },
        ),
        (r#"{"p":0.25}"#, Distribution::Bernoulli { p: 0.25 }),
        (
            r#"{"support":[1,2,3],"p":[0.5,0.25,0.25]}"#,
            Distribution::Categorical {
                support: vec![1.0, 2.0, 3.0],
                p: vec![0.5, 0.25, 0.25],
            },
        ),
    ] {
        let decoded = Distribution::from_slice(body.as_bytes(), &applied).unwrap();
        assert_eq!(decoded, expected, "{body}");
        assert_eq!(
            serde_json::to_string(&decoded.encode(&applied)).unwrap(),
            body
        );
    }
}

#[test]
fn every_family_round_trips_through_every_form() {
    let spd = MdArray::from_rows(vec![vec![2.0, 0.5], vec![0.5, 1.0]]).unwrap();
    let families = [
        Distribution::NormalMeanVariance {
            mean: 0.5,
            variance: 2.0,
        },
        Distribution::NormalMeanPrecision {
            mean: 0.5,
            precision: 4.0,
        },
        Distribution::NormalWeightedMeanPrecision {
            weighted_mean: 2.0,
            precision: 4.0,
        },
        Distribution::MvNormalMeanCovariance {
            mean: vec![1.0, -1.0],
            covariance: spd.clone().into(),
        },
        Distribution::MvNormalMeanPrecision {
            mean: vec![1.0, -1.0],
            precision: spd.clone().into(),
        },
        Distribution::MvNormalWeightedMeanPrecision {
            weighted_mean: vec![1.0, -1.0],
            precision: spd.clone().into(),
        },
        Distribution::GammaShapeRate {
            shape: 2.0,
            rate: 4.0,
        },
        Distribution::GammaShapeScale {
            shape: 2.0,
            scale: 0.25,
        },
        Distribution::Beta {
            alpha: 2.0,
            beta: 3.0,
        },
        Distribution::Bernoulli { p: 0.25 },
        Distribution::Categorical {
            support: vec![1.0, 2.0],
            p: vec![0.75, 0.25],
        },
        Distribution::Categorical {
            support: vec![0.5, 2.0],
            p: vec![0.75, 0.25],
        },
        Distribution::Dirichlet {
            alpha: vec![1.0, 2.0, 3.0],
        },
        Distribution::Wishart {
            df: 3.0,
            scale: spd.clone().into(),
        },
        Distribution::WishartFast {
            df: 3.0,
            inv_scale: spd.clone().into(),
        },
    ];
    for d in &families {
        for repr in DistributionsRepr::ALL
            .iter()
            .filter(|r| **r != DistributionsRepr::Data)
        {
            for data in [DistributionsData::NamedParams, DistributionsData::Params] {
                let applied = Preferences::new()
                    .with_distributions_repr(*repr)
                    .with_distributions_data(data);
                let body = serde_json::to_string(&d.encode(&applied)).unwrap();
                let back = Distribution::from_slice(body.as_bytes(), &applied).unwrap();
                match (d, &back) {
                    // params carries `S`, not `invS`: the same to rounding.
                    (
                        Distribution::WishartFast { .. },
                        Distribution::WishartFast { inv_scale, .. },
                    ) if data == DistributionsData::Params => {
                        let m = inv_scale.as_full().unwrap().as_row_major();
                        assert!(
                            m.iter()
                                .zip(spd.as_row_major())
                                .all(|(a, b)| (a - b).abs() < 1e-12)
                        );
                    }
                    _ => assert_eq!(&back, d, "{body}"),
                }
            }
            // mean_cov keeps the moments.
            let applied = Preferences::new()
                .with_distributions_repr(*repr)
                .with_distributions_data(DistributionsData::MeanCov);
            let body = serde_json::to_string(&d.encode(&applied)).unwrap();
            let back = Distribution::from_slice(body.as_bytes(), &applied).unwrap();
            assert_eq!(back.mean(), d.mean(), "{body}");
            assert_eq!(back.cov(), d.cov(), "{body}");
            assert_eq!(back.tag(), d.tag());
        }
    }
}

#[test]
fn moments_are_the_textbook_ones() {
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    let gamma = Distribution::GammaShapeRate {
        shape: 2.0,
        rate: 4.0,
    };
    assert!(close(gamma.mean().unwrap().as_scalar().unwrap(), 0.5));
    assert!(close(gamma.cov().unwrap().as_scalar().unwrap(), 0.125));
    let beta = Distribution::Beta {
        alpha: 2.0,
        beta: 3.0,
    };
    assert!(close(
        beta.cov().unwrap().as_scalar().unwrap(),
        6.0 / (25.0 * 6.0)
    ));
    let dirichlet = Distribution::Dirichlet {
        alpha: vec![1.0, 2.0, 3.0],
    };
    let cov = dirichlet.cov().unwrap();
    let cov = cov.as_matrix().unwrap();
    // Var(X_1) = a1 (a0 - a1) / (a0² (a0 + 1)); Cov(X_1, X_2) = -a1 a2 / (a0² (a0 + 1)).
    assert!(close(*cov.get(&[0, 0]).unwrap(), 5.0 / 252.0));
    assert!(close(*cov.get(&[0, 1]).unwrap(), -2.0 / 252.0));
    let precision = MdArray::from_rows(vec![vec![4.0, 0.0], vec![0.0, 0.5]]).unwrap();
    let mv = Distribution::MvNormalWeightedMeanPrecision {
        weighted_mean: vec![4.0, 1.0],
        precision: precision.into(),
    };
    let mean = mv.mean().unwrap();
    assert!(
        mean.as_vector()
            .unwrap()
            .iter()
            .zip([1.0, 2.0])
            .all(|(a, b)| close(*a, b))
    );
}

#[test]
fn unknown_tags_are_kept_as_written() {
    let body = r#"{"encoding":"named_params","type":"Distribution{Univariate, Continuous}","tag":"LogNormal","data":{"μ":0.0,"σ":1.0,"extra":[[1,2],[3,4]]}}"#;
    let d: Distribution = serde_json::from_str(body).unwrap();
    assert_eq!(d.tag(), Some("LogNormal"));
    assert!(d.mean().is_none());
    // The payload is a `serde_json::Value`: its keys come back sorted
    // unless serde_json's `preserve_order` is on.
    let written: Value = serde_json::to_value(&d).unwrap();
    assert_eq!(written, serde_json::from_str::<Value>(body).unwrap());
    // Fields that do not fit a known tag are kept too, not dropped.
    let odd = r#"{"encoding":"named_params","type":"AbstractMvNormal","tag":"MvNormalMeanCovariance","data":{"μ":"x","Σ":null}}"#;
    let d: Distribution = serde_json::from_str(odd).unwrap();
    assert!(matches!(d, Distribution::Other { .. }));
    assert_eq!(
        serde_json::to_value(&d).unwrap(),
        serde_json::from_str::<Value>(odd).unwrap()
    );
}

#[test]
fn vectors_stay_vectors_whatever_the_matrix_preferences() {
    // 1-D arrays are never mdarrays: `mdarray_data=diagonal` leaves a mean
    // a vector, and the family typed.
    let applied = prefer("mdarray_data=diagonal");
    let body = r#"{"encoding":"named_params","type":"AbstractMvNormal","tag":"MvNormalMeanCovariance","data":{"μ":[1.0,2.0],"Σ":{"type":"mdarray","encoding":"diagonal","shape":[2,2],"data":[3.0,4.0]}}}"#;
    let d = Distribution::from_slice(body.as_bytes(), &applied).unwrap();
    assert_eq!(d.mean(), Some(Moment::Vector(vec![1.0, 2.0])));
    assert!(
        matches!(d, Distribution::MvNormalMeanCovariance { .. }),
        "{d:?}"
    );
    let moments = prefer(
        "distributions_repr=data,distributions_data=mean_cov,mdarray_repr=data,mdarray_data=diagonal",
    );
    let d = Distribution::from_slice(br#"{"mean":[1.0,2.0],"cov":[3.0,4.0]}"#, &moments).unwrap();
    assert_eq!(d.mean(), Some(Moment::Vector(vec![1.0, 2.0])));
    let dirichlet = r#"{"encoding":"named_params","type":"Distribution{Multivariate, Continuous}","tag":"Dirichlet","data":{"alpha":[1.0,2.0],"alpha0":3.0,"lmnB":0.0}}"#;
    let d = Distribution::from_slice(dirichlet.as_bytes(), &applied).unwrap();
    assert_eq!(
        d,
        Distribution::Dirichlet {
            alpha: vec![1.0, 2.0]
        }
    );
    // Booleans are not numbers.
    let odd =
        r#"{"tag":"MvNormalMeanCovariance","data":{"μ":[true,false],"Σ":[[1.0,0.0],[0.0,1.0]]}}"#;
    assert!(matches!(
        Distribution::from_slice(odd.as_bytes(), &Preferences::DEFAULT).unwrap(),
        Distribution::Other { .. }
    ));
}

#[test]
fn hostile_shapes_are_refused_or_cheap() {
    // A 240-byte Wishart whose scale claims 1000 rows and no columns: its
    // covariance would be 10^12 floats.
    let wishart = r#"{"encoding":"named_params","type":"Distribution{Matrixvariate, Continuous}","tag":"Wishart","data":{"df":3.0,"S":{"type":"mdarray","encoding":"reshape_row_major","shape":[1000,0],"data":[]},"logc0":0.0,"rank":1000,"singular":false}}"#;
    let d: Distribution = serde_json::from_str(wishart).unwrap();
    assert_eq!(d.cov(), None);
    let applied = prefer("distributions_data=mean_cov");
    assert!(
        serde_json::to_string(&d.encode(&applied))
            .unwrap()
            .contains(r#""cov":null"#)
    );
    // Thousands of dimensions, products that overflow, and empty arrays
    // that would be written as millions of `[]` are refused.
    let many = format!(
        r#"{{"type":"mdarray","encoding":"reshape_row_major","shape":{:?},"data":[5]}}"#,
        vec![1; 5000]
    );
    for body in [
        many.as_str(),
        r#"{"type":"mdarray","encoding":"reshape_row_major","shape":[4294967296,4294967296,0],"data":[]}"#,
        r#"{"type":"mdarray","encoding":"reshape_row_major","shape":[4294967296,4294967296],"data":[]}"#,
        r#"{"type":"mdarray","encoding":"reshape_row_major","shape":[10000000,0],"data":[]}"#,
    ] {
        let error =
            ArrayData::<f64>::from_slice(body.as_bytes(), &Preferences::DEFAULT).unwrap_err();
        assert!(error.to_string().contains("too large"), "{error}");
    }
}
