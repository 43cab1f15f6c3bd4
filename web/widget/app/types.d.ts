// Types of the widget app. Type-only: browsers never download this file.

import type { AttachmentMeta, Conversation, Message, OutboxEntry } from '../../shared/protocol.js';

export type { AttachmentMeta, Author, Conversation, Message, MessagePage, OutboxEntry } from '../../shared/protocol.js';

export interface PrechatField {
  key: string;
  label: string;
  kind: 'text' | 'email';
  required: boolean;
}

/** `GET /api/v1/widget/config/{inbox}`. */
export interface Config {
  inbox_id: string;
  name: string;
  color: string;
  position: 'left' | 'right';
  greeting: string | null;
  away_message: string | null;
  prechat_fields: PrechatField[];
  agents_online: boolean;
  identity_verification: boolean;
  max_attachment_bytes: number;
  attachment_types: string[];
}

export interface WidgetSession {
  visitor_token: string;
  contact_id: string;
  inbox_id: string;
  expires_at: number;
}

export interface Contact {
  id: string;
  name: string | null;
  email: string | null;
  verified: boolean;
  attributes: Record<string, unknown>;
}

export type Status = 'sending' | 'sent' | 'delivered' | 'read';

/** The store's state (see store.js). */
export interface State {
  config: Config;
  /** The panel is open on the host page. */
  open: boolean;
  /** The tab is visible. */
  visible: boolean;
  conn: 'idle' | 'connecting' | 'open' | 'unauthorized' | 'stopped';
  conversation: Conversation | null;
  /** The shown conversation's messages, by seq. */
  messages: Message[];
  hasEarlier: boolean;
  /** Outbox entries of the shown (or to-be-created) conversation. */
  pending: OutboxEntry[];
  /** Name of the agent typing, or null. */
  typing: string | null;
  /** How far the agents' side has received / read this conversation (seq). */
  agentDelivered: number;
  agentRead: number;
  prechat: boolean;
  email: string | null;
  error: string | null;
  upload: { name: string; progress: number } | null;
  muted: boolean;
  unread: number;
  /** The widget cannot work here (e.g. the origin is not allowed). */
  fatal: string | null;
  /** The visitor's place in the queue (from a `queue` frame), while they wait for an agent. */
  queue: { conversation_id: string; position: number; estimated_wait_ms?: number } | null;
}

/** What the views may ask of the controller (main.js). Views never touch the network. */
export interface Actions {
  send(body: string): void;
  attach(file: File): void;
  /** The composer's text changed (sent as typing with a draft, throttled). */
  typing(text: string): void;
  close(): void;
  toggleMute(): void;
  newConversation(): void;
  loadEarlier(): Promise<void>;
  submitPrechat(values: Record<string, string>): Promise<void>;
  saveEmail(email: string): Promise<void>;
  attachmentUrl(meta: AttachmentMeta): Promise<string>;
  dismissError(): void;
}

/** What a component is built from. */
export interface Ctx {
  store: import('./store.js').Store;
  actions: Actions;
}
