//! `service`: the server as a Windows service, for a prefecture that runs it on Windows
//! Server — `install` registers it (automatic start, under LocalService, with the settings
//! file given by --config), `uninstall` stops and removes it, `run` is what the service
//! manager starts. Stopping the service stops the server as SIGTERM does (readiness 503,
//! requests and the SMTP transaction in hand finished). On Linux the systemd unit does this.

use std::path::PathBuf;

use clap::Subcommand;

use crate::config::Config;

/// The service's name in the service manager (`sc query madoguchi-server`).
pub const NAME: &str = "madoguchi-server";

#[derive(Subcommand, Debug)]
pub(super) enum ServiceCommand {
    /// Registers the service (automatic start) with the settings file given by --config.
    Install,
    /// Stops and removes the service.
    Uninstall,
    /// What the service manager runs (not to be started by hand).
    Run,
}

pub(super) async fn service(
    config_path: Option<PathBuf>,
    config: Config,
    command: ServiceCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    #[cfg(windows)]
    {
        match command {
            ServiceCommand::Install => {
                let path = config_path.ok_or(
                    "service install needs --config FILE (the settings the service serves with)",
                )?;
                windows::install(&std::path::absolute(path)?)?;
                println!("service {NAME} installed: `sc start {NAME}` (or it starts with Windows)");
            }
            ServiceCommand::Uninstall => {
                windows::uninstall()?;
                println!("service {NAME} removed");
            }
            ServiceCommand::Run => tokio::task::block_in_place(|| windows::run(config))?,
        }
        Ok(())
    }
    #[cfg(not(windows))]
    {
        let _ = (config_path, config, command);
        Err(format!("the {NAME} service is for Windows; on Linux install the Debian package (cargo xtask deb) and use its systemd unit").into())
    }
}

#[cfg(windows)]
mod windows {
    use std::ffi::OsString;
    use std::sync::{Mutex, OnceLock};
    use std::time::Duration;

    use windows_service::service::{
        ServiceAccess, ServiceControl, ServiceControlAccept, ServiceErrorControl, ServiceExitCode,
        ServiceInfo, ServiceStartType, ServiceState, ServiceStatus, ServiceType,
    };
    use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
    use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
    use windows_service::{define_windows_service, service_dispatcher};

    use crate::cli::service::NAME;
    use crate::config::Config;

    /// The settings `run` was given, for the service's main (the manager calls it on a thread
    /// of its own, with arguments of its own).
    static SETTINGS: OnceLock<Config> = OnceLock::new();

    pub fn install(config: &std::path::Path) -> windows_service::Result<()> {
        let access = ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE;
        let manager = ServiceManager::local_computer(None::<&str>, access)?;
        let info = ServiceInfo {
            name: NAME.into(),
            display_name: "Madoguchi central server".into(),
            service_type: ServiceType::OWN_PROCESS,
            start_type: ServiceStartType::AutoStart,
            error_control: ServiceErrorControl::Normal,
            executable_path: std::env::current_exe().map_err(windows_service::Error::Winapi)?,
            launch_arguments: vec![
                "--config".into(),
                config.into(),
                "service".into(),
                "run".into(),
            ],
            dependencies: vec![],
            account_name: Some(OsString::from(r"NT AUTHORITY\LocalService")),
            account_password: None,
        };
        let service = manager.create_service(&info, ServiceAccess::CHANGE_CONFIG)?;
        service.set_description(
            "新規ユーザ登録申請の受付、審査結果、通知メール、都道府県窓口の同期 (Madoguchi)",
        )
    }

    pub fn uninstall() -> windows_service::Result<()> {
        let manager = ServiceManager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT)?;
        let access = ServiceAccess::QUERY_STATUS | ServiceAccess::STOP | ServiceAccess::DELETE;
        let service = manager.open_service(NAME, access)?;
        if service.query_status()?.current_state != ServiceState::Stopped {
            let _ = service.stop();
        }
        service.delete()
    }

    pub fn run(config: Config) -> windows_service::Result<()> {
        let _ = SETTINGS.set(config);
        service_dispatcher::start(NAME, ffi_service_main)
    }

    define_windows_service!(ffi_service_main, service_main);

    fn service_main(_arguments: Vec<OsString>) {
        if let Err(e) = serve_as_service() {
            log::error!("service: {e}");
        }
    }

    fn serve_as_service() -> Result<(), Box<dyn std::error::Error>> {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let stop = Mutex::new(Some(stop));
        let handler = move |control| match control {
            ServiceControl::Stop | ServiceControl::Shutdown => {
                if let Some(stop) = stop.lock().expect("not poisoned").take() {
                    let _ = stop.send(());
                }
                ServiceControlHandlerResult::NoError
            }
            ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
            _ => ServiceControlHandlerResult::NotImplemented,
        };
        let status = service_control_handler::register(NAME, handler)?;
        let report = |state, accepted, wait: Duration| {
            status.set_service_status(ServiceStatus {
                service_type: ServiceType::OWN_PROCESS,
                current_state: state,
                controls_accepted: accepted,
                exit_code: ServiceExitCode::Win32(0),
                checkpoint: 0,
                wait_hint: wait,
                process_id: None,
            })
        };
        report(
            ServiceState::Running,
            ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN,
            Duration::ZERO,
        )?;
        let config = SETTINGS.get().cloned().unwrap_or_default();
        let runtime = tokio::runtime::Runtime::new()?;
        let served =
            runtime.block_on(crate::cli::serve::serve(config, Default::default(), async {
                let _ = stopped.await;
                log::info!("service stop");
            }));
        // The grace the server takes to finish, as the manager is told.
        report(
            ServiceState::StopPending,
            ServiceControlAccept::empty(),
            crate::signals::SHUTDOWN_GRACE,
        )?;
        drop(runtime);
        report(ServiceState::Stopped, ServiceControlAccept::empty(), Duration::ZERO)?;
        served
    }
}
