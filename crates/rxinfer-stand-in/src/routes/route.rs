//! Which operation a request is: the route table, as the real server's
//! router reads paths (empty segments dropped, segments percent-decoded).

use percent_encoding::percent_decode_str;

/// Which operation a request is, with its path parameters decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Route {
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
    pub(super) fn of(base_path: &str, path: &str) -> Option<Self> {
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
    pub(super) fn allowed(&self) -> &'static str {
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

    pub(super) fn needs_token(&self) -> bool {
        !matches!(self, Route::Ping | Route::TokenGenerate)
    }
}
