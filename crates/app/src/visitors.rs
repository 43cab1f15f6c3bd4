//! What a visitor does besides chatting: starting their widget session, coming back on
//! another page, and editing the details they gave.

use livedesk_core::store::{ContactChanges, VisitorSession};
use livedesk_core::values::{DisplayName, Email};
use livedesk_protocol::model::{Contact, Inbox};
use livedesk_protocol::ErrorCode;
use serde_json::{Map, Value};

use crate::caller::Caller;
use crate::contacts::merge_attributes;
use crate::error::{Error, Result};
use crate::{App, Done, Event};

/// The longest browser description kept for the agents' customer panel.
const MAX_USER_AGENT_CHARS: usize = 400;

/// A new anonymous visitor of `inbox`: their contact, the session `token_hash` names and the
/// browser they use, in one transaction.
pub async fn start_session(
    app: &App,
    inbox: &Inbox,
    token_hash: &[u8],
    expires_at: i64,
    user_agent: Option<&str>,
) -> Result<Contact> {
    let user_agent = user_agent.map(clip_user_agent);
    Ok(app
        .store
        .create_visitor(inbox, token_hash, expires_at, user_agent.as_deref())
        .await?)
}

/// A returning visitor on another page: the browser they use now (written only when it
/// changed).
pub async fn continue_session(
    app: &App,
    visitor: &VisitorSession,
    user_agent: Option<&str>,
) -> Result<()> {
    let user_agent = user_agent.map(clip_user_agent);
    app.store
        .set_contact_device(visitor.contact_id, user_agent.as_deref(), None)
        .await?;
    Ok(())
}

fn clip_user_agent(ua: &str) -> String {
    ua.chars().take(MAX_USER_AGENT_CHARS).collect()
}

/// What a visitor may say about themselves.
#[derive(Debug, Default)]
pub struct OwnDetails {
    pub name: Option<String>,
    pub email: Option<String>,
    /// Merged into the contact's attributes (a `null` value removes a key).
    pub attributes: Option<Map<String, Value>>,
}

/// A visitor's own name, e-mail and attributes. A verified contact's name and e-mail are the
/// site's to set, not the visitor's.
pub async fn update_details(
    app: &App,
    caller: &Caller,
    details: OwnDetails,
) -> Result<Done<Contact>> {
    let Caller::Visitor(v) = caller else {
        return Err(Error::forbidden("this call for agents"));
    };
    let contact = app
        .store
        .contact(v.workspace_id, v.contact_id)
        .await?
        .ok_or_else(Error::unauthorized)?;
    if contact.verified && (details.name.is_some() || details.email.is_some()) {
        return Err(Error::new(
            ErrorCode::Forbidden,
            "a verified contact's name and email are set by the site, not the visitor",
        ));
    }
    let (name, email) = name_and_email(details.name, details.email)?;
    let attributes = details
        .attributes
        .map(|a| merge_attributes(contact.attributes.clone(), a))
        .transpose()?;
    let changes = ContactChanges {
        name,
        email,
        attributes,
        ..ContactChanges::default()
    };
    let contact = app
        .store
        .update_contact(v.workspace_id, v.contact_id, changes)
        .await?;
    Ok(Done::with(
        contact.clone(),
        vec![Event::ContactUpdated(contact)],
    ))
}

/// A name and an e-mail address as a visitor or the site gives them, checked and normalised.
pub fn name_and_email(
    name: Option<String>,
    email: Option<String>,
) -> Result<(Option<String>, Option<String>)> {
    let name = name
        .map(|n| DisplayName::parse(&n))
        .transpose()?
        .map(|n| n.as_str().to_owned());
    let email = email
        .map(|e| Email::parse(&e))
        .transpose()?
        .map(|e| e.as_str().to_owned());
    Ok((name, email))
}
