//! Who the socket speaks for: the hello's token checked, and the principal read again every
//! heartbeat and whenever the hub says their access changed.

use std::sync::Arc;

use livedesk_protocol::close;
use uuid::Uuid;

use super::{Flow, Reader};
use crate::auth::{self, Caller};
use crate::error::ApiError;
use crate::hub::Scope;
use livedesk_app::chat;

impl Reader {
    /// Checks the token the hello carried (or else the handshake's credential); a widget
    /// socket (`?inbox=`) takes only a visitor of that inbox.
    pub(super) async fn authenticate(
        &self,
        token: Option<String>,
        inbox_hint: Option<Uuid>,
    ) -> Result<Caller, ApiError> {
        let token = token.ok_or_else(ApiError::unauthorized)?;
        let caller = auth::authenticate(&self.state, &token).await?;
        match (&caller, inbox_hint) {
            (Caller::Visitor(v), Some(inbox)) if v.inbox_id != inbox => {
                Err(ApiError::unauthorized())
            }
            (Caller::Agent { .. }, Some(_)) => Err(ApiError::unauthorized()),
            _ => Ok(caller),
        }
    }

    /// Reads the inboxes an agent may see now; a change empties the conversation cache.
    pub(super) async fn refresh_scope(&mut self, caller: &Caller) -> Result<(), ApiError> {
        let Caller::Agent { agent, .. } = caller else {
            return Ok(());
        };
        let scope: Scope = chat::inbox_scope(&self.state.app, agent)
            .await?
            .map(|ids| Arc::new(ids.into_iter().collect()));
        if self.access.set(scope) {
            self.conversations.clear();
        }
        Ok(())
    }

    /// The hub said the principal's access changed: an agent reads theirs again; a visitor
    /// was blocked (or their contact is gone), and the socket ends.
    pub(super) async fn access_changed(&mut self) -> Flow {
        let Some(Caller::Visitor(v)) = &self.caller else {
            return self.still_valid().await;
        };
        match self.state.store.contact(v.workspace_id, v.contact_id).await {
            Ok(Some(contact)) if !contact.blocked => {
                // Nothing of the visitor's own topic is scoped by inbox.
                self.access.set(None);
                Flow::Continue
            }
            Ok(_) => Flow::Close(close::SESSION_REVOKED, "session ended"),
            Err(e) => {
                tracing::debug!("could not re-read a visitor's contact: {e:?}");
                Flow::Close(close::SERVICE_RESTART, "try again")
            }
        }
    }

    /// Reads the principal again: an agent's session may have been revoked (sign-out,
    /// password change, deactivation) and their role or inboxes changed. Runs every
    /// heartbeat, and at once when the hub says the agent's access changed.
    pub(super) async fn still_valid(&mut self) -> Flow {
        let now = livedesk_core::now_ms();
        match self.caller.clone() {
            Some(Caller::Agent { token_hash, .. }) => {
                let session = match self.state.store.session(&token_hash, now).await {
                    Ok(Some(session)) => session,
                    Ok(None) => return Flow::Close(close::SESSION_REVOKED, "session ended"),
                    Err(e) => {
                        tracing::debug!("could not re-read a socket's session: {e:?}");
                        return Flow::Continue;
                    }
                };
                let caller = Caller::Agent {
                    agent: session.agent,
                    token_hash,
                };
                if let Err(e) = self.refresh_scope(&caller).await {
                    tracing::debug!("could not refresh a socket's inboxes: {e:?}");
                }
                self.caller = Some(caller);
                Flow::Continue
            }
            // Visitor tokens are not revoked, but they do expire.
            Some(Caller::Visitor(v)) if v.expires_at <= now => {
                Flow::Close(close::UNAUTHORIZED, "visitor token expired")
            }
            _ => Flow::Continue,
        }
    }
}
