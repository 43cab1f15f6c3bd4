//! Contacts: who may see one, their custom attributes, and an agent's changes (details,
//! attributes, blocking).

use livedesk_core::store::ContactChanges;
use livedesk_core::values::{DisplayName, Email};
use livedesk_protocol::model::{Agent, Contact};
use livedesk_protocol::rest::UpdateContact;
use livedesk_protocol::ErrorCode;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::chat::inbox_scope;
use crate::error::{Error, Result};
use crate::{App, Caller, Done, Event};

/// The contact, if the agent works its inbox; unknown and foreign ids are both `not_found`.
pub async fn contact_for(app: &App, agent: &Agent, id: Uuid) -> Result<Contact> {
    let contact = app
        .store
        .contact(agent.workspace_id, id)
        .await?
        .ok_or_else(Error::not_found)?;
    match inbox_scope(app, agent).await? {
        Some(inboxes) if !inboxes.contains(&contact.inbox_id) => Err(Error::not_found()),
        _ => Ok(contact),
    }
}

/// Custom attributes: at most 50 keys of `[A-Za-z0-9_.-]{1,64}`, values strings (≤ 1000
/// characters), numbers, booleans or null (null removes the key).
pub fn merge_attributes(
    mut current: Map<String, Value>,
    changes: Map<String, Value>,
) -> Result<Map<String, Value>> {
    let bad = Error::invalid;
    for (key, value) in changes {
        let key_ok = (1..=64).contains(&key.len())
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !key_ok {
            return Err(bad(format!(
                "attribute key '{key}' must be 1-64 of A-Z, a-z, 0-9, '_', '.', '-'"
            )));
        }
        match value {
            Value::Null => {
                current.remove(&key);
            }
            Value::String(ref s) if s.chars().count() > 1000 => {
                return Err(bad(format!(
                    "attribute '{key}' is longer than 1000 characters"
                )))
            }
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                current.insert(key, value);
            }
            _ => {
                return Err(bad(format!(
                    "attribute '{key}' must be a string, number, boolean or null"
                )))
            }
        }
    }
    if current.len() > 50 {
        return Err(bad("a contact has at most 50 attributes".into()));
    }
    Ok(current)
}

/// Agents edit a contact's name, e-mail and custom attributes (merged; `null` removes a key),
/// and block or unblock the visitor. A verified contact's name and e-mail come from the
/// customer's backend only. Blocking revokes the visitor's tokens (their sockets close at
/// once) and refuses new sessions for the contact until lifted.
pub async fn update(
    app: &App,
    caller: &Caller,
    id: Uuid,
    req: UpdateContact,
) -> Result<Done<Contact>> {
    let (agent, _) = caller.require_agent()?;
    let contact = contact_for(app, agent, id).await?;
    if contact.verified && (req.name.is_some() || req.email.is_some()) {
        return Err(Error::new(
            ErrorCode::Forbidden,
            "a verified contact's name and email are set by the customer's backend",
        ));
    }
    let changes = ContactChanges {
        name: req
            .name
            .map(|n| DisplayName::parse(&n))
            .transpose()?
            .map(|n| n.as_str().to_owned()),
        email: req
            .email
            .map(|e| Email::parse(&e))
            .transpose()?
            .map(|e| e.as_str().to_owned()),
        attributes: req
            .attributes
            .map(|a| merge_attributes(contact.attributes.clone(), a))
            .transpose()?,
        ..ContactChanges::default()
    };
    let mut contact = app
        .store
        .update_contact(agent.workspace_id, id, changes)
        .await?;
    let mut events = Vec::new();
    if let Some(blocked) = req.blocked {
        contact = app
            .store
            .set_contact_blocked(agent.workspace_id, id, blocked)
            .await?
            .ok_or_else(Error::not_found)?;
        if blocked {
            events.push(Event::ContactBlocked { contact_id: id });
        }
        tracing::info!(contact = %id, by = %agent.id, blocked, "contact block changed");
    }
    events.push(Event::ContactUpdated(contact.clone()));
    Ok(Done::with(contact, events))
}
