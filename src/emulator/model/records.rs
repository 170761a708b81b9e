//! Resource records as the store keeps them. Timestamps are milliseconds after
//! 2026-01-01T00:00:00Z (the emulator clock).

/// Tags of an instance as (key, value), in insertion order.
pub(crate) type Tags = Vec<(String, String)>;

/// A protection group.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub status: String,
    pub source_az: String,
    pub target_az: String,
    pub domain_id: String,
    pub domain_name: String,
    pub priority_station: String,
    pub source_vpc_id: String,
    pub dr_type: String,
    pub protected_status: Option<String>,
    pub replication_status: Option<String>,
    pub health_status: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// A status the next read shows instead of `status` (fault `forbidden-transition`).
    pub shown_once: Option<String>,
}

/// A NIC of a protected instance.
#[derive(Debug, Clone)]
pub(crate) struct Nic {
    pub id: String,
    pub subnet_id: String,
    pub ip_address: String,
    pub primary: bool,
}

/// A protected instance.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub group_id: String,
    pub status: String,
    pub source_server: String,
    pub target_server: String,
    pub target_flavor: String,
    pub tags: Tags,
    pub nics: Vec<Nic>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Where a replication pair is attached.
#[derive(Debug, Clone)]
pub(crate) struct Attachment {
    pub instance_id: String,
    pub device: String,
}

/// A replication pair.
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    pub id: String,
    pub name: String,
    pub description: String,
    pub group_id: String,
    pub volume_id: String,
    pub dr_volume_id: String,
    pub status: String,
    pub attachment: Option<Attachment>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A DR drill.
#[derive(Debug, Clone)]
pub(crate) struct Drill {
    pub id: String,
    pub name: String,
    pub group_id: String,
    pub drill_vpc_id: String,
    pub status: String,
    pub drill_servers: Vec<(String, String)>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A failed job as shown by the task center.
#[derive(Debug, Clone)]
pub(crate) struct FailureJob {
    pub job_id: String,
    pub resource_id: String,
    pub resource_name: String,
    pub resource_type: String,
    pub failure_status: String,
    pub job_type: String,
    pub begin_time: i64,
    pub error_code: String,
    pub fail_reason: String,
    pub server_group_id: String,
}

impl Group {
    /// The current production-site AZ of the group.
    pub(crate) fn production_az(&self) -> &str {
        if self.priority_station == "target" {
            &self.target_az
        } else {
            &self.source_az
        }
    }
}
