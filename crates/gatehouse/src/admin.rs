//! `gatehouse admin ...`: offline administration on the database, through the same engine
//! operations as the Management API. With `--json` each command prints one JSON object.

use crate::cli::{
    AdminCommand, AppType, AppsCommand, BootstrapArgs, KeysCommand, ResourcesCommand,
    TenantsCommand, UsersCommand, UsersCreateArgs, UsersListArgs,
};
use crate::config::Settings;
use crate::runtime;
use gatehouse_core::{MANAGEMENT_RESOURCE_ID, MANAGEMENT_SCOPE, ROOT_TENANT};
use gatehouse_oidc::management::{ListOptions, MAX_PAGE_LIMIT, ManagementError};
use gatehouse_oidc::{Engine, TenantContext};
use gatehouse_store::PageRequest;
use gatehouse_types::management::{
    ApplicationType, CreateApiResource, CreateApplication, CreateUser, ResourceGrant, ResourceScope,
};
use serde_json::json;
use std::sync::Arc;

/// Every page of a listing (the store pages by id, at most 200 at a time).
async fn all_pages<T, F, Fut>(mut fetch: F, id_of: fn(&T) -> &str) -> Result<Vec<T>, String>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, gatehouse_store::StoreError>>,
{
    const PAGE: u32 = 200;
    let mut all: Vec<T> = Vec::new();
    loop {
        let after = all.last().map(|item| id_of(item).to_owned());
        let page = fetch(PageRequest { after, limit: PAGE })
            .await
            .map_err(|e| e.to_string())?;
        let full = page.len() == PAGE as usize;
        all.extend(page);
        if !full {
            return Ok(all);
        }
    }
}

fn print_json(value: &serde_json::Value) -> Result<(), String> {
    println!(
        "{}",
        serde_json::to_string(value).map_err(|e| e.to_string())?
    );
    Ok(())
}

async fn tenant(engine: &Engine, global: &Settings) -> Result<Arc<TenantContext>, String> {
    let name = global.tenant.as_deref().unwrap_or(ROOT_TENANT);
    engine
        .tenant(name)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no tenant named {name}"))
}

/// Largest `--jwks` file read (a JWK Set of ten large RSA keys fits easily).
const MAX_JWKS_FILE: u64 = 64 * 1024;

/// The JSON of a `--jwks FILE` (checked as a JWK Set by the engine).
pub(crate) fn read_jwks(path: &std::path::Path) -> Result<serde_json::Value, String> {
    let shown = path.display();
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read --jwks {shown}: {e}"))?
        .len();
    if size > MAX_JWKS_FILE {
        return Err(format!(
            "--jwks {shown} is larger than {MAX_JWKS_FILE} bytes"
        ));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read --jwks {shown}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("--jwks {shown} is not JSON: {e}"))
}

/// The password of `users create` and `bootstrap`: from the flag, or the first line of stdin
/// (without its line ending) with `--password-stdin`.
pub(crate) fn read_password(
    flag: &Option<String>,
    from_stdin: bool,
) -> Result<Option<String>, String> {
    if !from_stdin {
        return Ok(flag.clone());
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("reading the password from stdin: {e}"))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err("--password-stdin: no password on standard input".to_owned());
    }
    Ok(Some(password.to_owned()))
}

/// A management error for the terminal: each invalid field with its reason.
fn describe(error: ManagementError) -> String {
    match error {
        ManagementError::Validation(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

async fn create_user(
    engine: &Engine,
    tenant: &TenantContext,
    args: UsersCreateArgs,
) -> Result<(), String> {
    let password = read_password(&args.password, args.password_stdin)?;
    let body = CreateUser {
        username: args.username,
        email: args.email,
        password,
        name: args.name,
        email_verified: Some(args.email_verified),
        ..Default::default()
    };
    let user = engine.create_user(tenant, body).await.map_err(describe)?;
    if args.json {
        print_json(&serde_json::to_value(&user).map_err(|e| e.to_string())?)
    } else {
        println!("{}", user.id);
        Ok(())
    }
}

async fn bootstrap(
    engine: &Engine,
    tenant: &TenantContext,
    args: BootstrapArgs,
) -> Result<(), String> {
    let password = read_password(&args.password, args.password_stdin)?;
    let body = CreateUser {
        username: args.username,
        email: Some(args.email),
        password,
        name: None,
        email_verified: Some(false),
        ..Default::default()
    };
    let user = engine
        .bootstrap_admin(tenant, body)
        .await
        .map_err(describe)?;
    if args.json {
        print_json(&serde_json::to_value(&user).map_err(|e| e.to_string())?)
    } else {
        println!("{}", user.id);
        Ok(())
    }
}

async fn list_users(
    engine: &Engine,
    tenant: &TenantContext,
    args: UsersListArgs,
) -> Result<(), String> {
    let mut users = Vec::new();
    let mut after = None;
    loop {
        let options = ListOptions {
            after,
            limit: Some(MAX_PAGE_LIMIT),
        };
        let page = engine
            .list_users(tenant, args.query.as_deref(), options)
            .await
            .map_err(describe)?;
        users.extend(page.items);
        match page.next_cursor {
            Some(cursor) => after = Some(cursor),
            None => break,
        }
    }
    if args.json {
        print_json(&json!({ "items": users }))
    } else {
        for user in users {
            let show = |value: Option<String>| value.unwrap_or_else(|| "-".to_owned());
            println!(
                "{}\t{}\t{}\t{}",
                user.id,
                show(user.username),
                show(user.email),
                show(user.name)
            );
        }
        Ok(())
    }
}

pub async fn run(global: &Settings, command: AdminCommand) -> Result<(), String> {
    let issuer = runtime::issuer(global)?;
    let engine = runtime::engine(global, &issuer).await?;
    match command {
        AdminCommand::Apps(AppsCommand::Create(args)) => {
            let tenant = tenant(&engine, global).await?;
            let mut grants = Vec::new();
            if args.management {
                grants.push(ResourceGrant {
                    resource_id: MANAGEMENT_RESOURCE_ID.to_owned(),
                    scopes: vec![MANAGEMENT_SCOPE.to_owned()],
                });
            }
            for spec in &args.resources {
                let (indicator, scopes) = spec.split_once('=').unwrap_or((spec.as_str(), ""));
                let resource = engine
                    .find_resource_by_indicator(&tenant, indicator)
                    .await
                    .map_err(|e| e.description)?
                    .ok_or_else(|| format!("no API resource with indicator {indicator}"))?;
                let scopes = scopes
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                grants.push(ResourceGrant {
                    resource_id: resource.id,
                    scopes,
                });
            }
            let body = CreateApplication {
                name: args.name,
                app_type: match args.app_type {
                    AppType::Spa => ApplicationType::Spa,
                    AppType::Native => ApplicationType::Native,
                    AppType::Web => ApplicationType::Web,
                    AppType::M2m => ApplicationType::M2m,
                },
                redirect_uris: args.redirect_uris,
                post_logout_redirect_uris: args.post_logout_redirect_uris,
                third_party: args.third_party,
                device_flow: args.device_flow,
                resource_grants: grants,
                refresh_token_absolute_ttl: args.refresh_token_ttl,
                refresh_token_idle_ttl: args.refresh_token_idle_ttl,
                jwks: args.jwks.as_deref().map(read_jwks).transpose()?,
            };
            let created = engine
                .create_application(&tenant, body)
                .await
                .map_err(|e| e.to_string())?;
            if args.json {
                let mut value =
                    serde_json::to_value(&created.application).map_err(|e| e.to_string())?;
                if let Some(object) = value.as_object_mut() {
                    object.insert("client_id".to_owned(), json!(created.application.id));
                    if let Some(secret) = &created.client_secret {
                        object.insert("client_secret".to_owned(), json!(secret));
                    }
                }
                print_json(&value)
            } else {
                println!("client_id:     {}", created.application.id);
                if let Some(secret) = &created.client_secret {
                    println!("client_secret: {secret}");
                    eprintln!("The secret is shown only once; store it now.");
                }
                Ok(())
            }
        }
        AdminCommand::Apps(AppsCommand::List(flag)) => {
            let tenant = tenant(&engine, global).await?;
            let (store, tenant_id) = (&engine.store, tenant.id());
            let apps = all_pages(
                |page| async move { store.list_applications(tenant_id, &page).await },
                |app| &app.id,
            )
            .await?;
            if flag.json {
                let items: Vec<_> = apps
                    .iter()
                    .map(|app| json!({"client_id": app.id, "name": app.name, "type": app.app_type.as_str()}))
                    .collect();
                print_json(&json!({ "items": items }))
            } else {
                for app in apps {
                    println!("{}\t{}\t{}", app.id, app.app_type.as_str(), app.name);
                }
                Ok(())
            }
        }
        AdminCommand::Resources(ResourcesCommand::Create(args)) => {
            let tenant = tenant(&engine, global).await?;
            let body = CreateApiResource {
                name: args.name,
                indicator: args.indicator,
                access_token_ttl: args.access_token_ttl,
                scopes: args
                    .scopes
                    .into_iter()
                    .map(|name| ResourceScope {
                        name,
                        description: String::new(),
                    })
                    .collect(),
            };
            let created = engine
                .create_resource(&tenant, body)
                .await
                .map_err(|e| e.to_string())?;
            if args.json {
                print_json(&serde_json::to_value(&created).map_err(|e| e.to_string())?)
            } else {
                println!("{}\t{}", created.id, created.indicator);
                Ok(())
            }
        }
        AdminCommand::Resources(ResourcesCommand::List(flag)) => {
            let tenant = tenant(&engine, global).await?;
            let (store, tenant_id) = (&engine.store, tenant.id());
            let resources = all_pages(
                |page| async move { store.list_resources(tenant_id, &page).await },
                |r| &r.id,
            )
            .await?;
            let rows: Vec<_> = resources
                .iter()
                .map(|r| {
                    (
                        r.id.clone(),
                        engine.public_indicator(&tenant, r),
                        r.name.clone(),
                    )
                })
                .collect();
            if flag.json {
                let items: Vec<_> = rows.iter().map(|(id, indicator, name)| json!({"id": id, "indicator": indicator, "name": name})).collect();
                print_json(&json!({ "items": items }))
            } else {
                for (id, indicator, name) in rows {
                    println!("{id}\t{indicator}\t{name}");
                }
                Ok(())
            }
        }
        AdminCommand::Tenants(TenantsCommand::Create(args)) => {
            let created = engine
                .create_tenant(&args.name)
                .await
                .map_err(|e| e.to_string())?;
            if args.json {
                print_json(
                    &json!({"name": created.tenant.name, "issuer": created.issuer, "id": created.tenant.id}),
                )
            } else {
                println!("{}\t{}", created.tenant.name, created.issuer);
                Ok(())
            }
        }
        AdminCommand::Tenants(TenantsCommand::List(flag)) => {
            let store = &engine.store;
            let tenants = all_pages(
                |page| async move { store.list_tenants(&page).await },
                |t| &t.id,
            )
            .await?;
            let rows: Vec<_> = tenants.into_iter().map(|t| engine.context_for(t)).collect();
            if flag.json {
                let items: Vec<_> = rows
                    .iter()
                    .map(|t| json!({"name": t.tenant.name, "issuer": t.issuer}))
                    .collect();
                print_json(&json!({ "items": items }))
            } else {
                for t in rows {
                    println!("{}\t{}", t.tenant.name, t.issuer);
                }
                Ok(())
            }
        }
        AdminCommand::Keys(KeysCommand::Rotate(args)) => {
            let tenant = tenant(&engine, global).await?;
            let key = engine
                .rotate_keys(&tenant, args.alg.into(), args.activate_in)
                .await
                .map_err(|e| e.description)?;
            if args.json {
                print_json(
                    &json!({"kid": key.kid, "alg": key.alg.as_str(), "activates_at": key.activates_at}),
                )
            } else {
                println!(
                    "new key {} ({}) signs from {}",
                    key.kid,
                    key.alg.as_str(),
                    key.activates_at
                );
                Ok(())
            }
        }
        AdminCommand::Bootstrap(args) => {
            let tenant = tenant(&engine, global).await?;
            bootstrap(&engine, &tenant, args).await
        }
        AdminCommand::Users(UsersCommand::Create(args)) => {
            let tenant = tenant(&engine, global).await?;
            create_user(&engine, &tenant, args).await
        }
        AdminCommand::Users(UsersCommand::List(args)) => {
            let tenant = tenant(&engine, global).await?;
            list_users(&engine, &tenant, args).await
        }
        AdminCommand::Keys(KeysCommand::List(flag)) => {
            let tenant = tenant(&engine, global).await?;
            let keys = engine
                .store
                .list_signing_keys(tenant.id())
                .await
                .map_err(|e| e.to_string())?;
            let items: Vec<_> = keys
                .iter()
                .map(|k| json!({"kid": k.kid, "alg": k.alg.as_str(), "created_at": k.created_at, "activates_at": k.activates_at, "retires_at": k.retires_at, "expires_at": k.expires_at}))
                .collect();
            if flag.json {
                print_json(&json!({ "items": items }))
            } else {
                for k in keys {
                    println!(
                        "{}\t{}\tactivates {}\tretires {:?}\texpires {:?}",
                        k.kid,
                        k.alg.as_str(),
                        k.activates_at,
                        k.retires_at,
                        k.expires_at
                    );
                }
                Ok(())
            }
        }
    }
}
