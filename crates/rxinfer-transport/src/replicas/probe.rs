//! Bringing an ejected replica back: a task that waits, probes, and waits
//! longer after each failed probe, until the replica passes one or leaves
//! the set.
//!
//! The probe reads the database, as a call would: `/ping` answers without
//! it, so a replica whose database is gone would pass. It looks up an
//! instance id no instance has: a replica that serves answers `404` to the
//! calls' token, or `401` to a token no server knows when the calls carry
//! none.

use std::{
    sync::{Arc, Weak},
    time::Duration,
};

use http::{
    HeaderValue, Request, Response, StatusCode,
    header::{AUTHORIZATION, CONTENT_TYPE, HOST},
};
use tower::{Service, ServiceExt};

use super::{Replica, SetShared};
use crate::{BoxError, Operation, RequestBody};

/// An instance id no instance has: the probe's lookup finds nothing.
const NO_INSTANCE: &str = "/models/i/00000000-0000-4000-8000-000000000000";

/// What the probe sends when the calls carry no token: no server knows it.
const UNKNOWN_TOKEN: &str = "Bearer 00000000-0000-4000-8000-00000000beef";

static PROBE: Operation = Operation::new("replica_probe");

/// Starts probing `replica` through `inner` on the current runtime (none:
/// the balancer's next pick tries again).
pub(crate) fn start<S, B>(replica: &Arc<Replica>, set: &Arc<SetShared>, inner: S)
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Send + 'static,
{
    if replica.is_removed() {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let task = runtime.spawn(recover(Arc::downgrade(replica), Arc::downgrade(set), inner));
    replica.health.recovering(task);
}

/// Probes until the replica passes (then readmits it) or is gone.
async fn recover<S, B>(replica: Weak<Replica>, set: Weak<SetShared>, mut inner: S)
where
    S: Service<Request<RequestBody>, Response = Response<B>>,
    S::Error: Into<BoxError>,
{
    loop {
        let (wait, timeout) = match (replica.upgrade(), set.upgrade()) {
            (Some(replica), Some(set)) => (
                replica.health.next_backoff(set.policy()),
                set.policy().probe_timeout,
            ),
            _ => return,
        };
        tokio::time::sleep(wait).await;
        let Some(probe_request) = replica
            .upgrade()
            .filter(|replica| !replica.is_removed())
            .zip(set.upgrade())
            .and_then(|(replica, set)| request(&replica, set.authorization()))
        else {
            return;
        };
        let passed = probe(&mut inner, probe_request, timeout).await;
        if passed {
            if let Some(replica) = replica.upgrade() {
                tracing::info!(replica = %replica.base, "replica readmitted after a probe");
                replica.health.readmit();
            }
            return;
        }
    }
}

/// Whether `replica` accepts `authorization` now: asked with the probe's
/// lookup, which it answers `404` when it knows the token. A replica that
/// left the set is not asked.
pub(crate) async fn accepts<S, B>(
    mut inner: S,
    replica: Arc<Replica>,
    authorization: HeaderValue,
    timeout: Duration,
) -> bool
where
    S: Service<Request<RequestBody>, Response = Response<B>>,
    S::Error: Into<BoxError>,
{
    if replica.is_removed() {
        return false;
    }
    match request(&replica, Some(authorization)) {
        Some(probe_request) => probe(&mut inner, probe_request, timeout).await,
        None => false,
    }
}

/// A probe's request, and the status that passes it.
struct ProbeRequest {
    request: Request<RequestBody>,
    passes: StatusCode,
}

/// The probe's request to `replica`: with `authorization` (a token a
/// replica accepted) it passes on `404` (the instance lookup ran), with
/// none it carries a token no server knows and passes on `401` (the token
/// lookup ran).
fn request(replica: &Replica, authorization: Option<HeaderValue>) -> Option<ProbeRequest> {
    let uri = replica.base.resolve(NO_INSTANCE).ok()?;
    let passes = if authorization.is_some() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::UNAUTHORIZED
    };
    let authorization = authorization.unwrap_or_else(|| {
        let mut unknown = HeaderValue::from_static(UNKNOWN_TOKEN);
        unknown.set_sensitive(true);
        unknown
    });
    let mut request = Request::get(uri).body(RequestBody::default()).ok()?;
    request.headers_mut().insert(AUTHORIZATION, authorization);
    if let Some(host) = &replica.host {
        request.headers_mut().insert(HOST, host.clone());
    }
    request.extensions_mut().insert(PROBE);
    Some(ProbeRequest { request, passes })
}

/// Whether the replica answers the probe as one that reads its database,
/// within `timeout`.
async fn probe<S, B>(inner: &mut S, probe: ProbeRequest, timeout: Duration) -> bool
where
    S: Service<Request<RequestBody>, Response = Response<B>>,
    S::Error: Into<BoxError>,
{
    let ProbeRequest { request, passes } = probe;
    let answer = tokio::time::timeout(timeout, async {
        let ready = inner.ready().await.ok()?;
        ready.call(request).await.ok()
    });
    // The server's own answer is JSON; a router's 404 for a path it does
    // not serve (a replica with another base path) is empty.
    answer.await.ok().flatten().is_some_and(|response| {
        response.status() == passes
            && response
                .headers()
                .get(CONTENT_TYPE)
                .is_some_and(|value| value.as_bytes().starts_with(b"application/json"))
    })
}
