//! Each operation against a server that reads the request and closes the
//! connection without answering, counted at that server: the request may
//! have been processed, so only the operations that may be sent twice are
//! sent again (twice more, with two retries); those that change server
//! state are sent once.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use rxinfer_client::{ApiErrorKind, Client, RetryPolicy, TransportError};
use rxinfer_conformance::every_operation;
use tokio::{io::AsyncReadExt, net::TcpListener};

/// A server that reads each request and closes; the requests it read.
async fn dropping() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
    let url = format!("http://{}/v1", listener.local_addr().expect("an address"));
    let read = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&read);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counted = Arc::clone(&counted);
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 8192];
                if stream.read(&mut buffer).await.is_ok_and(|n| n > 0) {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    (url, read)
}

#[tokio::test]
async fn every_operation_is_resent_only_if_it_is_safe() {
    let probe = Client::new().expect("builds");
    let count = every_operation(&probe).len();
    assert_eq!(count, 21);
    for index in 0..count {
        let (url, read) = dropping().await;
        let client = Client::builder()
            .base_url(url.as_str())
            .and_then(|b| b.token("t"))
            .expect("valid settings")
            .retry(
                RetryPolicy::new()
                    .max_retries(2)
                    .base_delay(Duration::from_millis(5)),
            )
            .build()
            .expect("the client builds");
        let operation = every_operation(&client).swap_remove(index);
        let error = tokio::time::timeout(Duration::from_secs(10), operation.call)
            .await
            .expect("done within 10 s")
            .expect_err("dropped");
        assert!(
            matches!(
                error.kind(),
                ApiErrorKind::Transport(TransportError::Http(_))
            ),
            "{}: {error:?}",
            operation.name
        );
        // The last request may still be in the server's read when the call
        // fails; give it a moment.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let expected = if operation.resendable { 3 } else { 1 };
        assert_eq!(read.load(Ordering::SeqCst), expected, "{}", operation.name);
    }
}
