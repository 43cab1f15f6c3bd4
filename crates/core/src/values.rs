//! Values validated once, at the edge. After parsing, the type is the proof.

use livedesk_protocol::ErrorCode;

/// Why a value was refused, with the code the client will see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub code: ErrorCode,
    pub message: String,
}

impl Invalid {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// A message body: not blank, at most `max_chars` characters, no NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(raw: String, max_chars: usize) -> Result<Self, Invalid> {
        if raw.trim().is_empty() {
            return Err(Invalid::new(ErrorCode::BodyEmpty, "message body is empty"));
        }
        let chars = raw.chars().count();
        if chars > max_chars {
            return Err(Invalid::new(
                ErrorCode::BodyTooLong,
                format!("message body has {chars} characters; the limit is {max_chars}"),
            ));
        }
        if raw.contains('\0') {
            return Err(Invalid::new(
                ErrorCode::ValidationFailed,
                "message body contains a NUL character",
            ));
        }
        Ok(Self(raw))
    }

    /// A caption next to an attachment: may be empty, otherwise as [`MessageBody::parse`].
    pub fn caption(raw: String, max_chars: usize) -> Result<Self, Invalid> {
        if raw.trim().is_empty() {
            return Ok(Self(String::new()));
        }
        Self::parse(raw, max_chars)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The client's idempotency key for a message: 1–64 of `[A-Za-z0-9_-]` (a UUID fits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientMsgId(String);

impl ClientMsgId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: String) -> Result<Self, Invalid> {
        let ok = !raw.is_empty()
            && raw.len() <= Self::MAX_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw))
        } else {
            Err(Invalid::new(
                ErrorCode::InvalidClientMsgId,
                "client_msg_id must be 1-64 characters of A-Z, a-z, 0-9, '-' or '_'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A frame id echoed back in acks and errors: 1 to 64 characters.
pub fn frame_id(raw: Option<String>) -> Result<Option<String>, Invalid> {
    match raw {
        Some(id) if id.is_empty() || id.chars().count() > 64 => Err(Invalid::new(
            ErrorCode::InvalidRequest,
            "frame id must be 1 to 64 characters",
        )),
        other => Ok(other),
    }
}

/// An e-mail address, trimmed and lower-cased. Checked for shape only; delivery proves the rest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let email = raw.trim().to_lowercase();
        let shape_ok = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if shape_ok {
            Ok(Self(email))
        } else {
            Err(Invalid::new(
                ErrorCode::ValidationFailed,
                "email is not a valid address",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 10 to 1024 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: String) -> Result<Self, Invalid> {
        let n = raw.chars().count();
        if (10..=1024).contains(&n) {
            Ok(Self(raw))
        } else {
            Err(Invalid::new(
                ErrorCode::ValidationFailed,
                "password must be 10 to 1024 characters",
            ))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

/// A display name (agent, workspace, inbox): 1 to 120 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim();
        let n = name.chars().count();
        if (1..=120).contains(&n) && !name.chars().any(char::is_control) {
            Ok(Self(name.to_owned()))
        } else {
            Err(Invalid::new(
                ErrorCode::ValidationFailed,
                "name must be 1 to 120 characters without control characters",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A web origin, `scheme://host[:port]`, lower-cased, with no path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WebOrigin(String);

impl WebOrigin {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let origin = raw.trim().trim_end_matches('/').to_lowercase();
        let bad = || {
            Invalid::new(
                ErrorCode::ValidationFailed,
                format!(
                    "'{raw}' is not an origin like https://example.com or http://localhost:3000"
                ),
            )
        };
        let (scheme, rest) = origin.split_once("://").ok_or_else(bad)?;
        if scheme != "http" && scheme != "https" {
            return Err(bad());
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || rest.starts_with('[') => (h, Some(p)),
            _ => (rest, None),
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
        let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok());
        if host_ok && port_ok {
            Ok(Self(origin))
        } else {
            Err(bad())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn blank_bodies_are_refused_as_empty() {
        for raw in ["", " ", "\n\t "] {
            let err = MessageBody::parse(raw.into(), 10).err().map(|e| e.code);
            assert_eq!(err, Some(ErrorCode::BodyEmpty));
        }
    }

    #[test]
    fn body_limit_counts_characters_not_bytes() {
        assert!(MessageBody::parse("ééé".into(), 3).is_ok());
        let err = MessageBody::parse("éééé".into(), 3).err().map(|e| e.code);
        assert_eq!(err, Some(ErrorCode::BodyTooLong));
    }

    #[test]
    fn nul_is_refused() {
        assert!(MessageBody::parse("a\0b".into(), 10).is_err());
    }

    #[test]
    fn client_msg_ids_accept_uuids_and_refuse_odd_characters() {
        assert!(ClientMsgId::parse("0190c0de-7a3b-7c1d-9e2f-0123456789ab".into()).is_ok());
        for bad in ["", "a b", "x/y", &"a".repeat(65)] {
            assert!(ClientMsgId::parse(bad.to_string()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").map(|e| e.as_str().to_owned()),
            Ok("ada@example.com".to_owned())
        );
        for bad in ["ada", "ada@", "@x.y", "a@b", "a b@c.d", "a@@b.c"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn origins_are_normalised_and_paths_refused() {
        assert_eq!(
            WebOrigin::parse("HTTPS://Shop.Example.com/").map(|o| o.as_str().to_owned()),
            Ok("https://shop.example.com".to_owned())
        );
        assert!(WebOrigin::parse("http://localhost:3000").is_ok());
        for bad in [
            "shop.example.com",
            "ftp://x.y",
            "https://x.y/path",
            "http://x:99999",
        ] {
            assert!(WebOrigin::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn message_body_parse_never_panics(s in ".*", max in 0usize..100) {
            let _ = MessageBody::parse(s, max);
        }

        #[test]
        fn accepted_bodies_are_within_limit(s in ".{0,50}", max in 1usize..40) {
            if let Ok(body) = MessageBody::parse(s, max) {
                prop_assert!(body.as_str().chars().count() <= max);
                prop_assert!(!body.as_str().trim().is_empty());
            }
        }
    }
}
