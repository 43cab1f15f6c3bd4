//! What a workspace's people share: teams (admins), saved replies (supervisors and admins) and
//! labels (admins). Everyone who works in the workspace reads them.

use livedesk_core::values::{DisplayName, MessageBody};
use livedesk_protocol::model::{CannedResponse, Label, Role, Team};
use livedesk_protocol::rest::{CannedResponseBody, NewLabel, TeamChanges};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::{App, Caller, Done, Event};

/// A label's name, trimmed: 1–40 characters without quotes, backslashes or control
/// characters (they are matched as written, in filters and in the console).
pub fn label_name(raw: &str) -> Result<&str> {
    let name = raw.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= 40
        && !name
            .chars()
            .any(|c| c == '"' || c == '\\' || c.is_control());
    if ok {
        Ok(name)
    } else {
        Err(Error::invalid(
            "a label is 1–40 characters without quotes, backslashes or control characters",
        ))
    }
}

/// A colour as `#rrggbb`, lower-cased.
pub fn color(raw: &str) -> Result<String> {
    let ok =
        raw.len() == 7 && raw.starts_with('#') && raw[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(Error::invalid("color must look like #1f6feb"))
    }
}

pub async fn create_team(app: &App, caller: &Caller, req: TeamChanges) -> Result<Done<Team>> {
    let admin = caller.require_admin("creating teams")?;
    let name = DisplayName::parse(req.name.as_deref().unwrap_or_default())?;
    let members = req.member_ids.unwrap_or_default();
    let team = app
        .store
        .create_team(admin.workspace_id, &name, &members)
        .await?;
    Ok(Done::new(team))
}

/// A team's name, members or routing policy; new members or another policy may take
/// conversations waiting for the team.
pub async fn update_team(
    app: &App,
    caller: &Caller,
    id: Uuid,
    req: TeamChanges,
) -> Result<Done<Team>> {
    let admin = caller.require_admin("changing teams")?;
    let name = req.name.as_deref().map(DisplayName::parse).transpose()?;
    let routing = req.member_ids.is_some() || req.policy.is_some();
    let team = app
        .store
        .update_team(
            admin.workspace_id,
            id,
            name.as_ref(),
            req.member_ids.as_deref(),
            req.policy,
        )
        .await?;
    let events = if routing {
        vec![Event::QueueMayMove {
            workspace_id: admin.workspace_id,
        }]
    } else {
        Vec::new()
    };
    Ok(Done::with(team, events))
}

pub async fn delete_team(app: &App, caller: &Caller, id: Uuid) -> Result<Done<()>> {
    let admin = caller.require_admin("deleting teams")?;
    app.store.delete_team(admin.workspace_id, id).await?;
    // Its conversations now wait for anyone of their inbox.
    Ok(Done::with(
        (),
        vec![Event::QueueMayMove {
            workspace_id: admin.workspace_id,
        }],
    ))
}

/// The workspace of a supervisor or admin, who manage saved replies.
fn manager(caller: &Caller) -> Result<Uuid> {
    match caller {
        Caller::Agent { agent, .. } if matches!(agent.role, Role::Admin | Role::Supervisor) => {
            Ok(agent.workspace_id)
        }
        _ => Err(Error::forbidden("managing saved replies")),
    }
}

/// A saved reply, checked: a lower-case shortcut, a title and a body within limits.
fn canned(app: &App, req: CannedResponseBody) -> Result<(String, String, String)> {
    let shortcut = req.shortcut.trim().to_owned();
    let ok = (1..=32).contains(&shortcut.len())
        && shortcut
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !ok {
        return Err(Error::invalid(
            "shortcut must be 1–32 of a-z, 0-9, '-' and '_'",
        ));
    }
    let title = req.title.trim().chars().take(100).collect::<String>();
    let body = MessageBody::parse(req.body, app.limits.max_message_chars)?.into_inner();
    Ok((shortcut, title, body))
}

pub async fn create_canned(
    app: &App,
    caller: &Caller,
    req: CannedResponseBody,
) -> Result<Done<CannedResponse>> {
    let ws = manager(caller)?;
    let (shortcut, title, body) = canned(app, req)?;
    let c = app
        .store
        .create_canned_response(ws, &shortcut, &title, &body)
        .await?;
    Ok(Done::new(c))
}

pub async fn update_canned(
    app: &App,
    caller: &Caller,
    id: Uuid,
    req: CannedResponseBody,
) -> Result<Done<CannedResponse>> {
    let ws = manager(caller)?;
    let (shortcut, title, body) = canned(app, req)?;
    let c = app
        .store
        .update_canned_response(ws, id, &shortcut, &title, &body)
        .await?;
    Ok(Done::new(c))
}

pub async fn delete_canned(app: &App, caller: &Caller, id: Uuid) -> Result<Done<()>> {
    let ws = manager(caller)?;
    app.store.delete_canned_response(ws, id).await?;
    Ok(Done::new(()))
}

pub async fn create_label(app: &App, caller: &Caller, req: NewLabel) -> Result<Done<Label>> {
    let admin = caller.require_admin("managing labels")?;
    let name = label_name(&req.name)?;
    let color = color(req.color.as_deref().unwrap_or("#6e7781"))?;
    let label = app
        .store
        .create_label(admin.workspace_id, name, &color)
        .await?;
    Ok(Done::new(label))
}

pub async fn delete_label(app: &App, caller: &Caller, id: Uuid) -> Result<Done<()>> {
    let admin = caller.require_admin("managing labels")?;
    app.store.delete_label(admin.workspace_id, id).await?;
    Ok(Done::new(()))
}
