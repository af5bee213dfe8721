//! The `topolab` binary end to end: `run` with its outputs and formats, `validate` with
//! its exit codes, `schema`, and the messages for bad arguments.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use topolab::scenario;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Keys that every summary, printed or written, has at its top level.
const SUMMARY_KEYS: [&str; 11] = [
    "scenario",
    "seed",
    "duration_s",
    "warmup_s",
    "window_s",
    "events",
    "clients",
    "services",
    "operations",
    "queues",
    "edges",
];

const TIMESERIES_HEADER: &str = "window_start_s,window_s,kind,name,offered,completed,successes,timeout,rejected,failed,dropped,dead_lettered,circuit_open,bulkhead_full,rate_limited,shed,deadline_exceeded,expired,attempts,retries,lost,late,p50_ms,p95_ms,p99_ms,max_ms,mean_in_flight,max_in_flight,utilization,oldest_age_ms,retries_denied,wasted_work_s";

const SUMMARY_CSV_HEADER: &str = "kind,name,offered,successes,timeout,rejected,failed,dropped,dead_lettered,circuit_open,bulkhead_full,rate_limited,shed,deadline_exceeded,expired,in_flight,offered_per_s,goodput_per_s,p50_ms,p95_ms,p99_ms,max_ms,utilization";

/// Runs the binary from the package root, so that paths such as `scenarios/mm1.yaml`
/// resolve and appear in messages as written.
fn topolab(arguments: &[&str]) -> Output {
    // Without a display, `topolab` with no subcommand prints its help instead of
    // opening the window, so the tests never wait for a window to close.
    Command::new(env!("CARGO_BIN_EXE_topolab"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(arguments)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the topolab binary starts")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("standard output is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("standard error is UTF-8")
}

#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
}

fn path_text(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// Runs the M/M/1 scenario for 20 s of simulated time with `extra` arguments.
fn run_mm1(extra: &[&str]) -> Output {
    let mut arguments = vec![
        "run",
        "scenarios/mm1.yaml",
        "--duration",
        "20s",
        "--warmup",
        "2s",
    ];
    arguments.extend_from_slice(extra);
    topolab(&arguments)
}

#[track_caller]
fn assert_summary_json(text: &str) -> serde_json::Value {
    let summary: serde_json::Value = serde_json::from_str(text).expect("the summary is valid JSON");
    let object = summary.as_object().expect("the summary is a JSON object");
    for key in SUMMARY_KEYS {
        assert!(
            object.contains_key(key),
            "the summary has no \"{key}\": {text}"
        );
    }
    assert_eq!(summary["scenario"], "M/M/1 queue");
    assert_eq!(summary["duration_s"], 20.0);
    assert_eq!(summary["warmup_s"], 2.0);
    assert_eq!(summary["clients"][0]["name"], "arrivals");
    assert_eq!(summary["operations"][0]["name"], "server.serve");
    summary
}

/// Checks that `text` is CSV with `header` and at least `min_rows` rows of as many fields.
#[track_caller]
fn assert_csv(text: &str, header: &str, min_rows: usize) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(header));
    let columns = header.split(',').count();
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.len() >= min_rows,
        "expected at least {min_rows} rows, got {}:\n{text}",
        rows.len()
    );
    for row in rows {
        assert_eq!(row.split(',').count(), columns, "row {row:?}");
    }
}

#[test]
fn run_writes_every_output() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let out = directory.path().join("results");
    let output = run_mm1(&["--out", path_text(&out)]);
    assert_exit(&output, 0);

    let summary =
        std::fs::read_to_string(out.join("summary.json")).expect("summary.json is written");
    let parsed = assert_summary_json(&summary);
    assert_eq!(parsed["seed"], 1);

    let timeseries =
        std::fs::read_to_string(out.join("timeseries.csv")).expect("timeseries.csv is written");
    // Twenty 1 s windows for each of the client, the service and the operation.
    assert_csv(&timeseries, TIMESERIES_HEADER, 60);

    for chart in ["throughput", "latency", "backlog"] {
        let png =
            std::fs::read(out.join(format!("{chart}.png"))).expect("the PNG chart is written");
        assert!(png.len() > PNG_SIGNATURE.len(), "{chart}.png is empty");
        assert_eq!(png[..8], PNG_SIGNATURE, "{chart}.png is not a PNG");
        let svg = std::fs::read_to_string(out.join(format!("{chart}.svg")))
            .expect("the SVG chart is written");
        assert!(svg.contains("<svg"), "{chart}.svg is not an SVG");
        assert!(
            svg.trim_end().ends_with("</svg>"),
            "{chart}.svg is incomplete"
        );
    }

    let leftovers: Vec<PathBuf> = std::fs::read_dir(&out)
        .expect("the output directory is readable")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );

    let table = stdout(&output);
    assert!(
        table.starts_with("client "),
        "the default format is the table:\n{table}"
    );
    assert!(table.contains("server.serve"), "{table}");
}

#[test]
fn run_writes_same_files_for_same_seed() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let first = directory.path().join("first");
    let second = directory.path().join("second");
    assert_exit(&run_mm1(&["--seed", "7", "--out", path_text(&first)]), 0);
    assert_exit(&run_mm1(&["--seed", "7", "--out", path_text(&second)]), 0);
    for file in [
        "summary.json",
        "timeseries.csv",
        "throughput.svg",
        "latency.svg",
        "backlog.svg",
    ] {
        let a = std::fs::read(first.join(file)).expect("first run's file");
        let b = std::fs::read(second.join(file)).expect("second run's file");
        assert!(a == b, "{file} differs between two runs with seed 7");
    }
}

#[test]
fn format_json_prints_summary() {
    let output = run_mm1(&["--format", "json"]);
    assert_exit(&output, 0);
    assert_summary_json(&stdout(&output));
    assert!(
        stderr(&output).contains("simulated 20s"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn format_csv_prints_summary() {
    let output = run_mm1(&["--format", "csv"]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert_csv(&text, SUMMARY_CSV_HEADER, 3);
    assert!(text.contains("\nclient,arrivals,"), "{text}");
    assert!(text.contains("\noperation,server.serve,"), "{text}");
}

#[test]
fn run_rejects_too_many_window_rows() {
    // 200 000 windows of 140 entities: far past the rows a run keeps.
    let output = topolab(&[
        "run",
        "scenarios/platform-50.yaml",
        "--duration",
        "100s",
        "--window",
        "500us",
    ]);
    assert_exit(&output, 2);
    let expected = "invalid run settings: 200000 windows of 500us in 100s for 140 entities \
                    make 28000000 time-series rows, about 8960 MB: at most 5000000 are kept; \
                    choose a window of at least 3ms or a shorter duration";
    assert!(stderr(&output).contains(expected), "{}", stderr(&output));
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
}

#[test]
fn run_accepts_window_rows_within_limit() {
    // 10 000 windows of 140 entities.
    let output = topolab(&[
        "run",
        "scenarios/platform-50.yaml",
        "--duration",
        "10s",
        "--window",
        "1ms",
        "--format",
        "json",
    ]);
    assert_exit(&output, 0);
}

#[test]
fn run_checks_output_folder_first() {
    let output = run_mm1(&["--out", "/proc/topolab-no-such-folder"]);
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("cannot create the output directory /proc/topolab-no-such-folder"),
        "{}",
        stderr(&output)
    );
    // The run did not start.
    assert!(
        !stderr(&output).contains("simulated"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unknown_format_rejected() {
    let output = run_mm1(&["--format", "xml"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("invalid value 'xml' for '--format <FORMAT>'"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("table, json, csv"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn validate_accepts_bundled_scenarios() {
    for file in ["checkout-async", "checkout-sync", "mm1", "mmc"] {
        let path = format!("scenarios/{file}.yaml");
        let output = topolab(&["validate", &path]);
        assert_exit(&output, 0);
        assert_eq!(
            stdout(&output),
            format!("{path}: valid (0 errors, 0 warnings)\n")
        );
        assert_eq!(stderr(&output), "");
    }
}

#[test]
fn validate_rejects_invalid_scenario() {
    let path = "tests/invalid/several-errors.yaml";
    let output = topolab(&["validate", path]);
    assert_exit(&output, 2);
    assert_eq!(stdout(&output), "");
    let diagnostics = scenario::load_file(Path::new(path)).expect_err("the file has errors");
    let mut expected: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    expected.push(format!(
        "{path}: invalid ({} errors, 0 warnings)",
        diagnostics.len()
    ));
    let printed: Vec<String> = stderr(&output).lines().map(str::to_owned).collect();
    assert_eq!(printed, expected);
}

#[test]
fn validate_prints_warnings_and_exits_zero() {
    let path = "tests/invalid/queue-without-consumer.yaml";
    let output = topolab(&["validate", path]);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        format!("{path}: valid (0 errors, 1 warning)\n")
    );
    assert_eq!(
        stderr(&output),
        format!(
            "{path}:15:3: warning: queues.audit-log: queue \"audit-log\" has no consumer, so its messages only accumulate; add \"consumer: {{ operation: service.operation }}\"\n"
        )
    );
}

#[test]
fn validate_missing_file_exits_two() {
    let output = topolab(&["validate", "scenarios/no-such-file.yaml"]);
    assert_exit(&output, 2);
    let text = stderr(&output);
    assert!(
        text.starts_with("scenarios/no-such-file.yaml: error: cannot read the file: "),
        "{text}"
    );
    assert!(
        text.ends_with("scenarios/no-such-file.yaml: invalid (1 error, 0 warnings)\n"),
        "{text}"
    );
}

#[test]
fn run_rejects_invalid_scenario() {
    let output = topolab(&["run", "tests/invalid/zero-rate.yaml", "--duration", "1s"]);
    assert_exit(&output, 2);
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "tests/invalid/zero-rate.yaml:6:26: error: clients.shoppers.arrivals.poisson: invalid rate \"0/s\": must be greater than zero\n\
         tests/invalid/zero-rate.yaml: invalid (1 error, 0 warnings)\n"
    );
}

#[test]
fn schema_prints_json_schema() {
    let output = topolab(&["schema"]);
    assert_exit(&output, 0);
    let schema: serde_json::Value =
        serde_json::from_str(&stdout(&output)).expect("the schema is valid JSON");
    assert_eq!(schema["title"], "Scenario");
    for key in ["version", "clients", "services", "queues", "faults"] {
        assert!(
            schema["properties"].get(key).is_some(),
            "the schema has no property \"{key}\""
        );
    }
}

#[test]
fn bad_duration_argument_rejected() {
    let output = topolab(&["run", "scenarios/mm1.yaml", "--duration", "fast"]);
    assert_exit(&output, 2);
    assert_eq!(stdout(&output), "");
    let text = stderr(&output);
    assert!(
        text.starts_with(
            "error: invalid value 'fast' for '--duration <DURATION>': expected a number with a unit: ns, us, ms, s, m or h (e.g. 250ms, 1.5s)\n"
        ),
        "{text}"
    );
}

#[test]
fn bad_seed_argument_rejected() {
    let output = topolab(&["run", "scenarios/mm1.yaml", "--seed", "many"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("'--seed <SEED>'"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn warmup_longer_than_duration_rejected() {
    let output = topolab(&[
        "run",
        "scenarios/mm1.yaml",
        "--duration",
        "5s",
        "--warmup",
        "10s",
    ]);
    assert_exit(&output, 2);
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "scenarios/mm1.yaml: error: invalid run settings: the warm-up 10s must be shorter than the duration 5s\n"
    );
}

#[test]
fn duration_shorter_than_scenario_warmup_rejected() {
    // mm1.yaml sets a warm-up of 20 s; a shorter run leaves nothing to measure.
    let output = topolab(&["run", "scenarios/mm1.yaml", "--duration", "20s"]);
    assert_exit(&output, 2);
    assert_eq!(
        stderr(&output),
        "scenarios/mm1.yaml: error: invalid run settings: the warm-up 20s must be shorter than the duration 20s\n"
    );
}

#[test]
fn missing_subcommand_prints_help() {
    let output = topolab(&[]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    for command in ["run", "validate", "schema"] {
        assert!(text.contains(command), "the help lists {command}:\n{text}");
    }
}

#[test]
fn full_stdout_is_an_error() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        // Not every system has /dev/full; there is nothing to check without it.
        return;
    };
    let output = Command::new(env!("CARGO_BIN_EXE_topolab"))
        .arg("schema")
        .stdout(full)
        .output()
        .expect("the topolab binary starts");
    assert_exit(&output, 1);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        errors.contains("cannot write to standard output"),
        "{errors}"
    );
    assert!(!errors.contains("panicked"), "{errors}");
}

#[test]
fn unwritable_out_still_prints_summary() {
    // The folder exists, but a folder named like the summary file stops its write
    // after the run.
    let directory = tempfile::tempdir().expect("a temporary directory");
    let out = directory.path().join("out");
    std::fs::create_dir_all(out.join("summary.json")).expect("writable temporary folder");
    let output = topolab(&[
        "run",
        "scenarios/mm1.yaml",
        "--duration",
        "5s",
        "--warmup",
        "1s",
        "--out",
        out.to_str().expect("a UTF-8 path"),
    ]);
    assert_exit(&output, 1);
    assert!(
        stdout(&output).contains("server.serve"),
        "the summary table is printed"
    );
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(errors.contains("summary.json"), "{errors}");
    assert!(!errors.contains("panicked"), "{errors}");
}

#[test]
fn overload_of_an_unbounded_queue_stops_with_a_limit() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("flood.yaml");
    std::fs::write(
        &path,
        "version: 1
run: { duration: 60s }
clients:
  c:
    target: w.run
    arrivals: { poisson: 1000000/s }
services:
  w:
    operations:
      run:
        service_time: 1ms
",
    )
    .expect("writable temporary file");
    let output = topolab(&["run", path.to_str().expect("a UTF-8 path")]);
    assert_exit(&output, 1);
    let errors = stderr(&output);
    assert!(
        errors.contains("more than the 4000000 a run may hold"),
        "{errors}"
    );
    assert!(errors.contains("the most wait at service w"), "{errors}");
    assert!(errors.contains("queue_capacity"), "{errors}");
    assert!(!errors.contains("panicked"), "{errors}");
}
