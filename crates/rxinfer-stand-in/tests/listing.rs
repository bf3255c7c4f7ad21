//! The model listing against each shipped model's `config.yaml`, over real
//! HTTP: the real server lists a model's details and its whole
//! configuration as YAML.jl loaded it.

mod common;

use common::{dev_server, get};
use serde_json::{Value, json};

/// `models/beta-bernoulli-v1/config.yaml` of lazydynamics/RxInferServer at
/// commit 5f98c5ac432bcf4ad7f4e323ec4d6c1168aaf3f9.
const BETA_BERNOULLI: &str = r#"
name: BetaBernoulli-v1
description: A simple Beta-Bernoulli model
author: Lazy Dynamics
roles:
  - user

arguments:
  - name: prior_a
    description: The initial alpha parameter of the prior Beta distribution `p`
    type: int
    required: false
    default: 1
  - name: prior_b
    description: The initial beta parameter of the prior Beta distribution `p`
    type: int
    required: false
    default: 1

parameters:
  - name: posterior_a
    description: The posterior parameter `a` of the Beta distribution
  - name: posterior_b
    description: The posterior parameter `b` of the Beta distribution

data:
  - name: observation
    description: A single `1` or `0` value indicating the outcome of a Bernoulli trial
    type: int
    required: true"#;

/// `models/dirichlet-categorical-v1/config.yaml`, same repository and
/// commit.
const DIRICHLET_CATEGORICAL: &str = r#"name: DirichletCategorical-v1
description: A simple Dirichlet-Categorical model
author: Lazy Dynamics
roles:
  - user

arguments:
  - name: prior_alpha
    description: The initial alpha parameter of the prior Dirichlet distribution `alpha`
    type: array
    required: false
    default: [1.0, 1.0, 1.0]

parameters:
  - name: posterior_alpha
    description: The posterior parameter `alpha` of the Dirichlet distribution

data:
  - name: observations
    description: The observations to make predictions on
    type: array
    required: true"#;

/// The listing entry the real server makes of `yaml`.
fn listed(yaml: &str) -> Value {
    let config: Value = serde_yaml_ng::from_str(yaml).expect("the fixture is YAML");
    json!({
        "details": {
            "name": config["name"],
            "description": config["description"],
            "author": config["author"],
            "roles": config["roles"],
        },
        "config": config,
    })
}

#[tokio::test]
async fn each_shipped_model_is_listed_as_its_config_yaml() {
    let server = dev_server().await;
    let expected = [
        ("BetaBernoulli-v1", listed(BETA_BERNOULLI)),
        ("DirichletCategorical-v1", listed(DIRICHLET_CATEGORICAL)),
    ];
    // Integers and floats stay apart: `default: 1` is listed as 1.
    assert_eq!(
        expected[0].1["config"]["arguments"][0]["default"].to_string(),
        "1"
    );
    for (name, entry) in &expected {
        assert_eq!(
            get(&server, &format!("/models/available/{name}")).await,
            (200, entry.clone()),
            "{name}"
        );
    }
    let (status, all) = get(&server, "/models/available").await;
    assert_eq!(status, 200);
    let all = all.as_array().expect("a list");
    assert_eq!(all.len(), expected.len());
    for (name, entry) in &expected {
        assert!(all.contains(entry), "{name} in {all:?}");
    }
}
