//! A connector of your own under the default stack: what its connections
//! report (`Connected::extra`, a proxy of their own) reaches the pool and
//! the responses, while the built-in TCP pool leaves hyper-util's
//! `HttpInfo` out (it would cost an extensions map per response).

mod support;

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::{
    client::legacy::connect::{Connected, Connection, HttpInfo},
    rt::TokioIo,
};
use rxinfer_client::{
    Client,
    http::{Request, Uri},
    transport::{Config, HttpClient, RequestBody, Transport},
};
use rxinfer_stand_in::StandIn;
use tower::ServiceExt;

/// What the connector below tags its connections with.
#[derive(Clone, Debug, PartialEq)]
struct Tag(u32);

/// A TCP connection that reports a [`Tag`], and whether it goes to a
/// forwarding proxy.
struct Tagged(TokioIo<tokio::net::TcpStream>, bool);

impl Connection for Tagged {
    fn connected(&self) -> Connected {
        self.0.connected().extra(Tag(7)).proxy(self.1)
    }
}

/// Connects over TCP, tagging its connections; `proxied` says they go to a
/// forwarding proxy.
fn tagging(
    proxied: bool,
) -> impl tower::Service<
    Uri,
    Response = Tagged,
    Error = std::io::Error,
    Future = impl Future<Output = std::io::Result<Tagged>> + Send,
> + Clone
+ Send
+ Sync
+ 'static {
    tower::service_fn(move |uri: Uri| async move {
        let host = uri.host().unwrap_or_default().to_owned();
        let port = uri.port_u16().unwrap_or(80);
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        Ok(Tagged(TokioIo::new(tcp), proxied))
    })
}

impl Read for Tagged {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl Write for Tagged {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

fn ping() -> Result<Request<RequestBody>, rxinfer_client::http::Error> {
    Request::get("/ping").body(RequestBody::default())
}

#[tokio::test]
async fn a_connectors_extras_reach_the_response_and_the_built_in_pool_adds_none()
-> Result<(), Box<dyn std::error::Error>> {
    let server = StandIn::start().await?;
    let mut config = Config::default();
    config.base_url = server.url().parse()?;

    let own = Transport::over(
        config.clone(),
        HttpClient::with_connector(&config, tagging(false))?,
    );
    let answer = own.oneshot(ping()?).await?;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.extensions().get::<Tag>(), Some(&Tag(7)));
    assert!(answer.extensions().get::<HttpInfo>().is_some());

    let answer = Transport::new(config)?.oneshot(ping()?).await?;
    assert_eq!(answer.status(), 200);
    assert!(answer.extensions().get::<HttpInfo>().is_none());
    Ok(())
}

#[tokio::test]
async fn a_connector_going_through_its_own_proxy_gets_absolute_form_requests()
-> Result<(), Box<dyn std::error::Error>> {
    let mut proxy = support::RawServer::start(support::Behaviour::Respond(support::json_ok(
        r#"{"status":"ok"}"#,
    )))
    .await;
    let mut config = Config::default();
    config.base_url = proxy.url.parse()?;
    let through_proxy = Transport::over(
        config.clone(),
        HttpClient::with_connector(&config, tagging(true))?,
    );
    through_proxy.oneshot(ping()?).await?;
    let request = proxy.next_request().await;
    let absolute = format!("GET {}/ping HTTP/1.1", proxy.url);
    assert!(request.starts_with(&absolute), "{request}");
    Ok(())
}

#[tokio::test]
async fn the_builder_builds_over_a_pool_of_your_own_with_all_its_settings()
-> Result<(), Box<dyn std::error::Error>> {
    let server = StandIn::start().await?;
    let builder = Client::builder().base_url(server.url())?.generate_token();
    let pool = HttpClient::with_connector(builder.settings(), tagging(false))?;
    let client = builder.build_over(pool);
    // The token was generated through the pool, and sent.
    let roles = client.authentication().token_roles().await?;
    assert_eq!(roles.roles, ["user"]);
    // Errors name the whole URL, base included.
    let missing = client.models().get_model_instance("no-such-instance").await;
    let message = missing.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains(server.url()), "{message}");
    Ok(())
}
