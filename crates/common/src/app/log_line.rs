//! The form of a log line: `warning: …`, as `predict`, `eval` and every error line print
//! (`error: …`), rather than tracing's default `2026-12-07T19:40:00.123Z  WARN …`. One form
//! for every command, so that a user (or a script) looks for one word; no timestamp, since the
//! epoch lines beside these have none either. Colour (the level word only) on a terminal, as
//! [`super::init_tracing`] decides.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats an event as `<level word>: <spans>: <message and fields>`, each span (outermost
/// first) as tracing's default writes it, `epoch{epoch=3}`.
pub(super) struct LevelWord {
    /// Colour the level word (ANSI codes).
    pub ansi: bool,
}

/// The word and ANSI colour of a level: the words `rustc` and `cargo` print.
fn word(level: Level) -> (&'static str, &'static str) {
    match level {
        Level::ERROR => ("error", "31"),
        Level::WARN => ("warning", "33"),
        Level::INFO => ("info", "32"),
        Level::DEBUG => ("debug", "34"),
        Level::TRACE => ("trace", "35"),
    }
}

impl<S, N> FormatEvent<S, N> for LevelWord
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let (name, code) = word(*event.metadata().level());
        match self.ansi {
            true => write!(writer, "\x1b[{code}m{name}\x1b[0m: ")?,
            false => write!(writer, "{name}: ")?,
        }
        // The spans the event sits in (the epoch loop's `epoch`): the context a line needs.
        for span in ctx.event_scope().into_iter().flat_map(|s| s.from_root()) {
            write!(writer, "{}", span.name())?;
            let extensions = span.extensions();
            match extensions.get::<FormattedFields<N>>() {
                Some(fields) if !fields.is_empty() => write!(writer, "{{{fields}}}: ")?,
                _ => write!(writer, ": ")?,
            }
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    /// A writer the subscriber can own that keeps what it was given.
    #[derive(Clone, Default)]
    struct Kept(Arc<Mutex<Vec<u8>>>);

    impl Write for Kept {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(ansi: bool) -> String {
        let kept = Kept::default();
        let writer = kept.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(ansi)
            .event_format(LevelWord { ansi })
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!("config key 'x' has no effect");
            tracing::error!(column = "c", "bad");
            let _span = tracing::info_span!("epoch", epoch = 3).entered();
            tracing::info!("restoring");
        });
        let bytes = kept.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn a_line_is_the_level_word_then_the_message() {
        assert_eq!(
            logged(false),
            "warning: config key 'x' has no effect\nerror: bad column=\"c\"\n\
             info: epoch{epoch=3}: restoring\n"
        );
        let coloured = logged(true);
        assert!(
            coloured.starts_with("\u{1b}[33mwarning\u{1b}[0m: config key"),
            "{coloured:?}"
        );
    }
}
