//! Device authorization requests (RFC 8628) on PostgreSQL: found by the hash of the device code
//! (polling) or by the user code (the verification page), decided once, consumed once.
//!
//! ```text
//! poll(hash, client, now): no row of this client -> NotFound (nothing written)
//!   status consumed               -> AlreadyConsumed
//!   now >= expires_at             -> Expired
//!   now - last_polled_at < interval -> SlowDown, interval += slow_down_by
//!   status pending | denied       -> Pending | Denied
//!   status approved               -> Approved, status := consumed
//!   every outcome but NotFound: last_polled_at := now
//! ```
//!
//! A poll runs in one transaction that reads the row `FOR UPDATE`, decides, and writes what it
//! decided. Concurrent polls of one request (on any replica) queue on the row lock; under READ
//! COMMITTED each one, once it has the lock, reads the row as the previous one committed it,
//! so exactly one sees it approved. (A single `UPDATE ... RETURNING` could encode the rules
//! too, but it returns the row as written, so telling `SlowDown` from `Pending` would need the
//! old values smuggled through extra columns; the locked read keeps the rules in plain Rust.)
//! A decision is one `UPDATE ... WHERE status = 'pending' AND expires_at > now`: a concurrent
//! `UPDATE` of the same row waits for the first to commit and re-checks its `WHERE` on the new
//! row, so exactly one wins.

use async_trait::async_trait;
use gatehouse_core::device::decide_poll;
use gatehouse_core::{
    DeviceApproval, DeviceAuthorization, DevicePoll, DeviceStatus, join_resources, split_resources,
};
use gatehouse_store::{DeviceAuthorizationStore, StoreError, StoreResult};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{PostgresStore, error::from_sqlx, json};

fn authorization_from_row(row: &PgRow) -> StoreResult<DeviceAuthorization> {
    let scopes: String = row.try_get("scopes").map_err(from_sqlx)?;
    let status: String = row.try_get("status").map_err(from_sqlx)?;
    Ok(DeviceAuthorization {
        device_code_hash: row.try_get("device_code_hash").map_err(from_sqlx)?,
        user_code: row.try_get("user_code").map_err(from_sqlx)?,
        client_id: row.try_get("client_id").map_err(from_sqlx)?,
        scopes: json::decode(&scopes, "device_authorizations.scopes")?,
        resources: split_resources(
            row.try_get::<Option<String>, _>("resource")
                .map_err(from_sqlx)?
                .as_deref(),
        ),
        ip: row.try_get("ip").map_err(from_sqlx)?,
        created_at: row.try_get("created_at").map_err(from_sqlx)?,
        expires_at: row.try_get("expires_at").map_err(from_sqlx)?,
        interval: row.try_get("interval").map_err(from_sqlx)?,
        last_polled_at: row.try_get("last_polled_at").map_err(from_sqlx)?,
        status: match status.as_str() {
            "pending" => DeviceStatus::Pending,
            "approved" => DeviceStatus::Approved(approval_from_row(row)?),
            "denied" => DeviceStatus::Denied,
            "consumed" => DeviceStatus::Consumed,
            other => {
                return Err(StoreError::Other(format!(
                    "unknown device authorization status {other:?}"
                )));
            }
        },
    })
}

/// The approval columns of an approved row (a CHECK constraint keeps them set).
fn approval_from_row(row: &PgRow) -> StoreResult<DeviceApproval> {
    let user_id: Option<String> = row.try_get("user_id").map_err(from_sqlx)?;
    let session_id: Option<String> = row.try_get("session_id").map_err(from_sqlx)?;
    let auth_time: Option<i64> = row.try_get("auth_time").map_err(from_sqlx)?;
    let amr: Option<String> = row.try_get("amr").map_err(from_sqlx)?;
    match (user_id, session_id, auth_time, amr) {
        (Some(user_id), Some(session_id), Some(auth_time), Some(amr)) => Ok(DeviceApproval {
            user_id,
            session_id,
            auth_time,
            amr: json::decode(&amr, "device_authorizations.amr")?,
            // Approving stored what was approved as the authorization's own.
            resources: split_resources(
                row.try_get::<Option<String>, _>("resource")
                    .map_err(from_sqlx)?
                    .as_deref(),
            ),
            scopes: {
                let scopes: String = row.try_get("scopes").map_err(from_sqlx)?;
                json::decode(&scopes, "device_authorizations.scopes")?
            },
        }),
        _ => Err(StoreError::Other(
            "an approved device authorization lacks its approval".to_owned(),
        )),
    }
}

/// The approval columns to write: all `NULL` unless approved.
type ApprovalColumns<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<i64>,
    Option<String>,
);

fn approval_columns(approval: Option<&DeviceApproval>) -> StoreResult<ApprovalColumns<'_>> {
    Ok(match approval {
        Some(approval) => (
            Some(approval.user_id.as_str()),
            Some(approval.session_id.as_str()),
            Some(approval.auth_time),
            Some(json::encode(&approval.amr)?),
        ),
        None => (None, None, None, None),
    })
}

#[async_trait]
impl DeviceAuthorizationStore for PostgresStore {
    async fn insert_device_authorization(
        &self,
        tenant_id: &str,
        authorization: &DeviceAuthorization,
    ) -> StoreResult<()> {
        let approval = match &authorization.status {
            DeviceStatus::Approved(approval) => Some(approval),
            _ => None,
        };
        let (user_id, session_id, auth_time, amr) = approval_columns(approval)?;
        sqlx::query(
            "INSERT INTO device_authorizations (tenant_id, device_code_hash, user_code, \
             client_id, scopes, resource, ip, created_at, expires_at, interval, last_polled_at, \
             status, user_id, session_id, auth_time, amr) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(tenant_id)
        .bind(&authorization.device_code_hash)
        .bind(&authorization.user_code)
        .bind(&authorization.client_id)
        .bind(json::encode(&authorization.scopes)?)
        .bind(join_resources(&authorization.resources))
        .bind(&authorization.ip)
        .bind(authorization.created_at)
        .bind(authorization.expires_at)
        .bind(authorization.interval)
        .bind(authorization.last_polled_at)
        .bind(authorization.status.as_str())
        .bind(user_id)
        .bind(session_id)
        .bind(auth_time)
        .bind(amr)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn find_device_by_user_code(
        &self,
        tenant_id: &str,
        user_code: &str,
        now: i64,
    ) -> StoreResult<Option<DeviceAuthorization>> {
        sqlx::query(
            "SELECT * FROM device_authorizations WHERE tenant_id = $1 AND user_code = $2 \
             AND expires_at > $3",
        )
        .bind(tenant_id)
        .bind(user_code)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(from_sqlx)?
        .as_ref()
        .map(authorization_from_row)
        .transpose()
    }

    async fn decide_device_authorization(
        &self,
        tenant_id: &str,
        user_code: &str,
        approval: Option<&DeviceApproval>,
        now: i64,
    ) -> StoreResult<bool> {
        let status = if approval.is_some() {
            "approved"
        } else {
            "denied"
        };
        let (user_id, session_id, auth_time, amr) = approval_columns(approval)?;
        // One statement: no explicit transaction is needed for it to be atomic.
        // Approving narrows the request to what was approved; denying leaves it as it was.
        let (resource, scopes) = match approval {
            Some(approval) => (
                Some(join_resources(&approval.resources)),
                Some(json::encode(&approval.scopes)?),
            ),
            None => (None, None),
        };
        let updated = sqlx::query(
            "UPDATE device_authorizations SET status = $1, user_id = $2, session_id = $3, \
             auth_time = $4, amr = $5, \
             resource = CASE WHEN $9 THEN $10 ELSE resource END, \
             scopes = COALESCE($11, scopes) WHERE tenant_id = $6 AND user_code = $7 \
             AND status = 'pending' AND expires_at > $8",
        )
        .bind(status)
        .bind(user_id)
        .bind(session_id)
        .bind(auth_time)
        .bind(amr)
        .bind(tenant_id)
        .bind(user_code)
        .bind(now)
        .bind(approval.is_some())
        .bind(resource.flatten())
        .bind(scopes)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(updated.rows_affected() == 1)
    }

    async fn poll_device_authorization(
        &self,
        tenant_id: &str,
        device_code_hash: &[u8],
        client_id: &str,
        now: i64,
        slow_down_by: i64,
    ) -> StoreResult<DevicePoll> {
        let mut tx = self.pool.begin().await.map_err(from_sqlx)?;
        // Another client's device code is as unknown as a made-up one (D-03).
        let row = sqlx::query(
            "SELECT * FROM device_authorizations WHERE tenant_id = $1 \
             AND device_code_hash = $2 AND client_id = $3 FOR UPDATE",
        )
        .bind(tenant_id)
        .bind(device_code_hash)
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let Some(row) = row else {
            tx.rollback().await.map_err(from_sqlx)?;
            return Ok(DevicePoll::NotFound);
        };
        let step = decide_poll(authorization_from_row(&row)?, now, slow_down_by);
        sqlx::query(
            "UPDATE device_authorizations SET last_polled_at = $1, interval = $2, status = $3 \
             WHERE tenant_id = $4 AND device_code_hash = $5",
        )
        .bind(now)
        .bind(step.interval)
        .bind(step.status)
        .bind(tenant_id)
        .bind(device_code_hash)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(step.outcome)
    }
}
