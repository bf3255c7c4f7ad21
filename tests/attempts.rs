//! Every attempt of a call, as the service under the stack sees it: the
//! first after a token fetch, a retry after a `503`, and the resend after a
//! renewal on `401` all go to the call's own URL (path parameters and query
//! kept), with the token only to the base URL's origin.

use std::{
    collections::VecDeque,
    convert::Infallible,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use rxinfer_client::{
    bytes::Bytes,
    http::{Request, Response, StatusCode, header::AUTHORIZATION},
    tower::{ServiceExt, service_fn},
    transport::{
        BearerToken, BoxTransport, Config, OnUnauthorized, Operation, RequestBody, ResponseBody,
        RetryPolicy, TokenFuture, TokenSource, Transport,
    },
};

/// A token source that fetches `tok1`, `tok2`, ... and renews after a `401`.
#[derive(Debug, Default)]
struct Renewing {
    current: Mutex<Option<BearerToken>>,
    fetched: AtomicUsize,
}

impl TokenSource for Renewing {
    fn current(&self) -> Option<BearerToken> {
        self.current.lock().ok()?.clone()
    }

    fn fetch(&self) -> TokenFuture {
        let n = self.fetched.fetch_add(1, Ordering::SeqCst) + 1;
        let token = BearerToken::new(&format!("tok{n}"));
        if let (Ok(token), Ok(mut current)) = (&token, self.current.lock()) {
            *current = Some(token.clone());
        }
        Box::pin(async move { Ok(token?) })
    }

    fn on_unauthorized(&self, _: &BearerToken) -> OnUnauthorized {
        if let Ok(mut current) = self.current.lock() {
            *current = None;
        }
        OnUnauthorized::RenewAndResend
    }
}

/// What the service under the stack saw of one attempt: its URL, its
/// `Authorization` and whether it had a `Host`.
type Seen = Arc<Mutex<Vec<(String, Option<String>, bool)>>>;

/// A stack over a fake that answers `statuses` in turn and records each
/// attempt.
fn stack(statuses: &[u16]) -> Result<(BoxTransport, Seen), Box<dyn std::error::Error>> {
    let seen = Seen::default();
    let script = Arc::new(Mutex::new(
        statuses.iter().copied().collect::<VecDeque<_>>(),
    ));
    let record = Arc::clone(&seen);
    let fake = service_fn(move |request: Request<RequestBody>| {
        let authorization = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let has_host = request.headers().contains_key("host");
        if let Ok(mut seen) = record.lock() {
            seen.push((request.uri().to_string(), authorization, has_host));
        }
        let status = script
            .lock()
            .ok()
            .and_then(|mut script| script.pop_front())
            .and_then(|code| StatusCode::from_u16(code).ok())
            .unwrap_or(StatusCode::OK);
        let mut response = Response::new(ResponseBody::new(Bytes::from_static(b"{}")));
        *response.status_mut() = status;
        async move { Ok::<_, Infallible>(response) }
    });
    let mut config = Config::default();
    config.base_url = "http://h.test:1/v1".parse()?;
    config.token = Some(Arc::new(Renewing::default()));
    config.retry = RetryPolicy::new().base_delay(Duration::from_millis(1));
    Ok((Transport::over(config, fake).boxed(), seen))
}

fn get(
    uri: &str,
    operation: Operation,
) -> Result<Request<RequestBody>, Box<dyn std::error::Error>> {
    let mut request = Request::get(uri).body(RequestBody::default())?;
    request.extensions_mut().insert(operation);
    Ok(request)
}

fn attempts(seen: &Seen) -> Vec<(String, Option<String>, bool)> {
    seen.lock().map(|seen| seen.clone()).unwrap_or_default()
}

#[tokio::test]
async fn a_fetch_a_retry_and_a_renewal_all_go_to_the_calls_own_url()
-> Result<(), Box<dyn std::error::Error>> {
    let (transport, seen) = stack(&[503, 401, 200])?;
    let operation = Operation::new("get_model_instance").with_path_parameters();
    let response = transport
        .oneshot(get("/models/i/a%20b?x=1&y=%2F", operation)?)
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let url = "http://h.test:1/v1/models/i/a%20b?x=1&y=%2F";
    let bearer = |token: &str| Some(format!("Bearer {token}"));
    assert_eq!(
        attempts(&seen),
        [
            (url.to_owned(), bearer("tok1"), true),
            (url.to_owned(), bearer("tok1"), true),
            (url.to_owned(), bearer("tok2"), true),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn retries_to_another_origin_never_carry_the_token() -> Result<(), Box<dyn std::error::Error>>
{
    let (transport, seen) = stack(&[503, 200])?;
    let elsewhere = "http://elsewhere.test:81/steal?x=1";
    let response = transport
        .oneshot(get(elsewhere, Operation::new("token_roles"))?)
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        attempts(&seen),
        [
            (elsewhere.to_owned(), None, false),
            (elsewhere.to_owned(), None, false),
        ]
    );
    Ok(())
}
