//! Stamps as the real server's tests see them, over real HTTP.

mod common;

use common::{dev_server, get, instance, post};
use serde_json::json;
use time::{OffsetDateTime, PrimitiveDateTime, format_description::well_known::Iso8601};

fn wall(text: &str) -> PrimitiveDateTime {
    PrimitiveDateTime::parse(text, &Iso8601::DEFAULT).expect("an event timestamp")
}

/// As the real server's test "Inference requests should populate the
/// episode with events": inferences sent one after another have distinct
/// (here: increasing) timestamps, each before the client's now.
#[tokio::test]
async fn back_to_back_inferences_get_increasing_stamps_in_the_past() {
    let server = dev_server().await;
    let id = instance(&server, "BetaBernoulli-v1", json!({})).await;
    for _ in 0..5 {
        let (status, body) = post(
            &server,
            &format!("/models/i/{id}/infer"),
            json!({"data": {"observation": 1}}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, episode) = get(&server, &format!("/models/i/{id}/episodes/default")).await;
    let now = OffsetDateTime::now_utc();
    let now = PrimitiveDateTime::new(now.date(), now.time());
    let stamps: Vec<PrimitiveDateTime> = episode["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| wall(e["timestamp"].as_str().expect("a timestamp")))
        .collect();
    assert_eq!(stamps.len(), 5);
    assert!(
        stamps.windows(2).all(|w| w[0] < w[1]),
        "not increasing: {stamps:?}"
    );
    assert!(
        stamps.iter().all(|s| *s < now),
        "{stamps:?} not before {now}"
    );
}
