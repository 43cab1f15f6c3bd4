//! The throw-away PostgreSQL databases of `livedesk_store::testing`: each is gone after its
//! test, also one that panicked with connections still open, and under CI a missing
//! `LIVEDESK_TEST_POSTGRES_URL` fails the PostgreSQL tests instead of skipping them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use livedesk_store::testing::{
    fresh_postgres_database, postgres_url, KEEP_DATABASES_VAR, POSTGRES_URL_VAR,
};
use sqlx::{Connection as _, PgConnection};

async fn exists(admin_url: &str, name: &str) -> bool {
    let mut conn = PgConnection::connect(admin_url).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    n == 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_database_is_dropped_when_its_test_panics_with_connections_open() {
    let Some(admin_url) = postgres_url() else {
        return;
    };
    if std::env::var_os(KEEP_DATABASES_VAR).is_some_and(|v| !v.is_empty()) {
        return;
    }
    let database = fresh_postgres_database(&admin_url).await.unwrap();
    let name = database.name().to_owned();
    assert!(exists(&admin_url, &name).await);
    let mut open = PgConnection::connect(database.url()).await.unwrap();
    sqlx::query("CREATE TABLE t (x int)")
        .execute(&mut open)
        .await
        .unwrap();
    let outcome = tokio::spawn(async move {
        let _database = database;
        panic!("a failing test");
    })
    .await;
    assert!(outcome.unwrap_err().is_panic());
    assert!(
        !exists(&admin_url, &name).await,
        "{name} is still there after its test"
    );
    drop(open);
}

/// What the harness printed running the test named `filter` of this binary with `CI` and
/// the PostgreSQL URL as given; and whether it passed.
fn run_self(filter: &str, ci: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([filter, "--exact", "--nocapture", "--test-threads=1"])
        .env_remove(POSTGRES_URL_VAR)
        .env_remove("CI");
    if let Some(ci) = ci {
        cmd.env("CI", ci);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn without_a_postgres_url_the_postgres_tests_skip_but_fail_under_ci() {
    let test = "a_test_database_is_dropped_when_its_test_panics_with_connections_open";
    let (passed, out) = run_self(test, None);
    assert!(passed, "{out}");
    assert!(out.contains("skipping the PostgreSQL part"), "{out}");
    let (passed, out) = run_self(test, Some(""));
    assert!(passed, "an empty CI is not CI: {out}");
    let (passed, out) = run_self(test, Some("true"));
    assert!(!passed, "{out}");
    assert!(
        out.contains("LIVEDESK_TEST_POSTGRES_URL is not set, but CI is"),
        "{out}"
    );
}
