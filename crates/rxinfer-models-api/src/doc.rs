//! Set-up shared by the documentation's examples; not part of the API.

use std::sync::Arc;

use rxinfer_models::CreateModelInstanceRequest;
use rxinfer_transport::{BearerToken, Config, StaticToken, Transport};

use crate::ModelsApi;

/// The API over the default transport to `url`, with the development token.
///
/// # Errors
///
/// When `url` is not a base URL.
pub fn api(url: &str) -> Result<ModelsApi<Transport>, Box<dyn std::error::Error>> {
    let mut config = Config::default();
    config.base_url = url.parse()?;
    config.token = Some(Arc::new(StaticToken::new(BearerToken::new("dev-token")?)));
    Ok(ModelsApi::new(Transport::new(config)?))
}

/// A new `BetaBernoulli-v1` instance's id.
///
/// # Errors
///
/// When the server does not create it.
pub async fn coin(api: &ModelsApi<Transport>) -> Result<String, Box<dyn std::error::Error>> {
    let request = CreateModelInstanceRequest::new("BetaBernoulli-v1");
    Ok(api
        .create_model_instance(&request)
        .await?
        .into_data()
        .instance_id)
}
