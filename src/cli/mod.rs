//! The `topolab` command line: run a scenario headless, validate it, print the schema.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::engine::run::{RunConfig, run};
use crate::metrics::report;
use crate::metrics::summary::Summary;
use crate::scenario::{self, Diagnostic, Duration};

/// Exit code for a scenario with errors.
pub const EXIT_INVALID: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "topolab",
    version,
    about = "Design message-driven architectures and simulate them under load and failures",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// A scenario file to open in the desktop application [default: the file opened
    /// last, else the bundled checkout-async scenario].
    #[cfg(feature = "gui")]
    file: Option<PathBuf>,
    /// Start playing the scenario as soon as it has loaded.
    #[cfg(feature = "gui")]
    #[arg(long)]
    play: bool,
    /// Pace of the run: simulated seconds per wall second, from 0.1 to 1000, or `max`
    /// for as fast as possible [default: the speed set when the app last closed].
    #[cfg(feature = "gui")]
    #[arg(long, value_parser = parse_speed)]
    speed: Option<crate::ui::messages::Pacing>,
    /// Simulated time of every run until another file is opened, as if typed in the
    /// toolbar, e.g. 1h [default: the scenario's run.duration, else 60s].
    #[cfg(feature = "gui")]
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Write the wall time and CPU time of every frame to this CSV file when the window
    /// closes, and print their median, 95th percentile and maximum.
    #[cfg(feature = "gui")]
    #[arg(long, value_name = "FILE")]
    frame_times: Option<PathBuf>,
    /// Close the window after this much wall time, e.g. 30s.
    #[cfg(feature = "gui")]
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    quit_after: Option<Duration>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario headless and report what happened.
    Run(RunArgs),
    /// Check a scenario without running it; exits with 2 if it has errors.
    Validate {
        /// The scenario file.
        file: PathBuf,
    },
    /// Print the JSON Schema of scenario files.
    Schema,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// The scenario file.
    file: PathBuf,
    /// Simulated time to run, e.g. 60s or 5m [default: the scenario's run.duration, else 60s].
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Seed of every random stream [default: the scenario's run.seed, else 1].
    #[arg(long)]
    seed: Option<u64>,
    /// Simulated time at the start excluded from the summary, e.g. 10s [default: the scenario's run.warmup, else 0].
    #[arg(long, value_parser = parse_duration)]
    warmup: Option<Duration>,
    /// Width of a time-series window, e.g. 1s [default: the scenario's run.window, else 1s].
    #[arg(long, value_parser = parse_duration)]
    window: Option<Duration>,
    /// Directory to write summary.json, timeseries.csv and the charts into, and
    /// breakers.csv when the scenario has circuit breakers; created if missing.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Format of the summary printed on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    Duration::parse(text)
}

#[cfg(feature = "gui")]
fn parse_speed(text: &str) -> Result<crate::ui::messages::Pacing, String> {
    use crate::ui::messages::{MAX_SPEED, MIN_SPEED, Pacing};
    if text.eq_ignore_ascii_case("max") {
        return Ok(Pacing::AsFastAsPossible);
    }
    let factor = text.strip_suffix(['x', '×']).unwrap_or(text);
    match factor.parse::<f64>() {
        Ok(factor) if (MIN_SPEED..=MAX_SPEED).contains(&factor) => Ok(Pacing::RealTime(factor)),
        _ => Err(format!(
            "`{text}` is not a speed: give a factor from {MIN_SPEED} to {MAX_SPEED}, such as 10, or `max`"
        )),
    }
}

/// Runs the command line and returns the process exit code.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Run(args)) => run_command(&args),
        Some(Command::Validate { file }) => Ok(validate_command(&file)),
        Some(Command::Schema) => schema_command(),
        #[cfg(feature = "gui")]
        None if has_display() => crate::ui::run_app(crate::ui::Launch {
            initial: cli.file,
            play: cli.play,
            pacing: cli.speed,
            duration: cli.duration,
            frame_times: cli.frame_times,
            quit_after: cli
                .quit_after
                .map(|d| std::time::Duration::from_nanos(d.as_nanos())),
        })
        .map(|()| ExitCode::SUCCESS),
        #[cfg(feature = "gui")]
        None => {
            eprintln!(
                "topolab: no display (neither DISPLAY nor WAYLAND_DISPLAY is set), so the \
                 desktop application cannot open; use a subcommand to work headless"
            );
            print_help()
        }
        #[cfg(not(feature = "gui"))]
        None => print_help(),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn print_help() -> anyhow::Result<ExitCode> {
    let mut command = <Cli as clap::CommandFactory>::command();
    command
        .print_help()
        .map(|()| ExitCode::SUCCESS)
        .map_err(anyhow::Error::from)
}

/// Returns whether a window can open. On Linux and the BSDs the environment must name an
/// X11 or Wayland display, and other systems always have one.
#[cfg(feature = "gui")]
fn has_display() -> bool {
    if cfg!(any(
        target_os = "linux",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd",
        target_os = "dragonfly"
    )) {
        ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
    } else {
        true
    }
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let mut stderr = std::io::stderr().lock();
    for diagnostic in diagnostics {
        let _ = writeln!(stderr, "{diagnostic}");
    }
}

fn count_summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

fn validate_command(file: &Path) -> ExitCode {
    match scenario::load_file(file) {
        Ok(loaded) => {
            print_diagnostics(&loaded.warnings);
            let line = format!(
                "{}: valid ({})\n",
                file.display(),
                count_summary(&loaded.warnings)
            );
            print_stdout(&line)
        }
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            eprintln!(
                "{}: invalid ({})",
                file.display(),
                count_summary(&diagnostics)
            );
            ExitCode::from(EXIT_INVALID)
        }
    }
}

fn schema_command() -> anyhow::Result<ExitCode> {
    let schema =
        scenario::schema::json_schema_text().context("cannot serialize the JSON Schema")?;
    Ok(print_stdout(&schema))
}

/// Writes `text` to standard output. A reader that went away, as with `| head`, ends the
/// command quietly; any other write error is reported, never a panic.
fn print_stdout(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot write to standard output: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run_command(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let loaded = match scenario::load_file(&args.file) {
        Ok(loaded) => loaded,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            eprintln!(
                "{}: invalid ({})",
                args.file.display(),
                count_summary(&diagnostics)
            );
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    print_diagnostics(&loaded.warnings);
    let config = match RunConfig::resolve(
        &loaded.scenario.run,
        args.duration,
        args.warmup,
        args.seed,
        args.window,
    )
    .and_then(|config| {
        let model = crate::engine::Model::compile(&loaded.scenario)?;
        config.check_window_rows(&model).map(|()| config)
    }) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{}: error: {error}", args.file.display());
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    // A folder that cannot be made fails now rather than after a long run.
    if let Some(directory) = &args.out {
        std::fs::create_dir_all(directory).with_context(|| {
            format!("cannot create the output directory {}", directory.display())
        })?;
    }
    let progress = progress_bar(config.duration);
    let started = Instant::now();
    let simulation = run(&loaded.scenario, &config, |now_ns| {
        if let Some(bar) = &progress {
            bar.set_position(now_ns / 1_000_000);
        }
    })
    .with_context(|| format!("the run of {} stopped", args.file.display()))?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let wall = started.elapsed().as_secs_f64();
    let name = loaded.scenario.name.clone().unwrap_or_else(|| {
        args.file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let summary = Summary::new(&simulation, &name);
    eprintln!(
        "simulated {} in {wall:.2} s of wall time ({:.2} M events/s, {} events)",
        config.duration,
        simulation.events_processed() as f64 / wall.max(1e-9) / 1e6,
        simulation.events_processed()
    );
    let text = match args.format {
        Format::Table => report::table(&summary),
        Format::Json => report::json(&summary).context("cannot serialize the summary")?,
        Format::Csv => report::summary_csv(&summary),
    };
    if let Some(directory) = &args.out
        && let Err(error) = write_outputs(&simulation, &summary, directory)
    {
        // Print the summary anyway, so that a long run is not lost to a bad path.
        print_stdout(&text);
        return Err(error);
    }
    Ok(print_stdout(&text))
}

fn progress_bar(duration: Duration) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(duration.as_nanos() / 1_000_000);
    let style = indicatif::ProgressStyle::with_template(
        // The bar takes what the terminal width leaves, so the line never wraps.
        "{wide_bar} {percent:>3}% simulated, {elapsed} elapsed, {eta} left",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

fn write_outputs(
    simulation: &crate::engine::Simulation,
    summary: &Summary,
    directory: &Path,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(directory)
        .with_context(|| format!("cannot create the output directory {}", directory.display()))?;
    let json = report::json(summary).context("cannot serialize the summary")?;
    write_atomically(&directory.join("summary.json"), json.as_bytes())?;
    write_atomically(
        &directory.join("timeseries.csv"),
        report::timeseries_csv(simulation).as_bytes(),
    )?;
    report::write_charts(simulation, directory).context("cannot write the charts")?;
    if !simulation.model().breakers.is_empty() {
        write_atomically(
            &directory.join("breakers.csv"),
            crate::metrics::breakers::breakers_csv(simulation).as_bytes(),
        )?;
    }
    Ok(())
}

/// Writes a file through a temporary file in the same directory and a rename, so that a
/// reader never sees a half-written file.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, bytes)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| {
        format!(
            "cannot rename {} to {}",
            temporary.display(),
            path.display()
        )
    })?;
    Ok(())
}

#[cfg(all(test, feature = "gui"))]
mod tests {
    use super::parse_speed;
    use crate::ui::messages::Pacing;

    #[test]
    fn speed_takes_a_factor_or_max() {
        assert_eq!(parse_speed("max"), Ok(Pacing::AsFastAsPossible));
        assert_eq!(parse_speed("MAX"), Ok(Pacing::AsFastAsPossible));
        assert_eq!(parse_speed("300"), Ok(Pacing::RealTime(300.0)));
        assert_eq!(parse_speed("0.5x"), Ok(Pacing::RealTime(0.5)));
        assert_eq!(parse_speed("1000×"), Ok(Pacing::RealTime(1000.0)));
    }

    #[test]
    fn speed_out_of_range_says_what_is_allowed() {
        for text in ["0", "5000", "NaN", "fast", "-1", "inf"] {
            assert_eq!(
                parse_speed(text),
                Err(format!(
                    "`{text}` is not a speed: give a factor from 0.1 to 1000, such as 10, or `max`"
                )),
            );
        }
    }
}
