//! Every route of the real server, answering with `rxinfer-models` types:
//! which route a request is, the real pipeline (body, then token, then
//! validation, then the handler), and the answers.

use std::sync::Arc;

use bytes::Bytes;
use http::{
    HeaderValue, Method, Request, Response, StatusCode,
    header::{
        ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
        ALLOW, AUTHORIZATION, CONNECTION, CONTENT_TYPE, RETRY_AFTER,
    },
};
use http_body_util::Full;
use percent_encoding::percent_decode_str;
use rxinfer_models::{
    AttachEventsToEpisodeRequest, AttachMetadataToEventRequest, CreateEpisodeRequest,
    CreateModelInstanceRequest, CreateModelInstanceResponse, ErrorResponse, InferRequest,
    LearnRequest, NotFoundResponse, PingResponse, Preferences, SuccessResponse,
    TokenGenerateResponse, TokenRolesResponse, UnauthorizedResponse,
};
use serde::{Serialize, de::DeserializeOwned};

use crate::{
    Model, clock, preferred,
    state::State,
    store::{Failure, InferenceInput},
};

/// The `message` of the server's `401`.
pub const UNAUTHORIZED_MESSAGE: &str =
    "The request requires authentication, generate a token using the /generate-token endpoint";

/// The `message` of the server's `401` when the development token is on.
pub const UNAUTHORIZED_MESSAGE_WITH_DEV_TOKEN: &str = "The request requires authentication, generate a token using the /generate-token endpoint or use the development token `dev-token`";

/// The `message` of the server's `400` on token generation.
pub const BAD_REQUEST_MESSAGE: &str = "Unable to generate token due to internal error";

const DEV_TOKEN: &str = "dev-token";

type Answer = Response<Full<Bytes>>;

/// Which operation a request is, with its path parameters decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Ping,
    Info,
    TokenGenerate,
    TokenRoles,
    AvailableModels,
    AvailableModel(String),
    CreateInstance,
    Instances,
    Instance(String),
    State(String),
    Parameters(String),
    Infer(String),
    Learn(String),
    CreateEpisode(String),
    Episodes(String),
    Episode(String, String),
    AttachEvents(String, String),
    Wipe(String, String),
    AttachMetadata(String, String, String),
}

impl Route {
    /// The route of `path` under `base_path`, if it is one. As HTTP.jl's
    /// router, this splits both dropping empty segments: `/v1//ping` is
    /// `/v1/ping`, and `/models/i/ID/episodes/` is `get_episodes`, not an
    /// episode with an empty name.
    fn of(base_path: &str, path: &str) -> Option<Self> {
        let mut segments = path.split('/').filter(|s| !s.is_empty());
        for expected in base_path.split('/').filter(|s| !s.is_empty()) {
            if segments.next()? != expected {
                return None;
            }
        }
        let segments: Vec<String> = segments
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let s: Vec<&str> = segments.iter().map(String::as_str).collect();
        let owned = |i: usize| segments[i].clone();
        Some(match s.as_slice() {
            ["ping"] => Route::Ping,
            ["info"] => Route::Info,
            ["token", "generate"] => Route::TokenGenerate,
            ["token", "roles"] => Route::TokenRoles,
            ["models", "available"] => Route::AvailableModels,
            ["models", "available", _] => Route::AvailableModel(owned(2)),
            ["models", "create-instance"] => Route::CreateInstance,
            ["models", "instances"] => Route::Instances,
            ["models", "i", _] => Route::Instance(owned(2)),
            ["models", "i", _, "state"] => Route::State(owned(2)),
            ["models", "i", _, "parameters"] => Route::Parameters(owned(2)),
            ["models", "i", _, "infer"] => Route::Infer(owned(2)),
            ["models", "i", _, "learn"] => Route::Learn(owned(2)),
            ["models", "i", _, "create-episode"] => Route::CreateEpisode(owned(2)),
            ["models", "i", _, "episodes"] => Route::Episodes(owned(2)),
            ["models", "i", _, "episodes", _] => Route::Episode(owned(2), owned(4)),
            ["models", "i", _, "episodes", _, "attach-events"] => {
                Route::AttachEvents(owned(2), owned(4))
            }
            ["models", "i", _, "episodes", _, "wipe"] => Route::Wipe(owned(2), owned(4)),
            [
                "models",
                "i",
                _,
                "episodes",
                _,
                "events",
                _,
                "attach-metadata",
            ] => Route::AttachMetadata(owned(2), owned(4), owned(6)),
            _ => return None,
        })
    }

    /// The methods the route takes, as an `Allow` header says them.
    fn allowed(&self) -> &'static str {
        match self {
            Route::Ping
            | Route::Info
            | Route::TokenRoles
            | Route::AvailableModels
            | Route::AvailableModel(_)
            | Route::Instances
            | Route::State(_)
            | Route::Parameters(_)
            | Route::Episodes(_) => "GET",
            Route::Instance(_) | Route::Episode(..) => "GET, DELETE",
            _ => "POST",
        }
    }

    fn needs_token(&self) -> bool {
        !matches!(self, Route::Ping | Route::TokenGenerate)
    }
}

/// Who is calling: the owner of what they create, and their roles.
struct Caller {
    owner: String,
    roles: Vec<String>,
}

/// A request body, read as the generated server reads it, before the token
/// is checked.
enum Body {
    None,
    CreateInstance(CreateModelInstanceRequest),
    Infer(InferRequest),
    Learn(LearnRequest),
    CreateEpisode(CreateEpisodeRequest),
    AttachEvents(AttachEventsToEpisodeRequest),
    AttachMetadata(i64, AttachMetadataToEventRequest),
}

/// Answers one request.
pub(crate) async fn route<B>(state: &State, request: &Request<B>, body: &[u8]) -> Answer {
    let mut response = if state.still_unavailable() {
        let mut response = empty(StatusCode::SERVICE_UNAVAILABLE);
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("0"));
        response
    } else {
        respond(state, request, body).await
    };
    add_cors_headers(&mut response);
    response
}

async fn respond<B>(state: &State, request: &Request<B>, body: &[u8]) -> Answer {
    if request.method() == Method::OPTIONS {
        return empty(StatusCode::OK);
    }
    let Some(route) = Route::of(&state.config.base_path, request.uri().path()) else {
        return empty(StatusCode::NOT_FOUND);
    };
    if !route.allowed().split(", ").any(|m| m == request.method()) {
        let mut response = empty(StatusCode::METHOD_NOT_ALLOWED);
        // RFC 9110 requires a 405 to say which methods the route takes.
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static(route.allowed()));
        return response;
    }
    // 1. The body and path parameters: a failure is a bare 500, token or not.
    let Some(parsed) = parse_body(&route, body) else {
        return internal();
    };
    // 2. The token.
    let caller = if route.needs_token() {
        match caller(state, request) {
            Some(caller) => Some(caller),
            None => return unauthorized(state),
        }
    } else {
        None
    };
    // 3. The handler, writing matrices and distributions as preferred.
    // HTTP.jl hands over header bytes whatever they hold: a piece that
    // is not ASCII is skipped, the rest of its line still applies.
    let prefer: Vec<String> = request
        .headers()
        .get_all(Preferences::HEADER)
        .iter()
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .collect();
    let (preferences, applied) = Preferences::parse(prefer.iter().map(String::as_str));
    let mut response = match (route, caller) {
        (Route::Ping, _) => json(StatusCode::OK, &PingResponse::ok()),
        (Route::TokenGenerate, _) => token_generate(state, request),
        (route, Some(caller)) => {
            let result = handle(
                state,
                request.method(),
                route,
                &caller,
                parsed,
                &preferences,
            )
            .await;
            result.unwrap_or_else(failure)
        }
        (_, None) => unauthorized(state),
    };
    // `postprocess_response` echoes each applied piece on a line of its
    // own, on the 200s it builds; errors are built without it.
    if response.status() == StatusCode::OK {
        for piece in applied {
            if let Ok(value) = HeaderValue::from_str(piece) {
                response
                    .headers_mut()
                    .append(Preferences::APPLIED_HEADER, value);
            }
        }
    }
    response
}

fn parse_body(route: &Route, body: &[u8]) -> Option<Body> {
    fn read<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
        serde_json::from_slice(body).ok()
    }
    Some(match route {
        Route::CreateInstance => Body::CreateInstance(read(body)?),
        Route::Infer(_) => Body::Infer(read(body)?),
        Route::Learn(_) => Body::Learn(read(body)?),
        Route::CreateEpisode(_) => Body::CreateEpisode(read(body)?),
        Route::AttachEvents(..) => Body::AttachEvents(read(body)?),
        Route::AttachMetadata(_, _, event_id) => {
            Body::AttachMetadata(event_id.parse().ok()?, read(body)?)
        }
        _ => Body::None,
    })
}

async fn handle(
    state: &State,
    method: &Method,
    route: Route,
    caller: &Caller,
    body: Body,
    preferences: &Preferences,
) -> Result<Answer, Failure> {
    let owner = caller.owner.as_str();
    let done = |message: &str| Ok(json(StatusCode::OK, &SuccessResponse::new(message)));
    match (route, body) {
        (Route::Info, _) => Ok(json(StatusCode::OK, &state.config.server_info)),
        (Route::TokenRoles, _) => Ok(json(
            StatusCode::OK,
            &TokenRolesResponse::new(caller.roles.clone()),
        )),
        (Route::AvailableModels, _) => {
            let models: Vec<_> = state
                .config
                .models
                .iter()
                .filter(|m| m.config().visible_to(&caller.roles))
                .map(|m| m.config().available_model())
                .collect();
            Ok(json(StatusCode::OK, &models))
        }
        (Route::AvailableModel(name), _) => {
            let model = visible_model(state, caller, &name)?;
            Ok(json(StatusCode::OK, &model.config().available_model()))
        }
        (Route::CreateInstance, Body::CreateInstance(request)) => {
            check_description(&request)?;
            let model = visible_model(state, caller, &request.model_name)?;
            let id = state.store().create_instance(owner, model, &request)?;
            Ok(json(StatusCode::OK, &CreateModelInstanceResponse::new(id)))
        }
        (Route::Instances, _) => Ok(json(StatusCode::OK, &state.store().instances(owner))),
        (Route::Instance(id), _) if method == Method::DELETE => {
            state.store().delete_instance(owner, &id)?;
            done("Model instance deleted successfully")
        }
        (Route::Instance(id), _) => Ok(json(StatusCode::OK, &state.store().describe(owner, &id)?)),
        (Route::State(id), _) => {
            let instance_state = state.store().state(owner, &id)?;
            Ok(json(
                StatusCode::OK,
                &preferred::State::new(&instance_state, preferences),
            ))
        }
        (Route::Parameters(id), _) => {
            let parameters = state.store().parameters(owner, &id)?;
            Ok(json(
                StatusCode::OK,
                &preferred::Parameters::new(&parameters, preferences),
            ))
        }
        (Route::Infer(id), Body::Infer(request)) => {
            infer(state, owner, &id, &request, preferences).await
        }
        (Route::Learn(id), Body::Learn(request)) => {
            let relearn = request.relearn.unwrap_or(false);
            let learned = state
                .store()
                .learn(owner, &id, &request.episodes, relearn)?;
            Ok(json(
                StatusCode::OK,
                &preferred::Learn::new(&learned, preferences),
            ))
        }
        (Route::CreateEpisode(id), Body::CreateEpisode(request)) => {
            let episode = state.store().create_episode(owner, &id, &request.name)?;
            Ok(json(
                StatusCode::OK,
                &preferred::Episode::new(&episode, preferences),
            ))
        }
        (Route::Episodes(id), _) => {
            let episodes = state.store().episodes(owner, &id)?;
            let episodes: Vec<_> = episodes
                .iter()
                .map(|episode| preferred::Episode::new(episode, preferences))
                .collect();
            Ok(json(StatusCode::OK, &episodes))
        }
        (Route::Episode(id, name), _) if method == Method::DELETE => {
            state.store().delete_episode(owner, &id, &name)?;
            done("Episode deleted successfully")
        }
        (Route::Episode(id, name), _) => {
            let episode = state.store().episode_info(owner, &id, &name)?;
            Ok(json(
                StatusCode::OK,
                &preferred::Episode::new(&episode, preferences),
            ))
        }
        (Route::Wipe(id, name), _) => {
            state.store().wipe_episode(owner, &id, &name)?;
            done("Episode wiped successfully")
        }
        (Route::AttachEvents(id, name), Body::AttachEvents(request)) => {
            let events = request
                .events
                .into_iter()
                .map(|event| {
                    let at =
                        clock::event_time(event.timestamp.as_ref()).ok_or(Failure::Internal)?;
                    Ok((event, at))
                })
                .collect::<Result<Vec<_>, Failure>>()?;
            state.store().attach_events(owner, &id, &name, events)?;
            done("Events attached to the episode successfully")
        }
        (Route::AttachMetadata(id, name, _), Body::AttachMetadata(event_id, request)) => {
            state
                .store()
                .attach_metadata(owner, &id, &name, event_id, request.metadata)?;
            done("Metadata attached to the event successfully")
        }
        _ => Err(Failure::Internal),
    }
}

/// Inference as the real server runs it: the event recorded and the state
/// read, the model run, the new state written, with no lock held between
/// (see [`inference_delay`](crate::StandInBuilder::inference_delay)).
async fn infer(
    state: &State,
    owner: &str,
    id: &str,
    request: &InferRequest,
    preferences: &Preferences,
) -> Result<Answer, Failure> {
    let timestamp = clock::event_time(request.timestamp.as_ref()).ok_or(Failure::Internal)?;
    let input: InferenceInput = state
        .store()
        .begin_inference(owner, id, request, timestamp)?;
    if !state.config.inference_delay.is_zero() {
        tokio::time::sleep(state.config.inference_delay).await;
    }
    let outcome = input
        .model
        .run_inference(&input.state, &input.parameters, &request.data);
    let answer = state.store().finish_inference(owner, id, &input, outcome)?;
    Ok(json(
        StatusCode::OK,
        &preferred::Infer::new(&answer, preferences),
    ))
}

/// A description longer than the schema allows fails validation, which the
/// server answers with a bare 500.
fn check_description(request: &CreateModelInstanceRequest) -> Result<(), Failure> {
    match &request.description {
        Some(d) if d.chars().count() > CreateModelInstanceRequest::MAX_DESCRIPTION => {
            Err(Failure::Internal)
        }
        _ => Ok(()),
    }
}

fn visible_model(state: &State, caller: &Caller, name: &str) -> Result<Arc<dyn Model>, Failure> {
    state
        .config
        .models
        .iter()
        .find(|m| m.config().name() == name && m.config().visible_to(&caller.roles))
        .cloned()
        .ok_or_else(|| {
            Failure::NotFoundWith(format!(
                "The requested model name `{name}` could not be found"
            ))
        })
}

fn failure(failure: Failure) -> Answer {
    let bad = |message: &str| {
        json(
            StatusCode::BAD_REQUEST,
            &ErrorResponse::new("Bad Request").with_message(message),
        )
    };
    let missing = |message: &str| json(StatusCode::NOT_FOUND, &NotFoundResponse::new(message));
    match failure {
        Failure::BadRequest(message) => bad(message),
        Failure::BadRequestWith(message) => bad(&message),
        Failure::NotFound(message) => missing(message),
        Failure::NotFoundWith(message) => missing(&message),
        Failure::Internal => internal(),
    }
}

fn token_generate<B>(state: &State, request: &Request<B>) -> Answer {
    if let Some(presented) = bearer_token(request) {
        return json(StatusCode::OK, &TokenGenerateResponse::new(presented));
    }
    if state.config.fail_token_generation {
        let body = ErrorResponse::new("Bad Request").with_message(BAD_REQUEST_MESSAGE);
        return json(StatusCode::BAD_REQUEST, &body);
    }
    json(
        StatusCode::OK,
        &TokenGenerateResponse::new(state.mint_token()),
    )
}

fn unauthorized(state: &State) -> Answer {
    let message = if state.config.dev_token {
        UNAUTHORIZED_MESSAGE_WITH_DEV_TOKEN
    } else {
        UNAUTHORIZED_MESSAGE
    };
    json(
        StatusCode::UNAUTHORIZED,
        &UnauthorizedResponse::new(message),
    )
}

/// The caller the request's token names: a stored token, or (when enabled)
/// a development token, all of which are the one owner `dev-token`.
fn caller<B>(state: &State, request: &Request<B>) -> Option<Caller> {
    let token = bearer_token(request)?;
    if let Some(roles) = state.roles(token) {
        return Some(Caller {
            owner: token.to_owned(),
            roles,
        });
    }
    dev_token_roles(state, token).map(|roles| Caller {
        owner: DEV_TOKEN.to_owned(),
        roles,
    })
}

/// The token after the literal `Bearer ` prefix, as the server reads it;
/// anything else is no token.
fn bearer_token<B>(request: &Request<B>) -> Option<&str> {
    request
        .headers()
        .get(AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// `dev-token` is a user; `dev-token:a,b` has the roles after the one colon.
fn dev_token_roles(state: &State, token: &str) -> Option<Vec<String>> {
    if !state.config.dev_token {
        return None;
    }
    if token == DEV_TOKEN {
        return Some(vec!["user".to_owned()]);
    }
    let roles = token.strip_prefix(DEV_TOKEN)?.strip_prefix(':')?;
    if roles.contains(':') {
        return None;
    }
    Some(roles.split(',').map(str::to_owned).collect())
}

fn json<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Answer {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = Response::new(Full::new(Bytes::from(bytes)));
            *response.status_mut() = status;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(_) => internal(),
    }
}

fn empty(status: StatusCode) -> Answer {
    let mut response = Response::new(Full::default());
    *response.status_mut() = status;
    response
}

/// An exception that escaped to the HTTP server: 500, no body, and the
/// connection closed, as HTTP.jl answers it.
fn internal() -> Answer {
    let mut response = empty(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

fn add_cors_headers<B>(response: &mut Response<B>) {
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
    );
    headers.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type, Authorization"),
    );
}

#[cfg(test)]
mod tests;
