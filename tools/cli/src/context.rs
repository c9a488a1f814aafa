//! Where the CLI's resources are and as whom it acts, resolved once per command: an option (or
//! its environment variable) wins, then the stack's outputs and parameters, then the defaults
//! the template has. AWS credentials and region come from the standard chain.

use crate::args::Global;
use crate::exit::CliError;
use crate::output;
use credguard::audit::AuditConfig;
use credguard::aws::cloudformation::CloudFormation;
use credguard::aws::dynamodb::DynamoRecords;
use credguard::aws::eventbridge::EventBridgePublisher;
use credguard::aws::secretsmanager::SecretsManager;
use credguard::config::{EnvSource, ProcessEnv};
use credguard::credential::ManagedCredential;
use credguard::genesys::region::Endpoints;
use credguard::genesys::{ClientCredentials, ClientOptions, GenesysClient, StaticCredentials};
use credguard::onboarding::OrgFields;
use credguard::ports::secrets::{SecretStore, VersionRef, AWSCURRENT};
use credguard::ports::stacks::{StackDescription, Stacks};
use credguard::redact::SecretString;
use credguard::rotation::RotationConfig;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Read from the environment directly (not options): the admin credential for a first trial,
/// and the Genesys org as the functions name it.
pub const DIRECT_ENV: &[&str] = &[
    "CREDGUARD_GENESYS_CLIENT_ID",
    "CREDGUARD_GENESYS_CLIENT_SECRET",
    "GENESYS_REGION",
    "GENESYS_API_BASE_URL",
    "GENESYS_LOGIN_BASE_URL",
];

/// The managed prefix when neither an option nor a stack says (the template's default).
pub const DEFAULT_PREFIX: &str = "credguard/";

/// Which function's admin credential the CLI borrows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminFor {
    Rotation,
    Audit,
}

/// The Genesys admin client the CLI acts as.
pub struct Admin {
    pub client: GenesysClient,
    pub client_id: String,
    pub org: OrgFields,
    pub endpoints: Endpoints,
}

pub struct Context {
    pub aws: aws_config::SdkConfig,
    pub global: Global,
    pub stack: Option<StackDescription>,
}

/// The process environment, then what the stack says the functions were given.
struct Layered<'a>(&'a BTreeMap<String, String>);

impl EnvSource for Layered<'_> {
    fn var(&self, key: &str) -> Option<String> {
        ProcessEnv.var(key).or_else(|| self.0.get(key).cloned())
    }
}

fn non_empty(v: Option<&String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty()).cloned()
}

impl Context {
    pub async fn load(global: Global) -> Result<Self, CliError> {
        let aws = credguard::aws::load_config().await;
        let stack = match &global.stack {
            Some(name) => {
                let s = CloudFormation::new(&aws).describe_stack(name).await?;
                if s.status.ends_with("_FAILED") || s.status == "ROLLBACK_COMPLETE" {
                    output::warn(format!("stack {} is {}", s.name, s.status));
                }
                Some(s)
            }
            None => None,
        };
        Ok(Self { aws, global, stack })
    }

    fn output(&self, key: &str) -> Option<String> {
        self.stack
            .as_ref()
            .and_then(|s| non_empty(s.outputs.get(key)))
    }

    fn parameter(&self, key: &str) -> Option<String> {
        self.stack
            .as_ref()
            .and_then(|s| non_empty(s.parameters.get(key)))
    }

    /// Rotation's settings as the deployed function has them: the template passes these stack
    /// parameters to it; the environment wins (same variable names as the function).
    pub fn rotation_config(&self) -> Result<RotationConfig, CliError> {
        let mut from_stack = BTreeMap::new();
        for (var, param) in [
            ("ROTATION_MAX_AGE_DAYS", "RotationMaxAgeDays"),
            (
                "ROTATION_PROPAGATION_WINDOW_SECONDS",
                "PropagationWindowSeconds",
            ),
            ("ROTATION_RETIRE_AFTER_HOURS", "RetireAfterHours"),
        ] {
            if let Some(v) = self.parameter(param) {
                from_stack.insert(var.to_owned(), v);
            }
        }
        RotationConfig::from_env(&Layered(&from_stack)).map_err(|e| CliError::config(e.to_string()))
    }

    /// The audit's settings as the deployed function has them (the template passes these stack
    /// parameters to it); the environment wins. Security Hub stays the function's business.
    pub fn audit_config(&self) -> Result<AuditConfig, CliError> {
        let mut from_stack = BTreeMap::new();
        for (var, param) in [
            ("AUDIT_UNUSED_DAYS", "AuditUnusedDays"),
            ("AUDIT_SECRET_MAX_AGE_DAYS", "RotationMaxAgeDays"),
        ] {
            if let Some(v) = self.parameter(param) {
                from_stack.insert(var.to_owned(), v);
            }
        }
        from_stack.insert("AUDIT_SECRET_NAME_PREFIX".to_owned(), self.managed_prefix());
        let mut config = AuditConfig::from_env(&Layered(&from_stack))
            .map_err(|e| CliError::config(e.to_string()))?;
        config.security_hub_product_arn = None;
        Ok(config)
    }

    pub fn secrets(&self) -> SecretsManager {
        SecretsManager::new(&self.aws)
    }

    pub fn table(&self) -> Option<String> {
        self.global
            .table
            .clone()
            .or_else(|| self.output("RecordsTableName"))
    }

    pub fn records(&self) -> Option<DynamoRecords> {
        self.table().map(|t| DynamoRecords::new(&self.aws, t))
    }

    /// The records table, which this command cannot do without.
    pub fn require_records(&self) -> Result<DynamoRecords, CliError> {
        self.records().ok_or_else(|| {
            CliError::config("no records table: pass --stack, --table or CREDGUARD_RECORDS_TABLE")
        })
    }

    /// Publishes as the rotation function does (same bus and source).
    pub fn rotation_events(&self) -> EventBridgePublisher {
        EventBridgePublisher::new(
            &self.aws,
            self.event_bus(),
            credguard::ports::events::EVENT_SOURCE,
        )
    }

    /// Publishes as the audit function does (same bus and source).
    pub fn audit_events(&self) -> EventBridgePublisher {
        EventBridgePublisher::new(
            &self.aws,
            self.event_bus(),
            credguard::audit::events::EVENT_SOURCE,
        )
    }

    pub fn event_bus(&self) -> String {
        self.global
            .event_bus
            .clone()
            .or_else(|| self.output("SecurityEventBusName"))
            .unwrap_or_else(|| "default".into())
    }

    pub fn rotation_function(&self) -> Option<String> {
        self.global
            .rotation_function
            .clone()
            .or_else(|| self.output("RotationFunctionArn"))
    }

    pub fn api_url(&self) -> Option<String> {
        self.global
            .api_url
            .clone()
            .or_else(|| self.output("RevocationApiUrl"))
    }

    pub fn managed_prefix(&self) -> String {
        self.global
            .prefix
            .clone()
            .or_else(|| self.parameter("ManagedSecretPrefix"))
            .unwrap_or_else(|| DEFAULT_PREFIX.into())
    }

    pub fn kms_key(&self) -> Option<String> {
        self.global
            .kms_key
            .clone()
            .or_else(|| self.parameter("KmsKeyArn"))
    }

    /// The Genesys org of the deployment: the environment (as the functions read it), else the
    /// stack's parameters.
    fn deployment_org(&self) -> Result<Option<OrgFields>, CliError> {
        let env = |k: &str| ProcessEnv.var(k).filter(|v| !v.trim().is_empty());
        let org = match (env("GENESYS_REGION"), env("GENESYS_API_BASE_URL")) {
            (Some(_), Some(_)) => {
                return Err(CliError::config(
                    "set either GENESYS_REGION or GENESYS_API_BASE_URL, not both",
                ))
            }
            (Some(region), None) => Some(OrgFields {
                region: Some(region),
                ..OrgFields::default()
            }),
            (None, Some(api)) => Some(OrgFields {
                api_base_url: Some(api),
                login_base_url: env("GENESYS_LOGIN_BASE_URL"),
                ..OrgFields::default()
            }),
            (None, None) => match self.parameter("GenesysApiBaseUrl") {
                Some(api) => Some(OrgFields {
                    api_base_url: Some(api),
                    login_base_url: self.parameter("GenesysLoginBaseUrl"),
                    ..OrgFields::default()
                }),
                None => self.parameter("GenesysRegion").map(|r| OrgFields {
                    region: Some(r),
                    ..OrgFields::default()
                }),
            },
        };
        Ok(org)
    }

    fn admin_secret_id(&self, purpose: AdminFor) -> Option<String> {
        let param = match purpose {
            AdminFor::Rotation => "RotationAdminSecretArn",
            AdminFor::Audit => "AuditAdminSecretArn",
        };
        self.global
            .admin_secret
            .clone()
            .or_else(|| self.parameter(param))
            .or_else(|| self.output("AdminCredentialSecretArn"))
    }

    /// The admin credential: `--admin-secret` (or the stack's), else the environment's
    /// `CREDGUARD_GENESYS_CLIENT_ID`/`_SECRET` for a first trial without a deployment.
    pub async fn admin(&self, purpose: AdminFor) -> Result<Admin, CliError> {
        let env = |k: &str| ProcessEnv.var(k).filter(|v| !v.trim().is_empty());
        let deployment_org = self.deployment_org()?;
        let (creds, doc_org) = if let Some(id) = self.admin_secret_id(purpose) {
            let v = self
                .secrets()
                .get_version(&id, VersionRef::Stage(AWSCURRENT))
                .await
                .map_err(|e| {
                    let mut err = CliError::from(e);
                    err.message = format!("the admin credential secret {id}: {}", err.message);
                    err
                })?;
            let doc = ManagedCredential::parse(&v.value)
                .map_err(|e| CliError::config(format!("the admin credential secret {id}: {e}")))?;
            let org = OrgFields {
                region: doc.region.clone(),
                api_base_url: doc.api_base_url.clone(),
                login_base_url: doc.login_base_url.clone(),
            };
            (doc.credentials(), Some(org))
        } else if let (Some(id), Some(secret)) = (
            env("CREDGUARD_GENESYS_CLIENT_ID"),
            env("CREDGUARD_GENESYS_CLIENT_SECRET"),
        ) {
            (
                ClientCredentials {
                    client_id: id,
                    client_secret: SecretString::from(secret),
                },
                None,
            )
        } else {
            return Err(CliError::config(
                "no Genesys admin credential: pass --stack or --admin-secret, or for a first trial set \
                 CREDGUARD_GENESYS_CLIENT_ID, CREDGUARD_GENESYS_CLIENT_SECRET and GENESYS_REGION",
            ));
        };
        let declared = |o: &OrgFields| o.region.is_some() || o.api_base_url.is_some();
        let org = deployment_org.or(doc_org.filter(declared)).ok_or_else(|| {
            CliError::config(
                "which Genesys org? set GENESYS_REGION (or GENESYS_API_BASE_URL), or pass --stack",
            )
        })?;
        let endpoints = match (&org.region, &org.api_base_url) {
            (Some(r), _) => Endpoints::for_region(r),
            (None, Some(api)) => Endpoints::from_urls(api, org.login_base_url.as_deref()),
            (None, None) => unreachable!("checked above"),
        }
        .map_err(|e| CliError::config(e.to_string()))?;
        let client_id = creds.client_id.clone();
        let client = GenesysClient::new(
            endpoints.clone(),
            Arc::new(StaticCredentials(creds)),
            ClientOptions::default(),
        )
        .map_err(|e| CliError::config(e.to_string()))?;
        Ok(Admin {
            client,
            client_id,
            org,
            endpoints,
        })
    }
}
