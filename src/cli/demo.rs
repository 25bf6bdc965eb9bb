//! `civitac demo`: a hub and a replica full of realistic data, then what to try.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{CmdResult, Ctx, Failure};
use crate::demo::{self, DemoOptions};
use crate::i18n::Lang;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write hub.db and replica.db (default: demo/ in the data directory).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Size: 1 ≈ 400 organisations, 2,000 uploads, 20,000 posts, 5,000 contacts.
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    pub scale: f64,
    /// Random seed: the same seed (and --as-of day) gives the same data.
    #[arg(long, default_value_t = 2026, value_name = "N")]
    pub seed: u64,
    /// The demo world's "today" (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Build the data and print what was made, without opening the console.
    #[arg(long)]
    pub no_tui: bool,
    /// With the console: seconds between two batches of new posts and flags
    /// from the simulated public platform.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub feed_every: u64,
}

pub fn run(ctx: &Ctx, args: DemoArgs, keymap: Option<String>) -> CmdResult {
    let lang = ctx.lang;
    let dir = match args.dir {
        Some(d) => d,
        None => ctx
            .paths
            .as_ref()
            .map(|p| p.demo_dir())
            .ok_or_else(|| Failure::usage("no data directory found: give --dir"))?,
    };
    let as_of = match args.as_of {
        Some(s) => {
            crate::time::parse_instant(&s).map_err(|e| Failure::usage(format!("--as-of: {e}")))?
        }
        None => {
            let today = jiff::Timestamp::now()
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date();
            today
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .map_err(|e| Failure::new(e.to_string()))?
                .timestamp()
        }
    };
    let started = std::time::Instant::now();
    eprintln!(
        "{}",
        match lang {
            Lang::Fr => format!(
                "construction des données de démonstration dans {} …",
                dir.display()
            ),
            Lang::En => format!("building demo data in {} …", dir.display()),
        }
    );
    let s = demo::build(
        &dir,
        &DemoOptions {
            scale: args.scale,
            seed: args.seed,
            as_of,
        },
    )
    .map_err(|e| Failure::new(e.to_string()))?;
    let secs = started.elapsed().as_secs_f64();
    let replica = s.replica.display().to_string();
    let quoted = if replica.contains(' ') {
        format!("\"{replica}\"")
    } else {
        replica.clone()
    };
    match lang {
        Lang::Fr => {
            outln!("Démonstration prête en {secs:.1} s :");
            outln!("  hub      {}", s.hub.display());
            outln!("  réplica  {replica}  (propriétaire : awa.kabore, admin)");
            outln!(
                "  {} organisations, {} publications, {} fils et {} messages du forum ({} signalements),",
                s.organizations,
                s.uploads,
                s.threads,
                s.posts,
                s.flags
            );
            outln!(
                "  {} citoyens, {} contacts SMS dans {} groupes, {} SMS, {} membres de l'équipe, {} décisions au journal.",
                s.citizens,
                s.contacts,
                s.groups,
                s.sms_messages,
                s.staff,
                s.ops
            );
            outln!();
            outln!("À essayer :");
        }
        Lang::En => {
            outln!("Demo ready in {secs:.1} s:");
            outln!("  hub      {}", s.hub.display());
            outln!("  replica  {replica}  (owner: awa.kabore, admin)");
            outln!(
                "  {} organisations, {} uploads, {} threads and {} forum posts ({} flags),",
                s.organizations,
                s.uploads,
                s.threads,
                s.posts,
                s.flags
            );
            outln!(
                "  {} citizens, {} SMS contacts in {} groups, {} SMS, {} staff, {} decisions in the audit log.",
                s.citizens,
                s.contacts,
                s.groups,
                s.sms_messages,
                s.staff,
                s.ops
            );
            outln!();
            outln!("Try:");
        }
    }
    let tries = [
        format!("civitac whoami --db {quoted}"),
        format!("civitac enrollments list --db {quoted} --status contacted --region Kadiogo"),
        format!(
            "civitac enrollments approve --db {quoted} --where status=contacted --where region=Kadiogo --dry-run"
        ),
        format!("civitac uploads list --db {quoted} --status pending --kind statistic"),
        format!("civitac forum list --db {quoted} --flagged --status visible"),
        format!(
            "civitac forum list --db {quoted} --search \"forage panne\" --format json --limit 3"
        ),
        format!("civitac audit list --db {quoted} --actor awa.kabore"),
    ];
    for t in tries {
        outln!("  {t}");
    }
    if !args.no_tui {
        let every = std::time::Duration::from_secs(args.feed_every.max(1));
        let (said, news) = std::sync::mpsc::channel();
        let mut live = demo::live::LiveDemo::start(&s, args.seed, every, lang, said)
            .map_err(|e| Failure::new(e.to_string()))?;
        eprintln!(
            "{}",
            match lang {
                Lang::Fr => format!(
                    "hub de démonstration sur {} ; la plateforme y envoie de nouveaux messages toutes les {} s (touche s sur l'écran Synchro) et applique les décisions du hub",
                    live.config.url,
                    every.as_secs()
                ),
                Lang::En => format!(
                    "demo hub on {}; the platform sends it new posts every {} s (key s on the Sync screen) and applies the hub's decisions",
                    live.config.url,
                    every.as_secs()
                ),
            }
        );
        let result = super::console_with_hub(
            ctx,
            s.replica,
            keymap,
            Some(live.config.clone()),
            std::time::Duration::from_secs(30),
            Some(news),
        );
        live.stop();
        return result;
    }
    Ok(ExitCode::SUCCESS)
}
