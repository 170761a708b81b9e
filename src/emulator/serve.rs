//! `serve`: runs the emulator alone on an address until Ctrl-C, after printing its address and
//! the world's IDs that a client needs (project, AZs, domain, VPCs, servers, volumes).

use std::fmt::Write as _;
use std::io::Write;
use std::net::{IpAddr, SocketAddr, TcpListener};

use super::auth::MIN_TOKEN_LEN;
use super::world::World;
use super::{Emulator, EmulatorConfig, EmulatorError};

/// How many VPCs, servers and volumes the summary shows (the world file has them all).
const SHOWN: usize = 3;

/// Binds `bind:port`, prints `listening on http://HOST:PORT` then [`summary`] on stdout, and
/// serves until Ctrl-C.
pub async fn serve(bind: IpAddr, port: u16, config: EmulatorConfig) -> Result<(), EmulatorError> {
    let requested = SocketAddr::new(bind, port);
    let listener = TcpListener::bind(requested)
        .map_err(|source| EmulatorError::Bind { address: requested.to_string(), source })?;
    let text = summary(&config);
    let emulator = Emulator::start_on(listener, config).await?;
    let address = emulator.address();
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on http://{address}")?;
    stdout.flush()?;
    // A reader may stop after the first line (tests parse only it): the emulator keeps serving.
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
    tokio::signal::ctrl_c().await?;
    emulator.stop();
    Ok(())
}

/// The `X-Auth-Token` values `serve` accepts, in words (the configured token is not shown).
pub(super) fn token_rule(config: &EmulatorConfig) -> String {
    match config.token {
        Some(_) => "only the value of --token".to_owned(),
        None => format!("any value of {MIN_TOKEN_LEN} or more characters without whitespace"),
    }
}

/// The `Authorization` headers `serve` accepts, in words (neither key is shown: both are secrets).
pub(super) fn signature_rule(config: &EmulatorConfig) -> String {
    match &config.key_pair {
        Some(_) => "SDK-HMAC-SHA256 signed with the key pair given by --ak and --sk (verified)".to_owned(),
        None => "any well-formed SDK-HMAC-SHA256 header with X-Sdk-Date (not verified)".to_owned(),
    }
}

/// The world's IDs a client must use, one aligned line each; usable objects (no injected job
/// failure) first, the rest counted.
pub(super) fn summary(config: &EmulatorConfig) -> String {
    let w: &World = &config.world;
    let mut out = String::new();
    let mut line = |label: &str, text: String| {
        let _ = writeln!(out, "  {label:<13} {text}");
    };
    line("X-Auth-Token", token_rule(config));
    line("Authorization", signature_rule(config));
    line("project_id", config.project_id.clone());
    line("jobs", super::timing::describe(&config.jobs));
    if !config.latency.is_zero() {
        line("latency", format!("every answer delayed {} ms", config.latency.as_millis()));
    }
    line("AZs", format!("source {}  target {}", w.availability_zones.source, w.availability_zones.target));
    line("domain", format!("{}  {}", w.domain.id, w.domain.name));
    let vpcs: Vec<_> = w.vpcs.iter().filter(|v| v.fail_jobs.is_empty()).collect();
    for vpc in vpcs.iter().take(SHOWN) {
        line("vpc", format!("{}  {}", vpc.id, vpc.name));
        for subnet in &vpc.subnets {
            line("  subnet", format!("{}  {}", subnet.id, subnet.cidr));
        }
    }
    more(&mut line, "VPCs", w.vpcs.len(), vpcs.len().min(SHOWN));
    let servers: Vec<_> = w.servers.iter().filter(|s| s.fail_jobs.is_empty()).collect();
    for s in servers.iter().take(SHOWN) {
        line("server", format!("{}  {:<12} {}  {}", s.id, s.name, s.availability_zone, s.status));
    }
    more(&mut line, "servers", w.servers.len(), servers.len().min(SHOWN));
    let volumes: Vec<_> = w.volumes.iter().filter(|v| v.fail_jobs.is_empty() && v.attached_server.is_none()).collect();
    for v in volumes.iter().take(SHOWN) {
        line("volume", format!("{}  {}  {} GB", v.id, v.availability_zone, v.size));
    }
    more(&mut line, "volumes", w.volumes.len(), volumes.len().min(SHOWN));
    out
}

fn more(line: &mut impl FnMut(&str, String), what: &str, total: usize, shown: usize) {
    if total > shown {
        line("", format!("(+{} more {what} in the world file)", total - shown));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::KeyPair;

    #[test]
    fn the_summary_names_the_worlds_ids_aligned_and_no_secret() {
        let config = EmulatorConfig {
            token: Some("a-configured-token-value".into()),
            key_pair: Some(KeyPair { access_key: "AKNOTSHOWN".into(), secret_key: "SKHIDDEN".into() }),
            ..EmulatorConfig::default()
        };
        let text = summary(&config);
        let w = &config.world;
        for id in [&config.project_id, &w.availability_zones.source, &w.availability_zones.target, &w.domain.id] {
            assert!(text.contains(id.as_str()), "{id} missing:\n{text}");
        }
        assert!(text.contains(&w.vpcs[0].id) && text.contains(&w.vpcs[0].subnets[0].id), "{text}");
        assert!(text.contains(&w.servers[0].id) && text.contains(&w.volumes[0].id), "{text}");
        assert!(!text.contains("SKHIDDEN") && !text.contains("a-configured-token-value"), "{text}");
        // The access key is a secret too (the guide): the rule says a key pair is verified.
        assert!(!text.contains("AKNOTSHOWN") && text.contains("(verified)"), "{text}");
        // Every value starts in the same column.
        let columns: std::collections::BTreeSet<usize> =
            text.lines().filter(|l| !l.trim_start().starts_with("(+")).map(|l| 16.min(l.len())).collect();
        assert_eq!(columns.len(), 1, "{text}");
        assert!(text.lines().all(|l| l.len() > 16 && l.as_bytes()[15] == b' ' && l.as_bytes()[16] != b' '), "{text}");
    }

    #[test]
    fn without_a_token_the_rule_names_the_shortest_accepted_token() {
        let rule = token_rule(&EmulatorConfig::default());
        assert!(rule.contains(&format!("{MIN_TOKEN_LEN} or more characters without whitespace")), "{rule}");
    }
}
