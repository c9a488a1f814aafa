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
    /// From the SDK's configuration as Lambda provides it.
    pub async fn load(common: &CommonConfig) -> Result<Self, ClientInitError> {
        Self::with_aws(crate::aws::load_config().await, common)
    }

    /// From a given SDK configuration (the audit's `wire` takes one, so that its tests and the
    /// bench can pass the emulator's).
    pub fn with_aws(aws: SdkConfig, common: &CommonConfig) -> Result<Self, ClientInitError> {
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
