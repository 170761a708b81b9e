//! The emulator's world: resources of other services (servers, volumes, VPCs, subnets, flavors,
//! the active-active domain, quotas) that SDRS refers to, loaded from YAML.
//!
//! Unknown keys are refused with an error naming the key, the file and the line. Any object
//! may list job types in `fail_jobs`: jobs involving it then fail (see `jobs.rs`).

use std::path::Path;

use serde::Deserialize;

use super::EmulatorError;

/// The embedded default world (`profiles/emulator-world.yaml`).
pub const DEFAULT_WORLD_YAML: &str = include_str!("../../profiles/emulator-world.yaml");

/// The prerequisites of other services that the emulator knows about.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    /// The project (tenant) the world belongs to.
    pub project_id: String,
    /// The production (source) and DR (target) availability zones.
    pub availability_zones: AvailabilityZones,
    /// The active-active domain.
    pub domain: Domain,
    /// Known flavor IDs.
    #[serde(default)]
    pub flavors: Vec<String>,
    /// VPCs with their subnets.
    #[serde(default)]
    pub vpcs: Vec<Vpc>,
    /// Security groups.
    #[serde(default)]
    pub security_groups: Vec<SecurityGroup>,
    /// ECS servers.
    #[serde(default)]
    pub servers: Vec<Server>,
    /// EVS volumes.
    #[serde(default)]
    pub volumes: Vec<Volume>,
    /// Tenant quotas.
    pub quotas: Quotas,
    /// The RPO-exceeded trend records of the tenant's dashboard, newest first.
    #[serde(default)]
    pub rpo_statistics: Vec<RpoRecord>,
}

/// One RPO-exceeded trend record, as `GET /v1/{project_id}/resource/rpo-statistics` lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RpoRecord {
    /// Record ID.
    pub id: String,
    /// The point in time, `yyyy-MM-dd HH:mm`.
    pub point_time: String,
    /// How many resources exceeded their RPO then.
    pub resource_num: u64,
    /// The resource type (`replication`).
    pub resource_type: String,
    /// Creation time, `yyyy-MM-dd HH:mm:ss.SSS`.
    pub created_at: String,
    /// Update time, `yyyy-MM-dd HH:mm:ss.SSS`.
    pub updated_at: String,
}

/// A time as the RPO-statistics API writes it: `yyyy-MM-dd HH:mm`, with optional seconds and
/// fraction, a space or `T` between date and time.
pub(super) fn parse_rpo_time(text: &str) -> Option<chrono::NaiveDateTime> {
    let text = text.trim();
    let normal = match text.as_bytes().get(10) {
        Some(b'T') => format!("{} {}", &text[..10], &text[11..]),
        _ => text.to_owned(),
    };
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(&normal, format).ok())
}

/// The two availability zones of the domain.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityZones {
    /// Production-site AZ.
    pub source: String,
    /// DR-site AZ.
    pub target: String,
}

/// The active-active domain answered by `GET /v1/{project_id}/active-domains`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    /// Domain ID.
    pub id: String,
    /// Domain name.
    pub name: String,
    /// Domain description.
    #[serde(default)]
    pub description: String,
    /// Whether the domain's resources are sold out.
    #[serde(default)]
    pub sold_out: bool,
}

/// A VPC.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vpc {
    /// VPC ID.
    pub id: String,
    /// VPC name.
    #[serde(default)]
    pub name: String,
    /// Subnets of the VPC.
    #[serde(default)]
    pub subnets: Vec<Subnet>,
    /// Job types that fail when they involve this VPC.
    #[serde(default)]
    pub fail_jobs: Vec<String>,
}

/// A subnet of a VPC.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subnet {
    /// Subnet (network) ID.
    pub id: String,
    /// Subnet name.
    #[serde(default)]
    pub name: String,
    /// CIDR, e.g. `192.168.0.0/24`.
    #[serde(default)]
    pub cidr: String,
}

/// A security group.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroup {
    /// Security group ID.
    pub id: String,
    /// Security group name.
    #[serde(default)]
    pub name: String,
}

/// An ECS server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// Server ID.
    pub id: String,
    /// Server name.
    #[serde(default)]
    pub name: String,
    /// Availability zone.
    pub availability_zone: String,
    /// VPC the server is in.
    pub vpc_id: String,
    /// Flavor ID.
    pub flavor: String,
    /// ECS status (ACTIVE, SHUTOFF, ERROR...).
    pub status: String,
    /// NICs of the server.
    #[serde(default)]
    pub nics: Vec<ServerNic>,
    /// ID of the system volume.
    #[serde(default)]
    pub system_volume: Option<String>,
    /// Job types that fail when they involve this server.
    #[serde(default)]
    pub fail_jobs: Vec<String>,
}

/// A NIC (port) of a server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerNic {
    /// Port ID (the NIC ID used by the NIC APIs).
    pub port_id: String,
    /// Subnet ID.
    pub subnet_id: String,
    /// IPv4 address.
    pub ip_address: String,
    /// Whether this is the primary NIC.
    #[serde(default)]
    pub primary: bool,
}

/// An EVS volume.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// Volume ID.
    pub id: String,
    /// Volume name.
    #[serde(default)]
    pub name: String,
    /// Availability zone.
    pub availability_zone: String,
    /// Size in GB.
    pub size: u64,
    /// Disk type (SSD, GPSSD, SAS).
    pub volume_type: String,
    /// EVS status (available, in-use); defaults from `attached_server`.
    #[serde(default)]
    pub status: Option<String>,
    /// Whether the volume is encrypted.
    #[serde(default)]
    pub encrypted: bool,
    /// Whether the volume is bootable.
    #[serde(default)]
    pub bootable: bool,
    /// Whether the volume is shared.
    #[serde(default)]
    pub multiattach: bool,
    /// The server the volume is attached to.
    #[serde(default)]
    pub attached_server: Option<String>,
    /// The other servers a shared (`multiattach`) volume is attached to.
    #[serde(default)]
    pub shared_with: Vec<String>,
    /// Job types that fail when they involve this volume.
    #[serde(default)]
    pub fail_jobs: Vec<String>,
}

/// Tenant quotas.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quotas {
    /// Maximum number of protection groups.
    pub server_groups: u64,
    /// Maximum number of replication pairs.
    pub replications: u64,
}

impl Volume {
    /// The effective EVS status (`available` or `in-use`).
    pub fn effective_status(&self) -> &str {
        match (&self.status, &self.attached_server) {
            (Some(s), _) => s,
            (None, Some(_)) => "in-use",
            (None, None) => "available",
        }
    }
}

impl World {
    /// The embedded default world; an error names the file and line if an edit broke it.
    pub fn embedded() -> Result<World, EmulatorError> {
        World::from_yaml(DEFAULT_WORLD_YAML, "profiles/emulator-world.yaml")
    }

    /// The embedded default world, for tests and examples; panics where [`World::embedded`]
    /// returns the error.
    pub fn default_world() -> World {
        World::embedded().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Parses a world from YAML; `origin` names the source in errors (a file name).
    pub fn from_yaml(text: &str, origin: &str) -> Result<World, EmulatorError> {
        let world: World = serde_yaml_ng::from_str(text).map_err(|e| {
            let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
            EmulatorError::World { origin: origin.to_string(), line, column, message: e.to_string() }
        })?;
        // Time filters compare point times: one that does not parse could never be filtered.
        for (i, record) in world.rpo_statistics.iter().enumerate() {
            if parse_rpo_time(&record.point_time).is_none() {
                let line = text.lines().position(|l| l.contains(&record.point_time)).map_or(0, |n| n + 1);
                return Err(EmulatorError::World {
                    origin: origin.to_string(),
                    line,
                    column: 0,
                    message: format!(
                        "rpo_statistics[{i}].point_time {:?} is not a time of the form yyyy-MM-dd HH:mm",
                        record.point_time
                    ),
                });
            }
        }
        Ok(world)
    }

    /// Reads and parses a world file.
    pub fn load(path: &Path) -> Result<World, EmulatorError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| EmulatorError::WorldRead { path: path.display().to_string(), source })?;
        World::from_yaml(&text, &path.display().to_string())
    }

    /// The server with this ID.
    pub fn server(&self, id: &str) -> Option<&Server> {
        self.servers.iter().find(|s| s.id == id)
    }

    /// The VPC with this ID.
    pub fn vpc(&self, id: &str) -> Option<&Vpc> {
        self.vpcs.iter().find(|v| v.id == id)
    }

    /// The volume with this ID.
    pub fn volume(&self, id: &str) -> Option<&Volume> {
        self.volumes.iter().find(|v| v.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_world_loads() {
        let w = World::default_world();
        assert_eq!(w.project_id, "0605767a3b8a4e4a9f1d2c3b4a5e6f70");
        assert!(!w.servers.is_empty() && !w.volumes.is_empty());
    }

    #[test]
    fn rpo_times_are_read_with_or_without_seconds_and_with_t_or_a_space() {
        let minute = parse_rpo_time("2026-01-01 00:05").expect("minutes");
        assert_eq!(parse_rpo_time("2026-01-01T00:05:00.000"), Some(minute));
        assert!(parse_rpo_time("2026-01-01 00:05:30.5").is_some_and(|t| t > minute));
        assert_eq!(parse_rpo_time("yesterday"), None);
        assert_eq!(parse_rpo_time("2026-13-01 00:05"), None);
    }

    #[test]
    fn a_malformed_rpo_point_time_is_named_with_file_and_line() {
        let w = World::default_world();
        let first = &w.rpo_statistics.first().expect("the default world seeds RPO records").point_time;
        let text = DEFAULT_WORLD_YAML.replacen(first.as_str(), "soon", 1);
        let err = World::from_yaml(&text, "w.yaml").unwrap_err().to_string();
        let line = text.lines().position(|l| l.contains("soon")).unwrap() + 1;
        assert!(err.starts_with(&format!("w.yaml:{line}:")), "{err}");
        assert!(err.contains("rpo_statistics[0].point_time \"soon\""), "{err}");
    }

    #[test]
    fn an_unknown_key_is_named_with_file_and_line() {
        let text = DEFAULT_WORLD_YAML.replacen("flavors:", "flavours:", 1);
        let err = World::from_yaml(&text, "w.yaml").unwrap_err().to_string();
        assert!(err.contains("flavours"), "{err}");
        assert!(err.starts_with("w.yaml:"), "{err}");
    }
}
