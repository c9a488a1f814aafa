//! What every function's `main` builds first, once per container, from the common settings.

use crate::aws::dynamodb::DynamoRecords;
use crate::aws::secretsmanager::SecretsManager;
use crate::config::CommonConfig;
use crate::genesys::client::ClientInitError;
use crate::genesys::GenesysClient;
use crate::secret_cache::{admin_genesys_client, CachedSecrets};
use aws_config::SdkConfig;
use std::sync::Arc;

pub struct Foundation {
    pub aws: SdkConfig,
    pub secrets: SecretsManager,
    pub records: DynamoRecords,
    /// Acts as the admin client; its credential is read through `admin_cache`.
    pub genesys: GenesysClient,
    pub admin_cache: Arc<CachedSecrets<SecretsManager>>,
}

impl Foundation {
    pub async fn load(common: &CommonConfig) -> Result<Self, ClientInitError> {
        let aws = crate::aws::load_config().await;
        let secrets = SecretsManager::new(&aws);
        let (genesys, admin_cache) =
            admin_genesys_client(&secrets, &common.genesys, common.secret_cache_ttl)?;
        Ok(Self {
            records: DynamoRecords::new(&aws, &common.records_table),
            aws,
            secrets,
            genesys,
            admin_cache,
        })
    }
}
