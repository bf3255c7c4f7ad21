//! The client's table of operations against the official OpenAPI document:
//! every operation of the document is there, under its `operationId` in
//! snake case, with its method, path, security and documented error
//! statuses; only `GET`s and `DELETE`s may be sent twice.

mod spec;

use rxinfer_client::Client;
use rxinfer_conformance::every_operation;
use serde_json::Value;

fn snake_case(operation_id: &str) -> String {
    let mut name = String::new();
    for c in operation_id.chars() {
        if c.is_ascii_uppercase() {
            name.push('_');
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

#[test]
fn every_operation_of_the_document_is_in_the_table_as_documented() {
    let spec = spec::document();
    let client = Client::new().expect("builds");
    let table = every_operation(&client);
    let mut documented = Vec::new();
    for (path, operations) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let name = snake_case(operation["operationId"].as_str().expect("an operationId"));
            let route = format!("{} {path}", method.to_ascii_uppercase());
            let entry = table
                .iter()
                .find(|o| o.name == name)
                .unwrap_or_else(|| panic!("{name} is not in the table"));
            assert_eq!(entry.route, route, "{name}");
            let open = operation["security"].as_array().is_some_and(Vec::is_empty);
            assert_eq!(entry.needs_token, !open, "{name}");
            let mut errors: Vec<u16> = operation["responses"]
                .as_object()
                .expect("responses")
                .keys()
                .filter_map(|status| status.parse().ok())
                .filter(|status| *status != 200)
                .collect();
            errors.sort_unstable();
            assert_eq!(entry.documented_errors, errors.as_slice(), "{name}");
            let resendable = matches!(method.as_str(), "get" | "delete");
            assert_eq!(entry.resendable, resendable, "{name}");
            documented.push(name);
        }
    }
    assert_eq!(documented.len(), table.len());
    assert_eq!(documented.len(), 21);
    let _: Value = spec;
}
