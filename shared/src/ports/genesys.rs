//! What the domain needs from Genesys Cloud, one trait per role.

use crate::deadline::Deadline;
use crate::genesys::models::{
    Credential, CredentialInfo, OAuthClient, OAuthClientRequest, OAuthScope, Receipt, Role,
    ScimUser, TokenInfo, User, UserExpand,
};
use crate::genesys::{ClientCredentials, GenesysError, LoginError, UsageSummary, UsageWindow};
use crate::redact::SecretString;
use std::collections::HashMap;
use std::future::Future;

/// Reading OAuth clients (`oauth:client:view`).
pub trait ClientDirectory: Send + Sync {
    /// Every client of the org (follows `nextUri` if a page ever carries one).
    fn list_clients(
        &self,
        d: &Deadline,
    ) -> impl Future<Output = Result<Vec<OAuthClient>, GenesysError>> + Send;
    fn get_client(
        &self,
        id: &str,
        d: &Deadline,
    ) -> impl Future<Output = Result<OAuthClient, GenesysError>> + Send;
}

/// Changing OAuth clients (`oauth:client:add|edit|delete`).
pub trait ClientAdmin: ClientDirectory {
    /// Not idempotent: never retried; an unknown outcome is reported as such.
    fn create_client(
        &self,
        req: &OAuthClientRequest,
        d: &Deadline,
    ) -> impl Future<Output = Result<OAuthClient, GenesysError>> + Send;
    /// Full replace (PUT).
    fn update_client(
        &self,
        id: &str,
        req: &OAuthClientRequest,
        d: &Deadline,
    ) -> impl Future<Output = Result<OAuthClient, GenesysError>> + Send;
    /// `POST .../secret`: replaces the client's only secret. Not idempotent: never retried;
    /// an unknown outcome is reported as [`GenesysError::OutcomeUnknown`].
    fn regenerate_secret(
        &self,
        id: &str,
        d: &Deadline,
    ) -> impl Future<Output = Result<OAuthClient, GenesysError>> + Send;
}

/// Roles and scopes (`authorization:role:view`; scopes need none).
pub trait AuthorizationDirectory: Send + Sync {
    /// The roles with these ids, resolved in batches with repeated `id` parameters. Ids that do
    /// not exist are absent from the result.
    fn roles_by_id(
        &self,
        ids: &[String],
        d: &Deadline,
    ) -> impl Future<Output = Result<Vec<Role>, GenesysError>> + Send;
    fn list_scopes(
        &self,
        d: &Deadline,
    ) -> impl Future<Output = Result<Vec<OAuthScope>, GenesysError>> + Send;
}

/// People (users and their SCIM view).
pub trait UserDirectory: Send + Sync {
    fn get_user(
        &self,
        id: &str,
        expand: &[UserExpand],
        d: &Deadline,
    ) -> impl Future<Output = Result<User, GenesysError>> + Send;
    fn get_scim_user(
        &self,
        id: &str,
        d: &Deadline,
    ) -> impl Future<Output = Result<ScimUser, GenesysError>> + Send;
}

/// Result of revoking a presented token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRevocation {
    Revoked,
    /// Genesys already rejects the token (expired, revoked, or never valid).
    AlreadyInvalid,
}

/// The token levers of API-FACTS §4 (there is no generic "revoke token" endpoint).
pub trait TokenAdmin: Send + Sync {
    /// `GET /api/v2/tokens/me` sent with `token`.
    fn token_info(
        &self,
        token: &SecretString,
        d: &Deadline,
    ) -> impl Future<Output = Result<TokenInfo, GenesysError>> + Send;
    /// `DELETE /api/v2/tokens/me` sent with `token`.
    fn revoke_token(
        &self,
        token: &SecretString,
        d: &Deadline,
    ) -> impl Future<Output = Result<(TokenRevocation, Receipt), GenesysError>> + Send;
    /// `DELETE /api/v2/tokens/{userId}` (`oauth:token:delete`).
    fn revoke_user_tokens(
        &self,
        user_id: &str,
        d: &Deadline,
    ) -> impl Future<Output = Result<Receipt, GenesysError>> + Send;
}

/// Proof that a credential works: a token grant, and the token's own view of who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialProof {
    /// The client id Genesys reports for the granted token (`TokenInfo.OAuthClient.id`).
    pub client_id: Option<String>,
    pub expires_in_seconds: u64,
}

/// Trying an arbitrary credential (rotation's `testSecret`).
pub trait CredentialVerifier: Send + Sync {
    /// Grants a token with `creds`, reads `tokens/me` with it and revokes it again.
    fn verify_credentials(
        &self,
        creds: &ClientCredentials,
        d: &Deadline,
    ) -> impl Future<Output = Result<CredentialProof, VerifyError>> + Send;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Login(#[from] LoginError),
    #[error(transparent)]
    Api(#[from] GenesysError),
}

/// API usage per client (org-wide query; `usage:organization:view`, or the older org query
/// with `oauth:client:view`).
pub trait UsageReports: Send + Sync {
    /// Usage of every client with traffic in the window, keyed by client id.
    fn org_usage(
        &self,
        window: &UsageWindow,
        d: &Deadline,
    ) -> impl Future<Output = Result<HashMap<String, UsageSummary>, GenesysError>> + Send;
}

/// Integration credentials that embed an OAuth client's id and secret
/// (`integrations:integration:view|edit`).
pub trait IntegrationCredentials: Send + Sync {
    fn list_credentials(
        &self,
        d: &Deadline,
    ) -> impl Future<Output = Result<Vec<CredentialInfo>, GenesysError>> + Send;
    /// One credential with its sensitive fields redacted by Genesys.
    fn get_credential(
        &self,
        id: &str,
        d: &Deadline,
    ) -> impl Future<Output = Result<Credential, GenesysError>> + Send;
    /// Replaces a `pureCloudOAuthClient` credential's fields. Returns the correlation id.
    fn update_oauth_credential(
        &self,
        id: &str,
        name: &str,
        client_id: &str,
        client_secret: &SecretString,
        d: &Deadline,
    ) -> impl Future<Output = Result<Receipt, GenesysError>> + Send;
}
