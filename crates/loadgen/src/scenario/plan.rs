//! Who connects in a run: the members of each room, built from the fixture (Livedesk) or
//! made up on the spot (floor rooms need no accounts).

use futures_util::stream::{self, StreamExt as _, TryStreamExt as _};

use crate::api::Api;
use crate::client::{Member, Role};
use crate::error::{LoadError, Result};
use crate::fixture::Fixture;
use crate::setup::RoomSize;

/// The members of a run and, per room, the indices of its members (Livedesk: the visitor
/// first, then the agents).
#[derive(Debug, Default)]
pub struct Plan {
    pub members: Vec<Member>,
    pub rooms: Vec<Vec<u32>>,
}

impl Plan {
    fn push(&mut self, room: usize, mut member: Member) {
        member.index = self.members.len() as u32;
        member.room = room as u32;
        if self.rooms.len() <= room {
            self.rooms.resize(room + 1, Vec::new());
        }
        self.rooms[room].push(member.index);
        self.members.push(member);
    }

    /// Sizes as `10` or `2-4`.
    pub fn room_size_label(&self) -> String {
        let min = self.rooms.iter().map(Vec::len).min().unwrap_or(0);
        let max = self.rooms.iter().map(Vec::len).max().unwrap_or(0);
        if min == max {
            min.to_string()
        } else {
            format!("{min}-{max}")
        }
    }
}

fn blank(role: Role) -> Member {
    Member {
        index: 0,
        room: 0,
        role,
        token: None,
        conversation: None,
        room_name: String::new(),
        expects: Vec::new(),
        own_stream: 0,
    }
}

/// Each conversation's `last_seq` now: receivers expect what comes after it.
async fn bases(api: &Api, fixture: &Fixture, rooms: usize) -> Result<Vec<i64>> {
    stream::iter(fixture.rooms.iter().take(rooms))
        .map(|room| async move {
            api.conversation(&room.visitor.token, room.conversation_id)
                .await
                .map(|c| c.last_seq)
                .map_err(|e| LoadError::Fixture(e.to_string()))
        })
        .buffered(16)
        .try_collect()
        .await
}

/// Livedesk rooms: per room the visitor and `size - 1` agent sockets (agent accounts reused
/// in turn when there are fewer), all following the room's conversation.
pub async fn livedesk_rooms(
    api: &Api,
    fixture: &Fixture,
    rooms: Option<usize>,
    size: Option<RoomSize>,
) -> Result<Plan> {
    let n = rooms
        .unwrap_or(fixture.rooms.len())
        .min(fixture.rooms.len());
    if n == 0 {
        return Err(LoadError::usage("the fixture has no rooms"));
    }
    let bases = bases(api, fixture, n).await?;
    let mut plan = Plan::default();
    for (i, (room, base)) in fixture.rooms.iter().zip(bases).enumerate() {
        let size = size.map(|s| s.of_room(i)).unwrap_or(room.size).max(1);
        let stream = i as u64;
        let mut add = |role: Role, token: &str| {
            let mut m = blank(role);
            m.token = Some(token.to_owned());
            m.conversation = Some(room.conversation_id);
            m.expects = vec![(stream, base)];
            m.own_stream = stream;
            plan.push(i, m);
        };
        add(Role::Visitor, &room.visitor.token);
        for a in 0..size - 1 {
            let agent = room
                .agents
                .get(a % room.agents.len().max(1))
                .ok_or_else(|| LoadError::Fixture(format!("room {i} has no signed-in agent")))?;
            add(Role::Agent, &agent.token);
        }
    }
    Ok(plan)
}

/// Floor rooms of `size`: every member expects every member's stream (its own included).
pub fn floor_rooms(rooms: usize, size: RoomSize) -> Plan {
    let mut plan = Plan::default();
    for r in 0..rooms {
        for _ in 0..size.of_room(r) {
            let mut m = blank(Role::Member);
            m.room_name = format!("room{r}");
            plan.push(r, m);
        }
    }
    let rooms = plan.rooms.clone();
    for room in &rooms {
        for &i in room {
            let m = &mut plan.members[i as usize];
            m.own_stream = u64::from(i);
            m.expects = room.iter().map(|&s| (u64::from(s), 0)).collect();
        }
    }
    plan
}

/// Idle sockets. Livedesk: visitor tokens (the fixture's idle visitors, then its rooms'
/// visitors), reused in turn; floor: members of rooms of 10.
pub fn idle(fixture: Option<&Fixture>, clients: usize) -> Result<Plan> {
    let mut plan = Plan::default();
    let Some(fixture) = fixture else {
        for i in 0..clients {
            let mut m = blank(Role::Member);
            m.room_name = format!("idle{}", i / 10);
            plan.push(0, m);
        }
        return Ok(plan);
    };
    let tokens: Vec<&str> = fixture
        .idle_visitors
        .iter()
        .map(String::as_str)
        .chain(fixture.rooms.iter().map(|r| r.visitor.token.as_str()))
        .collect();
    if tokens.is_empty() {
        return Err(LoadError::usage("the fixture has no visitors"));
    }
    for i in 0..clients {
        let mut m = blank(Role::Visitor);
        m.token = Some(tokens[i % tokens.len()].to_owned());
        plan.push(0, m);
    }
    Ok(plan)
}

/// Persist senders: visitor sockets, sender `i` in room `i mod rooms`.
pub async fn senders(api: &Api, fixture: &Fixture, senders: usize) -> Result<Plan> {
    let n = senders.min(fixture.rooms.len()).max(1);
    let bases = bases(api, fixture, n).await?;
    let mut plan = Plan::default();
    for i in 0..senders.max(1) {
        let r = i % n;
        let room = &fixture.rooms[r];
        let mut m = blank(Role::Visitor);
        m.token = Some(room.visitor.token.clone());
        m.conversation = Some(room.conversation_id);
        m.expects = vec![(r as u64, bases[r])];
        m.own_stream = r as u64;
        plan.push(r, m);
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_members_expect_every_stream_of_their_room_only() {
        let plan = floor_rooms(2, RoomSize { min: 3, max: 3 });
        assert_eq!(plan.members.len(), 6);
        assert_eq!(plan.rooms, vec![vec![0, 1, 2], vec![3, 4, 5]]);
        let m = &plan.members[4];
        assert_eq!(m.room_name, "room1");
        assert_eq!(m.own_stream, 4);
        let streams: Vec<u64> = m.expects.iter().map(|e| e.0).collect();
        assert_eq!(streams, [3, 4, 5]);
        assert_eq!(plan.room_size_label(), "3");
        let mixed = floor_rooms(3, RoomSize { min: 2, max: 4 });
        assert_eq!(mixed.members.len(), 9);
        assert_eq!(mixed.room_size_label(), "2-4");
    }

    #[test]
    fn idle_floor_sockets_need_no_fixture() {
        let plan = idle(None, 25);
        assert!(plan.is_ok_and(|p| p.members.len() == 25 && p.members[24].room_name == "idle2"));
    }
}
