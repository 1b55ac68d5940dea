//! `gatehouse apps list|create|show|delete`: applications (OAuth clients) over the Management
//! API. `create` takes the options of `gatehouse admin apps create`; a confidential app's
//! client secret is printed once, in the JSON or on a `client_secret:` line.

use super::output::{self, Table};
use super::{
    ClientArgs, DeleteArgs, Failure, ListArgs, check_can_delete, confirm_delete, connect,
    fetch_pages, print_deleted, report_listing,
};
use crate::cli::AppType;
use clap::{Args, Subcommand};
use gatehouse_client::{Client, Page};
use gatehouse_core::{MANAGEMENT_RESOURCE_ID, MANAGEMENT_SCOPE};
use gatehouse_types::management::{
    Application, ApplicationType, CreateApplication, CreatedApplication, ResourceGrant,
};
use std::path::PathBuf;

#[derive(Debug, Clone, Subcommand)]
pub enum AppsCommand {
    /// List applications.
    #[command(visible_alias = "ls")]
    List {
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Create an application; confidential types (web, m2m) without --jwks get a client
    /// secret, shown only once.
    Create(CreateArgs),
    /// Show one application.
    #[command(visible_alias = "view")]
    Show {
        /// The application's client_id.
        id: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Delete an application with its secrets and grants (asks first; --yes to skip).
    #[command(visible_alias = "rm")]
    Delete {
        #[command(flatten)]
        delete: DeleteArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct CreateArgs {
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// Application type.
    #[arg(long = "type", value_enum)]
    pub app_type: AppType,
    /// Redirect URI (repeatable).
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URI (repeatable).
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Third-party application: always asks for consent.
    #[arg(long)]
    pub third_party: bool,
    /// Allow the device authorization grant (RFC 8628); native applications only.
    #[arg(long)]
    pub device_flow: bool,
    /// Allow the application to obtain Management API tokens (scope `all`).
    #[arg(long)]
    pub management: bool,
    /// Grant an API resource: INDICATOR or INDICATOR=scope1,scope2 (repeatable).
    #[arg(long = "resource", value_name = "INDICATOR[=SCOPES]")]
    pub resources: Vec<String>,
    /// Absolute lifetime of the app's refresh token families in seconds (60..=31622400)
    /// [default: the server's, 30 days].
    #[arg(long, value_name = "SECS")]
    pub refresh_token_ttl: Option<u32>,
    /// Refresh tokens unused for this many seconds die (60..=31622400, at most the absolute
    /// lifetime) [default: the server's, 14 days].
    #[arg(long, value_name = "SECS")]
    pub refresh_token_idle_ttl: Option<u32>,
    /// Public JWK Set (a JSON file) whose keys sign the app's private_key_jwt client
    /// assertions; web and m2m apps only, which then get no client secret.
    #[arg(long, value_name = "FILE")]
    pub jwks: Option<PathBuf>,
    #[command(flatten)]
    pub client: ClientArgs,
}

pub async fn run(command: AppsCommand) -> Result<(), Failure> {
    match command {
        AppsCommand::List { client, list } => list_apps(&client, &list).await,
        AppsCommand::Create(args) => create(args).await,
        AppsCommand::Show { id, client } => {
            let api = connect(&client).await?;
            let app = api
                .get_application(&id)
                .await
                .map_err(|e| Failure::from_client(e, Some(&format!("application {id}"))))?;
            if client.json {
                output::print_json(&app)
            } else {
                output::print_details(&details(&app))
            }
        }
        AppsCommand::Delete { delete, client } => {
            check_can_delete(&delete, "application")?;
            let api = connect(&client).await?;
            let subject = format!("application {}", delete.id);
            if !delete.yes {
                let app = api
                    .get_application(&delete.id)
                    .await
                    .map_err(|e| Failure::from_client(e, Some(&subject)))?;
                confirm_delete(
                    &delete,
                    &format!(
                        "{} application \"{}\" ({})",
                        app.app_type.as_str(),
                        app.name,
                        app.id
                    ),
                )?;
            }
            api.delete_application(&delete.id)
                .await
                .map_err(|e| Failure::from_client(e, Some(&subject)))?;
            print_deleted(client.json, "application", &delete.id)
        }
    }
}

async fn list_apps(client: &ClientArgs, list: &ListArgs) -> Result<(), Failure> {
    let api = connect(client).await?;
    let api = &api;
    let (apps, more) = fetch_pages("applications", list, |page| async move {
        let page = api.list_applications(&page).await?;
        Ok((page.items, page.next_cursor))
    })
    .await
    .map_err(|e| Failure::from_client(e, None))?;
    if client.json {
        output::print_json(&apps)?;
    } else if !apps.is_empty() {
        let mut table = Table::new(&["ID", "NAME", "TYPE", "AUTH", "CREATED"]);
        for app in &apps {
            table.row(vec![
                app.id.clone(),
                app.name.clone(),
                app.app_type.as_str().to_owned(),
                app.token_endpoint_auth_method.clone(),
                output::time(app.created_at),
            ]);
        }
        table.print()?;
    }
    report_listing(apps.len(), more, "applications", list.limit);
    Ok(())
}

/// The `show` lines of an application.
fn details(app: &Application) -> Vec<(&'static str, String)> {
    let grants: Vec<String> = app
        .resource_grants
        .iter()
        .map(|grant| {
            if grant.scopes.is_empty() {
                grant.resource_id.clone()
            } else {
                format!("{} ({})", grant.resource_id, grant.scopes.join(" "))
            }
        })
        .collect();
    let ttl = |value: Option<u32>| value.map_or_else(|| "default".to_owned(), |s| format!("{s}s"));
    vec![
        ("ID", app.id.clone()),
        ("Name", app.name.clone()),
        ("Type", app.app_type.as_str().to_owned()),
        ("Auth method", app.token_endpoint_auth_method.clone()),
        ("Redirect URIs", output::list(&app.redirect_uris)),
        (
            "Post-logout redirect URIs",
            output::list(&app.post_logout_redirect_uris),
        ),
        ("Third party", app.third_party.to_string()),
        ("Device flow", app.device_flow.to_string()),
        ("Resource grants", output::list(&grants)),
        ("Refresh token TTL", ttl(app.refresh_token_absolute_ttl)),
        ("Refresh token idle TTL", ttl(app.refresh_token_idle_ttl)),
        (
            "JWKS",
            if app.jwks.is_some() {
                "registered"
            } else {
                "-"
            }
            .to_owned(),
        ),
        ("Built in", app.builtin.to_string()),
        ("Created", output::time(app.created_at)),
        ("Updated", output::time(app.updated_at)),
    ]
}

/// The resource grants of `--management` and `--resource INDICATOR[=SCOPES]`, the
/// indicators looked up among the server's resources.
async fn resource_grants(api: &Client, args: &CreateArgs) -> Result<Vec<ResourceGrant>, Failure> {
    let mut grants = Vec::new();
    if args.management {
        grants.push(ResourceGrant {
            resource_id: MANAGEMENT_RESOURCE_ID.to_owned(),
            scopes: vec![MANAGEMENT_SCOPE.to_owned()],
        });
    }
    if args.resources.is_empty() {
        return Ok(grants);
    }
    let everything = super::ListArgs {
        limit: u32::MAX,
        chunk_size: gatehouse_client::MAX_PAGE_SIZE,
    };
    let (resources, _) = fetch_pages("resources", &everything, |page: Page| async move {
        let page = api.list_resources(&page).await?;
        Ok((page.items, page.next_cursor))
    })
    .await
    .map_err(|e| Failure::from_client(e, None))?;
    for spec in &args.resources {
        let (indicator, scopes) = spec.split_once('=').unwrap_or((spec.as_str(), ""));
        let resource = resources
            .iter()
            .find(|resource| resource.indicator == indicator)
            .ok_or_else(|| {
                Failure::new(
                    super::EXIT_ERROR,
                    format!("no API resource with indicator {indicator}"),
                )
            })?;
        grants.push(ResourceGrant {
            resource_id: resource.id.clone(),
            scopes: scopes
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        });
    }
    Ok(grants)
}

async fn create(args: CreateArgs) -> Result<(), Failure> {
    let jwks = args
        .jwks
        .as_deref()
        .map(crate::admin::read_jwks)
        .transpose()
        .map_err(Failure::usage)?;
    let api = connect(&args.client).await?;
    let body = CreateApplication {
        name: args.name.clone(),
        app_type: match args.app_type {
            AppType::Spa => ApplicationType::Spa,
            AppType::Native => ApplicationType::Native,
            AppType::Web => ApplicationType::Web,
            AppType::M2m => ApplicationType::M2m,
        },
        redirect_uris: args.redirect_uris.clone(),
        post_logout_redirect_uris: args.post_logout_redirect_uris.clone(),
        third_party: args.third_party,
        device_flow: args.device_flow,
        resource_grants: resource_grants(&api, &args).await?,
        refresh_token_absolute_ttl: args.refresh_token_ttl,
        refresh_token_idle_ttl: args.refresh_token_idle_ttl,
        jwks,
    };
    let created = api
        .create_application(&body)
        .await
        .map_err(|e| Failure::from_client(e, None))?;
    print_created(&created, args.client.json)
}

fn print_created(created: &CreatedApplication, json: bool) -> Result<(), Failure> {
    let app = &created.application;
    if json {
        output::print_json(created)?;
    } else {
        let mut fields = details(app);
        if let Some(secret) = &created.client_secret {
            fields.insert(1, ("Client secret", secret.clone()));
        }
        output::print_details(&fields)?;
    }
    let name = output::clean(&app.name);
    eprintln!(
        "Created {} application \"{name}\" with client_id {}.",
        app.app_type.as_str(),
        output::clean(&app.id)
    );
    if created.client_secret.is_some() {
        eprintln!("The client secret is shown only once: store it now.");
    }
    Ok(())
}
