//! `--config FILE`: the options of `run`, `nps` and `themes discover` read from a TOML file
//! (DESIGN.md "Command line": every option can live there), so that a weekly job is one
//! line: `verbatim run --config weekly.toml`.
//!
//! **Keys** are the long option names as typed on the command line (`segment-col`,
//! `score-col`, `no-cache`), plus `inputs` for the positional INPUTs. A run.json's `config`
//! object uses the same keys, so a run can be replayed from it.
//!
//! **One parser.** The file has no parser of its own: each value becomes the tokens a user
//! would have typed (`period = "month"` -> `--period=month`), checked by that option's own
//! clap value parser, so the file accepts exactly what the command line accepts, with the
//! same messages. Only the TOML type is checked here first (a string for names, choices and
//! paths, a number for numbers, `true` / `false` for switches, a list or one value for a
//! repeatable option), so that `segment-col = 5` is an error rather than a column named "5".
//!
//! **Precedence**: command line > environment variable (for the options clap reads one for,
//! e.g. `VERBATIM_MODEL`) > the command's table in the file > flat keys of the file > default.
//! An option given on the command line or by its variable is not taken from the file at all
//! (a repeatable one is replaced, not extended), nor is a file key that conflicts with it
//! (`examples` in the file, `--themes-model` on the command line).
//!
//! **Layout.** Flat keys apply to every command that reads the file; a `[run]`, `[nps]` or
//! `[themes-discover]` table applies to that command only and wins over flat keys. A flat key
//! that only another of these commands takes is ignored (and listed in run.json): `nps`
//! reading the weekly job's file ignores `taxonomy`. A key that none of them takes, or a key
//! in a table that its command does not take, is an error naming the file, the key and the
//! closest valid key, so a typo never silently falls back to a default. Every value is
//! checked, against the command that takes it, whichever command reads the file and
//! whether or not the command line overrides it: a file is valid or not as a whole.
//!
//! **Targets** (issue 19) have a table form of their own, rewritten into the options before
//! anything else: `[targets.Channel]` with `Store = 40` is `segment-target =
//! ["Channel:Store=40"]`, and `[benchmark]` with `nps = 32` and `source = "..."` is
//! `benchmark = 32` and `benchmark-source = "..."`. `target = 30` is the option itself.
//!
//! **Paths** in the file (`inputs` and every option whose value is a path: `out`, `taxonomy`,
//! `examples`, `model`, `cache-dir`...) are relative to the file's directory, so the job runs
//! the same from any working directory; paths on the command line stay relative to the
//! working directory, as everywhere.

use std::any::TypeId;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, Command};

use crate::{Error, Result};

/// A command that reads a config file: the name of its table and its path in the command tree.
#[derive(Debug)]
pub struct Reader {
    /// Table of the file that applies to this command only (`[themes-discover]`).
    pub section: &'static str,
    /// Subcommand names from the root (`["themes", "discover"]`).
    pub path: &'static [&'static str],
}

impl Reader {
    /// `run`, `themes discover`: how the user types the command.
    pub fn name(&self) -> String {
        self.path.join(" ")
    }
}

/// The commands that take `--config`.
pub const READERS: [Reader; 3] = [
    Reader { section: "run", path: &["run"] },
    Reader { section: "nps", path: &["nps"] },
    Reader { section: "themes-discover", path: &["themes", "discover"] },
];

/// The key of the positional INPUTs.
const INPUTS: &str = "inputs";

/// Arguments of a command that are not keys of the file.
const NOT_KEYS: [&str; 3] = ["help", "version", "config"];

/// A config file, read and parsed as TOML (not yet checked against any command).
#[derive(Debug, Clone)]
pub struct ConfigFile {
    /// The path as given (`--config` or `VERBATIM_CONFIG`).
    pub path: PathBuf,
    /// sha256 of its bytes, for run.json.
    pub sha256: String,
    table: toml::Table,
}

impl ConfigFile {
    pub fn read(path: &Path) -> Result<ConfigFile> {
        let bytes = std::fs::read(path).map_err(|e| {
            Error::Usage(format!(
                "--config {}: cannot read it ({e}); give the path of a TOML file of options (see verbatim.toml in \
                 the repository)",
                path.display()
            ))
        })?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::Usage(format!("{}: not UTF-8 text; save the config file as UTF-8", path.display())))?;
        let mut file = ConfigFile::parse(path, &text)?;
        file.sha256 = crate::ingest::sha256_hex(text.as_bytes());
        Ok(file)
    }

    /// Parse TOML text read from `path` (named in messages; relative paths resolve from its directory).
    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile> {
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            // The toml crate's message starts with "TOML parse error at line L, column C".
            Error::Usage(format!("{}: {}", path.display(), e.to_string().trim_end()))
        })?;
        let mut file = ConfigFile { path: path.to_path_buf(), sha256: String::new(), table: toml::Table::new() };
        file.table = file.desugar(table)?;
        Ok(file)
    }

    /// The `[targets.SEGMENT]` and `[benchmark]` tables as the options they stand for (at the
    /// top level and inside a command's table).
    fn desugar(&self, mut table: toml::Table) -> Result<toml::Table> {
        if let Some(targets) = table.remove("targets") {
            let toml::Value::Table(segments) = targets else {
                return Err(self.err(format_args!(
                    "`targets` should be tables of segment values, e.g. [targets.Channel] then Store = 40 \
                     (the overall target is `target = 30`), not {}",
                    a_type(&targets)
                )));
            };
            let mut list: Vec<toml::Value> = match table.remove("segment-target") {
                Some(toml::Value::Array(a)) => a,
                Some(one) => vec![one],
                None => Vec::new(),
            };
            for (segment, values) in segments {
                let toml::Value::Table(values) = values else {
                    return Err(self.err(format_args!(
                        "`targets.{segment}` should be a table ([targets.{segment}] then VALUE = NPS), not {}",
                        a_type(&values)
                    )));
                };
                for (value, target) in values {
                    let n = match target {
                        toml::Value::Integer(n) => n.to_string(),
                        toml::Value::Float(x) => x.to_string(),
                        other => {
                            return Err(self.err(format_args!(
                                "`targets.{segment}.{value}` should be a number (a target NPS), not {}",
                                a_type(&other)
                            )))
                        }
                    };
                    list.push(toml::Value::String(format!("{segment}:{value}={n}")));
                }
            }
            table.insert("segment-target".into(), toml::Value::Array(list));
        }
        if let Some(toml::Value::Table(b)) = table.get("benchmark").cloned() {
            table.remove("benchmark");
            for (k, v) in b {
                match k.as_str() {
                    "nps" => table.insert("benchmark".into(), v),
                    "source" => table.insert("benchmark-source".into(), v),
                    _ => {
                        return Err(self.err(format_args!(
                            "unknown key `{k}` in [benchmark]; it takes `nps` (a number) and `source` (a string)"
                        )))
                    }
                };
            }
            if !table.contains_key("benchmark") {
                return Err(self.err("[benchmark] needs `nps = ...`, the benchmark's NPS"));
            }
        }
        for r in READERS {
            if let Some(toml::Value::Table(t)) = table.remove(r.section) {
                let t = self.desugar(t)?;
                table.insert(r.section.into(), toml::Value::Table(t));
            }
        }
        Ok(table)
    }

    /// The directory relative paths in the file are relative to.
    fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }

    fn err(&self, message: impl std::fmt::Display) -> Error {
        Error::Usage(format!("{}: {message}", self.path.display()))
    }
}

/// What a config file adds to one command line.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    /// Option tokens (`--period=month`), parsed with the command line.
    pub options: Vec<OsString>,
    /// The file's `inputs` (resolved), used when the command line gives none.
    pub inputs: Vec<OsString>,
    /// Keys whose values were taken, sorted.
    pub applied: Vec<String>,
    /// Flat keys left to another command that reads the file.
    pub ignored: Vec<String>,
}

/// The tokens `file` adds for `reader`. `root` is the built command tree (requirements
/// relaxed: the file may give INPUT and `--out`); `given(id)` tells whether the command line
/// or an environment variable already set the argument with that id.
pub fn plan(file: &ConfigFile, root: &Command, reader: &Reader, given: &dyn Fn(&str) -> bool) -> Result<Plan> {
    let command = subcommand(root, reader.path);
    // Every key is checked against the command that takes it, whichever command reads the
    // file: a file that is wrong for `run` is refused by `nps` too.
    let check = |r: &Reader, key: &str, value: &toml::Value| -> Result<Option<Vec<OsString>>> {
        let Some(arg) = arg_for(subcommand(root, r.path), key) else { return Ok(None) };
        let tokens = tokens(file, arg, key, value)?;
        validate(file, subcommand(root, r.path), r, key, value, &tokens)?;
        Ok(Some(tokens))
    };
    let mut plan = Plan::default();
    let mut entries: Vec<(&str, Vec<OsString>)> = Vec::new();
    let mut section = Vec::new();
    for (key, value) in &file.table {
        if let Some(other) = READERS.iter().find(|r| r.section == key) {
            let toml::Value::Table(table) = value else {
                return Err(file.err(format_args!(
                    "`{key}` should be a table ([{key}] followed by options of `verbatim {}`), not {}",
                    other.name(),
                    a_type(value)
                )));
            };
            for (k, v) in table {
                let tokens = check(other, k, v)?.ok_or_else(|| file.err(unknown_in_section(root, other, k)))?;
                if other.section == reader.section {
                    section.push((k.as_str(), tokens));
                }
            }
        } else if let Some(tokens) = check(reader, key, value)? {
            entries.push((key, tokens));
        } else if let Some(other) = READERS.iter().find(|r| arg_for(subcommand(root, r.path), key).is_some()) {
            check(other, key, value)?;
            plan.ignored.push(key.to_string());
        } else {
            return Err(file.err(unknown_flat(root, key)));
        }
    }
    for (key, tokens) in section {
        entries.retain(|(k, _)| *k != key);
        entries.push((key, tokens));
    }

    let mut taken: Vec<&Arg> = Vec::new();
    for (key, tokens) in entries {
        let arg = arg_for(command, key).expect("entries hold only keys of this command");
        let overridden = |a: &Arg| given(a.get_id().as_str());
        if overridden(arg) || command.get_arguments().any(|a| conflict(command, arg, a) && overridden(a)) {
            continue;
        }
        if let Some(other) = taken.iter().find(|t| conflict(command, arg, t)) {
            return Err(
                file.err(format_args!("`{key}` and `{}` cannot be used together; keep one of them", key_of(other)))
            );
        }
        if arg.is_positional() {
            plan.inputs = tokens;
        } else {
            plan.options.extend(tokens);
        }
        plan.applied.push(key.to_string());
        taken.push(arg);
    }
    plan.applied.sort();
    Ok(plan)
}

/// Whether `a` and `b` cannot be given together (clap records a conflict on one side only).
fn conflict(command: &Command, a: &Arg, b: &Arg) -> bool {
    command.get_arg_conflicts_with(a).contains(&b) || command.get_arg_conflicts_with(b).contains(&a)
}

/// The subcommand at `path` in a command tree of which it is known to be part.
pub fn subcommand<'a>(root: &'a Command, path: &[&str]) -> &'a Command {
    path.iter().fold(root, |c, name| c.find_subcommand(name).expect("READERS name subcommands of Args"))
}

/// The argument a key names in `command`: its long option, or `inputs` for the positional INPUTs.
pub fn arg_for<'a>(command: &'a Command, key: &str) -> Option<&'a Arg> {
    command.get_arguments().find(|a| is_key(a) && key_of(a) == key)
}

/// Whether an argument can be set from a config file.
pub fn is_key(arg: &Arg) -> bool {
    !NOT_KEYS.contains(&arg.get_id().as_str()) && (arg.get_long().is_some() || arg.is_positional())
}

/// The key that sets an argument: its long name, or `inputs`.
pub fn key_of(arg: &Arg) -> &str {
    arg.get_long().unwrap_or(INPUTS)
}

/// What TOML value an argument wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// `true` / `false` (a switch such as `strict`).
    Switch,
    /// A whole number of repetitions (`verbose`).
    Count,
    /// A number (`threads`, `min-similarity`).
    Number,
    /// A path, relative to the config file.
    Path,
    /// A string: a name, a choice, a date.
    Text,
}

/// What `arg` wants, from its action and its value parser's type.
pub fn want(arg: &Arg) -> Want {
    match arg.get_action() {
        ArgAction::SetTrue | ArgAction::SetFalse => return Want::Switch,
        ArgAction::Count => return Want::Count,
        _ => {}
    }
    let ty = arg.get_value_parser().type_id();
    let numbers = [
        TypeId::of::<f32>(),
        TypeId::of::<f64>(),
        TypeId::of::<usize>(),
        TypeId::of::<u8>(),
        TypeId::of::<u16>(),
        TypeId::of::<u32>(),
        TypeId::of::<u64>(),
        TypeId::of::<i32>(),
        TypeId::of::<i64>(),
    ];
    if ty == TypeId::of::<PathBuf>() {
        Want::Path
    } else if numbers.iter().any(|n| ty == *n) {
        Want::Number
    } else {
        Want::Text
    }
}

/// Whether an argument takes several values (a repeatable option, the INPUTs).
fn repeatable(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::Append)
}

/// The command-line tokens of one key: `--key=value` per value, `--key` for a true switch,
/// the values themselves for `inputs`. TOML types are checked here; values by [`validate`].
fn tokens(file: &ConfigFile, arg: &Arg, key: &str, value: &toml::Value) -> Result<Vec<OsString>> {
    let want = want(arg);
    let wrong = |expected: String| {
        file.err(format_args!("`{key}` should be {expected}, not {} (`{key} = {value}`)", a_type(value)))
    };
    let flag = OsString::from(format!("--{key}"));
    match (want, value) {
        (Want::Switch, toml::Value::Boolean(b)) => return Ok(if *b { vec![flag] } else { vec![] }),
        (Want::Switch, _) => return Err(wrong("true or false".into())),
        (Want::Count, toml::Value::Integer(n)) if (0..=255).contains(n) => return Ok(vec![flag; *n as usize]),
        (Want::Count, _) => return Err(wrong("a whole number from 0 (as -v, -vv: 1, 2)".into())),
        _ => {}
    }
    let values: Vec<&toml::Value> = match value {
        toml::Value::Array(items) if repeatable(arg) => items.iter().collect(),
        toml::Value::Array(_) => return Err(wrong(format!("a single value: {}", describe(arg, want)))),
        one => vec![one],
    };
    let expected = || {
        if repeatable(arg) {
            format!("{} or a list of them ([...])", describe(arg, want))
        } else {
            describe(arg, want)
        }
    };
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        let text = match (want, v) {
            (Want::Number, toml::Value::Integer(n)) => n.to_string(),
            (Want::Number, toml::Value::Float(x)) => x.to_string(),
            (Want::Path, toml::Value::String(s)) => file.dir().join(s).display().to_string(),
            (Want::Text, toml::Value::String(s)) => s.clone(),
            // `since = 2026-01-05` is a TOML date; the option's parser checks it as text.
            (Want::Text, toml::Value::Datetime(d)) => d.to_string(),
            _ => return Err(wrong(expected())),
        };
        out.push(if arg.is_positional() { OsString::from(text) } else { OsString::from(format!("--{key}={text}")) });
    }
    Ok(out)
}

/// "a string (one of week, month, quarter)", "a number", "a path (relative to this file)".
fn describe(arg: &Arg, want: Want) -> String {
    match want {
        Want::Number => "a number".into(),
        Want::Path => "a path (a string; relative to this file)".into(),
        _ => {
            let choices: Vec<String> =
                arg.get_possible_values().iter().filter(|p| !p.is_hide_set()).map(|p| p.get_name().into()).collect();
            if choices.is_empty() {
                "a string".into()
            } else {
                format!("a string (one of {})", choices.join(", "))
            }
        }
    }
}

/// "an integer (3)", "a string (\"daily\")".
fn a_type(v: &toml::Value) -> String {
    let t = v.type_str();
    let article = if t.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {t}")
}

/// Run the key's tokens through the command's own parser (the value parsers of the command
/// line: choices, numbers, dates, non-empty paths).
fn validate(
    file: &ConfigFile,
    command: &Command,
    reader: &Reader,
    key: &str,
    value: &toml::Value,
    tokens: &[OsString],
) -> Result<()> {
    let mut argv: Vec<OsString> = vec![reader.name().into()];
    if arg_for(command, key).is_some_and(Arg::is_positional) {
        argv.push("--".into());
    }
    argv.extend(tokens.iter().cloned());
    match command.clone().try_get_matches_from(argv) {
        Ok(_) => Ok(()),
        Err(e) => Err(file.err(format_args!("`{key} = {value}`: {}", clap_reason(&e)))),
    }
}

/// A clap error's message without its "error: " prefix and its "For more information" line.
pub fn clap_reason(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information") && !l.starts_with("Usage:"))
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .collect();
    lines.join(" ")
}

/// A flat key no command reading the file takes: the closest key of those commands, and the
/// commands that do take it, if any.
fn unknown_flat(root: &Command, key: &str) -> String {
    if key == "config" {
        return "`config` cannot be set in a config file (one file per command line: pass --config on the \
                command line)"
            .into();
    }
    let keys: Vec<&str> = READERS.iter().flat_map(|r| keys(subcommand(root, r.path))).collect();
    let elsewhere = takers(root, key);
    if !elsewhere.is_empty() {
        return format!(
            "`{key}` is an option of {}, which {} not read a config file (run, nps and themes discover do); \
             pass it on that command line",
            elsewhere.join(", "),
            if elsewhere.len() == 1 { "does" } else { "do" }
        );
    }
    let mut message = format!("unknown key `{key}`");
    if let Some(best) = closest(key, keys.iter().copied()) {
        message += &format!("; did you mean `{best}`?");
    }
    message + " (the keys are the long options of `verbatim run --help` and `verbatim nps --help`, and `inputs`)"
}

/// A key in `[section]` that its command does not take.
fn unknown_in_section(root: &Command, reader: &Reader, key: &str) -> String {
    let command = subcommand(root, reader.path);
    let mut message =
        format!("[{}] unknown key `{key}` (not an option of `verbatim {}`", reader.section, reader.name());
    let elsewhere = takers(root, key);
    if !elsewhere.is_empty() {
        message += &format!("; {} take it", elsewhere.join(", "));
    }
    message += ")";
    if let Some(best) = closest(key, keys(command)) {
        message += &format!("; did you mean `{best}`?");
    }
    message
}

/// The keys of a command.
fn keys(command: &Command) -> impl Iterator<Item = &str> {
    command.get_arguments().filter(|a| is_key(a)).map(key_of)
}

/// The subcommands (`verbatim sentiment train`) with a long option named `key`.
fn takers(root: &Command, key: &str) -> Vec<String> {
    fn walk(cmd: &Command, prefix: &str, key: &str, out: &mut Vec<String>) {
        for sub in cmd.get_subcommands() {
            let name = format!("{prefix} {}", sub.get_name());
            if sub.get_arguments().any(|a| is_key(a) && a.get_long() == Some(key)) {
                out.push(format!("`{name}`"));
            }
            walk(sub, &name, key, out);
        }
    }
    let mut out = Vec::new();
    walk(root, "verbatim", key, &mut out);
    out
}

/// The candidate nearest to `word` by edit distance (ties: the first).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates.into_iter().min_by_key(|c| levenshtein(word, c))
}

/// Edit distance (insertions, deletions, substitutions of characters).
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_for(section: &str, text: &str, given: &[&str]) -> Result<Plan> {
        let file = ConfigFile::parse(Path::new("conf/weekly.toml"), text)?;
        let reader = READERS.iter().find(|r| r.section == section).unwrap();
        plan(&file, &crate::cli::parse::relaxed_tree(), reader, &|id| given.contains(&id))
    }

    fn strings(v: &[OsString]) -> Vec<&str> {
        v.iter().map(|s| s.to_str().unwrap()).collect()
    }

    fn message(r: Result<Plan>) -> String {
        r.expect_err("an error").to_string()
    }

    #[test]
    fn keys_become_command_line_tokens() {
        let p = plan_for(
            "run",
            r#"
            inputs = ["exports/week.csv", "/abs/old.xlsx"]
            period = "month"
            segment-col = ["Channel", "Plan"]
            out = "reports"
            threads = 4
            min-similarity = 0.9
            strict = true
            no-cache = false
            since = 2026-01-05
            verbose = 2
            "#,
            &[],
        )
        .unwrap();
        assert_eq!(strings(&p.inputs), ["conf/exports/week.csv", "/abs/old.xlsx"]);
        assert_eq!(
            strings(&p.options),
            [
                "--min-similarity=0.9",
                "--out=conf/reports",
                "--period=month",
                "--segment-col=Channel",
                "--segment-col=Plan",
                "--since=2026-01-05",
                "--strict",
                "--threads=4",
                "--verbose",
                "--verbose",
            ]
        );
        assert_eq!(p.applied.len(), 10);
        assert!(p.ignored.is_empty());
    }

    #[test]
    fn one_value_for_a_repeatable_option_and_sections_win() {
        let text = "segment-col = \"Channel\"\nperiod = \"week\"\ntaxonomy = \"t.toml\"\n[nps]\nperiod = \"quarter\"\n\
                    [run]\nperiod = \"month\"\n";
        let p = plan_for("nps", text, &[]).unwrap();
        assert_eq!(strings(&p.options), ["--segment-col=Channel", "--period=quarter"]);
        assert_eq!(p.ignored, ["taxonomy"], "a flat key of run only is left to run");
        let p = plan_for("themes-discover", text, &[]).unwrap();
        assert_eq!(strings(&p.options), ["--period=week", "--segment-col=Channel", "--taxonomy=conf/t.toml"]);
    }

    #[test]
    fn the_shipped_example_is_valid_for_every_command_with_its_comments_uncommented() {
        let text = include_str!("../../verbatim.toml");
        let uncommented: String = text
            .lines()
            .map(|l| l.strip_prefix("# ").filter(|o| o.contains(" = ") && !o.starts_with("themes-model")).unwrap_or(l))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(uncommented.contains("\ntaxonomy = "));
        for text in [text, &uncommented] {
            for reader in &READERS {
                plan_for(reader.section, text, &[]).unwrap_or_else(|e| panic!("{}: {e}", reader.section));
            }
        }
        assert!(strings(&plan_for("nps", text, &[]).unwrap().options).contains(&"--out=conf/out/nps"));
    }

    /// `[targets.SEGMENT]` and `[benchmark]` are the options `segment-target`, `benchmark`
    /// and `benchmark-source` (issue 19).
    #[test]
    fn target_tables_become_options() {
        let text = "target = 30\n[targets.Channel]\nStore = 40\nWeb = 35.5\n[targets.Plan]\nBasic = -5\n\
                    [benchmark]\nnps = 32\nsource = \"a study\"\n";
        let p = plan_for("run", text, &[]).unwrap();
        assert_eq!(
            strings(&p.options),
            [
                "--benchmark=32",
                "--benchmark-source=a study",
                "--segment-target=Channel:Store=40",
                "--segment-target=Channel:Web=35.5",
                "--segment-target=Plan:Basic=-5",
                "--target=30"
            ]
        );
        let p = plan_for("nps", text, &[]).unwrap();
        assert!(p.options.is_empty(), "targets are options of run only");
        assert_eq!(p.ignored, ["benchmark", "benchmark-source", "segment-target", "target"]);
    }

    #[test]
    fn the_command_line_wins() {
        let text = "period = \"month\"\nsegment-col = [\"Plan\"]\nexamples = \"coded.csv\"\ninputs = [\"a.csv\"]";
        let p = plan_for("run", text, &["period", "segment_cols", "themes_model", "inputs"]).unwrap();
        assert!(p.options.is_empty() && p.inputs.is_empty(), "{p:?}");
        assert!(p.applied.is_empty());
        // Overridden or left to another command, a key is still checked.
        let m = message(plan_for("run", "period = 3", &["period"]));
        assert!(m.contains("`period` should be a string"), "{m}");
        let m = message(plan_for("nps", "min-similarity = \"high\"", &[]));
        assert!(m.contains("`min-similarity` should be a number"), "{m}");
        let m = message(plan_for("nps", "[run]\nthreads = \"4\"", &[]));
        assert!(m.contains("`threads` should be a number"), "{m}");
    }

    #[test]
    fn errors_name_the_file_the_key_and_the_fix() {
        let m = message(plan_for("run", "segmnet-col = \"Plan\"", &[]));
        assert!(m.starts_with("conf/weekly.toml: unknown key `segmnet-col`; did you mean `segment-col`?"), "{m}");
        let m = message(plan_for("nps", "[nps]\ntaxonomy = \"t.toml\"", &[]));
        assert!(m.contains("[nps] unknown key `taxonomy`") && m.contains("`verbatim run`"), "{m}");
        let m = message(plan_for("nps", "[run]\nperoid = \"month\"", &[]));
        assert!(m.contains("[run] unknown key `peroid`") && m.contains("did you mean `period`?"), "{m}");
        let m = message(plan_for("nps", "labels = \"coded.csv\"", &[]));
        assert!(m.contains("`verbatim sentiment train`") && m.contains("not read a config file"), "{m}");
    }

    #[test]
    fn edit_distance() {
        assert_eq!(levenshtein("", ""), 0);
        assert_eq!(levenshtein("abc", ""), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("segmnet-col", "segment-col"), 2);
        assert_eq!(levenshtein("période", "periode"), 1);
        assert_eq!(closest("segmnet-col", ["score-col", "segment-col", "sheet"]), Some("segment-col"));
        assert_eq!(closest("x", []), None);
    }
}
