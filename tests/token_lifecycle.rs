//! Where the token comes from, counted at the stand-in: generated once for
//! any number of concurrent first calls, renewed once on a 401, and a token
//! the user set never replaced.

mod support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use rxinfer_client::{Client, RequestOptions};
use rxinfer_stand_in::StandIn;
use support::no_token;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

fn generating(url: &str) -> Client {
    Client::builder()
        .base_url(url)
        .expect("valid URL")
        .generate_token()
        .build()
        .expect("the client builds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hundred_concurrent_first_calls_generate_one_token() {
    let server = StandIn::start().await.expect("stand-in starts");
    let client = generating(server.url());
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.authentication().token_roles().await })
        })
        .collect();
    for call in calls {
        let roles = call.await.expect("task finished").expect("roles");
        assert_eq!(roles.roles, ["user"]);
    }
    assert_eq!(server.tokens_generated(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_renewed_once_for_all_waiting_calls() {
    let server = StandIn::start().await.expect("stand-in starts");
    let client = generating(server.url());
    client.authentication().token_roles().await.expect("roles");
    assert_eq!(server.tokens_generated(), 1);

    server.revoke_tokens();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.authentication().token_roles().await })
        })
        .collect();
    for call in calls {
        call.await
            .expect("task finished")
            .expect("roles after renewal");
    }
    assert_eq!(server.tokens_generated(), 2);
}

#[tokio::test]
async fn a_second_401_reaches_the_caller_typed() {
    let server = StandIn::builder()
        .forget_generated_tokens(true)
        .record_requests(true)
        .start()
        .await
        .expect("stand-in starts");
    let error = generating(server.url())
        .authentication()
        .token_roles()
        .await
        .expect_err("401");
    assert!(error.is_unauthorized(), "{error:?}");
    // generate, roles (401), generate again, roles (401): one renewal only.
    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.uri.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/v1/token/generate",
            "/v1/token/roles",
            "/v1/token/generate",
            "/v1/token/roles"
        ]
    );
}

#[tokio::test]
async fn a_token_the_user_set_is_never_replaced() {
    let server = StandIn::start().await.expect("stand-in starts");
    let client = support::client(server.url(), Some("set-by-the-user"));
    let error = client
        .authentication()
        .token_roles()
        .await
        .expect_err("401");
    assert!(error.is_unauthorized(), "{error:?}");
    assert_eq!(server.tokens_generated(), 0);
}

#[tokio::test]
async fn a_failed_generation_is_a_typed_error() {
    let server = StandIn::builder()
        .fail_token_generation(true)
        .start()
        .await
        .expect("stand-in starts");
    let error = generating(server.url())
        .authentication()
        .token_roles()
        .await
        .expect_err("no token");
    assert!(no_token(&error), "{error:?}");
    // The chain says it once, then why: the generation's own answer.
    let mut chain = vec![error.to_string()];
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        chain.push(inner.to_string());
        cause = inner.source();
    }
    let said = |text: &str| chain.iter().filter(|m| m.contains(text)).count();
    assert_eq!(said("no token could be obtained"), 1, "{chain:#?}");
    assert!(said("token_generate (POST") >= 1, "{chain:#?}");
}

#[tokio::test]
async fn token_generate_itself_never_triggers_generation() {
    let server = StandIn::start().await.expect("stand-in starts");
    let client = generating(server.url());
    client
        .authentication()
        .token_generate()
        .await
        .expect("a token");
    // Only the explicit call minted a token; the client holds none yet.
    assert_eq!(server.tokens_generated(), 1);
    client.authentication().token_roles().await.expect("roles");
    assert_eq!(server.tokens_generated(), 2);
}

/// A server whose `POST /token/generate` answers `generated` (a status
/// line and a JSON body) after `delay`, and whose other routes answer
/// roles; it counts the POSTs it reads.
async fn slow_generation(
    delay: Duration,
    generated: (&'static str, &'static str),
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
    let url = format!("http://{}/v1", listener.local_addr().expect("an address"));
    let posts = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&posts);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counted = Arc::clone(&counted);
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 4096];
                while let Ok(read) = stream.read(&mut buffer).await {
                    if read == 0 {
                        return;
                    }
                    let (status, body) = if buffer.starts_with(b"POST") {
                        counted.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(delay).await;
                        generated
                    } else {
                        ("200 OK", r#"{"roles":["user"]}"#)
                    };
                    let answer = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if stream.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, posts)
}

/// Calls waiting on one generation get its outcome, failure included: 20
/// first calls cause one POST and all fail within about its round trip
/// (before: 20 POSTs one after another, the last caller waiting 2 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_generation_is_shared_by_every_call_waiting_for_it() {
    let refused = (
        "400 Bad Request",
        r#"{"error":"Bad Request","message":"Unable to generate token due to internal error"}"#,
    );
    let (url, posts) = slow_generation(Duration::from_millis(100), refused).await;
    let client = generating(&url);
    let started = Instant::now();
    let calls: Vec<_> = (0..20)
        .map(|_| tokio::spawn(client.authentication().token_roles()))
        .collect();
    for call in calls {
        let error = call.await.expect("task finished").expect_err("no token");
        assert!(no_token(&error), "{error:?}");
    }
    let took = started.elapsed();
    assert_eq!(
        posts.load(Ordering::SeqCst),
        1,
        "POSTs (all done in {took:?})"
    );
    assert!(took < Duration::from_millis(500), "{took:?}");
}

/// A caller that gives up while the token is being generated (its own
/// deadline here) neither aborts that generation nor makes the next caller
/// send another `POST`: the generation runs in a task of its own.
#[tokio::test]
async fn a_caller_giving_up_never_causes_a_second_generation() {
    let generated = (
        "200 OK",
        r#"{"token":"4c1f9a52-0c4e-4b7e-9d2a-000000000001"}"#,
    );
    let (url, posts) = slow_generation(Duration::from_millis(300), generated).await;
    let client = generating(&url);
    let impatient = client
        .authentication()
        .with_options(RequestOptions::new().timeout(Duration::from_millis(50)))
        .token_roles()
        .await
        .expect_err("gave up");
    assert!(impatient.is_timeout(), "{impatient:?}");
    let roles = client.authentication().token_roles().await.expect("roles");
    assert_eq!(roles.roles, ["user"]);
    assert_eq!(posts.load(Ordering::SeqCst), 1, "POSTs seen by the server");
}
