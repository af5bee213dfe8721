//! The desktop application: a scenario's graph, live plots and run controls.
//!
//! [`run_app`] opens the window. The engine runs on its own thread ([`driver`]). Each
//! frame, the app ([`app`]) drains the engine's reports into a [`history::RunHistory`]
//! and draws the panels, the plots ([`plots`]) and the graph ([`graph`]) from it.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::anyhow;

pub mod actions;
pub mod app;
pub mod breakers;
pub mod bundled;
pub mod document;
pub mod driver;
pub mod editing;
pub mod fault_timeline;
pub mod frames;
pub mod graph;
pub mod history;
pub mod inspector;
pub mod live;
pub mod markdown;
pub mod messages;
pub mod names;
pub mod panel_size;
pub mod panels;
pub mod plots;
pub mod settings;
pub mod topology;

#[cfg(test)]
mod breaker_tests;
#[cfg(test)]
mod clipboard_tests;
#[cfg(test)]
mod display_tests;
#[cfg(test)]
mod editor_tests;
#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod input_tests;
#[cfg(test)]
mod inspector_tests;
#[cfg(test)]
mod layout_tests;
#[cfg(test)]
mod open_tests;
#[cfg(test)]
mod plot_tests;
#[cfg(test)]
mod run_control_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod toolbar_tests;

/// The start options of the desktop application, from the command line.
#[derive(Clone, Debug, Default)]
pub struct Launch {
    /// A file to open instead of the last document.
    pub initial: Option<PathBuf>,
    /// Whether the run starts playing as soon as the scenario has loaded.
    pub play: bool,
    /// Pacing that replaces the saved one.
    pub pacing: Option<messages::Pacing>,
    /// Simulated time of every run until another file is opened, replacing the scenario's.
    pub duration: Option<crate::scenario::Duration>,
    /// A CSV file that receives the time of every frame when the window closes.
    pub frame_times: Option<PathBuf>,
    /// Wall time after which the window closes by itself.
    pub quit_after: Option<std::time::Duration>,
}

/// Opens the Topolab window on `launch.initial`, else on the last document, else on the
/// bundled default scenario, and returns when the window closes.
pub fn run_app(launch: Launch) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Topolab")
            .with_app_id("topolab")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([640.0, 480.0])
            .with_drag_and_drop(true),
        // Without vsync, a frame measurement shows what a frame costs rather than the
        // display's refresh interval.
        glow_options: eframe::egui_glow::GlowConfiguration {
            vsync: launch.frame_times.is_none(),
            ..eframe::egui_glow::GlowConfiguration::default()
        },
        ..eframe::NativeOptions::default()
    };
    let Launch {
        initial,
        play,
        pacing,
        duration,
        frame_times,
        quit_after,
    } = launch;
    eframe::run_native(
        "Topolab",
        options,
        Box::new(move |creation| {
            let settings = creation
                .storage
                .and_then(|storage| eframe::get_value(storage, eframe::APP_KEY))
                .unwrap_or_default();
            draw_panels_on_the_clear_color(&creation.egui_ctx);
            let renderer = creation
                .gl
                .as_deref()
                .map(renderer_name)
                .unwrap_or_default();
            tracing::info!(renderer, "OpenGL renderer");
            let context = creation.egui_ctx.clone();
            let waker: driver::Waker = Arc::new(move || context.request_repaint());
            let app = app::TopolabApp::new(app::AppOptions {
                initial,
                settings,
                dialogs: true,
                waker: Some(waker),
                play,
                pacing,
                duration,
                recovery_dir: eframe::storage_dir("topolab").map(|folder| folder.join("recovery")),
                software_renderer: is_software_renderer(&renderer),
            })?;
            Ok(Box::new(Window {
                app,
                frames: frame_times.map(frames::FrameRecorder::new),
                quit_at: quit_after.map(|after| std::time::Instant::now() + after),
            }))
        }),
    )
    .map_err(|error| anyhow!("cannot open the window: {error}"))
}

/// Returns the name of the OpenGL renderer, such as `llvmpipe (LLVM 15.0.6, 256 bits)`.
#[allow(unsafe_code)]
fn renderer_name(gl: &eframe::glow::Context) -> String {
    use eframe::glow::HasContext as _;
    // SAFETY: eframe makes the context current before it calls the app's creator, and
    // GL_RENDERER is a constant string that every OpenGL version defines.
    unsafe { gl.get_parameter_string(eframe::glow::RENDERER) }
}

/// Returns whether `renderer` names a renderer that draws on the CPU.
fn is_software_renderer(renderer: &str) -> bool {
    let renderer = renderer.to_lowercase();
    ["llvmpipe", "softpipe", "swrast", "swiftshader", "software"]
        .iter()
        .any(|name| renderer.contains(name))
}

/// Makes panels transparent, for [`Window::clear_color`] to paint their colour.
///
/// Panels cover the whole window, so their fill costs a full-window pass of shading
/// in every frame. Clearing to the same colour instead costs a memory fill, which
/// matters on software OpenGL, where shading the window is most of a frame's cost.
fn draw_panels_on_the_clear_color(ctx: &egui::Context) {
    ctx.all_styles_mut(|style| style.visuals.panel_fill = egui::Color32::TRANSPARENT);
}

/// Returns the panel colour of the theme of `visuals`, as egui's defaults have it.
fn panel_fill(visuals: &egui::Visuals) -> egui::Color32 {
    if visuals.dark_mode {
        egui::Visuals::dark().panel_fill
    } else {
        egui::Visuals::light().panel_fill
    }
}

/// The app in its native window, with what only a real window has: frame timing and
/// closing by itself.
struct Window {
    app: app::TopolabApp,
    frames: Option<frames::FrameRecorder>,
    quit_at: Option<std::time::Instant>,
}

impl eframe::App for Window {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        if let Some(recorder) = &mut self.frames {
            recorder.record(frame.info().cpu_usage);
            // Back-to-back frames make the interval the whole cost of a frame, buffer
            // swap and software rasterization included, rather than the time between
            // engine reports.
            ui.ctx().request_repaint();
        }
        if let Some(quit_at) = self.quit_at {
            let now = std::time::Instant::now();
            if now >= quit_at {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            } else {
                ui.ctx().request_repaint_after(quit_at - now);
            }
        }
        self.app.ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::App::save(&mut self.app, storage);
    }

    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        panel_fill(visuals).to_normalized_gamma_f32()
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.app.on_exit();
        if let Some(recorder) = &self.frames {
            match recorder.finish() {
                Ok(summary) => eprint!("{summary}"),
                Err(error) => eprintln!("error: {error:#}"),
            }
        }
    }
}

#[cfg(test)]
mod renderer_tests {
    use super::is_software_renderer;

    #[test]
    fn software_renderers_are_recognized() {
        assert!(is_software_renderer("llvmpipe (LLVM 15.0.6, 256 bits)"));
        assert!(is_software_renderer("softpipe"));
        assert!(is_software_renderer("Google SwiftShader"));
        assert!(!is_software_renderer(
            "AMD Radeon RX 6600 (radeonsi, navi23, LLVM 15.0.6)"
        ));
        assert!(!is_software_renderer(
            "Mesa Intel(R) UHD Graphics 620 (KBL GT2)"
        ));
        assert!(!is_software_renderer(""));
    }
}
