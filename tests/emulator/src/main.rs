//! `entra-emulator` binary: a local Entra ID for scripts and people.
//!
//! `entra-emulator [--config FILE] [--listen ADDR:PORT] [--http] [--ca-out PATH]
//! [--info-out PATH] [--auto-approve] [--listen-443] [--files-dir DIR]`

use std::net::SocketAddr;
use std::path::PathBuf;

use entra_emulator::{Emulator, EmulatorConfig, StartOptions};

const USAGE: &str = "usage: entra-emulator [--config FILE] [--listen ADDR:PORT] [--http] [--ca-out PATH] \
[--info-out PATH] [--auto-approve] [--listen-443] [--files-dir DIR]";

#[derive(Default)]
struct Args {
    options: StartOptions,
    ca_out: Option<PathBuf>,
    info_out: Option<PathBuf>,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args::default();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--config" => {
                a.options.config =
                    EmulatorConfig::from_file(value("--config")?).map_err(|e| e.to_string())?;
            }
            "--listen" => {
                let v = value("--listen")?;
                a.options.listen = v
                    .parse::<SocketAddr>()
                    .map_err(|e| format!("--listen {v}: {e}"))?;
            }
            "--http" => a.options.https = false,
            "--ca-out" => a.ca_out = Some(value("--ca-out")?.into()),
            "--info-out" => a.info_out = Some(value("--info-out")?.into()),
            "--auto-approve" => a.options.auto_approve_device_codes = true,
            "--listen-443" => a.options.also_listen_443 = true,
            "--files-dir" => a.options.files_dir = Some(value("--files-dir")?.into()),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(a)
}

async fn run(args: Args) -> Result<(), String> {
    let emulator = Emulator::start(args.options)
        .await
        .map_err(|e| e.to_string())?;
    let mut info = emulator.info();
    if let Some(p) = &args.ca_out {
        emulator
            .write_ca_pem(p)
            .map_err(|e| format!("--ca-out {}: {e}", p.display()))?;
        info.ca_pem_path = Some(p.display().to_string());
    }
    let text = serde_json::to_string_pretty(&info).map_err(|e| e.to_string())?;
    if let Some(p) = &args.info_out {
        std::fs::write(p, &text).map_err(|e| format!("--info-out {}: {e}", p.display()))?;
    }
    println!("{text}");
    std::future::pending::<()>().await;
    Ok(())
}

fn main() {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    let result = match runtime {
        Ok(rt) => rt.block_on(run(args)),
        Err(e) => Err(e.to_string()),
    };
    if let Err(msg) = result {
        eprintln!("entra-emulator: {msg}");
        std::process::exit(1);
    }
}
