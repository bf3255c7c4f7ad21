//! What a model is to the stand-in: its configuration, and the four
//! functions a `model.jl` defines on the real server.

use std::fmt;

use rxinfer_models::{AvailableModel, AvailableModelDetails, Event, JsonObject};
use serde_json::{Value, json};

/// A model the stand-in serves, as a folder with `config.yaml` and
/// `model.jl` is to the real server: [`ModelConfig`] is the configuration,
/// the four methods are `model.jl`'s functions.
///
/// A model returns matrices and distributions as typed values held in the
/// server's default form: `MdArray::to_json(&Preferences::DEFAULT)` and
/// `serde_json::to_value(&distribution)`. The stand-in writes them in the
/// form each request's `Prefer` asks for; plain nested arrays stay plain,
/// as a Julia vector of vectors does. [`ConjugateRegression`](crate::ConjugateRegression)
/// returns both.
///
/// ```
/// use rxinfer_models::{Event, FreeForm, JsonObject, object};
/// use rxinfer_stand_in::{Inference, Learning, Model, ModelConfig, ModelError};
///
/// /// Counts observations; learning sums them.
/// struct Counter { config: ModelConfig }
///
/// impl Model for Counter {
///     fn config(&self) -> &ModelConfig { &self.config }
///     fn initial_state(&self, _: &JsonObject) -> Result<JsonObject, ModelError> {
///         Ok(object([("seen", 0)]))
///     }
///     fn initial_parameters(&self, _: &JsonObject) -> Result<JsonObject, ModelError> {
///         Ok(object([("total", 0.0)]))
///     }
///     fn run_inference(&self, state: &JsonObject, _: &JsonObject, _: &JsonObject) -> Result<Inference, ModelError> {
///         let seen = state.i64("seen").unwrap_or(0) + 1;
///         Ok(Inference::new(object([("seen", seen)]), object([("seen", seen)])))
///     }
///     fn run_learning(&self, state: &JsonObject, parameters: &JsonObject, events: &[Event]) -> Result<Learning, ModelError> {
///         let total = parameters.f64("total").unwrap_or(0.0) + events.len() as f64;
///         Ok(Learning::new(object([("total", total)]), state.clone()))
///     }
/// }
///
/// let counter = Counter { config: ModelConfig::new("Counter-v1").with_roles(["user"]) };
/// # let _ = counter;
/// ```
pub trait Model: Send + Sync + 'static {
    /// Name, description, author, roles and arguments.
    fn config(&self) -> &ModelConfig;

    /// The state of a new instance created with `arguments` (the
    /// configuration's defaults with the request's overlaid).
    ///
    /// # Errors
    ///
    /// When the model cannot start from `arguments` (one it needs is
    /// missing or unusable); the stand-in answers the creation with a bare
    /// 500 and stores nothing, as the real server, whose `initial_state`
    /// runs outside any `try`.
    fn initial_state(&self, arguments: &JsonObject) -> Result<JsonObject, ModelError>;

    /// The parameters of a new instance's episodes, and of a wiped one.
    ///
    /// # Errors
    ///
    /// As [`initial_state`](Self::initial_state): creating the instance,
    /// creating an episode or wiping one then answers a bare 500.
    fn initial_parameters(&self, arguments: &JsonObject) -> Result<JsonObject, ModelError>;

    /// Inference on `data` with the current episode's `parameters`: the
    /// results and the new state. The parameters never change here.
    ///
    /// # Errors
    ///
    /// When the model cannot use `data`; the stand-in answers 400 `Unable to
    /// run inference due to internal error`, as the real server.
    fn run_inference(
        &self,
        state: &JsonObject,
        parameters: &JsonObject,
        data: &JsonObject,
    ) -> Result<Inference, ModelError>;

    /// Learning from `events` (one episode's, unprocessed unless
    /// relearning), starting from that episode's `parameters`.
    ///
    /// # Errors
    ///
    /// When the model cannot learn from the events; the stand-in answers a
    /// bare 500, as the real server.
    fn run_learning(
        &self,
        state: &JsonObject,
        parameters: &JsonObject,
        events: &[Event],
    ) -> Result<Learning, ModelError>;
}

/// What inference produced.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Inference {
    /// Sent back as the answer's `results`.
    pub results: JsonObject,
    /// Replaces the instance's state.
    pub state: JsonObject,
}

impl Inference {
    /// `results`, and the new `state`.
    pub fn new(results: JsonObject, state: JsonObject) -> Self {
        Self { results, state }
    }
}

/// What learning produced.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Learning {
    /// Replace the episode's parameters, and are sent back as
    /// `learned_parameters`.
    pub parameters: JsonObject,
    /// Replaces the instance's state.
    pub state: JsonObject,
}

impl Learning {
    /// The new `parameters` and `state`.
    pub fn new(parameters: JsonObject, state: JsonObject) -> Self {
        Self { parameters, state }
    }
}

/// Why a model could not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError(String);

impl ModelError {
    /// A failure saying `reason`.
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ModelError {}

/// A model's `config.yaml`: who may see it, which arguments it takes, and
/// what it documents. The listing (`GET /models/available[/{name}]`) shows
/// it as the real server shows a loaded `config.yaml`: each key that was
/// set, with the values as given (an integer default stays an integer),
/// and no key that was not.
///
/// ```
/// use rxinfer_stand_in::{Argument, Field, ModelConfig};
///
/// // models/autoregressive-v1/config.yaml, in part:
/// let config = ModelConfig::new("Autoregressive-v1")
///     .with_description("An autoregressive model")
///     .with_author("Lazy Dynamics")
///     .with_roles(["user"])
///     .with_argument(
///         Argument::new("order", "The order of the autoregressive model")
///             .with_type("int")
///             .required(),
///     )
///     .with_argument(
///         Argument::new("horizon", "The horizon of the model for prediction")
///             .with_type("int")
///             .with_default(0),
///     )
///     .with_parameter(Field::new(
///         "τ_α",
///         "The shape parameter of the precision of the coefficients",
///     ));
/// assert_eq!(config.name(), "Autoregressive-v1");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    name: String,
    description: String,
    author: String,
    roles: Vec<String>,
    arguments: Vec<Argument>,
    parameters: Vec<Field>,
    data: Vec<Field>,
    extra: JsonObject,
}

impl ModelConfig {
    /// A model named `name` (with its version, such as `MyModel-v1`),
    /// visible to role `user`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: String::new(),
            author: String::new(),
            roles: vec!["user".to_owned()],
            arguments: Vec::new(),
            parameters: Vec::new(),
            data: Vec::new(),
            extra: JsonObject::new(),
        }
    }

    /// The same, with `description` (a YAML block scalar, `|`, keeps its
    /// final newline: write it in).
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// The same, with `author`.
    pub fn with_author(mut self, author: impl Into<String>) -> Self {
        self.author = author.into();
        self
    }

    /// The same, visible to tokens with any of `roles` instead.
    pub fn with_roles<I, R>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = R>,
        R: Into<String>,
    {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// The same, taking `argument` too (listed under `arguments`, in
    /// order).
    pub fn with_argument(mut self, argument: Argument) -> Self {
        self.arguments.push(argument);
        self
    }

    /// The same, documenting `parameter` too (listed under `parameters`).
    /// Only documentation: the model's code makes the parameters.
    pub fn with_parameter(mut self, parameter: Field) -> Self {
        self.parameters.push(parameter);
        self
    }

    /// The same, documenting `field` of the inference data too (listed
    /// under `data`). Only documentation: nothing checks the data sent.
    pub fn with_data(mut self, field: Field) -> Self {
        self.data.push(field);
        self
    }

    /// The same, with a top-level `key` of `config.yaml` that no other
    /// method writes, shown in the listing's `config` as `value`. The keys
    /// the other methods write (`name`, `description`, `author`, `roles`,
    /// and `arguments`, `parameters`, `data` once one entry is added) take
    /// precedence.
    pub fn with_extra(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn visible_to(&self, roles: &[String]) -> bool {
        self.roles.iter().any(|role| roles.contains(role))
    }

    /// The defaults overlaid with `given`; the first required argument
    /// missing, if one is.
    pub(crate) fn arguments(&self, given: Option<&JsonObject>) -> Result<JsonObject, String> {
        let mut arguments: JsonObject = self
            .arguments
            .iter()
            .filter_map(|a| Some((a.name.clone(), a.default.clone()?)))
            .collect();
        if let Some(given) = given {
            arguments.extend(given.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        match self
            .arguments
            .iter()
            .find(|a| a.required == Some(true) && !arguments.contains_key(&a.name))
        {
            Some(missing) => Err(missing.name.clone()),
            None => Ok(arguments),
        }
    }

    /// As the server lists it: the details, and the whole configuration.
    pub(crate) fn available_model(&self) -> AvailableModel {
        let details = AvailableModelDetails::new(&self.name)
            .with_description(&self.description)
            .with_author(&self.author)
            .with_roles(self.roles.iter().cloned());
        let mut config = self.extra.clone();
        config.insert("name".to_owned(), json!(self.name));
        config.insert("description".to_owned(), json!(self.description));
        config.insert("author".to_owned(), json!(self.author));
        config.insert("roles".to_owned(), json!(self.roles));
        let lists = [
            (
                "arguments",
                self.arguments
                    .iter()
                    .map(Argument::to_json)
                    .collect::<Vec<_>>(),
            ),
            (
                "parameters",
                self.parameters.iter().map(Field::to_json).collect(),
            ),
            ("data", self.data.iter().map(Field::to_json).collect()),
        ];
        for (key, entries) in lists {
            if !entries.is_empty() {
                config.insert(key.to_owned(), Value::Array(entries));
            }
        }
        AvailableModel::new(details, config)
    }
}

/// One argument a model takes: an entry of `config.yaml`'s `arguments`.
#[derive(Debug, Clone, PartialEq)]
pub struct Argument {
    name: String,
    description: String,
    kind: Option<String>,
    required: Option<bool>,
    default: Option<Value>,
}

impl Argument {
    /// An optional argument `name` without a default, listed with its name
    /// and description only.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            kind: None,
            required: None,
            default: None,
        }
    }

    /// The same, required at creation (only its presence is checked), and
    /// listed with `required: true`.
    pub fn required(self) -> Self {
        self.with_required(true)
    }

    /// The same, listed with `required: required` (only `true` is
    /// checked, as the real server does).
    pub fn with_required(mut self, required: bool) -> Self {
        self.required = Some(required);
        self
    }

    /// The same, with `default` (given as the YAML has it: `1` and `1.0`
    /// are listed, and merged into the arguments, differently).
    pub fn with_default(mut self, default: impl Into<Value>) -> Self {
        self.default = Some(default.into());
        self
    }

    /// The same, documented as of type `kind` (`float`, `int`, ...); only
    /// documentation.
    pub fn with_type(mut self, kind: impl Into<String>) -> Self {
        self.kind = Some(kind.into());
        self
    }

    fn to_json(&self) -> Value {
        let mut entry = entry(
            &self.name,
            &self.description,
            self.kind.as_ref(),
            self.required,
        );
        if let Some(default) = &self.default {
            entry.insert("default".to_owned(), default.clone());
        }
        Value::Object(entry)
    }
}

/// An entry of `config.yaml`'s `parameters` or `data`: a name and a
/// description, with an optional type and `required` flag. Only
/// documentation, shown in the listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    name: String,
    description: String,
    kind: Option<String>,
    required: Option<bool>,
}

impl Field {
    /// A field `name`, listed with its name and description only.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            kind: None,
            required: None,
        }
    }

    /// The same, listed with `type: kind`.
    pub fn with_type(mut self, kind: impl Into<String>) -> Self {
        self.kind = Some(kind.into());
        self
    }

    /// The same, listed with `required: required`.
    pub fn with_required(mut self, required: bool) -> Self {
        self.required = Some(required);
        self
    }

    fn to_json(&self) -> Value {
        Value::Object(entry(
            &self.name,
            &self.description,
            self.kind.as_ref(),
            self.required,
        ))
    }
}

/// An entry of a `config.yaml` list with the keys that were set.
fn entry(
    name: &str,
    description: &str,
    kind: Option<&String>,
    required: Option<bool>,
) -> JsonObject {
    let mut entry = JsonObject::new();
    entry.insert("name".to_owned(), json!(name));
    entry.insert("description".to_owned(), json!(description));
    if let Some(kind) = kind {
        entry.insert("type".to_owned(), json!(kind));
    }
    if let Some(required) = required {
        entry.insert("required".to_owned(), json!(required));
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use rxinfer_models::object;

    #[test]
    fn defaults_are_overlaid_and_required_arguments_checked() {
        let config = ModelConfig::new("M")
            .with_argument(Argument::new("a", "").with_default(1))
            .with_argument(Argument::new("b", "").with_default(1))
            .with_argument(Argument::new("order", "").required());
        assert_eq!(config.arguments(None), Err("order".to_owned()));
        let given = object([
            ("a", json!(2)),
            ("order", json!(3)),
            ("extra", json!("kept")),
        ]);
        assert_eq!(
            config.arguments(Some(&given)),
            Ok(object([
                ("a", json!(2)),
                ("b", json!(1)),
                ("order", json!(3)),
                ("extra", json!("kept"))
            ]))
        );
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use rxinfer_models::object;

    /// A model that counts inferences and events, needing argument
    /// `order` when `needs_order`.
    pub(crate) struct Counter(ModelConfig);

    pub(crate) fn counter(name: &str, needs_order: bool) -> Counter {
        let mut config = ModelConfig::new(name);
        if needs_order {
            config = config.with_argument(Argument::new("order", "required").required());
        }
        Counter(config)
    }

    impl Model for Counter {
        fn config(&self) -> &ModelConfig {
            &self.0
        }

        fn initial_state(&self, _: &JsonObject) -> Result<JsonObject, ModelError> {
            Ok(object([("inferences", 0)]))
        }

        fn initial_parameters(&self, _: &JsonObject) -> Result<JsonObject, ModelError> {
            Ok(object([("events", 0)]))
        }

        fn run_inference(
            &self,
            state: &JsonObject,
            _: &JsonObject,
            _: &JsonObject,
        ) -> Result<Inference, ModelError> {
            let n = state.get("inferences").and_then(Value::as_i64).unwrap_or(0) + 1;
            Ok(Inference::new(
                object([("inferences", n)]),
                object([("inferences", n)]),
            ))
        }

        fn run_learning(
            &self,
            state: &JsonObject,
            parameters: &JsonObject,
            events: &[Event],
        ) -> Result<Learning, ModelError> {
            let n = parameters
                .get("events")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            Ok(Learning::new(
                object([("events", n + events.len() as i64)]),
                state.clone(),
            ))
        }
    }
}
