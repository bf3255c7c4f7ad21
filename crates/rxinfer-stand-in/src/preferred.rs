//! Answers that carry model outputs, written per the request's `Prefer`
//! as the real server's `postprocess_response` writes them.
//!
//! Models keep matrices and distributions in the server's default `dict`
//! forms ([`MdArray::to_json`](rxinfer_models::MdArray::to_json),
//! [`Distribution`](rxinfer_models::Distribution)'s `Serialize`), as Julia
//! keeps them typed in the state; [`encode_value`] writes them in the
//! preferred form, keys in the server's order. Each answer here mirrors
//! its schema's fields in their order, with the free-form field encoded.

use rxinfer_models::{
    EpisodeInfo, ErrorResponse, Event, InferResponse, JsonObject, Preferences, Timestamp,
    encode_value,
};
use serde::Serialize;

/// A free-form object written under some preferences.
#[derive(Clone, Copy)]
pub(crate) struct Encoded<'a>(&'a JsonObject, &'a Preferences);

impl Serialize for Encoded<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            map.serialize_entry(key, &encode_value(value, self.1))?;
        }
        map.end()
    }
}

/// `InferResponse`.
#[derive(Serialize)]
pub(crate) struct Infer<'a> {
    event_id: Option<i64>,
    results: Encoded<'a>,
    errors: &'a [ErrorResponse],
}

impl<'a> Infer<'a> {
    pub(crate) fn new(answer: &'a InferResponse, preferences: &'a Preferences) -> Self {
        Self {
            event_id: answer.event_id,
            results: Encoded(&answer.results, preferences),
            errors: &answer.errors,
        }
    }
}

/// `LearnResponse`.
#[derive(Serialize)]
pub(crate) struct Learn<'a> {
    learned_parameters: Encoded<'a>,
}

impl<'a> Learn<'a> {
    pub(crate) fn new(learned: &'a JsonObject, preferences: &'a Preferences) -> Self {
        Self {
            learned_parameters: Encoded(learned, preferences),
        }
    }
}

/// `ModelInstanceState`.
#[derive(Serialize)]
pub(crate) struct State<'a> {
    state: Encoded<'a>,
}

impl<'a> State<'a> {
    pub(crate) fn new(state: &'a JsonObject, preferences: &'a Preferences) -> Self {
        Self {
            state: Encoded(state, preferences),
        }
    }
}

/// `ModelInstanceParameters`.
#[derive(Serialize)]
pub(crate) struct Parameters<'a> {
    parameters: Encoded<'a>,
}

impl<'a> Parameters<'a> {
    pub(crate) fn new(parameters: &'a JsonObject, preferences: &'a Preferences) -> Self {
        Self {
            parameters: Encoded(parameters, preferences),
        }
    }
}

/// `EpisodeInfo`: its parameters are the model's.
#[derive(Serialize)]
pub(crate) struct Episode<'a> {
    instance_id: &'a str,
    episode_name: &'a str,
    created_at: &'a Timestamp,
    events: &'a [Event],
    parameters: Encoded<'a>,
}

impl<'a> Episode<'a> {
    pub(crate) fn new(episode: &'a EpisodeInfo, preferences: &'a Preferences) -> Self {
        Self {
            instance_id: &episode.instance_id,
            episode_name: &episode.episode_name,
            created_at: &episode.created_at,
            events: &episode.events,
            parameters: Encoded(&episode.parameters, preferences),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rxinfer_models::{
        Distribution, DistributionsData, DistributionsRepr, InferResponse, MdArray, MdArrayData,
        MdArrayRepr, object,
    };
    use serde_json::json;

    #[test]
    fn plain_answers_are_the_schemas_own_bytes() {
        let answer = InferResponse::new(
            Some(3),
            object([("mean_p", json!(0.5)), ("v", json!([[1, 2]]))]),
        );
        let ours = serde_json::to_string(&Infer::new(&answer, &Preferences::DEFAULT)).unwrap();
        assert_eq!(ours, serde_json::to_string(&answer).unwrap());
    }

    #[test]
    fn matrices_and_distributions_follow_the_preferences_in_the_servers_key_order() {
        let m = MdArray::from_rows(vec![vec![1.0, 2.0], vec![3.0, 4.0]]).unwrap();
        let state = object([("matrix", m.to_json(&Preferences::DEFAULT))]);
        assert_eq!(
            serde_json::to_string(&State::new(&state, &Preferences::DEFAULT)).unwrap(),
            r#"{"state":{"matrix":{"type":"mdarray","encoding":"array_of_arrays","shape":[2,2],"data":[[1.0,2.0],[3.0,4.0]]}}}"#
        );
        let prefer = Preferences::new()
            .with_mdarray_repr(MdArrayRepr::Data)
            .with_mdarray_data(MdArrayData::ReshapeColumnMajor)
            .with_distributions_repr(DistributionsRepr::DictTag)
            .with_distributions_data(DistributionsData::Params);
        assert_eq!(
            serde_json::to_string(&State::new(&state, &prefer)).unwrap(),
            r#"{"state":{"matrix":[1.0,3.0,2.0,4.0]}}"#
        );
        let d = Distribution::Beta {
            alpha: 1.0,
            beta: 2.0,
        };
        let learned = object([("p", serde_json::to_value(&d).unwrap())]);
        assert_eq!(
            serde_json::to_string(&Learn::new(&learned, &prefer)).unwrap(),
            r#"{"learned_parameters":{"p":{"tag":"Beta","data":[1.0,2.0]}}}"#
        );
    }
}
