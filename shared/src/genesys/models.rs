//! Platform API models (field names from openapi-subset.json). Every field the spec does not
//! require is optional, unknown fields are ignored and unknown enum values are kept.
//!
//! Longer than most files on purpose: one plain data type per Genesys model the tool touches,
//! read side by side with the spec; there is no logic here to hold in one's head.

use crate::redact::SecretString;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;
use std::fmt;

/// Enum spellings differ between spec generations (`CLIENT-CREDENTIALS` vs `CLIENT_CREDENTIALS`,
/// `SAML2-BEARER` vs `SAML2BEARER`): compare case-insensitively, ignoring `-` and `_`.
fn enum_key(raw: &str) -> String {
    raw.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A string enum that keeps values it does not know (`Unknown`) instead of failing to parse.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            Unknown(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Unknown(raw) => raw,
                }
            }

            pub fn parse(raw: &str) -> Self {
                let key = enum_key(raw);
                $(if key == enum_key($wire) {
                    return Self::$variant;
                })+
                Self::Unknown(raw.to_owned())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Self::parse(&String::deserialize(d)?))
            }
        }
    };
}

open_enum!(
    /// `OAuthClient.authorizedGrantType`.
    GrantType {
        Code => "CODE",
        Token => "TOKEN",
        Saml2Bearer => "SAML2-BEARER",
        Password => "PASSWORD",
        ClientCredentials => "CLIENT-CREDENTIALS",
    }
);

open_enum!(
    /// `OAuthClient.state`: `inactive` means being deleted (see `dateToDelete`).
    ClientState {
        Active => "active",
        Disabled => "disabled",
        Inactive => "inactive",
    }
);

open_enum!(
    /// Status of the older usage queries (`ApiUsageQueryResult.queryStatus`).
    UsageQueryStatus {
        Running => "Running",
        Complete => "Complete",
        Failed => "Failed",
    }
);

open_enum!(
    /// Status of a usage aggregates job (`OrganizationPublicApiUsageResultsResponse.queryStatus`).
    UsageJobStatus {
        Queued => "Queued",
        Running => "Running",
        Succeeded => "Succeeded",
        Failed => "Failed",
        Cancelled => "Cancelled",
    }
);

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainEntityRef {
    pub id: Option<String>,
    pub name: Option<String>,
    pub self_uri: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDivision {
    pub role_id: String,
    pub division_id: String,
}

impl RoleDivision {
    /// `*` in the UI means every division, present and future [INF in API-FACTS].
    pub fn is_all_divisions(&self) -> bool {
        self.division_id == "*"
    }
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// `OAuthClient`. `secret` is only present in the responses of create and regenerate.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClient {
    #[serde(default)]
    pub id: String,
    pub name: String,
    pub authorized_grant_type: GrantType,
    pub access_token_validity_seconds: Option<i64>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub registered_redirect_uri: Vec<String>,
    #[serde(default, with = "crate::redact::expose::option")]
    pub secret: Option<SecretString>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub role_ids: Vec<String>,
    pub date_created: Option<DateTime<Utc>>,
    pub date_modified: Option<DateTime<Utc>>,
    pub created_by: Option<DomainEntityRef>,
    pub modified_by: Option<DomainEntityRef>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub scope: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub role_divisions: Vec<RoleDivision>,
    pub state: Option<ClientState>,
    pub date_to_delete: Option<DateTime<Utc>>,
    pub self_uri: Option<String>,
    /// `ININ-Correlation-Id` of the response this came from (set by create/update/regenerate).
    #[serde(skip)]
    pub correlation_id: Option<String>,
}

/// What Genesys said about a call that changed something and returns no body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Receipt {
    pub correlation_id: Option<String>,
}

impl OAuthClient {
    /// The spec's default when the field is absent.
    pub const DEFAULT_TOKEN_VALIDITY_SECONDS: i64 = 86_400;

    pub fn token_validity_seconds(&self) -> i64 {
        self.access_token_validity_seconds
            .unwrap_or(Self::DEFAULT_TOKEN_VALIDITY_SECONDS)
    }

    /// `state` defaults to active when absent.
    pub fn state(&self) -> ClientState {
        self.state.clone().unwrap_or(ClientState::Active)
    }

    /// The full-replace body that keeps everything as it is (PUT is a full replace).
    pub fn to_request(&self) -> OAuthClientRequest {
        OAuthClientRequest {
            name: self.name.clone(),
            authorized_grant_type: self.authorized_grant_type.clone(),
            access_token_validity_seconds: self.access_token_validity_seconds,
            description: self.description.clone(),
            registered_redirect_uri: self.registered_redirect_uri.clone(),
            role_ids: Vec::new(),
            scope: self.scope.clone(),
            role_divisions: self.role_divisions.clone(),
            state: self.state.clone(),
            date_to_delete: None,
        }
    }
}

/// `OAuthClientRequest`: the POST/PUT body. Required: `name`, `authorizedGrantType`.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClientRequest {
    pub name: String,
    pub authorized_grant_type: GrantType,
    pub access_token_validity_seconds: Option<i64>,
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub registered_redirect_uri: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub role_ids: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub role_divisions: Vec<RoleDivision>,
    pub state: Option<ClientState>,
    pub date_to_delete: Option<DateTime<Utc>>,
}

/// A page of a Genesys entity listing. `nextUri` is followed when present.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
pub struct EntityListing<T> {
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub entities: Vec<T>,
    pub page_size: Option<u64>,
    pub page_number: Option<u64>,
    pub total: Option<u64>,
    pub page_count: Option<u64>,
    pub next_uri: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthScope {
    pub id: String,
    pub description: Option<String>,
}

/// `DomainPermissionPolicy`, the structured form of a role's permissions.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionPolicy {
    pub domain: Option<String>,
    pub entity_name: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub action_set: Vec<String>,
}

/// `DomainOrganizationRole`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub permissions: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub permission_policies: Vec<PermissionPolicy>,
    pub user_count: Option<u64>,
    pub default: Option<bool>,
    pub base: Option<bool>,
}

impl Role {
    /// Every permission the role grants as `domain:entity:action` strings, from both the
    /// flat list and the structured policies (either may be the one Genesys fills in).
    pub fn all_permissions(&self) -> Vec<String> {
        let mut all = self.permissions.clone();
        for p in &self.permission_policies {
            let domain = p.domain.as_deref().unwrap_or("*");
            let entity = p.entity_name.as_deref().unwrap_or("*");
            for action in &p.action_set {
                all.push(format!("{domain}:{entity}:{action}"));
            }
        }
        all.sort();
        all.dedup();
        all
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainRole {
    pub id: String,
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAuthorization {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub roles: Vec<DomainRole>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub permissions: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastTokenIssued {
    pub date_issued: Option<DateTime<Utc>>,
}

/// `User`, with the fields the expands `authorization`, `lasttokenissued`, `dateLastLogin` add.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub state: Option<String>,
    pub authorization: Option<UserAuthorization>,
    pub last_token_issued: Option<LastTokenIssued>,
    pub date_last_login: Option<DateTime<Utc>>,
}

/// Values for `GET /api/v2/users/{id}?expand=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserExpand {
    Authorization,
    LastTokenIssued,
    DateLastLogin,
}

impl UserExpand {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authorization => "authorization",
            Self::LastTokenIssued => "lasttokenissued",
            Self::DateLastLogin => "dateLastLogin",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ScimRole {
    pub value: Option<String>,
}

/// `ScimV2User`: only what identity checks use.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimUser {
    pub id: String,
    pub active: Option<bool>,
    pub user_name: Option<String>,
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub roles: Vec<ScimRole>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct NamedEntity {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// `OrgOAuthClient` as embedded in `TokenInfo`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenClient {
    pub id: Option<String>,
    pub name: Option<String>,
    pub authorized_grant_type: Option<GrantType>,
    pub state: Option<ClientState>,
    pub organization: Option<NamedEntity>,
}

/// `TokenInfo`. Note the capital `O` of `OAuthClient`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    pub organization: Option<NamedEntity>,
    pub home_organization: Option<NamedEntity>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub authorized_scope: Vec<String>,
    pub date_token_idles: Option<DateTime<Utc>>,
    #[serde(rename = "OAuthClient")]
    pub oauth_client: Option<TokenClient>,
}

/// `ErrorBody`, the shape of every non-2xx Platform API response. All fields optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub message: Option<String>,
    pub code: Option<String>,
    pub status: Option<u16>,
    pub context_id: Option<String>,
    pub entity_id: Option<String>,
    #[serde(default)]
    pub message_params: Option<HashMap<String, serde_json::Value>>,
}

/// The login host's error shape, different from `ErrorBody`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LoginErrorBody {
    pub error: Option<String>,
    pub description: Option<String>,
    pub error_description: Option<String>,
}

/// `{access_token, token_type, expires_in}`; client credentials never get a refresh token.
#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: SecretString,
    pub token_type: Option<String>,
    pub expires_in: u64,
}

open_enum!(
    /// State of an audit query execution (`AuditQueryExecutionStatusResponse.state`).
    AuditQueryState {
        Queued => "Queued",
        Running => "Running",
        Succeeded => "Succeeded",
        Failed => "Failed",
        Cancelled => "Cancelled",
    }
);

// ---- integration credentials ------------------------------------------------------------

/// The credential type carried by a credential (`{"name": "pureCloudOAuthClient"}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialTypeRef {
    pub name: Option<String>,
}

/// `CredentialInfo`: a list entry (no fields).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialInfo {
    pub id: String,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub credential_type: Option<CredentialTypeRef>,
}

/// `Credential` as read back: sensitive fields are redacted by Genesys, so only the
/// non-sensitive ones (such as `clientId`) may be present \[INF].
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    pub id: String,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub credential_type: Option<CredentialTypeRef>,
    #[serde(default)]
    pub credential_fields: Option<HashMap<String, String>>,
}

/// The integration credential type that embeds an OAuth client's id and secret.
pub const OAUTH_CLIENT_CREDENTIAL_TYPE: &str = "pureCloudOAuthClient";

// ---- usage -------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Granularity {
    Day,
    Week,
    Month,
}

/// Body of `POST /api/v2/oauth/clients/{id}/usage/query` and `POST /api/v2/usage/query`
/// (`ApiUsageClientQuery` / `ApiUsageOrganizationQuery`). Group keys here spell `OAuthClientId`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageQuery {
    pub interval: String,
    pub granularity: Granularity,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_by: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageExecutionResult {
    pub execution_id: String,
    pub results_uri: Option<String>,
}

/// `ApiUsageRow` (older endpoints): `requests` and a date-time `date`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiUsageRow {
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub user_id: Option<String>,
    pub template_uri: Option<String>,
    pub http_method: Option<String>,
    pub date: Option<DateTime<Utc>>,
    pub requests: Option<u64>,
    pub status200: Option<u64>,
    pub status300: Option<u64>,
    pub status400: Option<u64>,
    pub status429: Option<u64>,
    pub status500: Option<u64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiUsageQueryResult {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub results: Vec<ApiUsageRow>,
    pub query_status: Option<UsageQueryStatus>,
}

/// Body of `POST /api/v2/usage/aggregates/query/jobs`. Group keys here spell `OauthClientId`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageJobRequest {
    pub interval: String,
    pub granularity: Granularity,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_by: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub oauth_client_ids: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct UsageJob {
    pub id: String,
}

/// `OrganizationPublicApiUsage`: `requestCount` and a date-only `date`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageJobRow {
    pub date: Option<NaiveDate>,
    pub oauth_client: Option<DomainEntityRef>,
    pub request_count: Option<u64>,
    pub status200: Option<u64>,
    pub status300: Option<u64>,
    pub status400: Option<u64>,
    pub status429: Option<u64>,
    pub status500: Option<u64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageJobResults {
    pub query_status: UsageJobStatus,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub entities: Vec<UsageJobRow>,
    pub next_uri: Option<String>,
    pub error_body: Option<ErrorBody>,
}

/// One client's usage on one UTC day, whichever endpoint reported it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageDay {
    pub client_id: String,
    pub date: NaiveDate,
    pub requests: u64,
    pub status400: u64,
    pub status429: u64,
    pub status500: u64,
}

impl UsageJobRow {
    pub fn into_day(self) -> Option<UsageDay> {
        Some(UsageDay {
            client_id: self.oauth_client?.id?,
            date: self.date?,
            requests: self.request_count.unwrap_or(0),
            status400: self.status400.unwrap_or(0),
            status429: self.status429.unwrap_or(0),
            status500: self.status500.unwrap_or(0),
        })
    }
}

impl ApiUsageRow {
    pub fn into_day(self, default_client: Option<&str>) -> Option<UsageDay> {
        Some(UsageDay {
            client_id: self
                .client_id
                .or_else(|| default_client.map(str::to_owned))?,
            date: self.date?.date_naive(),
            requests: self.requests.unwrap_or(0),
            status400: self.status400.unwrap_or(0),
            status429: self.status429.unwrap_or(0),
            status500: self.status500.unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::ExposeSecret;

    #[test]
    fn grant_type_accepts_both_spellings_and_keeps_unknown() {
        for raw in [
            "CLIENT-CREDENTIALS",
            "CLIENT_CREDENTIALS",
            "client-credentials",
        ] {
            assert_eq!(GrantType::parse(raw), GrantType::ClientCredentials, "{raw}");
        }
        assert_eq!(GrantType::parse("SAML2BEARER"), GrantType::Saml2Bearer);
        let pkce = GrantType::parse("PKCE-CODE");
        assert_eq!(pkce, GrantType::Unknown("PKCE-CODE".into()));
        assert_eq!(serde_json::to_string(&pkce).unwrap(), "\"PKCE-CODE\"");
        assert_eq!(
            serde_json::to_string(&GrantType::ClientCredentials).unwrap(),
            "\"CLIENT-CREDENTIALS\""
        );
    }

    #[test]
    fn client_parses_real_shape_and_tolerates_unknown_fields() {
        let json = r#"{ "id": "c1", "name": "svc", "accessTokenValiditySeconds": 86400,
          "secret": "NEW-SECRET", "dateCreated": "2024-01-02T03:04:05.000Z", "dateModified": "2024-01-02T03:04:05Z",
          "createdBy": {"id": "u1", "selfUri": "/api/v2/users/u1"}, "modifiedBy": {"id": "u2"},
          "authorizedGrantType": "CLIENT-CREDENTIALS",
          "roleDivisions": [{"roleId": "r1", "divisionId": "*"}], "state": "someFutureState",
          "brandNewField": {"x": 1}, "scope": null, "selfUri": "/api/v2/oauth/clients/c1" }"#;
        let c: OAuthClient = serde_json::from_str(json).unwrap();
        assert_eq!(c.secret.as_ref().unwrap().expose_secret(), "NEW-SECRET");
        assert!(c.role_divisions[0].is_all_divisions());
        assert_eq!(c.state(), ClientState::Unknown("someFutureState".into()));
        assert!(c.scope.is_empty());
        assert!(!format!("{c:?}").contains("NEW-SECRET"));
    }

    #[test]
    fn request_body_omits_absent_fields() {
        let c: OAuthClient = serde_json::from_str(
            r#"{"id":"c","name":"n","authorizedGrantType":"CLIENT_CREDENTIALS","state":"active",
                "roleDivisions":[{"roleId":"r","divisionId":"d"}]}"#,
        )
        .unwrap();
        let mut req = c.to_request();
        req.state = Some(ClientState::Disabled);
        let v = serde_json::to_value(&req).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"name":"n","authorizedGrantType":"CLIENT-CREDENTIALS",
                "roleDivisions":[{"roleId":"r","divisionId":"d"}],"state":"disabled"})
        );
    }

    #[test]
    fn token_info_uses_capital_o() {
        let t: TokenInfo = serde_json::from_str(
            r#"{"organization":{"id":"o"},"OAuthClient":{"id":"c1","authorizedGrantType":"CLIENT-CREDENTIALS"}}"#,
        )
        .unwrap();
        assert_eq!(t.oauth_client.unwrap().id.as_deref(), Some("c1"));
    }

    #[test]
    fn role_permissions_merge_flat_and_policies() {
        let r: Role = serde_json::from_str(
            r#"{"id":"r","permissions":["oauth:client:view"],
                "permissionPolicies":[{"domain":"oauth","entityName":"client","actionSet":["edit","view"]}]}"#,
        )
        .unwrap();
        assert_eq!(
            r.all_permissions(),
            vec!["oauth:client:edit", "oauth:client:view"]
        );
    }

    #[test]
    fn usage_rows_normalise_to_days() {
        let job: UsageJobResults = serde_json::from_str(
            r#"{"queryStatus":"Succeeded","entities":[{"date":"2026-05-14","oauthClient":{"id":"c"},"requestCount":1520}]}"#,
        )
        .unwrap();
        let day = job.entities.into_iter().next().unwrap().into_day().unwrap();
        assert_eq!(day.requests, 1520);
        assert_eq!(day.date.to_string(), "2026-05-14");
        let old: ApiUsageQueryResult = serde_json::from_str(
            r#"{"queryStatus":"Complete","results":[{"clientId":"c","date":"2026-05-14T00:00:00Z","requests":3}]}"#,
        )
        .unwrap();
        assert_eq!(old.query_status, Some(UsageQueryStatus::Complete));
        assert_eq!(old.results[0].clone().into_day(None).unwrap().requests, 3);
    }
}

// ---- audits ------------------------------------------------------------------------------

/// `AuditQueryFilter`: `property` is one of `UserId`, `TrusteeOrganizationId`, `ClientId`,
/// `Action`, `EntityType`, `EntityId`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditQueryFilter {
    pub property: String,
    pub value: String,
}

/// `AuditQuerySort`: `name` `Timestamp`, `sortOrder` `ascending` or `descending`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditQuerySort {
    pub name: String,
    pub sort_order: String,
}

/// `AuditQueryRequest` (`POST /api/v2/audits/query`); only `interval` is required.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditQueryRequest {
    /// `start/end`, ISO-8601.
    pub interval: String,
    pub service_name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<AuditQueryFilter>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sort: Vec<AuditQuerySort>,
}

/// `AuditQueryExecutionStatusResponse` (the submit's answer and each status poll).
#[derive(Clone, Debug, Deserialize)]
pub struct AuditQueryExecution {
    pub id: String,
    pub state: Option<AuditQueryState>,
}

/// `AuditQueryExecutionResultsResponse`: one page; `cursor` names the next one.
#[derive(Clone, Debug, Deserialize)]
pub struct AuditQueryResults {
    pub cursor: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub entities: Vec<AuditLogMessage>,
}

/// `PropertyChange` of an audit message. Its values are never printed: which properties Genesys
/// lists, and how, is not documented, so they are treated as possibly sensitive.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyChange {
    pub property: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub old_values: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub new_values: Vec<String>,
}

impl fmt::Debug for PropertyChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PropertyChange")
            .field("property", &self.property)
            .field("old_values", &self.old_values.len())
            .field("new_values", &self.new_values.len())
            .finish()
    }
}

/// `AuditLogMessage`: one event of the audit service. `client` is the OAuth client that made
/// the call, `user` the person behind it (if any), `entity` what changed.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLogMessage {
    pub id: Option<String>,
    pub user: Option<DomainEntityRef>,
    pub client: Option<DomainEntityRef>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub remote_ip: Vec<String>,
    pub service_name: Option<String>,
    pub event_date: Option<DateTime<Utc>>,
    pub action: Option<String>,
    pub entity: Option<DomainEntityRef>,
    pub entity_type: Option<String>,
    pub status: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub property_changes: Vec<PropertyChange>,
}
