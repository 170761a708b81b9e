//! `serve`: runs the emulator alone on an address until Ctrl-C.

use std::io::Write;
use std::net::{IpAddr, SocketAddr, TcpListener};

use super::{Emulator, EmulatorConfig, EmulatorError};

/// Binds `bind:port`, prints `listening on http://HOST:PORT` on stdout, serves until Ctrl-C.
pub async fn serve(bind: IpAddr, port: u16, config: EmulatorConfig) -> Result<(), EmulatorError> {
    let requested = SocketAddr::new(bind, port);
    let listener = TcpListener::bind(requested)
        .map_err(|source| EmulatorError::Bind { address: requested.to_string(), source })?;
    let emulator = Emulator::start_on(listener, config).await?;
    let address = emulator.address();
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on http://{address}")?;
    stdout.flush()?;
    tokio::signal::ctrl_c().await?;
    emulator.stop();
    Ok(())
}
