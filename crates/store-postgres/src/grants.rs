//! Sessions, authorization codes, refresh tokens and revoked grants on PostgreSQL.
//!
//! Single use is the database's job: a code is consumed and a refresh token rotated by one
//! `UPDATE ... WHERE consumed_at IS NULL ... RETURNING`. Under READ COMMITTED a concurrent
//! `UPDATE` of the same row waits for the first to commit and then re-checks its `WHERE` on the
//! new row, so of any number of callers (on any replica) exactly one changes the row; the
//! others are told why with a follow-up read in the same transaction.

use async_trait::async_trait;
use gatehouse_core::{
    AuthorizationCode, CodeConsumption, RefreshToken, RotateOutcome, Session, join_resources,
    split_resources,
};
use gatehouse_store::{
    AuthorizationCodeStore, CODE_RETENTION_SECS, GrantStore, RefreshTokenStore, SessionStore,
    StoreError, StoreResult,
};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::{PostgresStore, error::from_sqlx, json};

fn session_from_row(row: &PgRow) -> StoreResult<Session> {
    let amr: String = row.try_get("amr").map_err(from_sqlx)?;
    Ok(Session {
        id: row.try_get("id").map_err(from_sqlx)?,
        secret_hash: row.try_get("secret_hash").map_err(from_sqlx)?,
        user_id: row.try_get("user_id").map_err(from_sqlx)?,
        created_at: row.try_get("created_at").map_err(from_sqlx)?,
        last_seen_at: row.try_get("last_seen_at").map_err(from_sqlx)?,
        expires_at: row.try_get("expires_at").map_err(from_sqlx)?,
        idle_expires_at: row.try_get("idle_expires_at").map_err(from_sqlx)?,
        auth_time: row.try_get("auth_time").map_err(from_sqlx)?,
        amr: json::decode(&amr, "sessions.amr")?,
        acr: row.try_get("acr").map_err(from_sqlx)?,
        persistent: row.try_get("persistent").map_err(from_sqlx)?,
        user_agent: row.try_get("user_agent").map_err(from_sqlx)?,
        ip: row.try_get("ip").map_err(from_sqlx)?,
    })
}

fn code_from_row(row: &PgRow) -> StoreResult<AuthorizationCode> {
    let scopes: String = row.try_get("scopes").map_err(from_sqlx)?;
    let amr: String = row.try_get("amr").map_err(from_sqlx)?;
    Ok(AuthorizationCode {
        code_hash: row.try_get("code_hash").map_err(from_sqlx)?,
        grant_id: row.try_get("grant_id").map_err(from_sqlx)?,
        client_id: row.try_get("client_id").map_err(from_sqlx)?,
        user_id: row.try_get("user_id").map_err(from_sqlx)?,
        session_id: row.try_get("session_id").map_err(from_sqlx)?,
        redirect_uri: row.try_get("redirect_uri").map_err(from_sqlx)?,
        scopes: json::decode(&scopes, "authorization_codes.scopes")?,
        resources: split_resources(
            row.try_get::<Option<String>, _>("resource")
                .map_err(from_sqlx)?
                .as_deref(),
        ),
        nonce: row.try_get("nonce").map_err(from_sqlx)?,
        code_challenge: row.try_get("code_challenge").map_err(from_sqlx)?,
        auth_time: row.try_get("auth_time").map_err(from_sqlx)?,
        amr: json::decode(&amr, "authorization_codes.amr")?,
        acr: row.try_get("acr").map_err(from_sqlx)?,
        created_at: row.try_get("created_at").map_err(from_sqlx)?,
        expires_at: row.try_get("expires_at").map_err(from_sqlx)?,
        consumed_at: row.try_get("consumed_at").map_err(from_sqlx)?,
    })
}

fn refresh_token_from_row(row: &PgRow) -> StoreResult<RefreshToken> {
    let scopes: String = row.try_get("scopes").map_err(from_sqlx)?;
    let amr: String = row.try_get("amr").map_err(from_sqlx)?;
    Ok(RefreshToken {
        token_hash: row.try_get("token_hash").map_err(from_sqlx)?,
        family_id: row.try_get("family_id").map_err(from_sqlx)?,
        client_id: row.try_get("client_id").map_err(from_sqlx)?,
        user_id: row.try_get("user_id").map_err(from_sqlx)?,
        session_id: row.try_get("session_id").map_err(from_sqlx)?,
        scopes: json::decode(&scopes, "refresh_tokens.scopes")?,
        resources: split_resources(
            row.try_get::<Option<String>, _>("resource")
                .map_err(from_sqlx)?
                .as_deref(),
        ),
        auth_time: row.try_get("auth_time").map_err(from_sqlx)?,
        amr: json::decode(&amr, "refresh_tokens.amr")?,
        acr: row.try_get("acr").map_err(from_sqlx)?,
        created_at: row.try_get("created_at").map_err(from_sqlx)?,
        expires_at: row.try_get("expires_at").map_err(from_sqlx)?,
        idle_expires_at: row.try_get("idle_expires_at").map_err(from_sqlx)?,
        used_at: row.try_get("used_at").map_err(from_sqlx)?,
        revoked_at: row.try_get("revoked_at").map_err(from_sqlx)?,
    })
}

async fn insert_refresh_token_on(
    conn: &mut PgConnection,
    tenant_id: &str,
    token: &RefreshToken,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (tenant_id, token_hash, family_id, client_id, user_id, \
         session_id, scopes, resource, auth_time, amr, acr, created_at, expires_at, \
         idle_expires_at, used_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(tenant_id)
    .bind(&token.token_hash)
    .bind(&token.family_id)
    .bind(&token.client_id)
    .bind(&token.user_id)
    .bind(&token.session_id)
    .bind(json::encode(&token.scopes)?)
    .bind(join_resources(&token.resources))
    .bind(token.auth_time)
    .bind(json::encode(&token.amr)?)
    .bind(&token.acr)
    .bind(token.created_at)
    .bind(token.expires_at)
    .bind(token.idle_expires_at)
    .bind(token.used_at)
    .bind(token.revoked_at)
    .execute(conn)
    .await
    .map_err(from_sqlx)?;
    Ok(())
}

#[async_trait]
impl SessionStore for PostgresStore {
    async fn insert_session(&self, tenant_id: &str, session: &Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (tenant_id, id, secret_hash, user_id, created_at, \
             last_seen_at, expires_at, idle_expires_at, auth_time, amr, acr, persistent, \
             user_agent, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(tenant_id)
        .bind(&session.id)
        .bind(&session.secret_hash)
        .bind(&session.user_id)
        .bind(session.created_at)
        .bind(session.last_seen_at)
        .bind(session.expires_at)
        .bind(session.idle_expires_at)
        .bind(session.auth_time)
        .bind(json::encode(&session.amr)?)
        .bind(&session.acr)
        .bind(session.persistent)
        .bind(&session.user_agent)
        .bind(&session.ip)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn find_session_by_secret_hash(
        &self,
        tenant_id: &str,
        secret_hash: &[u8],
        now: i64,
    ) -> StoreResult<Option<Session>> {
        sqlx::query(
            "SELECT * FROM sessions WHERE tenant_id = $1 AND secret_hash = $2 \
             AND expires_at > $3 AND idle_expires_at > $3",
        )
        .bind(tenant_id)
        .bind(secret_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(from_sqlx)?
        .as_ref()
        .map(session_from_row)
        .transpose()
    }

    async fn touch_session(
        &self,
        tenant_id: &str,
        id: &str,
        now: i64,
        idle_expires_at: i64,
    ) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE sessions SET last_seen_at = $1, idle_expires_at = $2 \
             WHERE tenant_id = $3 AND id = $4 AND expires_at > $1 AND idle_expires_at > $1",
        )
        .bind(now)
        .bind(idle_expires_at)
        .bind(tenant_id)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_session(&self, tenant_id: &str, id: &str) -> StoreResult<()> {
        let deleted = sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn list_sessions_for_user(
        &self,
        tenant_id: &str,
        user_id: &str,
        now: i64,
    ) -> StoreResult<Vec<Session>> {
        let rows = sqlx::query(
            "SELECT * FROM sessions WHERE tenant_id = $1 AND user_id = $2 \
             AND expires_at > $3 AND idle_expires_at > $3 ORDER BY created_at DESC, id DESC",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(from_sqlx)?;
        rows.iter().map(session_from_row).collect()
    }

    async fn delete_sessions_for_user(&self, tenant_id: &str, user_id: &str) -> StoreResult<u64> {
        let deleted = sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(deleted.rows_affected())
    }
}

#[async_trait]
impl AuthorizationCodeStore for PostgresStore {
    async fn insert_code(&self, tenant_id: &str, code: &AuthorizationCode) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO authorization_codes (tenant_id, code_hash, grant_id, client_id, \
             user_id, session_id, redirect_uri, scopes, resource, nonce, code_challenge, \
             auth_time, amr, acr, created_at, expires_at, consumed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(tenant_id)
        .bind(&code.code_hash)
        .bind(&code.grant_id)
        .bind(&code.client_id)
        .bind(&code.user_id)
        .bind(&code.session_id)
        .bind(&code.redirect_uri)
        .bind(json::encode(&code.scopes)?)
        .bind(join_resources(&code.resources))
        .bind(&code.nonce)
        .bind(&code.code_challenge)
        .bind(code.auth_time)
        .bind(json::encode(&code.amr)?)
        .bind(&code.acr)
        .bind(code.created_at)
        .bind(code.expires_at)
        .bind(code.consumed_at)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn consume_code(
        &self,
        tenant_id: &str,
        code_hash: &[u8],
        now: i64,
    ) -> StoreResult<CodeConsumption> {
        let mut tx = self.pool.begin().await.map_err(from_sqlx)?;
        let consumed = sqlx::query(
            "UPDATE authorization_codes SET consumed_at = $1 WHERE tenant_id = $2 \
             AND code_hash = $3 AND consumed_at IS NULL AND expires_at > $1 RETURNING *",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(code_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let outcome = match consumed {
            Some(row) => CodeConsumption::Consumed(Box::new(code_from_row(&row)?)),
            None => {
                let row = sqlx::query(
                    "SELECT grant_id, consumed_at FROM authorization_codes \
                     WHERE tenant_id = $1 AND code_hash = $2",
                )
                .bind(tenant_id)
                .bind(code_hash)
                .fetch_optional(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                match row {
                    None => CodeConsumption::NotFound,
                    Some(row) => {
                        let consumed_at: Option<i64> =
                            row.try_get("consumed_at").map_err(from_sqlx)?;
                        if consumed_at.is_some() {
                            CodeConsumption::AlreadyConsumed {
                                grant_id: row.try_get("grant_id").map_err(from_sqlx)?,
                            }
                        } else {
                            CodeConsumption::Expired
                        }
                    }
                }
            }
        };
        tx.commit().await.map_err(from_sqlx)?;
        Ok(outcome)
    }
}

#[async_trait]
impl RefreshTokenStore for PostgresStore {
    async fn insert_refresh_token(&self, tenant_id: &str, token: &RefreshToken) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(from_sqlx)?;
        insert_refresh_token_on(&mut conn, tenant_id, token).await
    }

    async fn rotate_refresh_token(
        &self,
        tenant_id: &str,
        old_hash: &[u8],
        new: &RefreshToken,
        now: i64,
    ) -> StoreResult<RotateOutcome> {
        let mut tx = self.pool.begin().await.map_err(from_sqlx)?;
        let used = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $1 WHERE tenant_id = $2 AND token_hash = $3 \
             AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1 \
             AND idle_expires_at > $1 RETURNING *",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(old_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let outcome = match used {
            Some(row) => {
                let old = refresh_token_from_row(&row)?;
                if old.family_id != new.family_id {
                    // Dropping the transaction rolls the update back.
                    return Err(StoreError::Other(
                        "a rotated refresh token must stay in its family".to_owned(),
                    ));
                }
                insert_refresh_token_on(&mut tx, tenant_id, new).await?;
                RotateOutcome::Rotated(Box::new(old))
            }
            None => {
                let row = sqlx::query(
                    "SELECT * FROM refresh_tokens WHERE tenant_id = $1 AND token_hash = $2",
                )
                .bind(tenant_id)
                .bind(old_hash)
                .fetch_optional(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                match row.as_ref().map(refresh_token_from_row).transpose()? {
                    None => RotateOutcome::NotFound,
                    Some(old) if old.revoked_at.is_some() => RotateOutcome::Revoked,
                    Some(old) if old.used_at.is_some() => RotateOutcome::Reused {
                        family_id: old.family_id,
                    },
                    Some(_) => RotateOutcome::Expired,
                }
            }
        };
        tx.commit().await.map_err(from_sqlx)?;
        Ok(outcome)
    }

    async fn revoke_family(&self, tenant_id: &str, family_id: &str, now: i64) -> StoreResult<u64> {
        let revoked = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE tenant_id = $2 AND family_id = $3 \
             AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(family_id)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(revoked.rows_affected())
    }

    async fn find_refresh_token(
        &self,
        tenant_id: &str,
        token_hash: &[u8],
    ) -> StoreResult<Option<RefreshToken>> {
        sqlx::query("SELECT * FROM refresh_tokens WHERE tenant_id = $1 AND token_hash = $2")
            .bind(tenant_id)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(from_sqlx)?
            .as_ref()
            .map(refresh_token_from_row)
            .transpose()
    }
}

#[async_trait]
impl GrantStore for PostgresStore {
    async fn revoke_grant(
        &self,
        tenant_id: &str,
        grant_id: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO revoked_grants (tenant_id, grant_id, revoked_at, expires_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, grant_id) \
             DO UPDATE SET expires_at = GREATEST(revoked_grants.expires_at, excluded.expires_at)",
        )
        .bind(tenant_id)
        .bind(grant_id)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn is_grant_revoked(&self, tenant_id: &str, grant_id: &str) -> StoreResult<bool> {
        // On a hot connection: every check of an access token from an interactive flow asks.
        let query =
            sqlx::query("SELECT 1 FROM revoked_grants WHERE tenant_id = $1 AND grant_id = $2")
                .bind(tenant_id)
                .bind(grant_id);
        Ok(self.fetch_optional_hot(query).await?.is_some())
    }

    async fn revoke_grants_for_client_user(
        &self,
        tenant_id: &str,
        client_id: &str,
        user_id: &str,
        now: i64,
    ) -> StoreResult<u64> {
        self.revoke_families_of_user(tenant_id, user_id, Some(client_id), now)
            .await
    }

    async fn revoke_grants_for_user(
        &self,
        tenant_id: &str,
        user_id: &str,
        now: i64,
    ) -> StoreResult<u64> {
        self.revoke_families_of_user(tenant_id, user_id, None, now)
            .await
    }

    async fn delete_expired_grants_data(&self, now: i64) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(from_sqlx)?;
        let mut deleted = 0;
        let statements = [
            (
                "DELETE FROM sessions WHERE expires_at <= $1 OR idle_expires_at <= $1",
                now,
            ),
            (
                "DELETE FROM authorization_codes WHERE expires_at <= $1",
                now - CODE_RETENTION_SECS,
            ),
            // Used tokens stay until their absolute limit, so a late replay is still a reuse.
            (
                "DELETE FROM refresh_tokens WHERE expires_at <= $1 \
                 OR (used_at IS NULL AND idle_expires_at <= $1)",
                now,
            ),
            ("DELETE FROM interactions WHERE expires_at <= $1", now),
            ("DELETE FROM revoked_grants WHERE expires_at <= $1", now),
            // Replay records of client assertions (`ClientAssertionStore`) that could no
            // longer be accepted anyway.
            (
                "DELETE FROM client_assertion_jtis WHERE expires_at <= $1",
                now,
            ),
            // Kept as long as codes, so a late poll still answers `Expired` (or
            // `AlreadyConsumed`) rather than `NotFound`.
            (
                "DELETE FROM device_authorizations WHERE expires_at <= $1",
                now - CODE_RETENTION_SECS,
            ),
            // Kept a day past expiry, so the owner still sees a recently expired token listed.
            (
                "DELETE FROM personal_access_tokens WHERE expires_at <= $1",
                now - CODE_RETENTION_SECS,
            ),
        ];
        for (sql, cutoff) in statements {
            deleted += sqlx::query(sql)
                .bind(cutoff)
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?
                .rows_affected();
        }
        tx.commit().await.map_err(from_sqlx)?;
        Ok(deleted)
    }
}

impl PostgresStore {
    /// Revokes every family the user holds (for one client, or for all) and marks each such
    /// family's grant revoked until its last token expires; returns how many tokens were
    /// revoked.
    async fn revoke_families_of_user(
        &self,
        tenant_id: &str,
        user_id: &str,
        client_id: Option<&str>,
        now: i64,
    ) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(from_sqlx)?;
        sqlx::query(
            "INSERT INTO revoked_grants (tenant_id, grant_id, revoked_at, expires_at) \
             SELECT tenant_id, family_id, $1, MAX(expires_at) FROM refresh_tokens \
             WHERE tenant_id = $2 AND user_id = $3 \
             AND ($4::text IS NULL OR client_id = $4) AND revoked_at IS NULL \
             GROUP BY tenant_id, family_id \
             ON CONFLICT (tenant_id, grant_id) \
             DO UPDATE SET expires_at = GREATEST(revoked_grants.expires_at, excluded.expires_at)",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(user_id)
        .bind(client_id)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let revoked = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE tenant_id = $2 AND user_id = $3 \
             AND ($4::text IS NULL OR client_id = $4) AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(user_id)
        .bind(client_id)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(revoked.rows_affected())
    }
}
