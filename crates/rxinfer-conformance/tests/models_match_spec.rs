//! Each model against the schema of the same name in the official OpenAPI
//! document (see `spec/mod.rs`): its required and optional fields, and
//! every example the document gives for it; and every schema of the
//! document has its model.
//!
//! Fields are checked by behaviour rather than by reflection: an object with
//! every property decodes and encodes back unchanged; without a required
//! property it is rejected; without an optional one it decodes and encodes
//! back without it; an unknown property is ignored.

mod spec;

use rxinfer_models::{
    AttachEventsToEpisodeRequest, AttachMetadataToEventRequest, AvailableModel,
    CreateEpisodeRequest, CreateModelInstanceRequest, CreateModelInstanceResponse,
    DeleteModelInstanceRequest, EpisodeInfo, ErrorResponse, InferRequest, InferResponse,
    LearnRequest, LearnResponse, ModelInstance, ModelInstanceParameters, ModelInstanceState,
    NotFoundResponse, PingResponse, ServerInfo, SuccessResponse, TokenGenerateResponse,
    TokenRolesResponse, UnauthorizedResponse,
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value, json};

fn schema<'a>(spec: &'a Value, name: &str) -> &'a Map<String, Value> {
    spec["components"]["schemas"][name]
        .as_object()
        .unwrap_or_else(|| panic!("no schema {name} in the document"))
}

/// A value of `property`'s schema: its first enum value, or one of its type,
/// with every property of an object and two items of an array.
fn sample(spec: &Value, property: &Value) -> Value {
    if let Some(reference) = property["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return sample(spec, &spec["components"]["schemas"][name]);
    }
    if let Some(first) = property["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    match property["type"].as_str() {
        Some("string") if property["format"] == "date-time" => json!("2024-03-20T12:00:00Z"),
        Some("string") => json!("sample"),
        Some("integer") => json!(7),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => json!([
            sample(spec, &property["items"]),
            sample(spec, &property["items"])
        ]),
        Some("object") => Value::Object(
            property["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), sample(spec, v)))
                .collect(),
        ),
        other => panic!("no sample for a property of type {other:?}"),
    }
}

/// Decodes `value` as `T` and encodes it back.
fn round_trip<T: Serialize + DeserializeOwned>(value: &Value) -> Result<Value, String> {
    let decoded: T = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&decoded).map_err(|e| e.to_string())
}

/// Every example the document gives for the schema: on the schema itself,
/// and on each response whose content refers to it.
fn examples(spec: &Value, name: &str) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    if let Some(example) = spec["components"]["schemas"][name].get("example") {
        found.push((
            format!("components.schemas.{name}.example"),
            example.clone(),
        ));
    }
    let reference = format!("#/components/schemas/{name}");
    let paths = spec["paths"].as_object().into_iter().flatten();
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().into_iter().flatten() {
            for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                let Some(media) = response["content"]["application/json"].as_object() else {
                    continue;
                };
                if media.get("schema").and_then(|s| s["$ref"].as_str()) != Some(reference.as_str())
                {
                    continue;
                }
                let at = format!("{method} {path} {status}");
                if let Some(example) = media.get("example") {
                    found.push((format!("{at} example"), example.clone()));
                }
                for (label, example) in media
                    .get("examples")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    found.push((format!("{at} examples.{label}"), example["value"].clone()));
                }
            }
        }
    }
    found
}

/// Checks `T` against schema `name`; returns what does not match.
fn mismatches<T: Serialize + DeserializeOwned>(spec: &Value, name: &str) -> Vec<String> {
    let schema = schema(spec, name);
    let properties = schema["properties"].as_object().expect("an object schema");
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut problems = Vec::new();

    let full = sample(spec, &Value::Object(schema.clone()));
    match round_trip::<T>(&full) {
        Ok(back) if back == full => {}
        Ok(back) => problems.push(format!("all properties: {full} came back as {back}")),
        Err(e) => problems.push(format!("all properties: {full} does not decode: {e}")),
    }

    for property in properties.keys() {
        let mut without = full.clone();
        without.as_object_mut().map(|o| o.remove(property));
        let result = round_trip::<T>(&without);
        if required.contains(&property.as_str()) {
            if result.is_ok() {
                problems.push(format!("`{property}` is required, but {without} decodes"));
            }
        } else {
            match result {
                Ok(back) if back == without => {}
                Ok(back) => problems.push(format!(
                    "`{property}` is optional: {without} came back as {back}"
                )),
                Err(e) => problems.push(format!(
                    "`{property}` is optional, but {without} does not decode: {e}"
                )),
            }
        }
    }

    let mut extended = full.clone();
    extended
        .as_object_mut()
        .map(|o| o.insert("not_in_the_spec".to_owned(), json!(1)));
    match round_trip::<T>(&extended) {
        Ok(back) if back == full => {}
        other => problems.push(format!("an unknown property is not ignored: {other:?}")),
    }

    if round_trip::<T>(&json!([full])).is_ok() {
        problems.push("an array decodes as the object".to_owned());
    }

    for (place, example) in examples(spec, name) {
        match round_trip::<T>(&example) {
            Ok(back) if back == example => {}
            other => problems.push(format!("{place}: {example} gives {other:?}")),
        }
    }
    problems
}

/// Each schema of the document, and the check of its model.
type Check = fn(&Value, &str) -> Vec<String>;

const MODELS: &[(&str, Check)] = &[
    ("SuccessResponse", mismatches::<SuccessResponse>),
    ("ErrorResponse", mismatches::<ErrorResponse>),
    ("NotFoundResponse", mismatches::<NotFoundResponse>),
    ("UnauthorizedResponse", mismatches::<UnauthorizedResponse>),
    ("PingResponse", mismatches::<PingResponse>),
    ("ServerInfo", mismatches::<ServerInfo>),
    ("TokenGenerateResponse", mismatches::<TokenGenerateResponse>),
    ("TokenRolesResponse", mismatches::<TokenRolesResponse>),
    ("AvailableModel", mismatches::<AvailableModel>),
    (
        "CreateModelInstanceRequest",
        mismatches::<CreateModelInstanceRequest>,
    ),
    (
        "CreateModelInstanceResponse",
        mismatches::<CreateModelInstanceResponse>,
    ),
    ("ModelInstance", mismatches::<ModelInstance>),
    (
        "DeleteModelInstanceRequest",
        mismatches::<DeleteModelInstanceRequest>,
    ),
    ("ModelInstanceState", mismatches::<ModelInstanceState>),
    (
        "ModelInstanceParameters",
        mismatches::<ModelInstanceParameters>,
    ),
    ("InferRequest", mismatches::<InferRequest>),
    ("InferResponse", mismatches::<InferResponse>),
    ("LearnRequest", mismatches::<LearnRequest>),
    ("LearnResponse", mismatches::<LearnResponse>),
    ("CreateEpisodeRequest", mismatches::<CreateEpisodeRequest>),
    ("EpisodeInfo", mismatches::<EpisodeInfo>),
    (
        "AttachEventsToEpisodeRequest",
        mismatches::<AttachEventsToEpisodeRequest>,
    ),
    (
        "AttachMetadataToEventRequest",
        mismatches::<AttachMetadataToEventRequest>,
    ),
];

#[test]
fn every_model_matches_its_schema() {
    let spec = spec::document();
    let problems: Vec<String> = MODELS
        .iter()
        .flat_map(|(name, check)| {
            check(&spec, name)
                .into_iter()
                .map(move |problem| format!("{name}: {problem}"))
        })
        .collect();
    assert!(
        problems.is_empty(),
        "models that differ from the document:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_schema_of_the_document_has_a_model() {
    let spec = spec::document();
    let mut documented: Vec<&str> = spec["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
        .map(String::as_str)
        .collect();
    documented.sort_unstable();
    let mut modelled: Vec<&str> = MODELS.iter().map(|(name, _)| *name).collect();
    modelled.sort_unstable();
    assert_eq!(modelled, documented);
}

#[test]
fn the_document_has_examples_for_the_answers_it_shows() {
    let spec = spec::document();
    // If the document lost these, the example checks would pass vacuously.
    assert!(examples(&spec, "ErrorResponse").len() >= 2);
    assert!(!examples(&spec, "TokenRolesResponse").is_empty());
    assert_eq!(examples(&spec, "ServerInfo").len(), 2);
    assert!(!examples(&spec, "EpisodeInfo").is_empty());
    assert!(!examples(&spec, "SuccessResponse").is_empty());
}

/// The check itself must be able to fail: a type that makes an optional
/// field required, and one that drops a field, are caught.
#[test]
fn a_model_that_differs_from_its_schema_is_caught() {
    #[derive(Serialize, serde::Deserialize)]
    struct MessageRequired {
        error: String,
        message: String,
    }
    #[derive(Serialize, serde::Deserialize)]
    struct NoMessage {
        error: String,
    }
    let spec = spec::document();
    assert!(!mismatches::<MessageRequired>(&spec, "ErrorResponse").is_empty());
    assert!(!mismatches::<NoMessage>(&spec, "ErrorResponse").is_empty());
}
