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
pub mod bundled;
pub mod document;
pub mod driver;
pub mod graph;
pub mod history;
pub mod live;
pub mod markdown;
pub mod messages;
pub mod panels;
pub mod plots;
pub mod settings;
pub mod topology;

#[cfg(test)]
mod tests;

/// Opens the Topolab window on `initial`, else on the last document, else on the
/// bundled default scenario, and returns when the window closes.
pub fn run_app(initial: Option<PathBuf>) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Topolab")
            .with_app_id("topolab")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([800.0, 500.0])
            .with_drag_and_drop(true),
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        "Topolab",
        options,
        Box::new(move |creation| {
            let settings = creation
                .storage
                .and_then(|storage| eframe::get_value(storage, eframe::APP_KEY))
                .unwrap_or_default();
            let context = creation.egui_ctx.clone();
            let waker: driver::Waker = Arc::new(move || context.request_repaint());
            let app = app::TopolabApp::new(app::AppOptions {
                initial,
                settings,
                dialogs: true,
                waker: Some(waker),
            })?;
            Ok(Box::new(app))
        }),
    )
    .map_err(|error| anyhow!("cannot open the window: {error}"))
}
