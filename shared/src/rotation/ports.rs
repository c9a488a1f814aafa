//! What a rotation works through: the Genesys operations it needs and the four ports as one
//! bundle, so that `Rotator`'s impl blocks (protocol, driver, sweep) state their bounds once.

use crate::ports::events::EventPublisher;
use crate::ports::genesys::{ClientAdmin, CredentialVerifier, IntegrationCredentials};
use crate::ports::records::RecordStore;
use crate::ports::secrets::SecretStore;

/// Everything rotation needs from Genesys.
pub trait RotationGenesys: ClientAdmin + CredentialVerifier + IntegrationCredentials {}
impl<T: ClientAdmin + CredentialVerifier + IntegrationCredentials> RotationGenesys for T {}

/// The four ports, bound once: `Rotator`'s impl blocks take `P: RotationPorts` rather than
/// repeating four bounds. Implemented for the tuple of the adapters' types; `Rotator::new`
/// infers it.
pub trait RotationPorts {
    type Genesys: RotationGenesys;
    type Secrets: SecretStore;
    type Records: RecordStore;
    type Events: EventPublisher;
}

impl<G, S, R, E> RotationPorts for (G, S, R, E)
where
    G: RotationGenesys,
    S: SecretStore,
    R: RecordStore,
    E: EventPublisher,
{
    type Genesys = G;
    type Secrets = S;
    type Records = R;
    type Events = E;
}
