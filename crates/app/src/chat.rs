//! Conversations as their participants see them: who may see one, sending (idempotent on the
//! client's message id), reading pages of messages, receipts and a visitor's page views.

use livedesk_core::store::{Audience, NewMessageRecord};
use livedesk_core::values::{ClientMsgId, MessageBody};
use livedesk_protocol::frames::{Ack, SendKind};
use livedesk_protocol::model::{
    Agent, Conversation, Message, MessageKind, Notification, NotificationKind, PageView,
    ReceiptStatus, Role, Side,
};
use livedesk_protocol::ErrorCode;
use uuid::Uuid;

use crate::caller::{agent_ref, Caller};
use crate::error::{Error, Result};
use crate::{App, Done, Event};

/// The conversation, if the caller may see it. Unknown and foreign ids are both `not_found`,
/// and so are conversations of inboxes an agent does not work.
pub async fn conversation_for(app: &App, caller: &Caller, id: Uuid) -> Result<Conversation> {
    let conversation = app
        .store
        .conversation(caller.workspace_id(), id)
        .await?
        .ok_or_else(Error::not_found)?;
    match caller {
        Caller::Visitor(v) if conversation.contact_id != v.contact_id => Err(Error::not_found()),
        Caller::Agent { agent, .. } => match inbox_scope(app, agent).await? {
            Some(inboxes) if !inboxes.contains(&conversation.inbox_id) => Err(Error::not_found()),
            _ => Ok(conversation),
        },
        Caller::Visitor(_) => Ok(conversation),
    }
}

/// The inboxes an agent may see: `None` (all of the workspace) for admins and supervisors,
/// the inboxes they are a member of for agents.
pub async fn inbox_scope(app: &App, agent: &Agent) -> Result<Option<Vec<Uuid>>> {
    match agent.role {
        Role::Admin | Role::Supervisor => Ok(None),
        Role::Agent => Ok(Some(app.store.agent_inbox_ids(agent.id).await?)),
    }
}

/// What a client asks to send.
pub struct Outgoing {
    pub client_msg_id: String,
    pub body: String,
    pub kind: SendKind,
    pub attachment_id: Option<Uuid>,
    /// Notes only: agents to notify.
    pub mentions: Vec<Uuid>,
}

/// Validates and stores a message (idempotently on `client_msg_id`); returns once it is
/// committed. The commit listener publishes the message itself; the events are the mentions'
/// notifications (none for a duplicate: they went out with the first).
pub async fn send_message(
    app: &App,
    caller: &Caller,
    conversation: &Conversation,
    outgoing: Outgoing,
) -> Result<Done<Ack>> {
    let Outgoing {
        client_msg_id,
        body,
        kind,
        attachment_id,
        mentions,
    } = outgoing;
    if !mentions.is_empty() && kind != SendKind::Note {
        return Err(Error::invalid("mentions are for private notes only"));
    }
    if mentions.len() > 20 {
        return Err(Error::invalid("at most 20 mentions per note"));
    }
    let client_msg_id = ClientMsgId::parse(client_msg_id)?;
    let max_chars = app.limits.max_message_chars;
    let author = caller.author();
    let attachment = match attachment_id {
        None => None,
        Some(id) => {
            let record = app
                .store
                .attachment(conversation.workspace_id, id)
                .await?
                .filter(|r| {
                    r.conversation_id == conversation.id
                        && r.uploader_kind == author.kind
                        && Some(r.uploader_id) == author.id
                })
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::NotFound,
                        "no such attachment of yours in this conversation",
                    )
                })?;
            Some(record.attachment)
        }
    };
    let body = match attachment {
        Some(_) => MessageBody::caption(body, max_chars)?,
        None => MessageBody::parse(body, max_chars)?,
    };
    let kind = match (caller, kind) {
        (_, SendKind::Text) => MessageKind::Text,
        (Caller::Agent { .. }, SendKind::Note) => MessageKind::Note,
        (Caller::Visitor(_), SendKind::Note) => return Err(Error::forbidden("private notes")),
    };
    let mentions = match caller {
        Caller::Agent { agent, .. } => {
            mentioned_agents(app, agent, conversation, &mentions).await?
        }
        Caller::Visitor(_) => Vec::new(),
    };
    let appended = app
        .store
        .append_message(NewMessageRecord {
            workspace_id: conversation.workspace_id,
            conversation_id: conversation.id,
            client_msg_id,
            author,
            kind,
            body,
            attachment,
            event: None,
        })
        .await?;
    let mut events = Vec::new();
    if let (false, Caller::Agent { agent, .. }) = (appended.duplicate, caller) {
        events = mention_notifications(agent, conversation, &appended.message, &mentions);
    }
    let m = appended.message;
    let ack = Ack {
        conversation_id: m.conversation_id,
        client_msg_id: m.client_msg_id.unwrap_or_default(),
        message_id: m.id,
        seq: m.seq,
        duplicate: appended.duplicate,
    };
    Ok(Done::with(ack, events))
}

/// The agents a note mentions, once each and without its author, when every one of them can
/// see the conversation (admins and supervisors, or agents working its inbox). Anyone else —
/// an unknown id, an agent of another workspace or one who does not work the inbox — refuses
/// the note before it is stored, so none of its text reaches them.
async fn mentioned_agents(
    app: &App,
    by: &Agent,
    conversation: &Conversation,
    mentions: &[Uuid],
) -> Result<Vec<Uuid>> {
    let mut ids = Vec::new();
    let mut refused = Vec::new();
    for &id in mentions {
        if id == by.id || ids.contains(&id) || refused.contains(&id) {
            continue;
        }
        let sees = app
            .store
            .agent_entry(conversation.workspace_id, id)
            .await?
            .is_some_and(|e| {
                e.agent.role != Role::Agent || e.inbox_ids.contains(&conversation.inbox_id)
            });
        if sees {
            ids.push(id);
        } else {
            refused.push(id);
        }
    }
    if !refused.is_empty() {
        let list: Vec<String> = refused.iter().map(Uuid::to_string).collect();
        return Err(Error::invalid(format!(
            "mentions must name agents who can see this conversation; these cannot: {}",
            list.join(", ")
        )));
    }
    Ok(ids)
}

/// A notification for each mentioned agent (checked by `mentioned_agents`).
fn mention_notifications(
    by: &Agent,
    conversation: &Conversation,
    note: &Message,
    mentions: &[Uuid],
) -> Vec<Event> {
    let text: String = note.body.chars().take(200).collect();
    mentions
        .iter()
        .map(|&agent_id| Event::Notify {
            agent_id,
            notification: Notification {
                id: Uuid::now_v7(),
                kind: NotificationKind::Mention,
                conversation_id: conversation.id,
                by: Some(agent_ref(by)),
                text: text.clone(),
                at: note.created_at,
            },
        })
        .collect()
}

/// Messages after `after_seq` (ascending), or the newest before `before_seq`; and whether
/// there are more.
pub async fn messages(
    app: &App,
    caller: &Caller,
    conversation: &Conversation,
    after_seq: Option<i64>,
    before_seq: Option<i64>,
    limit: u32,
) -> Result<(Vec<Message>, bool)> {
    let audience = match caller {
        Caller::Agent { .. } => Audience::Agent,
        Caller::Visitor(_) => Audience::Visitor,
    };
    let limit = limit.clamp(1, 500);
    let mut page = match (after_seq, before_seq) {
        (_, Some(before)) => {
            let mut page = app
                .store
                .messages_before(conversation.id, before, limit + 1, audience)
                .await?;
            let more = page.len() > limit as usize;
            if more {
                page.remove(0);
            }
            return Ok((page, more));
        }
        (after, None) => {
            app.store
                .messages_after(conversation.id, after.unwrap_or(0), limit + 1, audience)
                .await?
        }
    };
    let more = page.len() > limit as usize;
    page.truncate(limit as usize);
    Ok((page, more))
}

/// Records that the caller's side received or read the conversation up to `seq`; both sides
/// hear of it when that moved anything.
pub async fn receipt(
    app: &App,
    caller: &Caller,
    conversation: &Conversation,
    seq: i64,
    status: ReceiptStatus,
) -> Result<Done<()>> {
    let side = match caller {
        Caller::Agent { .. } => Side::Agent,
        Caller::Visitor(_) => Side::Contact,
    };
    let moved = app
        .store
        .record_receipt(conversation.id, side, status, seq)
        .await?;
    Ok(Done::with(
        (),
        moved
            .map(|receipts| Event::Receipt {
                conversation: conversation.clone(),
                side,
                receipts,
            })
            .into_iter()
            .collect(),
    ))
}

/// A visitor's page as the widget reports it.
pub struct PageVisit {
    pub url: String,
    pub title: Option<String>,
    pub referrer: Option<String>,
    /// The browser's IANA time zone.
    pub timezone: Option<String>,
}

/// A visitor's page view: kept in the contact's history and shown to agents live.
pub async fn page_view(app: &App, caller: &Caller, visit: PageVisit) -> Result<Done<()>> {
    let Caller::Visitor(v) = caller else {
        return Err(Error::forbidden("page views for agents"));
    };
    let PageVisit {
        url,
        title,
        referrer,
        timezone,
    } = visit;
    let clip = |s: String, n: usize| -> String { s.chars().take(n).collect() };
    let url_ok = (url.starts_with("http://") || url.starts_with("https://")) && url.len() <= 2048;
    if !url_ok {
        return Err(Error::invalid(
            "url must be an http(s) URL of at most 2048 bytes",
        ));
    }
    let view = PageView {
        contact_id: v.contact_id,
        url,
        title: title.map(|t| clip(t, 300)),
        referrer: referrer.filter(|r| r.len() <= 2048),
        viewed_at: app.now_ms(),
    };
    // An IANA name such as `America/Argentina/Buenos_Aires`; anything else is ignored.
    let timezone = timezone.filter(|tz| {
        (1..=64).contains(&tz.len())
            && tz
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b))
    });
    app.store
        .set_contact_device(v.contact_id, None, timezone.as_deref())
        .await?;
    app.store.add_page_view(&view).await?;
    Ok(Done::with(
        (),
        vec![Event::PageView {
            workspace_id: v.workspace_id,
            inbox_id: v.inbox_id,
            view,
        }],
    ))
}

/// The longest visitor draft passed on to agents.
const MAX_DRAFT_CHARS: usize = 2000;

/// Someone started or stopped typing. Nothing is stored: agents hear it (with a visitor's
/// draft, clipped), the visitor hears agents only, never a draft.
pub fn typing(
    caller: &Caller,
    conversation: &Conversation,
    on: bool,
    draft: Option<String>,
) -> Done<()> {
    let draft = match caller {
        Caller::Visitor(_) if on => draft.map(|d| d.chars().take(MAX_DRAFT_CHARS).collect()),
        _ => None,
    };
    Done::with(
        (),
        vec![Event::Typing {
            conversation: conversation.clone(),
            author: caller.author(),
            on,
            draft,
        }],
    )
}
