//! The official OpenAPI document: the repository's copy
//! (`openapi/rxinferserver-spec.yaml`), or the file `RXINFER_SPEC` names.

use std::path::PathBuf;

use serde_json::Value;

/// The document, as JSON.
pub(crate) fn document() -> Value {
    let path = std::env::var_os("RXINFER_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi/rxinferserver-spec.yaml")
        });
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the OpenAPI document at {} is needed: {e}", path.display()));
    serde_yaml_ng::from_str(&text).expect("the OpenAPI document is YAML")
}
