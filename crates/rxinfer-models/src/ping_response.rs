//! The answer of `GET /ping`.

use serde::Serialize;

use crate::strict::json_object;

json_object! {
    /// Schema `PingResponse`: the server is up.
    ///
    /// ```
    /// use rxinfer_models::PingResponse;
    ///
    /// let ping: PingResponse = serde_json::from_str(r#"{"status":"ok"}"#)?;
    /// assert_eq!(ping, PingResponse::ok());
    /// assert!(ping.is_ok());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[non_exhaustive]
    pub struct PingResponse {
        /// The server's status, `"ok"` when it is alive. Required.
        pub status: String,
    }
}

impl PingResponse {
    /// A ping answer with `status`.
    pub fn new(status: impl Into<String>) -> Self {
        Self {
            status: status.into(),
        }
    }

    /// `{"status":"ok"}`, what a live server answers.
    pub fn ok() -> Self {
        Self::new("ok")
    }

    /// Whether the status is `"ok"`.
    pub fn is_ok(&self) -> bool {
        self.status == "ok"
    }
}
