//! Prerequisites from other services that cases need (AZs, domain, VPC, servers, volumes...),
//! and the profile file that provides them for a target.
//!
//! Credentials are never read from a profile: `deny_unknown_fields` refuses a profile that
//! tries to carry them.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The production and DR availability zones.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AzPair {
    /// Production site AZ.
    pub source: String,
    /// DR site AZ.
    pub target: String,
}

/// The VPC protection groups are created in.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct VpcPrereq {
    /// VPC id.
    pub id: String,
    /// Subnet (network) ids inside it; the first is the servers' primary subnet.
    #[serde(default)]
    pub subnets: Vec<String>,
}

/// A server the harness may protect.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ServerPrereq {
    /// Server id.
    pub id: String,
    /// ACTIVE or SHUTOFF (resize and reverse need SHUTOFF).
    #[serde(default = "default_status")]
    pub status: String,
    /// Current flavor.
    #[serde(default)]
    pub flavor: Option<String>,
    /// A secondary NIC the harness may delete (consumed once per run).
    #[serde(default)]
    pub spare_nic: Option<String>,
}

fn default_status() -> String {
    "ACTIVE".to_owned()
}

/// A volume the harness may build replication pairs from.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct VolumePrereq {
    /// Volume id.
    pub id: String,
    /// Size in GB.
    #[serde(default)]
    pub size: Option<u64>,
}

/// World objects that make a chosen job type fail (emulators only).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FailingPrereqs {
    /// Server per job type.
    #[serde(default)]
    pub servers: BTreeMap<String, String>,
    /// Volume per job type.
    #[serde(default)]
    pub volumes: BTreeMap<String, String>,
    /// Group VPC per job type.
    #[serde(default)]
    pub vpcs: BTreeMap<String, String>,
    /// Drill VPC per job type.
    #[serde(default)]
    pub drill_vpcs: BTreeMap<String, String>,
}

/// Everything a target must provide for the full suite.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Prerequisites {
    /// The AZ pair of the active-active domain.
    #[serde(default)]
    pub availability_zones: Option<AzPair>,
    /// Active-active domain id.
    #[serde(default)]
    pub domain_id: Option<String>,
    /// VPC for protection groups.
    #[serde(default)]
    pub vpc: Option<VpcPrereq>,
    /// VPCs usable as drill VPCs.
    #[serde(default)]
    pub drill_vpcs: Vec<String>,
    /// Flavors for resize.
    #[serde(default)]
    pub flavors: Vec<String>,
    /// Servers the harness may protect.
    #[serde(default)]
    pub servers: Vec<ServerPrereq>,
    /// Volumes for replication pairs.
    #[serde(default)]
    pub volumes: Vec<VolumePrereq>,
    /// Existing objects that break a documented rule (for negative cases).
    #[serde(default)]
    pub invalid: BTreeMap<String, String>,
    /// Objects that make jobs fail.
    #[serde(default)]
    pub failing: FailingPrereqs,
}

/// A profile: where a target is and what it provides.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Profile name.
    #[serde(default)]
    pub name: String,
    /// Base URL of the SDRS endpoint.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Region name.
    #[serde(default)]
    pub region: Option<String>,
    /// Project id.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Prerequisites.
    #[serde(default)]
    pub prerequisites: Prerequisites,
    /// Treat the endpoint as a real region even on loopback (a tunnel, a simulation).
    #[serde(default)]
    pub remote: bool,
    /// First pause between polls of a job, in milliseconds (default: 2000 against a remote target).
    #[serde(default)]
    pub poll_interval_ms: Option<u64>,
    /// PEM files of CA certificates to trust for the endpoint (relative to the profile's directory).
    #[serde(default)]
    pub ca_certs: Vec<std::path::PathBuf>,
}

/// Why a profile could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// Unreadable file.
    #[error("cannot read profile {path}: {source}")]
    Read {
        /// File.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Malformed file.
    #[error("{path}:{line}: invalid profile: {message}")]
    Parse {
        /// File.
        path: String,
        /// Line, 0 when unknown.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl Profile {
    /// The profile of the emulator's default world.
    pub fn emulator_default() -> Profile {
        Profile::parse(include_str!("../../profiles/emulator.yaml"), "profiles/emulator.yaml")
            .expect("the embedded emulator profile is valid")
    }

    /// Parses a profile text.
    pub fn parse(text: &str, origin: &str) -> Result<Profile, ProfileError> {
        serde_yaml_ng::from_str(text).map_err(|e| ProfileError::Parse {
            path: origin.to_owned(),
            line: e.location().map(|l| l.line()).unwrap_or(0),
            message: e.to_string(),
        })
    }

    /// Reads a profile file.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ProfileError::Read { path: path.display().to_string(), source })?;
        let mut profile = Profile::parse(&text, &path.display().to_string())?;
        let dir = path.parent().unwrap_or(Path::new(""));
        for ca in &mut profile.ca_certs {
            if ca.is_relative() {
                *ca = dir.join(&*ca);
            }
        }
        Ok(profile)
    }

    /// Finds `name` as a file, or as `profiles/<name>.yaml`.
    pub fn resolve(name: &str) -> Result<Profile, ProfileError> {
        let direct = Path::new(name);
        if direct.is_file() {
            return Profile::load(direct);
        }
        Profile::load(&Path::new("profiles").join(format!("{name}.yaml")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_emulator_profile_parses() {
        let p = Profile::emulator_default();
        assert!(p.prerequisites.servers.len() >= 20);
        assert!(p.prerequisites.failing.servers.contains_key("startProtectionGroupNoCG"));
    }

    #[test]
    fn ca_files_of_a_profile_are_found_beside_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("staging.yaml");
        std::fs::write(&path, "name: staging\nca_certs: [certs/ca.pem, /etc/ca.pem]\n").expect("write");
        let p = Profile::load(&path).expect("loads");
        assert_eq!(p.ca_certs, vec![dir.path().join("certs/ca.pem"), std::path::PathBuf::from("/etc/ca.pem")]);
    }

    #[test]
    fn a_profile_carrying_credentials_is_refused() {
        let err = Profile::parse("name: x\nsecret_key: abc\n", "p.yaml").unwrap_err();
        assert!(err.to_string().starts_with("p.yaml:2:"), "{err}");
    }
}
