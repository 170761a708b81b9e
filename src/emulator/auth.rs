//! Credentials and project checks: an `X-Auth-Token`, or an `SDK-HMAC-SHA256` `Authorization`
//! header (verified when the emulator holds the key pair), then the project ID of the path.
//! Refusals name the reason and never echo a secret.

/// Shortest token `serve` accepts when no `--token` is configured (IAM tokens are far longer).
pub const MIN_TOKEN_LEN: usize = 16;

use crate::signing::{self, SignableRequest};

use super::errors::{ApiError, ApiResult};
use super::state::State;
use super::Fault;

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Checks the credentials of a request (its parts as a signer sees them).
pub(super) fn authenticate(state: &State, request: &SignableRequest) -> ApiResult<()> {
    let token = header(request.headers, "X-Auth-Token");
    let authorization = header(request.headers, "Authorization");
    let offered = token.is_some() || authorization.is_some();
    if (!offered && state.faulty(Fault::NoAuth)) || (offered && state.faulty(Fault::BadSignatureAccepted)) {
        return Ok(());
    }
    if let Some(token) = token {
        if token.trim().is_empty() {
            return Err(ApiError::unauthorized("empty X-Auth-Token"));
        }
        return match &state.token {
            Some(expected) if expected != token => Err(ApiError::unauthorized("the token is invalid")),
            // Without a configured token, any well-formed token passes: 16 characters or more, no spaces.
            None if token.len() < MIN_TOKEN_LEN || token.contains(char::is_whitespace) => {
                Err(ApiError::unauthorized("the token is malformed"))
            }
            _ => Ok(()),
        };
    }
    let Some(authorization) = authorization else {
        return Err(ApiError::unauthorized("no X-Auth-Token and no SDK-HMAC-SHA256 Authorization header"));
    };
    let result = match &state.key_pair {
        Some(pair) => {
            signing::verify(authorization, |ak| (ak == pair.access_key).then(|| pair.secret_key.clone()), request)
        }
        None => signing::parse_authorization(authorization).and_then(|_| {
            header(request.headers, signing::DATE_HEADER).map(|_| ()).ok_or(signing::SignatureError::MissingDate)
        }),
    };
    result.map_err(|e| ApiError::unauthorized(&e.to_string()))
}

/// Checks that the path's project is the configured one (400 SDRS.0001 otherwise).
pub(super) fn check_project(state: &State, project_id: &str) -> ApiResult<()> {
    if project_id == state.project_id {
        Ok(())
    } else {
        Err(ApiError::Sdrs("SDRS.0001"))
    }
}
