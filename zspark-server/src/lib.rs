//! `zspark serve`: the self-hosted shared-workspace server (axum router, sqlx storage on
//! SQLite or PostgreSQL, artifacts, collaboration).
