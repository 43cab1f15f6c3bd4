//! Inboxes: an admin changes one (name, origins, the widget's look and texts, identity
//! verification, members and routing). Whoever joined or left reads their access again.

use livedesk_core::store::InboxChanges;
use livedesk_core::values::{DisplayName, WebOrigin};
use livedesk_protocol::model::{Inbox, TeamRule};
use livedesk_protocol::rest::UpdateInbox;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::{App, Caller, Done, Event};

/// A text setting: blank clears it, over 1 000 characters is refused.
fn text(t: String, what: &str) -> Result<Option<String>> {
    match t.trim() {
        "" => Ok(None),
        s if s.chars().count() > 1000 => Err(Error::invalid(format!(
            "{what} is longer than 1000 characters"
        ))),
        s => Ok(Some(s.to_owned())),
    }
}

/// `PATCH /inboxes/{id}`: everything is checked before anything is written.
pub async fn update(app: &App, caller: &Caller, id: Uuid, req: UpdateInbox) -> Result<Done<Inbox>> {
    let admin = caller.require_admin("changing inboxes")?;
    let ws = admin.workspace_id;
    let current = app
        .store
        .inbox(id)
        .await?
        .filter(|i| i.workspace_id == ws)
        .ok_or_else(Error::not_found)?;
    if let Some(r) = &req.routing {
        if r.reoffer_secs > 86_400 {
            return Err(Error::invalid(
                "routing.reoffer_secs must be at most 86400 (a day)",
            ));
        }
        let teams = app.store.list_teams(ws).await?;
        let rule_ok = |rule: &TeamRule| {
            !rule.attribute.trim().is_empty()
                && rule.attribute.len() <= 64
                && rule.equals.chars().count() <= 200
                && teams.iter().any(|t| t.id == rule.team_id)
        };
        if r.team_rules.len() > 50 || !r.team_rules.iter().all(rule_ok) {
            return Err(Error::invalid(
                "routing.team_rules: at most 50, each with an attribute, a value and a team of this workspace",
            ));
        }
    }
    let mut settings = current.settings.clone();
    if let Some(color) = req.color {
        settings.color = crate::workspace::color(&color)?;
    }
    if let Some(p) = req.position {
        settings.position = p;
    }
    if let Some(g) = req.greeting {
        settings.greeting = text(g, "greeting")?;
    }
    if let Some(a) = req.away_message {
        settings.away_message = text(a, "away_message")?;
    }
    if let Some(fields) = req.prechat_fields {
        let bad_field = |f: &livedesk_protocol::model::PrechatField| {
            !(1..=64).contains(&f.key.len())
                || !f
                    .key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
                || f.label.trim().is_empty()
        };
        if fields.len() > 10 || fields.iter().any(bad_field) {
            return Err(Error::invalid("up to 10 pre-chat fields, each with a key (1-64 of A-Z, a-z, 0-9, '_', '.', '-') and a label"));
        }
        settings.prechat_fields = fields;
    }
    let identity_secret = match req.identity_secret {
        None => None,
        Some(s) if s.is_empty() => Some(None),
        Some(s) if s.len() < 32 => {
            return Err(Error::invalid(
                "identity_secret must be at least 32 characters",
            ))
        }
        Some(s) => Some(Some(s)),
    };
    let changes = InboxChanges {
        name: req.name.map(|n| DisplayName::parse(&n)).transpose()?,
        allowed_origins: req
            .allowed_origins
            .map(|os| {
                os.iter()
                    .map(|o| WebOrigin::parse(o))
                    .collect::<std::result::Result<Vec<_>, _>>()
            })
            .transpose()?,
        settings: Some(settings),
        identity_secret,
    };
    let mut inbox = app.store.update_inbox(ws, id, changes).await?;
    let mut events = Vec::new();
    let (members, routing) = (req.member_ids, req.routing);
    if let Some(members) = &members {
        let before = app.store.inbox_member_ids(id).await?;
        app.store.set_inbox_members(ws, id, members).await?;
        // Whoever joined or left: their open sockets read what they may see again.
        let mut touched: Vec<Uuid> = before
            .iter()
            .filter(|a| !members.contains(a))
            .chain(members.iter().filter(|a| !before.contains(a)))
            .copied()
            .collect();
        touched.sort_unstable();
        touched.dedup();
        events.extend(
            touched
                .into_iter()
                .map(|agent_id| Event::AccessChanged { agent_id }),
        );
    }
    let routing_changed = routing.is_some();
    if let Some(routing) = routing {
        app.store.set_inbox_routing(ws, id, routing.clone()).await?;
        inbox.routing = routing;
    }
    inbox.member_ids = app.store.inbox_member_ids(id).await?;
    if members.is_some() || routing_changed {
        events.push(Event::QueueMayMove { workspace_id: ws });
    }
    Ok(Done::with(inbox, events))
}
