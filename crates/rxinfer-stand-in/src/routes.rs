//! Every route of the real server, answering with `rxinfer-models` types:
//! which route a request is, the real pipeline (body, then token, then
//! validation, then the handler), and the answers.

use std::sync::Arc;

use http::{
    HeaderValue, Method, Request, StatusCode,
    header::{ALLOW, RETRY_AFTER},
};
use rxinfer_models::{
    AttachEventsToEpisodeRequest, AttachMetadataToEventRequest, CreateEpisodeRequest,
    CreateModelInstanceRequest, CreateModelInstanceResponse, ErrorResponse, InferRequest,
    LearnRequest, NotFoundResponse, PingResponse, Preferences, SuccessResponse,
    TokenGenerateResponse, TokenRolesResponse, UnauthorizedResponse,
};
use serde::de::DeserializeOwned;

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
    #[cfg(feature = "cluster")]
    if let Some(answer) = faulted(state, &route) {
        return answer;
    }
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

/// What a [`Fault`](crate::Fault) of the replica makes of a request on
/// `route`, past the body and before the token.
#[cfg(feature = "cluster")]
fn faulted(state: &State, route: &Route) -> Option<Answer> {
    use crate::fault::RouteFault;
    let ping = *route == Route::Ping;
    match state.control.on_route(ping, route.needs_token())? {
        RouteFault::Unauthorized => Some(unauthorized(state)),
        RouteFault::Internal => Some(internal()),
    }
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
            let _worker = state.inference_turn().await;
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
/// (see [`inference_delay`](crate::StandInBuilder::inference_delay)), on
/// the replica's one worker when inference has a cost.
async fn infer(
    state: &State,
    owner: &str,
    id: &str,
    request: &InferRequest,
    preferences: &Preferences,
) -> Result<Answer, Failure> {
    let timestamp = clock::event_time(request.timestamp.as_ref()).ok_or(Failure::Internal)?;
    let _worker = state.inference_turn().await;
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

pub(crate) mod answer;
mod caller;
mod route;

use answer::{Answer, add_cors_headers, empty, internal, json};
use caller::{Caller, bearer_token, caller};
use route::Route;

#[cfg(test)]
mod tests;
