//! The official SDK's lifecycle script (`sdk_lifecycle.py`) and the world IDs it needs: shared
//! by the SDK interop test, which points it at `serve`, and the proxy test, which points it at
//! `proxy` in front of `serve`.

use sdrs_conformance::emulator::World;
use std::path::PathBuf;
use std::process::Command;

/// The script's exit status when the SDK cannot be imported.
pub const EXIT_SDK_MISSING: i32 = 77;

/// The script.
pub fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/sdk_lifecycle.py")
}

/// The interpreter: `SDRS_INTEROP_PYTHON`, else `python3`.
pub fn python() -> String {
    std::env::var("SDRS_INTEROP_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// The script run by `python` against `endpoint` with the key pair, on the prerequisites of
/// `world` (standard streams left to the caller).
pub fn lifecycle(python: &str, endpoint: &str, ak: &str, sk: &str, project_id: &str, world: &World) -> Command {
    let ids = pick_world_ids(world);
    let mut command = Command::new(python);
    command
        .arg(script())
        .args(["--endpoint", endpoint])
        .args(["--ak", ak])
        .args(["--sk", sk])
        .args(["--project-id", project_id])
        .args(["--server-id", &ids.server_id])
        .args(["--volume-id", &ids.volume_id])
        .args(["--domain-id", &world.domain.id])
        .args(["--source-az", &world.availability_zones.source])
        .args(["--target-az", &world.availability_zones.target])
        .args(["--vpc-id", &ids.vpc_id])
        .args(["--drill-vpc-id", &ids.drill_vpc_id])
        // The emulator advances a job one step per poll: no need to wait between polls.
        .args(["--poll-interval", "0", "--max-polls", "20"])
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    command
}

/// The prerequisites of the world that the script uses.
pub struct WorldIds {
    /// An ACTIVE server of the source AZ, in `vpc_id`.
    pub server_id: String,
    /// An available, unattached, unencrypted volume of the source AZ.
    pub volume_id: String,
    /// The server's VPC, a protection group's.
    pub vpc_id: String,
    /// Another VPC, for the DR drill.
    pub drill_vpc_id: String,
}

/// Picks, from the emulator's world, a server and a volume that a lifecycle can use: in the
/// production AZ, in a VPC without injected failures, with no injected failures themselves.
pub fn pick_world_ids(world: &World) -> WorldIds {
    let source = &world.availability_zones.source;
    let clean_vpc = |id: &str| world.vpcs.iter().any(|vpc| vpc.id == id && vpc.fail_jobs.is_empty());
    let server = world
        .servers
        .iter()
        .find(|s| {
            &s.availability_zone == source && s.status == "ACTIVE" && s.fail_jobs.is_empty() && clean_vpc(&s.vpc_id)
        })
        .expect("the default world has an ACTIVE server without injected failures in the source AZ");
    let volume = world
        .volumes
        .iter()
        .find(|v| {
            &v.availability_zone == source
                && v.status.as_deref().unwrap_or("available") == "available"
                && v.attached_server.is_none()
                && !v.encrypted
                && !v.multiattach
                && v.fail_jobs.is_empty()
        })
        .expect("the default world has an available, unattached, unencrypted volume in the source AZ");
    let drill_vpc = world
        .vpcs
        .iter()
        .find(|vpc| vpc.id != server.vpc_id && vpc.fail_jobs.is_empty())
        .expect("the default world has a second VPC for DR drills");
    WorldIds {
        server_id: server.id.clone(),
        volume_id: volume.id.clone(),
        vpc_id: server.vpc_id.clone(),
        drill_vpc_id: drill_vpc.id.clone(),
    }
}
