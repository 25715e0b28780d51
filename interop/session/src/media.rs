//! Media: the upload limit, an upload, and the download back, byte for byte, by another user
//! through the authenticated endpoints (`/_matrix/client/v1/media/download`), under its own
//! name and another; without a token, and through the legacy unauthenticated path, it is
//! refused.

use bytes::Bytes;
use matrix_client_server::ErrorCode;
use matrix_client_server::client::Client;
use matrix_client_server::endpoints::{
    get_config_authed, get_content, get_content_authed, get_content_override_name_authed, upload_content,
};

use crate::{Failure, Log, Sent, User, ensure};

/// The uploaded file's name and type.
const FILE_NAME: &str = "interop-session.bin";
const CONTENT_TYPE: &str = "application/octet-stream";

/// What is uploaded: every byte value, so that any text decoding on the way would show.
fn payload() -> Bytes {
    (0..=u8::MAX).cycle().take(4096).collect::<Vec<u8>>().into()
}

/// The server name and media id of an `mxc://` URI.
pub fn parse_mxc(uri: &str) -> Option<(&str, &str)> {
    let (server, media) = uri.strip_prefix("mxc://")?.split_once('/')?;
    let valid = !server.is_empty() && !media.is_empty() && !media.contains('/');
    valid.then_some((server, media))
}

/// `uploader` uploads the payload; `downloader` gets it back through the authenticated
/// endpoints; no token and the legacy path are refused.
pub(crate) async fn round_trip(
    anonymous: &Client,
    uploader: &User,
    downloader: &User,
    log: &mut Log<'_>,
) -> Result<(), Failure> {
    let data = payload();
    let request = get_config_authed::Request::new();
    let answer = uploader.client.get_config_authed(&request).await.or_fail(&request)?;
    let get_config_authed::Response::Ok(config) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let limit = config.m_upload_size;
    ensure(
        &request,
        limit.is_none_or(|l| usize::try_from(l).is_ok_and(|l| l >= data.len())),
        || format!("the upload limit {limit:?} is below {} bytes", data.len()),
    )?;
    log.step(
        &request,
        "the media configuration",
        format!("Ok, m.upload.size {limit:?}"),
    );
    let mut request = upload_content::Request::new(data.clone());
    request.content_type = Some(CONTENT_TYPE.to_owned());
    request.filename = Some(FILE_NAME.to_owned());
    let answer = uploader.client.upload_content(&request).await.or_fail(&request)?;
    let upload_content::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let Some((server, media)) = parse_mxc(&body.content_uri) else {
        return Err(Failure::of(&request, format!("content_uri {}", body.content_uri)));
    };
    log.step(
        &request,
        format!("{} uploads {} bytes as {FILE_NAME}", uploader.name, data.len()),
        format!("Ok, {}", body.content_uri),
    );
    download(downloader, server, media, &data, log).await?;
    refusals(anonymous, server, media, log).await
}

async fn download(user: &User, server: &str, media: &str, data: &Bytes, log: &mut Log<'_>) -> Result<(), Failure> {
    let request = get_content_authed::Request::new(server.to_owned(), media.to_owned());
    let answer = user.client.get_content_authed(&request).await.or_fail(&request)?;
    let get_content_authed::Response::Ok {
        body,
        content_type,
        content_disposition,
    } = &answer
    else {
        return Err(Failure::answer(&request, "Ok with the bytes", &answer));
    };
    ensure(&request, body == data, || {
        format!("{} bytes back, not the {} sent", body.len(), data.len())
    })?;
    ensure(
        &request,
        content_type == CONTENT_TYPE && content_disposition.contains(FILE_NAME),
        || format!("Content-Type {content_type:?}, Content-Disposition {content_disposition:?}"),
    )?;
    log.step(
        &request,
        format!("{} downloads it (authenticated)", user.name),
        format!(
            "Ok, the same {} bytes, {content_type}, {content_disposition:?}",
            body.len()
        ),
    );
    let renamed = "renamed.bin";
    let request = get_content_override_name_authed::Request::new(server.to_owned(), media.to_owned(), renamed.into());
    let answer = user
        .client
        .get_content_override_name_authed(&request)
        .await
        .or_fail(&request)?;
    let get_content_override_name_authed::Response::Ok {
        body,
        content_disposition,
        ..
    } = &answer
    else {
        return Err(Failure::answer(&request, "Ok with the bytes", &answer));
    };
    ensure(&request, body == data && content_disposition.contains(renamed), || {
        format!("{} bytes, Content-Disposition {content_disposition:?}", body.len())
    })?;
    log.step(
        &request,
        format!("download it as {renamed}"),
        format!("Ok, the same bytes, {content_disposition:?}"),
    );
    Ok(())
}

/// Without a token the authenticated download is 401 `M_MISSING_TOKEN`; the legacy
/// unauthenticated download of media uploaded since authenticated media is 404
/// `M_NOT_FOUND` (the spec's freeze of v1.11).
async fn refusals(anonymous: &Client, server: &str, media: &str, log: &mut Log<'_>) -> Result<(), Failure> {
    let request = get_content_authed::Request::new(server.to_owned(), media.to_owned());
    let answer = anonymous.get_content_authed(&request).await.or_fail(&request)?;
    match &answer {
        get_content_authed::Response::Error { status, error }
            if *status == 401 && error.errcode == ErrorCode::MissingToken =>
        {
            log.step(&request, "download it without a token", "Error 401 M_MISSING_TOKEN");
        }
        _ => return Err(Failure::answer(&request, "Error 401 M_MISSING_TOKEN", &answer)),
    }
    let request = get_content::Request::new(server.to_owned(), media.to_owned());
    let answer = anonymous.get_content(&request).await.or_fail(&request)?;
    match &answer {
        get_content::Response::Error { status, error } if *status == 404 && error.errcode == ErrorCode::NotFound => {
            log.step(&request, "download it by the legacy path", "Error 404 M_NOT_FOUND");
            Ok(())
        }
        _ => Err(Failure::answer(&request, "Error 404 M_NOT_FOUND", &answer)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mxc_uris_split_into_server_and_media_id() {
        assert_eq!(parse_mxc("mxc://localhost/AbCdEf"), Some(("localhost", "AbCdEf")));
        assert_eq!(parse_mxc("mxc://example.org:8448/id"), Some(("example.org:8448", "id")));
        for bad in [
            "https://localhost/AbCdEf",
            "mxc://localhost",
            "mxc:///id",
            "mxc://localhost/",
            "mxc://a/b/c",
        ] {
            assert_eq!(parse_mxc(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_payload_is_not_text() {
        let data = payload();
        assert!(std::str::from_utf8(&data).is_err());
        assert!(data.contains(&0) && data.contains(&0xff));
    }
}
