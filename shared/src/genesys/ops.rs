//! Every Platform API operation the product uses, with its call class, and the typed
//! operations implementing the domain's traits on [`GenesysClient`].

use super::client::{Auth, GenesysClient, Request};
use super::error::GenesysError;
use super::login::client_credentials_grant;
use super::models::{
    Credential, CredentialInfo, EntityListing, OAuthClient, OAuthClientRequest, OAuthScope,
    Receipt, Role, ScimUser, TokenInfo, User, UserExpand, OAUTH_CLIENT_CREDENTIAL_TYPE,
};
use super::policy::CallClass;
use super::ClientCredentials;
use crate::deadline::Deadline;
use crate::ports::genesys::{
    AuthorizationDirectory, ClientAdmin, ClientDirectory, CredentialProof, CredentialVerifier,
    IntegrationCredentials, TokenAdmin, TokenRevocation, UserDirectory, VerifyError,
};
use crate::redact::{ExposeSecret, SecretString};
use bytes::Bytes;
use std::fmt;

/// One Platform API operation: method, path template (as logged) and call class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    pub method: &'static str,
    pub template: &'static str,
    pub class: CallClass,
}

impl Op {
    const fn new(method: &'static str, template: &'static str, class: CallClass) -> Self {
        Self {
            method,
            template,
            class,
        }
    }

    pub fn http_method(&self) -> reqwest::Method {
        reqwest::Method::from_bytes(self.method.as_bytes()).unwrap_or(reqwest::Method::GET)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.template)
    }
}

use CallClass::{IdempotentWrite, NonIdempotent, Read};

pub const LIST_CLIENTS: Op = Op::new("GET", "/api/v2/oauth/clients", Read);
pub const GET_CLIENT: Op = Op::new("GET", "/api/v2/oauth/clients/{clientId}", Read);
pub const CREATE_CLIENT: Op = Op::new("POST", "/api/v2/oauth/clients", NonIdempotent);
pub const UPDATE_CLIENT: Op = Op::new("PUT", "/api/v2/oauth/clients/{clientId}", IdempotentWrite);
pub const REGENERATE_SECRET: Op = Op::new(
    "POST",
    "/api/v2/oauth/clients/{clientId}/secret",
    NonIdempotent,
);
pub const LIST_SCOPES: Op = Op::new("GET", "/api/v2/oauth/scopes", Read);
pub const LIST_ROLES: Op = Op::new("GET", "/api/v2/authorization/roles", Read);
pub const GET_USER: Op = Op::new("GET", "/api/v2/users/{userId}", Read);
pub const GET_SCIM_USER: Op = Op::new("GET", "/api/v2/scim/v2/users/{userId}", Read);
pub const TOKEN_INFO: Op = Op::new("GET", "/api/v2/tokens/me", Read);
pub const REVOKE_TOKEN: Op = Op::new("DELETE", "/api/v2/tokens/me", IdempotentWrite);
pub const REVOKE_USER_TOKENS: Op = Op::new("DELETE", "/api/v2/tokens/{userId}", IdempotentWrite);
pub const USAGE_JOB_SUBMIT: Op = Op::new(
    "POST",
    "/api/v2/usage/aggregates/query/jobs",
    IdempotentWrite,
);
pub const USAGE_JOB_RESULTS: Op =
    Op::new("GET", "/api/v2/usage/aggregates/query/jobs/{jobId}", Read);
pub const ORG_USAGE_QUERY: Op = Op::new("POST", "/api/v2/usage/query", IdempotentWrite);
pub const ORG_USAGE_RESULTS: Op = Op::new("GET", "/api/v2/usage/query/{executionId}/results", Read);

// Submitting an audit query twice only costs a second query: safe to retry.
pub const AUDIT_QUERY_SUBMIT: Op = Op::new("POST", "/api/v2/audits/query", IdempotentWrite);
pub const AUDIT_QUERY_STATUS: Op = Op::new("GET", "/api/v2/audits/query/{transactionId}", Read);
pub const AUDIT_QUERY_RESULTS: Op =
    Op::new("GET", "/api/v2/audits/query/{transactionId}/results", Read);

pub const LIST_CREDENTIALS: Op = Op::new("GET", "/api/v2/integrations/credentials", Read);
pub const GET_CREDENTIAL: Op = Op::new(
    "GET",
    "/api/v2/integrations/credentials/{credentialId}",
    Read,
);
pub const UPDATE_CREDENTIAL: Op = Op::new(
    "PUT",
    "/api/v2/integrations/credentials/{credentialId}",
    IdempotentWrite,
);

/// Roles per request when resolving ids in bulk (`GET /api/v2/authorization/roles?id=..&id=..`).
pub const ROLE_BATCH: usize = 100;

/// A path parameter must be one plain segment: no `/`, no `..`, nothing needing encoding.
pub(crate) fn segment(op: Op, value: &str) -> Result<&str, GenesysError> {
    let ok = !value.is_empty()
        && value != "."
        && value != ".."
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':' | b'@')
        });
    if ok {
        Ok(value)
    } else {
        Err(GenesysError::InvalidArgument {
            op,
            reason: "id is not a plain path segment".into(),
        })
    }
}

fn json_body<T: serde::Serialize>(op: Op, value: &T) -> Result<Bytes, GenesysError> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| GenesysError::InvalidArgument {
            op,
            reason: e.to_string(),
        })
}

impl GenesysClient {
    pub(crate) fn admin(
        &self,
        op: Op,
        path: &str,
        query: &[(&str, String)],
        body: Option<Bytes>,
    ) -> Request<'static> {
        Request {
            op,
            url: self.url(path, query),
            body,
            auth: Auth::Admin,
        }
    }

    /// GETs every page of a listing, following `nextUri`.
    pub(crate) async fn all_pages<T: serde::de::DeserializeOwned>(
        &self,
        first: Request<'_>,
        d: &Deadline,
    ) -> Result<Vec<T>, GenesysError> {
        let op = first.op;
        let mut out = Vec::new();
        let mut next = Some(first);
        let mut pages = 0;
        while let Some(req) = next.take() {
            let page: EntityListing<T> = self.send(req, d).await?.json(op)?;
            // An empty page ends a listing even if it names a next one.
            let empty = page.entities.is_empty();
            out.extend(page.entities);
            pages += 1;
            if let Some(uri) = page.next_uri.filter(|u| !u.is_empty() && !empty) {
                // A server that keeps sending nextUri must not keep us here forever.
                if pages >= 10_000 {
                    return Err(GenesysError::Decode {
                        op,
                        reason: "too many pages".into(),
                    });
                }
                next = Some(Request {
                    op,
                    url: self.next_url(op, &uri)?,
                    body: None,
                    auth: Auth::Admin,
                });
            }
        }
        Ok(out)
    }
}

impl ClientDirectory for GenesysClient {
    async fn list_clients(&self, d: &Deadline) -> Result<Vec<OAuthClient>, GenesysError> {
        // The operation takes no query parameters (API-FACTS §2.1).
        self.all_pages(
            self.admin(LIST_CLIENTS, "/api/v2/oauth/clients", &[], None),
            d,
        )
        .await
    }

    async fn get_client(&self, id: &str, d: &Deadline) -> Result<OAuthClient, GenesysError> {
        let path = format!("/api/v2/oauth/clients/{}", segment(GET_CLIENT, id)?);
        self.send(self.admin(GET_CLIENT, &path, &[], None), d)
            .await?
            .json(GET_CLIENT)
    }
}

impl ClientAdmin for GenesysClient {
    async fn create_client(
        &self,
        req: &OAuthClientRequest,
        d: &Deadline,
    ) -> Result<OAuthClient, GenesysError> {
        let body = json_body(CREATE_CLIENT, req)?;
        let resp = self
            .send(
                self.admin(CREATE_CLIENT, "/api/v2/oauth/clients", &[], Some(body)),
                d,
            )
            .await?;
        // Created, but if we cannot read the id and secret the client is unusable to us.
        secret_bearing(CREATE_CLIENT, resp.json(CREATE_CLIENT), resp.correlation_id)
    }

    async fn update_client(
        &self,
        id: &str,
        req: &OAuthClientRequest,
        d: &Deadline,
    ) -> Result<OAuthClient, GenesysError> {
        let path = format!("/api/v2/oauth/clients/{}", segment(UPDATE_CLIENT, id)?);
        let body = json_body(UPDATE_CLIENT, req)?;
        let resp = self
            .send(self.admin(UPDATE_CLIENT, &path, &[], Some(body)), d)
            .await?;
        let mut client: OAuthClient = resp.json(UPDATE_CLIENT)?;
        client.correlation_id = resp.correlation_id;
        Ok(client)
    }

    async fn regenerate_secret(&self, id: &str, d: &Deadline) -> Result<OAuthClient, GenesysError> {
        let path = format!(
            "/api/v2/oauth/clients/{}/secret",
            segment(REGENERATE_SECRET, id)?
        );
        let resp = self
            .send(self.admin(REGENERATE_SECRET, &path, &[], None), d)
            .await?;
        secret_bearing(
            REGENERATE_SECRET,
            resp.json(REGENERATE_SECRET),
            resp.correlation_id,
        )
    }
}

/// A 2xx from create/regenerate whose body lacks the secret means the change happened but the
/// secret is lost to us: that is an unknown outcome, not a decode detail.
fn secret_bearing(
    op: Op,
    parsed: Result<OAuthClient, GenesysError>,
    correlation_id: Option<String>,
) -> Result<OAuthClient, GenesysError> {
    match parsed {
        Ok(mut c) if c.secret.is_some() && !c.id.is_empty() => {
            c.correlation_id = correlation_id;
            Ok(c)
        }
        Ok(_) => Err(GenesysError::OutcomeUnknown {
            op,
            reason: "applied, but the response carried no secret".into(),
        }),
        Err(e) => Err(GenesysError::OutcomeUnknown {
            op,
            reason: format!("applied, but the response was unreadable: {e}"),
        }),
    }
}

impl AuthorizationDirectory for GenesysClient {
    async fn roles_by_id(&self, ids: &[String], d: &Deadline) -> Result<Vec<Role>, GenesysError> {
        let mut wanted: Vec<&str> = ids.iter().map(String::as_str).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut roles = Vec::with_capacity(wanted.len());
        for batch in wanted.chunks(ROLE_BATCH) {
            let mut query: Vec<(&str, String)> = vec![
                ("pageSize", ROLE_BATCH.to_string()),
                ("userCount", "false".into()),
            ];
            for id in batch {
                query.push(("id", segment(LIST_ROLES, id)?.to_owned()));
            }
            let first = self.admin(LIST_ROLES, "/api/v2/authorization/roles", &query, None);
            roles.extend(self.all_pages::<Role>(first, d).await?);
        }
        Ok(roles)
    }

    async fn list_scopes(&self, d: &Deadline) -> Result<Vec<OAuthScope>, GenesysError> {
        // `OAuthScopeListing` is a plain list, not paginated.
        self.all_pages(
            self.admin(LIST_SCOPES, "/api/v2/oauth/scopes", &[], None),
            d,
        )
        .await
    }
}

impl UserDirectory for GenesysClient {
    async fn get_user(
        &self,
        id: &str,
        expand: &[UserExpand],
        d: &Deadline,
    ) -> Result<User, GenesysError> {
        let path = format!("/api/v2/users/{}", segment(GET_USER, id)?);
        let query: Vec<(&str, String)> = expand
            .iter()
            .map(|e| ("expand", e.as_str().to_owned()))
            .collect();
        self.send(self.admin(GET_USER, &path, &query, None), d)
            .await?
            .json(GET_USER)
    }

    async fn get_scim_user(&self, id: &str, d: &Deadline) -> Result<ScimUser, GenesysError> {
        let path = format!("/api/v2/scim/v2/users/{}", segment(GET_SCIM_USER, id)?);
        self.send(self.admin(GET_SCIM_USER, &path, &[], None), d)
            .await?
            .json(GET_SCIM_USER)
    }
}

impl GenesysClient {
    fn with_token<'a>(&self, op: Op, token: &'a SecretString, path: &str) -> Request<'a> {
        Request {
            op,
            url: self.url(path, &[]),
            body: None,
            auth: Auth::Bearer(token),
        }
    }
}

impl TokenAdmin for GenesysClient {
    async fn token_info(
        &self,
        token: &SecretString,
        d: &Deadline,
    ) -> Result<TokenInfo, GenesysError> {
        // Looking must not extend the token's life: the idle timer is preserved.
        let mut req = self.with_token(TOKEN_INFO, token, "/api/v2/tokens/me");
        req.url.set_query(Some("preserveIdleTTL=true"));
        self.send(req, d).await?.json(TOKEN_INFO)
    }

    async fn revoke_token(
        &self,
        token: &SecretString,
        d: &Deadline,
    ) -> Result<(TokenRevocation, Receipt), GenesysError> {
        match self
            .send(self.with_token(REVOKE_TOKEN, token, "/api/v2/tokens/me"), d)
            .await
        {
            Ok(resp) => Ok((
                TokenRevocation::Revoked,
                Receipt {
                    correlation_id: resp.correlation_id,
                },
            )),
            // Genesys refuses to authenticate it: it is already dead, which is what we want.
            Err(e) if e.status() == Some(401) => Ok((
                TokenRevocation::AlreadyInvalid,
                Receipt {
                    correlation_id: e.correlation_id().map(str::to_owned),
                },
            )),
            Err(e) => Err(e),
        }
    }

    async fn revoke_user_tokens(
        &self,
        user_id: &str,
        d: &Deadline,
    ) -> Result<Receipt, GenesysError> {
        let path = format!("/api/v2/tokens/{}", segment(REVOKE_USER_TOKENS, user_id)?);
        let resp = self
            .send(self.admin(REVOKE_USER_TOKENS, &path, &[], None), d)
            .await?;
        Ok(Receipt {
            correlation_id: resp.correlation_id,
        })
    }
}

impl CredentialVerifier for GenesysClient {
    async fn verify_credentials(
        &self,
        creds: &ClientCredentials,
        d: &Deadline,
    ) -> Result<CredentialProof, VerifyError> {
        let timeout = self.http_timeout().min(d.remaining());
        let grant =
            client_credentials_grant(self.http(), &self.endpoints().login, creds, timeout).await?;
        let info = self.token_info(&grant.access_token, d).await;
        // The proof token has done its job, whatever the lookup said; do not leave it alive.
        if let Err(e) = self.revoke_token(&grant.access_token, d).await {
            tracing::warn!(error = %e, "could not revoke the verification token");
        }
        let info = info?;
        Ok(CredentialProof {
            client_id: info.oauth_client.and_then(|c| c.id),
            expires_in_seconds: grant.expires_in.as_secs(),
        })
    }
}

impl IntegrationCredentials for GenesysClient {
    async fn list_credentials(&self, d: &Deadline) -> Result<Vec<CredentialInfo>, GenesysError> {
        self.all_pages(
            self.admin(
                LIST_CREDENTIALS,
                "/api/v2/integrations/credentials",
                &[("pageSize", "100".to_owned())],
                None,
            ),
            d,
        )
        .await
    }

    async fn get_credential(&self, id: &str, d: &Deadline) -> Result<Credential, GenesysError> {
        let path = format!(
            "/api/v2/integrations/credentials/{}",
            segment(GET_CREDENTIAL, id)?
        );
        self.send(self.admin(GET_CREDENTIAL, &path, &[], None), d)
            .await?
            .json(GET_CREDENTIAL)
    }

    async fn update_oauth_credential(
        &self,
        id: &str,
        name: &str,
        client_id: &str,
        client_secret: &SecretString,
        d: &Deadline,
    ) -> Result<Receipt, GenesysError> {
        let path = format!(
            "/api/v2/integrations/credentials/{}",
            segment(UPDATE_CREDENTIAL, id)?
        );
        // Full replace: the type and every field it requires (API-FACTS-style inference).
        let body = serde_json::json!({
            "name": name,
            "type": { "name": OAUTH_CLIENT_CREDENTIAL_TYPE },
            "credentialFields": { "clientId": client_id, "clientSecret": client_secret.expose_secret() },
        });
        let body = serde_json::to_vec(&body)
            .expect("JSON value serializes")
            .into();
        let resp = self
            .send(self.admin(UPDATE_CREDENTIAL, &path, &[], Some(body)), d)
            .await?;
        Ok(Receipt {
            correlation_id: resp.correlation_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_reject_traversal_and_separators() {
        for ok in [
            "2a1c0e1e-9f8b-4b7e-9c1a-3f5a2b6c7d8e",
            "users:readonly",
            "abc_DEF.1",
        ] {
            assert!(segment(GET_CLIENT, ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a?b", "a b", "%2e%2e", "a#b"] {
            assert!(segment(GET_CLIENT, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn op_display_is_method_and_template() {
        assert_eq!(
            REGENERATE_SECRET.to_string(),
            "POST /api/v2/oauth/clients/{clientId}/secret"
        );
        assert_eq!(REGENERATE_SECRET.class, CallClass::NonIdempotent);
        assert_eq!(REVOKE_TOKEN.http_method(), reqwest::Method::DELETE);
    }
}
