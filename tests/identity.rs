//! A token is an identity on RxInferServer: kept in a store, it survives a
//! restart and reaches the instances made before; a stored or explicit
//! token is never replaced unless renewal is allowed; and every
//! replacement is reported (a warning with fingerprints, a hook, a count).
//! Counted at the stand-in.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use rxinfer_client::{
    Client,
    auth_api::{FileTokenStore, TokenReplaced, TokenStore},
    models::CreateModelInstanceRequest,
    transport::BearerToken,
};
use rxinfer_stand_in::StandIn;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rxinfer-identity-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("tokens.json")
}

/// Removes a test's token file and its folder.
fn cleanup(store: &FileTokenStore) {
    if let Some(dir) = store.path().parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn stored(url: &str, store: &FileTokenStore) -> rxinfer_client::ClientBuilder {
    Client::builder()
        .base_url(url)
        .expect("valid URL")
        .token_store(store.clone())
}

fn origin(server: &StandIn) -> String {
    format!("http://{}", server.addr())
}

#[tokio::test]
async fn a_stored_token_survives_a_restart_and_reaches_its_instances() {
    let server = StandIn::start().await.expect("stand-in starts");
    let store = FileTokenStore::new(scratch("restart"));

    let first_run = stored(server.url(), &store).build().expect("builds");
    let created = first_run
        .models()
        .create_model_instance(&CreateModelInstanceRequest::new("BetaBernoulli-v1"))
        .await
        .expect("created");
    drop(first_run);

    let second_run = stored(server.url(), &store).build().expect("builds");
    let instance = second_run
        .models()
        .get_model_instance(&created.instance_id)
        .await
        .expect("the second run reaches the first run's instance");
    assert_eq!(instance.model_name, "BetaBernoulli-v1");
    assert_eq!(server.tokens_generated(), 1, "one identity for both runs");
    assert!(
        store
            .load(&origin(&server))
            .await
            .expect("readable")
            .is_some()
    );
    cleanup(&store);
}

#[tokio::test]
async fn an_explicit_token_comes_before_the_store_whatever_the_order() {
    let server = StandIn::builder()
        .dev_token(true)
        .start()
        .await
        .expect("starts");
    let store = FileTokenStore::new(scratch("explicit"));
    let store_last = Client::builder()
        .base_url(server.url())
        .expect("valid URL")
        .token("dev-token")
        .expect("valid")
        .generate_token()
        .token_store(store.clone());
    let store_first = stored(server.url(), &store)
        .generate_token()
        .token("dev-token")
        .expect("valid");
    for builder in [store_last, store_first] {
        let client = builder.build().expect("builds");
        let roles = client.authentication().token_roles().await.expect("roles");
        assert_eq!(roles.roles, ["user"]);
    }
    assert_eq!(server.tokens_generated(), 0);
    assert_eq!(
        store.load(&origin(&server)).await.expect("readable"),
        None,
        "store untouched"
    );
    cleanup(&store);
}

#[tokio::test]
async fn a_rejected_stored_token_is_not_replaced_and_the_401_says_why() {
    let server = StandIn::start().await.expect("stand-in starts");
    let store = FileTokenStore::new(scratch("rejected"));
    let unknown = BearerToken::new("unknown-to-this-server").expect("valid");
    store.save(&origin(&server), &unknown).await.expect("saved");
    let client = stored(server.url(), &store).build().expect("builds");

    let error = client
        .authentication()
        .token_roles()
        .await
        .expect_err("the server does not know it");
    assert!(error.is_unauthorized(), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("does not know the token"), "{message}");
    assert!(
        message.contains("could not reach this token's instances"),
        "{message}"
    );
    assert!(
        message.contains(&unknown.fingerprint().to_string()),
        "{message}"
    );
    assert!(!message.contains("unknown-to-this-server"), "{message}");
    assert_eq!(server.tokens_generated(), 0, "never replaced by default");
    assert_eq!(client.token_replacements(), 0);
    assert_eq!(
        store.load(&origin(&server)).await.expect("readable"),
        Some(unknown)
    );
    cleanup(&store);
}

#[tokio::test]
async fn renewal_of_a_stored_token_is_opt_in_updates_the_store_and_is_reported() {
    let server = StandIn::start().await.expect("stand-in starts");
    let store = FileTokenStore::new(scratch("renewal"));
    let reported = Arc::new(Mutex::new(Vec::<TokenReplaced>::new()));
    let hook = Arc::clone(&reported);
    let client = stored(server.url(), &store)
        .renew_on_unauthorized(true)
        .on_token_replaced(move |replaced| hook.lock().expect("hook").push(replaced))
        .build()
        .expect("builds");
    client
        .authentication()
        .token_roles()
        .await
        .expect("first token");
    let first = store
        .load(&origin(&server))
        .await
        .expect("readable")
        .expect("saved");

    server.revoke_tokens();
    client
        .authentication()
        .token_roles()
        .await
        .expect("renewed");
    let second = store
        .load(&origin(&server))
        .await
        .expect("readable")
        .expect("saved");
    assert_ne!(first, second, "the store holds the new token");
    assert_eq!(server.tokens_generated(), 2);
    assert_eq!(client.token_replacements(), 1);
    let reported = reported.lock().expect("hook").clone();
    assert_eq!(
        reported,
        [TokenReplaced::new(
            first.fingerprint(),
            second.fingerprint()
        )]
    );
    cleanup(&store);
}

#[tokio::test]
async fn a_generated_token_without_a_store_renews_by_default_and_is_reported() {
    let server = StandIn::start().await.expect("stand-in starts");
    let client = Client::builder()
        .base_url(server.url())
        .expect("valid URL")
        .generate_token()
        .build()
        .expect("builds");
    client
        .authentication()
        .token_roles()
        .await
        .expect("first token");
    server.revoke_tokens();
    client
        .authentication()
        .token_roles()
        .await
        .expect("renewed");
    assert_eq!(client.token_replacements(), 1);

    let refusing = Client::builder()
        .base_url(server.url())
        .expect("valid URL")
        .generate_token()
        .renew_on_unauthorized(false)
        .build()
        .expect("builds");
    refusing
        .authentication()
        .token_roles()
        .await
        .expect("its token");
    server.revoke_tokens();
    let error = refusing
        .authentication()
        .token_roles()
        .await
        .expect_err("401");
    assert!(error.is_unauthorized());
    assert_eq!(refusing.token_replacements(), 0);
}
