//! The command line (clap derive). Every option a script may want has an environment variable
//! too; docs/cli.md lists them (a test keeps it in step).

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use credguard::credential::Strategy;
use credguard::ports::events::Severity;

#[derive(Debug, Parser)]
#[command(
    name = "credguard",
    version,
    about = "Onboard, inspect, plan and act on Genesys OAuth credentials managed by credguard",
    long_about = "Onboard, inspect, plan and act on Genesys OAuth credentials managed by credguard.\n\n\
        AWS credentials and region come from the standard chain (profiles, SSO, environment).\n\
        Where the deployment's resources are comes from --stack (its outputs and parameters), or\n\
        from the options and environment variables below. Secrets are never printed.",
    after_help = "Exit codes: 0 ok, 1 unexpected error, 2 bad usage or input, 3 refused by a check, \
        4 not found, 5 the operation failed, 6 configuration or permission missing, \
        7 unavailable or busy (retry later), 8 status --check found something to look at."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// The deployed CloudFormation stack: its outputs and parameters fill in everything below
    #[arg(long, global = true, env = "CREDGUARD_STACK")]
    pub stack: Option<String>,
    /// Secret holding the Genesys admin credential the CLI acts as [default: the stack's
    /// rotation (audit: audit) admin secret]
    #[arg(long, global = true, env = "CREDGUARD_ADMIN_SECRET")]
    pub admin_secret: Option<String>,
    /// DynamoDB records table [default: the stack's RecordsTableName]
    #[arg(long, global = true, env = "CREDGUARD_RECORDS_TABLE")]
    pub table: Option<String>,
    /// The rotation function (name or ARN) [default: the stack's RotationFunctionArn]
    #[arg(long, global = true, env = "CREDGUARD_ROTATION_FUNCTION")]
    pub rotation_function: Option<String>,
    /// Base URL of the revocation API [default: the stack's RevocationApiUrl]
    #[arg(long, global = true, env = "CREDGUARD_API_URL")]
    pub api_url: Option<String>,
    /// EventBridge bus for security events of local runs [default: the stack's bus, else default]
    #[arg(long, global = true, env = "CREDGUARD_EVENT_BUS")]
    pub event_bus: Option<String>,
    /// Name prefix of managed secrets [default: the stack's ManagedSecretPrefix, else credguard/]
    #[arg(long, global = true, env = "CREDGUARD_MANAGED_PREFIX")]
    pub prefix: Option<String>,
    /// Customer managed KMS key for new secrets [default: the stack's KmsKeyArn]
    #[arg(long, global = true, env = "CREDGUARD_KMS_KEY")]
    pub kms_key: Option<String>,
    /// Machine-readable output on stdout (every command)
    #[arg(long, global = true)]
    pub json: bool,
    /// More logging on stderr (-v info, -vv debug, -vvv trace); never a secret
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bring a Genesys OAuth client under management: check it, then create its managed secret
    Adopt(AdoptArgs),
    /// One line per managed secret: clients, age, next due, last outcome, pending, retirement
    Status(StatusArgs),
    /// What the next sweep would do (its dry run), and when
    Plan,
    /// Rotate a managed secret now and wait for the outcome
    Rotate(RotateArgs),
    /// Run the audit against the org and print its findings
    Audit(AuditArgs),
    /// Call the deployed revocation API (SigV4)
    #[command(subcommand)]
    Revoke(Revoke),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    Regenerate,
    Alternating,
}

impl From<StrategyArg> for Strategy {
    fn from(s: StrategyArg) -> Self {
        match s {
            StrategyArg::Regenerate => Strategy::Regenerate,
            StrategyArg::Alternating => Strategy::Alternating,
        }
    }
}

#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// The Genesys OAuth client to manage
    pub client_id: String,
    /// Name of the managed secret to create (under the managed prefix)
    #[arg(long)]
    pub name: String,
    #[arg(long, value_enum, default_value_t = StrategyArg::Regenerate)]
    pub strategy: StrategyArg,
    /// Alternating: the partner client (same grant, roles and token validity)
    #[arg(long, conflicts_with = "create_partner")]
    pub partner: Option<String>,
    /// Alternating: the first rotation creates the partner
    #[arg(long)]
    pub create_partner: bool,
    /// Rotate when the credential is this old [default: the deployment's]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub max_age_days: Option<u32>,
    /// Read the client's current secret from stdin (checked with a token grant)
    #[arg(
        long,
        conflicts_with = "regenerate_now",
        required_unless_present = "regenerate_now"
    )]
    pub secret_from_stdin: bool,
    /// Regenerate the secret right after adoption (the secret consumers hold today dies)
    #[arg(long)]
    pub regenerate_now: bool,
    /// Regenerate-now: rotate in this process instead of asking the deployed function
    #[arg(long, requires = "regenerate_now")]
    pub local: bool,
    /// The integration credentials that embed this client: the complete list (comma-separated)
    #[arg(
        long,
        value_delimiter = ',',
        conflicts_with = "no_integration_credentials"
    )]
    pub integration_credentials: Option<Vec<String>>,
    /// Declare that no integration credential embeds this client
    #[arg(long)]
    pub no_integration_credentials: bool,
    /// Skip the check that the admin client holds the client's roles (an inferred Genesys rule)
    #[arg(long)]
    pub skip_role_check: bool,
    /// Run every check and show what would be written; write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only these secrets (default: every managed secret)
    pub names: Vec<String>,
    /// Exit 8 when any secret needs attention (overdue, failing, client not active, drift)
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The managed secret (name or ARN)
    pub name: String,
    /// Alternating: disable the previous client right after the switch (a leak)
    #[arg(long)]
    pub retire_previous_now: bool,
    /// Why (recorded with the attempt)
    #[arg(long, default_value = "requested from the credguard CLI")]
    pub reason: String,
    /// Run the rotation in this process (same code as the function) instead of invoking it
    #[arg(long)]
    pub local: bool,
    /// Id of this request: a retry with the same id gets the first outcome, never a second
    /// rotation [default: generated and printed]
    #[arg(long)]
    pub request_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Record nothing: no records table needed, no events (a trial before deploying)
    #[arg(long)]
    pub no_record: bool,
    /// Run id to record under [default: the time now plus "-cli"]
    #[arg(long)]
    pub run_id: Option<String>,
    /// Exit 8 when any finding is at least this severe (a gate for scripts)
    #[arg(long, value_enum)]
    pub fail_on: Option<SeverityArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Self {
        match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

#[derive(Debug, Args)]
pub struct RevokeCommon {
    /// Why (recorded; required by the API)
    #[arg(long)]
    pub reason: String,
    /// Run every check, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Reuse the key of an earlier request (a retry) [default: generated and printed]
    #[arg(long)]
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Revoke {
    /// Revoke every token of a user
    User {
        user_id: String,
        /// The break-glass route (holders of protected roles; a permission of its own)
        #[arg(long)]
        break_glass: bool,
        #[command(flatten)]
        common: RevokeCommon,
    },
    /// Revoke the tokens of many users (large batches run in the background; progress is shown)
    Users {
        /// User ids (or --from-file)
        user_ids: Vec<String>,
        /// A file with one user id per line
        #[arg(long)]
        from_file: Option<std::path::PathBuf>,
        #[arg(long)]
        break_glass: bool,
        /// Return once the job is accepted instead of following it
        #[arg(long)]
        no_wait: bool,
        #[command(flatten)]
        common: RevokeCommon,
    },
    /// Revoke one access token, read from stdin
    Token {
        #[command(flatten)]
        common: RevokeCommon,
    },
    /// Disable or re-enable an OAuth client, or rotate the managed secret holding it
    Client {
        client_id: String,
        #[arg(long, group = "client_action", required = true)]
        disable: bool,
        #[arg(long, group = "client_action")]
        enable: bool,
        /// Emergency rotation of the managed secret holding the client
        #[arg(long, group = "client_action")]
        rotate: bool,
        /// Rotate: keep the previous client of an alternating pair until its grace period ends
        #[arg(long, requires = "rotate")]
        keep_previous: bool,
        /// Rotate: return once the rotation is handed over instead of following it
        #[arg(long, requires = "rotate")]
        no_wait: bool,
        #[command(flatten)]
        common: RevokeCommon,
    },
}
