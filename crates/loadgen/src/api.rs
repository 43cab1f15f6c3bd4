//! The few `/api/v1` calls the fixture needs. Requests are plain JSON (only the fields these
//! calls need); responses are read into the protocol crate's types.

use livedesk_protocol::model::{Agent, Inbox, VisitorConversation};
use livedesk_protocol::rest::{LoginResponse, WidgetSession};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::error::{LoadError, Result};

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    /// `base` is the server's HTTP origin, e.g. `http://127.0.0.1:8080`.
    pub fn new(base: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(32)
            .build()
            .map_err(|e| LoadError::usage(format!("cannot build an HTTP client: {e}")))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<T> {
        let url = format!("{}{path}", self.base);
        let mut req = match method {
            "GET" => self.http.get(&url),
            _ => self.http.post(&url),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let fail = |reason: String| LoadError::Http {
            method,
            path: path.to_owned(),
            reason,
        };
        let res = req.send().await.map_err(|e| fail(e.to_string()))?;
        let status = res.status();
        let text = res.text().await.map_err(|e| fail(e.to_string()))?;
        if !status.is_success() {
            let hint = if status.as_u16() == 429 {
                " (raise the server's limits: LIVEDESK_LIMITS__LOGIN, __WIDGET_SESSIONS, __MESSAGES)"
            } else {
                ""
            };
            return Err(fail(format!("HTTP {status}: {text}{hint}")));
        }
        serde_json::from_str(&text).map_err(|e| fail(format!("unexpected body ({e}): {text}")))
    }

    pub async fn login(&self, email: &str, password: &str) -> Result<LoginResponse> {
        let body = json!({"email": email, "password": password});
        self.call("POST", "/api/v1/auth/login", None, Some(body))
            .await
    }

    pub async fn create_inbox(&self, admin_token: &str, name: &str) -> Result<Inbox> {
        let body = json!({"name": name, "allowed_origins": []});
        self.call("POST", "/api/v1/inboxes", Some(admin_token), Some(body))
            .await
    }

    /// An agent who works `inbox_id` (agents see only the inboxes they are members of).
    pub async fn create_agent(
        &self,
        admin_token: &str,
        email: &str,
        name: &str,
        password: &str,
        inbox_id: Uuid,
    ) -> Result<Agent> {
        let body = json!({
            "email": email, "name": name, "role": "agent", "password": password,
            "inbox_ids": [inbox_id],
        });
        self.call("POST", "/api/v1/agents", Some(admin_token), Some(body))
            .await
    }

    pub async fn widget_session(&self, inbox_id: Uuid) -> Result<WidgetSession> {
        let body = json!({"inbox_id": inbox_id});
        self.call("POST", "/api/v1/widget/sessions", None, Some(body))
            .await
    }

    pub async fn create_conversation(&self, visitor_token: &str) -> Result<VisitorConversation> {
        self.call(
            "POST",
            "/api/v1/conversations",
            Some(visitor_token),
            Some(json!({})),
        )
        .await
    }

    /// The conversation as its visitor sees it (for `last_seq` before a run).
    pub async fn conversation(&self, visitor_token: &str, id: Uuid) -> Result<VisitorConversation> {
        self.call(
            "GET",
            &format!("/api/v1/conversations/{id}"),
            Some(visitor_token),
            None,
        )
        .await
    }

    /// Whether `/readyz` answers 200.
    pub async fn ready(&self) -> bool {
        match self.http.get(format!("{}/readyz", self.base)).send().await {
            Ok(res) => res.status().is_success(),
            Err(_) => false,
        }
    }
}
