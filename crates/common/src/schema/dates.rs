//! Recognising dates and times written as text, so that a date column is reported (and
//! dropped) instead of being one-hot encoded one category per day. Accepted forms, with `-`,
//! `/` or `.` between the numbers of a date:
//! - ISO order: `2007-11-09`, `2007/11/09`, `2007.11.09`;
//! - day and month first, 2- or 4-digit year: `09/11/2007`, `11/9/07`, `9.11.2007`;
//! - a month name: `9 Nov 2007`, `Nov 9, 2007`, `09-Nov-07`, `November 2007`;
//! - any of these followed by a time (`T10:00`, ` 10:00:05.5`, `Z`, `+02:00`, ` PM`), or a
//!   time of day alone (`10:00`, `23:59:59`).

/// True when `s` (trimmed) is a date, a date and time, or a time of day in a common format.
pub fn looks_like_datetime(s: &str) -> bool {
    let s = s.trim();
    if s.is_empty() || s.len() > 40 {
        return false;
    }
    match split_time(s) {
        (None, Some(time)) => is_time(time),
        (Some(date), time) => {
            (is_numeric_date(date) || is_month_name_date(date)) && time.into_iter().all(is_time)
        }
        (None, None) => false,
    }
}

/// Splits `s` into its date part and its time part (the token holding the first `:`).
fn split_time(s: &str) -> (Option<&str>, Option<&str>) {
    let Some(colon) = s.find(':') else {
        return (Some(s), None);
    };
    let start = s[..colon].rfind(['T', ' ']).map_or(0, |i| i + 1);
    let date = s[..start].trim_end_matches(['T', ' ', ',']);
    ((!date.is_empty()).then_some(date), Some(&s[start..]))
}

/// `H:MM`, `HH:MM:SS`, `HH:MM:SS.fff`, optionally with `Z`, a `±HH:MM` offset or AM/PM.
fn is_time(t: &str) -> bool {
    let mut t = t.trim();
    for suffix in ["am", "pm"] {
        if t.len() > 2 && t[t.len() - 2..].eq_ignore_ascii_case(suffix) {
            t = t[..t.len() - 2].trim_end();
        }
    }
    let t = t.strip_suffix('Z').unwrap_or(t);
    // A UTC offset starts with + or - after the hour and minutes.
    let t = match t.get(4..).and_then(|rest| rest.find(['+', '-'])) {
        Some(i) => &t[..4 + i],
        None => t,
    };
    let parts: Vec<&str> = t.split(':').collect();
    let num = |p: &str, max: u32| {
        !p.is_empty() && p.len() <= 2 && p.parse::<u32>().is_ok_and(|v| v <= max)
    };
    match parts.as_slice() {
        [h, m] => num(h, 23) && m.len() == 2 && num(m, 59),
        [h, m, s] => {
            let whole = s.split('.').next().unwrap_or("");
            let frac_ok = s
                .split_once('.')
                .into_iter()
                .all(|(_, f)| f.chars().all(|c| c.is_ascii_digit()));
            num(h, 23)
                && m.len() == 2
                && num(m, 59)
                && whole.len() == 2
                && num(whole, 60)
                && frac_ok
        }
        _ => false,
    }
}

/// Three numbers with one separator (`-`, `/` or `.`): year first (4 digits), or day and
/// month first in either order with a 2- or 4-digit year last.
fn is_numeric_date(d: &str) -> bool {
    let Some(sep) = d.chars().find(|c| matches!(c, '-' | '/' | '.')) else {
        return false;
    };
    let parts: Vec<&str> = d.split(sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return false;
    };
    if ![a, b, c]
        .iter()
        .all(|p| !p.is_empty() && p.chars().all(|ch| ch.is_ascii_digit()))
    {
        return false;
    }
    let v = |p: &str| p.parse::<u32>().unwrap_or(0);
    let day_month = |x: &str, y: &str| {
        x.len() <= 2 && y.len() <= 2 && (1..=31).contains(&v(x)) && (1..=12).contains(&v(y))
    };
    if a.len() == 4 {
        return b.len() <= 2
            && (1..=12).contains(&v(b))
            && c.len() <= 2
            && (1..=31).contains(&v(c));
    }
    (c.len() == 2 || c.len() == 4) && (day_month(a, b) || day_month(b, a))
}

/// A month name (`Nov`, `November`) with a year, and optionally a day: `9 Nov 2007`,
/// `Nov 9, 2007`, `09-Nov-07`, `November 2007`.
fn is_month_name_date(d: &str) -> bool {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let tokens: Vec<&str> = d
        .split([' ', '-', '/', ','])
        .filter(|t| !t.is_empty())
        .collect();
    let is_month = |t: &str| {
        (3..=9).contains(&t.len())
            && t.chars().all(|c| c.is_ascii_alphabetic())
            && MONTHS.contains(&t[..3].to_ascii_lowercase().as_str())
    };
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    let months = tokens.iter().filter(|t| is_month(t)).count();
    let numbers: Vec<&str> = tokens.iter().copied().filter(|t| digits(t)).collect();
    if months != 1 || numbers.len() + 1 != tokens.len() {
        return false;
    }
    let day = |t: &str| t.len() <= 2 && t.parse::<u32>().is_ok_and(|v| (1..=31).contains(&v));
    match numbers.as_slice() {
        [y] => y.len() == 4,
        [x, y] => (day(x) && (y.len() == 2 || y.len() == 4)) || (x.len() == 4 && day(y)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_datetime as date;

    #[test]
    fn common_date_and_time_formats_are_recognised() {
        for s in [
            "2007-11-09",
            "2007/11/09",
            "2007.11.9",
            "2007-11-09T10:00",
            "2007-11-09T10:00:05Z",
            "2007-11-09 10:00:05.250+02:00",
            "09/11/2007",
            "11/9/07",
            "13.11.2007",
            "9 Nov 2007",
            "Nov 9, 2007",
            "09-Nov-07",
            "November 2007",
            "11/9/07 3:45 PM",
            "10:00",
            "23:59:59",
        ] {
            assert!(date(s), "{s} is a date/time");
        }
    }

    #[test]
    fn numbers_codes_and_words_are_not_dates() {
        for s in [
            "2007",
            "20071109",
            "39.1",
            "-0.52",
            "1.2.3",
            "2007-13-09",
            "2007-11-32",
            "13/13/2007",
            "PAL0708-0001",
            "N1A1",
            "male",
            "Nov",
            "May be late",
            "25:00",
            "10:7",
            "Adult, 1 Egg Stage",
            "",
        ] {
            assert!(!date(s), "{s} is not a date/time");
        }
    }
}
