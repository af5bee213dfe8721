//! Frame-time measurement of the desktop app, for `topolab --frame-times FILE`.
//!
//! Each frame records the wall time since the previous frame started and the CPU time
//! that eframe reports for the previous frame (the app's update plus rendering, without
//! waiting for vsync). While it records, the window repaints continuously, so that the
//! interval is the whole cost of one frame, including the buffer swap in which a
//! software renderer rasterizes. When the window closes, the frames go to a CSV file and a
//! summary goes to standard error. Frames of the first second are left out of the
//! summary, because they include start-up work such as building the font atlas.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// Frames recorded at most, so that a window left open for days stays bounded.
pub const MAX_FRAMES: usize = 1_000_000;

/// Wall time at the start that the summary leaves out.
const SETTLE: Duration = Duration::from_secs(1);

/// One frame's figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// Wall time from the app's start to the start of this frame.
    pub at: Duration,
    /// Wall time since the previous frame started; `None` for the first frame.
    pub interval: Option<Duration>,
    /// CPU time of the previous frame as eframe measured it; `None` for the first.
    pub cpu: Option<Duration>,
}

/// The frames of one session and where to write them.
#[derive(Debug)]
pub struct FrameRecorder {
    path: PathBuf,
    started: Instant,
    previous: Option<Instant>,
    frames: Vec<Frame>,
    dropped: u64,
}

impl FrameRecorder {
    /// Starts recording frames for `path`, which is written by [`FrameRecorder::finish`].
    #[must_use]
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            started: Instant::now(),
            previous: None,
            frames: Vec::new(),
            dropped: 0,
        }
    }

    /// Records a frame that starts now; `cpu_seconds` is eframe's figure for the
    /// previous frame.
    pub fn record(&mut self, cpu_seconds: Option<f32>) {
        let now = Instant::now();
        let frame = Frame {
            at: now - self.started,
            interval: self.previous.map(|previous| now - previous),
            cpu: cpu_seconds
                .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
                .map(Duration::from_secs_f32),
        };
        self.previous = Some(now);
        if self.frames.len() < MAX_FRAMES {
            self.frames.push(frame);
        } else {
            self.dropped += 1;
        }
    }

    /// Returns the frames recorded so far.
    #[must_use]
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// Writes the CSV file and returns the summary text.
    ///
    /// # Errors
    /// Fails if the file cannot be written; the error names the path.
    pub fn finish(&self) -> anyhow::Result<String> {
        write_csv(&self.path, &self.frames)
            .with_context(|| format!("cannot write the frame times to {}", self.path.display()))?;
        let mut text = summary(&self.frames);
        if self.dropped > 0 {
            let _ = writeln!(
                text,
                "{} frames past the first {MAX_FRAMES} were not recorded",
                self.dropped
            );
        }
        Ok(text)
    }
}

fn write_csv(path: &Path, frames: &[Frame]) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "at_ms,interval_ms,cpu_ms")?;
    let ms = |value: Option<Duration>| {
        value.map_or_else(String::new, |d| format!("{:.3}", d.as_secs_f64() * 1e3))
    };
    for frame in frames {
        writeln!(
            out,
            "{:.3},{},{}",
            frame.at.as_secs_f64() * 1e3,
            ms(frame.interval),
            ms(frame.cpu)
        )?;
    }
    out.into_inner()
        .map_err(std::io::IntoInnerError::into_error)?
        .sync_all()
}

/// Median, 95th percentile and maximum of the frame intervals and CPU times after the
/// first second, one line each.
#[must_use]
pub fn summary(frames: &[Frame]) -> String {
    let settled: Vec<&Frame> = frames.iter().filter(|f| f.at >= SETTLE).collect();
    let mut text = format!(
        "{} frames in {:.1} s, {} after the first second\n",
        frames.len(),
        frames.last().map_or(0.0, |f| f.at.as_secs_f64()),
        settled.len()
    );
    for (label, values) in [
        (
            "interval",
            settled
                .iter()
                .filter_map(|f| f.interval)
                .collect::<Vec<_>>(),
        ),
        ("cpu", settled.iter().filter_map(|f| f.cpu).collect()),
    ] {
        match Percentiles::of(values) {
            Some(p) => {
                let _ = writeln!(
                    text,
                    "{label:<8} median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
                    p.median, p.p95, p.max
                );
            }
            None => {
                let _ = writeln!(text, "{label:<8} no frames after the first second");
            }
        }
    }
    text
}

/// Order statistics of a set of durations, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Percentiles {
    median: f64,
    p95: f64,
    max: f64,
}

impl Percentiles {
    /// Nearest-rank percentiles, or `None` for an empty set.
    fn of(mut values: Vec<Duration>) -> Option<Self> {
        values.sort_unstable();
        let last = values.len().checked_sub(1)?;
        let rank =
            |q: f64| values[((q * values.len() as f64).ceil() as usize).clamp(1, last + 1) - 1];
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        Some(Self {
            median: ms(rank(0.5)),
            p95: ms(rank(0.95)),
            max: ms(values[last]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(at_ms: u64, interval_ms: u64, cpu_ms: u64) -> Frame {
        Frame {
            at: Duration::from_millis(at_ms),
            interval: Some(Duration::from_millis(interval_ms)),
            cpu: Some(Duration::from_millis(cpu_ms)),
        }
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let values = (1..=20).map(Duration::from_millis).collect();
        let p = Percentiles::of(values).expect("twenty values");
        assert_eq!(p.median, 10.0);
        assert_eq!(p.p95, 19.0);
        assert_eq!(p.max, 20.0);
        assert_eq!(Percentiles::of(Vec::new()), None);
    }

    #[test]
    fn summary_leaves_out_the_first_second() {
        let frames = [
            frame(10, 500, 400),
            frame(1_000, 8, 5),
            frame(1_010, 10, 6),
            frame(1_030, 20, 7),
        ];
        let text = summary(&frames);
        assert_eq!(
            text,
            "4 frames in 1.0 s, 3 after the first second\n\
             interval median 10.00 ms, p95 20.00 ms, max 20.00 ms\n\
             cpu      median 6.00 ms, p95 7.00 ms, max 7.00 ms\n"
        );
    }

    #[test]
    fn finish_writes_every_frame() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let path = folder.path().join("frames.csv");
        let mut recorder = FrameRecorder::new(path.clone());
        recorder.record(None);
        recorder.record(Some(0.004));
        recorder.record(Some(f32::NAN));
        recorder.finish().expect("the file is written");
        let text = std::fs::read_to_string(&path).expect("the file exists");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "a header and three frames: {text}");
        assert_eq!(lines[0], "at_ms,interval_ms,cpu_ms");
        assert!(
            lines[1].ends_with(",,"),
            "the first frame has no interval: {}",
            lines[1]
        );
        assert!(
            lines[2].ends_with(",4.000"),
            "eframe's CPU time: {}",
            lines[2]
        );
        assert!(
            lines[3].ends_with(','),
            "a CPU time that is not a number is left out"
        );
    }

    #[test]
    fn finish_names_a_path_it_cannot_write() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let path = folder.path().join("missing").join("frames.csv");
        let error = FrameRecorder::new(path.clone())
            .finish()
            .expect_err("the folder does not exist");
        assert!(
            format!("{error:#}").contains(&path.display().to_string()),
            "{error:#}"
        );
    }
}
