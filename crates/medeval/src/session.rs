//! One command's worth of running: one async runtime, one client per model and endpoint set,
//! and the store, shared by every run the command makes.
//!
//! A command that runs three benchmarks with five variants makes fifteen runs; they share one
//! runtime and one connection pool, and each endpoint is checked (reachable, key accepted,
//! model served) once, before its first request.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::sync::Mutex;

use medeval_core::Completion;
use medeval_judge::{Judge, JudgeCache, JudgeScorer};
use medeval_models::{ApiKey, ChatClient, ClientConfig, ClientError, EndpointHealth};
use medeval_run::{
    Answerer, Progress, RescoreReport, RunError, RunPlan, RunReport, execute, rescore_stored,
};
use medeval_score::{RuleScorer, Scorer};
use medeval_store::{ResponseCache, Store, StoreError};

use crate::spec::{Connection, EndpointModel, JudgeSettings, ModelSpec, RunParts, RunSpec};

/// Why a session cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The store could not be opened.
    #[error("cannot open the store {}", path.display())]
    Store {
        /// The store file.
        path: PathBuf,
        /// Why.
        #[source]
        source: StoreError,
    },
    /// The API key's variable is not set.
    #[error("--api-key-env {0}: the environment variable is not set")]
    ApiKeyNotSet(String),
    /// The client could not be built, or an endpoint failed its check.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The run failed (samples committed before the failure are kept).
    #[error(transparent)]
    Run(#[from] RunError),
    /// The store failed after it was opened.
    #[error(transparent)]
    StoreFailed(#[from] StoreError),
}

/// A client built for one model and endpoint set, and the settings it was built from.
#[derive(Debug)]
struct Connected {
    model: EndpointModel,
    client: Arc<ChatClient>,
}

/// The runtime, clients and store of one command.
///
/// The store is opened (or created) when the first run starts, after its endpoints answered:
/// a command that fails its checks leaves no file behind.
pub struct Session {
    runtime: tokio::runtime::Runtime,
    store_path: PathBuf,
    store: Option<Store>,
    clients: Vec<Connected>,
    notices: Notices,
}

/// Where a session tells what it waits for while connecting (a server still loading its model).
type Notices = Box<dyn Fn(&str) + Send + Sync>;

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("store_path", &self.store_path)
            .field("store_open", &self.store.is_some())
            .field("models_connected", &self.clients.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session whose runs are written to the store at `path`.
    pub fn new(path: &Path) -> Result<Self, SessionError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(SessionError::Runtime)?;
        Ok(Self {
            runtime,
            store_path: path.to_path_buf(),
            store: None,
            clients: Vec::new(),
            notices: Box::new(|_| {}),
        })
    }

    /// The same session, telling `notices` what it waits for while connecting (an endpoint
    /// that answers HTTP 503 while its server loads the model), so a front end can say why
    /// nothing seems to happen.
    pub fn with_notices(mut self, notices: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.notices = Box::new(notices);
        self
    }

    /// Connects to the endpoints of `spec`'s model unless this session already has: builds the
    /// client (reading the API key from its variable) and checks every endpoint. Returns
    /// warnings about endpoints whose model list could not be read. Baselines need nothing.
    pub fn connect(&mut self, spec: &RunSpec) -> Result<Vec<String>, SessionError> {
        let mut warnings = match spec.model() {
            ModelSpec::Baseline(_) => Vec::new(),
            ModelSpec::Endpoint(model) => self.client_for(model)?.1,
        };
        if let Some(judge) = spec.judge() {
            let (_, judge_warnings) = self.client_for(&judge.model)?;
            warnings.extend(judge_warnings.into_iter().map(|w| format!("judge: {w}")));
        }
        Ok(warnings)
    }

    /// Executes `spec` to the end, or until `stop` completes (then the run is left resumable).
    /// With `fresh`, a new run is started even if an identical one is stored.
    pub fn run(
        &mut self,
        spec: RunSpec,
        fresh: bool,
        progress: &dyn Progress,
        stop: impl Future<Output = ()>,
    ) -> Result<RunReport, SessionError> {
        let RunParts {
            manifest,
            items,
            model,
            scorer,
            judge,
        } = spec.into_parts();
        let (answerer, in_flight) = match &model {
            ModelSpec::Baseline(baseline) => (
                Answerer::Baseline(*baseline),
                Connection::default().concurrency,
            ),
            ModelSpec::Endpoint(endpoint) => {
                let (client, _) = self.client_for(endpoint)?;
                (
                    Answerer::Endpoint(client),
                    endpoint.connection.concurrency.max(1),
                )
            }
        };
        // A judged sample holds its place in the window while the judge answers, so the window
        // grows by the judge's requests in flight: candidate requests keep flowing meanwhile.
        let (scorer, judge_in_flight) = match &judge {
            Some(judge) => (
                self.judge_scorer(judge)?,
                judge.model.connection.concurrency,
            ),
            None => (scorer, 0),
        };
        let plan = RunPlan {
            manifest,
            items,
            answerer,
            fresh,
            // Twice the requests in flight: images of the next samples are prepared while
            // earlier ones are on the wire.
            window: in_flight * 2 + judge_in_flight,
            scorer,
        };
        let store = open_once(&mut self.store, &self.store_path)?;
        Ok(self
            .runtime
            .block_on(execute(store, plan, progress, stop))?)
    }

    /// Scores every stored response of `run_id` again: by `judge` where it applies (its
    /// replies kept in the store's cache, so asking again costs nothing), else by the rules
    /// alone. No sample is requested; see [`medeval_run::rescore_stored`].
    pub fn rescore(
        &mut self,
        run_id: &str,
        judge: Option<&JudgeSettings>,
    ) -> Result<RescoreReport, SessionError> {
        let (scorer, concurrency): (Arc<dyn Scorer>, usize) = match judge {
            Some(judge) => (
                self.judge_scorer(judge)?,
                judge.model.connection.concurrency.max(1) * 2,
            ),
            None => (Arc::new(RuleScorer), 1),
        };
        let store = open_once(&mut self.store, &self.store_path)?;
        Ok(self
            .runtime
            .block_on(rescore_stored(store, run_id, &scorer, concurrency))?)
    }

    /// The judge scorer of `judge`: its client checked, its replies cached in the store.
    fn judge_scorer(&mut self, judge: &JudgeSettings) -> Result<Arc<dyn Scorer>, SessionError> {
        let (client, _) = self.client_for(&judge.model)?;
        let reader: Box<dyn ResponseCache> = Box::new(self.store()?.cache_reader()?);
        let cache = StoreCache(Mutex::new(reader));
        let asking =
            Judge::new(Arc::clone(&judge.spec), client, judge.sampling).with_cache(Arc::new(cache));
        Ok(Arc::new(JudgeScorer::new(asking, judge.scope)))
    }

    /// The store, opened (or created) on first use.
    fn store(&mut self) -> Result<&mut Store, SessionError> {
        open_once(&mut self.store, &self.store_path)
    }

    /// Attempts, failures and breaker state of every endpoint this session used, per model.
    pub fn endpoint_health(&self) -> Vec<(String, Vec<EndpointHealth>)> {
        self.clients
            .iter()
            .map(|c| (c.model.name.clone(), c.client.endpoint_health()))
            .collect()
    }

    /// The session's store, for summaries after the runs; `None` when no run started.
    pub fn into_store(self) -> Option<Store> {
        self.store
    }

    fn client_for(
        &mut self,
        model: &EndpointModel,
    ) -> Result<(Arc<ChatClient>, Vec<String>), SessionError> {
        if let Some(connected) = self.clients.iter().find(|c| &c.model == model) {
            return Ok((Arc::clone(&connected.client), Vec::new()));
        }
        let mut config = ClientConfig::new(model.endpoints.clone(), model.name.clone());
        if let Some(var) = &model.api_key_env {
            let key = std::env::var(var).map_err(|_| SessionError::ApiKeyNotSet(var.clone()))?;
            config.api_key = Some(ApiKey::new(key));
        }
        config.timeout = model.connection.timeout;
        config.max_attempts = model.connection.max_attempts.max(1);
        config.retry_base = model.connection.retry_base;
        config.concurrency = model.connection.concurrency.max(1);
        config.max_response_bytes = model.connection.max_response_bytes;
        config.check_model = model.connection.check_model;
        let client = Arc::new(ChatClient::new(config)?);
        let warnings = self
            .runtime
            .block_on(client.preflight_observed(&*self.notices))?;
        self.clients.push(Connected {
            model: model.clone(),
            client: Arc::clone(&client),
        });
        Ok((client, warnings))
    }
}

/// The store's response cache as a judge's cache. A cache that fails is skipped: the judge is
/// asked (or its reply not kept), and the run goes on.
struct StoreCache(Mutex<Box<dyn ResponseCache>>);

impl JudgeCache for StoreCache {
    fn get(&self, key: &str) -> Option<Completion> {
        let cache = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.get(key).ok().flatten()
    }

    fn put(&self, key: &str, model: &str, reply: &Completion) {
        let cache = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = cache.put(key, model, reply);
    }
}

/// The store in `slot`, opened from `path` the first time.
fn open_once<'a>(slot: &'a mut Option<Store>, path: &Path) -> Result<&'a mut Store, SessionError> {
    Ok(match slot {
        Some(store) => store,
        None => slot.insert(open_store(path)?),
    })
}

fn open_store(path: &Path) -> Result<Store, SessionError> {
    Store::open(path).map_err(|source| SessionError::Store {
        path: path.to_path_buf(),
        source,
    })
}
