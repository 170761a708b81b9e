//! Integration tests of the reference emulator, one module per resource family, all in one
//! binary. Each test starts its own emulator on a loopback port and talks plain HTTP to it.

#[path = "emulator/common.rs"]
mod common;

#[path = "emulator/auth.rs"]
mod auth;
#[path = "emulator/drills.rs"]
mod drills;
#[path = "emulator/faults.rs"]
mod faults;
#[path = "emulator/groups.rs"]
mod groups;
#[path = "emulator/instances.rs"]
mod instances;
#[path = "emulator/misc.rs"]
mod misc;
#[path = "emulator/pairs.rs"]
mod pairs;
#[path = "emulator/schemas.rs"]
mod schemas;
#[path = "emulator/tags.rs"]
mod tags;
#[path = "emulator/task_center.rs"]
mod task_center;
#[path = "emulator/timing.rs"]
mod timing;
#[path = "emulator/variants.rs"]
mod variants;
