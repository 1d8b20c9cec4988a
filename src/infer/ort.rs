//! ONNX Runtime backend (CPU by default, CUDA with the `cuda` feature), loading the
//! shared library at run time from a path the caller resolves (models/onnxruntime/).

use std::path::Path;
use std::sync::OnceLock;

use ort::session::builder::GraphOptimizationLevel;
use ort::session::{HasSelectedOutputs, OutputSelector, RunOptions, Session};
use ort::value::TensorRef;

use super::{Backend, BackendError, Batch};
use crate::config::Precision;

static ENVIRONMENT: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();

/// ONNX Runtime allows one environment per process: the first library path wins.
fn environment(lib: &Path) -> Result<&'static ort::environment::Environment, BackendError> {
    ENVIRONMENT
        .get_or_init(|| {
            if !lib.is_file() {
                return Err(format!(
                    "ONNX Runtime library not found at {}. Run the setup command (scripts/setup.sh) \
                     or set ORT_DYLIB_PATH to a libonnxruntime.so 1.22 or newer",
                    lib.display()
                ));
            }
            let builder = ort::init_from(lib).map_err(|e| format!("cannot load {}: {e}", lib.display()))?;
            builder.with_name("verbatim").build().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| BackendError::Start(e.clone()))
}

pub struct OrtBackend {
    session: Session,
    /// Asks for the hidden states only (a graph may also compute a pooled output).
    run_options: RunOptions<HasSelectedOutputs>,
    input_names: Vec<String>,
    output_name: String,
    /// The graph's `layer_mean_states` output (token states for learnt themes), and run
    /// options selecting it with the hidden states.
    token_output: Option<(String, RunOptions<HasSelectedOutputs>)>,
    hidden: usize,
    device: String,
}

impl OrtBackend {
    /// Load an ONNX graph: `model` is the graph file, or a directory holding `model.onnx`
    /// (or `onnx/model.onnx`).
    pub fn new(lib: &Path, model: &Path, threads: usize, cuda: bool, hidden: usize) -> Result<Self, BackendError> {
        let dir = model;
        let model = if model.is_file() { Some(model.to_path_buf()) } else { Precision::Fp32.graph(model) }.ok_or_else(
            || BackendError::WeightsNotFound {
                path: dir.join("model.onnx"),
                help: "Run the setup command (scripts/setup.sh), or pass --model with a directory holding \
                       model.onnx and tokenizer.json"
                    .into(),
            },
        )?;
        let env = environment(lib)?;
        let session = build_session(env, &model, threads, cuda)
            .map_err(|e| BackendError::Start(format!("{}: {e}", model.display())))?;
        let input_names: Vec<String> = session.inputs().iter().map(|i| i.name().to_string()).collect();
        for needed in ["input_ids", "attention_mask"] {
            if !input_names.iter().any(|n| n == needed) {
                return Err(BackendError::Start(format!(
                    "{} has no '{needed}' input (inputs: {}): it is not a text encoder export",
                    model.display(),
                    input_names.join(", ")
                )));
            }
        }
        let outputs: Vec<String> = session.outputs().iter().map(|o| o.name().to_string()).collect();
        let output_name = outputs
            .iter()
            .find(|n| *n == "last_hidden_state" || *n == "token_embeddings")
            .or(outputs.first())
            .cloned()
            .ok_or_else(|| BackendError::Start(format!("{} has no output", model.display())))?;
        let device = if cuda { "onnxruntime-cuda" } else { "onnxruntime-cpu" }.to_string();
        let run_options = RunOptions::new()
            .map_err(|e| BackendError::Start(e.to_string()))?
            .with_outputs(OutputSelector::no_default().with(output_name.clone()));
        let token_output = match outputs.iter().find(|n| *n == "layer_mean_states") {
            None => None,
            Some(name) => {
                let selector = OutputSelector::no_default().with(output_name.clone()).with(name.clone());
                let options = RunOptions::new().map_err(|e| BackendError::Start(e.to_string()))?.with_outputs(selector);
                Some((name.clone(), options))
            }
        };
        Ok(OrtBackend { session, run_options, input_names, output_name, token_output, hidden, device })
    }
}

fn builder_error(e: ort::Error<ort::session::builder::SessionBuilder>) -> ort::Error {
    e.into()
}

/// Session-builder errors are not Send/Sync: keep them inside this function.
fn build_session(
    env: &ort::environment::Environment,
    model: &Path,
    threads: usize,
    cuda: bool,
) -> ort::Result<Session> {
    let builder = Session::builder(env)?
        .with_optimization_level(GraphOptimizationLevel::All)
        .map_err(builder_error)?
        .with_intra_threads(threads.max(1))
        .map_err(builder_error)?
        .with_inter_threads(1)
        .map_err(builder_error)?;
    #[cfg(feature = "cuda")]
    let builder = if cuda {
        builder
            .with_execution_providers([ort::ep::CUDA::default().build().error_on_failure()])
            .map_err(builder_error)?
    } else {
        builder
    };
    #[cfg(not(feature = "cuda"))]
    if cuda {
        return Err(ort::Error::new("--device cuda needs verbatim built with `--features cuda`"));
    }
    let mut builder = builder;
    builder.commit_from_file(model)
}

impl Backend for OrtBackend {
    fn name(&self) -> String {
        self.device.clone()
    }

    fn hidden_size(&self) -> usize {
        self.hidden
    }

    fn forward(&mut self, batch: &Batch) -> Result<Vec<f32>, BackendError> {
        Ok(self.run(batch, false)?.0)
    }

    fn forward_with_token_states(&mut self, batch: &Batch) -> Result<(Vec<f32>, Option<Vec<f32>>), BackendError> {
        self.run(batch, true)
    }
}

impl OrtBackend {
    /// Hidden states, and the token-states output when asked for and the graph has one.
    fn run(&mut self, batch: &Batch, token_states: bool) -> Result<(Vec<f32>, Option<Vec<f32>>), BackendError> {
        let shape = [batch.batch, batch.seq];
        let err = |e: ort::Error| BackendError::Inference(e.to_string());
        let type_ids = vec![0i64; batch.ids.len()];
        let mut inputs: Vec<(String, ort::session::SessionInputValue<'_>)> = Vec::new();
        for name in &self.input_names {
            let data: &[i64] = match name.as_str() {
                "input_ids" => &batch.ids,
                "attention_mask" => &batch.mask,
                "token_type_ids" => &type_ids,
                other => return Err(BackendError::Inference(format!("unsupported model input '{other}'"))),
            };
            let t = TensorRef::from_array_view((shape, data)).map_err(err)?;
            inputs.push((name.clone(), t.into()));
        }
        let token_output = self.token_output.as_ref().filter(|_| token_states);
        let options = token_output.map_or(&self.run_options, |t| &t.1);
        let outputs = self.session.run_with_options(inputs, options).map_err(err)?;
        let extract = |name: &str| -> Result<Vec<f32>, BackendError> {
            let (out_shape, data) = outputs[name].try_extract_tensor::<f32>().map_err(err)?;
            let dims: Vec<i64> = out_shape.iter().copied().collect();
            if dims.len() != 3 || dims[2] as usize != self.hidden {
                return Err(BackendError::Inference(format!(
                    "output '{name}' has shape {dims:?}, expected [batch, seq, {}]",
                    self.hidden
                )));
            }
            Ok(data.to_vec())
        };
        let hidden = extract(&self.output_name)?;
        let tokens = token_output.map(|t| extract(&t.0)).transpose()?;
        Ok((hidden, tokens))
    }
}
