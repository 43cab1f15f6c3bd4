//! Throw-away PostgreSQL databases for tests.
//!
//! Tests that need PostgreSQL read `LIVEDESK_TEST_POSTGRES_URL` (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`); each gets a database of its own, created
//! through that URL and dropped when its [`TestDatabase`] is dropped, also when the test
//! panics. Without the URL the PostgreSQL tests are skipped, except under CI (`CI` set), where
//! a skip would pass without testing anything, so they fail instead.

use sqlx::{Connection, PgConnection};

pub const POSTGRES_URL_VAR: &str = "LIVEDESK_TEST_POSTGRES_URL";
/// Set (non-empty) to keep every test database, for a look after a failure.
pub const KEEP_DATABASES_VAR: &str = "LIVEDESK_TEST_KEEP_DATABASES";
/// The prefix of every test database's name.
pub const DATABASE_PREFIX: &str = "livedesk_test_";

fn set(var: &str) -> bool {
    std::env::var_os(var).is_some_and(|v| !v.is_empty())
}

/// The admin URL from the environment, or `None` with the reason printed.
///
/// # Panics
/// When the URL is missing and `CI` is set: in CI the PostgreSQL tests must really run.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if set("CI") => panic!(
            "{POSTGRES_URL_VAR} is not set, but CI is: the PostgreSQL tests must run in CI \
             (set it to a server where the user may create databases, e.g. \
             postgres://postgres@127.0.0.1:5432/test)"
        ),
        _ => {
            eprintln!("skipping the PostgreSQL part: {POSTGRES_URL_VAR} is not set");
            None
        }
    }
}

/// A database of its own for one test; dropped (`WITH (FORCE)`, so connections still open
/// do not keep it) when this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// The URL to connect to it.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if set(KEEP_DATABASES_VAR) {
            eprintln!("test database kept at {}", self.url);
            return;
        }
        // Drop may run inside a runtime (or while a test unwinds): the statement runs on a
        // thread of its own with a runtime of its own, and this waits for it.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime
                .block_on(drop_database(&admin_url, &name))
                .map_err(|e| e.to_string())
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test database {}: {e}", self.name),
            Err(_) => eprintln!("could not drop test database {}", self.name),
        }
    }
}

async fn drop_database(admin_url: &str, name: &str) -> Result<(), sqlx::Error> {
    let mut conn = PgConnection::connect(admin_url).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    conn.close().await
}

/// Creates an empty database; it is dropped with the returned value.
pub async fn fresh_postgres_database(admin_url: &str) -> Result<TestDatabase, sqlx::Error> {
    let name = format!("{DATABASE_PREFIX}{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let url = database_url(admin_url, &name);
    Ok(TestDatabase {
        admin_url: admin_url.to_owned(),
        name,
        url,
    })
}

/// `admin_url` with its database replaced by `name` (query parameters kept).
fn database_url(admin_url: &str, name: &str) -> String {
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
    format!("{base}/{name}{query}")
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn the_database_name_replaces_the_admin_urls_and_keeps_its_parameters() {
        assert_eq!(
            database_url("postgres://u@h:5432/test", "d"),
            "postgres://u@h:5432/d"
        );
        assert_eq!(
            database_url("postgres://u@h/test?sslmode=disable", "d"),
            "postgres://u@h/d?sslmode=disable"
        );
        assert_eq!(database_url("postgres://u@h", "d"), "postgres://u@h/d");
    }
}
