//! The exact bytes the client puts on the wire, read by a raw TCP peer.

mod support;

use support::{Behaviour, RawServer, client, json_ok};

/// The request head's lines after the request line, lowercased names.
fn header_lines(request: &str) -> Vec<String> {
    request
        .split("\r\n")
        .skip(1)
        .take_while(|line| !line.is_empty())
        .map(|line| match line.split_once(':') {
            Some((name, value)) => format!("{}:{}", name.to_ascii_lowercase(), value),
            None => line.to_owned(),
        })
        .collect()
}

#[tokio::test]
async fn token_roles_is_a_get_with_bearer_accept_and_user_agent_and_no_body() {
    let mut peer = RawServer::start(Behaviour::Respond(json_ok(r#"{"roles":["user"]}"#))).await;
    client(&peer.url, Some("t0k3n"))
        .authentication()
        .token_roles()
        .await
        .expect("roles");

    let request = peer.next_request().await;
    assert!(
        request.starts_with("GET /v1/token/roles HTTP/1.1\r\n"),
        "{request}"
    );
    let headers = header_lines(&request);
    let host = peer
        .url
        .trim_start_matches("http://")
        .trim_end_matches("/v1");
    assert!(headers.contains(&format!("host: {host}")), "{headers:?}");
    assert!(
        headers.contains(&"authorization: Bearer t0k3n".to_owned()),
        "{headers:?}"
    );
    assert!(
        headers.contains(&"accept: application/json".to_owned()),
        "{headers:?}"
    );
    let user_agent = format!("user-agent: rxinfer-client/{}", env!("CARGO_PKG_VERSION"));
    assert!(headers.contains(&user_agent), "{headers:?}");
    assert!(
        !headers
            .iter()
            .any(|h| h.starts_with("content-length") || h.starts_with("transfer-encoding"))
    );
    assert!(
        request.ends_with("\r\n\r\n"),
        "a body was sent: {request:?}"
    );
}

#[tokio::test]
async fn token_generate_is_a_post_without_authorization_or_body() {
    let mut peer = RawServer::start(Behaviour::Respond(json_ok(r#"{"token":"new"}"#))).await;
    let generated = client(&peer.url, Some("t0k3n"))
        .authentication()
        .token_generate()
        .await;
    assert_eq!(generated.expect("a token").token.expose(), "new");

    let request = peer.next_request().await;
    assert!(
        request.starts_with("POST /v1/token/generate HTTP/1.1\r\n"),
        "{request}"
    );
    let headers = header_lines(&request);
    assert!(
        !headers.iter().any(|h| h.starts_with("authorization")),
        "{headers:?}"
    );
    assert!(
        headers.contains(&"accept: application/json".to_owned()),
        "{headers:?}"
    );
    assert!(
        !headers.iter().any(|h| h.starts_with("transfer-encoding")),
        "{headers:?}"
    );
    assert!(
        headers
            .iter()
            .all(|h| !h.starts_with("content-length") || h == "content-length: 0"),
        "{headers:?}"
    );
    assert!(
        request.ends_with("\r\n\r\n"),
        "a body was sent: {request:?}"
    );
}

#[tokio::test]
async fn no_token_configured_sends_no_authorization() {
    let mut peer = RawServer::start(Behaviour::Respond(json_ok(r#"{"roles":[]}"#))).await;
    client(&peer.url, None)
        .authentication()
        .token_roles()
        .await
        .expect("roles");
    let request = peer.next_request().await;
    assert!(
        !header_lines(&request)
            .iter()
            .any(|h| h.starts_with("authorization"))
    );
}

#[tokio::test]
async fn the_base_path_is_kept_whatever_its_shape() {
    let mut peer = RawServer::start(Behaviour::Respond(json_ok(r#"{"roles":[]}"#))).await;
    let origin = peer.url.trim_end_matches("/v1").to_owned();
    let cases = [
        (origin.clone(), "GET /token/roles "),
        (format!("{origin}/"), "GET /token/roles "),
        (format!("{origin}/api/v1"), "GET /api/v1/token/roles "),
        (format!("{origin}/api/v1/"), "GET /api/v1/token/roles "),
    ];
    for (base, expected) in cases {
        client(&base, None)
            .authentication()
            .token_roles()
            .await
            .expect("roles");
        let request = peer.next_request().await;
        assert!(request.starts_with(expected), "{base}: {request}");
    }
}

#[tokio::test]
async fn run_inference_posts_its_json_body() {
    let answer = r#"{"event_id":1,"results":{"mean_p":0.5},"errors":[]}"#;
    let mut peer = RawServer::start(Behaviour::Respond(json_ok(answer))).await;
    let request = rxinfer_client::models::InferRequest::new(rxinfer_client::models::object([(
        "observation",
        1,
    )]));
    client(&peer.url, Some("t0k3n"))
        .models()
        .run_inference("abc", &request)
        .await
        .expect("results");
    let sent = peer.next_request().await;
    assert!(
        sent.starts_with("POST /v1/models/i/abc/infer HTTP/1.1\r\n"),
        "{sent}"
    );
    let headers = header_lines(&sent);
    assert!(
        headers.contains(&"content-type: application/json".to_owned()),
        "{headers:?}"
    );
    assert!(
        headers.contains(&"content-length: 26".to_owned()),
        "{headers:?}"
    );
    assert!(sent.ends_with(r#"{"data":{"observation":1}}"#), "{sent}");
}

/// Episode names and ids are path segments whatever they hold: spaces,
/// `/`, `%`, `?`, `#`, dots, non-ASCII.
#[tokio::test]
async fn path_parameters_are_percent_encoded() {
    let answer = r#"{"message":"Episode wiped successfully"}"#;
    let mut peer = RawServer::start(Behaviour::Respond(json_ok(answer))).await;
    let client = client(&peer.url, Some("t0k3n"));
    for (name, encoded) in [
        ("morning run", "morning%20run"),
        ("a/b", "a%2Fb"),
        ("100%", "100%25"),
        ("what?", "what%3F"),
        ("#1", "%231"),
        ("..", "%2E%2E"),
        ("é", "%C3%A9"),
        (
            " %%% -- ////// ... ? @ [ ]",
            "%20%25%25%25%20--%20%2F%2F%2F%2F%2F%2F%20...%20%3F%20%40%20%5B%20%5D",
        ),
    ] {
        client
            .models()
            .wipe_episode("i d", name)
            .await
            .expect("wiped");
        let sent = peer.next_request().await;
        let expected = format!("POST /v1/models/i/i%20d/episodes/{encoded}/wipe HTTP/1.1\r\n");
        assert!(sent.starts_with(&expected), "{name:?}: {sent}");
    }
}
