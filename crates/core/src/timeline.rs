//! What a change to a conversation writes in its timeline, decided from the conversation
//! before and after the change: one pure function, so every path that changes a
//! conversation (and the store, inside the change's transaction) records the same lines.

use livedesk_protocol::model::{AgentRef, Conversation, TeamRef, TimelineEvent};

/// The timeline lines of an agent's change from `before` to `after`. `assignee` and `team`
/// name `after`'s assignee and team (read with the change, so the names are those of the
/// moment); a line about them is written only when they changed.
pub fn changes(
    by: &AgentRef,
    before: &Conversation,
    after: &Conversation,
    assignee: Option<AgentRef>,
    team: Option<TeamRef>,
) -> Vec<TimelineEvent> {
    let mut lines = Vec::new();
    if after.assignee_id != before.assignee_id {
        lines.push(match (after.assignee_id, assignee) {
            (Some(id), _) if id == by.id && before.assignee_id.is_some() => {
                TimelineEvent::TookOver { by: by.clone() }
            }
            (Some(id), _) if id == by.id => TimelineEvent::Took { by: by.clone() },
            (Some(id), named) => TimelineEvent::Assigned {
                by: Some(by.clone()),
                to: named.unwrap_or(AgentRef {
                    id,
                    name: String::new(),
                }),
            },
            (None, _) => TimelineEvent::Unassigned { by: by.clone() },
        });
    }
    if after.team_id != before.team_id {
        lines.push(TimelineEvent::TeamChanged {
            by: by.clone(),
            team: after.team_id.map(|id| {
                team.filter(|t| t.id == id).unwrap_or(TeamRef {
                    id,
                    name: String::new(),
                })
            }),
        });
    }
    if after.status != before.status {
        lines.push(TimelineEvent::StatusChanged {
            by: Some(by.clone()),
            status: after.status,
        });
    }
    if after.priority != before.priority {
        lines.push(TimelineEvent::PriorityChanged {
            by: by.clone(),
            priority: after.priority,
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use livedesk_protocol::model::{ConversationStatus, Priority};
    use uuid::Uuid;

    fn conversation() -> Conversation {
        let minimal = serde_json::json!({
            "id": Uuid::nil(), "workspace_id": Uuid::nil(), "inbox_id": Uuid::nil(),
            "contact_id": Uuid::nil(), "status": "open", "last_seq": 0,
            "created_at": 0, "updated_at": 0
        });
        match serde_json::from_value(minimal) {
            Ok(c) => c,
            Err(e) => panic!("a minimal conversation: {e}"),
        }
    }

    fn agent(name: &str) -> AgentRef {
        AgentRef {
            id: Uuid::now_v7(),
            name: name.into(),
        }
    }

    #[test]
    fn each_changed_field_is_one_line_in_a_fixed_order() {
        let ann = agent("Ann");
        let bob = agent("Bob");
        let before = conversation();
        let mut after = before.clone();
        after.assignee_id = Some(bob.id);
        after.status = ConversationStatus::Pending;
        after.priority = Priority::High;
        let lines = changes(&ann, &before, &after, Some(bob.clone()), None);
        assert_eq!(
            lines,
            vec![
                TimelineEvent::Assigned {
                    by: Some(ann.clone()),
                    to: bob
                },
                TimelineEvent::StatusChanged {
                    by: Some(ann.clone()),
                    status: ConversationStatus::Pending
                },
                TimelineEvent::PriorityChanged {
                    by: ann,
                    priority: Priority::High
                },
            ]
        );
        assert!(changes(&agent("Cy"), &before, &before, None, None).is_empty());
    }

    #[test]
    fn taking_and_taking_over_are_told_apart() {
        let ann = agent("Ann");
        let bob = agent("Bob");
        let free = conversation();
        let mut mine = free.clone();
        mine.assignee_id = Some(ann.id);
        let mut bobs = free.clone();
        bobs.assignee_id = Some(bob.id);
        assert_eq!(
            changes(&ann, &free, &mine, Some(ann.clone()), None),
            vec![TimelineEvent::Took { by: ann.clone() }]
        );
        assert_eq!(
            changes(&ann, &bobs, &mine, Some(ann.clone()), None),
            vec![TimelineEvent::TookOver { by: ann.clone() }]
        );
        assert_eq!(
            changes(&ann, &mine, &free, None, None),
            vec![TimelineEvent::Unassigned { by: ann.clone() }]
        );
        assert_eq!(
            TimelineEvent::TookOver { by: ann }.describe(),
            "Ann took over this conversation"
        );
    }
}
