//! The commands on a real store (SQLite in a temporary directory), with no server and no
//! socket: what each one writes, refuses and returns as events.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use livedesk_app::chat::{self, Outgoing};
use livedesk_app::{conversations, triage, App, Caller, Event, Limits};
use livedesk_core::directory::AgentChanges;
use livedesk_core::routing::RouteOutcome;
use livedesk_core::store::{Audience, NewAgentRecord, Store, VisitorSession};
use livedesk_core::values::{DisplayName, Email};
use livedesk_protocol::frames::SendKind;
use livedesk_protocol::model::{
    Agent, AgentStatus, Contact, ConversationStatus, Inbox, NotificationKind, RequeueReason, Role,
    RoutingPolicy, RoutingSettings, TimelineEvent,
};
use livedesk_protocol::rest::{
    NewConversation, NewLabel, TeamChanges, Transfer, UpdateAgent, UpdateConversation, UpdateInbox,
};
use livedesk_protocol::ErrorCode;
use livedesk_store::sqlite::SqliteStore;
use livedesk_store::SqliteSynchronous;
use uuid::Uuid;

const FAR_FUTURE: i64 = 32_503_680_000_000; // year 3000

struct Desk {
    app: App,
    _dir: tempfile::TempDir,
    ws: Uuid,
    inbox: Inbox,
}

impl Desk {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(livedesk_core::SystemClock);
        let store = SqliteStore::open(
            &dir.path().join("livedesk.db"),
            SqliteSynchronous::Full,
            4,
            clock.clone(),
        )
        .await
        .unwrap();
        let store: Arc<dyn Store> = Arc::new(store);
        let ws = store
            .create_workspace(&DisplayName::parse("Acme").unwrap())
            .await
            .unwrap();
        let inbox = store
            .create_inbox(ws.id, &DisplayName::parse("Website").unwrap(), &[])
            .await
            .unwrap();
        let routing = RoutingSettings {
            policy: RoutingPolicy::RoundRobin,
            ..Default::default()
        };
        store
            .set_inbox_routing(ws.id, inbox.id, routing)
            .await
            .unwrap();
        let app = App {
            store,
            clock,
            limits: Limits {
                max_message_chars: 10_000,
            },
        };
        Self {
            app,
            _dir: dir,
            ws: ws.id,
            inbox,
        }
    }

    fn store(&self) -> &dyn Store {
        &*self.app.store
    }

    /// An online agent working the inbox.
    async fn agent(&self, name: &str, role: Role) -> Agent {
        let agent = self
            .store()
            .create_agent(NewAgentRecord {
                workspace_id: self.ws,
                email: Email::parse(&format!("{name}@acme.example")).unwrap(),
                name: DisplayName::parse(name).unwrap(),
                role,
                password_hash: "unused".to_owned(),
            })
            .await
            .unwrap();
        let changes = AgentChanges {
            inbox_ids: Some(vec![self.inbox.id]),
            ..Default::default()
        };
        self.store()
            .update_agent(self.ws, agent.id, changes)
            .await
            .unwrap();
        self.store()
            .set_agent_status(agent.id, AgentStatus::Online)
            .await
            .unwrap()
    }

    async fn visitor(&self) -> (Contact, Caller) {
        let token = Uuid::new_v4().as_bytes().to_vec();
        let contact = self
            .store()
            .create_visitor(&self.inbox, &token, FAR_FUTURE, None)
            .await
            .unwrap();
        let caller = Caller::Visitor(VisitorSession {
            contact_id: contact.id,
            inbox_id: self.inbox.id,
            workspace_id: self.ws,
            expires_at: FAR_FUTURE,
        });
        (contact, caller)
    }
}

fn as_caller(agent: &Agent) -> Caller {
    Caller::Agent {
        agent: agent.clone(),
        token_hash: Vec::new(),
    }
}

fn note(client_msg_id: &str, body: &str, mentions: Vec<Uuid>) -> Outgoing {
    Outgoing {
        client_msg_id: client_msg_id.to_owned(),
        body: body.to_owned(),
        kind: SendKind::Note,
        attachment_id: None,
        mentions,
    }
}

#[tokio::test]
async fn a_visitors_conversation_is_created_and_routed_in_one_command() {
    let desk = Desk::new().await;
    let ada = desk.agent("Ada", Role::Agent).await;
    let (_, visitor) = desk.visitor().await;

    let done = conversations::open(&desk.app, &visitor, NewConversation::default())
        .await
        .unwrap();
    let c = done.value;
    assert_eq!(
        c.assignee_id,
        Some(ada.id),
        "routed to the one online agent"
    );
    match done.events.as_slice() {
        [Event::ConversationCreated(created), Event::Routed(RouteOutcome::Assigned(routed))] => {
            assert_eq!(created.id, c.id);
            assert_eq!(
                created.assignee_id,
                Some(ada.id),
                "created shows it assigned"
            );
            assert_eq!(routed.id, c.id);
        }
        other => panic!("unexpected events: {other:?}"),
    }
    // The assignment's timeline line was written by the same command.
    let lines = desk
        .store()
        .messages_after(c.id, 0, 10, Audience::Agent)
        .await
        .unwrap();
    assert!(
        lines.iter().any(
            |m| matches!(&m.event, Some(TimelineEvent::Assigned { to, .. }) if to.id == ada.id)
        ),
        "no assignment line in {lines:?}"
    );
}

#[tokio::test]
async fn a_duplicate_send_returns_the_first_ack_and_causes_nothing_again() {
    let desk = Desk::new().await;
    let ada = desk.agent("Ada", Role::Agent).await;
    let bea = desk.agent("Bea", Role::Supervisor).await;
    let (_, visitor) = desk.visitor().await;
    let c = conversations::open(&desk.app, &visitor, NewConversation::default())
        .await
        .unwrap()
        .value;
    let ada_caller = as_caller(&ada);

    let send = || {
        chat::send_message(
            &desk.app,
            &ada_caller,
            &c,
            note("n-1", "@Bea look", vec![bea.id]),
        )
    };
    let first = send().await.unwrap();
    assert!(!first.value.duplicate);
    match first.events.as_slice() {
        [Event::Notify {
            agent_id,
            notification,
        }] => {
            assert_eq!(*agent_id, bea.id);
            assert_eq!(notification.kind, NotificationKind::Mention);
            assert_eq!(notification.text, "@Bea look");
        }
        other => panic!("unexpected events: {other:?}"),
    }

    let again = send().await.unwrap();
    assert!(again.value.duplicate);
    assert_eq!(again.value.seq, first.value.seq);
    assert_eq!(again.value.message_id, first.value.message_id);
    assert!(
        again.events.is_empty(),
        "a retry notified again: {:?}",
        again.events
    );
}

#[tokio::test]
async fn a_refused_command_writes_nothing_and_returns_no_events() {
    let desk = Desk::new().await;
    let ada = desk.agent("Ada", Role::Agent).await;
    let cy = desk.agent("Cy", Role::Agent).await;
    let (_, visitor) = desk.visitor().await;
    // Ada is the only one online when it comes in.
    desk.store()
        .set_agent_status(cy.id, AgentStatus::Offline)
        .await
        .unwrap();
    let c = conversations::open(&desk.app, &visitor, NewConversation::default())
        .await
        .unwrap()
        .value;
    assert_eq!(c.assignee_id, Some(ada.id));
    let head = desk
        .store()
        .conversation(desk.ws, c.id)
        .await
        .unwrap()
        .unwrap()
        .last_seq;

    // Cy may not resolve Ada's conversation, nor hand it on.
    let resolve = UpdateConversation {
        status: Some(ConversationStatus::Resolved),
        ..Default::default()
    };
    let err = triage::update(&desk.app, &cy, &c, resolve)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    let to_self = Transfer {
        agent_id: Some(cy.id),
        team_id: None,
        note: Some("mine now".to_owned()),
    };
    let err = triage::transfer(&desk.app, &cy, &c, to_self)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    // A mention of someone who cannot see the inbox refuses the note before it is stored.
    let outsider = desk.agent("Dee", Role::Agent).await;
    desk.store()
        .update_agent(
            desk.ws,
            outsider.id,
            AgentChanges {
                inbox_ids: Some(Vec::new()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let err = chat::send_message(
        &desk.app,
        &as_caller(&ada),
        &c,
        note("n-2", "secret", vec![outsider.id]),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationFailed);

    let after = desk
        .store()
        .conversation(desk.ws, c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.last_seq, head, "a refused command wrote a line");
    assert_eq!(after.status, ConversationStatus::Open);
    assert_eq!(after.assignee_id, Some(ada.id));
}

#[tokio::test]
async fn a_transfer_to_a_team_returns_update_routing_drain_and_notices_in_that_order() {
    let desk = Desk::new().await;
    let boss = desk.agent("Boss", Role::Supervisor).await;
    let ada = desk.agent("Ada", Role::Agent).await;
    let bo = desk.agent("Bo", Role::Agent).await;
    let (_, visitor) = desk.visitor().await;
    let c = conversations::open(&desk.app, &visitor, NewConversation::default())
        .await
        .unwrap()
        .value;
    let team = desk
        .store()
        .create_team(
            desk.ws,
            &DisplayName::parse("Billing").unwrap(),
            &[ada.id, bo.id, boss.id],
        )
        .await
        .unwrap();

    let req = Transfer {
        agent_id: None,
        team_id: Some(team.id),
        note: Some("refund question".to_owned()),
    };
    let done = triage::transfer(&desk.app, &boss, &c, req).await.unwrap();
    assert_eq!(done.value.team_id, Some(team.id));
    let kinds: Vec<&str> = done
        .events
        .iter()
        .map(|e| match e {
            Event::ConversationUpdated(_) => "updated",
            Event::Routed(_) => "routed",
            Event::QueueMayMove { .. } => "drain",
            Event::Notify { .. } => "notify",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["updated", "routed", "drain", "notify", "notify"]);
    // The members are told, not the supervisor who made the transfer.
    let told: Vec<Uuid> = done
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Notify {
                agent_id,
                notification,
            } => {
                assert_eq!(notification.kind, NotificationKind::Transfer);
                assert!(notification.text.ends_with("refund question"));
                Some(*agent_id)
            }
            _ => None,
        })
        .collect();
    assert_eq!(told, [ada.id, bo.id]);
    // The transfer's line and its note were written with the change.
    let lines = desk
        .store()
        .messages_after(c.id, 0, 20, Audience::Agent)
        .await
        .unwrap();
    assert!(lines
        .iter()
        .any(|m| matches!(m.event, Some(TimelineEvent::Transferred { .. }))));
    assert!(lines.iter().any(|m| m.body == "refund question"));
}

#[tokio::test]
async fn changing_what_an_agent_may_see_tells_their_sockets_and_offboarding_requeues_with_lines() {
    let desk = Desk::new().await;
    let admin = desk.agent("Root", Role::Admin).await;
    let ada = desk.agent("Ada", Role::Supervisor).await;
    let admin_caller = as_caller(&admin);
    // Only Ada can take chats.
    desk.store()
        .set_agent_status(admin.id, AgentStatus::Offline)
        .await
        .unwrap();
    let (_, visitor) = desk.visitor().await;
    let c = conversations::open(&desk.app, &visitor, NewConversation::default())
        .await
        .unwrap()
        .value;
    assert_eq!(c.assignee_id, Some(ada.id));

    // A demotion is an access change for Ada's sockets, then her entry is shown anew.
    let demote = UpdateAgent {
        role: Some(Role::Agent),
        ..Default::default()
    };
    let done = livedesk_app::agents::update(&desk.app, &admin_caller, ada.id, demote)
        .await
        .unwrap();
    assert!(matches!(
        done.events.as_slice(),
        [Event::AccessChanged { agent_id }, Event::AgentChanged { .. }, Event::QueueMayMove { .. }]
            if *agent_id == ada.id
    ));
    // Ada may not demote herself back, nor anyone else.
    let err = livedesk_app::agents::update(
        &desk.app,
        &as_caller(&ada),
        admin.id,
        UpdateAgent::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);

    // Deactivating her returns her conversation to the queue with its line.
    let off = UpdateAgent {
        active: Some(false),
        ..Default::default()
    };
    let done = livedesk_app::agents::update(&desk.app, &admin_caller, ada.id, off)
        .await
        .unwrap();
    assert!(done
        .events
        .iter()
        .any(|e| matches!(e, Event::AccessChanged { agent_id } if *agent_id == ada.id)));
    assert!(done.events.iter().any(
        |e| matches!(e, Event::ConversationUpdated(u) if u.id == c.id && u.assignee_id.is_none())
    ));
    let last = desk
        .store()
        .messages_before(c.id, i64::MAX, 1, Audience::Agent)
        .await
        .unwrap();
    assert_eq!(
        last[0].event,
        Some(TimelineEvent::Requeued {
            reason: RequeueReason::AgentDeactivated
        })
    );

    // Taking Ada out of the inbox's members tells her sockets too.
    let members = UpdateInbox {
        member_ids: Some(vec![admin.id]),
        ..Default::default()
    };
    let done = livedesk_app::inboxes::update(&desk.app, &admin_caller, desk.inbox.id, members)
        .await
        .unwrap();
    assert_eq!(done.value.member_ids, [admin.id]);
    let told: Vec<Uuid> = done
        .events
        .iter()
        .filter_map(|e| match e {
            Event::AccessChanged { agent_id } => Some(*agent_id),
            _ => None,
        })
        .collect();
    assert_eq!(told, [ada.id], "only whoever joined or left");
}

#[tokio::test]
async fn a_teams_new_members_let_its_queue_move_and_labels_are_checked_once_for_both_uses() {
    let desk = Desk::new().await;
    let admin = as_caller(&desk.agent("Root", Role::Admin).await);
    let ada = desk.agent("Ada", Role::Agent).await;
    let team = livedesk_app::workspace::create_team(
        &desk.app,
        &admin,
        TeamChanges {
            name: Some("Billing".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(team.events.is_empty());
    let renamed = livedesk_app::workspace::update_team(
        &desk.app,
        &admin,
        team.value.id,
        TeamChanges {
            name: Some("Invoices".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(renamed.events.is_empty(), "a new name moves nobody's queue");
    let joined = livedesk_app::workspace::update_team(
        &desk.app,
        &admin,
        team.value.id,
        TeamChanges {
            member_ids: Some(vec![ada.id]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(joined.value.member_ids, [ada.id]);
    assert!(matches!(
        joined.events.as_slice(),
        [Event::QueueMayMove { workspace_id }] if *workspace_id == desk.ws
    ));
    // Agents may not change teams.
    let err = livedesk_app::workspace::delete_team(&desk.app, &as_caller(&ada), team.value.id)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);

    // One rule for a label's name, whether it is created or put on a conversation.
    let bad = NewLabel {
        name: "say \"hi\"".into(),
        color: None,
    };
    let err = livedesk_app::workspace::create_label(&desk.app, &admin, bad)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationFailed);
    let (_, visitor) = desk.visitor().await;
    let c = conversations::open(&desk.app, &visitor, NewConversation::default())
        .await
        .unwrap()
        .value;
    let label = UpdateConversation {
        labels: Some(vec!["say \"hi\"".into()]),
        ..Default::default()
    };
    let Caller::Agent { agent, .. } = &admin else {
        unreachable!()
    };
    let err = triage::update(&desk.app, agent, &c, label)
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        "a label is 1–40 characters without quotes, backslashes or control characters"
    );
    let good = NewLabel {
        name: "  VIP ".into(),
        color: Some("#ABCDEF".into()),
    };
    let made = livedesk_app::workspace::create_label(&desk.app, &admin, good)
        .await
        .unwrap()
        .value;
    assert_eq!(
        (made.name.as_str(), made.color.as_str()),
        ("VIP", "#abcdef")
    );
}

#[tokio::test]
async fn a_new_visitor_is_stored_with_their_browser_and_edits_their_own_details() {
    use livedesk_app::visitors::{self, OwnDetails};
    let desk = Desk::new().await;
    let long_browser = "Mozilla/5.0 ".repeat(100);
    let contact = visitors::start_session(
        &desk.app,
        &desk.inbox,
        b"a token hash",
        FAR_FUTURE,
        Some(&long_browser),
    )
    .await
    .unwrap();
    let (browser, _) = desk
        .store()
        .contact_device(desk.ws, contact.id)
        .await
        .unwrap();
    assert_eq!(
        browser.map(|b| b.chars().count()),
        Some(400),
        "the browser is kept with the new contact, clipped"
    );
    let session = desk
        .store()
        .visitor_session(b"a token hash", 0)
        .await
        .unwrap()
        .expect("the session is stored with the contact");
    assert_eq!(session.contact_id, contact.id);

    let caller = Caller::Visitor(session);
    let mut attributes = serde_json::Map::new();
    attributes.insert("plan".into(), "pro".into());
    let details = OwnDetails {
        name: Some("Ada".into()),
        email: Some("ada@example.com".into()),
        attributes: Some(attributes),
    };
    let done = visitors::update_details(&desk.app, &caller, details)
        .await
        .unwrap();
    assert_eq!(done.value.name.as_deref(), Some("Ada"));
    assert_eq!(done.value.attributes.get("plan"), Some(&"pro".into()));
    assert!(
        matches!(done.events.as_slice(), [Event::ContactUpdated(c)] if c.id == contact.id),
        "{:?}",
        done.events
    );

    let bad = OwnDetails {
        email: Some("not an address".into()),
        ..Default::default()
    };
    let err = visitors::update_details(&desk.app, &caller, bad)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationFailed);

    let agent = desk.agent("Bob", Role::Agent).await;
    let err = visitors::update_details(&desk.app, &as_caller(&agent), OwnDetails::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden, "a visitor's own call");
}

#[tokio::test]
async fn typing_passes_a_visitors_draft_clipped_and_never_an_agents() {
    let desk = Desk::new().await;
    let (contact, visitor) = desk.visitor().await;
    let agent = desk.agent("Bob", Role::Agent).await;
    let opened = conversations::open(
        &desk.app,
        &visitor,
        NewConversation {
            contact_id: Some(contact.id),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let conversation = opened.value;
    let draft_of = |done: livedesk_app::Done<()>| match done.events.as_slice() {
        [Event::Typing { draft, .. }] => draft.clone(),
        other => panic!("one typing event, got {other:?}"),
    };
    let long = "x".repeat(5000);
    let seen = draft_of(chat::typing(
        &visitor,
        &conversation,
        true,
        Some(long.clone()),
    ));
    assert_eq!(seen.map(|d| d.len()), Some(2000));
    assert_eq!(
        draft_of(chat::typing(
            &visitor,
            &conversation,
            false,
            Some(long.clone())
        )),
        None,
        "no draft once the visitor stopped"
    );
    assert_eq!(
        draft_of(chat::typing(
            &as_caller(&agent),
            &conversation,
            true,
            Some(long)
        )),
        None,
        "an agent's draft is never passed on"
    );
}
