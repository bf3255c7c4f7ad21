//! The answer of `GET /info`.

use serde::Serialize;

use crate::strict::json_object;

json_object! {
    /// Schema `ServerInfo`: the versions the server runs.
    ///
    /// ```
    /// use rxinfer_models::ServerInfo;
    ///
    /// let info = ServerInfo::new("4.4.2", "0.1.4", "CommunityEdition", "1.11.5");
    /// assert_eq!(info.api_version, "v1");
    /// # let _ = info;
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[non_exhaustive]
    pub struct ServerInfo {
        /// The RxInfer version, or `unknown`. Required.
        pub rxinfer_version: String,
        /// The RxInferServer version, or `unknown`. Required.
        pub server_version: String,
        /// The edition, such as `CommunityEdition`. Required.
        pub server_edition: String,
        /// The Julia version. Required.
        pub julia_version: String,
        /// The API version, `v1`. Required.
        pub api_version: String,
    }
}

impl ServerInfo {
    /// Server information for API version `v1`.
    pub fn new(
        rxinfer_version: impl Into<String>,
        server_version: impl Into<String>,
        server_edition: impl Into<String>,
        julia_version: impl Into<String>,
    ) -> Self {
        Self {
            rxinfer_version: rxinfer_version.into(),
            server_version: server_version.into(),
            server_edition: server_edition.into(),
            julia_version: julia_version.into(),
            api_version: "v1".to_owned(),
        }
    }

    /// The same, with another API version.
    pub fn with_api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }
}
