//! The models of the real server's own test suite
//! (`test/models_for_testing/` of RxInferServer), which it loads only with
//! `RXINFER_SERVER_LOAD_TEST_MODELS=true`: each `config.yaml` as it is
//! listed, and each `model.jl` as it behaves, including the functions it
//! does not define (inference without `run_inference` is the inference
//! failure, a 400; learning without `run_learning` a bare 500; creation
//! without `initial_state` a bare 500).

use std::sync::Arc;

use rxinfer_models::{Event, JsonObject, object};
use serde_json::{Value, json};

use crate::{Argument, Inference, Learning, Model, ModelConfig, ModelError};

/// All six, ready for the builder.
pub(crate) fn all() -> Vec<Arc<dyn Model>> {
    vec![
        Arc::new(TestModel::create_endpoint()),
        Arc::new(TestModel::inference_call()),
        Arc::new(TestModel::information_endpoint()),
        Arc::new(TestModel::learning_call()),
        Arc::new(TestModel::complex_state()),
        Arc::new(TestModel::roles_availability()),
    ]
}

/// What a test model's `model.jl` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// `test-model-create-endpoint`: state and parameters are the
    /// arguments; nothing else is defined.
    CreateEndpoint,
    /// `test-model-inference-call`: counts inferences, echoes the data.
    InferenceCall,
    /// `test-model-learning-call`: counts, echoes, and sums observations
    /// into `parameter`.
    LearningCall,
    /// `test-model-matrix-argument`: a `size`×`size` matrix in the state.
    ComplexState,
    /// An empty `model.jl`.
    Empty,
}

/// One of the real server's test models.
struct TestModel {
    config: ModelConfig,
    behaviour: Behaviour,
}

/// The failure of calling a function that `model.jl` does not define.
fn undefined(function: &str) -> ModelError {
    ModelError::new(format!("UndefVarError: `{function}` not defined"))
}

/// The `a` and `b` arguments of the create-endpoint and inference-call
/// models.
fn a_and_b(config: ModelConfig) -> ModelConfig {
    let argument = |name: &str| {
        Argument::new(name, format!("The `{name}` argument"))
            .with_type("float")
            .with_default(1.0)
    };
    config
        .with_argument(argument("a"))
        .with_argument(argument("b"))
}

/// Lazy Dynamics' model `name` for role `test-only`, described as
/// `description`.
fn test_only(name: &str, description: &str) -> ModelConfig {
    ModelConfig::new(name)
        .with_description(description)
        .with_author("Lazy Dynamics")
        .with_roles(["test-only"])
}

impl TestModel {
    /// `test/models_for_testing/test-model-create-endpoint`.
    fn create_endpoint() -> Self {
        Self {
            config: a_and_b(test_only(
                "TestModelCreateEndpoint",
                "This model is used to test the create endpoint.",
            )),
            behaviour: Behaviour::CreateEndpoint,
        }
    }

    /// `test/models_for_testing/test-model-inference-call`.
    fn inference_call() -> Self {
        Self {
            config: a_and_b(test_only(
                "TestModelInferenceCall",
                "This model is used to test the inference call.",
            )),
            behaviour: Behaviour::InferenceCall,
        }
    }

    /// `test/models_for_testing/test-model-information-endpoint`.
    fn information_endpoint() -> Self {
        Self {
            config: test_only(
                "TestModelInformationEndpoint",
                "This model is used to test the information endpoint.",
            ),
            behaviour: Behaviour::Empty,
        }
    }

    /// `test/models_for_testing/test-model-learning-call`.
    fn learning_call() -> Self {
        Self {
            config: test_only(
                "TestModelLearningCall",
                "This model is used to test the learning call.",
            ),
            behaviour: Behaviour::LearningCall,
        }
    }

    /// `test/models_for_testing/test-model-matrix-argument` (its folder
    /// name is not its model name).
    fn complex_state() -> Self {
        Self {
            config: test_only(
                "TestModelComplexState",
                // A YAML block scalar (`|`): its lines, each with its
                // newline.
                "This model is used to test the interaction between the server and the client\n\
                 when a complex state is involved. The following structures are present in the state:\n\
                 \n\
                 - `matrix` - a size x size matrix with elements 1, 2, 3, ... in the row-major order\n",
            )
            .with_argument(Argument::new(
                "size",
                "The size used to create the matrices or distributions",
            )),
            behaviour: Behaviour::ComplexState,
        }
    }

    /// `test/models_for_testing/test-model-roles-availability`.
    fn roles_availability() -> Self {
        Self {
            config: ModelConfig::new("TestModelRolesAvailability")
                .with_description("This model is used to test role based access control.\n")
                .with_author("Lazy Dynamics")
                .with_roles(["test-model-roles-availability"]),
            behaviour: Behaviour::Empty,
        }
    }
}

/// The largest `size` the stand-in builds a matrix for: the real server
/// would build any size its memory holds; here a million entries (some
/// 10 MB of JSON) is the limit, and a larger one fails the creation.
const MAX_SIZE: i64 = 1000;

/// `zeros(Float64, size, size)` filled with 1, 2, 3, ... row by row, in
/// the server's default JSON form of a matrix (no `Prefer` header):
/// `{"type":"mdarray","encoding":"array_of_arrays","shape":[n,n],"data":[rows]}`,
/// floats.
fn matrix(size: Option<&Value>) -> Result<Value, ModelError> {
    // `arguments["size"]`: a KeyError without it. `zeros` takes an
    // Integer (a Bool is one) and refuses a negative size or a Float.
    let n = match size.ok_or_else(|| ModelError::new("KeyError: key \"size\" not found"))? {
        Value::Bool(b) => i64::from(*b),
        other => other
            .as_i64()
            .ok_or_else(|| ModelError::new("MethodError: no method matching zeros"))?,
    };
    if n < 0 {
        return Err(ModelError::new("ArgumentError: invalid Array dimensions"));
    }
    if n > MAX_SIZE {
        return Err(ModelError::new("the stand-in builds no matrix that large"));
    }
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| (i * n + j + 1) as f64).collect())
        .collect();
    Ok(json!({
        "type": "mdarray",
        "encoding": "array_of_arrays",
        "shape": [n, n],
        "data": rows,
    }))
}

/// `state[key] += 1`: a KeyError or MethodError when it is not a number.
fn count_up(state: &mut JsonObject, key: &str) -> Result<(), ModelError> {
    let next = add(state.get(key), &json!(1))?;
    state.insert(key.to_owned(), next);
    Ok(())
}

/// Julia's `x + y` on two JSON values: integers (and booleans) add as
/// `Int64`, wrapping as Julia does; with a float in it, as `Float64`;
/// anything else is a MethodError.
fn add(x: Option<&Value>, y: &Value) -> Result<Value, ModelError> {
    let integer = |v: &Value| match v {
        Value::Bool(b) => Some(i64::from(*b)),
        other => other.as_i64(),
    };
    let float = |v: &Value| match v {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        other => other.as_f64(),
    };
    let x = x.ok_or_else(|| ModelError::new("KeyError"))?;
    if let (Some(x), Some(y)) = (integer(x), integer(y)) {
        return Ok(json!(x.wrapping_add(y)));
    }
    match (float(x), float(y)) {
        (Some(x), Some(y)) => Ok(json!(x + y)),
        _ => Err(ModelError::new("MethodError: no method matching +")),
    }
}

impl Model for TestModel {
    fn config(&self) -> &ModelConfig {
        &self.config
    }

    fn initial_state(&self, arguments: &JsonObject) -> Result<JsonObject, ModelError> {
        match self.behaviour {
            Behaviour::CreateEndpoint => Ok(arguments.clone()),
            Behaviour::InferenceCall => Ok(object([("number_of_inference_calls", 0)])),
            Behaviour::LearningCall => Ok(object([
                ("number_of_inference_calls", 0),
                ("number_of_learning_calls", 0),
                ("number_of_processed_events", 0),
            ])),
            Behaviour::ComplexState => Ok(object([("matrix", matrix(arguments.get("size"))?)])),
            Behaviour::Empty => Err(undefined("initial_state")),
        }
    }

    fn initial_parameters(&self, arguments: &JsonObject) -> Result<JsonObject, ModelError> {
        match self.behaviour {
            Behaviour::CreateEndpoint | Behaviour::InferenceCall => Ok(arguments.clone()),
            Behaviour::LearningCall => Ok(object([("parameter", 0)])),
            Behaviour::ComplexState => Ok(JsonObject::new()),
            Behaviour::Empty => Err(undefined("initial_parameters")),
        }
    }

    fn run_inference(
        &self,
        state: &JsonObject,
        _: &JsonObject,
        data: &JsonObject,
    ) -> Result<Inference, ModelError> {
        match self.behaviour {
            Behaviour::InferenceCall | Behaviour::LearningCall => {
                let mut state = state.clone();
                count_up(&mut state, "number_of_inference_calls")?;
                Ok(Inference::new(data.clone(), state))
            }
            _ => Err(undefined("run_inference")),
        }
    }

    fn run_learning(
        &self,
        state: &JsonObject,
        parameters: &JsonObject,
        events: &[Event],
    ) -> Result<Learning, ModelError> {
        if self.behaviour != Behaviour::LearningCall {
            return Err(undefined("run_learning"));
        }
        let mut parameter = parameters
            .get("parameter")
            .cloned()
            .ok_or_else(|| ModelError::new("KeyError: key \"parameter\" not found"))?;
        let mut processed = state
            .get("number_of_processed_events")
            .cloned()
            .ok_or_else(|| ModelError::new("KeyError"))?;
        for event in events {
            let observation = event
                .data
                .as_ref()
                .and_then(|data| data.get("observation"))
                .ok_or_else(|| ModelError::new("KeyError: key \"observation\" not found"))?;
            parameter = add(Some(&parameter), observation)?;
            processed = add(Some(&processed), &json!(1))?;
        }
        // model.jl answers `Dict("parameter" => parameter)` and stores the
        // parameters with `parameter` replaced: the same here, as the
        // parameters hold nothing else.
        let mut parameters = parameters.clone();
        parameters.insert("parameter".to_owned(), parameter);
        let mut state = state.clone();
        count_up(&mut state, "number_of_learning_calls")?;
        state.insert("number_of_processed_events".to_owned(), processed);
        Ok(Learning::new(parameters, state))
    }
}
