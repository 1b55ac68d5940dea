//! `/api/users`: users, searched and paged by cursor.

use crate::{Client, ClientError, Page, add_page, check_id};
use gatehouse_types::management::{CreateUser, UpdateUser, User, UserList};
use reqwest::Method;

impl Client {
    /// One page of users ordered by id (`GET /api/users`), keeping with `search` those whose
    /// username, email or name contains it (case-insensitive). Follow `next_cursor` through
    /// [`Page::after`] for the next page.
    pub async fn list_users(
        &self,
        search: Option<&str>,
        page: &Page,
    ) -> Result<UserList, ClientError> {
        let mut url = self.url(&["users"]);
        if let Some(search) = search {
            url.query_pairs_mut().append_pair("q", search);
        }
        add_page(&mut url, page);
        self.call(Method::GET, url, None::<&()>).await
    }

    /// Creates a user (`POST /api/users`); the password, if any, is checked against the policy
    /// and never returned.
    pub async fn create_user(&self, body: &CreateUser) -> Result<User, ClientError> {
        let url = self.url(&["users"]);
        self.call(Method::POST, url, Some(body)).await
    }

    /// Reads one user (`GET /api/users/{id}`).
    pub async fn get_user(&self, id: &str) -> Result<User, ClientError> {
        let url = self.url(&["users", check_id(id)?]);
        self.call(Method::GET, url, None::<&()>).await
    }

    /// Changes the given fields of a user (`PATCH /api/users/{id}`). A field left `None` keeps
    /// its value; `Some(None)` on a standard claim (`phone_number`, `given_name`, ...,
    /// `address`) removes it.
    pub async fn update_user(&self, id: &str, body: &UpdateUser) -> Result<User, ClientError> {
        let url = self.url(&["users", check_id(id)?]);
        self.call(Method::PATCH, url, Some(body)).await
    }

    /// Deletes a user (`DELETE /api/users/{id}`).
    pub async fn delete_user(&self, id: &str) -> Result<(), ClientError> {
        let url = self.url(&["users", check_id(id)?]);
        self.call_empty(Method::DELETE, url).await
    }
}
