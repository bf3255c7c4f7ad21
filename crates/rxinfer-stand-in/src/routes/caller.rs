//! Who is calling: the token a request presents, as the server reads it,
//! and the development token when enabled.

use http::{Request, header::AUTHORIZATION};

use crate::state::State;

const DEV_TOKEN: &str = "dev-token";

/// Who is calling: the owner of what they create, and their roles.
pub(super) struct Caller {
    pub(super) owner: String,
    pub(super) roles: Vec<String>,
}

/// The caller the request's token names: a stored token, or (when enabled)
/// a development token, all of which are the one owner `dev-token`.
pub(super) fn caller<B>(state: &State, request: &Request<B>) -> Option<Caller> {
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
pub(super) fn bearer_token<B>(request: &Request<B>) -> Option<&str> {
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
