//! Whatever a server sends, the client answers with a typed error that keeps
//! it, never quotes a body it could not decode, and never panics. The
//! status decides the kind of error; the body only adds detail.

mod support;

use rxinfer_client::{ApiError, ApiErrorKind, DecodeError, TransportError};
use rxinfer_stand_in::StandIn;
use support::{Behaviour, RawServer, client, json_ok, response, transport_error};

async fn from(behaviour: Behaviour, generate: bool) -> ApiError {
    let peer = RawServer::start(behaviour).await;
    let client = client(&peer.url, Some("t"));
    let result = if generate {
        client.authentication().token_generate().await.map(|_| ())
    } else {
        client.authentication().token_roles().await.map(|_| ())
    };
    result.expect_err("an error")
}

async fn roles_from(behaviour: Behaviour) -> ApiError {
    from(behaviour, false).await
}

#[tokio::test]
async fn an_undocumented_status_keeps_status_headers_and_body() {
    let body = b"<html>upstream down</html>";
    let error = roles_from(Behaviour::Respond(response(
        "503 Service Unavailable",
        &[("content-type", "text/html"), ("retry-after", "0")],
        body,
    )))
    .await;
    match error.kind() {
        ApiErrorKind::UnexpectedStatus(status) => {
            let raw = status.response();
            assert_eq!(raw.status(), 503);
            assert_eq!(raw.headers()["retry-after"], "0");
            assert_eq!(raw.body().as_ref(), body);
            assert_eq!(status.decode_error(), Some(&DecodeError::ContentType));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(error.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert!(error.to_string().contains("503"), "{error}");
}

#[tokio::test]
async fn an_undocumented_status_with_an_error_body_exposes_it_parsed() {
    let error = roles_from(Behaviour::Respond(response(
        "502 Bad Gateway",
        &[("content-type", "application/json")],
        br#"{"error":"Bad Gateway","message":"the model worker is down"}"#,
    )))
    .await;
    match error.kind() {
        ApiErrorKind::UnexpectedStatus(status) => {
            assert_eq!(status.body().map(|b| b.error.as_str()), Some("Bad Gateway"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(error.message(), Some("the model worker is down"));
}

#[tokio::test]
async fn the_stand_ins_404_for_an_unknown_route_is_not_found() {
    let server = StandIn::builder()
        .base_path("/v2")
        .start()
        .await
        .expect("stand-in starts");
    let url = server.url().replace("/v2", "/v1");
    let error = client(&url, None)
        .authentication()
        .token_generate()
        .await
        .expect_err("a 404");
    match error.kind() {
        ApiErrorKind::NotFound(status) => {
            assert_eq!(status.decode_error(), Some(&DecodeError::Empty));
            assert!(status.response().body().is_empty());
        }
        other => panic!("{other:?}"),
    }
}

/// Status first: a documented status is its typed error whatever its body,
/// on every operation (before: a 401 with HTML was a decode error, and
/// nginx's HTML 400 was a decode error on one operation and an unexpected
/// status on the other).
#[tokio::test]
async fn documented_statuses_are_typed_whatever_the_body() {
    let html = |status: &str| {
        Behaviour::Respond(response(
            status,
            &[("content-type", "text/html")],
            b"<html>nginx</html>",
        ))
    };
    for generate in [true, false] {
        let error = from(html("400 Bad Request"), generate).await;
        assert!(
            matches!(error.kind(), ApiErrorKind::BadRequest(_)),
            "{error:?}"
        );
        let error = from(html("401 Unauthorized"), generate).await;
        assert!(error.is_unauthorized(), "{error:?}");
        let error = from(html("404 Not Found"), generate).await;
        assert!(error.is_not_found(), "{error:?}");
    }
    let error = roles_from(Behaviour::Respond(response(
        "401 Unauthorized",
        &[("content-type", "application/json")],
        br#"{"error":"Forbidden","message":"m"}"#,
    )))
    .await;
    match error.kind() {
        ApiErrorKind::Unauthorized(status) => {
            assert!(matches!(
                status.decode_error(),
                Some(DecodeError::Shape { .. })
            ));
        }
        other => panic!("{other:?}"),
    }
}

/// A decode error says where the body went wrong, never what it holds:
/// the body may echo a token.
#[tokio::test]
async fn decode_errors_never_quote_the_body() {
    const SECRET: &str = "leaked-body-text";
    for behaviour in [
        Behaviour::Respond(response(
            "401 Unauthorized",
            &[("content-type", "application/json")],
            br#"{"error":"leaked-body-text","message":"m"}"#,
        )),
        Behaviour::Respond(json_ok(r#"{"roles":"leaked-body-text"}"#)),
        Behaviour::Respond(json_ok(r#"{"roles":[1,"leaked-body-text"]}"#)),
        Behaviour::Respond(json_ok("leaked-body-text")),
    ] {
        let error = roles_from(behaviour).await;
        let mut text = format!("{error} {error:?}");
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            text.push_str(&format!(" {cause} {cause:?}"));
            source = cause.source();
        }
        assert!(!text.contains(SECRET), "{text}");
        let raw = error.response().expect("the raw response");
        assert!(raw.body_text().contains(SECRET));
    }
}

#[tokio::test]
async fn malformed_json_at_a_success_keeps_the_body() {
    for (body, expected) in [
        (r#"{"roles":"user"}"#, "shape"),
        ("{", "syntax"),
        ("", "empty"),
        ("null", "shape"),
        (r#"{"roles":[1,2]}"#, "shape"),
        // serde's derive takes an array for a struct; the models do not.
        (r#"[["user"]]"#, "shape"),
    ] {
        let error = roles_from(Behaviour::Respond(json_ok(body))).await;
        match error.kind() {
            ApiErrorKind::InvalidBody { response, source } => {
                assert_eq!(response.status(), 200);
                assert_eq!(response.body_text(), body);
                let kind = match source {
                    DecodeError::Shape { .. } => "shape",
                    DecodeError::Syntax { .. } => "syntax",
                    DecodeError::Empty => "empty",
                    _ => "other",
                };
                assert_eq!(kind, expected, "{body:?}");
            }
            other => panic!("{body:?}: {other:?}"),
        }
    }
}

/// `["abc"]` decoded as a token before.
#[tokio::test]
async fn a_json_array_is_never_a_token() {
    let error = from(Behaviour::Respond(json_ok(r#"["abc"]"#)), true).await;
    assert!(
        matches!(error.kind(), ApiErrorKind::InvalidBody { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_wrong_content_type_is_a_decode_error() {
    let error = roles_from(Behaviour::Respond(response(
        "200 OK",
        &[("content-type", "text/html; charset=utf-8")],
        br#"{"roles":["user"]}"#,
    )))
    .await;
    assert!(
        matches!(
            error.kind(),
            ApiErrorKind::InvalidBody {
                source: DecodeError::ContentType,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn garbage_and_broken_http_are_transport_errors() {
    let cases: [(&str, Behaviour); 5] = [
        (
            "not HTTP",
            Behaviour::Respond(b"hello there\r\n\r\n".to_vec()),
        ),
        ("closed before answering", Behaviour::Close),
        (
            "bad status line",
            Behaviour::Respond(b"HTTP/1.1 abc OK\r\n\r\n".to_vec()),
        ),
        (
            "body shorter than its length",
            Behaviour::RespondThenClose(
                b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc".to_vec(),
            ),
        ),
        (
            "bad chunked encoding",
            Behaviour::RespondThenClose(
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n".to_vec(),
            ),
        ),
    ];
    for (name, behaviour) in cases {
        let error = roles_from(behaviour).await;
        assert!(
            matches!(
                transport_error(&error),
                Some(TransportError::Http(_) | TransportError::Body(_))
            ),
            "{name}: {error:?}"
        );
    }
}

/// The error names the operation and where it went, and says what to do.
#[tokio::test]
async fn errors_name_the_operation_and_the_url() {
    let peer = RawServer::start(Behaviour::Close).await;
    let error = client(&peer.url, None)
        .authentication()
        .token_generate()
        .await
        .expect_err("closed");
    let shown = error.to_string();
    assert!(
        shown.starts_with(&format!(
            "token_generate (POST {}/token/generate): ",
            peer.url
        )),
        "{shown}"
    );
    assert_eq!(error.operation(), "token_generate");
    assert!(std::error::Error::source(&error).is_some());
}
