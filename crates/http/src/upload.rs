//! Uploads: a multipart form's file part within the server's limit (413 beyond it), and the
//! few short text parts beside it; the same for the API's imports and the console's forms.

use crate::error::{ApiError, ApiResult};
use axum::extract::Multipart;
use pledge_domain::code;

/// The multipart form of an upload, or 400 `multipart_required`.
pub fn multipart(
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Multipart> {
    form.map_err(|_| ApiError::BadRequest {
        code: code::MULTIPART_REQUIRED,
        detail: "请以multipart/form-data上传文件，部件名为file / send the file as multipart/form-data, part `file`".into(),
    })
}

/// The part `file` of an upload, its name and bytes, within `limit` bytes (larger: 413, read
/// on up to as much again first, so that a client still sending reads the answer).
pub async fn file_part(form: &mut Multipart, limit: usize) -> ApiResult<(String, Vec<u8>)> {
    upload_parts(form, limit).await.map(|(_, file)| file)
}

/// How many text parts beside the file an upload's form may have read.
const MAX_TEXT_PARTS: usize = 32;
/// The longest text part read.
const MAX_TEXT_PART: usize = 4096;

/// The text parts of a form beside its file (at most 32, 4 KiB each; the console's form token
/// and choices) and the part `file`, as [`file_part`] reads it.
pub async fn upload_parts(
    form: &mut Multipart,
    limit: usize,
) -> ApiResult<(Vec<(String, String)>, (String, Vec<u8>))> {
    let mut file = None;
    let mut texts = Vec::new();
    loop {
        let field = form.next_field().await.map_err(|e| ApiError::BadRequest {
            code: code::BAD_MULTIPART,
            detail: format!("无法读取上传内容 / unreadable upload: {e}"),
        })?;
        let Some(field) = field else { break };
        if field.name() != Some("file") {
            // Other parts are skipped unread, but for a few short text ones, read within
            // their bound: a part never takes more memory than that.
            if field.file_name().is_none() && texts.len() < MAX_TEXT_PARTS {
                let name = field.name().unwrap_or_default().to_owned();
                let mut field = field;
                let mut text = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| ApiError::BadRequest {
                    code: code::BAD_MULTIPART,
                    detail: format!("无法读取上传内容 / unreadable upload: {e}"),
                })? {
                    if text.len() + chunk.len() > MAX_TEXT_PART {
                        return Err(ApiError::BadRequest {
                            code: code::BAD_MULTIPART,
                            detail: format!(
                                "表单字段{name}过长 / the part `{name}` is longer than {MAX_TEXT_PART} bytes"
                            ),
                        });
                    }
                    text.extend_from_slice(&chunk);
                }
                texts.push((name, String::from_utf8_lossy(&text).into_owned()));
            }
            continue;
        }
        let name = field.file_name().unwrap_or("upload.xlsx").to_owned();
        let mut field = field;
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| ApiError::BadRequest {
            code: code::BAD_MULTIPART,
            detail: format!("无法读取上传文件 / unreadable file part: {e}"),
        })? {
            if bytes.len() + chunk.len() > limit {
                // Read on (up to as much again) before answering, so that the client, still
                // sending, reads the 413 instead of a closed connection.
                let mut drained = bytes.len() + chunk.len();
                drop(bytes);
                while drained <= limit.saturating_mul(2) {
                    match field.chunk().await {
                        Ok(Some(more)) => drained += more.len(),
                        _ => break,
                    }
                }
                return Err(ApiError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        file = Some((name, bytes));
    }
    let file = file.ok_or_else(|| {
        ApiError::Validation(vec![crate::FieldError {
            field: "file".into(),
            code: code::REQUIRED.into(),
            message: "请上传名为file的文件 / send the file as the multipart part `file`".into(),
        }])
    })?;
    Ok((texts, file))
}
