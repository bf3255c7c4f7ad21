//! A synchronous client, for scripts and tests, as `reqwest::blocking`: the
//! same builder, the same operations and errors, each call returning its
//! result instead of a future.
//!
//! Calls run on a Tokio runtime of the client's own, on a thread it starts
//! (the thread ends when the last clone of the client is dropped). A call
//! blocks the calling thread until its answer is there. It never panics,
//! but inside an async runtime prefer the async [`Client`](crate::Client):
//!
//! | called from | result |
//! |---|---|
//! | a thread without a runtime, or a `spawn_blocking` closure | waits for the answer |
//! | the thread that drives a current-thread runtime, outside its tasks (the body of `#[tokio::test]`, of `#[tokio::main(flavor = "current_thread")]`, of `block_on`) | fails at once with [`ApiErrorKind::BlockingInRuntime`], sending nothing |
//! | a thread of a multi-thread runtime | waits, stalling the tasks of that thread only |
//! | a task spawned on a current-thread runtime | waits, stalling the whole runtime: do not |
//!
//! Waiting on the one thread of a current-thread runtime stalls every task
//! of that runtime, so a server (or a token source) running there could
//! never answer: such a call would only end at its timeout, and then report
//! a timeout. The client fails it at once instead. It cannot tell a
//! spawned task from a `spawn_blocking` closure, which may wait, so it lets
//! both wait. A multi-thread runtime keeps serving on its other threads,
//! so calls there wait. Inside a current-thread runtime's `enter()` guard,
//! where nothing drives it, a call would not stall anything but is refused
//! all the same (the client cannot tell the two apart): drop the guard
//! first, or call from another thread.
//!
//! ```no_run
//! use rxinfer_client::{Client, models::{CreateModelInstanceRequest, InferRequest, object}};
//!
//! let client = Client::builder()
//!     .base_url("http://localhost:8000/v1")?
//!     .generate_token()
//!     .build_blocking()?;
//! let created = client.models().create_model_instance(&CreateModelInstanceRequest::new("BetaBernoulli-v1"))?;
//! let answer = client.models().run_inference(&created.instance_id, &InferRequest::new(object([("observation", 1)])))?;
//! println!("{:?}", answer.results);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::{
    future::Future,
    pin::{Pin, pin},
    sync::mpsc as std_mpsc,
    task::{Context, Poll, Waker},
};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Empty;

use rxinfer_api_core::{ApiError, ApiErrorKind, ApiResponse};
use rxinfer_transport::{BoxError, Error, RequestBody};
use tokio::sync::mpsc;

use crate::BoxClient;

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A synchronous RxInferServer client; build it with
/// [`ClientBuilder::build_blocking`](crate::ClientBuilder::build_blocking).
/// Cloning is cheap; clones share the runtime and the connection pool.
#[derive(Clone)]
pub struct Client {
    inner: BoxClient,
    jobs: mpsc::UnboundedSender<Job>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("blocking::Client").finish_non_exhaustive()
    }
}

impl Client {
    pub(crate) fn new(inner: BoxClient) -> Result<Self, Error> {
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Middleware(e.into()))?;
        std::thread::Builder::new()
            .name("rxinfer-blocking".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some(job) = queue.recv().await {
                        tokio::spawn(job);
                    }
                });
            })
            .map_err(|e| Error::Middleware(e.into()))?;
        Ok(Self { inner, jobs })
    }

    /// Runs `call` on the client's runtime and waits for its result.
    fn wait<T: Send + 'static>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, ApiError>> + Send + 'static,
    ) -> Result<T, ApiError> {
        let (answer, answered) = std_mpsc::sync_channel(1);
        let job = Box::pin(async move {
            let _ = answer.send(call.await);
        });
        let stopped = || {
            ApiError::new(
                operation,
                http::Method::GET,
                String::new(),
                ApiErrorKind::Transport(Error::Middleware(
                    "the blocking client's runtime has stopped".into(),
                )),
            )
        };
        self.jobs.send(job).map_err(|_| stopped())?;
        answered.recv().map_err(|_| stopped())?
    }

    /// Whether this thread drives a current-thread runtime, outside its
    /// tasks: waiting here would stall every task of that runtime.
    fn on_a_runtime_thread() -> bool {
        tokio::runtime::Handle::try_current().is_ok_and(|runtime| {
            runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread
        }) && tokio::task::try_id().is_none()
    }

    /// The error a call refused on such a thread fails with, naming the
    /// request it would have sent.
    ///
    /// `call` is the call built over a service that refuses every request
    /// at once, so its first poll decides it: the method and URL come from
    /// the call itself, and an invalid call keeps its own error.
    fn refusal<T>(call: impl Future<Output = Result<T, ApiError>>) -> Option<ApiError> {
        match pin!(call).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Err(error)) => Some(match error.kind() {
                ApiErrorKind::Transport(_) => ApiError::new(
                    error.operation(),
                    error.method().clone(),
                    error.url().to_owned(),
                    ApiErrorKind::BlockingInRuntime,
                ),
                _ => error,
            }),
            // Not decided at once after all: the call goes ahead as usual.
            Poll::Ready(Ok(_)) | Poll::Pending => None,
        }
    }

    /// The Authentication API, blocking.
    pub fn authentication(&self) -> AuthenticationApi<'_> {
        AuthenticationApi { client: self }
    }

    /// The Server API, blocking.
    pub fn server(&self) -> ServerApi<'_> {
        ServerApi { client: self }
    }

    /// The Models API, blocking.
    pub fn models(&self) -> ModelsApi<'_> {
        ModelsApi { client: self }
    }
}

/// A service that refuses every request at once, sending nothing.
#[derive(Debug, Clone, Copy)]
struct Refuse;

impl tower::Service<Request<RequestBody>> for Refuse {
    type Response = Response<Empty<Bytes>>;
    type Error = BoxError;
    type Future = std::future::Ready<Result<Self::Response, BoxError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<RequestBody>) -> Self::Future {
        std::future::ready(Err("not sent".into()))
    }
}

/// Declares a blocking API group from an API crate's table of operations:
/// each method runs the async client's method of the same name and waits
/// for it.
macro_rules! blocking_group {
    (
        $group:ident, $accessor:ident, $async_group:literal;
        $(
            $(#[$doc:meta])*
            fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $answer:ty
                = $method:ident $path:tt $(json($body:ident))? $(, $flag:ident)*;
        )*
    ) => {
        #[doc = concat!("The ", $async_group, ", blocking; see [`crate::", $async_group, "`].")]
        #[derive(Debug, Clone, Copy)]
        pub struct $group<'a> {
            client: &'a Client,
        }

        impl $group<'_> {
            $(
                #[doc = concat!("[`crate::", $async_group, "::", stringify!($name), "`], blocking.")]
                ///
                /// # Errors
                ///
                #[doc = concat!("As [`crate::", $async_group, "::", stringify!($name), "`].")]
                pub fn $name(&self, $($arg: $ty),*) -> Result<ApiResponse<$answer>, ApiError> {
                    if Client::on_a_runtime_thread() {
                        let refused = self.client.inner.layer(tower::layer::layer_fn(|_| Refuse));
                        if let Some(error) = Client::refusal(refused.$accessor().$name($($arg),*)) {
                            return Err(error);
                        }
                    }
                    let call = self.client.inner.$accessor().$name($($arg),*);
                    self.client.wait(stringify!($name), call)
                }
            )*
        }
    };
}

// One method per entry of each API crate's table: none can be missed.
rxinfer_auth_api::authentication_operations!(blocking_group {
    AuthenticationApi, authentication, "AuthenticationApi";
});
rxinfer_server_api::server_operations!(blocking_group { ServerApi, server, "ServerApi"; });
rxinfer_models_api::models_operations!(blocking_group { ModelsApi, models, "ModelsApi"; });
