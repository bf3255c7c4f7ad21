//! One client shared by many tasks: clones share the connection pool, and
//! keep-alive connections are reused.

mod support;

use rxinfer_stand_in::StandIn;
use support::client;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_on_one_client_all_succeed() {
    let server = StandIn::start().await.expect("stand-in starts");
    server.insert_token("shared", ["user"]);
    let client = client(server.url(), Some("shared"));

    let calls: Vec<_> = (0..64)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.authentication().token_roles().await })
        })
        .collect();
    for call in calls {
        let roles = call.await.expect("task finished").expect("roles");
        assert_eq!(roles.roles, ["user"]);
    }
    // The pool keeps what the burst opened: a second round of sequential
    // calls opens nothing new. hyper-util may still be finishing a
    // connection it started for the burst but did not need (it connects
    // while waiting for an idle one): count once the server has seen it.
    let mut opened = server.connections_accepted();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let now = server.connections_accepted();
        if now == opened {
            break;
        }
        opened = now;
    }
    for _ in 0..10 {
        client.authentication().token_roles().await.expect("roles");
    }
    assert_eq!(server.connections_accepted(), opened);
}

#[tokio::test]
async fn sequential_calls_reuse_one_connection() {
    let server = StandIn::start().await.expect("stand-in starts");
    server.insert_token("shared", ["user"]);
    let client = client(server.url(), None);
    let authenticated = client.with_token("shared").expect("valid token");

    for _ in 0..20 {
        authenticated
            .authentication()
            .token_roles()
            .await
            .expect("roles");
    }
    // A client derived with with_token shares the pool too.
    client.authentication().token_roles().await.ok();
    assert_eq!(server.connections_accepted(), 1);
    // Calls that are never sent twice have their own connections, reused
    // while they follow each other closely.
    for _ in 0..5 {
        client
            .authentication()
            .token_generate()
            .await
            .expect("a token");
    }
    assert_eq!(server.connections_accepted(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_generation_mints_distinct_tokens() {
    let server = StandIn::start().await.expect("stand-in starts");
    let client = client(server.url(), None);
    let calls: Vec<_> = (0..32)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.authentication().token_generate().await })
        })
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for call in calls {
        let generated = call.await.expect("task finished").expect("a token");
        tokens.insert(generated.into_data().token.into_inner());
    }
    assert_eq!(tokens.len(), 32);
    assert_eq!(server.tokens_generated(), 32);
}

/// A boxed client is the one type to share across tasks: its calls must be
/// spawnable. With boxed errors rustc could not prove their futures `Send`
/// ("implementation of `From` is not general enough"), so this file failed
/// to compile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_boxed_clients_calls_can_be_spawned() {
    let server = StandIn::start().await.expect("stand-in starts");
    server.insert_token("shared", ["user"]);
    let client = client(server.url(), Some("shared")).boxed();
    let roles = {
        let client = client.clone();
        tokio::spawn(async move { client.authentication().token_roles().await })
    };
    let missing = {
        let client = client.clone();
        tokio::spawn(async move { client.models().get_model_instance_state("x").await })
    };
    assert_eq!(roles.await.expect("task").expect("roles").roles, ["user"]);
    let error = missing.await.expect("task").expect_err("no such instance");
    assert!(error.is_not_found(), "{error:?}");
}
