//! Image folders (`data.source = "images"`), the final project's option B on a user's own
//! pictures: a folder walk ([`scan`]), one pure-Rust decode per file ([`decode`]) in parallel
//! with a progress bar, PIL-exact resizing ([`resize`]), then the split and the per-channel
//! normalization ([`prepare`]). Everything is read once, before epoch 1: a bad file stops the
//! run (or is skipped, `data.image.bad_files = "skip"`) before any training time is spent,
//! and both routes get the same `u8` pixels, bit for bit.
//!
//! Memory: the decoded set is held as `u8` `[N, C, H, W]` (one byte per value), and the
//! features the backends train on as `f32` `[N, C·H·W]` (four bytes per value); the loader
//! estimates both before decoding and refuses above `data.image.max_memory_mb`.

pub mod decode;
mod notes;
pub mod prepare;
pub mod resize;
pub mod scan;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::config::{BadFiles, ImageConfig, ResizePolicy};
use crate::{Error, Result};
pub use notes::{bad_files_warning, ignored_note, links_warning, links_warning_in, plural};
pub use prepare::{prepare, ImagePrep};
pub use scan::Part;

/// How files are read: the `[data.image]` keys that shape the pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// `[H, W]`, or the files' own (common) size.
    pub size: Option<[usize; 2]>,
    /// 1, 3, or decided by the files.
    pub channels: Option<usize>,
    /// How a file of another size reaches `size`.
    pub resize: ResizePolicy,
    /// The largest `width × height` a file may declare.
    pub max_pixels: u64,
}

impl Reading {
    /// The reading `[data.image]` asks for.
    pub fn from_config(im: &ImageConfig) -> Self {
        Reading {
            size: im.size,
            channels: im.channels,
            resize: im.resize,
            max_pixels: im.max_pixels,
        }
    }
}

/// A decoded image folder.
#[derive(Debug, Clone)]
pub struct ImageSet {
    /// The folder read.
    pub root: PathBuf,
    /// Class names, sorted.
    pub classes: Vec<String>,
    /// `[C, H, W]` of every image.
    pub shape: [usize; 3],
    /// The pixels, `[N, C, H, W]` row-major.
    pub pixels: Vec<u8>,
    /// Class index of each image.
    pub labels: Vec<usize>,
    /// Each image's path relative to `root`, `/`-separated.
    pub files: Vec<String>,
    /// Each image's given split (layout `train/`, `val/`, `test/`), else `None`.
    pub parts: Option<Vec<Part>>,
    /// Files left out (`bad_files = "skip"`): relative path and reason.
    pub bad: Vec<(String, String)>,
    /// Files ignored for their extension (relative paths).
    pub ignored: Vec<String>,
    /// Symbolic links not followed (relative path, why): see [`scan`].
    pub links: Vec<(String, String)>,
}

impl ImageSet {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// True without images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// The pixels of image `i`, `[C, H, W]`.
    pub fn image(&self, i: usize) -> &[u8] {
        let n: usize = self.shape.iter().product();
        &self.pixels[i * n..(i + 1) * n]
    }
}

/// One file's pixels as read: interleaved `[h, w, c]`.
struct Read {
    h: usize,
    w: usize,
    c: usize,
    colour: bool,
    pixels: Vec<u8>,
}

/// Reads, decodes and resizes one file (`Err`: the reason it is a bad file).
fn read_file(path: &Path, how: &Reading) -> std::result::Result<Read, String> {
    let bytes = std::fs::read(path).map_err(|e| match scan::broken_link(path) {
        Some(why) => why,
        None => format!("cannot read: {e}"),
    })?;
    let d = decode::decode(&bytes, how.channels, how.max_pixels)?;
    let (mut h, mut w, c) = (d.height, d.width, d.channels);
    let mut pixels = d.pixels;
    if let Some(size) = how.size {
        // A thin picture (1×50,000) under the pixel limit could still ask for gigabytes once
        // its short side is scaled up: the intermediate image is held to the same limit.
        let (nh, nw) = resize::intermediate(h, w, size, how.resize);
        let pixels_needed = nh as u64 * nw as u64;
        if pixels_needed > how.max_pixels {
            return Err(format!(
                "{w}×{h} would be resized through {nw}×{nh} = {pixels_needed} pixels, over \
                 data.image.max_pixels ({}): an extreme aspect ratio for data.image.size",
                how.max_pixels
            ));
        }
        pixels = resize::fit(&pixels, (h, w, c), size, how.resize);
        [h, w] = size;
    }
    Ok(Read {
        h,
        w,
        c,
        colour: d.colour,
        pixels,
    })
}

/// One image file as the model saw its training images: `[C, H, W]` with `shape`'s channels
/// and size (`predict` on a file). A bad file is an error naming it.
pub fn read_image(path: &Path, how: &Reading, shape: [usize; 3]) -> Result<Vec<u8>> {
    let r = read_file(path, how).map_err(|msg| bad_file(path, msg))?;
    if [r.h, r.w] != [shape[1], shape[2]] {
        let msg = format!(
            "is {}×{} pixels; the model takes {}×{} (its data.image.size was not set, so \
             every image must have that size)",
            r.h, r.w, shape[1], shape[2]
        );
        return Err(bad_file(path, msg));
    }
    Ok(to_chw(&r, shape[0]))
}

fn bad_file(path: &Path, msg: String) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        row: None,
        column: None,
        msg,
    }
}

/// Interleaved `[h, w, c]` → planar `[C, h, w]`, repeating or mixing channels to `channels`.
fn to_chw(r: &Read, channels: usize) -> Vec<u8> {
    let px = match (r.c, channels) {
        (1, 3) => std::borrow::Cow::Owned(decode::grey_to_rgb(&r.pixels)),
        (3, 1) => std::borrow::Cow::Owned(decode::pil_luma(&r.pixels)),
        _ => std::borrow::Cow::Borrowed(&r.pixels),
    };
    let plane = r.h * r.w;
    let mut out = vec![0u8; channels * plane];
    for (i, p) in px.chunks_exact(channels).enumerate() {
        for (c, &v) in p.iter().enumerate() {
            out[c * plane + i] = v;
        }
    }
    out
}

/// What a bad-files error tells a training run: the key that leaves them out.
pub const TRAIN_BAD_FILES_HINT: &str = "data.image.bad_files = \"skip\" leaves them out";

/// Scans and decodes the folder `root` (see the module documentation) for a run whose config
/// is `im`. `quiet` hides the progress bar.
pub fn load(root: &Path, im: &ImageConfig, how: &Reading, quiet: bool) -> Result<ImageSet> {
    load_hinted(root, im, how, quiet, TRAIN_BAD_FILES_HINT)
}

/// [`load`], whose bad-files error ends with `hint` (what the command reading the folder can
/// do about them: `eval` has no config key to set).
pub fn load_hinted(
    root: &Path,
    im: &ImageConfig,
    how: &Reading,
    quiet: bool,
    hint: &str,
) -> Result<ImageSet> {
    let found = scan::scan(root)?;
    check_memory(&found, im, how)?;
    let reads = decode_all(&found.files, how, quiet);
    let mut bad = Vec::new();
    let mut kept = Vec::new();
    for (f, r) in found.files.iter().zip(reads) {
        match r {
            Ok(r) => kept.push((f, r)),
            Err(why) => bad.push((f.rel.clone(), why)),
        }
    }
    if !bad.is_empty() && im.bad_files == BadFiles::Error {
        return Err(bad_files_error(root, &bad, found.files.len(), hint));
    }
    let [h, w] = common_size(root, &kept)?;
    let channels = how
        .channels
        .unwrap_or(if kept.iter().any(|(_, r)| r.colour) {
            3
        } else {
            1
        });
    let mut pixels = Vec::with_capacity(kept.len() * channels * h * w);
    for (_, r) in &kept {
        pixels.extend(to_chw(r, channels));
    }
    let set = ImageSet {
        root: root.to_path_buf(),
        shape: [channels, h, w],
        pixels,
        labels: kept.iter().map(|(f, _)| f.class).collect(),
        files: kept.iter().map(|(f, _)| f.rel.clone()).collect(),
        parts: found.given_splits.then(|| {
            kept.iter()
                .map(|(f, _)| f.part.unwrap_or(Part::Train))
                .collect()
        }),
        classes: found.classes,
        bad,
        ignored: found.ignored,
        links: found.links,
    };
    check_classes_kept(&set)?;
    Ok(set)
}

/// Decodes every file on all cores (each file on its own, so the thread count changes no
/// byte), with a progress bar on a terminal.
fn decode_all(
    files: &[scan::Found],
    how: &Reading,
    quiet: bool,
) -> Vec<std::result::Result<Read, String>> {
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(files.len() as u64)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "decoding {pos}/{len} images {bar:30} {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().max(1));
    let mut results: Vec<(usize, std::result::Result<Read, String>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(f) = files.get(i) else { break out };
                        // A panic in a decoder or the resize is this file's failure, not
                        // the run's: caught here, it keeps every other file at its index.
                        let read = std::panic::catch_unwind(|| read_file(&f.path, how))
                            .unwrap_or_else(|_| Err("the decoder failed on this file".into()));
                        out.push((i, read));
                        bar.inc(1);
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    bar.finish_and_clear();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// The bad files as one error: how many, and each path with its reason (the first 20).
fn bad_files_error(root: &Path, bad: &[(String, String)], total: usize, hint: &str) -> Error {
    let mut msg = format!(
        "{} of {total} files are not readable images ({hint}):",
        bad.len()
    );
    for (path, why) in bad.iter().take(20) {
        msg.push_str(&format!("\n  {path}: {why}"));
    }
    if bad.len() > 20 {
        msg.push_str(&format!("\n  … and {} more", bad.len() - 20));
    }
    bad_file(root, msg)
}

/// The one size of every image; two different ones (no `data.image.size`) are an error
/// naming both and the key.
fn common_size(root: &Path, kept: &[(&scan::Found, Read)]) -> Result<[usize; 2]> {
    let Some((first, r0)) = kept.first() else {
        return Err(bad_file(root, "no readable image in the folder".into()));
    };
    if let Some((f, r)) = kept.iter().find(|(_, r)| (r.h, r.w) != (r0.h, r0.w)) {
        return Err(Error::config(
            "data.image.size",
            format!(
                "the images differ in size ({} is {}×{}, {} is {}×{}, height × width); set \
                 data.image.size = [H, W] to bring them to one size",
                first.rel, r0.h, r0.w, f.rel, r.h, r.w
            ),
        ));
    }
    Ok([r0.h, r0.w])
}

/// Every class keeps at least one image after bad files were skipped.
fn check_classes_kept(set: &ImageSet) -> Result<()> {
    for (c, name) in set.classes.iter().enumerate() {
        if !set.labels.contains(&c) {
            return Err(bad_file(
                &set.root.join(name),
                format!("class '{name}' has no readable image left after skipping bad files"),
            ));
        }
    }
    Ok(())
}

/// Refuses a set whose decoded pixels and features would take more than
/// `data.image.max_memory_mb`, before decoding: `N × C × H × W × 5` bytes (`u8` set plus
/// `f32` features), the size from `data.image.size` or from the first file's header, and 3
/// channels when not set.
fn check_memory(found: &scan::Scan, im: &ImageConfig, how: &Reading) -> Result<()> {
    let [h, w] = match how.size {
        Some(s) => s,
        None => match found.files.first().and_then(|f| header_size(&f.path)) {
            Some(s) => s,
            None => return Ok(()),
        },
    };
    let c = how.channels.unwrap_or(3);
    let bytes = found.files.len() as f64 * (c * h * w) as f64 * 5.0;
    let mib = bytes / (1u64 << 20) as f64;
    if mib > im.max_memory_mb {
        return Err(Error::config(
            "data.image.max_memory_mb",
            format!(
                "{} images of {c}×{h}×{w} need about {mib:.0} MiB ({:.0} MiB of u8 pixels and \
                 {:.0} MiB of f32 features), over the limit of {} MiB: set a smaller \
                 data.image.size, or raise the limit if the machine has the memory",
                found.files.len(),
                mib / 5.0,
                mib * 0.8,
                im.max_memory_mb
            ),
        ));
    }
    Ok(())
}

/// `[H, W]` from a file's header, without decoding it.
fn header_size(path: &Path) -> Option<[usize; 2]> {
    let (w, h) = image::ImageReader::open(path)
        .ok()?
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()?;
    Some([h as usize, w as usize])
}
