//! The fixture: workspaces, agents, visitors and conversations made once by `setup` and kept
//! in a JSON file, so runs do not recreate hundreds of agents.
//!
//! A room of K is one workspace with one inbox, one visitor with one conversation and up to
//! K-1 agent accounts: every agent socket of a workspace hears every message of it.

use std::path::Path;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{LoadError, Result};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fixture {
    /// The server's HTTP origin when the fixture was made.
    pub url: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub rooms: Vec<Room>,
    /// Extra visitor tokens (no conversation) for the idle scenario.
    #[serde(default)]
    pub idle_visitors: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Room {
    /// Sockets a run opens in this room by default: the visitor and `size - 1` agents.
    pub size: usize,
    pub workspace_id: Uuid,
    pub inbox_id: Uuid,
    pub conversation_id: Uuid,
    pub visitor: Visitor,
    /// Signed-in agents; a run with more agent sockets than accounts reuses them in turn.
    pub agents: Vec<AgentLogin>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Visitor {
    pub contact_id: Uuid,
    pub token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentLogin {
    pub id: Uuid,
    pub email: String,
    pub token: String,
}

impl Fixture {
    pub fn load(path: &Path) -> Result<Fixture> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::File {
            path: path.to_owned(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| LoadError::Json {
            path: path.to_owned(),
            source,
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_fixture_reads_back_what_it_wrote() {
        let f = Fixture {
            url: "http://127.0.0.1:8080".into(),
            backend: "sqlite".into(),
            rooms: vec![Room {
                size: 2,
                workspace_id: Uuid::nil(),
                inbox_id: Uuid::nil(),
                conversation_id: Uuid::nil(),
                visitor: Visitor {
                    contact_id: Uuid::nil(),
                    token: "ldv_x".into(),
                },
                agents: vec![AgentLogin {
                    id: Uuid::nil(),
                    email: "a@b.example".into(),
                    token: "lds_y".into(),
                }],
            }],
            idle_visitors: vec![],
        };
        let back: Fixture = serde_json::from_str(&f.to_json()).unwrap();
        assert_eq!(back.rooms[0].agents[0].token, "lds_y");
        assert_eq!(back.backend, "sqlite");
        assert_eq!(back.rooms[0].size, 2);
    }
}
