//! Throw-away PostgreSQL databases for tests.
//!
//! Tests that need PostgreSQL read `LIVEDESK_TEST_POSTGRES_URL` (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`); each gets a database of its own, created
//! through that URL.

use sqlx::{Connection, PgConnection};

pub const POSTGRES_URL_VAR: &str = "LIVEDESK_TEST_POSTGRES_URL";

/// The admin URL from the environment, or `None` with the reason printed.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skipping the PostgreSQL part: {POSTGRES_URL_VAR} is not set");
            None
        }
    }
}

/// Creates an empty database and returns its URL.
pub async fn fresh_postgres_database(admin_url: &str) -> Result<String, sqlx::Error> {
    let name = format!("livedesk_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let base = match admin_url.rfind('/') {
        Some(i) if admin_url[..i].contains("://") && i > admin_url.find("://").unwrap_or(0) + 2 => {
            &admin_url[..i]
        }
        _ => admin_url,
    };
    let (base, query) = match admin_url.split_once('?') {
        Some((_, q)) => (base.split('?').next().unwrap_or(base), format!("?{q}")),
        None => (base, String::new()),
    };
    Ok(format!("{base}/{name}{query}"))
}
