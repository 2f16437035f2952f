//! Where shared sessions' documents are kept: rows of updates per session, appended as
//! flushes of coalesced updates and compacted into one merged row once a document has
//! [`COMPACT_AT`] rows. Compaction merges exactly the rows it read and deletes exactly
//! those, so rows another instance appends meanwhile are never lost.

use sqlx::Row;

use crate::db::{Db, now_ms, placeholders};

/// Rows a document may have before it is compacted.
pub const COMPACT_AT: usize = 64;

/// A document's stored updates, oldest first.
pub async fn load(db: &Db, session_id: &str) -> Result<Vec<Vec<u8>>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT data FROM session_doc_updates WHERE session_id = $1 ORDER BY id")
            .bind(session_id)
            .fetch_all(&db.pool)
            .await?;
    rows.iter().map(|row| row.try_get("data")).collect()
}

/// The state vector (encoded) of everything stored for the document.
pub async fn stored_state_vector(db: &Db, session_id: &str) -> Result<Vec<u8>, CompactError> {
    let updates = load(db, session_id).await?;
    let merged = yrs::merge_updates_v1(&updates)
        .map_err(|error| CompactError::Unreadable(error.to_string()))?;
    yrs::encode_state_vector_from_update_v1(&merged)
        .map_err(|error| CompactError::Unreadable(error.to_string()))
}

/// Appends one update; returns how many rows the document has now.
pub async fn append(db: &Db, session_id: &str, update: &[u8]) -> Result<usize, sqlx::Error> {
    sqlx::query("INSERT INTO session_doc_updates (id, session_id, data, created_at) VALUES ($1, $2, $3, $4)")
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(session_id)
        .bind(update.to_vec())
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
    let count: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM session_doc_updates WHERE session_id = $1")
            .bind(session_id)
            .fetch_one(&db.pool)
            .await?
            .try_get("n")?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// Why a compaction did not happen (the rows stay as they were).
#[derive(Debug, thiserror::Error)]
pub enum CompactError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("a stored update cannot be read: {0}")]
    Unreadable(String),
}

/// Replaces the document's rows with one merged row, keeping the newest row's id so
/// the order of rows appended meanwhile is unchanged.
pub async fn compact(db: &Db, session_id: &str) -> Result<(), CompactError> {
    let mut tx = db.pool.begin().await?;
    let rows =
        sqlx::query("SELECT id, data FROM session_doc_updates WHERE session_id = $1 ORDER BY id")
            .bind(session_id)
            .fetch_all(&mut *tx)
            .await?;
    if rows.len() < 2 {
        return Ok(());
    }
    let mut ids = Vec::with_capacity(rows.len());
    let mut updates = Vec::with_capacity(rows.len());
    for row in &rows {
        ids.push(row.try_get::<String, _>("id")?);
        updates.push(row.try_get::<Vec<u8>, _>("data")?);
    }
    let merged = yrs::merge_updates_v1(&updates)
        .map_err(|error| CompactError::Unreadable(error.to_string()))?;
    let newest = ids.last().cloned().unwrap_or_default();
    let sql = format!(
        "DELETE FROM session_doc_updates WHERE session_id = $1 AND id IN ({})",
        placeholders(2, ids.len())
    );
    let mut delete = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(session_id);
    for id in &ids {
        delete = delete.bind(id);
    }
    delete.execute(&mut *tx).await?;
    sqlx::query("INSERT INTO session_doc_updates (id, session_id, data, created_at) VALUES ($1, $2, $3, $4)")
        .bind(newest)
        .bind(session_id)
        .bind(merged)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use yrs::Doc;

    use super::*;
    use crate::collab::test_docs::{append_text as edit, text_of_updates as text_of};

    #[tokio::test]
    async fn compaction_merges_the_rows_into_one_with_the_same_content() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("z.db").display());
        let db = Db::connect(&url).await.unwrap();
        let now = now_ms();
        sqlx::query("INSERT INTO workspaces (id, name, created_by, created_at, updated_at) VALUES ('w', 'W', 'a', $1, $1)")
            .bind(now)
            .execute(&db.pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO sessions (id, workspace_id, title, author, created_at, updated_at) VALUES ('s', 'w', 'S', 'a', $1, $1)")
            .bind(now)
            .execute(&db.pool)
            .await
            .unwrap();
        let doc = Doc::new();
        for (n, piece) in ["one ", "two ", "three"].into_iter().enumerate() {
            assert_eq!(append(&db, "s", &edit(&doc, piece)).await.unwrap(), n + 1);
        }
        compact(&db, "s").await.unwrap();
        let rows = load(&db, "s").await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(text_of(&rows), "one two three");
        // Rows appended after a compaction stay after it.
        append(&db, "s", &edit(&doc, "!")).await.unwrap();
        assert_eq!(text_of(&load(&db, "s").await.unwrap()), "one two three!");

        sqlx::query("INSERT INTO session_doc_updates (id, session_id, data, created_at) VALUES ('0', 's', $1, 0)")
            .bind(b"junk".to_vec())
            .execute(&db.pool)
            .await
            .unwrap();
        assert!(matches!(
            compact(&db, "s").await,
            Err(CompactError::Unreadable(_))
        ));
        assert_eq!(
            load(&db, "s").await.unwrap().len(),
            3,
            "an unreadable row leaves the rows as they were"
        );
    }
}
