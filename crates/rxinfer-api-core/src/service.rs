//! [`ApiService`]: the bound every API crate puts on the service its calls
//! go through, written once.

use http::{Request, Response};
use http_body::Body;
use rxinfer_transport::RequestBody;
use tower::Service;

use crate::BoxError;

mod sealed {
    pub trait Sealed {}
}

/// A service the API calls can go through: takes a request with a
/// [`RequestBody`], answers an `http::Response` whose body and error turn
/// into a [`BoxError`], and can be cloned into each call's future.
///
/// Implemented for every such service and sealed, as hyper-util's
/// `Connect`: it names the bound, it adds nothing to implement. The
/// default [`Transport`](rxinfer_transport::Transport), a boxed client, a
/// user's own tower stack or a mock all are `ApiService`s.
///
/// ```
/// use rxinfer_api_core::{ApiService, RequestBody};
/// use http::{Request, Response};
/// use http_body_util::Full;
///
/// fn takes<S: ApiService>(_: S) {}
/// takes(tower::service_fn(|_: Request<RequestBody>| async {
///     Ok::<_, std::convert::Infallible>(Response::new(Full::new(bytes::Bytes::new())))
/// }));
/// ```
pub trait ApiService:
    Service<Request<RequestBody>, Response = Response<Self::ResponseBody>, Error: Into<BoxError>>
    + Clone
    + sealed::Sealed
    + 'static
{
    /// The body of the service's responses.
    type ResponseBody: Body<Error: Into<BoxError>> + 'static;
}

impl<S, B> sealed::Sealed for S
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + 'static,
    S::Error: Into<BoxError>,
    B: Body + 'static,
    B::Error: Into<BoxError>,
{
}

impl<S, B> ApiService for S
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + 'static,
    S::Error: Into<BoxError>,
    B: Body + 'static,
    B::Error: Into<BoxError>,
{
    type ResponseBody = B;
}
