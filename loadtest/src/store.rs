//! What the homeserver's database holds: each account the client was given, looked up through
//! [`homeserver::store::Store`] (password hash, token owner), and the whole tables read raw with
//! a read-only SQLite connection (counts, rows without their other half), since the store has
//! no listing methods.
//!
//! The store has no read-only open: [`Store::open`] opens the file read-write and creates the
//! schema if missing (a no-op on the server's file); only its read methods are called here.
//! Both work while the server runs (WAL, busy timeout).

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context as _, bail};
use homeserver::store::{BUSY_TIMEOUT, Store};
use rusqlite::{Connection, OpenFlags};

/// An account a registration answered 200 for.
#[derive(Clone, Debug)]
pub struct Account {
    pub user_id: String,
    pub access_token: String,
}

/// What the database holds.
#[derive(Debug, Default)]
pub struct Findings {
    /// Rows in `users`, `access_tokens`, and guest users.
    pub users: usize,
    pub tokens: usize,
    pub guests: usize,
    /// Non-guest users without a password hash.
    pub without_hash: usize,
    /// Token rows whose user does not exist.
    pub orphan_tokens: usize,
    /// Users without any token (every account is registered with one, and nothing logs out).
    pub users_without_token: usize,
    /// `PRAGMA integrity_check`: `ok` when sound.
    pub integrity: String,
    /// Rows reported by `PRAGMA foreign_key_check`.
    pub foreign_key_violations: usize,
    /// Every user id in the store.
    pub user_ids: HashSet<String>,
    /// Accounts found whole: the user exists, has a password hash, and the token resolves to it.
    pub found: usize,
    /// The accounts not found whole, each with why (user id: reason).
    pub missing: Vec<String>,
}

impl Findings {
    /// Rows that are half an account: users without their hash or token, tokens without user.
    pub fn half_created(&self) -> usize {
        self.without_hash + self.orphan_tokens + self.users_without_token
    }
}

/// Looks every account up through the store, then reads the tables raw.
pub fn inspect(database: &Path, server_name: &str, accounts: &[Account]) -> anyhow::Result<Findings> {
    // Store::open would create a missing file: a wrong path must fail, not find nothing.
    if !database.is_file() {
        bail!("the database {} does not exist", database.display());
    }
    let mut findings = Findings::default();
    let store =
        Store::open(database, server_name).with_context(|| format!("opening the store {}", database.display()))?;
    for account in accounts {
        match whole(&store, account)? {
            None => findings.found += 1,
            Some(why) => findings.missing.push(format!("{}: {why}", account.user_id)),
        }
    }
    drop(store);
    read_tables(database, &mut findings).with_context(|| format!("reading {}", database.display()))?;
    Ok(findings)
}

/// `None` if `account` is whole in the store, else why not.
fn whole(store: &Store, account: &Account) -> anyhow::Result<Option<&'static str>> {
    if store.password_hash(&account.user_id)?.is_none() {
        return Ok(Some("no such user, or no password hash"));
    }
    let Some(owner) = store.user_for_token(&account.access_token)? else {
        return Ok(Some("the access token is unknown"));
    };
    if owner.user_id != account.user_id {
        return Ok(Some("the access token belongs to another user"));
    }
    if owner.is_guest {
        return Ok(Some("the account is a guest"));
    }
    Ok(None)
}

/// Counts and lists the tables in one read transaction of a read-only connection.
fn read_tables(database: &Path, findings: &mut Findings) -> anyhow::Result<()> {
    let mut conn = Connection::open_with_flags(database, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let tx = conn.transaction()?;
    let count = |sql: &str| -> anyhow::Result<usize> {
        let n: i64 = tx.query_row(sql, [], |row| row.get(0))?;
        Ok(usize::try_from(n)?)
    };
    findings.users = count("SELECT count(*) FROM users")?;
    findings.tokens = count("SELECT count(*) FROM access_tokens")?;
    findings.guests = count("SELECT count(*) FROM users WHERE is_guest = 1")?;
    findings.without_hash =
        count("SELECT count(*) FROM users WHERE is_guest = 0 AND (password_hash IS NULL OR password_hash = '')")?;
    findings.orphan_tokens = count(
        "SELECT count(*) FROM access_tokens AS t
         WHERE NOT EXISTS (SELECT 1 FROM users AS u WHERE u.user_id = t.user_id)",
    )?;
    findings.users_without_token = count(
        "SELECT count(*) FROM users AS u
         WHERE NOT EXISTS (SELECT 1 FROM access_tokens AS t WHERE t.user_id = u.user_id)",
    )?;
    findings.integrity = tx.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
    {
        let mut stmt = tx.prepare("PRAGMA foreign_key_check")?;
        let mut rows = stmt.query([])?;
        while rows.next()?.is_some() {
            findings.foreign_key_violations += 1;
        }
        let mut stmt = tx.prepare("SELECT user_id FROM users")?;
        let ids = stmt.query_map([], |row| row.get::<_, String>(0))?;
        for id in ids {
            findings.user_ids.insert(id?);
        }
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = "localhost";

    #[test]
    fn whole_accounts_are_found_and_half_ones_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hs.db");
        let mut store = Store::open(&path, SERVER).unwrap();
        let alice = store.register("alice", Some("$argon2id$x"), false, None).unwrap();
        let bob = store.register("bob", Some("$argon2id$y"), false, None).unwrap();
        store.register("12345", None, true, None).unwrap();
        drop(store);
        let accounts = [
            Account {
                user_id: alice.user_id.clone(),
                access_token: alice.access_token.clone(),
            },
            Account {
                user_id: bob.user_id.clone(),
                access_token: alice.access_token.clone(),
            },
            Account {
                user_id: "@carol:localhost".into(),
                access_token: "mhs_nothing".into(),
            },
        ];
        let findings = inspect(&path, SERVER, &accounts).unwrap();
        assert_eq!((findings.users, findings.tokens, findings.guests), (3, 3, 1));
        assert_eq!(findings.found, 1);
        assert_eq!(findings.missing.len(), 2, "{:?}", findings.missing);
        assert_eq!(findings.half_created(), 0);
        assert_eq!(findings.integrity, "ok");
        assert!(findings.user_ids.contains("@bob:localhost"));

        // A user row without its hash is half an account.
        let conn = Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE users SET password_hash = NULL WHERE user_id = ?1",
            [&bob.user_id],
        )
        .unwrap();
        conn.execute("DELETE FROM access_tokens WHERE user_id = ?1", [&bob.user_id])
            .unwrap();
        drop(conn);
        let findings = inspect(&path, SERVER, &accounts[..1]).unwrap();
        assert_eq!((findings.without_hash, findings.users_without_token), (1, 1));
        assert_eq!(findings.half_created(), 2);
    }
}
