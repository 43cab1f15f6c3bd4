//! One typed configuration: defaults, then an optional TOML file, then `LIVEDESK_*`
//! environment variables (`LIVEDESK_LIMITS__LOGIN=5/min` for nested keys). Validated once,
//! at start, with errors that name the key.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use livedesk_store::SqliteSynchronous;
use serde::{Deserialize, Serialize};

/// The documented example printed by `livedesk config default`.
pub const DEFAULT_TOML: &str = include_str!("../livedesk.example.toml");

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub listen: SocketAddr,
    /// When set, `/metrics` is served on this address only (plain HTTP), not on `listen`.
    pub metrics_listen: Option<SocketAddr>,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub database_max_connections: u32,
    pub sqlite_synchronous: SqliteSynchronous,
    pub public_url: Option<String>,
    pub log_format: LogFormat,
    pub log_level: String,
    pub trusted_proxies: Vec<IpAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_reload_secs: u64,
    pub shutdown_grace_secs: u64,
    pub limits: Limits,
    pub sessions: Sessions,
    pub routing: Routing,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// An agent whose every console has been closed this long is set offline.
    pub offline_grace_secs: u64,
    /// How often unanswered assignments are checked for re-offering.
    pub reoffer_check_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub max_frame_bytes: usize,
    pub max_message_chars: usize,
    pub max_request_bytes: usize,
    pub max_attachment_bytes: usize,
    pub attachment_types: Vec<String>,
    pub ws_queue: usize,
    pub replay_limit: u32,
    pub heartbeat_secs: u64,
    pub hello_timeout_secs: u64,
    /// A write to a socket (a frame, a ping, the close frame) that has not gone out after
    /// this long closes the socket as slow: a peer that stops reading cannot hold it open.
    pub write_timeout_secs: u64,
    pub login: Rate,
    /// Failed sign-ins per account (e-mail), from any address.
    pub login_account: Rate,
    pub widget_sessions: Rate,
    /// Messages (and page views) per sender, across all their sockets and REST.
    pub messages: Rate,
    /// Conversations opened per sender (visitor or agent).
    pub conversations: Rate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sessions {
    pub agent_ttl_hours: u64,
    pub visitor_ttl_days: u64,
}

/// A rate like `"10/min"`: a burst of 10, refilled evenly over a minute.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

impl TryFrom<String> for Rate {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        let bad = || format!("'{raw}' is not a rate like 10/s, 30/10s, 10/min or 100/h");
        let (count, unit) = raw.split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let unit = unit.trim();
        let digits = unit.chars().take_while(char::is_ascii_digit).count();
        let times: u64 = if digits == 0 {
            1
        } else {
            unit[..digits].parse().map_err(|_| bad())?
        };
        let seconds = match &unit[digits..] {
            "s" | "sec" | "second" => 1,
            "min" | "minute" => 60,
            "h" | "hour" => 3600,
            _ => return Err(bad()),
        };
        let per = Duration::from_secs(seconds * times);
        if count == 0 || per.is_zero() {
            return Err(bad());
        }
        Ok(Self { count, per })
    }
}

impl From<Rate> for String {
    fn from(r: Rate) -> String {
        match r.per.as_secs() {
            1 => format!("{}/s", r.count),
            60 => format!("{}/min", r.count),
            3600 => format!("{}/h", r.count),
            secs => format!("{}/{secs}s", r.count),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            metrics_listen: None,
            data_dir: PathBuf::from("./livedesk-data"),
            database_url: None,
            database_max_connections: 8,
            sqlite_synchronous: SqliteSynchronous::Full,
            public_url: None,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            trusted_proxies: Vec::new(),
            tls_cert: None,
            tls_key: None,
            tls_reload_secs: 60,
            shutdown_grace_secs: 10,
            limits: Limits {
                max_frame_bytes: 64 * 1024,
                max_message_chars: 10_000,
                max_request_bytes: 256 * 1024,
                max_attachment_bytes: 10 * 1024 * 1024,
                attachment_types: [
                    "image/png",
                    "image/jpeg",
                    "image/gif",
                    "image/webp",
                    "application/pdf",
                    "text/plain",
                ]
                .map(String::from)
                .to_vec(),
                ws_queue: 512,
                replay_limit: 1000,
                heartbeat_secs: 25,
                hello_timeout_secs: 10,
                write_timeout_secs: 10,
                login: Rate {
                    count: 10,
                    per: Duration::from_secs(60),
                },
                login_account: Rate {
                    count: 10,
                    per: Duration::from_secs(15 * 60),
                },
                widget_sessions: Rate {
                    count: 30,
                    per: Duration::from_secs(60),
                },
                messages: Rate {
                    count: 30,
                    per: Duration::from_secs(10),
                },
                conversations: Rate {
                    count: 20,
                    per: Duration::from_secs(60),
                },
            },
            sessions: Sessions {
                agent_ttl_hours: 24 * 30,
                visitor_ttl_days: 180,
            },
            routing: Routing {
                offline_grace_secs: 60,
                reoffer_check_secs: 5,
            },
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("metrics_listen", &self.metrics_listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("public_url", &self.public_url)
            .field("tls_cert", &self.tls_cert)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Defaults, then `file` (if any), then `LIVEDESK_*` variables; then validated.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(
            Env::prefixed("LIVEDESK_")
                .split("__")
                .ignore(&["config"])
                // LIVEDESK_TEST_* is reserved for the test suites (e.g. the PostgreSQL URL).
                .filter(|k| !k.as_str().to_ascii_lowercase().starts_with("test_"))
                .map(|k| k.as_str().to_ascii_lowercase().into()),
        );
        let config: Config = figment.extract().map_err(|e| {
            let mut msg = String::new();
            for err in e {
                if !msg.is_empty() {
                    msg.push_str("; ");
                }
                let key = err.path.join(".");
                if key.is_empty() {
                    msg.push_str(&err.kind.to_string());
                } else {
                    msg.push_str(&format!("key `{key}`: {}", err.kind));
                }
            }
            ConfigError(msg)
        })?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &str, why: &str| Err(ConfigError(format!("key `{key}`: {why}")));
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return err("tls_cert", "tls_cert and tls_key must be set together");
        }
        if let Some(url) = &self.database_url {
            let known = ["postgres://", "postgresql://", "sqlite://"];
            if !known.iter().any(|p| url.starts_with(p)) {
                return err(
                    "database_url",
                    "must start with postgres://, postgresql:// or sqlite://",
                );
            }
        }
        if let Some(url) = &self.public_url {
            if livedesk_core::values::WebOrigin::parse(url).is_err() {
                return err(
                    "public_url",
                    "must be an origin like https://chat.example.com (no path)",
                );
            }
        }
        let l = &self.limits;
        if !(1024..=16 * 1024 * 1024).contains(&l.max_frame_bytes) {
            return err(
                "limits.max_frame_bytes",
                "must be between 1024 and 16777216",
            );
        }
        // A body of max_message_chars characters (up to 4 bytes each, JSON-escaped at worst
        // to 6 bytes for control characters; 4 is the common worst case) must fit in a frame
        // and in a request, with room for the rest of the frame.
        let smallest = l.max_frame_bytes.min(l.max_request_bytes);
        if l.max_message_chars == 0
            || l.max_message_chars.saturating_mul(4).saturating_add(512) > smallest
        {
            return err(
                "limits.max_message_chars",
                "must be positive, and 4 bytes per character plus 512 must fit in max_frame_bytes and max_request_bytes",
            );
        }
        if l.max_attachment_bytes == 0 {
            return err("limits.max_attachment_bytes", "must be positive");
        }
        if l.ws_queue < 16 {
            return err("limits.ws_queue", "must be at least 16");
        }
        if l.replay_limit == 0
            || l.heartbeat_secs == 0
            || l.hello_timeout_secs == 0
            || l.write_timeout_secs == 0
        {
            return err(
                "limits",
                "replay_limit, heartbeat_secs, hello_timeout_secs and write_timeout_secs must be positive",
            );
        }
        if self.sessions.agent_ttl_hours == 0 || self.sessions.visitor_ttl_days == 0 {
            return err("sessions", "lifetimes must be positive");
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log_level).is_err() {
            return err(
                "log_level",
                "is not a valid filter (e.g. info, or livedesk=debug,info)",
            );
        }
        Ok(())
    }

    pub fn store_config(&self) -> livedesk_store::StoreConfig {
        livedesk_store::StoreConfig {
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            sqlite_synchronous: self.sqlite_synchronous,
            max_connections: self.database_max_connections,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses_and_matches_the_defaults() {
        let from_file: Result<Config, _> = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(DEFAULT_TOML))
            .extract();
        let from_file = from_file.map_err(|e| e.to_string());
        assert!(from_file.is_ok(), "{from_file:?}");
        let a = serde_json::to_value(from_file.ok()).unwrap_or_default();
        let b = serde_json::to_value(Some(Config::default())).unwrap_or_default();
        assert_eq!(a, b);
    }

    #[test]
    fn the_configuration_doc_shows_the_example_as_it_is() {
        let doc = include_str!("../../../docs/configuration.md");
        assert!(
            doc.contains(DEFAULT_TOML),
            "docs/configuration.md is out of date: paste livedesk.example.toml"
        );
    }

    #[test]
    fn rates_parse_and_refuse_nonsense() {
        assert_eq!(
            Rate::try_from("5/min".to_owned()),
            Ok(Rate {
                count: 5,
                per: Duration::from_secs(60)
            })
        );
        assert_eq!(
            Rate::try_from("30/10s".to_owned()).map(String::from),
            Ok("30/10s".to_owned())
        );
        for bad in ["5", "0/s", "x/s", "5/week", "5/0s"] {
            assert!(Rate::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        let c = Config {
            database_url: Some("postgres://u:secret@h/db".into()),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("secret"));
    }
}
