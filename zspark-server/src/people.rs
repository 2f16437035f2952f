//! The names people's sign-ins give them (an Entra UPN or name, a development user
//! name), kept in the `people` table from each authenticated request so members and
//! authors are shown by name and a member can be invited by e-mail/UPN. A name is
//! written only when it differs from the one last written, so a steady caller costs
//! no writes.

use std::collections::HashMap;
use std::sync::Mutex;

use sqlx::Row;
use zspark_auth::Principal;

use crate::db::{Db, now_ms};

/// The names last written, by principal key.
#[derive(Default)]
pub struct People {
    written: Mutex<HashMap<String, String>>,
}

impl People {
    /// Keeps `principal`'s name when it is new or changed. A failed write is logged
    /// and retried on a later request; the request itself goes on.
    pub async fn saw(&self, db: &Db, principal: &Principal) {
        let Some(name) = principal.display_name.as_deref().map(str::trim) else {
            return;
        };
        if name.is_empty() || self.is_current(&principal.key, name) {
            return;
        }
        let written = sqlx::query(
            "INSERT INTO people (principal, display_name, seen_at) VALUES ($1, $2, $3) ON CONFLICT (principal) DO UPDATE SET display_name = excluded.display_name, seen_at = excluded.seen_at",
        )
        .bind(&principal.key)
        .bind(name)
        .bind(now_ms())
        .execute(&db.pool)
        .await;
        match written {
            Ok(_) => {
                self.lock().insert(principal.key.clone(), name.to_string());
            }
            Err(error) => tracing::warn!(%error, "could not keep a sign-in's name"),
        }
    }

    fn is_current(&self, key: &str, name: &str) -> bool {
        self.lock().get(key).is_some_and(|written| written == name)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.written
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// The principal keys of the people whose sign-in name is `name` (an e-mail or UPN
/// compared without case).
pub async fn principals_named(db: &Db, name: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT principal FROM people WHERE LOWER(display_name) = LOWER($1) ORDER BY principal",
    )
    .bind(name.trim())
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(|row| row.try_get("principal")).collect()
}

/// The sign-in name of `principal`, once they have signed in (read on `connection`,
/// so it can be the caller's transaction).
pub async fn name_of(
    connection: &mut sqlx::AnyConnection,
    principal: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT display_name FROM people WHERE principal = $1")
        .bind(principal)
        .fetch_optional(connection)
        .await?;
    row.map(|row| row.try_get("display_name")).transpose()
}
