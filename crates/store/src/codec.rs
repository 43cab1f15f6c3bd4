//! Enum columns are stored as their snake_case wire names.

use livedesk_core::store::StoreError;
use livedesk_protocol::model::{AuthorKind, ConversationStatus, MessageKind, Role};

fn bad(column: &'static str, value: &str) -> StoreError {
    StoreError::Internal(format!("unexpected {column} value {value:?} in database").into())
}

pub fn role_str(r: Role) -> &'static str {
    match r {
        Role::Admin => "admin",
        Role::Supervisor => "supervisor",
        Role::Agent => "agent",
    }
}

pub fn role(s: &str) -> Result<Role, StoreError> {
    match s {
        "admin" => Ok(Role::Admin),
        "supervisor" => Ok(Role::Supervisor),
        "agent" => Ok(Role::Agent),
        other => Err(bad("role", other)),
    }
}

pub fn status_str(s: ConversationStatus) -> &'static str {
    match s {
        ConversationStatus::Open => "open",
        ConversationStatus::Pending => "pending",
        ConversationStatus::Snoozed => "snoozed",
        ConversationStatus::Resolved => "resolved",
    }
}

pub fn status(s: &str) -> Result<ConversationStatus, StoreError> {
    match s {
        "open" => Ok(ConversationStatus::Open),
        "pending" => Ok(ConversationStatus::Pending),
        "snoozed" => Ok(ConversationStatus::Snoozed),
        "resolved" => Ok(ConversationStatus::Resolved),
        other => Err(bad("status", other)),
    }
}

pub fn author_kind_str(k: AuthorKind) -> &'static str {
    match k {
        AuthorKind::Contact => "contact",
        AuthorKind::Agent => "agent",
        AuthorKind::Bot => "bot",
        AuthorKind::System => "system",
    }
}

pub fn author_kind(s: &str) -> Result<AuthorKind, StoreError> {
    match s {
        "contact" => Ok(AuthorKind::Contact),
        "agent" => Ok(AuthorKind::Agent),
        "bot" => Ok(AuthorKind::Bot),
        "system" => Ok(AuthorKind::System),
        other => Err(bad("author_kind", other)),
    }
}

pub fn kind_str(k: MessageKind) -> &'static str {
    match k {
        MessageKind::Text => "text",
        MessageKind::Note => "note",
        MessageKind::Event => "event",
    }
}

pub fn kind(s: &str) -> Result<MessageKind, StoreError> {
    match s {
        "text" => Ok(MessageKind::Text),
        "note" => Ok(MessageKind::Note),
        "event" => Ok(MessageKind::Event),
        other => Err(bad("kind", other)),
    }
}

pub fn origins_to_json(origins: &[String]) -> String {
    serde_json::to_string(origins).unwrap_or_else(|_| "[]".to_owned())
}

pub fn origins_from_json(s: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Internal(Box::new(e)))
}

pub fn json_to<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

pub fn json_from<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Internal(Box::new(e)))
}

/// A unit enum's snake_case wire name (agent status, priority).
pub fn wire_name<T: serde::Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

pub fn from_wire_name<T: serde::de::DeserializeOwned>(
    column: &'static str,
    s: &str,
) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| bad(column, s))
}
