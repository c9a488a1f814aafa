//! A deployed stack, as the CLI reads it to find what it works with (the API's URL, the
//! rotation function, the records table) and how the deployment is configured.

use std::collections::BTreeMap;
use std::future::Future;

/// A CloudFormation stack's parameters and outputs, by key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackDescription {
    pub name: String,
    pub status: String,
    pub parameters: BTreeMap<String, String>,
    pub outputs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StackError {
    #[error("stack {0} does not exist (or this principal may not describe it)")]
    NotFound(String),
    #[error("access denied describing the stack: {0}")]
    AccessDenied(String),
    #[error("cloudformation unavailable: {0}")]
    Unavailable(String),
}

pub trait Stacks: Send + Sync {
    fn describe_stack(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<StackDescription, StackError>> + Send;
}
