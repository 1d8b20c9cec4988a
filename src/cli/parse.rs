//! The command line as the commands see it: clap's parse of argv with the options of a
//! `--config` file merged in ([`super::config_file`]), and, for the commands that write
//! run.json, a record of every option's effective value.
//!
//! The merge is a second parse: argv is parsed once with every requirement relaxed (INPUT and
//! `--out` may come from the file) to learn which options the command line and environment
//! variables set; the file's options that they did not set are appended as `--key=value`
//! tokens (and its `inputs`, when argv has none), and the result is parsed as usual. Every
//! value thus goes through clap's own parsers and checks, whether typed or read from a file.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Command as ClapCommand, CommandFactory, FromArgMatches};

use super::args::{Args, Command, ThemesAction};
use super::config_file::{self, ConfigFile, Plan, Reader, Want, READERS};
use crate::config::{ConfigFileRecord, OptionsRecord};

/// Parse argv (program name first), merging the `--config` file of `run`, `nps` or
/// `themes discover`. Errors are clap's (help and version included: `e.exit()` prints them
/// and exits 0 or 2); a bad config file is an error of exit code 2 naming the file and key.
pub fn parse_args<I, T>(argv: I) -> Result<Args, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let argv: Vec<OsString> = argv.into_iter().map(Into::into).collect();
    let mut tree = relaxed_tree();
    let planned = match tree.try_get_matches_from_mut(&argv) {
        Ok(m) => match reader_matches(&m) {
            Some((reader, sub)) => match sub.get_one::<PathBuf>("config") {
                Some(path) => Some(plan_file(&tree, reader, sub, path).map_err(usage)?),
                None => None,
            },
            None => None,
        },
        // Let the real parse below report what is wrong, exactly as without a config file.
        Err(_) => None,
    };
    let argv = match &planned {
        Some((_, plan)) => merge(&argv, plan),
        None => argv,
    };
    let matches = Args::command().try_get_matches_from(&argv)?;
    let mut args = Args::from_arg_matches(&matches)?;
    if let Some((reader, sub)) = reader_matches(&matches) {
        let record = OptionsRecord {
            options: effective_options(config_file::subcommand(&tree, reader.path), sub),
            file: planned.map(|(file, plan)| ConfigFileRecord {
                path: file.path.display().to_string(),
                sha256: file.sha256,
                applied: plan.applied,
                ignored: plan.ignored,
            }),
        };
        match &mut args.command {
            Command::Run(a) | Command::Themes { action: ThemesAction::Discover(a) } => a.recorded = record,
            Command::Nps(a) => a.recorded = record,
            _ => {}
        }
    }
    Ok(args)
}

/// The command tree with no argument required, built (global options propagated).
pub fn relaxed_tree() -> ClapCommand {
    fn relax(cmd: ClapCommand) -> ClapCommand {
        cmd.mut_args(|a| a.required(false)).mut_subcommands(relax)
    }
    let mut tree = relax(Args::command());
    tree.build();
    tree
}

/// The config-reading command of a parse, and its matches.
fn reader_matches(m: &ArgMatches) -> Option<(&'static Reader, &ArgMatches)> {
    READERS.iter().find_map(|reader| {
        let sub = reader.path.iter().try_fold(m, |cur, name| match cur.subcommand() {
            Some((n, sub)) if n == *name => Some(sub),
            _ => None,
        })?;
        Some((reader, sub))
    })
}

/// Read the file and decide what it adds, given what argv (relaxed parse `sub`) already set.
fn plan_file(
    tree: &ClapCommand,
    reader: &Reader,
    sub: &ArgMatches,
    path: &std::path::Path,
) -> crate::Result<(ConfigFile, Plan)> {
    let file = ConfigFile::read(path)?;
    let given = |id: &str| !matches!(sub.value_source(id), None | Some(ValueSource::DefaultValue));
    let plan = config_file::plan(&file, tree, reader, &given)?;
    Ok((file, plan))
}

/// argv with the file's option tokens before any `--`, and its inputs at the end when argv
/// has none.
pub fn merge(argv: &[OsString], plan: &Plan) -> Vec<OsString> {
    let split = argv.iter().position(|a| a == "--").unwrap_or(argv.len());
    let (head, tail) = argv.split_at(split);
    let mut out = head.to_vec();
    out.extend(plan.options.iter().cloned());
    out.extend(tail.iter().cloned());
    if !plan.inputs.is_empty() {
        if tail.is_empty() {
            out.push("--".into());
        }
        out.extend(plan.inputs.iter().cloned());
    }
    out
}

/// A config-file error as a clap error: printed as `error: <message>`, exit code 2.
fn usage(e: crate::Error) -> clap::Error {
    clap::Error::raw(clap::error::ErrorKind::InvalidValue, format!("{e}\n"))
}

/// Every option of `command` with its effective value in `m`, keyed as in a config file:
/// switches as booleans, numbers as numbers, repeatable options and `inputs` as lists, an
/// option without value as null; paths as given (those from the file resolved against its
/// directory).
pub fn effective_options(command: &ClapCommand, m: &ArgMatches) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value;
    let mut out = serde_json::Map::new();
    for arg in command.get_arguments().filter(|a| config_file::is_key(a)) {
        let id = arg.get_id().as_str();
        let want = config_file::want(arg);
        let value = match want {
            Want::Switch => Value::Bool(m.get_flag(id)),
            Want::Count => Value::from(m.get_count(id)),
            _ => {
                let raw: Vec<Value> = m
                    .try_get_raw(id)
                    .ok()
                    .flatten()
                    .into_iter()
                    .flatten()
                    .map(|v| {
                        let text = v.to_string_lossy().into_owned();
                        let number = (want == Want::Number).then(|| text.parse::<serde_json::Number>().ok()).flatten();
                        number.map_or(Value::String(text), Value::Number)
                    })
                    .collect();
                if matches!(arg.get_action(), ArgAction::Append) {
                    Value::Array(raw)
                } else {
                    raw.into_iter().next().unwrap_or(Value::Null)
                }
            }
        };
        out.insert(config_file::key_of(arg).to_string(), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn merge_puts_options_before_dashdash_and_inputs_last() {
        let plan = Plan { options: os(&["--period=month"]), inputs: os(&["c/a.csv"]), ..Plan::default() };
        assert_eq!(
            merge(&os(&["verbatim", "nps", "--strict"]), &plan),
            os(&["verbatim", "nps", "--strict", "--period=month", "--", "c/a.csv"])
        );
        assert_eq!(
            merge(&os(&["verbatim", "nps", "--"]), &plan),
            os(&["verbatim", "nps", "--period=month", "--", "c/a.csv"])
        );
    }

    #[test]
    fn records_every_option_with_the_file_merged() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("v.toml");
        std::fs::write(&conf, "inputs = [\"a.csv\"]\nperiod = \"month\"\nsegment-col = \"Plan\"\nstrict = true\n")
            .unwrap();
        let conf = conf.to_str().unwrap();
        let args = parse_args(["verbatim", "nps", "--config", conf, "--period", "quarter"]).unwrap();
        let Command::Nps(a) = args.command else { panic!("not nps") };
        assert_eq!(a.input.inputs, [dir.path().join("a.csv")]);
        assert_eq!(a.input.period, crate::schema::dates::Period::Quarter, "the command line wins");
        assert_eq!(a.input.segment_cols, ["Plan"]);
        assert!(a.input.strict);
        let o = &a.recorded.options;
        assert_eq!(o["period"], "quarter");
        assert_eq!(o["segment-col"], serde_json::json!(["Plan"]));
        assert_eq!(o["strict"], true);
        assert_eq!(o["out"], serde_json::Value::Null);
        assert_eq!(o["verbose"], 0);
        assert!(!o.contains_key("config") && !o.contains_key("help"));
        let file = a.recorded.file.unwrap();
        assert_eq!(file.applied, ["inputs", "segment-col", "strict"]);
        assert_eq!(file.sha256.len(), 64);

        // No file: the record still holds every option.
        let args = parse_args(["verbatim", "run", "x.csv", "--out", "o", "--threads", "2"]).unwrap();
        let Command::Run(a) = args.command else { panic!("not run") };
        assert_eq!(a.recorded.options["threads"], 2);
        assert_eq!(a.recorded.options["min-similarity"], 0.88);
        assert_eq!(a.recorded.options["inputs"], serde_json::json!(["x.csv"]));
        assert!(a.recorded.file.is_none());
    }
}
