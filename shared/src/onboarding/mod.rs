//! Onboarding and inspection from an engineer's terminal (the `credguard` CLI), on rotation's
//! own rules: adoption (`adopt`: checks, dependents, the document and its tags) and the status
//! view (`status`). The CLI only parses, wires and prints.

pub mod adopt;
pub mod checks;
pub mod dependents;
pub mod error;
pub mod status;

pub use adopt::{
    AdoptRequest, Adopted, AdoptionPlan, Deployment, Onboarding, OrgFields, PartnerChoice,
    SecretSource,
};
pub use error::{AdoptError, Refusal};
