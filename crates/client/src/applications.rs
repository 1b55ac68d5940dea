//! `/api/applications`: applications (OAuth clients) and their client secrets.

use crate::{Client, ClientError, Page, add_page, check_id};
use gatehouse_types::management::{
    Application, ApplicationList, ClientSecretList, CreateApplication, CreateClientSecret,
    CreatedApplication, CreatedClientSecret, UpdateApplication,
};
use reqwest::Method;

impl Client {
    /// One page of applications, ordered by id (`GET /api/applications`).
    pub async fn list_applications(&self, page: &Page) -> Result<ApplicationList, ClientError> {
        let mut url = self.url(&["applications"]);
        add_page(&mut url, page);
        self.call(Method::GET, url, None::<&()>).await
    }

    /// Registers an application (`POST /api/applications`). Confidential types without a JWK
    /// Set get their first client secret, in this answer only.
    pub async fn create_application(
        &self,
        body: &CreateApplication,
    ) -> Result<CreatedApplication, ClientError> {
        let url = self.url(&["applications"]);
        self.call(Method::POST, url, Some(body)).await
    }

    /// Reads one application by its client_id (`GET /api/applications/{id}`).
    pub async fn get_application(&self, id: &str) -> Result<Application, ClientError> {
        let url = self.url(&["applications", check_id(id)?]);
        self.call(Method::GET, url, None::<&()>).await
    }

    /// Changes the given fields of an application (`PATCH /api/applications/{id}`).
    pub async fn update_application(
        &self,
        id: &str,
        body: &UpdateApplication,
    ) -> Result<Application, ClientError> {
        let url = self.url(&["applications", check_id(id)?]);
        self.call(Method::PATCH, url, Some(body)).await
    }

    /// Deletes an application with its secrets and grants (`DELETE /api/applications/{id}`).
    pub async fn delete_application(&self, id: &str) -> Result<(), ClientError> {
        let url = self.url(&["applications", check_id(id)?]);
        self.call_empty(Method::DELETE, url).await
    }

    /// Adds a client secret, shown only in this answer (`POST /api/applications/{id}/secrets`).
    pub async fn create_client_secret(
        &self,
        id: &str,
        body: &CreateClientSecret,
    ) -> Result<CreatedClientSecret, ClientError> {
        let url = self.url(&["applications", check_id(id)?, "secrets"]);
        self.call(Method::POST, url, Some(body)).await
    }

    /// The metadata of an application's secrets, oldest first
    /// (`GET /api/applications/{id}/secrets`).
    pub async fn list_client_secrets(&self, id: &str) -> Result<ClientSecretList, ClientError> {
        let url = self.url(&["applications", check_id(id)?, "secrets"]);
        self.call(Method::GET, url, None::<&()>).await
    }

    /// Deletes a client secret; it stops working at once
    /// (`DELETE /api/applications/{id}/secrets/{secret_id}`).
    pub async fn delete_client_secret(&self, id: &str, secret_id: &str) -> Result<(), ClientError> {
        let url = self.url(&[
            "applications",
            check_id(id)?,
            "secrets",
            check_id(secret_id)?,
        ]);
        self.call_empty(Method::DELETE, url).await
    }
}
