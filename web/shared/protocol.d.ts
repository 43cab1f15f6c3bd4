// Types of the `/ws/v1` and `/api/v1` wire format as browser clients see it (see
// crates/protocol). Type-only: browsers never download this file.

export type AuthorKind = 'contact' | 'agent' | 'bot' | 'system';

export interface Author {
  kind: AuthorKind;
  /** Agents' view only. */
  id?: string;
  name?: string | null;
  avatar_url?: string | null;
}

export interface AttachmentMeta {
  id: string;
  name: string;
  content_type: string;
  size: number;
}

/** A message; visitors get `client_msg_id` on their own messages only. */
export interface Message {
  id: string;
  conversation_id: string;
  seq: number;
  client_msg_id?: string | null;
  author: Author;
  kind: 'text' | 'event' | 'note';
  body: string;
  /** Unix milliseconds. */
  created_at: number;
  attachment?: AttachmentMeta | null;
  /** Timeline lines (system notes) only: what the line records, as data. */
  event?: TimelineEvent | null;
}

export interface Ref {
  id: string;
  name: string;
}

/** A timeline line as data; `by: null` where Livedesk made the change. */
export type TimelineEvent =
  | { type: 'took'; by: Ref }
  | { type: 'took_over'; by: Ref }
  | { type: 'assigned'; by: Ref | null; to: Ref }
  | { type: 'unassigned'; by: Ref }
  | { type: 'reoffered'; from: Ref; to: Ref }
  | { type: 'transferred'; by: Ref; to?: Ref; team?: Ref }
  | { type: 'team_changed'; by: Ref; team: Ref | null }
  | { type: 'status_changed'; by: Ref | null; status: 'open' | 'pending' | 'snoozed' | 'resolved' }
  | { type: 'priority_changed'; by: Ref; priority: 'none' | 'low' | 'medium' | 'high' | 'urgent' }
  | { type: 'requeued'; reason: 'agent_offline' | 'agent_deactivated' };

export interface MessagePage {
  messages: Message[];
  last_seq: number;
  has_more: boolean;
}

export interface Conversation {
  id: string;
  status: 'open' | 'pending' | 'snoozed' | 'resolved';
  last_seq: number;
  inbox_id?: string;
  created_at?: number;
}

/** A message waiting for its ack, persisted so a reload does not lose it. */
export interface OutboxEntry {
  client_msg_id: string;
  /** '' while the conversation is being created. */
  conversation_id: string;
  body: string;
  attachment_id?: string;
  attachment?: AttachmentMeta;
  created_at: number;
}

export interface Ack {
  conversation_id: string;
  client_msg_id: string;
  message_id: string;
  seq: number;
  duplicate: boolean;
}

export interface Receipt {
  conversation_id: string;
  side: 'agent' | 'contact';
  status: 'delivered' | 'read';
  seq: number;
}

export interface PageView {
  url: string;
  title: string;
  referrer: string;
  /** The browser's IANA time zone, for the agent's "local time". */
  timezone?: string;
}

export type ConnState = 'idle' | 'connecting' | 'open' | 'unauthorized' | 'stopped';

/** What {@link Client.on} can listen to. */
export interface ClientEvents {
  status: { state: ConnState; attempt: number };
  welcome: { principal: unknown; heartbeat_ms: number };
  message: { message: Message };
  ack: { entry: OutboxEntry; ack: Ack };
  /** The server refused the message for good (e.g. `body_too_long`); it left the outbox. */
  failed: { entry: OutboxEntry; code: string; message: string };
  outbox: { entries: OutboxEntry[] };
  typing: { conversation_id: string; author: Author; on: boolean; draft?: string };
  /** Waiting for an agent: `position` 1 is next; 0 means an agent has taken it. */
  queue: { conversation_id: string; position: number; estimated_wait_ms?: number };
  receipt: Receipt;
  conversation: { conversation: Conversation };
  error: { code: string; message: string };
}

export interface ClientOptions {
  /** `ws(s)://host/ws/v1` (with `?inbox=` for visitors). */
  url: string;
  /** The bearer token for `hello`; called before each connection. */
  token: () => string | Promise<string>;
  /** `GET …/messages?after_seq=` for gap fills. */
  fetchAfter: (conversationId: string, afterSeq: number) => Promise<MessagePage>;
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  /** The storage key of the outbox; without it the outbox lives in memory. */
  outboxKey?: string;
  WebSocket?: typeof WebSocket;
}
