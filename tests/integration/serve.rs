//! What `serve` tells a client: the tokens it accepts (its help, and the rule itself at the
//! limit), and after the `listening on` line the world's IDs to use.

use std::time::Duration;

use sdrs_conformance::emulator::{World, MIN_TOKEN_LEN};

use crate::common::{run_cli, Api, Serve, PROJECT};

const QUICK: Duration = Duration::from_secs(60);

#[test]
fn serve_help_states_which_tokens_are_accepted_without_token() {
    let out = run_cli(&["serve", "--help"], &[], QUICK);
    out.expect_code(0);
    let help = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    let rule = format!("any token of {MIN_TOKEN_LEN} or more characters without whitespace");
    assert!(help.contains(&rule), "`serve --help` does not state `{rule}`:\n{}", out.stdout);
    assert!(!help.contains("any non-empty token"), "{}", out.stdout);
}

#[test]
fn without_token_a_token_one_character_short_of_the_limit_is_refused_and_one_at_it_accepted() {
    let serve = Serve::start(&[]);
    let quotas = format!("/v1/{PROJECT}/sdrs/quotas");
    let short = "t".repeat(MIN_TOKEN_LEN - 1);
    let (status, body) = Api::new(&serve.url, &short).call("GET", &quotas, None);
    assert_eq!(status, 401, "a {}-character token: {body}", short.len());
    let at_limit = "t".repeat(MIN_TOKEN_LEN);
    let (status, body) = Api::new(&serve.url, &at_limit).call("GET", &quotas, None);
    assert_eq!(status, 200, "a {}-character token: {body}", at_limit.len());
    let spaced = format!("{} {}", "t".repeat(MIN_TOKEN_LEN), "t");
    let (status, _) = Api::new(&serve.url, &spaced).call("GET", &quotas, None);
    assert_eq!(status, 401, "a token with a space");
}

#[test]
fn after_its_address_serve_prints_the_world_ids_a_client_needs_aligned() {
    let mut serve = Serve::start(&["--ak", "SERVEPRINTAK", "--sk", "serve-print-secret-key"]);
    serve.proc.wait_for_line(QUICK, "the last volume line", |l| l.contains("more volumes in the world file"));
    serve.proc.drain_now();
    let text = serve.proc.transcript();
    let world = World::default_world();
    let first = text.lines().find(|l| !l.starts_with("---")).unwrap_or_default();
    assert!(first.starts_with("listening on http://127.0.0.1:"), "the address line stays first:\n{text}");
    let server = &world.servers[0];
    let volume = &world.volumes[0];
    for (what, wanted) in [
        ("project", PROJECT),
        ("source AZ", world.availability_zones.source.as_str()),
        ("target AZ", world.availability_zones.target.as_str()),
        ("domain", world.domain.id.as_str()),
        ("VPC", world.vpcs[0].id.as_str()),
        ("subnet", world.vpcs[0].subnets[0].id.as_str()),
        ("server", server.id.as_str()),
        ("server name", server.name.as_str()),
        ("server status", server.status.as_str()),
        ("volume", volume.id.as_str()),
        ("volume size", &format!("{} GB", volume.size)),
        ("signature rule", "signed with the key pair given by --ak and --sk (verified)"),
    ] {
        assert!(text.contains(wanted), "no {what} ({wanted}) in the output of serve:\n{text}");
    }
    // Neither key is printed: the guide counts the access key among the secrets.
    assert!(!text.contains("serve-print-secret-key"), "the secret key is printed:\n{text}");
    assert!(!text.contains("SERVEPRINTAK"), "the access key is printed:\n{text}");
    // One label column, one value column.
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("  ")).collect();
    assert!(rows.len() >= 12, "{text}");
    for row in rows {
        assert!(row.len() > 16 && row.as_bytes()[15] == b' ' && row.as_bytes()[16] != b' ', "misaligned: {row:?}");
    }
    assert!(text.lines().count() < 40, "keep it short:\n{text}");
}
