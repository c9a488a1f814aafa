//! AWS Security Hub adapter for [`FindingsHub`]: findings in the AWS Security Finding Format
//! (`BatchImportFindings`, 100 per call) under the account's default product, and workflow
//! resolution (`BatchUpdateFindings`).

use super::{failure, Failure};
use crate::ports::events::Severity;
use crate::ports::security_hub::{
    FindingsHub, HubError, HubFinding, HubRejection, HubResource, ResourceKind,
};
use crate::records::iso;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingIdentifier, FindingProviderFields,
    FindingProviderSeverity, NoteUpdate, Recommendation, RecordState, Remediation, Resource,
    ResourceDetails, SeverityLabel, WorkflowStatus, WorkflowUpdate,
};
use aws_sdk_securityhub::Client;
use futures::future::BoxFuture;

use crate::ports::security_hub::FINDINGS_PER_CALL as BATCH;
/// ASFF version of the findings.
const SCHEMA_VERSION: &str = "2018-10-08";

/// The default product of an account: where a customer's own findings go
/// (`arn:<partition>:securityhub:<region>:<account>:product/<account>/default`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductArn {
    pub arn: String,
    pub partition: String,
    pub region: String,
    pub account_id: String,
}

impl ProductArn {
    pub fn parse(arn: &str) -> Result<Self, String> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        match parts.as_slice() {
            ["arn", partition, "securityhub", region, account, resource]
                if !region.is_empty()
                    && account.len() == 12
                    && account.bytes().all(|b| b.is_ascii_digit())
                    && resource.starts_with("product/") =>
            {
                Ok(Self {
                    arn: arn.to_owned(),
                    partition: (*partition).to_owned(),
                    region: (*region).to_owned(),
                    account_id: (*account).to_owned(),
                })
            }
            _ => Err(format!(
                "{arn:?} is not a Security Hub product ARN (arn:aws:securityhub:<region>:<account>:product/<account>/default)"
            )),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SecurityHub {
    client: Client,
    product: ProductArn,
}

fn map(f: Failure) -> HubError {
    let text = format!("{}: {}", f.code, f.message);
    match f.code.as_str() {
        "InvalidInputException" | "InvalidAccessException" | "AccessDeniedException" => {
            HubError::Refused(text)
        }
        _ if f.is_throttling() => HubError::Throttled(text),
        _ => HubError::Unavailable(text),
    }
}

fn label(s: Severity) -> SeverityLabel {
    match s {
        Severity::Critical => SeverityLabel::Critical,
        Severity::High => SeverityLabel::High,
        Severity::Medium => SeverityLabel::Medium,
        Severity::Low => SeverityLabel::Low,
        Severity::Info => SeverityLabel::Informational,
    }
}

/// ASFF text limits: a longer field is refused, so it is cut (on a character boundary).
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    // Room for the ellipsis (3 bytes), on a character boundary.
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

impl SecurityHub {
    pub fn new(config: &aws_config::SdkConfig, product: ProductArn) -> Self {
        Self::from_client(Client::new(config), product)
    }

    pub fn from_client(client: Client, product: ProductArn) -> Self {
        Self { client, product }
    }

    fn resource(&self, r: &HubResource) -> Resource {
        let kind = match r.kind {
            ResourceKind::SecretsManagerSecret => "AwsSecretsManagerSecret",
            ResourceKind::Other => "Other",
        };
        let details = r
            .details
            .iter()
            .fold(ResourceDetails::builder(), |b, (k, v)| {
                b.other(cut(k, 128), cut(v, 1024))
            })
            .build();
        Resource::builder()
            .r#type(kind)
            .id(&r.id)
            .partition(self.product.partition.as_str().into())
            .region(&self.product.region)
            .details(details)
            .build()
    }

    fn asff(&self, f: &HubFinding) -> AwsSecurityFinding {
        let sev = label(f.severity);
        let product_fields = f
            .source
            .iter()
            .fold(AwsSecurityFinding::builder(), |b, (k, v)| {
                b.product_fields(cut(k, 128), cut(v, 2048))
            });
        let resources = f.resources.iter().map(|r| self.resource(r)).collect();
        product_fields
            .schema_version(SCHEMA_VERSION)
            .id(&f.id)
            .product_arn(&self.product.arn)
            .generator_id(&f.generator_id)
            .aws_account_id(&self.product.account_id)
            .set_types(Some(f.types.clone()))
            .created_at(iso(f.first_seen_at))
            .first_observed_at(iso(f.first_seen_at))
            .updated_at(iso(f.updated_at))
            .last_observed_at(iso(f.updated_at))
            .severity(
                aws_sdk_securityhub::types::Severity::builder()
                    .label(sev.clone())
                    .original(f.severity.as_str())
                    .build(),
            )
            .finding_provider_fields(
                FindingProviderFields::builder()
                    .severity(
                        FindingProviderSeverity::builder()
                            .label(sev)
                            .original(f.severity.as_str())
                            .build(),
                    )
                    .set_types(Some(f.types.clone()))
                    .build(),
            )
            .title(cut(&f.title, 256))
            .description(cut(&f.description, 1024))
            .remediation(
                Remediation::builder()
                    .recommendation(
                        Recommendation::builder()
                            .text(cut(&f.remediation, 512))
                            .build(),
                    )
                    .build(),
            )
            .set_resources(Some(resources))
            .record_state(if f.active {
                RecordState::Active
            } else {
                RecordState::Archived
            })
            .build()
    }

    async fn import_all(&self, findings: Vec<HubFinding>) -> Result<Vec<HubRejection>, HubError> {
        let mut rejected = Vec::new();
        for chunk in findings.chunks(BATCH) {
            let out = self
                .client
                .batch_import_findings()
                .set_findings(Some(chunk.iter().map(|f| self.asff(f)).collect()))
                .send()
                .await
                .map_err(|e| map(failure(&e)))?;
            rejected.extend(out.failed_findings().iter().map(|r| HubRejection {
                id: r.id().unwrap_or_default().to_owned(),
                code: r.error_code().unwrap_or_default().to_owned(),
                message: r.error_message().unwrap_or_default().to_owned(),
            }));
        }
        Ok(rejected)
    }

    async fn resolve_all(&self, ids: Vec<String>) -> Result<Vec<HubRejection>, HubError> {
        let mut rejected = Vec::new();
        for chunk in ids.chunks(BATCH) {
            let identifiers = chunk
                .iter()
                .map(|id| {
                    AwsSecurityFindingIdentifier::builder()
                        .id(id)
                        .product_arn(&self.product.arn)
                        .build()
                })
                .collect();
            let out = self
                .client
                .batch_update_findings()
                .set_finding_identifiers(Some(identifiers))
                .workflow(
                    WorkflowUpdate::builder()
                        .status(WorkflowStatus::Resolved)
                        .build(),
                )
                .note(
                    NoteUpdate::builder()
                        .text("Resolved by the credguard audit: the finding is no longer raised.")
                        .updated_by("credguard-audit")
                        .build(),
                )
                .send()
                .await
                .map_err(|e| map(failure(&e)))?;
            rejected.extend(out.unprocessed_findings().iter().map(|u| {
                HubRejection {
                    id: u
                        .finding_identifier()
                        .and_then(|i| i.id())
                        .unwrap_or_default()
                        .to_owned(),
                    code: u.error_code().unwrap_or_default().to_owned(),
                    message: u.error_message().unwrap_or_default().to_owned(),
                }
            }));
        }
        Ok(rejected)
    }
}

impl FindingsHub for SecurityHub {
    fn import(
        &self,
        findings: Vec<HubFinding>,
    ) -> BoxFuture<'_, Result<Vec<HubRejection>, HubError>> {
        Box::pin(self.import_all(findings))
    }

    fn resolve(&self, ids: Vec<String>) -> BoxFuture<'_, Result<Vec<HubRejection>, HubError>> {
        Box::pin(self.resolve_all(ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_arns_name_their_account_and_region() {
        let p = ProductArn::parse(
            "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default",
        )
        .unwrap();
        assert_eq!(
            (
                p.partition.as_str(),
                p.region.as_str(),
                p.account_id.as_str()
            ),
            ("aws", "eu-west-1", "123456789012")
        );
        for bad in [
            "",
            "arn:aws:securityhub:eu-west-1:123:product/123/default",
            "arn:aws:sns:eu-west-1:123456789012:topic",
            "arn:aws:securityhub:eu-west-1:123456789012:hub/default",
        ] {
            assert!(ProductArn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn long_texts_are_cut_within_the_limit() {
        let long = "é".repeat(600);
        let c = cut(&long, 512);
        assert!(c.len() <= 512 && c.ends_with('…'));
        assert_eq!(cut("short", 512), "short");
    }
}
