// Types of the console's state and of the server's agent-side bodies (see /api/v1).

import type { Message, OutboxEntry, ConnState } from '../../shared/protocol.js';
export type { Message, OutboxEntry, ConnState };

export type Role = 'admin' | 'supervisor' | 'agent';
export type Presence = 'online' | 'away' | 'offline';

export interface Agent {
  id: string;
  workspace_id: string;
  email: string;
  name: string;
  role: Role;
  status?: Presence;
  capacity?: number;
  /** `false` once an admin deactivated the agent. */
  active?: boolean;
  inbox_ids?: string[];
  team_ids?: string[];
  connected?: boolean;
  open_count?: number;
}

export type RoutingPolicy = 'manual' | 'round_robin' | 'least_busy';
export interface Routing { policy: RoutingPolicy; reoffer_secs: number; reoffer_marks_away: boolean }

/** `policy` null (or absent): the team's conversations follow their inbox's routing. */
export interface Team { id: string; workspace_id?: string; name: string; member_ids: string[]; policy?: RoutingPolicy | null; created_at?: number }

export interface PrechatField { key: string; label: string; kind: 'text' | 'email'; required?: boolean }

export interface Inbox {
  id: string;
  workspace_id: string;
  name: string;
  allowed_origins: string[];
  settings: { color: string; position: string; greeting: string | null; away_message: string | null; prechat_fields: PrechatField[] };
  identity_verification: boolean;
  member_ids?: string[];
  routing?: Routing;
  created_at: number;
}

export interface Receipts { agent_delivered: number; agent_read: number; contact_delivered: number; contact_read: number }

export type Status = 'open' | 'pending' | 'snoozed' | 'resolved';
export type Priority = 'none' | 'low' | 'medium' | 'high' | 'urgent';

export interface Conversation {
  id: string;
  workspace_id: string;
  inbox_id: string;
  contact_id: string;
  status: Status;
  assignee_id: string | null;
  team_id?: string | null;
  priority?: Priority;
  labels?: string[];
  snoozed_until?: number | null;
  waiting_since?: number | null;
  /** Set while routing has it waiting for an agent (open and unassigned: it is in the queue). */
  queued_at?: number | null;
  assigned_at?: number | null;
  last_message_at?: number | null;
  last_seq: number;
  receipts: Receipts;
  created_at: number;
  updated_at: number;
}

export interface Contact {
  id: string;
  workspace_id?: string;
  inbox_id: string;
  name: string | null;
  email: string | null;
  external_id?: string | null;
  verified: boolean;
  attributes: Record<string, unknown>;
  created_at?: number;
  /** Blocked: their visitor sessions ended and are refused. */
  blocked?: boolean;
}

export interface PageView { contact_id: string; url: string; title: string | null; referrer: string | null; viewed_at: number }

export interface ContactDetail {
  contact: Contact;
  pages: PageView[];
  conversations: Conversation[];
  user_agent: string | null;
  timezone: string | null;
}

export interface LiveVisitor {
  contact_id: string;
  inbox_id: string;
  name: string | null;
  email: string | null;
  verified: boolean;
  connected_at: number;
  page: PageView | null;
  conversation_id: string | null;
}

export interface Canned { id: string; shortcut: string; title: string; body: string }
export interface Label { id: string; name: string; color?: string | null }

export interface Notice {
  id: string;
  kind: 'mention' | 'transfer' | 'assigned' | 'new_conversation' | 'message';
  conversation_id: string | null;
  by: { id: string; name: string } | null;
  text: string;
  at: number;
  read?: boolean;
}

export interface Typing { author: { kind: string; id?: string; name?: string | null }; draft: string | null; until: number }

export interface Route { name: 'conversations' | 'visitors' | 'settings' | 'setup'; id: string | null; section: string | null }

export interface ListFilter {
  view: string; // mine | unassigned | queue | all | team:<id> | inbox:<id>
  status: Status | 'all';
  label: string;
  assignee: string;
  inbox: string;
  sort: 'activity' | 'waiting';
  search: string;
}

export interface Settings {
  sound: boolean;
  desktop: boolean;
  notifyNew: boolean;
  notifyMessages: boolean;
  autoAwayMinutes: number;
}

export interface State {
  screen: 'loading' | 'login' | 'setup' | 'main';
  me: Agent | null;
  conn: ConnState;
  route: Route;
  agents: Map<string, Agent>;
  teams: Team[];
  inboxes: Inbox[];
  labels: Label[];
  canned: Canned[];
  conversations: Map<string, Conversation>;
  contacts: Map<string, Contact>;
  messages: Map<string, Message[]>;
  /** Conversations whose history has older pages. */
  hasEarlier: Map<string, boolean>;
  pending: OutboxEntry[];
  typing: Map<string, Typing>;
  visitors: Map<string, LiveVisitor>;
  notices: Notice[];
  filter: ListFilter;
  settings: Settings;
  autoAway: boolean;
  help: boolean;
  toast: string | null;
  denied: string | null;
}
