//! `zspark auth login | status | logout`: sign in to the identity provider of a
//! shared-workspace server (Entra ID or another OpenID provider) from a terminal, with
//! the same flows and token store the desktop uses.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use zspark_auth::signin::{
    Account, OidcClient, SecretLocation, SignInSettings, SystemBrowser, TokenStore,
};

#[derive(Debug, Args)]
pub struct AuthArgs {
    #[command(subcommand)]
    pub action: AuthAction,

    /// The authority, e.g. https://login.microsoftonline.com/<tenant-id>.
    #[arg(long, global = true, env = "ZSPARK_SIGNIN_AUTHORITY")]
    pub authority: Option<String>,

    /// The desktop app registration's Application (client) ID.
    #[arg(long, global = true, env = "ZSPARK_SIGNIN_CLIENT_ID")]
    pub client_id: Option<String>,

    /// The server API's scope, e.g. api://<api-client-id>/access_as_user.
    #[arg(long, global = true, env = "ZSPARK_SIGNIN_SCOPE")]
    pub scope: Option<String>,

    /// Where tokens go when the system has no keychain (default: the user's config
    /// directory).
    #[arg(long, global = true, env = "ZSPARK_SIGNIN_DIR")]
    pub token_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AuthAction {
    /// Sign in through the browser (or with a device code).
    Login {
        /// Show a code to enter on another device instead of opening a browser.
        #[arg(long)]
        device_code: bool,
    },
    /// Say who is signed in.
    Status,
    /// Forget the tokens.
    Logout,
}

pub async fn run(args: AuthArgs, report: fn(&str)) -> ExitCode {
    match act(args, report).await {
        Ok(message) => {
            report(&message);
            ExitCode::SUCCESS
        }
        Err(message) => {
            report(&format!("zspark auth: {message}"));
            ExitCode::FAILURE
        }
    }
}

async fn act(args: AuthArgs, report: fn(&str)) -> Result<String, String> {
    let (Some(authority), Some(client_id), Some(scope)) =
        (args.authority, args.client_id, args.scope)
    else {
        return Err(
            "set --authority, --client-id and --scope (or ZSPARK_SIGNIN_AUTHORITY, ZSPARK_SIGNIN_CLIENT_ID, ZSPARK_SIGNIN_SCOPE); see docs/entra-setup.md"
                .to_string(),
        );
    };
    let token_dir = args
        .token_dir
        .or_else(|| dirs::config_dir().map(|dir| dir.join("zspark")))
        .ok_or("cannot find a configuration directory; pass --token-dir")?;
    let store = TokenStore::new(&authority, &client_id, &token_dir);
    let login_with_device_code = match args.action {
        AuthAction::Logout => {
            store.delete().map_err(|error| error.to_string())?;
            return Ok("signed out".to_string());
        }
        AuthAction::Status => None,
        AuthAction::Login { device_code } => Some(device_code),
    };
    let settings = SignInSettings {
        authority,
        client_id,
        api_scope: scope,
    };
    let client = OidcClient::discover(settings)
        .await
        .map_err(|error| error.to_string())?;
    let account = Account::restore(client, store).map_err(|error| error.to_string())?;
    let Some(device_code) = login_with_device_code else {
        return Ok(match account.signed_in().await {
            Some(who) => format!("signed in as {}", who.display_name.unwrap_or(who.subject)),
            None => "not signed in; run `zspark auth login`".to_string(),
        });
    };
    let (who, location) = if device_code {
        account
            .sign_in_with_device_code(|prompt| {
                let address = prompt
                    .verification_uri_complete
                    .as_deref()
                    .unwrap_or(&prompt.verification_uri);
                report(&format!(
                    "To sign in, open {address} and enter the code {}",
                    prompt.user_code
                ));
            })
            .await
            .map_err(|error| error.to_string())?
    } else {
        report("Opening the browser to sign in…");
        account
            .sign_in_with_browser(&SystemBrowser)
            .await
            .map_err(|error| error.to_string())?
    };
    let kept = match location {
        SecretLocation::Keychain => "the tokens are in the OS keychain".to_string(),
        SecretLocation::File(path) => format!(
            "warning: no OS keychain here, so the tokens are in {} (readable only by you)",
            path.display()
        ),
    };
    Ok(format!(
        "signed in as {}; {kept}",
        who.display_name.unwrap_or(who.subject)
    ))
}
