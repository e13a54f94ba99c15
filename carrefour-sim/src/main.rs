//! `carrefour-sim`: the command line.  See README.md.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use carrefour_sim::report::{self, Format};
use carrefour_sim::scenario::{PolicyKind, Scenario, ScenarioError};
use carrefour_sim::{bench, perf, plot, sim, trace};

#[derive(Parser)]
#[command(
    name = "carrefour-sim",
    version,
    about = "Runs Carrefour's real engine against its peers on modelled NUMA machines"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lists the built-in scenarios.
    List,
    /// Runs scenarios (files and/or built-ins) under every policy.
    Run {
        /// Scenario files (TOML).
        files: Vec<PathBuf>,
        /// A built-in scenario by name, or `all`; repeatable.
        #[arg(long = "builtin", short = 'b')]
        builtins: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Writes an SVG of LAR and imbalance over time here.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Only these policies (comma-separated; xen-default always runs).
        #[arg(long, value_delimiter = ',')]
        policies: Vec<String>,
    },
    /// Replays a recorded trace of samples through the engine.
    Replay {
        /// Trace file (see README.md, "Trace format").
        file: PathBuf,
        #[command(flatten)]
        options: trace::ReplayOptions,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Converts `perf script` output of `perf record -e ibs_op//` into a trace.
    ConvertPerf {
        /// `perf script` output ("-" or nothing: standard input).
        input: Option<PathBuf>,
        /// Output file (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        options: perf::ConvertOptions,
    },
    /// Measures simulated sampled accesses per second of host time.
    Bench {
        /// Host seconds to run for (at least).
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
    },
}

fn load_scenarios(files: &[PathBuf], builtins: &[String]) -> Result<Vec<Scenario>, ScenarioError> {
    let mut out = Vec::new();
    for b in builtins {
        if b == "all" {
            out.extend(Scenario::builtins()?);
        } else {
            out.push(Scenario::builtin(b)?);
        }
    }
    for f in files {
        out.push(Scenario::load(f)?);
    }
    Ok(out)
}

/// Writes to standard output; a closed pipe (`| head`) ends quietly.
fn emit(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        std::process::exit(0);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("carrefour-sim: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::List => {
            for s in Scenario::builtins().map_err(|e| e.to_string())? {
                emit(&format!("{:<26} {}\n", s.name, s.description));
            }
            Ok(())
        }
        Command::Run {
            files,
            builtins,
            format,
            plot: plot_file,
            policies,
        } => {
            if files.is_empty() && builtins.is_empty() {
                return Err("nothing to run: give scenario files or --builtin NAME|all".into());
            }
            let mut scenarios = load_scenarios(&files, &builtins).map_err(|e| e.to_string())?;
            if !policies.is_empty() {
                let mut keep = vec![PolicyKind::XenDefault];
                for p in &policies {
                    let k =
                        PolicyKind::from_name(p).ok_or_else(|| format!("unknown policy `{p}`"))?;
                    if !keep.contains(&k) {
                        keep.push(k);
                    }
                }
                keep.sort();
                for s in &mut scenarios {
                    s.policies = keep.clone();
                }
            }
            let mut results = Vec::new();
            if format == Format::Csv {
                emit(&format!("{}\n", report::CSV_HEADER));
            }
            for s in &scenarios {
                let r = sim::run_scenario(s);
                match format {
                    Format::Table => emit(&format!("{}\n", report::table(&r))),
                    Format::Csv => emit(&report::csv(&r)),
                    Format::Json => {}
                }
                results.push(r);
            }
            if format == Format::Json {
                emit(&format!("{}\n", report::json(&results)));
            }
            if let Some(p) = plot_file {
                std::fs::write(&p, plot::svg(&results))
                    .map_err(|e| format!("{}: {e}", p.display()))?;
            }
            Ok(())
        }
        Command::Replay {
            file,
            options,
            format,
        } => {
            let r = trace::replay_file(&file, &options)?;
            match format {
                Format::Table => emit(&r.table()),
                Format::Csv => emit(&r.csv()),
                Format::Json => emit(&format!("{}\n", r.json())),
            }
            Ok(())
        }
        Command::ConvertPerf {
            input,
            output,
            options,
        } => {
            let text = match input.as_deref() {
                None => std::io::read_to_string(std::io::stdin()).map_err(|e| e.to_string())?,
                Some(p) if p.as_os_str() == "-" => {
                    std::io::read_to_string(std::io::stdin()).map_err(|e| e.to_string())?
                }
                Some(p) => {
                    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?
                }
            };
            let converted = perf::convert(&text, &options)?;
            for w in &converted.warnings {
                eprintln!("carrefour-sim: warning: {w}");
            }
            match output {
                Some(p) => std::fs::write(&p, &converted.trace)
                    .map_err(|e| format!("{}: {e}", p.display()))?,
                None => emit(&converted.trace),
            }
            eprintln!(
                "carrefour-sim: {} samples written, {} skipped",
                converted.samples, converted.skipped
            );
            Ok(())
        }
        Command::Bench { seconds } => {
            let r = bench::run(seconds);
            emit(&format!("{r}\n"));
            Ok(())
        }
    }
}
