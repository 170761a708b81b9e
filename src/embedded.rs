//! The reference emulator as the target of a run. The runner and the emulator do not know each
//! other: this module, beside the command line at the top of the crate, joins them.

use crate::emulator::{Emulator, EmulatorConfig, Fault, Variant};
use crate::runner::{Launch, Launched, RunConfig, RunError};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Starts the reference emulator for an embedded run.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmulatorLauncher;

impl Launch for EmulatorLauncher {
    fn launch<'a>(
        &'a self,
        token: &'a str,
        faults: &'a [String],
        variants: &'a [String],
    ) -> Pin<Box<dyn Future<Output = Result<Launched, RunError>> + Send + 'a>> {
        Box::pin(async move {
            let defaults = EmulatorConfig::try_default().map_err(|e| RunError::Emulator(Box::new(e)))?;
            let mut config = EmulatorConfig { token: Some(token.to_owned()), ..defaults };
            for name in faults {
                config.faults.push(Fault::parse(name).map_err(|e| RunError::Launch(Box::new(e)))?);
            }
            for name in variants {
                config.variants.push(Variant::parse(name).map_err(|e| RunError::Launch(Box::new(e)))?);
            }
            let project_id = config.project_id.clone();
            let emulator = Emulator::start(config).await.map_err(|e| RunError::Emulator(Box::new(e)))?;
            Ok(Launched { uri: emulator.uri(), project_id, keep: Box::new(emulator) })
        })
    }
}

/// The defaults of a run against the embedded emulator ([`RunConfig::embedded`] with its launcher).
pub fn config() -> RunConfig {
    RunConfig { launcher: Some(Arc::new(EmulatorLauncher)), ..RunConfig::embedded() }
}
