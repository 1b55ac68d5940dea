//! `gatehouse resources list|create|show|delete`: API resources (RFC 8707 indicators and their
//! scopes) over the Management API. `create` takes the options of
//! `gatehouse admin resources create`.

use super::output::{self, Table};
use super::{
    ClientArgs, DeleteArgs, Failure, ListArgs, check_can_delete, confirm_delete, connect,
    fetch_pages, print_deleted, report_listing,
};
use clap::{Args, Subcommand};
use gatehouse_types::management::{ApiResource, CreateApiResource, ResourceScope};

#[derive(Debug, Clone, Subcommand)]
pub enum ResourcesCommand {
    /// List API resources (the built-in Management API among them).
    #[command(visible_alias = "ls")]
    List {
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Create an API resource.
    Create(CreateArgs),
    /// Show one API resource.
    #[command(visible_alias = "view")]
    Show {
        /// The resource's id.
        id: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Delete an API resource and every application grant on it (asks first; --yes to skip).
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
    /// Resource indicator (absolute URI): the `aud` of its tokens.
    #[arg(long, value_name = "URI")]
    pub indicator: String,
    /// Permission: NAME or NAME=DESCRIPTION (repeatable).
    #[arg(long = "scope", value_name = "NAME[=DESCRIPTION]")]
    pub scopes: Vec<String>,
    /// Access token lifetime in seconds (60..=86400) [default: 900].
    #[arg(long, value_name = "SECS")]
    pub access_token_ttl: Option<u32>,
    #[command(flatten)]
    pub client: ClientArgs,
}

pub async fn run(command: ResourcesCommand) -> Result<(), Failure> {
    match command {
        ResourcesCommand::List { client, list } => {
            let api = connect(&client).await?;
            let api = &api;
            let (resources, more) = fetch_pages("resources", &list, |page| async move {
                let page = api.list_resources(&page).await?;
                Ok((page.items, page.next_cursor))
            })
            .await
            .map_err(|e| Failure::from_client(e, None))?;
            if client.json {
                output::print_json(&resources)?;
            } else if !resources.is_empty() {
                let mut table = Table::new(&["ID", "NAME", "INDICATOR", "SCOPES", "TOKEN TTL"]);
                for resource in &resources {
                    table.row(vec![
                        resource.id.clone(),
                        resource.name.clone(),
                        resource.indicator.clone(),
                        output::list(&scope_names(resource)),
                        format!("{}s", resource.access_token_ttl),
                    ]);
                }
                table.print()?;
            }
            report_listing(resources.len(), more, "resources", list.limit);
            Ok(())
        }
        ResourcesCommand::Create(args) => {
            let api = connect(&args.client).await?;
            let body = CreateApiResource {
                name: args.name,
                indicator: args.indicator,
                access_token_ttl: args.access_token_ttl,
                scopes: args.scopes.iter().map(|spec| parse_scope(spec)).collect(),
            };
            let resource = api
                .create_resource(&body)
                .await
                .map_err(|e| Failure::from_client(e, None))?;
            show(&resource, args.client.json)?;
            eprintln!(
                "Created API resource {} ({}).",
                output::clean(&resource.indicator),
                output::clean(&resource.id)
            );
            Ok(())
        }
        ResourcesCommand::Show { id, client } => {
            let api = connect(&client).await?;
            let resource = api
                .get_resource(&id)
                .await
                .map_err(|e| Failure::from_client(e, Some(&format!("API resource {id}"))))?;
            show(&resource, client.json)
        }
        ResourcesCommand::Delete { delete, client } => {
            check_can_delete(&delete, "API resource")?;
            let api = connect(&client).await?;
            let subject = format!("API resource {}", delete.id);
            if !delete.yes {
                let resource = api
                    .get_resource(&delete.id)
                    .await
                    .map_err(|e| Failure::from_client(e, Some(&subject)))?;
                confirm_delete(
                    &delete,
                    &format!(
                        "API resource \"{}\" ({}) and every application grant on it",
                        resource.name, resource.indicator
                    ),
                )?;
            }
            api.delete_resource(&delete.id)
                .await
                .map_err(|e| Failure::from_client(e, Some(&subject)))?;
            print_deleted(client.json, "API resource", &delete.id)
        }
    }
}

/// `NAME` or `NAME=DESCRIPTION`.
fn parse_scope(spec: &str) -> ResourceScope {
    let (name, description) = spec.split_once('=').unwrap_or((spec, ""));
    ResourceScope {
        name: name.to_owned(),
        description: description.to_owned(),
    }
}

fn scope_names(resource: &ApiResource) -> Vec<String> {
    resource.scopes.iter().map(|s| s.name.clone()).collect()
}

fn show(resource: &ApiResource, json: bool) -> Result<(), Failure> {
    if json {
        return output::print_json(resource);
    }
    let scopes: Vec<String> = resource
        .scopes
        .iter()
        .map(|scope| {
            if scope.description.is_empty() {
                scope.name.clone()
            } else {
                format!("{} ({})", scope.name, scope.description)
            }
        })
        .collect();
    output::print_details(&[
        ("ID", resource.id.clone()),
        ("Name", resource.name.clone()),
        ("Indicator", resource.indicator.clone()),
        ("Scopes", output::list(&scopes)),
        ("Token TTL", format!("{}s", resource.access_token_ttl)),
        ("Built in", resource.builtin.to_string()),
        ("Created", output::time(resource.created_at)),
        ("Updated", output::time(resource.updated_at)),
    ])
}
