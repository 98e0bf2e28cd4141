//! One row of the Users page.

use serde::{Deserialize, Serialize};

use crate::ids::UserId;
use crate::roles::{MemberStatus, Role};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user_id: UserId,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub status: MemberStatus,
    pub joined_at: i64,
    pub last_seen_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersPage {
    pub tailnet_name: String,
    pub members: Vec<MemberRow>,
}
