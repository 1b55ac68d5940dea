//! `/api/resources`: API resources (RFC 8707 resource indicators and their scopes).

use crate::{Client, ClientError, Page, add_page, check_id};
use gatehouse_types::management::{
    ApiResource, ApiResourceList, CreateApiResource, UpdateApiResource,
};
use reqwest::Method;

impl Client {
    /// One page of API resources, ordered by id (`GET /api/resources`); the built-in
    /// Management API resource is among them.
    pub async fn list_resources(&self, page: &Page) -> Result<ApiResourceList, ClientError> {
        let mut url = self.url(&["resources"]);
        add_page(&mut url, page);
        self.call(Method::GET, url, None::<&()>).await
    }

    /// Registers an API resource (`POST /api/resources`).
    pub async fn create_resource(
        &self,
        body: &CreateApiResource,
    ) -> Result<ApiResource, ClientError> {
        let url = self.url(&["resources"]);
        self.call(Method::POST, url, Some(body)).await
    }

    /// Reads one API resource (`GET /api/resources/{id}`).
    pub async fn get_resource(&self, id: &str) -> Result<ApiResource, ClientError> {
        let url = self.url(&["resources", check_id(id)?]);
        self.call(Method::GET, url, None::<&()>).await
    }

    /// Changes the given fields of an API resource (`PATCH /api/resources/{id}`).
    pub async fn update_resource(
        &self,
        id: &str,
        body: &UpdateApiResource,
    ) -> Result<ApiResource, ClientError> {
        let url = self.url(&["resources", check_id(id)?]);
        self.call(Method::PATCH, url, Some(body)).await
    }

    /// Deletes an API resource and every application grant on it
    /// (`DELETE /api/resources/{id}`).
    pub async fn delete_resource(&self, id: &str) -> Result<(), ClientError> {
        let url = self.url(&["resources", check_id(id)?]);
        self.call_empty(Method::DELETE, url).await
    }
}
