//! `gatehouse users list|create|show|delete`: users over the Management API. `list` searches
//! (`--query`) and follows the cursor through every page up to `--limit`; `create` reads the
//! password only from standard input (`--password-stdin`), never from the command line.

use super::output::{self, Table};
use super::{
    ClientArgs, DeleteArgs, Failure, ListArgs, check_can_delete, confirm_delete, connect,
    fetch_pages, print_deleted, report_listing,
};
use clap::{Args, Subcommand};
use gatehouse_types::management::{CreateUser, User};

#[derive(Debug, Clone, Subcommand)]
pub enum UsersCommand {
    /// List users, following the cursor through every page (up to --limit).
    #[command(visible_alias = "ls")]
    List {
        /// Keep users whose username, email or name contains this text (case-insensitive).
        #[arg(long, short = 'q')]
        query: Option<String>,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Create a user.
    Create(CreateArgs),
    /// Show one user.
    #[command(visible_alias = "view")]
    Show {
        /// The user's id.
        id: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Delete a user (asks first; --yes to skip).
    #[command(visible_alias = "rm")]
    Delete {
        #[command(flatten)]
        delete: DeleteArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("identifier").required(true).multiple(true).args(["username", "email"])))]
pub struct CreateArgs {
    /// Username (compared case-insensitively after Unicode normalization).
    #[arg(long)]
    pub username: Option<String>,
    /// Email address.
    #[arg(long)]
    pub email: Option<String>,
    /// Read the password from the first line of standard input (without it the user has no
    /// password and signs in other ways).
    #[arg(long)]
    pub password_stdin: bool,
    /// Display name.
    #[arg(long)]
    pub name: Option<String>,
    /// Mark the email address as verified.
    #[arg(long)]
    pub email_verified: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

pub async fn run(command: UsersCommand) -> Result<(), Failure> {
    match command {
        UsersCommand::List {
            query,
            client,
            list,
        } => {
            let api = connect(&client).await?;
            let search = query.as_deref();
            let api = &api;
            let (users, more) = fetch_pages("users", &list, |page| async move {
                let page = api.list_users(search, &page).await?;
                Ok((page.items, page.next_cursor))
            })
            .await
            .map_err(|e| Failure::from_client(e, None))?;
            if client.json {
                output::print_json(&users)?;
            } else if !users.is_empty() {
                let mut table =
                    Table::new(&["ID", "USERNAME", "EMAIL", "NAME", "STATUS", "CREATED"]);
                for user in &users {
                    table.row(vec![
                        user.id.clone(),
                        output::or_dash(user.username.as_deref()),
                        output::or_dash(user.email.as_deref()),
                        output::or_dash(user.name.as_deref()),
                        status(user).to_owned(),
                        output::time(user.created_at),
                    ]);
                }
                table.print()?;
            }
            report_listing(users.len(), more, "users", list.limit);
            Ok(())
        }
        UsersCommand::Create(args) => {
            let password =
                crate::admin::read_password(&None, args.password_stdin).map_err(Failure::usage)?;
            let api = connect(&args.client).await?;
            let body = CreateUser {
                username: args.username,
                email: args.email,
                password,
                name: args.name,
                email_verified: Some(args.email_verified),
                ..Default::default()
            };
            let user = api
                .create_user(&body)
                .await
                .map_err(|e| Failure::from_client(e, None))?;
            show(&user, args.client.json)?;
            eprintln!("Created user {}.", output::clean(&user.id));
            Ok(())
        }
        UsersCommand::Show { id, client } => {
            let api = connect(&client).await?;
            let user = api
                .get_user(&id)
                .await
                .map_err(|e| Failure::from_client(e, Some(&format!("user {id}"))))?;
            show(&user, client.json)
        }
        UsersCommand::Delete { delete, client } => {
            check_can_delete(&delete, "user")?;
            let api = connect(&client).await?;
            let subject = format!("user {}", delete.id);
            if !delete.yes {
                let user = api
                    .get_user(&delete.id)
                    .await
                    .map_err(|e| Failure::from_client(e, Some(&subject)))?;
                let label = user.username.or(user.email).unwrap_or_default();
                confirm_delete(&delete, &format!("user \"{label}\" ({})", user.id))?;
            }
            api.delete_user(&delete.id)
                .await
                .map_err(|e| Failure::from_client(e, Some(&subject)))?;
            print_deleted(client.json, "user", &delete.id)
        }
    }
}

fn status(user: &User) -> &'static str {
    if user.disabled { "disabled" } else { "active" }
}

fn show(user: &User, json: bool) -> Result<(), Failure> {
    if json {
        return output::print_json(user);
    }
    output::print_details(&[
        ("ID", user.id.clone()),
        ("Username", output::or_dash(user.username.as_deref())),
        ("Email", output::or_dash(user.email.as_deref())),
        ("Email verified", user.email_verified.to_string()),
        ("Name", output::or_dash(user.name.as_deref())),
        (
            "Password",
            if user.has_password { "set" } else { "none" }.to_owned(),
        ),
        ("Status", status(user).to_owned()),
        ("Created", output::time(user.created_at)),
        ("Updated", output::time(user.updated_at)),
    ])
}
