//! How a replica can be made to fail, each fault as a real deployment shows
//! it to a client: a proxy's error status, a crash mid-request, a handler
//! that throws, a replica reading another database, a database that is
//! down while the process is up.

use http::StatusCode;
use rxinfer_models::ErrorResponse;

use crate::routes::answer::{Answer, add_cors_headers, internal, json};

/// A way for a [`Replica`](crate::Replica) to fail, set with
/// [`Replica::fail`](crate::Replica::fail) until
/// [`Replica::heal`](crate::Replica::heal).
///
/// ```
/// # tokio_test::block_on(async {
/// use http::StatusCode;
/// use rxinfer_stand_in::{Fault, StandInCluster};
///
/// let cluster = StandInCluster::start(2).await?;
/// cluster.replicas()[0].fail(Fault::Status(StatusCode::BAD_GATEWAY));
/// cluster.replicas()[1].fail(Fault::Unauthorized { from: 3 });
/// # Ok::<(), std::io::Error>(())
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
pub enum Fault {
    /// Every request is answered with this status and a JSON body in the
    /// real server's error shape, `{"error": "<reason>", "message": ...}`,
    /// as a proxy or load balancer in front of a dead or overloaded replica
    /// answers (`502`, `503`, `504`). The status is sent as given.
    Status(StatusCode),
    /// Every request is read, then its connection closed without an
    /// answer, as when the process crashes while handling it: the client
    /// cannot tell whether the call took effect (it did not).
    DropConnection,
    /// Every request is answered with the bare `500` the real server sends
    /// when a handler throws: no body, `Connection: close`, the same answer
    /// the stand-in gives a malformed body.
    InternalError,
    /// Valid tokens are refused, as by a replica reading another database:
    /// counting from 1 the requests the replica checks a token for after
    /// the fault is set (every route but `/ping` and `/token/generate`),
    /// those before the `from`th are served, and from it on each is
    /// answered with the real server's `401` and
    /// [`UNAUTHORIZED_MESSAGE`](crate::UNAUTHORIZED_MESSAGE)
    /// ([`UNAUTHORIZED_MESSAGE_WITH_DEV_TOKEN`](crate::UNAUTHORIZED_MESSAGE_WITH_DEV_TOKEN)
    /// when the development token is on; development tokens are refused
    /// too). `from: 0` and `from: 1` refuse the very next one.
    Unauthorized {
        /// The first refused token check, counting from 1.
        from: usize,
    },
    /// The database is down, the process up: `/ping` still answers
    /// `{"status":"ok"}` (the real server's ping does not touch the
    /// database), and every other route, all of which read tokens or the
    /// store, answers the bare `500` of [`InternalError`](Self::InternalError).
    /// A readiness probe that only pings does not see it.
    DatabaseDown,
}

/// What a replica does with a request, under a fault, before routing it.
pub(crate) enum Intercept {
    /// Sends this instead of routing.
    Answer(Answer),
    /// Closes the connection without an answer.
    Drop,
}

/// What a fault makes of a request once its route is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RouteFault {
    /// The real server's `401`.
    Unauthorized,
    /// The bare `500`.
    Internal,
}

impl Fault {
    /// What the fault does to every request, whatever its route.
    pub(crate) fn intercept(&self) -> Option<Intercept> {
        match self {
            Fault::Status(status) => Some(Intercept::Answer(status_answer(*status))),
            Fault::DropConnection => Some(Intercept::Drop),
            Fault::InternalError => {
                // As the routes send it, CORS headers and all.
                let mut answer = internal();
                add_cors_headers(&mut answer);
                Some(Intercept::Answer(answer))
            }
            Fault::Unauthorized { .. } | Fault::DatabaseDown => None,
        }
    }
}

fn status_answer(status: StatusCode) -> Answer {
    let reason = status.canonical_reason().unwrap_or("Error");
    let body = ErrorResponse::new(reason).with_message("The stand-in replica was made to fail");
    json(status, &body)
}
