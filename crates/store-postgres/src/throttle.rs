//! Brute-force failure counters on PostgreSQL.
//!
//! A failure is counted by one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`: PostgreSQL
//! locks the conflicting row and a concurrent upsert waits, then updates the row version the
//! first one wrote, so concurrent failures (on any replica) are all counted.

use async_trait::async_trait;
use gatehouse_core::throttle::{FailureCount, ThrottleKind};
use gatehouse_store::{StoreError, StoreResult, ThrottleStore};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{PostgresStore, error::from_sqlx};

fn count_from_row(row: &PgRow) -> StoreResult<FailureCount> {
    let failures: i32 = row.try_get("failures").map_err(from_sqlx)?;
    Ok(FailureCount {
        failures: u32::try_from(failures).map_err(|_| {
            StoreError::Other(format!("throttles.failures out of range: {failures}"))
        })?,
        first_failure_at: row.try_get("first_failure_at").map_err(from_sqlx)?,
        locked_until: row.try_get("locked_until").map_err(from_sqlx)?,
    })
}

#[async_trait]
impl ThrottleStore for PostgresStore {
    async fn record_failure(
        &self,
        tenant_id: &str,
        kind: ThrottleKind,
        key: &str,
        now: i64,
        window_seconds: i64,
    ) -> StoreResult<FailureCount> {
        // Every SET expression reads the row as it was before this statement.
        let row = sqlx::query(
            "INSERT INTO throttles (tenant_id, kind, key, failures, first_failure_at, \
             window_ends_at, locked_until) VALUES ($1, $2, $3, 1, $4, $4 + $5, NULL) \
             ON CONFLICT (tenant_id, kind, key) DO UPDATE SET \
             failures = CASE WHEN throttles.first_failure_at + $5 <= $4 THEN 1 \
                 ELSE LEAST(throttles.failures, 2147483646) + 1 END, \
             first_failure_at = CASE WHEN throttles.first_failure_at + $5 <= $4 THEN $4 \
                 ELSE throttles.first_failure_at END, \
             window_ends_at = CASE WHEN throttles.first_failure_at + $5 <= $4 THEN $4 + $5 \
                 ELSE throttles.first_failure_at + $5 END, \
             locked_until = CASE WHEN throttles.first_failure_at + $5 <= $4 \
                 AND throttles.locked_until <= $4 THEN NULL ELSE throttles.locked_until END \
             RETURNING failures, first_failure_at, locked_until",
        )
        .bind(tenant_id)
        .bind(kind.as_str())
        .bind(key)
        .bind(now)
        .bind(window_seconds)
        .fetch_one(&self.pool)
        .await
        .map_err(from_sqlx)?;
        count_from_row(&row)
    }

    async fn set_lock(
        &self,
        tenant_id: &str,
        kind: ThrottleKind,
        key: &str,
        locked_until: i64,
    ) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE throttles SET locked_until = GREATEST(COALESCE(locked_until, $1), $1) \
             WHERE tenant_id = $2 AND kind = $3 AND key = $4",
        )
        .bind(locked_until)
        .bind(tenant_id)
        .bind(kind.as_str())
        .bind(key)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn find_failures(
        &self,
        tenant_id: &str,
        kind: ThrottleKind,
        key: &str,
        now: i64,
    ) -> StoreResult<Option<FailureCount>> {
        sqlx::query(
            "SELECT failures, first_failure_at, locked_until FROM throttles \
             WHERE tenant_id = $1 AND kind = $2 AND key = $3 \
             AND (window_ends_at > $4 OR locked_until > $4)",
        )
        .bind(tenant_id)
        .bind(kind.as_str())
        .bind(key)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(from_sqlx)?
        .as_ref()
        .map(count_from_row)
        .transpose()
    }

    async fn find_failures_pair(
        &self,
        tenant_id: &str,
        first: (ThrottleKind, &str),
        second: (ThrottleKind, &str),
        now: i64,
    ) -> StoreResult<(Option<FailureCount>, Option<FailureCount>)> {
        let rows = sqlx::query(
            "SELECT kind, key, failures, first_failure_at, locked_until FROM throttles \
             WHERE tenant_id = $1 \
             AND ((kind = $2 AND key = $3) OR (kind = $4 AND key = $5)) \
             AND (window_ends_at > $6 OR locked_until > $6)",
        )
        .bind(tenant_id)
        .bind(first.0.as_str())
        .bind(first.1)
        .bind(second.0.as_str())
        .bind(second.1)
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(from_sqlx)?;
        let mut found = (None, None);
        for row in &rows {
            let kind: String = row.try_get("kind").map_err(from_sqlx)?;
            let key: String = row.try_get("key").map_err(from_sqlx)?;
            let count = count_from_row(row)?;
            if (kind.as_str(), key.as_str()) == (first.0.as_str(), first.1) {
                found.0 = Some(count);
            }
            if (kind.as_str(), key.as_str()) == (second.0.as_str(), second.1) {
                found.1 = Some(count);
            }
        }
        Ok(found)
    }

    async fn clear_failures(
        &self,
        tenant_id: &str,
        kind: ThrottleKind,
        key: &str,
    ) -> StoreResult<()> {
        sqlx::query("DELETE FROM throttles WHERE tenant_id = $1 AND kind = $2 AND key = $3")
            .bind(tenant_id)
            .bind(kind.as_str())
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(())
    }

    async fn delete_expired_throttles(&self, now: i64) -> StoreResult<u64> {
        let deleted = sqlx::query(
            "DELETE FROM throttles WHERE window_ends_at <= $1 \
             AND (locked_until IS NULL OR locked_until <= $1)",
        )
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(deleted.rows_affected())
    }
}
