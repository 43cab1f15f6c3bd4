//! Who runs a command: an agent as their session shows them now, or a visitor of one inbox.

use livedesk_core::store::VisitorSession;
use livedesk_protocol::model::{Agent, AgentRef, Author, AuthorKind, Principal, Role};
use uuid::Uuid;

use crate::error::{Error, Result};

/// An authenticated caller. Adapters read it for every request (and a socket again whenever
/// the agent's access changes), so commands check permissions against who the caller is now.
#[derive(Debug, Clone)]
pub enum Caller {
    /// `token_hash` names the session, for signing out.
    Agent {
        agent: Agent,
        token_hash: Vec<u8>,
    },
    Visitor(VisitorSession),
}

impl Caller {
    pub fn workspace_id(&self) -> Uuid {
        match self {
            Caller::Agent { agent, .. } => agent.workspace_id,
            Caller::Visitor(v) => v.workspace_id,
        }
    }

    /// The id rate limits are keyed on.
    pub fn actor_id(&self) -> Uuid {
        match self {
            Caller::Agent { agent, .. } => agent.id,
            Caller::Visitor(v) => v.contact_id,
        }
    }

    pub fn principal(&self) -> Principal {
        match self {
            Caller::Agent { agent, .. } => Principal::Agent {
                agent: agent.clone(),
            },
            Caller::Visitor(v) => Principal::Visitor {
                contact_id: v.contact_id,
                inbox_id: v.inbox_id,
            },
        }
    }

    pub fn require_admin(&self, what: &str) -> Result<&Agent> {
        match self {
            Caller::Agent { agent, .. } if agent.role == Role::Admin => Ok(agent),
            _ => Err(Error::forbidden(what)),
        }
    }

    pub fn require_agent(&self) -> Result<(&Agent, &[u8])> {
        match self {
            Caller::Agent { agent, token_hash } => Ok((agent, token_hash)),
            Caller::Visitor(_) => Err(Error::forbidden("this call for visitors")),
        }
    }

    /// How the caller's messages are signed.
    pub fn author(&self) -> Author {
        match self {
            Caller::Agent { agent, .. } => author_of_agent(agent),
            Caller::Visitor(v) => Author {
                kind: AuthorKind::Contact,
                id: Some(v.contact_id),
                name: None,
            },
        }
    }
}

pub fn author_of_agent(agent: &Agent) -> Author {
    Author {
        kind: AuthorKind::Agent,
        id: Some(agent.id),
        name: Some(agent.name.clone()),
    }
}

pub fn agent_ref(agent: &Agent) -> AgentRef {
    AgentRef {
        id: agent.id,
        name: agent.name.clone(),
    }
}

/// Admins and supervisors: every inbox of the workspace, and any conversation's triage.
pub fn may_manage(agent: &Agent) -> bool {
    matches!(agent.role, Role::Admin | Role::Supervisor)
}
