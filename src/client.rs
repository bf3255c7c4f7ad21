//! The client: the three API groups over one service, by default the
//! [`Transport`] stack. Its settings are [`ClientBuilder`](crate::ClientBuilder)'s.

use std::fmt;

use crate::ClientBuilder;
use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::{BodyExt, combinators::UnsyncBoxBody};
use rxinfer_api_core::{ApiClient, BoxError, RequestOptions};
use rxinfer_auth_api::AuthenticationApi;
use rxinfer_models_api::ModelsApi;
use rxinfer_server_api::ServerApi;
use rxinfer_transport::{Error, RequestBody, Transport};
use tower::{Layer, Service, ServiceBuilder, util::BoxCloneSyncService};

/// A type-erased service any client can be turned into with
/// [`Client::boxed`]: its requests, a boxed response body, and the
/// transport's [`Error`] for the service's and the body's errors (any other
/// error comes back as [`Error::Middleware`]).
///
/// The errors are a concrete type rather than a boxed one so that a call's
/// future can be spawned: with boxed errors, rustc cannot prove it `Send`
/// ("implementation of `From` is not general enough").
pub type BoxService =
    BoxCloneSyncService<Request<RequestBody>, Response<UnsyncBoxBody<Bytes, Error>>, Error>;

/// A client over a [`BoxService`]: one type for any stack, to store in a
/// struct field or share across tasks without naming the stack.
pub type BoxClient = Client<BoxService>;

/// An RxInferServer client: the Authentication, Server and Models APIs over
/// one service, by default the [`Transport`] stack.
///
/// Cloning is cheap and clones share the connection pool, so one client
/// serves any number of tasks. Every call returns a future that owns what
/// it needs, so it can be spawned. Its `Debug` output never shows the token.
///
/// ```
/// use rxinfer_client::Client;
///
/// let client = Client::builder().base_url("http://127.0.0.1:8000/v1")?.build()?;
/// let authenticated = client.with_token("3f1c0a52")?;
/// assert!(!format!("{authenticated:?}").contains("3f1c0a52"));
/// # Ok::<(), rxinfer_client::TransportError>(())
/// ```
///
/// A call can be spawned, because its future owns a clone of the client's
/// service:
///
/// ```no_run
/// # async fn run(client: rxinfer_client::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let roles = tokio::spawn(client.authentication().token_roles());
/// println!("{:?}", roles.await??.roles);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client<S = Transport> {
    authentication: AuthenticationApi<S>,
    server: ServerApi<S>,
    models: ModelsApi<S>,
}

impl Client {
    /// A builder for the default stack.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client of `http://localhost:8000/v1` with no token and the default
    /// settings.
    ///
    /// # Errors
    ///
    /// As [`ClientBuilder::build`].
    pub fn new() -> Result<Self, Error> {
        Self::builder().build()
    }
}

impl<S: Clone> Client<S> {
    /// A client over any tower service of `http::Request<RequestBody>` to
    /// `http::Response` with a body: a stack of your own, or a mock. Errors
    /// name request paths without the base URL, which only the service
    /// knows.
    ///
    /// ```
    /// use rxinfer_client::{Client, ResponseBody, RequestBody, http, tower::service_fn};
    ///
    /// # tokio_test::block_on(async {
    /// let client = Client::from_service(service_fn(|_: http::Request<RequestBody>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(ResponseBody::from(r#"{"roles":["user"]}"#)))
    /// }));
    /// assert_eq!(client.authentication().token_roles().await?.roles, ["user"]);
    /// # Ok::<(), rxinfer_client::ApiError>(())
    /// # });
    /// ```
    pub fn from_service(service: S) -> Self {
        Self::from_api(ApiClient::new(service))
    }

    pub(crate) fn from_api(api: ApiClient<S>) -> Self {
        Self {
            authentication: AuthenticationApi::from_client(api.clone()),
            server: ServerApi::from_client(api.clone()),
            models: ModelsApi::from_client(api),
        }
    }

    /// A client over `api` that shares this one's instance lines, so that
    /// handles on one instance from both wait for each other.
    fn derive<T: Clone>(&self, api: ApiClient<T>) -> Client<T> {
        Client {
            authentication: AuthenticationApi::from_client(api.clone()),
            server: ServerApi::from_client(api.clone()),
            models: self.models.with_client(api),
        }
    }

    fn api(&self) -> &ApiClient<S> {
        self.authentication.client()
    }

    /// The same client, applying `options` (a timeout, a body limit,
    /// headers, a token) to every call made through it.
    pub fn with_options(&self, options: RequestOptions) -> Self {
        self.derive(self.api().clone().with_options(options))
    }

    /// The same client with `layer` around its whole service: the layer
    /// sees each call once, before its path is resolved and without the
    /// token, and the read response. For a layer that sees every attempt,
    /// with the absolute URL and headers, use [`ClientBuilder::layer`].
    pub fn layer<L>(&self, layer: L) -> Client<L::Service>
    where
        L: Layer<S>,
        L::Service: Clone,
    {
        self.derive(
            self.api()
                .clone()
                .map_service(|service| layer.layer(service)),
        )
    }

    /// The same client over a [`BoxService`], so that it has one type
    /// whatever its stack.
    pub fn boxed<B>(&self) -> BoxClient
    where
        S: Service<Request<RequestBody>, Response = Response<B>> + Send + Sync + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.derive(self.api().clone().map_service(|service| {
            BoxCloneSyncService::new(
                ServiceBuilder::new()
                    .map_err(|error: S::Error| Error::from(error.into()))
                    .map_response(|response: Response<B>| {
                        response.map(|body| {
                            body.map_err(|error: B::Error| Error::from(error.into()))
                                .boxed_unsync()
                        })
                    })
                    .service(service),
            )
        }))
    }
}

impl<S> Client<S> {
    /// The Authentication API: `token_generate` and `token_roles`.
    pub fn authentication(&self) -> &AuthenticationApi<S> {
        &self.authentication
    }

    /// The Server API: `ping_server` and `get_server_info`.
    pub fn server(&self) -> &ServerApi<S> {
        &self.server
    }

    /// The Models API: discovery, instances, state and parameters,
    /// inference, learning, episodes and events.
    pub fn models(&self) -> &ModelsApi<S> {
        &self.models
    }

    /// The service requests go through.
    pub fn service(&self) -> &S {
        self.authentication.client().service()
    }
}

impl<S> Client<Transport<S>> {
    /// How many times the client replaced a token the server rejected with
    /// a new one (see [`ClientBuilder::renew_on_unauthorized`]): each is a
    /// new identity, which cannot reach the old token's instances.
    ///
    /// To learn who you are at start-up, call
    /// [`token_roles`](AuthenticationApi::token_roles): it is cheap, needs
    /// the token, and answers `401` when the server does not know it.
    pub fn token_replacements(&self) -> u64 {
        self.service()
            .config()
            .token
            .as_ref()
            .map_or(0, |source| source.replacements())
    }
}

impl<S: Clone> Client<Transport<S>> {
    /// The same client, sharing its connection pool, that sends `token` on
    /// the operations that need one.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidToken`] when `token` cannot be a header value.
    pub fn with_token(&self, token: &str) -> Result<Self, Error> {
        let transport = self.service().with_token(token)?;
        Ok(self.derive(self.api().clone().map_service(|_| transport)))
    }

    /// The same client, sharing its connection pool, that sends no token.
    pub fn without_token(&self) -> Self {
        let transport = self.service().without_token();
        self.derive(self.api().clone().map_service(|_| transport))
    }
}

impl<S: fmt::Debug> fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("service", self.service())
            .finish_non_exhaustive()
    }
}
