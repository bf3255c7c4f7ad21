//! Property tests: every model decodes arbitrary bytes without panicking,
//! never takes a JSON array for an object, and round-trips what it encodes.
//! Cases per property: `PROPTEST_CASES` (CI sets 256).

use proptest::prelude::*;
use rxinfer_models::*;
use serde::de::DeserializeOwned;

/// Decodes `bytes` as `T`; the point is that it returns at all.
fn decodes<T: DeserializeOwned>(bytes: &[u8]) -> bool {
    serde_json::from_slice::<T>(bytes).is_ok()
}

fn all_models(bytes: &[u8]) -> Vec<bool> {
    vec![
        decodes::<TokenGenerateResponse>(bytes),
        decodes::<TokenRolesResponse>(bytes),
        decodes::<UnauthorizedResponse>(bytes),
        decodes::<ErrorResponse>(bytes),
        decodes::<NotFoundResponse>(bytes),
        decodes::<SuccessResponse>(bytes),
        decodes::<PingResponse>(bytes),
        decodes::<ServerInfo>(bytes),
        decodes::<AvailableModel>(bytes),
        decodes::<AvailableModelDetails>(bytes),
        decodes::<CreateModelInstanceRequest>(bytes),
        decodes::<CreateModelInstanceResponse>(bytes),
        decodes::<ModelInstance>(bytes),
        decodes::<DeleteModelInstanceRequest>(bytes),
        decodes::<ModelInstanceState>(bytes),
        decodes::<ModelInstanceParameters>(bytes),
        decodes::<InferRequest>(bytes),
        decodes::<InferResponse>(bytes),
        decodes::<LearnRequest>(bytes),
        decodes::<LearnResponse>(bytes),
        decodes::<CreateEpisodeRequest>(bytes),
        decodes::<EpisodeInfo>(bytes),
        decodes::<Event>(bytes),
        decodes::<AttachEventsToEpisodeRequest>(bytes),
        decodes::<NewEvent>(bytes),
        decodes::<AttachMetadataToEventRequest>(bytes),
    ]
}

/// JSON-shaped text, to get past the first byte more often than noise does.
fn json_like() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        "[a-z_ ]{0,8}".prop_map(|s| format!("\"{s}\"")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("token".to_owned()),
                        Just("roles".to_owned()),
                        Just("error".to_owned()),
                        Just("message".to_owned()),
                        Just("results".to_owned()),
                        Just("errors".to_owned()),
                        Just("events".to_owned()),
                        "[a-z_]{1,8}",
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|fields| {
                let fields: Vec<String> = fields
                    .into_iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = all_models(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics_and_arrays_never_decode(text in json_like()) {
        let decoded = all_models(text.as_bytes());
        if text.starts_with('[') {
            prop_assert!(decoded.iter().all(|ok| !ok), "an array decoded: {}", text);
        }
    }

    #[test]
    fn tokens_and_roles_round_trip(token in ".{0,40}", roles in prop::collection::vec(".{0,12}", 0..6)) {
        let generated = TokenGenerateResponse::new(token.as_str());
        let again: TokenGenerateResponse = serde_json::from_str(&serde_json::to_string(&generated).map_err(|e| TestCaseError::fail(e.to_string()))?)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again.token.expose(), token.as_str());
        // A long-enough secret never shows in Debug output.
        let secret = format!("{token}0123456789");
        let shown = format!("{:?}", TokenGenerateResponse::new(secret.as_str()));
        prop_assert!(!shown.contains(&secret), "{}", shown);

        let answer = TokenRolesResponse::new(roles.clone());
        let again: TokenRolesResponse = serde_json::from_str(&serde_json::to_string(&answer).map_err(|e| TestCaseError::fail(e.to_string()))?)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again.roles, roles);
    }

    #[test]
    fn inference_answers_round_trip(event_id in proptest::option::of(any::<i64>()), mean in -1e9f64..1e9) {
        let answer = InferResponse::new(event_id, object([("mean_p", mean)]));
        let text = serde_json::to_string(&answer).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let again: InferResponse = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again, answer);
    }
}

/// The case proptest found: serde_json's fast float parser decoded this one
/// ulp off, before `float_roundtrip`.
#[test]
fn a_float_found_one_ulp_off_now_round_trips() -> Result<(), serde_json::Error> {
    let answer = InferResponse::new(None, object([("mean_p", -197_724_841.196_040_54)]));
    let again: InferResponse = serde_json::from_str(&serde_json::to_string(&answer)?)?;
    assert_eq!(again, answer);
    Ok(())
}
