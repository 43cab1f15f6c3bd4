//! The conversation services both adapters call: REST handlers and WebSocket frames decode
//! their input, call these, and encode the result.

use livedesk_core::store::{Audience, NewMessageRecord};
use livedesk_core::values::{ClientMsgId, MessageBody};
use livedesk_protocol::frames::{Ack, SendKind};
use livedesk_protocol::model::{
    Agent, AgentRef, Author, AuthorKind, Conversation, Message, MessageKind, Notification,
    NotificationKind, Role,
};
use livedesk_protocol::model::{PageView, ReceiptStatus, Side};
use livedesk_protocol::ErrorCode;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::events;
use crate::metrics::{metrics, SourceLabel};
use crate::state::SharedState;

/// The conversation, if the caller may see it. Unknown and foreign ids are both `not_found`,
/// and so are conversations of inboxes an agent does not work.
pub async fn conversation_for(
    state: &SharedState,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<Conversation> {
    let conversation = state
        .store
        .conversation(caller.workspace_id(), id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    match caller {
        Caller::Visitor(v) if conversation.contact_id != v.contact_id => Err(ApiError::not_found()),
        Caller::Agent { agent, .. } => match inbox_scope(state, agent).await? {
            Some(inboxes) if !inboxes.contains(&conversation.inbox_id) => {
                Err(ApiError::not_found())
            }
            _ => Ok(conversation),
        },
        Caller::Visitor(_) => Ok(conversation),
    }
}

/// The inboxes an agent may see: `None` (all of the workspace) for admins and supervisors,
/// the inboxes they are a member of for agents.
pub async fn inbox_scope(state: &SharedState, agent: &Agent) -> ApiResult<Option<Vec<Uuid>>> {
    match agent.role {
        Role::Admin | Role::Supervisor => Ok(None),
        Role::Agent => Ok(Some(state.store.agent_inbox_ids(agent.id).await?)),
    }
}

pub fn author_of_agent(agent: &Agent) -> Author {
    Author {
        kind: AuthorKind::Agent,
        id: Some(agent.id),
        name: Some(agent.name.clone()),
    }
}

pub fn author_of(caller: &Caller) -> Author {
    match caller {
        Caller::Agent { agent, .. } => author_of_agent(agent),
        Caller::Visitor(v) => Author {
            kind: AuthorKind::Contact,
            id: Some(v.contact_id),
            name: None,
        },
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

/// Validates, stores (idempotently on `client_msg_id`) and publishes a message.
/// Returns only after the message is committed.
pub async fn send_message(
    state: &SharedState,
    caller: &Caller,
    conversation: &Conversation,
    outgoing: Outgoing,
    source: &'static str,
) -> ApiResult<Ack> {
    let Outgoing {
        client_msg_id,
        body,
        kind,
        attachment_id,
        mentions,
    } = outgoing;
    if !mentions.is_empty() && kind != SendKind::Note {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "mentions are for private notes only",
        ));
    }
    if mentions.len() > 20 {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "at most 20 mentions per note",
        ));
    }
    let client_msg_id = ClientMsgId::parse(client_msg_id)?;
    let max_chars = state.config.limits.max_message_chars;
    let author = author_of(caller);
    let attachment = match attachment_id {
        None => None,
        Some(id) => {
            let record = state
                .store
                .attachment(conversation.workspace_id, id)
                .await?
                .filter(|r| {
                    r.conversation_id == conversation.id
                        && r.uploader_kind == author.kind
                        && Some(r.uploader_id) == author.id
                })
                .ok_or_else(|| {
                    ApiError::new(
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
        (Caller::Visitor(_), SendKind::Note) => return Err(ApiError::forbidden("private notes")),
    };
    let mentions = match caller {
        Caller::Agent { agent, .. } => {
            mentioned_agents(state, agent, conversation, &mentions).await?
        }
        Caller::Visitor(_) => Vec::new(),
    };
    let appended = state
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
    if !appended.duplicate {
        metrics()
            .messages
            .get_or_create(&SourceLabel { source })
            .inc();
    }
    // The store's commit listener published it (`events::MessagePublisher`); a duplicate
    // was published when it was first committed.
    if !appended.duplicate {
        if let Caller::Agent { agent, .. } = caller {
            notify_mentions(state, agent, conversation, &appended.message, &mentions);
        }
    }
    let m = appended.message;
    Ok(Ack {
        conversation_id: m.conversation_id,
        client_msg_id: m.client_msg_id.unwrap_or_default(),
        message_id: m.id,
        seq: m.seq,
        duplicate: appended.duplicate,
    })
}

/// The agents a note mentions, once each and without its author, when every one of them can
/// see the conversation (admins and supervisors, or agents working its inbox). Anyone else —
/// an unknown id, an agent of another workspace or one who does not work the inbox — refuses
/// the note before it is stored, so none of its text reaches them.
async fn mentioned_agents(
    state: &SharedState,
    by: &Agent,
    conversation: &Conversation,
    mentions: &[Uuid],
) -> ApiResult<Vec<Uuid>> {
    let mut ids = Vec::new();
    let mut refused = Vec::new();
    for &id in mentions {
        if id == by.id || ids.contains(&id) || refused.contains(&id) {
            continue;
        }
        let sees = state
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
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            format!(
                "mentions must name agents who can see this conversation; these cannot: {}",
                list.join(", ")
            ),
        ));
    }
    Ok(ids)
}

/// Tells each mentioned agent (checked by `mentioned_agents`) about the note.
fn notify_mentions(
    state: &SharedState,
    by: &Agent,
    conversation: &Conversation,
    note: &Message,
    mentions: &[Uuid],
) {
    for &id in mentions {
        let text: String = note.body.chars().take(200).collect();
        events::notify(
            state,
            id,
            Notification {
                id: Uuid::now_v7(),
                kind: NotificationKind::Mention,
                conversation_id: conversation.id,
                by: Some(AgentRef {
                    id: by.id,
                    name: by.name.clone(),
                }),
                text,
                at: note.created_at,
            },
        );
    }
}

/// Messages after `after_seq` (ascending), or the newest before `before_seq`.
pub async fn messages(
    state: &SharedState,
    caller: &Caller,
    conversation: &Conversation,
    after_seq: Option<i64>,
    before_seq: Option<i64>,
    limit: u32,
) -> ApiResult<(Vec<Message>, bool)> {
    let audience = match caller {
        Caller::Agent { .. } => Audience::Agent,
        Caller::Visitor(_) => Audience::Visitor,
    };
    let limit = limit.clamp(1, 500);
    let mut page = match (after_seq, before_seq) {
        (_, Some(before)) => {
            let mut page = state
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
            state
                .store
                .messages_after(conversation.id, after.unwrap_or(0), limit + 1, audience)
                .await?
        }
    };
    let more = page.len() > limit as usize;
    page.truncate(limit as usize);
    Ok((page, more))
}

/// Records that the caller's side received or read the conversation up to `seq`, and tells
/// both sides when that moved anything.
pub async fn receipt(
    state: &SharedState,
    caller: &Caller,
    conversation: &Conversation,
    seq: i64,
    status: ReceiptStatus,
) -> ApiResult<()> {
    let side = match caller {
        Caller::Agent { .. } => Side::Agent,
        Caller::Visitor(_) => Side::Contact,
    };
    if let Some(receipts) = state
        .store
        .record_receipt(conversation.id, side, status, seq)
        .await?
    {
        events::receipt(state, conversation, side, &receipts);
    }
    Ok(())
}

/// A visitor's page view: kept in the contact's history and shown to agents live.
pub async fn page_view(
    state: &SharedState,
    caller: &Caller,
    url: String,
    title: Option<String>,
    referrer: Option<String>,
    timezone: Option<String>,
) -> ApiResult<()> {
    let Caller::Visitor(v) = caller else {
        return Err(ApiError::forbidden("page views for agents"));
    };
    let clip = |s: String, n: usize| -> String { s.chars().take(n).collect() };
    let url_ok = (url.starts_with("http://") || url.starts_with("https://")) && url.len() <= 2048;
    if !url_ok {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "url must be an http(s) URL of at most 2048 bytes",
        ));
    }
    let view = PageView {
        contact_id: v.contact_id,
        url,
        title: title.map(|t| clip(t, 300)),
        referrer: referrer.filter(|r| r.len() <= 2048),
        viewed_at: livedesk_core::now_ms(),
    };
    // An IANA name such as `America/Argentina/Buenos_Aires`; anything else is ignored.
    let timezone = timezone.filter(|tz| {
        (1..=64).contains(&tz.len())
            && tz
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b))
    });
    state
        .store
        .set_contact_device(v.contact_id, None, timezone.as_deref())
        .await?;
    state.store.add_page_view(&view).await?;
    state.presence.visitor_page(&view);
    events::page_view(state, v.workspace_id, v.inbox_id, view);
    Ok(())
}
