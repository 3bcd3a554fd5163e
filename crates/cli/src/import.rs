//! `pledge import`: a ledger file into the database, with a progress bar, a report and an
//! annotated copy of the file when rows are rejected.

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use pledge_domain::ParkCode;
use pledge_service::ledgers::{ImportRequest, SheetKind};
use pledge_service::{Context as Caller, ImportMode, Service, ServiceError};
use std::path::Path;
use std::time::Instant;

/// The command's arguments.
#[derive(Debug)]
pub struct Options<'a> {
    pub file: &'a Path,
    pub kind: Option<&'a str>,
    pub dry_run: bool,
    pub all_or_nothing: bool,
    pub park: Option<&'a str>,
    pub annotated: Option<&'a Path>,
    pub json: bool,
}

/// Runs the import; the exit code is 0 when every row was good and written, 2 otherwise.
pub async fn run(service: &Service, o: Options<'_>) -> Result<i32> {
    let started = Instant::now();
    let bytes = std::fs::read(o.file).with_context(|| format!("reading {}", o.file.display()))?;
    let scope = o.park.map(ParkCode::parse).transpose()?;
    let request = ImportRequest {
        file_name: o.file.to_string_lossy().into_owned(),
        bytes,
        kind: o.kind.and_then(SheetKind::parse),
        mode: if o.all_or_nothing {
            ImportMode::AllOrNothing
        } else {
            ImportMode::Partial
        },
        dry_run: o.dry_run,
    };
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {elapsed} (about {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // On a terminal a bar; in a log, a line per batch.
    let plain = !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        if plain {
            eprintln!("{done}/{total} rows");
        }
    };
    let caller = Caller::command_line("import", crate::now());
    let imported = match service
        .import(&caller, scope.clone(), request, &progress)
        .await
    {
        Ok(i) => i,
        Err(ServiceError::Invalid(errors)) => {
            if let (Some(p), true) = (&scope, errors.iter().any(|e| e.field == "park")) {
                bail!("no park {p}");
            }
            let why: Vec<String> = errors.iter().map(|f| f.message.clone()).collect();
            bail!("{}", why.join("; "))
        }
        Err(e) => bail!("{e}"),
    };
    bar.finish_and_clear();
    let report = &imported.report;
    let findings = report.rejection_count > 0 || report.warning_count > 0;
    let annotated = match (findings, &imported.annotated) {
        (true, Some(copy)) => {
            let path = o.annotated.map(Path::to_path_buf).unwrap_or_else(|| {
                let stem = o
                    .file
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("import");
                o.file.with_file_name(format!("{stem}.errors.xlsx"))
            });
            std::fs::write(&path, copy).with_context(|| format!("writing {}", path.display()))?;
            Some(path)
        }
        _ => None,
    };
    if o.json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        for s in &report.sheets {
            println!(
                "sheet {} ({}): header on row {}, {} data rows",
                s.sheet, s.kind, s.header_row, s.data_rows
            );
        }
        for s in &report.skipped_sheets {
            println!(
                "sheet {} skipped: lacks {}",
                s.sheet,
                s.missing_columns.join(", ")
            );
        }
        for (kind, c) in &report.counts {
            println!(
                "{kind}: {} inserted, {} updated, {} unchanged, {} rejected",
                c.inserted, c.updated, c.unchanged, c.rejected
            );
        }
        for r in &report.rejections {
            println!(
                "rejected {} row {} {}: [{}] {} ({})",
                r.sheet,
                r.row,
                r.column.replace('\n', ""),
                r.code,
                r.message,
                r.value
            );
        }
        for w in &report.warnings {
            println!(
                "warning {} row {}: [{}] {}",
                w.sheet, w.row, w.code, w.message
            );
        }
        let listed = (report.rejections.len() as u64, report.warnings.len() as u64);
        if report.rejection_count > listed.0 || report.warning_count > listed.1 {
            println!(
                "listed above: the first {} of {} rejected cells and {} of {} warnings; the annotated copy marks them all",
                listed.0, report.rejection_count, listed.1, report.warning_count
            );
        }
        let state = match (report.dry_run, report.committed) {
            (true, _) => "dry run: nothing written",
            (false, true) => "written",
            (false, false) => "nothing written (all or nothing: a row was rejected)",
        };
        println!("{state}; {:.1} s", started.elapsed().as_secs_f64());
        if let Some(p) = &annotated {
            println!("annotated copy: {}", p.display());
        }
    }
    Ok(if report.rejection_count == 0 && report.committed {
        0
    } else {
        2
    })
}
