//! Each model against the schema of the same name in the official OpenAPI
//! document (the repository's copy, `openapi/rxinferserver-spec.yaml`, or
//! the path in `RXINFER_SPEC`): its required and optional fields, and every example the
//! document gives for it.
//!
//! Fields are checked by behaviour rather than by reflection: an object with
//! every property decodes and encodes back unchanged; without a required
//! property it is rejected; without an optional one it decodes and encodes
//! back without it; an unknown property is ignored.

use std::path::PathBuf;

use rxinfer_models::{
    ErrorResponse, TokenGenerateResponse, TokenRolesResponse, UnauthorizedResponse,
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value, json};

fn spec() -> Value {
    let path = std::env::var_os("RXINFER_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../openapi/rxinferserver-spec.yaml")
        });
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the OpenAPI document at {} is needed: {e}", path.display()));
    serde_yaml_ng::from_str(&text).expect("the OpenAPI document is YAML")
}

fn schema<'a>(spec: &'a Value, name: &str) -> &'a Map<String, Value> {
    spec["components"]["schemas"][name]
        .as_object()
        .unwrap_or_else(|| panic!("no schema {name} in the document"))
}

/// A value of the property's schema: its first enum value, or one of its type.
fn sample(property: &Value) -> Value {
    if let Some(first) = property["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    match property["type"].as_str() {
        Some("string") => json!("sample"),
        Some("integer") => json!(7),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => json!([sample(&property["items"]), sample(&property["items"])]),
        Some("object") => json!({}),
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
fn mismatches<T: Serialize + DeserializeOwned>(name: &str) -> Vec<String> {
    let spec = spec();
    let schema = schema(&spec, name);
    let properties = schema["properties"].as_object().expect("an object schema");
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut problems = Vec::new();

    let full: Map<String, Value> = properties
        .iter()
        .map(|(k, v)| (k.clone(), sample(v)))
        .collect();
    let full = Value::Object(full);
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

    for (place, example) in examples(&spec, name) {
        match round_trip::<T>(&example) {
            Ok(back) if back == example => {}
            other => problems.push(format!("{place}: {example} gives {other:?}")),
        }
    }
    problems
}

fn assert_matches<T: Serialize + DeserializeOwned>(name: &str) {
    let problems = mismatches::<T>(name);
    assert!(
        problems.is_empty(),
        "{name} does not match the document:\n{}",
        problems.join("\n")
    );
}

#[test]
fn token_generate_response_matches_the_schema() {
    assert_matches::<TokenGenerateResponse>("TokenGenerateResponse");
}

#[test]
fn token_roles_response_matches_the_schema() {
    assert_matches::<TokenRolesResponse>("TokenRolesResponse");
}

#[test]
fn error_response_matches_the_schema() {
    assert_matches::<ErrorResponse>("ErrorResponse");
}

#[test]
fn unauthorized_response_matches_the_schema() {
    assert_matches::<UnauthorizedResponse>("UnauthorizedResponse");
}

#[test]
fn the_document_has_examples_for_the_error_and_roles_schemas() {
    let spec = spec();
    // If the document lost these, the example checks above would pass vacuously.
    assert!(examples(&spec, "ErrorResponse").len() >= 2);
    assert!(!examples(&spec, "TokenRolesResponse").is_empty());
    assert!(!examples(&spec, "UnauthorizedResponse").is_empty());
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
    assert!(!mismatches::<MessageRequired>("ErrorResponse").is_empty());
    assert!(!mismatches::<NoMessage>("ErrorResponse").is_empty());
}
