//! CloudFormation adapter for [`Stacks`]: one `DescribeStacks` call.

use super::failure;
use crate::ports::stacks::{StackDescription, StackError, Stacks};
use aws_sdk_cloudformation::Client;

#[derive(Clone, Debug)]
pub struct CloudFormation {
    client: Client,
}

impl CloudFormation {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }
}

impl Stacks for CloudFormation {
    async fn describe_stack(&self, name: &str) -> Result<StackDescription, StackError> {
        let out = self
            .client
            .describe_stacks()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| {
                let f = failure(&e);
                let text = format!("{}: {}", f.code, f.message);
                // A missing stack is a ValidationError ("Stack with id X does not exist").
                if f.code == "ValidationError" && f.message.contains("does not exist") {
                    StackError::NotFound(name.to_owned())
                } else if f.is_access_denied() {
                    StackError::AccessDenied(text)
                } else {
                    StackError::Unavailable(text)
                }
            })?;
        let stack = out
            .stacks()
            .first()
            .ok_or_else(|| StackError::NotFound(name.to_owned()))?;
        Ok(StackDescription {
            name: stack.stack_name().unwrap_or(name).to_owned(),
            status: stack
                .stack_status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            parameters: stack
                .parameters()
                .iter()
                .filter_map(|p| {
                    Some((
                        p.parameter_key()?.to_owned(),
                        p.resolved_value()
                            .or(p.parameter_value())
                            .unwrap_or_default()
                            .to_owned(),
                    ))
                })
                .collect(),
            outputs: stack
                .outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
                .collect(),
        })
    }
}
